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
// cat, sorted by service prefix. Slices of the result may be shared
// between actions: callers must not modify them. An action is reachable when an identity
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
	return reach(in, principal, cat, "")
}

// ReachService is Reach for the one service whose action prefix is
// prefix ("s3", case-insensitive), computed without the catalog's other
// services: nil when the catalog has no such service or the policies
// allow none of its actions.
func ReachService(in policy.SetInput, principal policy.Principal, cat *catalog.Catalog, prefix string) *ServiceReach {
	svc := cat.Service(prefix)
	if svc == nil {
		return nil
	}
	out := reach(in, principal, cat, svc.Prefix)
	if len(out) == 0 {
		return nil
	}
	return &out[0]
}

// reach is Reach for every service of cat, or for the service of the
// prefix only when only is not "".
func reach(in policy.SetInput, principal policy.Principal, cat *catalog.Catalog, only string) []ServiceReach {
	r := reacher{cat: cat, vars: variables(principal), star: []string{"*"}, only: only}
	var allows, denies table
	for _, n := range in.Identity {
		r.add(&allows, &denies, n, policy.SourceIdentity)
	}
	var filters []*table
	if in.Boundary != nil {
		f := &table{}
		r.add(f, &denies, *in.Boundary, policy.SourceBoundary)
		filters = append(filters, f)
	}
	for _, level := range in.SCPs {
		f := &table{}
		for _, n := range level {
			r.add(f, &denies, n, policy.SourceSCP)
		}
		filters = append(filters, f)
	}

	var out []ServiceReach
	var allowBuf, denyBuf []grant
	filterBufs := make([][]grant, len(filters))
	// The catalog lists its services by prefix, and their actions by name.
	services := cat.Services()
	if only != "" {
		services = []*catalog.Service{cat.Service(only)}
	}
	for _, svc := range services {
		var sr *ServiceReach
		for _, a := range svc.Actions {
			if allowBuf = allows.of(a, allowBuf[:0]); len(allowBuf) == 0 {
				continue
			}
			denyBuf = denies.of(a, denyBuf[:0])
			for i, f := range filters {
				filterBufs[i] = f.of(a, filterBufs[i][:0])
			}
			ar, ok := r.action(a, allowBuf, denyBuf, filterBufs)
			if !ok {
				continue
			}
			if sr == nil {
				out = append(out, ServiceReach{Service: svc.Prefix, Name: svc.Name})
				sr = &out[len(out)-1]
			}
			sr.Actions = append(sr.Actions, ar)
		}
	}
	return out
}

// grant is one statement's say about one action.
type grant struct {
	res  []string // resource patterns, variables filled
	not  bool     // res is a NotResource list
	cond bool     // the statement has conditions or unresolved variables
	ref  api.Statement
	refs []api.Statement // ref alone, shared by the actions it grants
}

// table holds the statements of one kind (allows, denies, or the allows
// of a boundary or SCP level) by the actions they apply to.
type table struct {
	grants []grant
	// wild are the statements that apply to every action ("*"), or to
	// every action but those a NotAction names (except).
	wild []wildGrant
	// some are the other statements, by action: indexes into grants.
	some map[*catalog.Action][]int32
}

type wildGrant struct {
	g      int32
	except map[*catalog.Action]bool
}

// of appends the grants that apply to a to buf.
func (t *table) of(a *catalog.Action, buf []grant) []grant {
	for _, w := range t.wild {
		if !w.except[a] {
			buf = append(buf, t.grants[w.g])
		}
	}
	for _, i := range t.some[a] {
		buf = append(buf, t.grants[i])
	}
	return buf
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
	es   []entry  // reused by action
	star []string // ["*"], shared by the actions granted on every resource
	lvls map[catalog.Access]string
	// only is the one service prefix computed, "" for all.
	only string
}

// matchActions returns the actions of the catalog an Action or NotAction
// entry names, those of the service computed only when there is one.
func (r *reacher) matchActions(p string) []*catalog.Action {
	if r.only != "" {
		if svc, _, ok := strings.Cut(p, ":"); ok && !strings.ContainsAny(svc, "*?") && !strings.EqualFold(svc, r.only) {
			return nil
		}
	}
	return r.cat.MatchActions(p)
}

// access returns the name of an access level, computed once per level.
func (r *reacher) access(a catalog.Access) string {
	s, ok := r.lvls[a]
	if !ok {
		if r.lvls == nil {
			r.lvls = map[catalog.Access]string{}
		}
		s = a.String()
		r.lvls[a] = s
	}
	return s
}

// add records the statements of n: allows into allow, denies into deny.
func (r *reacher) add(allow, deny *table, n policy.Named, src policy.Source) {
	if n.Policy == nil {
		return
	}
	for _, st := range n.Policy.Statements() {
		g := grant{ref: api.Statement{Policy: n.ID, Sid: st.Sid, Index: st.Index, Effect: st.Effect, Source: src.String()}}
		g.cond = len(st.Condition) > 0
		g.refs = []api.Statement{g.ref}
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
		t := allow
		if st.Effect == "Deny" {
			t = deny
		}
		i := int32(len(t.grants))
		t.grants = append(t.grants, g)
		switch {
		case st.NotAction != nil:
			except := map[*catalog.Action]bool{}
			for _, p := range st.NotAction {
				for _, a := range r.matchActions(p) {
					except[a] = true
				}
			}
			t.wild = append(t.wild, wildGrant{g: i, except: except})
		case slices.ContainsFunc(st.Action, everything):
			t.wild = append(t.wild, wildGrant{g: i})
		default:
			if t.some == nil {
				t.some = map[*catalog.Action][]int32{}
			}
			seen := map[*catalog.Action]bool{}
			for _, p := range st.Action {
				for _, a := range r.matchActions(p) {
					if !seen[a] {
						seen[a] = true
						t.some[a] = append(t.some[a], i)
					}
				}
			}
		}
	}
}

// everything reports whether an Action entry matches every action: "*"
// or "*:*" and the like.
func everything(p string) bool {
	svc, name, ok := strings.Cut(p, ":")
	return strings.Trim(p, "*") == "" || ok && strings.Trim(svc, "*") == "" && svc != "" && strings.Trim(name, "*") == "" && name != ""
}

// action narrows the grants of one action by its resource types, denies
// and filters; ok is false when nothing is left.
func (r *reacher) action(a *catalog.Action, allows, denies []grant, filters [][]grant) (ActionReach, bool) {
	if len(allows) == 1 && len(denies) == 0 && len(filters) == 0 && !allows[0].not && len(allows[0].res) == 1 && allows[0].res[0] == "*" {
		// The common case of a statement granting the action on "*".
		return ActionReach{Action: a.String(), Access: r.access(a.Access), Resources: r.star,
			Conditional: allows[0].cond, Statements: allows[0].refs}, true
	}
	es := r.es[:0]
	defer func() { r.es = es[:0] }()
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
		es = narrow(es, f)
	}
	var denied []string
	for _, d := range denies {
		es, denied = deny(es, denied, d)
	}
	if len(es) == 0 {
		return ActionReach{}, false
	}

	ar := ActionReach{Action: a.String(), Access: r.access(a.Access)}
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
