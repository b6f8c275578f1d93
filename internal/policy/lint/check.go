package lint

// The custom policy checks answer PASS only when they can prove it. The
// rules, all conservative (a FAIL may be a policy that in fact grants
// nothing new; a PASS never is):
//
// CheckNoNewAccess passes when every Allow statement of the new policy is
// covered by one Allow statement of the existing policy, or each pair of
// one of its actions and one of its resources is, and every Deny
// statement of the existing policy is kept by one Deny statement of the
// new policy. Statement E covers statement N when:
//   - actions: every action N names, its wildcards expanded with the
//     catalog, is one E names; with NotAction, E's excluded actions are a
//     subset of N's excluded actions (E with Action "*" excludes none);
//   - resources: every resource pattern of N is contained in a pattern of
//     E (a * in N only under a * in E); NotResource likewise by exclusion;
//   - principals (resource policies): every principal of N is contained in
//     one of E of the same type, or E names "*"; NotPrincipal only when the
//     two NotPrincipal elements are the same;
//   - conditions: the same or weaker conditions on E: each condition of E
//     appears in N with the same operator and key, and N's values are a
//     subset of E's (contained patterns for Like operators) for operators
//     that grant on a match, the same values for negated operators,
//     ForAllValues, Null and IfExists.
//
// A Deny statement D of the existing policy is kept by a Deny statement K
// of the new one when K covers D by the same rules: K applies to every
// request D applies to.
//
// CheckAccessNotGranted fails when any Allow statement could grant one of
// the listed actions on one of the listed resources, ignoring its
// conditions and any Deny (either may not apply to a request).
//
// CheckNoPublicAccess fails when an Allow statement names every principal
// ("*", {"AWS":"*"}, a wildcard in an account, or NotPrincipal) without a
// condition that pins it to known accounts, organizations, networks or
// sources: a key of nonPublicKeys with an operator that grants on a match
// (not IfExists, not ForAllValues, not negated) and values without
// wildcards.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

// Results of the custom policy checks.
const (
	Pass = "PASS"
	Fail = "FAIL"
)

// A CheckResult is the answer of a custom policy check.
type CheckResult struct {
	Result  string   `json:"result"`
	Message string   `json:"message"`
	Reasons []Reason `json:"reasons"`
}

// A Reason is one statement that made a check fail (ReasonSummary).
type Reason struct {
	Description    string `json:"description"`
	StatementIndex *int   `json:"statementIndex,omitempty"`
	StatementID    string `json:"statementId,omitempty"`
}

// A PolicyError is input the checks cannot read: a document, or an
// action no service has.
type PolicyError struct{ Msg string }

func (e *PolicyError) Error() string { return e.Msg }

// parseFor parses doc as a policy of the custom checks' policyType.
func parseFor(doc, policyType string) (*policy.Policy, error) {
	kinds := []policy.Kind{policy.Identity}
	if policyType == ResourcePolicy {
		kinds = []policy.Kind{policy.Resource, policy.Trust}
	}
	var first error
	for _, k := range kinds {
		p, err := policy.Parse(doc, k)
		if err == nil {
			return p, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, &PolicyError{Msg: "The policy document is not valid: " + first.Error()}
}

func reason(desc string, st *policy.Statement) Reason {
	i := st.Index
	return Reason{Description: fmt.Sprintf("%s %d.", desc, i), StatementIndex: &i, StatementID: st.Sid}
}

// CheckNoNewAccess reports whether newDoc grants access existingDoc does
// not, as Access Analyzer's CheckNoNewAccess; policyType is
// IDENTITY_POLICY or RESOURCE_POLICY.
func CheckNoNewAccess(existingDoc, newDoc, policyType string) (CheckResult, error) {
	old, err := parseFor(existingDoc, policyType)
	if err != nil {
		return CheckResult{}, err
	}
	cur, err := parseFor(newDoc, policyType)
	if err != nil {
		return CheckResult{}, err
	}
	if old.Version() != cur.Version() && (strings.Contains(existingDoc, "${") || strings.Contains(newDoc, "${")) {
		// Policy variables are text in one version and variables in the
		// other: the same text means different things.
		return CheckResult{Result: Fail, Message: "The modified permissions grant new access compared to your existing policy.",
			Reasons: []Reason{{Description: "The policies use policy variables under different policy language versions."}}}, nil
	}
	c := catalog.Load()
	olds, news := old.Statements(), cur.Statements()
	res := CheckResult{Result: Pass, Message: "The modified permissions do not grant new access compared to your existing policy.", Reasons: []Reason{}}
	for i := range news {
		n := &news[i]
		if n.Effect != "Allow" {
			continue
		}
		if !allowCovered(c, olds, n) {
			res.Reasons = append(res.Reasons, reason("New access in the statement with index:", n))
		}
	}
	for i := range olds {
		d := &olds[i]
		if d.Effect != "Deny" {
			continue
		}
		if !slices.ContainsFunc(news, func(k policy.Statement) bool { return k.Effect == "Deny" && stmtCovers(c, &k, d) }) {
			r := reason("New access from the removed or narrowed Deny statement of the existing policy with index:", d)
			res.Reasons = append(res.Reasons, r)
		}
	}
	if len(res.Reasons) > 0 {
		res.Result, res.Message = Fail, "The modified permissions grant new access compared to your existing policy."
	}
	return res, nil
}

// maxPairs bounds the (action, resource) pairs allowCovered splits a
// statement into.
const maxPairs = 4096

// allowCovered reports whether the Allow statements of olds cover the
// Allow statement n: one of them covers it whole, or each pair of one of
// n's actions and one of its resources is covered by one of them. The
// entries of Action and of Resource are alternatives, so n allows exactly
// what its pairs, each with n's other elements, allow together.
func allowCovered(c *catalog.Catalog, olds []policy.Statement, n *policy.Statement) bool {
	covered := func(s *policy.Statement) bool {
		return slices.ContainsFunc(olds, func(e policy.Statement) bool { return e.Effect == "Allow" && stmtCovers(c, &e, s) })
	}
	if covered(n) {
		return true
	}
	resources := [][]string{n.Resource}
	if len(n.Resource) > 1 {
		resources = resources[:0]
		for _, r := range n.Resource {
			resources = append(resources, []string{r})
		}
	}
	if len(n.Action) == 0 || len(n.Action)*len(resources) < 2 || len(n.Action)*len(resources) > maxPairs {
		return false
	}
	for _, a := range n.Action {
		for _, r := range resources {
			part := *n
			part.Action, part.Resource = []string{a}, r
			if !covered(&part) {
				return false
			}
		}
	}
	return true
}

// stmtCovers reports whether statement e covers everything statement n
// applies to (see the rules above).
func stmtCovers(c *catalog.Catalog, e, n *policy.Statement) bool {
	if !actionsCover(c, e, n) || !patternsCover(e.Resource, e.NotResource, n.Resource, n.NotResource, false) {
		return false
	}
	if !principalsCover(e, n) {
		return false
	}
	return conditionsCover(e.Condition, n.Condition)
}

// actionsCover compares the Action/NotAction of two statements.
func actionsCover(c *catalog.Catalog, e, n *policy.Statement) bool {
	if len(e.Action) > 0 && slices.Contains(e.Action, "*") {
		return true
	}
	switch {
	case len(n.Action) > 0 && len(e.Action) > 0:
		for _, a := range n.Action {
			if a == "*" || !actionCovered(c, e.Action, a) {
				return false
			}
		}
		return true
	case len(n.Action) > 0: // e has NotAction: n's actions must all be outside it
		for _, a := range n.Action {
			if a == "*" {
				return false
			}
			for _, act := range expand(c, a) {
				if slices.ContainsFunc(e.NotAction, func(x string) bool { return overlap(x, act, true) }) {
					return false
				}
			}
		}
		return true
	case len(e.NotAction) > 0: // both NotAction: e must exclude no more than n
		for _, x := range e.NotAction {
			for _, act := range expand(c, x) {
				if !slices.ContainsFunc(n.NotAction, func(y string) bool { return covers(y, act, true) }) {
					return false
				}
			}
		}
		return true
	}
	return false // n has NotAction, e lists actions
}

// expand returns the actions a pattern names: the catalog's matches, or the
// pattern itself when the catalog knows none (compared then as text).
func expand(c *catalog.Catalog, pattern string) []string {
	acts := c.MatchActions(pattern)
	if len(acts) == 0 {
		return []string{pattern}
	}
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = a.String()
	}
	return out
}

// actionCovered reports whether every action pattern a names is named by
// one of patterns: the pattern itself is contained, or each action the
// catalog expands it to is.
func actionCovered(c *catalog.Catalog, patterns []string, a string) bool {
	if slices.ContainsFunc(patterns, func(p string) bool { return covers(p, a, true) }) {
		return true
	}
	if !strings.ContainsAny(a, "*?") {
		return false
	}
	acts := c.MatchActions(a)
	if len(acts) == 0 {
		return false
	}
	for _, act := range acts {
		if !slices.ContainsFunc(patterns, func(p string) bool { return covers(p, act.String(), true) }) {
			return false
		}
	}
	return true
}

// patternsCover compares a positive/negative pair of pattern lists
// (Resource/NotResource) of e and n. fold ignores case.
func patternsCover(eIn, eNot, nIn, nNot []string, fold bool) bool {
	if slices.Contains(eIn, "*") {
		return true
	}
	switch {
	case len(nIn) > 0 && len(eIn) > 0:
		for _, r := range nIn {
			if !slices.ContainsFunc(eIn, func(p string) bool { return textCovers(p, r, fold) }) {
				return false
			}
		}
		return true
	case len(nIn) > 0 && len(eNot) > 0:
		for _, r := range nIn {
			for _, x := range eNot {
				if overlap(x, r, fold) {
					return false
				}
			}
		}
		return true
	case len(nNot) > 0 && len(eNot) > 0:
		for _, x := range eNot {
			if !slices.ContainsFunc(nNot, func(y string) bool { return textCovers(y, x, fold) }) {
				return false
			}
		}
		return true
	case len(nIn) == 0 && len(nNot) == 0 && len(eIn) == 0 && len(eNot) == 0:
		return true // trust policies: no resources at all
	}
	return false
}

// overlap reports whether two patterns may match a common string; it
// answers true whenever it cannot rule it out. A policy variable may
// resolve to anything, so it counts as a *.
func overlap(p, q string, fold bool) bool {
	p, q = varsAsStar(p), varsAsStar(q)
	switch {
	case !strings.ContainsAny(q, "*?"):
		return covers(p, q, fold)
	case !strings.ContainsAny(p, "*?"):
		return covers(q, p, fold)
	case covers(p, q, fold) || covers(q, p, fold):
		return true
	}
	// Different literal prefixes before any wildcard cannot meet.
	lp, lq := literalPrefix(p), literalPrefix(q)
	if fold {
		lp, lq = strings.ToLower(lp), strings.ToLower(lq)
	}
	return strings.HasPrefix(lp, lq) || strings.HasPrefix(lq, lp)
}

// varsAsStar replaces each policy variable ${...} of s with *.
func varsAsStar(s string) string {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return s
		}
		s = s[:i] + "*" + s[i+j+1:]
	}
}

func literalPrefix(s string) string {
	if i := strings.IndexAny(s, "*?"); i >= 0 {
		return s[:i]
	}
	return s
}

// principalsCover compares the Principal/NotPrincipal of two statements.
// A bare "*" covers every principal; {"AWS":"*"} every AWS principal.
func principalsCover(e, n *policy.Statement) bool {
	switch {
	case e.Principal == nil && e.NotPrincipal == nil:
		return n.Principal == nil && n.NotPrincipal == nil
	case e.NotPrincipal != nil || n.NotPrincipal != nil:
		return fmt.Sprint(e.NotPrincipal) == fmt.Sprint(n.NotPrincipal) && e.Principal == nil && n.Principal == nil
	case slices.Contains(e.Principal["*"], "*"):
		return true
	}
	for typ, vals := range n.Principal {
		for _, v := range vals {
			if !slices.ContainsFunc(e.Principal[typ], func(p string) bool { return p == "*" || textCovers(p, v, typ == "Service") }) {
				return false
			}
		}
	}
	return true
}

// textCovers is covers for patterns that may hold policy variables: a
// pattern with a variable (${aws:username}, ${*}) covers only the same
// text, which resolves alike in both policies. A variable of q resolves
// to a value, not to its own text, and may be any string, so it is
// covered only as a * would be.
func textCovers(p, q string, fold bool) bool {
	if strings.Contains(p, "${") {
		if fold {
			return strings.EqualFold(p, q)
		}
		return p == q
	}
	return covers(p, varsAsStar(q), fold)
}

// conditionsCover reports whether conditions weak are the same as or
// weaker than strong: each of weak appears in strong, no broader.
func conditionsCover(weak, strong []policy.Condition) bool {
	for _, w := range weak {
		if !slices.ContainsFunc(strong, func(s policy.Condition) bool { return conditionNarrower(w, s) }) {
			return false
		}
	}
	return true
}

// conditionNarrower reports whether condition s matches only requests
// condition w matches.
func conditionNarrower(w, s policy.Condition) bool {
	if w.Operator != s.Operator || !strings.EqualFold(w.Key, s.Key) {
		return false
	}
	qual, base, ifExists, _ := operator(w.Operator)
	if qual == "ForAllValues" || ifExists || base == "Null" || strings.Contains(base, "Not") {
		return sameSet(w.Values, s.Values)
	}
	like := strings.HasSuffix(base, "Like")
	fold := strings.HasSuffix(base, "IgnoreCase")
	for _, v := range s.Values {
		if !slices.ContainsFunc(w.Values, func(x string) bool {
			if like {
				return textCovers(x, v, false)
			}
			if fold {
				return strings.EqualFold(x, v)
			}
			return x == v
		}) {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// Access is what CheckAccessNotGranted asks about: actions and resources,
// either list may be empty (any), not both.
type Access struct {
	Actions   []string `json:"actions"`
	Resources []string `json:"resources"`
}

// CheckAccessNotGranted reports whether doc could grant any of the
// actions on any of the resources of access, as Access Analyzer's
// CheckAccessNotGranted.
func CheckAccessNotGranted(doc string, access []Access, policyType string) (CheckResult, error) {
	p, err := parseFor(doc, policyType)
	if err != nil {
		return CheckResult{}, err
	}
	// An action no service has is never granted: checking for it would
	// pass whatever the policy says.
	c := catalog.Load()
	for _, a := range access {
		for _, act := range a.Actions {
			if len(c.MatchActions(act)) == 0 {
				return CheckResult{}, &PolicyError{Msg: "The action " + act + " does not exist."}
			}
		}
	}
	res := CheckResult{Result: Pass, Message: "The policy document does not grant access to perform the listed actions or resources.", Reasons: []Reason{}}
	sts := p.Statements()
	for i := range sts {
		st := &sts[i]
		if st.Effect != "Allow" {
			continue
		}
		if slices.ContainsFunc(access, func(a Access) bool { return grants(st, a) }) {
			res.Reasons = append(res.Reasons, reason("One or more of the listed actions or resources in the statement with index:", st))
		}
	}
	if len(res.Reasons) > 0 {
		res.Result, res.Message = Fail, "The policy document grants access to perform one or more of the listed actions or resources."
	}
	return res, nil
}

// grants reports whether st may allow one of a's actions on one of its
// resources, conditions aside.
func grants(st *policy.Statement, a Access) bool {
	actionOK := len(a.Actions) == 0
	for _, act := range a.Actions {
		if matchesList(st.Action, st.NotAction, act, true) {
			actionOK = true
		}
	}
	if !actionOK {
		return false
	}
	if len(a.Resources) == 0 || (len(st.Resource) == 0 && len(st.NotResource) == 0) {
		return true
	}
	for _, r := range a.Resources {
		if matchesList(st.Resource, st.NotResource, r, false) {
			return true
		}
	}
	return false
}

// matchesList reports whether pattern x may meet the element in (or, for
// not, fall outside it).
func matchesList(in, not []string, x string, fold bool) bool {
	if len(not) > 0 {
		return !slices.ContainsFunc(not, func(p string) bool { return covers(p, x, fold) })
	}
	return slices.ContainsFunc(in, func(p string) bool { return overlap(p, x, fold) })
}

// nonPublicKeys are the condition keys that, with fixed values, limit a
// statement naming every principal to known accounts, organizations,
// networks or calling resources, so that it is not public (the keys IAM
// Access Analyzer and S3 Block Public Access treat as restricting).
var nonPublicKeys = []string{
	"aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
	"aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID", "aws:SourceOrgPaths",
	"aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp", "aws:userid", "aws:PrincipalServiceName",
	"kms:CallerAccount", "s3:DataAccessPointAccount", "s3:DataAccessPointArn",
	"sns:Endpoint",
}

// CheckNoPublicAccess reports whether the resource policy doc grants
// public access to a resource of resourceType, as Access Analyzer's
// CheckNoPublicAccess.
func CheckNoPublicAccess(doc, resourceType string) (CheckResult, error) {
	kind := policy.Resource
	if resourceType == TrustPolicyResourceType {
		kind = policy.Trust
	}
	p, err := policy.Parse(doc, kind)
	if err != nil {
		return CheckResult{}, &PolicyError{Msg: "The policy document is not valid: " + err.Error()}
	}
	res := CheckResult{Result: Pass, Message: "The resource policy does not grant public access for the given resource type.", Reasons: []Reason{}}
	sts := p.Statements()
	for i := range sts {
		st := &sts[i]
		if st.Effect == "Allow" && everyone(st) && !restricted(st.Condition) {
			res.Reasons = append(res.Reasons, reason("Public access granted in the following statement with index:", st))
		}
	}
	if len(res.Reasons) > 0 {
		res.Result, res.Message = Fail, "The resource policy grants public access for the given resource type."
	}
	return res, nil
}

// everyone reports whether a statement names any principal at all.
func everyone(st *policy.Statement) bool {
	if st.NotPrincipal != nil {
		return true
	}
	for typ, vals := range st.Principal {
		if typ == "Service" {
			continue
		}
		for _, v := range vals {
			if v == "*" || strings.ContainsAny(v, "*?") {
				return true
			}
		}
	}
	return false
}

// restricted reports whether conditions pin a statement to known callers.
func restricted(conds []policy.Condition) bool {
	for _, c := range conds {
		// ForAllValues is true for a caller without the key at all.
		qual, base, ifExists, _ := operator(c.Operator)
		if ifExists || qual == "ForAllValues" || strings.Contains(base, "Not") || base == "Null" || len(c.Values) == 0 {
			continue
		}
		if !slices.ContainsFunc(nonPublicKeys, func(k string) bool { return strings.EqualFold(k, c.Key) }) {
			continue
		}
		if slices.ContainsFunc(c.Values, func(v string) bool { return wideValue(c.Key, v) }) {
			continue
		}
		return true
	}
	return false
}

// wideValue reports whether a condition value still admits anyone: a
// wildcard, a policy variable (no fixed value: it resolves per request),
// or an address range of the whole internet.
func wideValue(key, v string) bool {
	if strings.Contains(v, "${") {
		return true
	}
	if strings.EqualFold(key, "aws:SourceIp") {
		return v == "0.0.0.0/0" || v == "::/0" || strings.HasSuffix(v, "/0")
	}
	return strings.ContainsAny(v, "*?") || v == ""
}
