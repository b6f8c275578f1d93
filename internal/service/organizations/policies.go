package organizations

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// maxPolicySize is the largest SCP or RCP document, in characters.
const maxPolicySize = 5120

type policySummary struct {
	ID          string `json:"Id"`
	Arn         string `json:"Arn"`
	Name        string `json:"Name"`
	Description string `json:"Description"`
	Type        string `json:"Type"`
	AwsManaged  bool   `json:"AwsManaged"`
}

type policyOut struct {
	PolicySummary policySummary `json:"PolicySummary"`
	Content       string        `json:"Content"`
}

func (r *orgRecord) summary(p *policyRecord) policySummary {
	return policySummary{ID: p.ID, Arn: r.policyARN(p), Name: p.Name, Description: p.Description, Type: p.Type, AwsManaged: p.AWSManaged}
}

func (r *orgRecord) policyOut(p *policyRecord) map[string]any {
	return map[string]any{"Policy": policyOut{PolicySummary: r.summary(p), Content: p.Content}}
}

// compile parses a policy document of type typ as the gates evaluate it:
// an SCP as an identity-style document without Principal, an RCP as a
// resource-style one whose Principal is "*".
func compile(typ, content string) (*policy.Policy, error) {
	if typ == typeRCP {
		return policy.Parse(content, policy.Resource)
	}
	return policy.Parse(content, policy.SCP)
}

// checkContent validates a customer managed policy's document as
// Organizations does: its size, its grammar, and for RCPs the rules of
// RCP syntax: every statement's Principal is "*", no NotPrincipal, and
// only Deny statements (Allow belongs to RCPFullAWSAccess alone).
func checkContent(typ, content string) error {
	if utf8.RuneCountInString(content) > maxPolicySize {
		return constraint("POLICY_CONTENT_LIMIT_EXCEEDED", "You attempted to create a policy that is larger than the maximum size.")
	}
	if _, err := compile(typ, content); err != nil {
		return malformed()
	}
	if typ != typeRCP {
		return nil
	}
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return malformed()
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return malformed()
		}
		stmts = append(stmts, one)
	}
	for _, s := range stmts {
		var effect string
		if err := json.Unmarshal(s["Effect"], &effect); err != nil || effect != "Deny" {
			return malformed()
		}
		if _, ok := s["NotPrincipal"]; ok {
			return malformed()
		}
		if !anyone(s["Principal"]) {
			return malformed()
		}
	}
	return nil
}

// anyone reports whether a Principal element is "*" or {"AWS": "*"}.
func anyone(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) != 1 {
		return false
	}
	return json.Unmarshal(m["AWS"], &s) == nil && s == "*"
}

func (r *orgRecord) duplicatePolicy(name, except string) bool {
	for _, p := range r.Policies {
		if p.Name == name && p.ID != except {
			return true
		}
	}
	return false
}

func duplicatePolicy() *api.Error {
	return api.Errorf(http.StatusBadRequest, "DuplicatePolicyException", "A policy with the same name already exists.")
}

func (o *Org) createPolicy(c *api.Call) (any, error) {
	var in struct {
		Content     string  `json:"Content"`
		Description string  `json:"Description"`
		Name        string  `json:"Name"`
		Type        string  `json:"Type"`
		Tags        []tagIn `json:"Tags"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkPolicyType(in.Type); err != nil {
		return nil, err
	}
	if err := checkContent(in.Type, in.Content); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		if rec.duplicatePolicy(in.Name, "") {
			return nil, duplicatePolicy()
		}
		p := &policyRecord{ID: "p-" + randomString(lower, 8), Name: in.Name, Description: in.Description, Type: in.Type, Content: in.Content}
		if rec.Policies == nil {
			rec.Policies = map[string]*policyRecord{}
		}
		rec.Policies[p.ID] = p
		if err := rec.setTags(p.ID, in.Tags); err != nil {
			return nil, err
		}
		return rec.policyOut(p), nil
	})
}

type policyIDInput struct {
	PolicyID string `json:"PolicyId"`
}

func (o *Org) describePolicy(c *api.Call) (any, error) {
	var in policyIDInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	p := rec.policy(in.PolicyID)
	if p == nil {
		return nil, policyNotFound()
	}
	return rec.policyOut(p), nil
}

func (o *Org) updatePolicy(c *api.Call) (any, error) {
	var in struct {
		PolicyID    string  `json:"PolicyId"`
		Name        *string `json:"Name"`
		Description *string `json:"Description"`
		Content     *string `json:"Content"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		p := rec.policy(in.PolicyID)
		switch {
		case p == nil:
			return nil, policyNotFound()
		case p.AWSManaged:
			return nil, managementOnly()
		case in.Name != nil && rec.duplicatePolicy(*in.Name, p.ID):
			return nil, duplicatePolicy()
		}
		if in.Content != nil {
			if err := checkContent(p.Type, *in.Content); err != nil {
				return nil, err
			}
			p.Content = *in.Content
		}
		if in.Name != nil {
			p.Name = *in.Name
		}
		if in.Description != nil {
			p.Description = *in.Description
		}
		return rec.policyOut(p), nil
	})
}

// targets returns the ids policy id is attached to, sorted.
func (r *orgRecord) targets(id string) []string {
	var out []string
	for target, ids := range r.Attached {
		if slices.Contains(ids, id) {
			out = append(out, target)
		}
	}
	sort.Strings(out)
	return out
}

func (o *Org) deletePolicy(c *api.Call) (any, error) {
	var in policyIDInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		p := rec.policy(in.PolicyID)
		switch {
		case p == nil:
			return nil, policyNotFound()
		case p.AWSManaged:
			return nil, managementOnly()
		case len(rec.targets(p.ID)) > 0:
			return nil, api.Errorf(http.StatusBadRequest, "PolicyInUseException",
				"The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")
		}
		delete(rec.Policies, p.ID)
		delete(rec.Tags, p.ID)
		return struct{}{}, nil
	})
}

// policies returns the organization's and AWS's policies of type typ, by name.
func (r *orgRecord) policies(typ string, keep func(*policyRecord) bool) []policySummary {
	var all []*policyRecord
	for _, p := range awsPolicies {
		all = append(all, p)
	}
	for _, p := range r.Policies {
		all = append(all, p)
	}
	var out []policySummary
	for _, p := range all {
		if p.Type == typ && keep(p) {
			out = append(out, r.summary(p))
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

func (o *Org) listPolicies(c *api.Call) (any, error) {
	var in struct {
		pageInput
		Filter string `json:"Filter"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkPolicyType(in.Filter); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	items, next, err := page(c, in.pageInput, rec.policies(in.Filter, func(*policyRecord) bool { return true }), in.Filter)
	if err != nil {
		return nil, err
	}
	return listOut("Policies", items, next), nil
}

type attachInput struct {
	PolicyID string `json:"PolicyId"`
	TargetID string `json:"TargetId"`
}

// attachPolicy attaches a policy of an enabled type to the root, an OU or
// an account.
func (o *Org) attachPolicy(c *api.Call) (any, error) {
	var in attachInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		p := rec.policy(in.PolicyID)
		switch {
		case p == nil:
			return nil, policyNotFound()
		case !rec.enabled(p.Type):
			return nil, policyTypeNotEnabled()
		}
		if arn, _, _ := rec.target(in.TargetID); arn == "" {
			return nil, targetNotFound()
		}
		if !rec.attach(p.ID, in.TargetID) {
			return nil, api.Errorf(http.StatusBadRequest, "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.")
		}
		return struct{}{}, nil
	})
}

// detachPolicy detaches a policy; a target keeps at least one SCP, and
// RCPFullAWSAccess stays attached.
func (o *Org) detachPolicy(c *api.Call) (any, error) {
	var in attachInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		p := rec.policy(in.PolicyID)
		if p == nil {
			return nil, policyNotFound()
		}
		if arn, _, _ := rec.target(in.TargetID); arn == "" {
			return nil, targetNotFound()
		}
		ids := rec.Attached[in.TargetID]
		if !slices.Contains(ids, p.ID) {
			return nil, api.Errorf(http.StatusBadRequest, "PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.")
		}
		same := 0
		for _, id := range ids {
			if q := rec.policy(id); q != nil && q.Type == p.Type {
				same++
			}
		}
		if p.ID == fullAccess[typeRCP] || p.Type == typeSCP && same == 1 {
			return nil, constraint("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
				"You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.")
		}
		rec.Attached[in.TargetID] = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == p.ID })
		return struct{}{}, nil
	})
}

func (o *Org) listPoliciesForTarget(c *api.Call) (any, error) {
	var in struct {
		pageInput
		TargetID string `json:"TargetId"`
		Filter   string `json:"Filter"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkPolicyType(in.Filter); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	if arn, _, _ := rec.target(in.TargetID); arn == "" {
		return nil, targetNotFound()
	}
	attached := rec.Attached[in.TargetID]
	all := rec.policies(in.Filter, func(p *policyRecord) bool { return slices.Contains(attached, p.ID) })
	items, next, err := page(c, in.pageInput, all, in.TargetID, in.Filter)
	if err != nil {
		return nil, err
	}
	return listOut("Policies", items, next), nil
}

type targetOut struct {
	TargetID string `json:"TargetId"`
	Arn      string `json:"Arn"`
	Name     string `json:"Name"`
	Type     string `json:"Type"`
}

func (o *Org) listTargetsForPolicy(c *api.Call) (any, error) {
	var in struct {
		pageInput
		PolicyID string `json:"PolicyId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	p := rec.policy(in.PolicyID)
	if p == nil {
		return nil, policyNotFound()
	}
	var all []targetOut
	for _, id := range rec.targets(p.ID) {
		arn, kind, name := rec.target(id)
		if arn != "" {
			all = append(all, targetOut{TargetID: id, Arn: arn, Name: name, Type: kind})
		}
	}
	items, next, err := page(c, in.pageInput, all, p.ID)
	if err != nil {
		return nil, err
	}
	return listOut("Targets", items, next), nil
}
