package lint

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/catalog"
)

// principalKeys are the principal types a Principal element may name.
var principalKeys = []string{"AWS", "Service", "Federated", "CanonicalUser"}

func (v *validator) principals(s *stmt) {
	pm, hasP := s.node.get("Principal")
	nm, hasN := s.node.get("NotPrincipal")
	switch {
	case (hasP || hasN) && v.identity():
		m := pm
		if !hasP {
			m = nm
		}
		v.report("UNSUPPORTED_PRINCIPAL", s.sub(pk(m.key)), m.start, m.end, v.opt.PolicyType)
		return
	case (hasP || hasN) && v.opt.PolicyType == ServiceControlPolicy:
		m := pm
		if !hasP {
			m = nm
		}
		v.report("SCP_SYNTAX_ERROR_PRINCIPAL", s.sub(pk(m.key)), m.start, m.end)
		return
	case !v.resource():
		return
	}
	v.pair(s, "Principal", "NotPrincipal", "MISSING_PRINCIPAL")
	if hasN {
		switch {
		case v.trust():
			v.report("ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", s.sub(pk("NotPrincipal")), nm.start, nm.end)
		case s.effect == "Allow":
			v.report("ALLOW_WITH_NOT_PRINCIPAL", s.sub(pk("NotPrincipal")), nm.start, nm.end)
		}
		v.principalValue(s, nm)
	}
	if hasP {
		v.principalValue(s, pm)
	}
}

func (v *validator) principalValue(s *stmt, m member) {
	base := s.sub(pv(m.key))
	switch m.val.kind {
	case jString:
		if m.val.str != "*" {
			v.at("INVALID_PRINCIPAL_FORMAT", base, m.val)
		} else if v.trust() {
			v.at("ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL", base, m.val)
		}
		return
	case jObject:
	default:
		v.at("INVALID_PRINCIPAL_FORMAT", base, m.val)
		return
	}
	if len(m.val.members) == 0 {
		v.at("EMPTY_OBJECT_PRINCIPAL", base, m.val)
		return
	}
	for _, pm := range m.val.members {
		if !slices.Contains(principalKeys, pm.key) {
			v.report("INVALID_PRINCIPAL_KEY", append(slices.Clone(base), pk(pm.key)), pm.start, pm.end, pm.key)
			continue
		}
		p := append(slices.Clone(base), pv(pm.key))
		if pm.val.kind == jArray && len(pm.val.elems) == 0 {
			v.at("EMPTY_ARRAY_PRINCIPAL", p, pm.val)
			continue
		}
		ns, ps := v.stringsOf(p, pm.val)
		for i, n := range ns {
			switch {
			case n.str == "*" && pm.key == "AWS":
				if v.trust() {
					v.at("ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL", ps[i], n)
				}
			case strings.ContainsAny(n.str, "*?"):
				v.at("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", ps[i], n, pm.key)
			case pm.key == "Federated" && v.trust():
				v.oidc(s, ps[i], n)
			}
		}
	}
}

// oidc checks that a trust policy naming an OpenID Connect provider limits
// who may assume the role with the provider's own condition keys.
func (v *validator) oidc(s *stmt, path []PathElement, n *node) {
	provider := n.str
	if _, after, ok := strings.Cut(provider, ":oidc-provider/"); ok {
		provider = after
	} else if strings.HasPrefix(provider, "arn:") || strings.Contains(provider, "cognito-identity") ||
		!strings.Contains(provider, ".") || strings.HasPrefix(provider, "www.amazon.com") ||
		provider == "graph.facebook.com" || provider == "accounts.google.com" {
		return // SAML, or a well-known provider with fixed audience
	}
	var keys []string
	if c, ok := s.node.get("Condition"); ok && c.val.kind == jObject {
		for _, op := range c.val.members {
			if op.val.kind == jObject {
				for _, k := range op.val.members {
					keys = append(keys, strings.ToLower(k.key))
				}
			}
		}
	}
	host := strings.ToLower(provider)
	if host == "token.actions.githubusercontent.com" {
		if !slices.Contains(keys, host+":sub") {
			v.at("MISSING_GITHUB_REPO_CONDITION_KEY", path, n)
		}
		return
	}
	if !slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, host+":") }) {
		v.at("MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL", path, n)
	}
}

// operators are the condition operators without qualifiers or IfExists,
// with the type of value each compares.
var operators = map[string]catalog.KeyType{
	"StringEquals": catalog.TypeString, "StringNotEquals": catalog.TypeString,
	"StringEqualsIgnoreCase": catalog.TypeString, "StringNotEqualsIgnoreCase": catalog.TypeString,
	"StringLike": catalog.TypeString, "StringNotLike": catalog.TypeString,
	"NumericEquals": catalog.TypeNumeric, "NumericNotEquals": catalog.TypeNumeric,
	"NumericLessThan": catalog.TypeNumeric, "NumericLessThanEquals": catalog.TypeNumeric,
	"NumericGreaterThan": catalog.TypeNumeric, "NumericGreaterThanEquals": catalog.TypeNumeric,
	"DateEquals": catalog.TypeDate, "DateNotEquals": catalog.TypeDate,
	"DateLessThan": catalog.TypeDate, "DateLessThanEquals": catalog.TypeDate,
	"DateGreaterThan": catalog.TypeDate, "DateGreaterThanEquals": catalog.TypeDate,
	"Bool": catalog.TypeBool, "BinaryEquals": catalog.TypeBinary,
	"IpAddress": catalog.TypeIPAddress, "NotIpAddress": catalog.TypeIPAddress,
	"ArnEquals": catalog.TypeARN, "ArnLike": catalog.TypeARN, "ArnNotEquals": catalog.TypeARN, "ArnNotLike": catalog.TypeARN,
	"Null": "",
}

// operator splits a condition operator into its qualifier, base and
// IfExists suffix; ok is false for an operator IAM does not have.
func operator(op string) (qual, base string, ifExists, ok bool) {
	base = op
	for _, q := range []string{"ForAllValues:", "ForAnyValue:"} {
		if strings.HasPrefix(base, q) {
			qual, base = strings.TrimSuffix(q, ":"), base[len(q):]
		}
	}
	if b, found := strings.CutSuffix(base, "IfExists"); found {
		base, ifExists = b, true
	}
	_, ok = operators[base]
	return qual, base, ifExists, ok
}

func (v *validator) conditions(s *stmt) {
	m, ok := s.node.get("Condition")
	if !ok {
		return
	}
	base := s.sub(pv("Condition"))
	if !v.typed(base, m.val, jObject) {
		return
	}
	if len(m.val.members) == 0 {
		v.at("EMPTY_OBJECT_CONDITION", base, m.val)
		return
	}
	if v.opt.PolicyType == ServiceControlPolicy && s.effect == "Allow" {
		v.report("SCP_SYNTAX_ERROR_ALLOW_CONDITION", s.sub(pk("Condition")), m.start, m.end)
	}
	checked := map[string]bool{}
	for _, om := range m.val.members {
		qual, op, ifExists, ok := operator(om.key)
		if !ok {
			v.report("INVALID_CONDITION_OPERATOR", append(slices.Clone(base), pk(om.key)), om.start, om.end, om.key)
			continue
		}
		opPath := append(slices.Clone(base), pv(om.key))
		if op == "Null" && ifExists {
			v.report("NULL_WITH_IF_EXISTS", append(slices.Clone(base), pk(om.key)), om.start, om.end)
		}
		if op == "Null" && qual != "" {
			v.report("NULL_WITH_QUALIFIER", append(slices.Clone(base), pk(om.key)), om.start, om.end)
		}
		if !v.typed(opPath, om.val, jObject) {
			continue
		}
		if len(om.val.members) == 0 {
			v.at("EMPTY_OBJECT_CONDITION", opPath, om.val)
			continue
		}
		seen := map[string]string{}
		for _, km := range om.val.members {
			keyPath := append(slices.Clone(opPath), pk(km.key))
			lower := strings.ToLower(km.key)
			if prev, dup := seen[lower]; dup && prev != km.key {
				v.report("DUPLICATE_KEYS_WITH_DIFFERENT_CASE", keyPath, km.start, km.end, km.key)
			}
			seen[lower] = km.key
			key := v.conditionKey(s, keyPath, km, checked)
			v.conditionValues(s, append(slices.Clone(opPath), pv(km.key)), km, qual, op, ifExists, key)
		}
	}
}

// conditionKey checks a condition key's name and that the statement's
// actions support it; it returns the catalog's key, nil when unknown.
func (v *validator) conditionKey(s *stmt, path []PathElement, km member, checked map[string]bool) *catalog.ConditionKey {
	name := km.key
	svc, rest, found := strings.Cut(name, ":")
	if !found || svc == "" || rest == "" {
		v.report("INVALID_CONDITION_KEY_FORMAT", path, km.start, km.end)
		return nil
	}
	k := v.cat.ConditionKey(name)
	switch {
	case strings.EqualFold(name, "aws:ARN"):
		v.report("UNSUPPORTED_GLOBAL_CONDITION_KEY", path, km.start, km.end)
		return nil
	case strings.EqualFold(svc, "aws") && k == nil:
		v.report("INVALID_GLOBAL_CONDITION_KEY", path, km.start, km.end, name)
		return nil
	case k == nil && v.cat.Service(svc) == nil && strings.ContainsAny(svc, "./"):
		// A web identity or SAML provider's key (oidc.example.com:sub):
		// any provider may be federated, so its keys cannot be known.
		return nil
	case k == nil:
		v.report("INVALID_SERVICE_CONDITION_KEY", path, km.start, km.end, name, svc)
		return nil
	}
	lower := strings.ToLower(name)
	if checked[lower] {
		return k
	}
	checked[lower] = true
	tag := isTagKey(lower)
	if s.not && tag && s.effect != "" {
		v.report(strings.ToUpper(s.effect)+"_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", path, km.start, km.end, name)
	}
	if s.not || s.star || len(s.actions) == 0 {
		return k
	}
	var unsupported, prefixes []string
	for _, e := range s.actions {
		for _, a := range e.acts {
			if !a.Supports(name) && !slices.Contains(prefixes, a.Service.Prefix) {
				prefixes = append(prefixes, a.Service.Prefix)
			}
		}
		if !slices.ContainsFunc(e.acts, func(a *catalog.Action) bool { return a.Supports(name) }) {
			unsupported = append(unsupported, e.text)
		}
	}
	switch {
	case tag && len(prefixes) > 0 && s.effect != "":
		// Tag keys: the services whose actions ignore the key, by effect.
		v.report(strings.ToUpper(s.effect)+"_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", path, km.start, km.end, name, strings.Join(prefixes, ", "))
	case !tag && len(unsupported) > 0:
		v.report("UNSUPPORTED_ACTION_FOR_CONDITION_KEY", path, km.start, km.end, strings.Join(unsupported, ", "), name)
	}
	return k
}

// isTagKey reports whether a lower-cased condition key is one of the tag
// keys only some actions support.
func isTagKey(lower string) bool {
	return strings.HasPrefix(lower, "aws:resourcetag/") || strings.HasPrefix(lower, "aws:requesttag/") || lower == "aws:tagkeys"
}

// conditionValues checks the values of one key against the operator.
func (v *validator) conditionValues(s *stmt, path []PathElement, km member, qual, op string, ifExists bool, key *catalog.ConditionKey) {
	if km.val.kind == jArray && len(km.val.elems) == 0 {
		code := "EMPTY_ARRAY_CONDITION"
		switch {
		case qual == "ForAllValues":
			code = "EMPTY_ARRAY_CONDITION_FORALLVALUES"
		case qual == "ForAnyValue":
			code = "EMPTY_ARRAY_CONDITION_FORANYVALUE"
		case ifExists:
			code = "EMPTY_ARRAY_CONDITION_IFEXISTS"
		}
		v.at(code, path, km.val, km.key)
		return
	}
	if qual == "ForAllValues" && s.effect == "Allow" && key != nil && key.Type != "" && !key.Type.MultiValued() {
		v.report("FORALLVALUES_WITH_SINGLE_VALUED_KEY", path, km.start, km.end, km.key)
	}
	if km.val.kind == jObject || km.val.kind == jNull {
		v.at("DATA_TYPE_MISMATCH", path, km.val, "Array")
		return
	}
	opName := op
	for i, n := range km.val.list() {
		p := slices.Clone(path)
		if km.val.kind == jArray {
			p = append(p, pi(i))
		}
		if n.kind == jObject || n.kind == jArray || n.kind == jNull {
			v.at("DATA_TYPE_MISMATCH", p, n, "String")
			continue
		}
		val := n.str
		if t := operators[op]; strings.Contains(val, "${") && t != catalog.TypeString && t != catalog.TypeARN {
			v.at("INVALID_VARIABLE_FOR_OPERATOR", p, n, opName)
			continue
		}
		switch operators[op] {
		case catalog.TypeString:
			if (op == "StringEquals" || op == "StringNotEquals") && strings.ContainsAny(val, "*?") && !strings.Contains(val, "${") {
				v.at("WILDCARD_WITHOUT_LIKE_OPERATOR", p, n)
			}
		case catalog.TypeBool:
			if !strings.EqualFold(val, "true") && !strings.EqualFold(val, "false") {
				v.at("TYPE_MISMATCH_BOOLEAN", p, n, opName)
			}
		case catalog.TypeNumeric:
			if _, err := strconv.ParseFloat(val, 64); err != nil {
				v.at("TYPE_MISMATCH_NUMBER", p, n, opName)
			}
		case catalog.TypeDate:
			if !validDate(val) {
				v.at("TYPE_MISMATCH_DATE", p, n)
			}
		case catalog.TypeIPAddress:
			if !validCIDR(val) {
				v.at("TYPE_MISMATCH_IP_RANGE", p, n, opName)
			}
		}
	}
}

// validDate accepts the forms IAM's date operators take: an ISO 8601 date
// or date-time, or epoch seconds.
func validDate(s string) bool {
	if digits(s) && s != "" {
		return true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

func validCIDR(s string) bool {
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// A grantCheck is a family of warnings about an action granted on every
// resource, unless a condition key limits it.
type grantCheck struct {
	action string // "iam:PassRole"
	limit  string // the condition key that makes a wildcard resource fine
	prefix string // issue code prefix: "PASS_ROLE_WITH_"
}

var grantChecks = []grantCheck{
	{"iam:PassRole", "iam:PassedToService", "PASS_ROLE_WITH_"},
	{"iam:CreateServiceLinkedRole", "iam:AWSServiceName", "CREATE_SLR_WITH_"},
}

// wildcardGrants reports Allow statements of identity policies that grant
// iam:PassRole or iam:CreateServiceLinkedRole on every resource.
func (v *validator) wildcardGrants(s *stmt) {
	if s.effect != "Allow" || !v.identity() {
		return
	}
	_, notRes := s.node.get("NotResource")
	rm, hasRes := s.node.get("Resource")
	starRes := false
	if hasRes && (rm.val.kind == jString || rm.val.kind == jArray) {
		for _, n := range rm.val.list() {
			if n.kind == jString && strings.Contains(n.str, "*") && covers(n.str, "arn:aws:iam::111122223333:role/x", false) {
				starRes = true
			}
		}
	}
	if !notRes && !starRes {
		return
	}
	res := onStarResource
	if notRes {
		res = onNotResource
	}
	for _, g := range grantChecks {
		if v.hasConditionKey(s, g.limit) {
			continue
		}
		granted := func(e actionEntry) bool { return covers(e.text, g.action, true) }
		var act grantVia
		switch {
		case s.not:
			if slices.ContainsFunc(s.actions, granted) {
				continue // NotAction names it: not granted
			}
			act = viaNotAction
		case s.star:
			act = viaStarAction
		default:
			i := slices.IndexFunc(s.actions, granted)
			if i < 0 {
				continue
			}
			if strings.ContainsAny(s.actions[i].text, "*?") {
				act = viaStarAction
			}
		}
		v.at(g.prefix+grantCodes[[2]grantVia{act, res}], s.path, s.node)
	}
}

// grantVia is how a statement names an action or its resources.
type grantVia uint8

const (
	viaAction grantVia = iota
	viaStarAction
	viaNotAction
	onStarResource
	onNotResource
)

// grantCodes is the rest of a grantCheck's issue code, by how the action
// and the resources are named.
var grantCodes = map[[2]grantVia]string{
	{viaAction, onStarResource}:     "STAR_IN_RESOURCE",
	{viaStarAction, onStarResource}: "STAR_IN_ACTION_AND_RESOURCE",
	{viaNotAction, onStarResource}:  "STAR_IN_RESOURCE_AND_NOT_ACTION",
	{viaAction, onNotResource}:      "NOT_RESOURCE",
	{viaStarAction, onNotResource}:  "STAR_IN_ACTION_AND_NOT_RESOURCE",
	{viaNotAction, onNotResource}:   "NOT_ACTION_AND_NOT_RESOURCE",
}

// hasConditionKey reports whether the statement's Condition tests key.
func (v *validator) hasConditionKey(s *stmt, key string) bool {
	c, ok := s.node.get("Condition")
	if !ok || c.val.kind != jObject {
		return false
	}
	for _, op := range c.val.members {
		if op.val.kind != jObject {
			continue
		}
		for _, k := range op.val.members {
			if strings.EqualFold(k.key, key) {
				return true
			}
		}
	}
	return false
}
