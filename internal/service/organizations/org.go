package organizations

import (
	"net/http"
	"slices"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

type policyTypeSummary struct {
	Type   string `json:"Type"`
	Status string `json:"Status"`
}

type organizationOut struct {
	ID                   string              `json:"Id"`
	Arn                  string              `json:"Arn"`
	FeatureSet           string              `json:"FeatureSet"`
	MasterAccountArn     string              `json:"MasterAccountArn"`
	MasterAccountID      string              `json:"MasterAccountId"`
	MasterAccountEmail   string              `json:"MasterAccountEmail,omitempty"`
	AvailablePolicyTypes []policyTypeSummary `json:"AvailablePolicyTypes"`
}

type rootOut struct {
	ID          string              `json:"Id"`
	Arn         string              `json:"Arn"`
	Name        string              `json:"Name"`
	PolicyTypes []policyTypeSummary `json:"PolicyTypes"`
}

func (r *orgRecord) policyTypes() []policyTypeSummary {
	out := []policyTypeSummary{}
	for _, t := range r.PolicyTypes {
		out = append(out, policyTypeSummary{Type: t, Status: "ENABLED"})
	}
	return out
}

func (r *orgRecord) out() organizationOut {
	return organizationOut{
		ID: r.ID, Arn: r.arn(), FeatureSet: r.FeatureSet,
		MasterAccountArn: r.accountARN(r.Management), MasterAccountID: r.Management, MasterAccountEmail: r.Email,
		AvailablePolicyTypes: r.policyTypes(),
	}
}

func (r *orgRecord) root() rootOut {
	return rootOut{ID: r.RootID, Arn: r.rootARN(), Name: "Root", PolicyTypes: r.policyTypes()}
}

// createOrganization makes the caller's account the management account of
// a new organization with all features (or consolidated billing only).
func (o *Org) createOrganization(c *api.Call) (any, error) {
	var in struct {
		FeatureSet string `json:"FeatureSet"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if in.FeatureSet == "" {
		in.FeatureSet = "ALL"
	}
	var rec *orgRecord
	_, err := o.st.Update(c.Context, func(tx store.Tx) error {
		have, err := load(c.Context, tx, c.Account)
		if err != nil {
			return err
		}
		if have != nil {
			return api.Errorf(http.StatusBadRequest, "AlreadyInOrganizationException", "The AWS account is already a member of an organization.")
		}
		rec = &orgRecord{
			ID:         "o-" + randomString(lower, 10),
			Management: c.Account,
			FeatureSet: in.FeatureSet,
			RootID:     "r-" + randomString(lower, 4),
			Accounts:   map[string]*accountRecord{},
		}
		rec.Accounts[c.Account] = &accountRecord{
			ID: c.Account, Name: "management", Parent: rec.RootID, Method: "CREATED", Joined: o.now().UTC(),
		}
		if err := tx.Put(c.Context, membersTable, c.Account, []byte(rec.ID)); err != nil {
			return err
		}
		return save(c.Context, tx, rec)
	})
	if err != nil {
		return nil, err
	}
	o.gates.invalidate()
	return map[string]any{"Organization": rec.out()}, nil
}

func (o *Org) describeOrganization(c *api.Call) (any, error) {
	rec, err := o.view(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Organization": rec.out()}, nil
}

// deleteOrganization deletes an organization with no member accounts left.
func (o *Org) deleteOrganization(c *api.Call) (any, error) {
	_, err := o.st.Update(c.Context, func(tx store.Tx) error {
		rec, err := load(c.Context, tx, c.Account)
		if err != nil {
			return err
		}
		if rec == nil {
			return notInUse()
		}
		if rec.Management != c.Account {
			return managementOnly()
		}
		if len(rec.Accounts) > 1 {
			return api.Errorf(http.StatusBadRequest, "OrganizationNotEmptyException",
				"To delete an organization you must first remove all member accounts (except the master).")
		}
		if err := tx.Delete(c.Context, membersTable, c.Account); err != nil {
			return err
		}
		return tx.Delete(c.Context, orgsTable, rec.ID)
	})
	if err != nil {
		return nil, err
	}
	o.gates.invalidate()
	return struct{}{}, nil
}

func (o *Org) listRoots(c *api.Call) (any, error) {
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Roots": []rootOut{rec.root()}}, nil
}

type policyTypeInput struct {
	RootID     string `json:"RootId"`
	PolicyType string `json:"PolicyType"`
}

// checkPolicyType refuses the policy types rolecall does not enforce.
func checkPolicyType(typ string) error {
	if typ == typeSCP || typ == typeRCP {
		return nil
	}
	return invalidInput("INVALID_ENUM_POLICY_TYPE",
		"You specified an invalid policy type: only SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY are supported.")
}

// enablePolicyType enables SCPs or RCPs on the root, attaching the type's
// full-access AWS managed policy to the root, every OU and every account.
func (o *Org) enablePolicyType(c *api.Call) (any, error) {
	var in policyTypeInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkPolicyType(in.PolicyType); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		if in.RootID != rec.RootID {
			return nil, rootNotFound()
		}
		if rec.FeatureSet != "ALL" {
			return nil, api.Errorf(http.StatusBadRequest, "PolicyTypeNotAvailableForOrganizationException",
				"You can't use the specified policy type with the feature set currently enabled for this organization.")
		}
		if rec.enabled(in.PolicyType) {
			return nil, api.Errorf(http.StatusBadRequest, "PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled.")
		}
		rec.PolicyTypes = append(rec.PolicyTypes, in.PolicyType)
		full := fullAccess[in.PolicyType]
		rec.attach(full, rec.RootID)
		for id := range rec.OUs {
			rec.attach(full, id)
		}
		for id := range rec.Accounts {
			rec.attach(full, id)
		}
		return map[string]any{"Root": rec.root()}, nil
	})
}

// disablePolicyType disables a policy type, detaching its policies everywhere.
func (o *Org) disablePolicyType(c *api.Call) (any, error) {
	var in policyTypeInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkPolicyType(in.PolicyType); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		if in.RootID != rec.RootID {
			return nil, rootNotFound()
		}
		if !rec.enabled(in.PolicyType) {
			return nil, policyTypeNotEnabled()
		}
		rec.PolicyTypes = slices.DeleteFunc(rec.PolicyTypes, func(t string) bool { return t == in.PolicyType })
		for target, ids := range rec.Attached {
			rec.Attached[target] = slices.DeleteFunc(ids, func(id string) bool {
				p := rec.policy(id)
				return p == nil || p.Type == in.PolicyType
			})
			if len(rec.Attached[target]) == 0 {
				delete(rec.Attached, target)
			}
		}
		return map[string]any{"Root": rec.root()}, nil
	})
}

// attach attaches policy id to target; it reports false when it already was.
func (r *orgRecord) attach(policy, target string) bool {
	if slices.Contains(r.Attached[target], policy) {
		return false
	}
	if r.Attached == nil {
		r.Attached = map[string][]string{}
	}
	r.Attached[target] = append(r.Attached[target], policy)
	return true
}

// attachDefaults attaches the full-access policy of every enabled type to
// a new OU or account.
func (r *orgRecord) attachDefaults(target string) {
	for _, t := range r.PolicyTypes {
		r.attach(fullAccess[t], target)
	}
}

// forget removes what the record holds about a target leaving it.
func (r *orgRecord) forget(target string) {
	delete(r.Attached, target)
	delete(r.Tags, target)
}
