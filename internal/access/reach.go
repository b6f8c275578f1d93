// Package access computes what a principal's policies let it do, per
// service: the actions of the IAM action catalog that its identity policies
// allow, on which resources and under which conditions, after explicit denies,
// its permissions boundary and the service control policies of its account.
// It is what the Lambda console shows as a function's resource summary, and
// what unused-access reports compare recorded traffic with.
//
// The package is pure: it performs no I/O and keeps no mutable state.
package access

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

// ServiceReach is what a principal may do with one service.
type ServiceReach struct {
	Service string        // the action prefix: "dynamodb"
	Name    string        // the service's name: "Amazon DynamoDB"
	Actions []ActionReach // sorted by action
}

// ActionReach is one action a principal may perform.
type ActionReach struct {
	// Action is the action as a policy names it: "dynamodb:GetItem".
	Action string
	// Access is the catalog's access level: "Read", "Write", "List",
	// "Tagging" or "Permissions management" (two joined with ", " for the
	// few actions classified under two).
	Access string
	// Resources are the resource patterns the action is allowed on, sorted,
	// none covered by another: ARNs with IAM wildcards, "*", or for a
	// NotResource statement "all but " and the patterns it excludes joined
	// with ", ".
	Resources []string
	// Denied are resource patterns within Resources that an explicit deny
	// without conditions takes away.
	Denied []string
	// Conditional reports that conditions limit the action: a statement
	// that allows it has a Condition element or a policy variable Reach
	// cannot resolve, or a conditional deny applies to it.
	Conditional bool
	// Statements are the identity policy statements that allow the action,
	// by policy ID (inline policy name or managed policy ARN) and index.
	Statements []api.Statement
}

// Reach returns what the policies of in let principal do, per service of
// cat, sorted by service prefix. An action is reachable when an identity
// policy allows it on a resource pattern that can name a resource of the
// action's resource types ("*" for actions without any), an unconditional
// explicit deny does not cover that pattern, and the permissions boundary and
// each level of service control policies allow it there too; patterns narrow
// to the intersection with the boundary's and SCPs' patterns. Session
// policies are not part of a principal's own permissions and are ignored.
// Policy variables that describe the principal (aws:username, aws:userid,
// aws:PrincipalAccount, aws:PrincipalArn) are filled from principal; others
// become "*" and mark the action conditional.
func Reach(in policy.SetInput, principal policy.Principal, cat *catalog.Catalog) []ServiceReach {
	r := reacher{cat: cat, vars: variables(principal)}
	allows := map[*catalog.Action][]grant{}
	var denies map[*catalog.Action][]grant
	for _, n := range in.Identity {
		denies = r.add(allows, denies, n, policy.SourceIdentity)
	}
	var filters []map[*catalog.Action][]grant
	if in.Boundary != nil {
		f := map[*catalog.Action][]grant{}
		denies = r.add(f, denies, *in.Boundary, policy.SourceBoundary)
		filters = append(filters, f)
	}
	for _, level := range in.SCPs {
		f := map[*catalog.Action][]grant{}
		for _, n := range level {
			denies = r.add(f, denies, n, policy.SourceSCP)
		}
		filters = append(filters, f)
	}

	// The catalog lists its actions in service and then name order.
	if r.all == nil {
		r.all = cat.MatchActions("*")
	}
	acts := make([]*catalog.Action, 0, len(allows))
	for _, a := range r.all {
		if _, ok := allows[a]; ok {
			acts = append(acts, a)
		}
	}
	var out []ServiceReach
	for _, a := range acts {
		ar, ok := r.action(a, allows[a], denies[a], filters)
		if !ok {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Service != a.Service.Prefix {
			out = append(out, ServiceReach{Service: a.Service.Prefix, Name: a.Service.Name})
		}
		s := &out[len(out)-1]
		s.Actions = append(s.Actions, ar)
	}
	return out
}

// grant is one statement's say about one action.
type grant struct {
	res  []string // resource patterns, variables filled
	not  bool     // res is a NotResource list
	cond bool     // the statement has conditions or unresolved variables
	ref  api.Statement
}

// entry is a resource pattern an action is allowed on while Reach narrows it.
type entry struct {
	pattern string
	except  []string // for NotResource: the patterns excluded
	cond    bool
	ref     int // index of the grant in the action's allows
}

type reacher struct {
	cat  *catalog.Catalog
	vars map[string]string
	all  []*catalog.Action // every action of the catalog, built on first NotAction
}

// add records the statements of n: allows into allow, denies into denies
// (allocated on first use), and returns denies.
func (r *reacher) add(allow map[*catalog.Action][]grant, denies map[*catalog.Action][]grant, n policy.Named, src policy.Source) map[*catalog.Action][]grant {
	if n.Policy == nil {
		return denies
	}
	for _, st := range n.Policy.Statements() {
		g := grant{ref: api.Statement{Policy: n.ID, Sid: st.Sid, Index: st.Index, Effect: st.Effect, Source: src.String()}}
		g.cond = len(st.Condition) > 0
		res := st.Resource
		if st.NotResource != nil {
			res, g.not = st.NotResource, true
		} else if st.Resource == nil {
			res = []string{"*"}
		}
		for _, p := range res {
			v, ok := r.fill(p)
			g.cond = g.cond || !ok
			g.res = append(g.res, v)
		}
		into := allow
		if st.Effect == "Deny" {
			if denies == nil {
				denies = map[*catalog.Action][]grant{}
			}
			into = denies
		}
		for _, a := range r.expand(st) {
			into[a] = append(into[a], g)
		}
	}
	return denies
}

// expand returns the catalog actions a statement's Action or NotAction
// element covers.
func (r *reacher) expand(st policy.Statement) []*catalog.Action {
	if st.NotAction == nil {
		var out []*catalog.Action
		for _, p := range st.Action {
			out = append(out, r.cat.MatchActions(p)...)
		}
		return out
	}
	if r.all == nil {
		r.all = r.cat.MatchActions("*")
	}
	excluded := map[*catalog.Action]bool{}
	for _, p := range st.NotAction {
		for _, a := range r.cat.MatchActions(p) {
			excluded[a] = true
		}
	}
	out := make([]*catalog.Action, 0, len(r.all)-len(excluded))
	for _, a := range r.all {
		if !excluded[a] {
			out = append(out, a)
		}
	}
	return out
}

// action narrows the grants of one action by its resource types, denies
// and filters; ok is false when nothing is left.
func (r *reacher) action(a *catalog.Action, allows, denies []grant, filters []map[*catalog.Action][]grant) (ActionReach, bool) {
	var es []entry
	for i, g := range allows {
		if g.not {
			es = append(es, entry{pattern: "*", except: g.res, cond: g.cond, ref: i})
			continue
		}
		for _, p := range g.res {
			if applies(a, p) {
				es = append(es, entry{pattern: p, cond: g.cond, ref: i})
			}
		}
	}
	for _, f := range filters {
		es = narrow(es, f[a])
	}
	var denied []string
	for _, d := range denies {
		es, denied = deny(es, denied, d)
	}
	if len(es) == 0 {
		return ActionReach{}, false
	}

	ar := ActionReach{Action: a.String(), Access: a.Access.String()}
	refs := map[int]bool{}
	for _, e := range es {
		refs[e.ref] = true
	}
	for _, e := range collapse(es) {
		ar.Conditional = ar.Conditional || e.cond
		switch {
		case e.except != nil && e.pattern == "*":
			ar.Resources = append(ar.Resources, "all but "+strings.Join(e.except, ", "))
		case e.except != nil:
			ar.Resources = append(ar.Resources, e.pattern+" but not "+strings.Join(e.except, ", "))
		default:
			ar.Resources = append(ar.Resources, e.pattern)
		}
	}
	slices.Sort(ar.Resources)
	ar.Resources = slices.Compact(ar.Resources)
	slices.Sort(denied)
	ar.Denied = slices.Compact(denied)
	for i := range allows {
		if refs[i] {
			ar.Statements = append(ar.Statements, allows[i].ref)
		}
	}
	slices.SortFunc(ar.Statements, func(x, y api.Statement) int {
		return cmp.Or(cmp.Compare(x.Policy, y.Policy), cmp.Compare(x.Index, y.Index))
	})
	ar.Statements = slices.Compact(ar.Statements)
	return ar, true
}

// narrow intersects the entries with what a boundary or an SCP level allows.
func narrow(es []entry, allows []grant) []entry {
	var out []entry
	for _, e := range es {
		for _, g := range allows {
			if g.not {
				// The filter allows all but some patterns: the entry stays,
				// less what it excludes.
				if !coveredByAny(g.res, e.pattern) {
					n := e
					n.cond = n.cond || g.cond
					for _, p := range g.res {
						if intersect(p, e.pattern) {
							n.except = append(slices.Clip(n.except), p)
						}
					}
					out = append(out, n)
				}
				continue
			}
			for _, p := range g.res {
				switch {
				case covers(p, e.pattern):
					n := e
					n.cond = n.cond || g.cond
					out = append(out, n)
				case e.except == nil && intersect(p, e.pattern):
					n := e
					n.pattern, n.cond = p, n.cond || g.cond
					if !covers(e.pattern, p) {
						// Neither covers the other: what both allow has no
						// one pattern; the narrower reading is the filter's,
						// under the condition that the names agree.
						n.cond = true
					}
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// deny applies one deny statement to the entries: an unconditional deny
// removes the entries it covers and lists the narrower patterns it takes
// away in denied; a conditional one marks the entries it reaches.
func deny(es []entry, denied []string, d grant) ([]entry, []string) {
	out := es[:0:0]
	for _, e := range es {
		if d.not {
			// Denies everything but d.res: the entry survives only where
			// d.res covers it.
			if d.cond {
				e.cond = true
				out = append(out, e)
				continue
			}
			if e.except == nil && coveredByAny(d.res, e.pattern) {
				out = append(out, e)
				continue
			}
			for _, p := range d.res {
				if e.except == nil && intersect(p, e.pattern) {
					n := e
					n.pattern = p
					out = append(out, n)
				}
			}
			continue
		}
		if d.cond {
			for _, p := range d.res {
				if intersect(p, e.pattern) {
					e.cond = true
					break
				}
			}
			out = append(out, e)
			continue
		}
		if coveredByAny(d.res, e.pattern) {
			continue
		}
		for _, p := range d.res {
			if intersect(p, e.pattern) {
				denied = append(denied, p)
			}
		}
		out = append(out, e)
	}
	return out, denied
}

// collapse drops the entries another entry covers: an unconditional one
// covers any entry its pattern covers, a conditional one only conditional
// entries.
func collapse(es []entry) []entry {
	slices.SortStableFunc(es, func(x, y entry) int {
		return cmp.Or(cmp.Compare(x.pattern, y.pattern), cmp.Compare(len(x.except), len(y.except)))
	})
	var out []entry
	for i, e := range es {
		dominated := false
		for j, o := range es {
			if i == j || o.except != nil || (o.cond && !e.cond) || !covers(o.pattern, e.pattern) {
				continue
			}
			// Of two equal entries keep the first.
			if o.pattern == e.pattern && o.cond == e.cond && e.except == nil && j > i {
				continue
			}
			dominated = true
			break
		}
		if !dominated {
			out = append(out, e)
		}
	}
	return out
}

func coveredByAny(ps []string, p string) bool {
	for _, q := range ps {
		if covers(q, p) {
			return true
		}
	}
	return false
}

// applies reports whether a resource pattern can name a resource the action
// applies to: for an action without resource types only "*" can, as IAM
// evaluates such actions on the resource "*".
func applies(a *catalog.Action, p string) bool {
	if p == "*" {
		return true
	}
	if len(a.Resources) == 0 {
		return strings.Trim(p, "*") == ""
	}
	for _, r := range a.Resources {
		if r.Type != nil && intersect(arnPattern(r.Type.ARN), p) {
			return true
		}
	}
	return false
}

// arnPattern turns a catalog ARN format into a pattern: each ${Variable}
// becomes "*", but ${BucketName} becomes segment, as S3 bucket names hold
// no "/".
func arnPattern(format string) string {
	var b strings.Builder
	for {
		i := strings.Index(format, "${")
		if i < 0 {
			b.WriteString(format)
			return b.String()
		}
		j := strings.IndexByte(format[i:], '}')
		if j < 0 {
			b.WriteString(format)
			return b.String()
		}
		b.WriteString(format[:i])
		if format[i+2:i+j] == "BucketName" {
			b.WriteByte(segment)
		} else {
			b.WriteByte('*')
		}
		format = format[i+j+1:]
	}
}
