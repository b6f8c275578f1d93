package rolecall

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

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

// readRole reads a role's identity policies and boundary as IAM's own
// reads would show them to the caller: each read is authorized as the
// caller's (iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy,
// iam:ListAttachedRolePolicies, and iam:GetPolicy and iam:GetPolicyVersion
// on each managed policy and the boundary) and recorded with the call,
// and the policies are then taken from IAM at once, parsed, rather than
// through one in-process call per document.
func (r *API) readRole(c *api.Call, name string) (*roleInput, error) {
	if r.cfg.IAM == nil {
		return nil, errors.New("rolecall: no IAM configured")
	}
	info, err := r.cfg.IAM.Role(c.Context, c.Account, name)
	if err != nil {
		return nil, fromIAM(err, url.Values{"RoleName": {name}})
	}
	roleRes := api.Resource{ARN: info.ARN, Type: "AWS::IAM::Role"}
	for _, action := range []string{"iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"} {
		if err := c.Authorize(action, roleRes, nil); err != nil {
			return nil, err
		}
	}
	in, err := r.cfg.IAM.PolicyInput(c.Context, &api.Principal{Type: api.AssumedRole, Account: info.Account, ARN: info.ARN,
		RoleARN: info.ARN, RoleName: info.Name, RoleID: info.RoleID})
	if err != nil {
		return nil, fmt.Errorf("rolecall: policies of %s: %w", info.ARN, err)
	}
	ri := &roleInput{role: role{Name: info.Name, ID: info.RoleID, ARN: info.ARN, Path: info.Path, Boundary: info.PermissionsBoundary}}
	managedRead := func(arn string) error {
		res := api.Resource{ARN: arn, Type: "AWS::IAM::ManagedPolicy"}
		if err := c.Authorize("iam:GetPolicy", res, nil); err != nil {
			return err
		}
		return c.Authorize("iam:GetPolicyVersion", res, nil)
	}
	var inline, managed []attachment
	for _, n := range in.Identity {
		if !strings.HasPrefix(n.ID, "arn:") {
			if err := c.Authorize("iam:GetRolePolicy", roleRes, nil); err != nil {
				return nil, err
			}
			inline = append(inline, attachment{Name: n.ID, Type: "INLINE"})
			continue
		}
		if err := managedRead(n.ID); err != nil {
			return nil, err
		}
		managed = append(managed, attachment{Name: n.ID[strings.LastIndexByte(n.ID, '/')+1:], ARN: n.ID, Type: "MANAGED"})
	}
	ri.in.Identity = in.Identity
	ri.policies = append(inline, managed...)
	if in.Boundary != nil {
		if err := managedRead(in.Boundary.ID); err != nil {
			return nil, err
		}
		ri.in.Boundary = in.Boundary
		ri.policies = append(ri.policies, attachment{ARN: in.Boundary.ID, Type: "BOUNDARY"})
	}
	return ri, nil
}
