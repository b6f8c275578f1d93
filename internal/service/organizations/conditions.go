package organizations

import (
	"encoding/json"
	"slices"

	"github.com/rolecall/rolecall/internal/api"
)

// conditionInput holds the request members Organizations' condition keys
// come from.
type conditionInput struct {
	ids
	Type       string   `json:"Type"`       // CreatePolicy
	PolicyType string   `json:"PolicyType"` // EnablePolicyType, DisablePolicyType
	Filter     string   `json:"Filter"`     // ListPolicies, ListPoliciesForTarget
	Tags       []tagIn  `json:"Tags"`       // CreateAccount, CreateOrganizationalUnit, CreatePolicy, TagResource
	TagKeys    []string `json:"TagKeys"`    // UntagResource
}

// policyTypeOps are the operations whose requests carry
// organizations:PolicyType (the Service Authorization Reference for AWS
// Organizations), by where the type comes from.
var policyTypeOps = map[string]func(in *conditionInput, r *orgRecord) string{
	"CreatePolicy":          func(in *conditionInput, _ *orgRecord) string { return in.Type },
	"EnablePolicyType":      func(in *conditionInput, _ *orgRecord) string { return in.PolicyType },
	"DisablePolicyType":     func(in *conditionInput, _ *orgRecord) string { return in.PolicyType },
	"ListPolicies":          func(in *conditionInput, _ *orgRecord) string { return in.Filter },
	"ListPoliciesForTarget": func(in *conditionInput, _ *orgRecord) string { return in.Filter },
	"AttachPolicy":          policyTypeOf(byPolicy),
	"DetachPolicy":          policyTypeOf(byPolicy),
	"DeletePolicy":          policyTypeOf(byPolicy),
	"DescribePolicy":        policyTypeOf(byPolicy),
	"UpdatePolicy":          policyTypeOf(byPolicy),
	"ListTargetsForPolicy":  policyTypeOf(byPolicy),
	"TagResource":           policyTypeOf(byResource),
	"UntagResource":         policyTypeOf(byResource),
	"ListTagsForResource":   policyTypeOf(byResource),
}

// policyTypeOf returns the type of the policy the request names by m, ""
// when it names none.
func policyTypeOf(m member) func(in *conditionInput, r *orgRecord) string {
	return func(in *conditionInput, r *orgRecord) string {
		if r == nil {
			return ""
		}
		if p := r.policy(m(in.ids)); p != nil {
			return p.Type
		}
		return ""
	}
}

// conditions sets the condition keys of an Organizations request:
// organizations:PolicyType, and aws:RequestTag/* and aws:TagKeys for the
// tags a request gives or removes.
func (o *Org) conditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in conditionInput
	body, err := c.Payload()
	if err != nil || len(body) == 0 || json.Unmarshal(body, &in) != nil {
		return
	}
	if typ := policyTypeOps[c.OperationName]; typ != nil {
		rec, err := load(c.Context, o.st, c.Account)
		if err != nil {
			return
		}
		if t := typ(&in, rec); t != "" {
			keys.Set("organizations:PolicyType", t)
		}
	}
	var names []string
	for _, t := range in.Tags {
		keys.Set("aws:RequestTag/"+t.Key, t.Value)
		names = append(names, t.Key)
	}
	names = append(names, in.TagKeys...)
	if len(names) > 0 {
		slices.Sort(names)
		keys.Set("aws:TagKeys", slices.Compact(names)...)
	}
}
