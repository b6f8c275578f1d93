package iam

import (
	"errors"
	"github.com/rolecall/rolecall/internal/api"
)

// opSpec is one row of the operation table.
type opSpec struct {
	name     string
	readOnly bool
	// resource returns the ARN the action is authorized on; nil means "*".
	resource func(i *IAM, c *api.Call) (string, error)
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

// roleResource is the ARN of the role named by RoleName.
func roleResource(i *IAM, c *api.Call) (string, error) {
	name := c.Params.Get("RoleName")
	path := c.Params.Get("Path")
	// The cached role description: authorization runs on every request.
	var nse *api.Error
	if ri, err := i.Role(c.Context, i.account, name); err == nil {
		name, path = ri.Name, ri.Path
	} else if !errors.As(err, &nse) || nse.Code != "NoSuchEntity" {
		return "", err
	}
	if path == "" {
		path = "/"
	}
	return i.roleARN(path, name), nil
}

// userResource is the ARN of the user named by UserName, or the caller's.
func userResource(i *IAM, c *api.Call) (string, error) {
	name, ok := c.Params["UserName"]
	if !ok {
		if c.Principal != nil && c.Principal.ARN != "" {
			return c.Principal.ARN, nil
		}
		return "*", nil
	}
	path := c.Params.Get("Path")
	if u, err := get[userRecord](c.Context, i.store, tableUsers, i.nameKey(name[0])); err != nil {
		return "", err
	} else if u != nil {
		return i.userARN(u.Path, u.Name), nil
	}
	if path == "" {
		path = "/"
	}
	return i.userARN(path, name[0]), nil
}

// policyResource is PolicyArn, or for CreatePolicy the ARN to be.
func policyResource(i *IAM, c *api.Call) (string, error) {
	if arn := c.Params.Get("PolicyArn"); arn != "" {
		return arn, nil
	}
	path := c.Params.Get("Path")
	if path == "" {
		path = "/"
	}
	return i.policyARN(path, c.Params.Get("PolicyName")), nil
}

// keyResource is the ARN of the user owning AccessKeyId.
func keyResource(i *IAM, c *api.Call) (string, error) {
	k, err := get[keyRecord](c.Context, i.store, tableKeys, c.Params.Get("AccessKeyId"))
	if err != nil || k == nil || k.User == "" || k.Account != i.account {
		return "*", err
	}
	u, err := get[userRecord](c.Context, i.store, tableUsers, i.nameKey(k.User))
	if err != nil || u == nil {
		return "*", err
	}
	return i.userARN(u.Path, u.Name), nil
}

// simulationResource is the principal whose policies are simulated.
func simulationResource(_ *IAM, c *api.Call) (string, error) {
	if arn := c.Params.Get("PolicySourceArn"); arn != "" {
		return arn, nil
	}
	return "*", nil
}
