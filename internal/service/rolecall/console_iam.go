package rolecall

import (
	"fmt"
	"net/url"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// role is a role as IAM's GetRole shows it.
type role struct {
	Name     string `xml:"Role>RoleName"`
	ID       string `xml:"Role>RoleId"`
	ARN      string `xml:"Role>Arn"`
	Path     string `xml:"Role>Path"`
	Boundary string `xml:"Role>PermissionsBoundary>PermissionsBoundaryArn"`
}

// attachment is a managed policy attached to a role or named as its
// boundary.
type attachment struct {
	Name string `json:"policyName,omitempty"`
	ARN  string `json:"policyArn,omitempty"`
	Type string `json:"policyType"` // "INLINE", "MANAGED" or "BOUNDARY"
}

// roleInput is a role's policies read through IAM, as policy.SetInput
// and as the list of what they are.
type roleInput struct {
	role     role
	in       policy.SetInput
	policies []attachment
}

// pages calls a paginated IAM list operation until it is not truncated.
func (r *API) pages(c *api.Call, op string, params url.Values, each func(out *page) error) error {
	for {
		var out page
		if err := r.callIAM(c, op, params, &out); err != nil {
			return err
		}
		if err := each(&out); err != nil {
			return err
		}
		if !out.IsTruncated {
			return nil
		}
		params.Set("Marker", out.Marker)
	}
}

// page is the union of the IAM list results the console reads.
type page struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	Attached    []struct {
		Name string `xml:"PolicyName"`
		ARN  string `xml:"PolicyArn"`
	} `xml:"AttachedPolicies>member"`
	Versions    []version `xml:"Versions>member"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker"`
}

type version struct {
	Document  string `xml:"Document"`
	VersionID string `xml:"VersionId"`
	Default   bool   `xml:"IsDefaultVersion"`
	Created   string `xml:"CreateDate"`
}

// readRole reads a role's identity policies and boundary through IAM as
// the caller: GetRole, ListRolePolicies, GetRolePolicy,
// ListAttachedRolePolicies, GetPolicy and GetPolicyVersion.
func (r *API) readRole(c *api.Call, name string) (*roleInput, error) {
	ri := &roleInput{}
	if err := r.callIAM(c, "GetRole", url.Values{"RoleName": {name}}, &ri.role); err != nil {
		return nil, err
	}
	var inline []string
	if err := r.pages(c, "ListRolePolicies", url.Values{"RoleName": {name}, "MaxItems": {"1000"}}, func(p *page) error {
		inline = append(inline, p.PolicyNames...)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, pn := range inline {
		var out struct {
			Document string `xml:"PolicyDocument"`
		}
		if err := r.callIAM(c, "GetRolePolicy", url.Values{"RoleName": {name}, "PolicyName": {pn}}, &out); err != nil {
			return nil, err
		}
		p, err := parseDocument(out.Document, pn)
		if err != nil {
			return nil, err
		}
		ri.in.Identity = append(ri.in.Identity, policy.Named{ID: pn, Policy: p})
		ri.policies = append(ri.policies, attachment{Name: pn, Type: "INLINE"})
	}
	var managed []attachment
	if err := r.pages(c, "ListAttachedRolePolicies", url.Values{"RoleName": {name}, "MaxItems": {"1000"}}, func(p *page) error {
		for _, a := range p.Attached {
			managed = append(managed, attachment{Name: a.Name, ARN: a.ARN, Type: "MANAGED"})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, a := range managed {
		p, _, err := r.managedDocument(c, a.ARN)
		if err != nil {
			return nil, err
		}
		ri.in.Identity = append(ri.in.Identity, policy.Named{ID: a.ARN, Policy: p})
		ri.policies = append(ri.policies, a)
	}
	if b := ri.role.Boundary; b != "" {
		p, _, err := r.managedDocument(c, b)
		if err != nil {
			return nil, err
		}
		ri.in.Boundary = &policy.Named{ID: b, Policy: p}
		ri.policies = append(ri.policies, attachment{ARN: b, Type: "BOUNDARY"})
	}
	return ri, nil
}

// managedDocument reads the default version of a managed policy through
// IAM as the caller (GetPolicy, GetPolicyVersion): the parsed policy and
// the version's ID.
func (r *API) managedDocument(c *api.Call, arn string) (*policy.Policy, string, error) {
	var pol struct {
		Default string `xml:"Policy>DefaultVersionId"`
	}
	if err := r.callIAM(c, "GetPolicy", url.Values{"PolicyArn": {arn}}, &pol); err != nil {
		return nil, "", err
	}
	var v struct {
		Version version `xml:"PolicyVersion"`
	}
	if err := r.callIAM(c, "GetPolicyVersion", url.Values{"PolicyArn": {arn}, "VersionId": {pol.Default}}, &v); err != nil {
		return nil, "", err
	}
	p, err := parseDocument(v.Version.Document, arn)
	return p, pol.Default, err
}

// parseDocument parses a policy document as IAM returns it, URL-encoded.
func parseDocument(encoded, id string) (*policy.Policy, error) {
	doc, err := url.PathUnescape(encoded)
	if err != nil {
		return nil, fmt.Errorf("rolecall: policy %s: %w", id, err)
	}
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		return nil, fmt.Errorf("rolecall: policy %s as stored: %w", id, err)
	}
	return p, nil
}
