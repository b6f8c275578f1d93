package lint

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

// Size quotas, in characters without whitespace (IAM and Organizations
// quotas).
const (
	identityQuota = 6144
	scpQuota      = 5120
)

// Validate checks doc as a policy of the type opt names and returns its
// findings in document order. A document that is not JSON yields one
// JSON_SYNTAX_ERROR finding.
func Validate(doc string, opt Options) []Finding {
	if opt.PolicyType == "" {
		opt.PolicyType = IdentityPolicy
	}
	v := &validator{opt: opt, cat: catalog.Load(), pos: newPositions(doc)}
	root, err := parseTree(doc)
	if err == nil {
		// IAM refuses an object with a key twice: which value holds is
		// not defined.
		if off := duplicateKey(root); off >= 0 {
			err = &errSyntax{offset: off}
		}
	}
	if err != nil {
		off := err.(*errSyntax).offset
		at := v.pos.at(off)
		f := newFinding("JSON_SYNTAX_ERROR", at.Offset, at.Line, at.Column)
		f.Locations = []Location{{Path: []PathElement{}, Span: Span{Start: at, End: at}}}
		return []Finding{f}
	}
	v.policy(doc, root)
	return v.out
}

type validator struct {
	opt Options
	cat *catalog.Catalog
	pos *positions
	out []Finding
}

func (v *validator) trust() bool    { return v.opt.ResourceType == TrustPolicyResourceType }
func (v *validator) identity() bool { return v.opt.PolicyType == IdentityPolicy }
func (v *validator) org() bool {
	return v.opt.PolicyType == ServiceControlPolicy || v.opt.PolicyType == ResourceControlPolicy
}
func (v *validator) resource() bool {
	return v.opt.PolicyType == ResourcePolicy || v.opt.PolicyType == ResourceControlPolicy
}

// report adds the finding of code located at [start, end) along path.
func (v *validator) report(code string, path []PathElement, start, end int, args ...any) {
	f := newFinding(code, args...)
	f.Locations = []Location{{Path: append([]PathElement{}, path...), Span: v.pos.span(start, end)}}
	v.out = append(v.out, f)
}

// at reports code at node n.
func (v *validator) at(code string, path []PathElement, n *node, args ...any) {
	v.report(code, path, n.start, n.end, args...)
}

// typed reports a DATA_TYPE_MISMATCH unless n is of kind want.
func (v *validator) typed(path []PathElement, n *node, want nodeKind) bool {
	if n.kind != want {
		v.at("DATA_TYPE_MISMATCH", path, n, kindNames[want])
		return false
	}
	return true
}

func (v *validator) policy(doc string, root *node) {
	if !v.typed(nil, root, jObject) {
		return
	}
	for _, m := range root.members {
		switch m.key {
		case "Version", "Id", "Statement":
		default:
			v.report("INVALID_POLICY_ELEMENT", []PathElement{pk(m.key)}, m.start, m.end, m.key)
		}
	}
	if ver, ok := root.get("Version"); !ok {
		v.report("MISSING_VERSION", []PathElement{}, root.start, root.start+1)
	} else if p := []PathElement{pv("Version")}; v.typed(p, ver.val, jString) &&
		ver.val.str != policy.Version2012 && ver.val.str != policy.Version2008 {
		v.at("INVALID_VERSION", p, ver.val, ver.val.str)
	}
	switch size := policy.Size(doc); {
	case v.identity() && size > identityQuota:
		v.report("POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", []PathElement{}, root.start, root.end, size, identityQuota)
	case v.opt.PolicyType == ServiceControlPolicy && size > scpQuota:
		v.report("POLICY_SIZE_EXCEEDS_SCP_QUOTA", []PathElement{}, root.start, root.end, size, scpQuota)
	}
	sm, ok := root.get("Statement")
	if !ok {
		v.report("MISSING_STATEMENT", []PathElement{}, root.start, root.start+1)
		return
	}
	if sm.val.kind != jArray && sm.val.kind != jObject {
		v.at("DATA_TYPE_MISMATCH", []PathElement{pv("Statement")}, sm.val, "Array")
		return
	}
	seenSid := map[string]bool{}
	seenStmt := map[string]int{}
	for i, st := range sm.val.list() {
		path := []PathElement{pv("Statement")}
		if sm.val.kind == jArray {
			path = append(path, pi(i))
		}
		if !v.typed(path, st, jObject) {
			continue
		}
		v.statement(path, st)
		if sid, ok := st.get("Sid"); ok && sid.val.kind == jString && sid.val.str != "" {
			if seenSid[sid.val.str] {
				code := "UNIQUE_SIDS_RECOMMENDED"
				if v.org() {
					code = "UNIQUE_SIDS_REQUIRED"
				}
				v.at(code, append(path, pv("Sid")), sid.val)
			}
			seenSid[sid.val.str] = true
		}
		if c := canonical(st); c != "" {
			if _, dup := seenStmt[c]; dup {
				v.at("REDUNDANT_STATEMENT", path, st)
			}
			seenStmt[c] = i
		}
	}
}

// canonical returns a statement's content without its Sid in one form for
// any spelling: keys sorted, single values as lists.
func canonical(st *node) string {
	m := map[string]any{}
	for _, mem := range st.members {
		if mem.key == "Sid" {
			continue
		}
		var val any
		if mem.val.kind != jArray && (mem.key == "Action" || mem.key == "NotAction" || mem.key == "Resource" || mem.key == "NotResource") {
			val = []string{mem.val.str}
		} else {
			val = mem.val
		}
		m[mem.key] = val
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

// MarshalJSON writes a node back as JSON, for canonical.
func (n *node) MarshalJSON() ([]byte, error) {
	switch n.kind {
	case jString:
		return json.Marshal(n.str)
	case jArray:
		return json.Marshal(n.elems)
	case jObject:
		m := map[string]*node{}
		for _, mem := range n.members {
			m[mem.key] = mem.val
		}
		return json.Marshal(m)
	case jNull:
		return []byte("null"), nil
	default:
		return []byte(n.str), nil
	}
}

// statementElements are the elements a statement may have.
var statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

// stmt is what the checks of one statement share.
type stmt struct {
	path    []PathElement
	node    *node
	effect  string
	actions []actionEntry // Action or NotAction entries naming real actions
	not     bool          // the actions are NotAction
	star    bool          // an action entry is "*"
}

type actionEntry struct {
	text string
	node *node
	acts []*catalog.Action
}

func (s *stmt) sub(elems ...PathElement) []PathElement {
	return append(slices.Clone(s.path), elems...)
}

func (v *validator) statement(path []PathElement, n *node) {
	s := &stmt{path: path, node: n}
	for _, m := range n.members {
		if !slices.Contains(statementElements, m.key) {
			v.report("INVALID_POLICY_ELEMENT", s.sub(pk(m.key)), m.start, m.end, m.key)
		}
	}
	v.sid(s)
	v.effect(s)
	v.pair(s, "Action", "NotAction", "MISSING_ACTION")
	v.actionList(s)
	v.resources(s)
	v.principals(s)
	v.conditions(s)
	v.wildcardGrants(s)
}

// pair reports both of two exclusive elements, or neither when one is
// required (missing is the code, "" when neither is fine).
func (v *validator) pair(s *stmt, a, b, missing string) {
	ma, okA := s.node.get(a)
	_, okB := s.node.get(b)
	switch {
	case okA && okB:
		v.report("UNSUPPORTED_ELEMENT_COMBINATION", s.sub(pk(a)), ma.start, ma.end, a, b)
	case !okA && !okB && missing != "":
		v.report(missing, s.path, s.node.start, s.node.start+1)
	}
}

func (v *validator) sid(s *stmt) {
	m, ok := s.node.get("Sid")
	if !ok {
		return
	}
	p := s.sub(pv("Sid"))
	if !v.typed(p, m.val, jString) {
		return
	}
	switch {
	case m.val.str == "":
		v.at("EMPTY_SID_VALUE", p, m.val)
	case (v.identity() || v.org()) && !alnum(m.val.str):
		v.at("UNSUPPORTED_SID", p, m.val)
	}
}

func alnum(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (v *validator) effect(s *stmt) {
	m, ok := s.node.get("Effect")
	if !ok {
		v.report("MISSING_EFFECT", s.path, s.node.start, s.node.start+1)
		return
	}
	p := s.sub(pv("Effect"))
	if !v.typed(p, m.val, jString) {
		return
	}
	if m.val.str != "Allow" && m.val.str != "Deny" {
		v.at("INVALID_EFFECT", p, m.val, m.val.str)
		return
	}
	s.effect = m.val.str
}

// strings returns the string entries of a one-or-many element with their
// paths, reporting entries of another type.
func (v *validator) stringsOf(base []PathElement, n *node) ([]*node, [][]PathElement) {
	var ns []*node
	var ps [][]PathElement
	if n.kind != jArray && n.kind != jString {
		v.at("DATA_TYPE_MISMATCH", base, n, "Array")
		return nil, nil
	}
	for i, e := range n.list() {
		p := slices.Clone(base)
		if n.kind == jArray {
			p = append(p, pi(i))
		}
		if v.typed(p, e, jString) {
			ns = append(ns, e)
			ps = append(ps, p)
		}
	}
	return ns, ps
}

func (v *validator) actionList(s *stmt) {
	name := "Action"
	m, ok := s.node.get(name)
	if !ok {
		if m, ok = s.node.get("NotAction"); !ok {
			return
		}
		name, s.not = "NotAction", true
	}
	base := s.sub(pv(name))
	if m.val.kind == jArray && len(m.val.elems) == 0 {
		v.at("EMPTY_ARRAY_ACTION", base, m.val)
		return
	}
	if v.org() && s.not && s.effect == "Allow" && v.opt.PolicyType == ServiceControlPolicy {
		v.report("SCP_SYNTAX_ERROR_ALLOW_NOTACTION", s.sub(pk(name)), m.start, m.end)
	}
	ns, ps := v.stringsOf(base, m.val)
	for i, n := range ns {
		a := n.str
		if a == "*" {
			s.star = true
			continue
		}
		svc, act, found := strings.Cut(a, ":")
		if !found || svc == "" || act == "" {
			v.at("INVALID_ACTION", ps[i], n, a)
			continue
		}
		if v.org() && strings.ContainsAny(strings.TrimSuffix(act, "*"), "*?") {
			v.at("SCP_SYNTAX_ERROR_ACTION_WILDCARD", ps[i], n, a)
		}
		if strings.ContainsAny(svc, "*?") {
			v.at("WILDCARD_IN_SERVICE_NAME", ps[i], n)
		} else if v.cat.Service(svc) == nil {
			v.at("INVALID_SERVICE_IN_ACTION", ps[i], n, svc)
			continue
		}
		acts := v.cat.MatchActions(a)
		if len(acts) == 0 {
			v.at("INVALID_ACTION", ps[i], n, a)
			continue
		}
		s.actions = append(s.actions, actionEntry{text: a, node: n, acts: acts})
		if rt, ok := resourceTypes[v.opt.ResourceType]; ok && !s.not && !slices.ContainsFunc(rt.services, func(p string) bool { return covers(svc, p, true) }) {
			v.at("UNSUPPORTED_ACTION_IN_POLICY", ps[i], n, a, v.opt.ResourceType)
		}
	}
	// An entry another entry already covers adds nothing.
	for i, e := range s.actions {
		for j, o := range s.actions {
			if i != j && covers(o.text, e.text, true) && (!covers(e.text, o.text, true) || j < i) {
				v.at("REDUNDANT_ACTION", s.sub(pv(name)), e.node, 1, e.text)
				break
			}
		}
	}
}

func (v *validator) resources(s *stmt) {
	if v.trust() {
		for _, name := range []string{"Resource", "NotResource"} {
			if m, ok := s.node.get(name); ok {
				v.report("ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", s.sub(pk(name)), m.start, m.end)
			}
		}
		return
	}
	missing := "MISSING_RESOURCE"
	if v.opt.PolicyType == ServiceControlPolicy {
		missing = ""
	}
	v.pair(s, "Resource", "NotResource", missing)
	name := "Resource"
	m, ok := s.node.get(name)
	if !ok {
		if m, ok = s.node.get("NotResource"); !ok {
			return
		}
		name = "NotResource"
		if v.opt.PolicyType == ServiceControlPolicy {
			v.report("SCP_SYNTAX_ERROR_NOTRESOURCE", s.sub(pk(name)), m.start, m.end)
		}
	}
	base := s.sub(pv(name))
	if m.val.kind == jArray && len(m.val.elems) == 0 {
		v.at("EMPTY_ARRAY_RESOURCE", base, m.val)
		return
	}
	ns, ps := v.stringsOf(base, m.val)
	var good []*node
	for i, n := range ns {
		if n.str == "*" {
			good = append(good, n)
			if v.opt.PolicyType == ServiceControlPolicy && s.effect == "Allow" {
				continue
			}
			continue
		}
		if v.opt.PolicyType == ServiceControlPolicy && s.effect == "Allow" {
			v.at("SCP_SYNTAX_ERROR_ALLOW_RESOURCE", ps[i], n)
		}
		if code, args := arnIssue(n.str); code != "" {
			v.at(code, ps[i], n, args...)
			continue
		}
		if codes, service := v.arnPlacement(n.str); len(codes) > 0 {
			for _, code := range codes {
				v.at(code, ps[i], n, service)
			}
			continue
		}
		if rt, ok := resourceTypes[v.opt.ResourceType]; ok && name == "Resource" && !slices.ContainsFunc(rt.arns, func(p string) bool { return overlap(p, n.str, false) }) {
			v.at("UNSUPPORTED_RESOURCE_ARN_IN_POLICY", ps[i], n, v.opt.ResourceType)
		}
		good = append(good, n)
	}
	for i, n := range good {
		for j, o := range good {
			if i != j && covers(o.str, n.str, false) && (!covers(n.str, o.str, false) || j < i) {
				v.at("REDUNDANT_RESOURCE", base, n, 1)
				break
			}
		}
	}
}

// A resourceType is what a resource policy of one validatePolicyResourceType
// may name: the service prefixes of its actions and its resource ARNs.
type resourceType struct {
	services []string
	arns     []string
}

// resourceTypes are the validatePolicyResourceType values whose policies
// are checked against their resource (the trust policy type has its own
// checks).
var resourceTypes = map[string]resourceType{
	"AWS::S3::Bucket":                  {[]string{"s3"}, []string{"arn:*:s3:::*"}},
	"AWS::S3::AccessPoint":             {[]string{"s3"}, []string{"arn:*:s3:*:*:accesspoint/*"}},
	"AWS::S3::MultiRegionAccessPoint":  {[]string{"s3"}, []string{"arn:*:s3::*:accesspoint/*"}},
	"AWS::S3ObjectLambda::AccessPoint": {[]string{"s3-object-lambda"}, []string{"arn:*:s3-object-lambda:*:*:accesspoint/*"}},
	"AWS::DynamoDB::Table":             {[]string{"dynamodb"}, []string{"arn:*:dynamodb:*:*:table/*"}},
}

// arnIssue checks the shape of a resource ARN pattern.
func arnIssue(arn string) (string, []any) {
	if !strings.HasPrefix(arn, "arn:") {
		return "INVALID_ARN_PREFIX", nil
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "MISSING_ARN_FIELD", nil
	}
	partition, service, account := parts[1], parts[2], parts[4]
	switch {
	case !strings.ContainsAny(partition, "*?$") && !slices.Contains([]string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"}, partition):
		return "INVALID_PARTITION", []any{service, partition}
	case service != strings.ToLower(service):
		return "INVALID_ARN_SERVICE_CASE", []any{service}
	case account != "" && !strings.ContainsAny(account, "*?$") && !(len(account) == 12 && digits(account)) && account != "aws":
		return "INVALID_ARN_ACCOUNT", []any{account}
	}
	return "", nil
}

// arnPlacement reports a resource ARN with a Region or an account that no
// resource type of its service has, where the same ARN without them names
// one of its resource types (an S3 object ARN with a Region): such an ARN
// matches nothing. It returns ARN_REGION_NOT_ALLOWED and/or
// ARN_ACCOUNT_NOT_ALLOWED, and the service.
func (v *validator) arnPlacement(arn string) ([]string, string) {
	parts := strings.SplitN(arn, ":", 6)
	service, region, account := parts[2], parts[3], parts[4]
	svc := v.cat.Service(service)
	if svc == nil || len(svc.ResourceTypes) == 0 || (region == "" && account == "") {
		return nil, ""
	}
	names := func(region, account string) bool {
		a := strings.Join([]string{parts[0], parts[1], service, region, account, parts[5]}, ":")
		return slices.ContainsFunc(svc.ResourceTypes, func(rt *catalog.ResourceType) bool { return overlap(rt.ARN, a, false) })
	}
	if names(region, account) {
		return nil, ""
	}
	// Each is reported when taking it away (alone, or with the other
	// where the other alone does not suffice) names a resource type.
	var codes []string
	withoutRegion, withoutAccount, neither := names("", account), names(region, ""), names("", "")
	if region != "" && (withoutRegion || neither && !withoutAccount) {
		codes = append(codes, "ARN_REGION_NOT_ALLOWED")
	}
	if account != "" && (withoutAccount || neither && !withoutRegion) {
		codes = append(codes, "ARN_ACCOUNT_NOT_ALLOWED")
	}
	return codes, service
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// covers reports whether glob pattern p matches every string pattern q
// matches, with * any run and ? any one character: true when q's text
// matches p with q's own wildcards taken literally and q's wildcards sit
// where p has a *. fold ignores case, as action names do.
func covers(p, q string, fold bool) bool {
	if fold {
		p, q = strings.ToLower(p), strings.ToLower(q)
	}
	return globCovers(p, q)
}

// globCovers decides pattern containment: every string matched by q is
// matched by p. A * in q is covered only by a * in p; a ? in q by a ? or
// a * in p. It takes time len(p)·len(q).
func globCovers(p, q string) bool {
	next := make([]bool, len(q)+1) // row i+1: p[i+1:] covers q[j:]
	cur := make([]bool, len(q)+1)
	next[len(q)] = true
	for i := len(p) - 1; i >= 0; i-- {
		for j := len(q); j >= 0; j-- {
			switch {
			case p[i] == '*':
				cur[j] = next[j] || j < len(q) && cur[j+1]
			case j == len(q):
				cur[j] = false
			case p[i] == '?':
				cur[j] = q[j] != '*' && next[j+1]
			default:
				cur[j] = q[j] == p[i] && next[j+1]
			}
		}
		next, cur = cur, next
	}
	return next[0]
}
