package iam

import (
	"errors"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// operations lists every IAM operation rolecall implements, with the
// resource the Service Authorization Reference names for its action. Every
// handler and resource runs on the view of the account the call acts in.
func (i *IAM) operations() []*api.Operation {
	return []*api.Operation{
		// Roles.
		{Name: "CreateRole", Action: "iam:CreateRole", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(createRole)},
		{Name: "GetRole", Action: "iam:GetRole", ReadOnly: true, Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(getRole)},
		{Name: "ListRoles", Action: "iam:ListRoles", ReadOnly: true, Conditions: conditions, Handle: i.acting(listRoles)},
		{Name: "UpdateRole", Action: "iam:UpdateRole", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(updateRole)},
		{Name: "UpdateRoleDescription", Action: "iam:UpdateRoleDescription", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(updateRoleDescription)},
		{Name: "UpdateAssumeRolePolicy", Action: "iam:UpdateAssumeRolePolicy", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(updateAssumeRolePolicy)},
		{Name: "DeleteRole", Action: "iam:DeleteRole", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(deleteRole)},
		{Name: "TagRole", Action: "iam:TagRole", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleTags.tag)},
		{Name: "UntagRole", Action: "iam:UntagRole", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleTags.untag)},
		{Name: "ListRoleTags", Action: "iam:ListRoleTags", ReadOnly: true, Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleTags.list)},
		{Name: "PutRolePermissionsBoundary", Action: "iam:PutRolePermissionsBoundary", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.putBoundary)},
		{Name: "DeleteRolePermissionsBoundary", Action: "iam:DeleteRolePermissionsBoundary", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.deleteBoundary)},
		{Name: "PutRolePolicy", Action: "iam:PutRolePolicy", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.putPolicy)},
		{Name: "GetRolePolicy", Action: "iam:GetRolePolicy", ReadOnly: true, Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.getPolicy)},
		{Name: "ListRolePolicies", Action: "iam:ListRolePolicies", ReadOnly: true, Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.listPolicies)},
		{Name: "DeleteRolePolicy", Action: "iam:DeleteRolePolicy", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.deletePolicy)},
		{Name: "AttachRolePolicy", Action: "iam:AttachRolePolicy", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.attachPolicy)},
		{Name: "DetachRolePolicy", Action: "iam:DetachRolePolicy", Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.detachPolicy)},
		{Name: "ListAttachedRolePolicies", Action: "iam:ListAttachedRolePolicies", ReadOnly: true, Resource: i.resource(roleResource), Conditions: conditions, Handle: i.acting(roleKind.listAttached)},

		// Users.
		{Name: "CreateUser", Action: "iam:CreateUser", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(createUser)},
		{Name: "GetUser", Action: "iam:GetUser", ReadOnly: true, Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(getUser)},
		{Name: "ListUsers", Action: "iam:ListUsers", ReadOnly: true, Conditions: conditions, Handle: i.acting(listUsers)},
		{Name: "DeleteUser", Action: "iam:DeleteUser", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(deleteUser)},
		{Name: "TagUser", Action: "iam:TagUser", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userTags.tag)},
		{Name: "UntagUser", Action: "iam:UntagUser", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userTags.untag)},
		{Name: "ListUserTags", Action: "iam:ListUserTags", ReadOnly: true, Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userTags.list)},
		{Name: "PutUserPermissionsBoundary", Action: "iam:PutUserPermissionsBoundary", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.putBoundary)},
		{Name: "DeleteUserPermissionsBoundary", Action: "iam:DeleteUserPermissionsBoundary", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.deleteBoundary)},
		{Name: "PutUserPolicy", Action: "iam:PutUserPolicy", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.putPolicy)},
		{Name: "GetUserPolicy", Action: "iam:GetUserPolicy", ReadOnly: true, Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.getPolicy)},
		{Name: "ListUserPolicies", Action: "iam:ListUserPolicies", ReadOnly: true, Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.listPolicies)},
		{Name: "DeleteUserPolicy", Action: "iam:DeleteUserPolicy", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.deletePolicy)},
		{Name: "AttachUserPolicy", Action: "iam:AttachUserPolicy", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.attachPolicy)},
		{Name: "DetachUserPolicy", Action: "iam:DetachUserPolicy", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.detachPolicy)},
		{Name: "ListAttachedUserPolicies", Action: "iam:ListAttachedUserPolicies", ReadOnly: true, Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(userKind.listAttached)},

		// Access keys.
		{Name: "CreateAccessKey", Action: "iam:CreateAccessKey", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(createAccessKey)},
		{Name: "ListAccessKeys", Action: "iam:ListAccessKeys", ReadOnly: true, Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(listAccessKeys)},
		{Name: "UpdateAccessKey", Action: "iam:UpdateAccessKey", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(updateAccessKey)},
		{Name: "DeleteAccessKey", Action: "iam:DeleteAccessKey", Resource: i.resource(userResource), Conditions: conditions, Handle: i.acting(deleteAccessKey)},
		{Name: "GetAccessKeyLastUsed", Action: "iam:GetAccessKeyLastUsed", ReadOnly: true, Resource: i.resource(keyResource), Conditions: conditions, Handle: i.acting(getAccessKeyLastUsed)},

		// Managed policies.
		{Name: "CreatePolicy", Action: "iam:CreatePolicy", Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(createPolicy)},
		{Name: "GetPolicy", Action: "iam:GetPolicy", ReadOnly: true, Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(getPolicy)},
		{Name: "ListPolicies", Action: "iam:ListPolicies", ReadOnly: true, Conditions: conditions, Handle: i.acting(listPolicies)},
		{Name: "DeletePolicy", Action: "iam:DeletePolicy", Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(deletePolicy)},
		{Name: "CreatePolicyVersion", Action: "iam:CreatePolicyVersion", Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(createPolicyVersion)},
		{Name: "GetPolicyVersion", Action: "iam:GetPolicyVersion", ReadOnly: true, Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(getPolicyVersion)},
		{Name: "ListPolicyVersions", Action: "iam:ListPolicyVersions", ReadOnly: true, Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(listPolicyVersions)},
		{Name: "DeletePolicyVersion", Action: "iam:DeletePolicyVersion", Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(deletePolicyVersion)},
		{Name: "SetDefaultPolicyVersion", Action: "iam:SetDefaultPolicyVersion", Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(setDefaultPolicyVersion)},
		{Name: "TagPolicy", Action: "iam:TagPolicy", Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(policyTags.tag)},
		{Name: "UntagPolicy", Action: "iam:UntagPolicy", Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(policyTags.untag)},
		{Name: "ListPolicyTags", Action: "iam:ListPolicyTags", ReadOnly: true, Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(policyTags.list)},
		{Name: "ListEntitiesForPolicy", Action: "iam:ListEntitiesForPolicy", ReadOnly: true, Resource: i.resource(policyResource), Conditions: conditions, Handle: i.acting(listEntitiesForPolicy)},

		// Account-wide.
		{Name: "GetAccountAuthorizationDetails", Action: "iam:GetAccountAuthorizationDetails", ReadOnly: true, Conditions: conditions, Handle: i.acting(getAccountAuthorizationDetails)},
		{Name: "SimulatePrincipalPolicy", Action: "iam:SimulatePrincipalPolicy", ReadOnly: true, Resource: i.resource(simulationResource), Conditions: conditions, Handle: i.acting(simulatePrincipalPolicy)},
		{Name: "SimulateCustomPolicy", Action: "iam:SimulateCustomPolicy", ReadOnly: true, Conditions: conditions, Handle: i.acting(simulateCustomPolicy)},
	}
}

// acting runs h on the view of the call's account.
func (i *IAM) acting(h func(*IAM, *api.Call) (any, error)) func(*api.Call) (any, error) {
	return func(c *api.Call) (any, error) { return h(i.in(c.Account), c) }
}

// resource looks up res on the view of the call's account.
func (i *IAM) resource(res func(*IAM, *api.Call) (api.Resource, error)) func(*api.Call) (api.Resource, error) {
	return func(c *api.Call) (api.Resource, error) { return res(i.in(c.Account), c) }
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
