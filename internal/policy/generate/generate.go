// Package generate builds least-privilege identity policies from recorded
// authorization decisions, as IAM Access Analyzer's policy generation does
// from CloudTrail (StartPolicyGeneration, GetGeneratedPolicy), with the real
// resource ARNs the principal used in place of Access Analyzer's
// placeholders ("arn:aws:s3:::${BucketName}").
//
// A Generator takes the decisions of one principal a row at a time (Add),
// each row standing for Count decisions, and renders the policy (Result):
//
//   - Denied decisions are skipped: a policy grants what was done.
//   - Allowed actions are grouped by service into statements, actions
//     sorted; actions that were allowed on the same resources share a
//     statement.
//   - Resources are the ARNs authorized. An action the catalog lists with no
//     resource types, or one authorized on "*", gets "*"; so does every
//     action when Placeholders is false, as Access Analyzer answers
//     includeResourcePlaceholders=false.
//   - Many resources under one prefix are collapsed to a wildcard (see
//     Options.CollapseAbove), and each collapse is reported as a Note.
//   - iam:PassRole, recorded as a further check of the call that passed the
//     role, gets Condition StringEquals iam:PassedToService with the service
//     principal of that call.
//   - Calls a service made on the principal's behalf (Lambda writing the
//     function's logs, decrypting its environment, reading its event source)
//     get statements of their own, whose Sid says which service called.
//   - The result is split into several policies when it does not fit the
//     managed policy size limit (MaxPolicySize).
//
// The package is pure: it reads the catalog and writes JSON.
package generate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/catalog"
)

// MaxPolicySize is IAM's limit on a customer managed policy document, in
// characters not counting whitespace (IAM quotas: "Managed policy size").
const MaxPolicySize = 6144

// DefaultCollapseAbove is the default Options.CollapseAbove.
const DefaultCollapseAbove = 10

// Row is one recorded decision, counted: the fields of a store.Access row
// the generator reads.
type Row struct {
	EventSource string // the service called: "lambda.amazonaws.com"
	EventName   string // the operation: "CreateFunction"
	Action      string // "dynamodb:GetItem"
	Resource    string // the ARN authorized, or "*"
	Decision    string // "Allow", "ExplicitDeny" or "ImplicitDeny"
	Extra       bool   // a check beyond the operation's own action (iam:PassRole)
	InvokedBy   string // the service that called on the principal's behalf, else ""
	Count       int64  // how many decisions the row stands for
}

// Options shape the generated policy.
type Options struct {
	// Placeholders names resources (Access Analyzer's
	// includeResourcePlaceholders): true writes the ARNs used, false
	// writes Resource "*" for every action.
	Placeholders bool
	// CollapseAbove: when more than this many distinct resources of one
	// action share a prefix inside one resource name (the objects of one
	// bucket, the log streams of one log group), they are replaced by the
	// prefix followed by "*". The prefix is the longest one, ending in "/"
	// or at the start of the name's last variable part in the catalog's
	// ARN format, that all of them share. 0 means DefaultCollapseAbove;
	// negative never collapses.
	CollapseAbove int
	// ServiceLevel are service prefixes ("sqs") the principal used outside
	// the rows, which Access Analyzer's service-level template
	// (includeServiceLevelTemplate) names from IAM's service last accessed
	// data: each that the rows do not show gets a statement allowing
	// "prefix:*" on "*", Sid "<Service>ServiceLevel1", and a note, to be
	// narrowed to the actions needed.
	ServiceLevel []string
}

// Note explains one choice the generator made that the policy alone does
// not show.
type Note struct {
	// Kind is "collapsed" (resources replaced by a wildcard),
	// "on-behalf" (a statement for calls a service made on the
	// principal's behalf), "passed-to-service" (iam:PassRole limited to
	// the service it was passed to) or "dependent" (an action checked
	// for another one, which the catalog lists as its dependent action).
	Kind     string `json:"kind"`
	Sid      string `json:"sid,omitempty"`
	Action   string `json:"action,omitempty"`
	Resource string `json:"resource,omitempty"`
	Count    int    `json:"count,omitempty"` // resources collapsed
	Message  string `json:"message"`
}

// Result is the generated policy.
type Result struct {
	// Policies are the policy documents, each at most MaxPolicySize
	// characters without whitespace; nil when nothing was allowed.
	Policies []string
	// Notes explain collapses, on-behalf statements and conditions.
	Notes []Note
	// Services are the service prefixes used, sorted.
	Services []string
	// Decisions is the number of allowed decisions the policy covers.
	Decisions int64
}

// use is what makes an allowed action land in one statement group: the
// action, who called, and the service a role was passed to.
type use struct {
	action    string
	invokedBy string
	passedTo  string
}

// useInfo is what the rows of one use said.
type useInfo struct {
	resources map[string]struct{}
	dependent string // an operation's action this one was checked for
}

// Generator accumulates rows. It is not safe for concurrent use.
type Generator struct {
	cat   *catalog.Catalog
	opts  Options
	uses  map[use]*useInfo
	count int64
	// last caches the previous row's use, as rows of one action come in runs.
	lastKey  use
	lastInfo *useInfo
	lastRes  string
}

// New returns a Generator reading actions from cat.
func New(cat *catalog.Catalog, opts Options) *Generator {
	if opts.CollapseAbove == 0 {
		opts.CollapseAbove = DefaultCollapseAbove
	}
	return &Generator{cat: cat, opts: opts, uses: map[use]*useInfo{}}
}

// Add counts one row. Rows that are not allowed are skipped.
func (g *Generator) Add(r Row) {
	if r.Decision != "Allow" || r.Action == "" {
		return
	}
	g.count += r.Count
	k := use{action: r.Action, invokedBy: r.InvokedBy}
	if r.Extra && strings.EqualFold(r.Action, "iam:PassRole") {
		k.passedTo = r.EventSource
	}
	info := g.lastInfo
	if info == nil || k != g.lastKey {
		info = g.uses[k]
		if info == nil {
			info = &useInfo{resources: map[string]struct{}{}}
			g.uses[k] = info
		}
		g.lastKey, g.lastInfo, g.lastRes = k, info, ""
	}
	if r.Resource != g.lastRes {
		info.resources[r.Resource] = struct{}{}
		g.lastRes = r.Resource
	}
	if r.Extra && info.dependent == "" {
		info.dependent = operationAction(r.EventSource, r.EventName)
	}
}

// operationAction is the IAM action an operation is usually authorized
// with: the event source's prefix and the event name.
func operationAction(source, name string) string {
	prefix, _, _ := strings.Cut(source, ".")
	if prefix == "" || name == "" {
		return ""
	}
	return prefix + ":" + name
}

// statement is one statement being built.
type statement struct {
	service   string
	invokedBy string
	passedTo  string
	// serviceLevel marks a service-level template statement.
	serviceLevel bool
	actions      []string
	resources    []string
}

// Result renders the policy of the rows added so far.
func (g *Generator) Result() Result {
	res := Result{Decisions: g.count}
	services := map[string]bool{}
	// Resources per use, then statements per (service, caller, passedTo,
	// resource list).
	type groupKey struct {
		service, invokedBy, passedTo, resources string
	}
	groups := map[groupKey]*statement{}
	var order []groupKey
	for k, info := range g.uses {
		svc, _, _ := strings.Cut(k.action, ":")
		svc = strings.ToLower(svc)
		services[svc] = true
		rs, notes := g.resources(k.action, k.invokedBy, info.resources)
		res.Notes = append(res.Notes, notes...)
		if k.passedTo != "" {
			res.Notes = append(res.Notes, Note{Kind: "passed-to-service", Action: k.action,
				Message: fmt.Sprintf("%s is limited with iam:PassedToService to %s, the service the role was passed to.", k.action, k.passedTo)})
		}
		if d := info.dependent; d != "" {
			msg := fmt.Sprintf("%s was checked as a further permission when %s was called.", k.action, d)
			if g.isDependent(d, k.action) {
				msg += " The service authorization reference lists it as a dependent action of " + d + "."
			}
			res.Notes = append(res.Notes, Note{Kind: "dependent", Action: k.action, Message: msg})
		}
		gk := groupKey{svc, k.invokedBy, k.passedTo, strings.Join(rs, "\x00")}
		st := groups[gk]
		if st == nil {
			st = &statement{service: svc, invokedBy: k.invokedBy, passedTo: k.passedTo, resources: rs}
			groups[gk] = st
			order = append(order, gk)
		}
		st.actions = append(st.actions, k.action)
	}
	stmts := make([]*statement, 0, len(order))
	for _, gk := range order {
		st := groups[gk]
		slices.Sort(st.actions)
		stmts = append(stmts, st)
	}
	slices.SortFunc(stmts, func(a, b *statement) int {
		if c := strings.Compare(a.invokedBy, b.invokedBy); c != 0 {
			return c
		}
		if c := strings.Compare(a.service, b.service); c != 0 {
			return c
		}
		return strings.Compare(a.actions[0], b.actions[0])
	})
	for _, svc := range g.opts.ServiceLevel {
		if svc = strings.ToLower(svc); services[svc] {
			continue
		}
		services[svc] = true
		stmts = append(stmts, &statement{service: svc, serviceLevel: true, actions: []string{svc + ":*"}, resources: []string{"*"}})
	}
	res.Policies, res.Notes = render(stmts, res.Notes)
	for s := range services {
		res.Services = append(res.Services, s)
	}
	slices.Sort(res.Services)
	slices.SortStableFunc(res.Notes, func(a, b Note) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Action, b.Action); c != 0 {
			return c
		}
		return strings.Compare(a.Resource, b.Resource)
	})
	return res
}

// Resources returns the resources the generated policy names for action
// (any case), whoever called for the principal: the union of its
// statements' Resource lists, sorted; nil when the rows added show no
// allowed use of it.
func (g *Generator) Resources(action string) []string {
	var out []string
	for k, info := range g.uses {
		if strings.EqualFold(k.action, action) {
			rs, _ := g.resources(k.action, k.invokedBy, info.resources)
			out = append(out, rs...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isDependent reports whether the catalog lists dep as a dependent action
// of op.
func (g *Generator) isDependent(op, dep string) bool {
	a := g.cat.Action(op)
	if a == nil {
		return false
	}
	has := func(list []string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, dep) })
	}
	if has(a.DependentActions) {
		return true
	}
	for _, r := range a.Resources {
		if has(r.DependentActions) {
			return true
		}
	}
	return false
}

// resources returns the Resource list of action, sorted, with the notes of
// its collapses.
func (g *Generator) resources(action, invokedBy string, used map[string]struct{}) ([]string, []Note) {
	a := g.cat.Action(action)
	if !g.opts.Placeholders || (a != nil && len(a.Resources) == 0) {
		return []string{"*"}, nil
	}
	if _, ok := used["*"]; ok || len(used) == 0 {
		return []string{"*"}, nil
	}
	arns := make([]string, 0, len(used))
	for r := range used {
		arns = append(arns, literal(r))
	}
	slices.Sort(arns)
	var notes []Note
	if invokedBy != "" {
		arns, notes = serviceStreams(action, invokedBy, arns)
	}
	if g.opts.CollapseAbove < 0 || a == nil {
		return arns, notes
	}
	arns, more := collapse(a, arns, g.opts.CollapseAbove)
	return arns, append(notes, more...)
}

// serviceStreams writes the log streams a service wrote on the
// principal's behalf as the log group's streams: Lambda names each
// execution environment's stream itself ("2026/11/30/[$LATEST]<id>"), so
// the streams the trail shows stand for every stream it will create in
// that log group.
func serviceStreams(action, invokedBy string, arns []string) ([]string, []Note) {
	var out []string
	var notes []Note
	groups := map[string]int{}
	for _, arn := range arns {
		i := strings.Index(arn, ":log-stream:")
		if i < 0 || !strings.HasPrefix(arn, "arn:aws:logs:") {
			out = append(out, arn)
			continue
		}
		w := arn[:i] + ":log-stream:*"
		if groups[w] == 0 {
			out = append(out, w)
		}
		groups[w]++
	}
	for _, w := range out {
		if n := groups[w]; n > 0 {
			notes = append(notes, Note{Kind: "collapsed", Action: action, Resource: w, Count: n,
				Message: fmt.Sprintf("%s names its own log streams: the %d stream(s) it wrote for %s are written as %s.", invokedBy, n, action, w)})
		}
	}
	slices.Sort(out)
	return out, notes
}

// literal writes a resource name the trail recorded so that a policy
// matches that name only: the characters a policy reads as wildcards or
// as the start of a variable (*, ?, ${) are written as the policy
// variables that stand for them (${*}, ${?}, ${$}), as IAM's policy
// grammar of version 2012-10-17 defines.
func literal(arn string) string {
	if !strings.ContainsAny(arn, "*?$") {
		return arn
	}
	var b strings.Builder
	for i := 0; i < len(arn); i++ {
		switch c := arn[i]; {
		case c == '*' || c == '?':
			b.WriteString("${" + string(c) + "}")
		case c == '$' && i+1 < len(arn) && arn[i+1] == '{':
			b.WriteString("${$}")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
