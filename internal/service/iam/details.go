package iam

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// GetAccountAuthorizationDetails.

type policyDetailXML struct {
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type userDetailXML struct {
	Path                    string                  `xml:"Path"`
	UserName                string                  `xml:"UserName"`
	UserId                  string                  `xml:"UserId"`
	Arn                     string                  `xml:"Arn"`
	CreateDate              string                  `xml:"CreateDate"`
	UserPolicyList          list[policyDetailXML]   `xml:"UserPolicyList"`
	GroupList               list[string]            `xml:"GroupList"`
	AttachedManagedPolicies list[attachedPolicyXML] `xml:"AttachedManagedPolicies"`
	PermissionsBoundary     *boundaryXML            `xml:"PermissionsBoundary,omitempty"`
	Tags                    list[Tag]               `xml:"Tags"`
}

type roleDetailXML struct {
	Path                     string                  `xml:"Path"`
	RoleName                 string                  `xml:"RoleName"`
	RoleId                   string                  `xml:"RoleId"`
	Arn                      string                  `xml:"Arn"`
	CreateDate               string                  `xml:"CreateDate"`
	AssumeRolePolicyDocument string                  `xml:"AssumeRolePolicyDocument"`
	InstanceProfileList      list[struct{}]          `xml:"InstanceProfileList"`
	RolePolicyList           list[policyDetailXML]   `xml:"RolePolicyList"`
	AttachedManagedPolicies  list[attachedPolicyXML] `xml:"AttachedManagedPolicies"`
	PermissionsBoundary      *boundaryXML            `xml:"PermissionsBoundary,omitempty"`
	Tags                     list[Tag]               `xml:"Tags"`
	RoleLastUsed             roleLastUsedXML         `xml:"RoleLastUsed"`
}

// managedDetailXML is a policy as GetPolicy shows it, without tags, and
// every version of it.
type managedDetailXML struct {
	policyXML
	PolicyVersionList list[policyVersionXML] `xml:"PolicyVersionList"`
}

type authDetailsResult struct {
	UserDetailList  list[userDetailXML]    `xml:"UserDetailList"`
	GroupDetailList list[struct{}]         `xml:"GroupDetailList"`
	RoleDetailList  list[roleDetailXML]    `xml:"RoleDetailList"`
	Policies        list[managedDetailXML] `xml:"Policies"`
	page
}

// detail is one entry of the combined, paged result.
type detail struct {
	key    string
	user   *userDetailXML
	role   *roleDetailXML
	policy *managedDetailXML
}

func inlineDetails(ps []inline) list[policyDetailXML] {
	out := list[policyDetailXML]{}
	for _, p := range ps {
		out = append(out, policyDetailXML{PolicyName: p.Name, PolicyDocument: encodeDocument(p.Doc)})
	}
	return out
}

func attachedDetails(arns []string) list[attachedPolicyXML] {
	out := list[attachedPolicyXML]{}
	for _, arn := range arns {
		name, _ := splitPolicyARN(arn)
		out = append(out, attachedPolicyXML{PolicyName: name, PolicyArn: arn})
	}
	return out
}

func getAccountAuthorizationDetails(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	filter := f.strings("Filter")
	marker, max := f.paging()
	for _, v := range filter {
		if !slices.Contains([]string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}, v) {
			f.fail("Value '%s' at 'filter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]", v)
		}
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	want := func(t string) bool { return len(filter) == 0 || slices.Contains(filter, t) }
	// Users ("1/<name>"), roles ("2/<name>"), then managed policies
	// ("3/<ARN>"); the Marker holds the last of these keys returned. Users
	// and roles are read from the Marker up to the page's end.
	after, err := marker.after()
	if err != nil {
		return nil, err
	}
	var items []detail
	if want("User") && after < "2/" {
		users, err := detailPage[userRecord](c.Context, i, tableUsers, "1/", after, max+1-len(items))
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			items = append(items, detail{key: "1/" + strings.ToLower(u.Name), user: &userDetailXML{
				Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: i.userARN(u.Path, u.Name), CreateDate: iso(u.Created),
				UserPolicyList: inlineDetails(u.Inline), GroupList: list[string]{},
				AttachedManagedPolicies: attachedDetails(u.Attached), PermissionsBoundary: boundaryOf(u.Boundary), Tags: u.Tags,
			}})
		}
	}
	if want("Role") && after < "3/" && len(items) <= max {
		roles, err := detailPage[roleRecord](c.Context, i, tableRoles, "2/", after, max+1-len(items))
		if err != nil {
			return nil, err
		}
		used, err := i.rolesLastUsed(c.Context, i.store)
		if err != nil {
			return nil, err
		}
		for _, r := range roles {
			if r, err = i.shown(c.Context, i.store, r); err != nil {
				return nil, err
			}
			items = append(items, detail{key: "2/" + strings.ToLower(r.Name), role: &roleDetailXML{
				Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: i.roleARN(r.Path, r.Name), CreateDate: iso(r.Created),
				AssumeRolePolicyDocument: encodeDocument(r.Trust), InstanceProfileList: list[struct{}]{},
				RolePolicyList: inlineDetails(r.Inline), AttachedManagedPolicies: attachedDetails(r.Attached),
				PermissionsBoundary: boundaryOf(r.Boundary), Tags: r.Tags,
				RoleLastUsed: used[r.ID].roleXML(),
			}})
		}
	}
	if (want("LocalManagedPolicy") || want("AWSManagedPolicy")) && len(items) <= max {
		pols, err := i.managedPolicies(c.Context, i.store, want("AWSManagedPolicy"), want("LocalManagedPolicy"))
		if err != nil {
			return nil, err
		}
		var policies []detail
		for _, p := range pols {
			// Unfiltered, only policies in use are reported, as IAM does.
			if (p.AWS && !want("AWSManagedPolicy")) || (!p.AWS && !want("LocalManagedPolicy")) ||
				(len(filter) == 0 && p.AWS && p.Attachments == 0 && p.BoundaryUses == 0) {
				continue
			}
			d := &managedDetailXML{policyXML: policyOut(p, false), PolicyVersionList: list[policyVersionXML]{}}
			d.Description = p.Description
			for k := range p.Versions {
				d.PolicyVersionList = append(d.PolicyVersionList, versionOut(p, &p.Versions[k], true))
			}
			if key := "3/" + p.ARN; key > after {
				policies = append(policies, detail{key: key, policy: d})
			}
		}
		slices.SortFunc(policies, func(a, b detail) int { return strings.Compare(a.key, b.key) })
		items = append(items, policies...)
	}
	got, pg := items, page{}
	if len(got) > max {
		got = got[:max]
		pg = page{IsTruncated: true, Marker: api.EncodeToken(marker.scope, got[max-1].key)}
	}
	out := authDetailsResult{
		UserDetailList: list[userDetailXML]{}, GroupDetailList: list[struct{}]{},
		RoleDetailList: list[roleDetailXML]{}, Policies: list[managedDetailXML]{}, page: pg,
	}
	for _, d := range got {
		switch {
		case d.user != nil:
			out.UserDetailList = append(out.UserDetailList, *d.user)
		case d.role != nil:
			out.RoleDetailList = append(out.RoleDetailList, *d.role)
		default:
			out.Policies = append(out.Policies, *d.policy)
		}
	}
	return out, nil
}

// detailPage reads up to limit records of table in the view's account
// whose detail key (section, then the lowercased name) sorts after after.
func detailPage[T any](ctx context.Context, i *IAM, table, section, after string, limit int) ([]*T, error) {
	start := ""
	if name, ok := strings.CutPrefix(after, section); ok {
		start = i.prefix() + name
	}
	items, err := i.store.List(ctx, table, i.prefix(), start, limit)
	if err != nil {
		return nil, fmt.Errorf("iam: list %s: %w", table, err)
	}
	return decodeAll[T](table, items)
}
