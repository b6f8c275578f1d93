package policy_test

// This file holds a deliberately simple reference evaluator for IAM policies.
// It works on the raw JSON of the documents (map[string]any), follows the
// text of AWS's documentation step by step, and trades every bit of speed
// for being easy to check by reading: straight loops, a regular expression
// per wildcard comparison, no indexes and no caching. The fuzz and
// differential tests compare policy.Evaluate with it.
//
// The pages it follows:
//   - reference_policies_evaluation-logic.html (the decision order)
//   - reference_policies_evaluation-logic-cross-account.html
//   - reference_policies_elements_condition_operators.html
//   - reference_policies_condition-single-vs-multi-valued-context-keys.html
//   - reference_policies_variables.html

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// authCase is one authorization question with every policy that applies, in
// a form that the reference evaluator, policy.Evaluate and the external
// oracle can all be fed from. Policies are JSON documents.
type authCase struct {
	Identity []string   `json:"identity,omitempty"`
	Boundary string     `json:"boundary,omitempty"` // "" when there is none
	Session  []string   `json:"session,omitempty"`  // empty when there is none
	SCPs     [][]string `json:"scps,omitempty"`     // one list per level, root first
	Resource string     `json:"resourcePolicy,omitempty"`
	Req      refRequest `json:"request"`
}

// refRequest is the request side of an authCase.
type refRequest struct {
	PrincipalType    string   `json:"principalType"` // AssumedRole, Role, User, FederatedUser
	PrincipalARN     string   `json:"principalArn"`
	PrincipalAccount string   `json:"principalAccount"`
	RoleARN          string   `json:"roleArn,omitempty"`
	Action           string   `json:"action"`
	Resource         string   `json:"resource"`
	ResourceAccount  string   `json:"resourceAccount,omitempty"` // "" means the principal's account
	Context          []refKey `json:"context,omitempty"`
}

// refKey is one condition key of the request context.
type refKey struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
	Multi  bool     `json:"multi,omitempty"`
}

// Effects, spelled as policy.Effect's String method spells them.
const (
	refAllow        = "Allow"
	refImplicitDeny = "ImplicitDeny"
	refExplicitDeny = "ExplicitDeny"
)

// refEvaluate answers c with AWS's policy evaluation logic
// (reference_policies_evaluation-logic.html, "Determining whether a request
// is allowed or denied within an account", and the cross-account page).
func refEvaluate(c authCase) (string, error) {
	identity, err := refDocs(c.Identity)
	if err != nil {
		return "", err
	}
	session, err := refDocs(c.Session)
	if err != nil {
		return "", err
	}
	var boundary []map[string]any
	if c.Boundary != "" {
		if boundary, err = refDocs([]string{c.Boundary}); err != nil {
			return "", err
		}
	}
	var scps [][]map[string]any
	for _, level := range c.SCPs {
		docs, err := refDocs(level)
		if err != nil {
			return "", err
		}
		scps = append(scps, docs)
	}
	var resource map[string]any
	if c.Resource != "" {
		docs, err := refDocs([]string{c.Resource})
		if err != nil {
			return "", err
		}
		resource = docs[0]
	}
	r := &c.Req

	// "Deny evaluation: By default, all requests are denied. [...] the
	// enforcement code evaluates all policies within the account that apply
	// to the request. [...] If the code finds even one explicit deny that
	// applies, the code returns a final decision of Deny."
	all := [][]map[string]any{identity, boundary, session}
	all = append(all, scps...)
	for _, docs := range all {
		if refAnyStatement(docs, "Deny", r) {
			return refExplicitDeny, nil
		}
	}
	if resource != nil && refResourcePolicyMatch(resource, "Deny", r) != refPrincipalNone {
		return refExplicitDeny, nil
	}

	// "Organizations SCPs: [...] If the enforcement code does not find any
	// applicable Allow statements in the SCPs, the request is implicitly
	// denied." Every level of the organization must allow.
	for _, level := range scps {
		if !refAnyStatement(level, "Allow", r) {
			return refImplicitDeny, nil
		}
	}

	identityAllows := refAnyStatement(identity, "Allow", r)
	boundaryAllows := boundary == nil || refAnyStatement(boundary, "Allow", r)
	// "Session policies: [...] If a session policy is present and does not
	// allow the requested action, then the request is implicitly denied.
	// [...] If there is no session policy, the code checks whether the
	// principal is a role session. If the principal is a role session, then
	// the request is Allowed. Otherwise, the request is implicitly denied."
	// Only role sessions and federated-user sessions are session principals.
	var sessionAllows bool
	switch {
	case r.PrincipalType != "AssumedRole" && r.PrincipalType != "FederatedUser":
		sessionAllows = true
	case len(session) > 0:
		sessionAllows = refAnyStatement(session, "Allow", r)
	default:
		sessionAllows = r.PrincipalType == "AssumedRole"
	}
	grant := refPrincipalNone
	if resource != nil {
		grant = refResourcePolicyMatch(resource, "Allow", r)
	}

	if r.ResourceAccount != "" && r.ResourceAccount != r.PrincipalAccount {
		// Cross-account: "the request is allowed only if both evaluations
		// allow": the principal's account through its identity-based
		// policies (capped by boundary and session policy) and the
		// resource's account through its resource-based policy.
		if grant != refPrincipalNone && identityAllows && boundaryAllows && sessionAllows {
			return refAllow, nil
		}
		return refImplicitDeny, nil
	}

	// "Resource-based policies: [...] Permissions granted by a resource-based
	// policy to an IAM role session or IAM user ARN are not limited by an
	// implicit deny in an identity-based policy, permissions boundary or
	// session policy. Permissions granted to an IAM role ARN are limited by
	// an implicit deny in a permissions boundary or session policy." A grant
	// to the account defers to the account's identity-based policies.
	switch grant {
	case refPrincipalDirect:
		return refAllow, nil
	case refPrincipalRole:
		if boundaryAllows && sessionAllows {
			return refAllow, nil
		}
	}
	if !identityAllows || !boundaryAllows || !sessionAllows {
		return refImplicitDeny, nil
	}
	return refAllow, nil
}

func refDocs(src []string) ([]map[string]any, error) {
	var out []map[string]any
	for _, s := range src {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, fmt.Errorf("reference: %v in %s", err, s)
		}
		out = append(out, m)
	}
	return out, nil
}

// refStatements returns the Statement element as a list.
func refStatements(doc map[string]any) []map[string]any {
	var out []map[string]any
	switch s := doc["Statement"].(type) {
	case map[string]any:
		out = append(out, s)
	case []any:
		for _, e := range s {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// refAnyStatement reports whether a statement with effect in docs applies
// to r: its action, resource and condition all match.
func refAnyStatement(docs []map[string]any, effect string, r *refRequest) bool {
	for _, doc := range docs {
		version, _ := doc["Version"].(string)
		for _, st := range refStatements(doc) {
			if st["Effect"] == effect && refStatementApplies(st, version, r) {
				return true
			}
		}
	}
	return false
}

func refStatementApplies(st map[string]any, version string, r *refRequest) bool {
	if !refActionMatches(st, r.Action) {
		return false
	}
	if !refResourceMatches(st, version, r) {
		return false
	}
	return refConditionMatches(st, version, r)
}

// refList returns an element that may be a string or a list of strings.
func refList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, refScalar(e))
		}
		return out
	}
	return nil
}

// refScalar renders a JSON scalar as the string IAM compares: numbers as
// written and booleans as true/false.
func refScalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// refActionMatches: "Action [...] You can use wildcards (*) and (?) [...]
// values are case-insensitive"; NotAction matches every action not listed.
func refActionMatches(st map[string]any, action string) bool {
	if v, ok := st["Action"]; ok {
		for _, p := range refList(v) {
			if refGlob(refQuote(p), action, true) {
				return true
			}
		}
		return false
	}
	if v, ok := st["NotAction"]; ok {
		for _, p := range refList(v) {
			if refGlob(refQuote(p), action, true) {
				return false
			}
		}
		return true
	}
	return false
}

func refResourceMatches(st map[string]any, version string, r *refRequest) bool {
	if v, ok := st["Resource"]; ok {
		for _, p := range refList(v) {
			if refARNMatches(p, r.Resource, version, r) {
				return true
			}
		}
		return false
	}
	if v, ok := st["NotResource"]; ok {
		// A NotResource element holding a variable without a value matches
		// no resource, like a Resource element: the statement does not
		// apply ("If AWS cannot resolve a variable this might cause the
		// entire statement to be invalid").
		for _, p := range refList(v) {
			if _, ok := refSubstitute(p, version, r); !ok {
				return false
			}
			if refARNMatches(p, r.Resource, version, r) {
				return false
			}
		}
		return true
	}
	// Trust policies have no Resource; nothing else here lacks one.
	return true
}

// refARNMatches matches an ARN against an ARN pattern that may hold
// wildcards and policy variables: "*" matches everything, otherwise each of
// the six colon-separated components is matched on its own, the last one
// keeping any further colons. A variable without a value makes the entry
// match nothing.
func refARNMatches(pattern, arn, version string, r *refRequest) bool {
	if pattern == "*" {
		return true
	}
	pp := refSplitARN(pattern)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		re, ok := refSubstitute(pp[i], version, r)
		if !ok || !refGlob(re, ap[i], false) {
			return false
		}
	}
	return true
}

// refSplitARN splits at the first five colons that are not inside ${...}.
func refSplitARN(s string) []string {
	var out []string
	start, inVar := 0, false
	for i := 0; i < len(s) && len(out) < 5; i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			inVar = true
		case s[i] == '}':
			inVar = false
		case s[i] == ':' && !inVar:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// refGlob reports whether s matches the glob whose regular-expression source
// is re (as built by refQuote or refSubstitute).
func refGlob(re, s string, fold bool) bool {
	flags := "(?s)"
	if fold {
		flags = "(?si)"
	}
	return regexp.MustCompile(flags + "^" + re + "$").MatchString(s)
}

// refQuote turns a glob without variables into regular-expression source:
// * is any run of characters, ? any one character.
func refQuote(glob string) string {
	var b strings.Builder
	for _, c := range glob {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// refVarPattern finds ${...}.
var refVarPattern = regexp.MustCompile(`\$\{([^}]*)\}`)

// refSubstitute turns a glob that may hold policy variables into
// regular-expression source. Variables are replaced by the request's value
// as literal text; ${*}, ${?} and ${$} stand for the characters themselves.
// "If there is no value for the key, the variable [...] is not replaced" and
// the comparison fails, unless the variable names a default value. With a
// policy version other than 2012-10-17 variables are plain text.
func refSubstitute(glob, version string, r *refRequest) (string, bool) {
	if version != "2012-10-17" {
		return refQuote(glob), true
	}
	var b strings.Builder
	last := 0
	for _, m := range refVarPattern.FindAllStringSubmatchIndex(glob, -1) {
		b.WriteString(refQuote(glob[last:m[0]]))
		last = m[1]
		inner := strings.TrimSpace(glob[m[2]:m[3]])
		switch inner {
		case "*", "?", "$":
			b.WriteString(regexp.QuoteMeta(inner))
			continue
		}
		name, def, hasDef := inner, "", false
		if i := strings.Index(inner, ","); i >= 0 {
			name = strings.TrimSpace(inner[:i])
			d := strings.TrimSpace(inner[i+1:])
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				def, hasDef = d[1:len(d)-1], true
			}
		}
		k := refLookup(r, name)
		switch {
		case k != nil && !k.Multi && len(k.Values) == 1:
			// "You can use any single-valued context key as a policy
			// variable. You can't use a multivalued context key."
			b.WriteString(regexp.QuoteMeta(k.Values[0]))
		case hasDef:
			b.WriteString(regexp.QuoteMeta(def))
		default:
			return "", false
		}
	}
	b.WriteString(refQuote(glob[last:]))
	return b.String(), true
}

// refLookup finds a context key; "condition key names are not
// case-sensitive".
func refLookup(r *refRequest, name string) *refKey {
	for i := range r.Context {
		if strings.EqualFold(r.Context[i].Name, name) {
			return &r.Context[i]
		}
	}
	return nil
}

// Principal matches of a resource-based policy statement, from the weakest.
const (
	refPrincipalNone    = iota
	refPrincipalAccount // the principal's account is named
	refPrincipalRole    // the role of a role session is named
	refPrincipalDirect  // the principal itself is named, or "*"
)

// refResourcePolicyMatch returns how strongly the statements of a resource
// policy with effect that apply to r name r's principal: the strongest
// match over those statements.
func refResourcePolicyMatch(doc map[string]any, effect string, r *refRequest) int {
	version, _ := doc["Version"].(string)
	best := refPrincipalNone
	for _, st := range refStatements(doc) {
		if st["Effect"] != effect || !refStatementApplies(st, version, r) {
			continue
		}
		m := refPrincipalNone
		if p, ok := st["Principal"]; ok {
			m = refPrincipalNamed(p, r)
		} else if p, ok := st["NotPrincipal"]; ok && !refNotPrincipalExempts(p, r) {
			// An Allow with NotPrincipal names nobody in particular: like
			// a grant to the account, it leaves the decision to the
			// principal's own policies.
			m = refPrincipalAccount
		}
		best = max(best, m)
	}
	return best
}

// refPrincipalNamed reports how a Principal element names r's principal.
// "*" names every principal, this one included.
func refPrincipalNamed(p any, r *refRequest) int {
	best := refPrincipalNone
	for _, name := range refAWSPrincipals(p) {
		got := refPrincipalNone
		switch {
		case name == "*":
			got = refPrincipalDirect
		case name == r.PrincipalAccount || name == "arn:aws:iam::"+r.PrincipalAccount+":root":
			got = refPrincipalAccount
		case name == r.PrincipalARN && r.PrincipalType != "Role":
			got = refPrincipalDirect
		case name == r.PrincipalARN || r.PrincipalType == "AssumedRole" && name == r.RoleARN:
			got = refPrincipalRole
		}
		best = max(best, got)
	}
	return best
}

// refNotPrincipalExempts: "When you use NotPrincipal with Deny, you must
// also specify the account ARN of the not-denied principal"; for a role
// session, the role and the session as well
// (reference_policies_elements_notprincipal.html).
func refNotPrincipalExempts(p any, r *refRequest) bool {
	names := refAWSPrincipals(p)
	listed := func(s string) bool {
		for _, n := range names {
			if n == s || n == "*" {
				return true
			}
		}
		return false
	}
	acct := listed(r.PrincipalAccount) || listed("arn:aws:iam::"+r.PrincipalAccount+":root")
	switch r.PrincipalType {
	case "AssumedRole":
		return acct && listed(r.RoleARN) && listed(r.PrincipalARN)
	default:
		return acct && listed(r.PrincipalARN)
	}
}

// refAWSPrincipals lists the AWS principals of a Principal element, with
// the bare "*" as "*".
func refAWSPrincipals(p any) []string {
	if s, ok := p.(string); ok {
		return []string{s}
	}
	m, _ := p.(map[string]any)
	return refList(m["AWS"])
}

// refConditionMatches: "If there are multiple condition operators, or if
// there are multiple keys attached to a single condition operator, the
// conditions are evaluated using a logical AND."
func refConditionMatches(st map[string]any, version string, r *refRequest) bool {
	cond, ok := st["Condition"].(map[string]any)
	if !ok {
		return true
	}
	for op, block := range cond {
		keys, ok := block.(map[string]any)
		if !ok {
			return false
		}
		for key, vals := range keys {
			if !refCondition(op, key, refList(vals), version, r) {
				return false
			}
		}
	}
	return true
}

// refCondition evaluates one operator and key against the request.
func refCondition(op, key string, policyValues []string, version string, r *refRequest) bool {
	set := ""
	if i := strings.Index(op, ":"); i >= 0 {
		set, op = op[:i], op[i+1:]
	}
	ifExists := false
	if base, ok := strings.CutSuffix(op, "IfExists"); ok {
		op, ifExists = base, true
	}
	k := refLookup(r, key)

	if op == "Null" {
		// "Use a Null condition operator to check if a condition key is
		// absent at the time of authorization. In the policy statement, use
		// either true (the key doesn't exist — it is null) or false (the key
		// exists and its value is not null)."
		absent := k == nil || len(k.Values) == 0
		for _, v := range policyValues {
			if strings.EqualFold(v, "true") == absent {
				return true
			}
		}
		return false
	}

	negated := refNegated(op)
	// match reports whether the request value v matches any policy value
	// under the operator's positive form: "multiple values for one key
	// [...] are evaluated using a logical OR".
	match := func(v string) bool {
		for _, pv := range policyValues {
			if refCompare(op, v, pv, version, r) {
				return true
			}
		}
		return false
	}

	switch set {
	case "ForAllValues":
		// "returns true if every context key value in the request matches
		// at least one context key value in the policy. It also returns
		// true if there are no context keys in the request."
		if k == nil {
			return true
		}
		for _, v := range k.Values {
			if match(v) == negated {
				return false
			}
		}
		return true
	case "ForAnyValue":
		// "returns true if at least one context key value in the request
		// matches at least one context key value in the policy [...]
		// returns false if there are no context keys in the request."
		// ...IfExists: "If the policy key is present in the context of the
		// request, process the key as specified in the policy. If the key
		// is not present, evaluate the condition element as true."
		if k == nil {
			return ifExists
		}
		for _, v := range k.Values {
			if match(v) != negated {
				return true
			}
		}
		return false
	}

	// "If the key that you specify in a policy condition is not present in
	// the request context, the values do not match and the condition is
	// false. If the policy condition requires that the key is not matched,
	// such as StringNotLike or ArnNotLike, and the right key is not present,
	// the condition is true." ...IfExists makes a missing key true.
	if k == nil || len(k.Values) == 0 {
		return ifExists || negated
	}
	// "The difference between single-valued and multivalued context keys
	// depends on the number of values in the request context": a key with
	// one value is compared as a single value. "Multivalued context keys
	// require a condition set operator": an operator without one never
	// matches a key with several values, whether negated or not.
	if len(k.Values) != 1 {
		return false
	}
	return match(k.Values[0]) != negated
}

// refNegated reports whether op is one of the inverted operators, whose
// result is the negation of their positive form.
func refNegated(op string) bool {
	switch op {
	case "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike",
		"NumericNotEquals", "DateNotEquals", "NotIpAddress",
		"ArnNotEquals", "ArnNotLike":
		return true
	}
	return false
}

// refCompare compares one request value with one policy value under the
// positive form of op.
func refCompare(op, v, pv, version string, r *refRequest) bool {
	switch op {
	case "StringEquals", "StringNotEquals":
		re, ok := refSubstituteExact(pv, version, r)
		return ok && regexp.MustCompile("(?s)^"+re+"$").MatchString(v)
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		re, ok := refSubstituteExact(pv, version, r)
		return ok && regexp.MustCompile("(?si)^"+re+"$").MatchString(v)
	case "StringLike", "StringNotLike":
		re, ok := refSubstitute(pv, version, r)
		return ok && refGlob(re, v, false)
	case "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals":
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(pv, 64)
		if err1 != nil || err2 != nil || math.IsNaN(a) || math.IsNaN(b) {
			return false
		}
		return refOrder(strings.TrimPrefix(op, "Numeric"), refCmp(a, b))
	case "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
		"DateGreaterThan", "DateGreaterThanEquals":
		a, ok1 := refDate(v)
		b, ok2 := refDate(pv)
		if !ok1 || !ok2 {
			return false
		}
		return refOrder(strings.TrimPrefix(op, "Date"), a.Compare(b))
	case "Bool":
		return strings.EqualFold(v, pv)
	case "BinaryEquals":
		a, err1 := base64.StdEncoding.DecodeString(v)
		b, err2 := base64.StdEncoding.DecodeString(pv)
		return err1 == nil && err2 == nil && string(a) == string(b)
	case "IpAddress", "NotIpAddress":
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		if !strings.Contains(pv, "/") {
			p, err := netip.ParseAddr(pv)
			return err == nil && p == addr
		}
		prefix, err := netip.ParsePrefix(pv)
		return err == nil && prefix.Contains(addr)
	case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike":
		// "Each of the six colon-delimited components of the ARN is checked
		// separately and each can include multi-character match wildcards
		// (*) or single-character match wildcards (?)."
		return refARNMatches(pv, v, version, r)
	}
	return false
}

// refSubstituteExact is refSubstitute for operators without wildcards: * and
// ? stand for themselves.
func refSubstituteExact(s, version string, r *refRequest) (string, bool) {
	if version != "2012-10-17" {
		return regexp.QuoteMeta(s), true
	}
	var b strings.Builder
	last := 0
	for _, m := range refVarPattern.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(regexp.QuoteMeta(s[last:m[0]]))
		last = m[1]
		part, ok := refSubstitute(s[m[0]:m[1]], version, r)
		if !ok {
			return "", false
		}
		b.WriteString(part)
	}
	b.WriteString(regexp.QuoteMeta(s[last:]))
	return b.String(), true
}

func refCmp(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// refOrder applies the comparison named by the operator suffix.
func refOrder(name string, c int) bool {
	switch name {
	case "Equals", "NotEquals":
		return c == 0
	case "LessThan":
		return c < 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThan":
		return c > 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// refDate parses the date forms IAM accepts: ISO 8601 dates and times, and
// seconds since the epoch.
func refDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// TestReference checks the reference evaluator on examples taken from AWS's
// documentation, so that the fuzz and differential tests compare against
// something that is right where AWS says what is right.
func TestReference(t *testing.T) {
	const acct = "123456789012"
	session := refRequest{
		PrincipalType:    "AssumedRole",
		PrincipalARN:     "arn:aws:sts::" + acct + ":assumed-role/fn-role/fn",
		PrincipalAccount: acct,
		RoleARN:          "arn:aws:iam::" + acct + ":role/fn-role",
		Action:           "s3:GetObject",
		Resource:         "arn:aws:s3:::bucket/home/alice/notes.txt",
	}
	with := func(r refRequest, f func(*refRequest)) refRequest { f(&r); return r }
	allowAll := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	tests := []struct {
		name string
		c    authCase
		want string
	}{
		{"no policy", authCase{Req: session}, refImplicitDeny},
		{"identity allow", authCase{Identity: []string{allowAll}, Req: session}, refAllow},
		{"action wildcard is case-insensitive", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"S3:get*","Resource":"*"}}`},
			Req:      session}, refAllow},
		{"resource ? matches one character", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucke?/*"}}`},
			Req:      session}, refAllow},
		{"resource wildcard does not cross the region colon", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-*1:` + acct + `:q"}}`},
			Req:      with(session, func(r *refRequest) { r.Action, r.Resource = "sqs:SendMessage", "arn:aws:sqs:us-east-1:"+acct+":q" })}, refAllow},
		{"NotResource with an unresolved variable matches nothing", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::other/${aws:PrincipalTag/user}"}}`},
			Req:      session}, refImplicitDeny},
		{"NotResource with an unresolved variable among other entries matches nothing", authCase{
			Identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::other/*","arn:aws:s3:::x/${aws:PrincipalTag/user}"]}}`},
			Req:      session}, refAllow},
		{"NotResource with a resolved variable excludes the resource", authCase{
			Identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::other/*","arn:aws:s3:::bucket/home/${aws:PrincipalTag/user}/*"]}}`},
			Req:      with(session, func(r *refRequest) { r.Context = []refKey{{Name: "aws:PrincipalTag/user", Values: []string{"alice"}}} })}, refAllow},
		{"NotResource with a resolved variable applies to other resources", authCase{
			Identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::other/*","arn:aws:s3:::bucket/home/${aws:PrincipalTag/user}/*"]}}`},
			Req:      with(session, func(r *refRequest) { r.Context = []refKey{{Name: "aws:PrincipalTag/user", Values: []string{"bob"}}} })}, refExplicitDeny},
		{"Resource with an unresolved variable among other entries", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::x/${aws:PrincipalTag/user}","arn:aws:s3:::bucket/*"]}}`},
			Req:      session}, refAllow},
		{"resource wildcard spans colons in the last component", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:*:log-group:/aws/lambda/*"}}`},
			Req: with(session, func(r *refRequest) {
				r.Action, r.Resource = "logs:PutLogEvents", "arn:aws:logs:us-east-1:"+acct+":log-group:/aws/lambda/fn:log-stream:s"
			})}, refAllow},
		{"deny wins", authCase{
			Identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`},
			Req:      session}, refExplicitDeny},
		{"NotAction deny", authCase{
			Identity: []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}`},
			Req:      session}, refExplicitDeny},
		{"policy variable in resource", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:PrincipalTag/user}/*"}}`},
			Req:      with(session, func(r *refRequest) { r.Context = []refKey{{Name: "aws:principaltag/USER", Values: []string{"alice"}}} })}, refAllow},
		{"unresolved variable in resource matches nothing", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:PrincipalTag/user}/*"}}`},
			Req:      session}, refImplicitDeny},
		{"variable default", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:PrincipalTag/user, 'alice'}/*"}}`},
			Req:      session}, refAllow},
		{"variables are text in version 2008-10-17", authCase{
			Identity: []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:PrincipalTag/user}/*"}}`},
			Req:      with(session, func(r *refRequest) { r.Context = []refKey{{Name: "aws:PrincipalTag/user", Values: []string{"alice"}}} })}, refImplicitDeny},
		{"StringNotEquals with an unresolved variable matches", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/dept}"}}}}`},
			Req:      with(session, func(r *refRequest) { r.Context = []refKey{{Name: "aws:PrincipalTag/team", Values: []string{"a"}}} })}, refAllow},
		{"missing key: positive operator false", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalTag/team":"*"}}}}`},
			Req:      session}, refImplicitDeny},
		{"missing key: negated operator true", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringNotLike":{"aws:PrincipalTag/team":"x*"}}}}`},
			Req:      session}, refAllow},
		{"IfExists with missing key", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}}`},
			Req:      session}, refAllow},
		{"IpAddress", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","10.0.0.0/8"]}}}}`},
			Req:      with(session, func(r *refRequest) { r.Context = []refKey{{Name: "aws:SourceIp", Values: []string{"10.1.2.3"}}} })}, refAllow},
		{"Null true on missing key", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:TagKeys":"true"}}}}`},
			Req:      session}, refAllow},
		{"ForAllValues with missing key is true", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}}}`},
			Req:      session}, refAllow},
		{"ForAllValues subset", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}}}`},
			Req: with(session, func(r *refRequest) {
				r.Context = []refKey{{Name: "aws:TagKeys", Values: []string{"a", "c"}, Multi: true}}
			})}, refImplicitDeny},
		{"ForAnyValue with missing key is false", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}}}`},
			Req:      session}, refImplicitDeny},
		{"ForAnyValue IfExists with missing key is true", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}}}`},
			Req:      session}, refAllow},
		{"Numeric and Date", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}}`},
			Req: with(session, func(r *refRequest) {
				r.Context = []refKey{{Name: "aws:MultiFactorAuthAge", Values: []string{"60"}}, {Name: "aws:CurrentTime", Values: []string{"2024-05-01T12:00:00Z"}}}
			})}, refAllow},
		{"ArnLike does not cross colons", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*"}}}}`},
			Req: with(session, func(r *refRequest) {
				r.Context = []refKey{{Name: "aws:SourceArn", Values: []string{"arn:aws:lambda:us-east-1:" + acct + ":function:f"}}}
			})}, refImplicitDeny},
		{"StringLike crosses colons", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:SourceArn":"arn:aws:lambda:*"}}}}`},
			Req: with(session, func(r *refRequest) {
				r.Context = []refKey{{Name: "aws:SourceArn", Values: []string{"arn:aws:lambda:us-east-1:" + acct + ":function:f"}}}
			})}, refAllow},
		{"SCP levels must each allow", authCase{
			Identity: []string{allowAll},
			SCPs:     [][]string{{allowAll}, {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`}},
			Req:      session}, refImplicitDeny},
		{"boundary caps identity", authCase{
			Identity: []string{allowAll},
			Boundary: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`,
			Req:      session}, refImplicitDeny},
		{"federated user without a session policy is denied", authCase{
			Identity: []string{allowAll},
			Req: with(session, func(r *refRequest) {
				r.PrincipalType, r.PrincipalARN, r.RoleARN = "FederatedUser", "arn:aws:sts::"+acct+":federated-user/bob", ""
			})}, refImplicitDeny},
		{"federated user with an allowing session policy", authCase{
			Identity: []string{allowAll},
			Session:  []string{allowAll},
			Req: with(session, func(r *refRequest) {
				r.PrincipalType, r.PrincipalARN, r.RoleARN = "FederatedUser", "arn:aws:sts::"+acct+":federated-user/bob", ""
			})}, refAllow},
		{"same account: resource policy naming the federated user allows alone", authCase{
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::` + acct + `:federated-user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`,
			Req: with(session, func(r *refRequest) {
				r.PrincipalType, r.PrincipalARN, r.RoleARN = "FederatedUser", "arn:aws:sts::"+acct+":federated-user/bob", ""
			})}, refAllow},
		{"single-valued operator on a key with one value in a list", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"team"}}}}`},
			Req: with(session, func(r *refRequest) {
				r.Context = []refKey{{Name: "aws:TagKeys", Values: []string{"team"}, Multi: true}}
			})}, refAllow},
		{"single-valued operator on a key with two values never matches", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":["team","env"]}}}}`},
			Req: with(session, func(r *refRequest) {
				r.Context = []refKey{{Name: "aws:TagKeys", Values: []string{"team", "env"}, Multi: true}}
			})}, refImplicitDeny},
		{"negated single-valued operator on a key with two values never matches", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:TagKeys":"owner"}}}}`},
			Req: with(session, func(r *refRequest) {
				r.Context = []refKey{{Name: "aws:TagKeys", Values: []string{"team", "env"}, Multi: true}}
			})}, refImplicitDeny},
		{"session policy caps identity", authCase{
			Identity: []string{allowAll},
			Session:  []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`},
			Req:      session}, refImplicitDeny},
		{"same account: resource policy naming the session allows alone", authCase{
			Boundary: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`,
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + session.PrincipalARN + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`,
			Req:      session}, refAllow},
		{"same account: resource policy naming the role is capped by the boundary", authCase{
			Boundary: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`,
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + session.RoleARN + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`,
			Req:      session}, refImplicitDeny},
		{"same account: resource policy naming the role allows without identity", authCase{
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + session.RoleARN + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`,
			Req:      session}, refAllow},
		{"same account: resource policy naming the account defers to identity", authCase{
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`,
			Req:      session}, refImplicitDeny},
		{"cross account needs both sides", authCase{
			Identity: []string{allowAll},
			Req:      with(session, func(r *refRequest) { r.ResourceAccount = "210987654321" })}, refImplicitDeny},
		{"cross account with account grant", authCase{
			Identity: []string{allowAll},
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"s3:GetObject","Resource":"*"}}`,
			Req:      with(session, func(r *refRequest) { r.ResourceAccount = "210987654321" })}, refAllow},
		{"resource policy deny", authCase{
			Identity: []string{allowAll},
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}`,
			Req:      session}, refExplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := refEvaluate(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("reference = %s, want %s", got, tt.want)
			}
			// Evaluate must give the same answer, where Parse accepts the
			// policies (it rejects a few, such as an ARN pattern with fewer than six
			// components in ArnLike).
			if _, _, err := compileCase(tt.c); err != nil {
				t.Logf("Evaluate not compared: %v", err)
				return
			}
			checkAgainstReference(t, tt.c)
		})
	}
}
