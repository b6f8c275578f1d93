package iam

import (
	"errors"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// opSpec is one row of the operation table.
type opSpec struct {
	name     string
	readOnly bool
	// resource returns the ARN the action is authorized on; nil means "*".
	resource func(i *IAM, c *api.Call) (api.Resource, error)
	handle   func(i *IAM, c *api.Call) (any, error)
}

// operations lists every IAM operation rolecall implements, with the
// resource the Service Authorization Reference names for its action.
var operations = []opSpec{
	// Roles.
	{"CreateRole", false, roleResource, createRole},
	{"GetRole", true, roleResource, getRole},
	{"ListRoles", true, nil, listRoles},
	{"UpdateRole", false, roleResource, updateRole},
	{"UpdateRoleDescription", false, roleResource, updateRoleDescription},
	{"UpdateAssumeRolePolicy", false, roleResource, updateAssumeRolePolicy},
	{"DeleteRole", false, roleResource, deleteRole},
	{"TagRole", false, roleResource, roleTags.tag},
	{"UntagRole", false, roleResource, roleTags.untag},
	{"ListRoleTags", true, roleResource, roleTags.list},
	{"PutRolePermissionsBoundary", false, roleResource, roleKind.putBoundary},
	{"DeleteRolePermissionsBoundary", false, roleResource, roleKind.deleteBoundary},
	{"PutRolePolicy", false, roleResource, roleKind.putPolicy},
	{"GetRolePolicy", true, roleResource, roleKind.getPolicy},
	{"ListRolePolicies", true, roleResource, roleKind.listPolicies},
	{"DeleteRolePolicy", false, roleResource, roleKind.deletePolicy},
	{"AttachRolePolicy", false, roleResource, roleKind.attachPolicy},
	{"DetachRolePolicy", false, roleResource, roleKind.detachPolicy},
	{"ListAttachedRolePolicies", true, roleResource, roleKind.listAttached},

	// Users.
	{"CreateUser", false, userResource, createUser},
	{"GetUser", true, userResource, getUser},
	{"ListUsers", true, nil, listUsers},
	{"DeleteUser", false, userResource, deleteUser},
	{"TagUser", false, userResource, userTags.tag},
	{"UntagUser", false, userResource, userTags.untag},
	{"ListUserTags", true, userResource, userTags.list},
	{"PutUserPermissionsBoundary", false, userResource, userKind.putBoundary},
	{"DeleteUserPermissionsBoundary", false, userResource, userKind.deleteBoundary},
	{"PutUserPolicy", false, userResource, userKind.putPolicy},
	{"GetUserPolicy", true, userResource, userKind.getPolicy},
	{"ListUserPolicies", true, userResource, userKind.listPolicies},
	{"DeleteUserPolicy", false, userResource, userKind.deletePolicy},
	{"AttachUserPolicy", false, userResource, userKind.attachPolicy},
	{"DetachUserPolicy", false, userResource, userKind.detachPolicy},
	{"ListAttachedUserPolicies", true, userResource, userKind.listAttached},

	// Access keys.
	{"CreateAccessKey", false, userResource, createAccessKey},
	{"ListAccessKeys", true, userResource, listAccessKeys},
	{"UpdateAccessKey", false, userResource, updateAccessKey},
	{"DeleteAccessKey", false, userResource, deleteAccessKey},
	{"GetAccessKeyLastUsed", true, keyResource, getAccessKeyLastUsed},

	// Managed policies.
	{"CreatePolicy", false, policyResource, createPolicy},
	{"GetPolicy", true, policyResource, getPolicy},
	{"ListPolicies", true, nil, listPolicies},
	{"DeletePolicy", false, policyResource, deletePolicy},
	{"CreatePolicyVersion", false, policyResource, createPolicyVersion},
	{"GetPolicyVersion", true, policyResource, getPolicyVersion},
	{"ListPolicyVersions", true, policyResource, listPolicyVersions},
	{"DeletePolicyVersion", false, policyResource, deletePolicyVersion},
	{"SetDefaultPolicyVersion", false, policyResource, setDefaultPolicyVersion},
	{"TagPolicy", false, policyResource, policyTags.tag},
	{"UntagPolicy", false, policyResource, policyTags.untag},
	{"ListPolicyTags", true, policyResource, policyTags.list},
	{"ListEntitiesForPolicy", true, policyResource, listEntitiesForPolicy},

	// Account-wide.
	{"GetAccountAuthorizationDetails", true, nil, getAccountAuthorizationDetails},
	{"SimulatePrincipalPolicy", true, simulationResource, simulatePrincipalPolicy},
	{"SimulateCustomPolicy", true, nil, simulateCustomPolicy},
}

// roleResource is the role named by RoleName, with its tags and boundary.
func roleResource(i *IAM, c *api.Call) (api.Resource, error) {
	name := c.Params.Get("RoleName")
	path := c.Params.Get("Path")
	res := api.Resource{Type: "AWS::IAM::Role"}
	// The cached role description: authorization runs on every request.
	var nse *api.Error
	if ri, err := i.Role(c.Context, i.account, name); err == nil {
		name, path = ri.Name, ri.Path
		res.Tags = tagMap(ri.Tags)
		res.Boundary = ri.PermissionsBoundary
	} else if !errors.As(err, &nse) || nse.Code != "NoSuchEntity" {
		return api.Resource{}, err
	}
	if path == "" {
		path = "/"
	}
	res.ARN = i.roleARN(path, name)
	return res, nil
}

// userResource is the user named by UserName, or the caller, with its tags
// and boundary.
func userResource(i *IAM, c *api.Call) (api.Resource, error) {
	name, ok := c.Params["UserName"]
	if !ok {
		if c.Principal != nil && c.Principal.ARN != "" {
			return api.Resource{ARN: c.Principal.ARN}, nil
		}
		return api.Resource{ARN: "*"}, nil
	}
	path := c.Params.Get("Path")
	if u, err := get[userRecord](c.Context, i.store, tableUsers, i.nameKey(name[0])); err != nil {
		return api.Resource{}, err
	} else if u != nil {
		return api.Resource{ARN: i.userARN(u.Path, u.Name), Type: "AWS::IAM::User", Tags: tagMap(u.Tags), Boundary: u.Boundary}, nil
	}
	if path == "" {
		path = "/"
	}
	return api.Resource{ARN: i.userARN(path, name[0]), Type: "AWS::IAM::User"}, nil
}

// policyResource is PolicyArn, or for CreatePolicy the ARN to be.
func policyResource(i *IAM, c *api.Call) (api.Resource, error) {
	if arn := c.Params.Get("PolicyArn"); arn != "" {
		return api.Resource{ARN: arn, Type: "AWS::IAM::Policy"}, nil
	}
	path := c.Params.Get("Path")
	if path == "" {
		path = "/"
	}
	return api.Resource{ARN: i.policyARN(path, c.Params.Get("PolicyName")), Type: "AWS::IAM::Policy"}, nil
}

// keyResource is the user owning AccessKeyId.
func keyResource(i *IAM, c *api.Call) (api.Resource, error) {
	k, err := get[keyRecord](c.Context, i.store, tableKeys, c.Params.Get("AccessKeyId"))
	if err != nil || k == nil || k.User == "" || k.Account != i.account {
		return api.Resource{ARN: "*"}, err
	}
	u, err := get[userRecord](c.Context, i.store, tableUsers, i.nameKey(k.User))
	if err != nil || u == nil {
		return api.Resource{ARN: "*"}, err
	}
	return api.Resource{ARN: i.userARN(u.Path, u.Name), Type: "AWS::IAM::User", Tags: tagMap(u.Tags)}, nil
}

// simulationResource is the principal whose policies are simulated.
func simulationResource(_ *IAM, c *api.Call) (api.Resource, error) {
	if arn := c.Params.Get("PolicySourceArn"); arn != "" {
		return api.Resource{ARN: arn}, nil
	}
	return api.Resource{ARN: "*"}, nil
}

// conditions sets IAM's condition keys where AWS sets them: iam:PolicyARN
// for attaching and detaching managed policies; iam:PermissionsBoundary
// for the boundary a request sets, or the one the role or user has;
// aws:RequestTag and aws:TagKeys for the tags a request sets or removes.
func conditions(c *api.Call, res api.Resource, keys api.Keys) {
	name := c.OperationName
	if strings.HasPrefix(name, "Attach") || strings.HasPrefix(name, "Detach") {
		if arn := c.Params.Get("PolicyArn"); arn != "" {
			keys.Set("iam:PolicyARN", arn)
		}
	}
	if b := c.Params.Get("PermissionsBoundary"); b != "" {
		keys.Set("iam:PermissionsBoundary", b)
	} else if res.Boundary != "" && boundaryOps[name] {
		keys.Set("iam:PermissionsBoundary", res.Boundary)
	}
	var tagKeys []string
	for n := 1; ; n++ {
		k, ok := c.Params["Tags.member."+strconv.Itoa(n)+".Key"]
		if !ok {
			break
		}
		keys.Set("aws:RequestTag/"+k[0], c.Params.Get("Tags.member."+strconv.Itoa(n)+".Value"))
		tagKeys = append(tagKeys, k[0])
	}
	for n := 1; ; n++ {
		k, ok := c.Params["TagKeys.member."+strconv.Itoa(n)]
		if !ok {
			break
		}
		tagKeys = append(tagKeys, k[0])
	}
	if tagKeys != nil {
		keys.Set("aws:TagKeys", tagKeys...)
	}
}

// boundaryOps are the operations on an existing role or user whose
// iam:PermissionsBoundary is the boundary it has.
var boundaryOps = map[string]bool{
	"DeleteRolePermissionsBoundary": true, "DeleteUserPermissionsBoundary": true,
	"AttachRolePolicy": true, "DetachRolePolicy": true, "PutRolePolicy": true, "DeleteRolePolicy": true,
	"AttachUserPolicy": true, "DetachUserPolicy": true, "PutUserPolicy": true, "DeleteUserPolicy": true,
}
