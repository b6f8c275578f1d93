package iam

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// pageAll lists op's entities (member field field) page by page, with
// between run before every page after the first, and returns the names.
func (f *fixture) pageAll(op string, max int, between func(page int), kv ...string) []string {
	f.t.Helper()
	var names []string
	marker := ""
	for n := 0; ; n++ {
		if n > 0 {
			between(n)
		}
		args := append([]string{"MaxItems", fmt.Sprint(max)}, kv...)
		if marker != "" {
			args = append(args, "Marker", marker)
		}
		var r struct {
			Names       []string `xml:"Roles>member>RoleName"`
			Users       []string `xml:"Users>member>UserName"`
			IsTruncated bool
			Marker      string
		}
		if err := xml.Unmarshal([]byte(f.must(op, args...)), &r); err != nil {
			f.t.Fatal(err)
		}
		names = append(names, r.Names...)
		names = append(names, r.Users...)
		if len(r.Names)+len(r.Users) > max {
			f.t.Fatalf("%s page %d: %d items, MaxItems %d", op, n, len(r.Names)+len(r.Users), max)
		}
		if !r.IsTruncated {
			return names
		}
		marker = r.Marker
	}
}

// TestListPagingWhileChanging pages roles and users, with and without a
// PathPrefix, while entities before and after the page being read are
// created and deleted: each entity that lives through the listing is
// returned once, in name order, and a deleted one is not returned after
// its deletion.
func TestListPagingWhileChanging(t *testing.T) {
	for _, tc := range []struct {
		op, create, del, name string
		prefix                []string
	}{
		{"ListRoles", "CreateRole", "DeleteRole", "RoleName", nil},
		{"ListRoles", "CreateRole", "DeleteRole", "RoleName", []string{"PathPrefix", "/app/"}},
		{"ListUsers", "CreateUser", "DeleteUser", "UserName", nil},
		{"ListUsers", "CreateUser", "DeleteUser", "UserName", []string{"PathPrefix", "/app"}},
	} {
		t.Run(strings.Join(append([]string{tc.op}, tc.prefix...), " "), func(t *testing.T) {
			f := newFixture(t)
			create := func(name, path string) {
				kv := []string{tc.name, name, "Path", path}
				if tc.create == "CreateRole" {
					kv = append(kv, "AssumeRolePolicyDocument", lambdaTrust)
				}
				f.must(tc.create, kv...)
			}
			// Names in mixed case: the order is that of lowercased names.
			for n := range 20 {
				create(fmt.Sprintf("Name%02d", 2*n), "/app/")
				create(fmt.Sprintf("name%02dx", 2*n), "/other/")
			}
			deleted := map[string]bool{}
			got := f.pageAll(tc.op, 3, func(page int) {
				// Delete one entity behind the listing's position and one
				// ahead of it (for the first pages), and create one beside
				// each.
				for _, k := range []int{6 * (page - 1), 6*page + 4} {
					if k >= 40 {
						continue
					}
					name := fmt.Sprintf("Name%02d", k)
					f.must(tc.del, tc.name, name)
					deleted[name] = true
					create(fmt.Sprintf("Name%02d", k+1), "/app/")
				}
			}, tc.prefix...)
			if !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
				t.Errorf("not in name order: %v", got)
			}
			seen := map[string]bool{}
			for _, name := range got {
				if seen[name] {
					t.Errorf("%s listed twice", name)
				}
				seen[name] = true
				if tc.prefix != nil && !strings.HasPrefix(name, "Name") {
					t.Errorf("%s listed outside the path prefix", name)
				}
			}
			// Every entity that lived through the listing was listed.
			for n := range 20 {
				for _, name := range []string{fmt.Sprintf("Name%02d", 2*n), fmt.Sprintf("name%02dx", 2*n)} {
					want := !deleted[name] && (tc.prefix == nil || strings.HasPrefix(name, "Name"))
					if want && !seen[name] {
						t.Errorf("%s lived through the listing but was not listed", name)
					}
				}
			}
			// A listing after the changes shows exactly what is left: each
			// deletion made way for one creation.
			final := f.pageAll(tc.op, 1000, nil, tc.prefix...)
			for _, name := range final {
				if deleted[name] {
					t.Errorf("%s listed after it was deleted", name)
				}
			}
			if want := 40; tc.prefix == nil && len(final) != want {
				t.Errorf("final listing has %d, want %d: %v", len(final), want, final)
			}
		})
	}
}

// TestRootKeysIndexed lists the root user's keys of two accounts, and of
// a database of layout 2, which had no index of them.
func TestRootKeysIndexed(t *testing.T) {
	ctx := context.Background()
	st, box := rawStore(t)
	var err error
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err = st.Update(ctx, func(tx store.Tx) error {
		for _, v := range []struct {
			table, key string
			v          any
		}{
			{tableMeta, layoutKey, 2},
			{tableKeys, "AKIAOLDROOTKEY000001", keyRecord{ID: "AKIAOLDROOTKEY000001", Account: testAccount, Status: statusActive, Created: created,
				Secret: box.Seal([]byte("s"), []byte("AKIAOLDROOTKEY000001"))}},
			{tableKeys, "AKIAOTHERROOTKEY0001", keyRecord{ID: "AKIAOTHERROOTKEY0001", Account: otherAccount, Status: statusActive, Created: created,
				Secret: box.Seal([]byte("s"), []byte("AKIAOTHERROOTKEY0001"))}},
			{tableRoles, testAccount + "/legacy", roleRecord{Name: "Legacy", Path: "/old/", ID: "AROAOLDOLDOLDOLDOLDOL", Created: created, Trust: lambdaTrust, MaxSession: 3600}},
		} {
			b, err := json.Marshal(v.v)
			if err != nil {
				return err
			}
			if err := tx.Put(ctx, v.table, v.key, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	i, err := New(ctx, Config{Account: testAccount, Store: st, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, iam: i, svc: i.Service(), st: st, root: rootOf(testAccount)}
	contains(t, f.must("ListRoles", "PathPrefix", "/old/"), "<RoleName>Legacy</RoleName>")
	out := f.must("ListAccessKeys")
	contains(t, out, "AKIAOLDROOTKEY000001")
	if strings.Contains(out, "AKIAOTHERROOTKEY0001") {
		t.Errorf("another account's root key listed: %s", out)
	}
	var k struct {
		ID string `xml:"AccessKey>AccessKeyId"`
	}
	if err := xml.Unmarshal([]byte(f.must("CreateAccessKey")), &k); err != nil {
		t.Fatal(err)
	}
	contains(t, f.must("ListAccessKeys"), "AKIAOLDROOTKEY000001", k.ID)
	f.failsAs(f.root, "LimitExceeded", "CreateAccessKey")
	f.must("DeleteAccessKey", "AccessKeyId", "AKIAOLDROOTKEY000001")
	out = f.must("ListAccessKeys")
	if strings.Contains(out, "AKIAOLDROOTKEY000001") || !strings.Contains(out, k.ID) {
		t.Errorf("after delete: %s", out)
	}
	contains(t, f.mustAs(rootOf(otherAccount), "ListAccessKeys"), "AKIAOTHERROOTKEY0001")
}

// TestListEntitiesForPolicyPaging pages the entities of a policy used by
// roles and users, attached and as boundary, with each filter.
func TestListEntitiesForPolicyPaging(t *testing.T) {
	f := newFixture(t)
	policy := f.must("CreatePolicy", "PolicyName", "p", "PolicyDocument", allowDoc("s3:GetObject"))
	var p struct {
		ARN string `xml:"Policy>Arn"`
	}
	if err := xml.Unmarshal([]byte(policy), &p); err != nil {
		t.Fatal(err)
	}
	for n := range 6 {
		role, user := fmt.Sprintf("Role%d", n), fmt.Sprintf("user%d", n)
		path := []string{"/a/", "/b/"}[n%2]
		f.must("CreateRole", "RoleName", role, "Path", path, "AssumeRolePolicyDocument", lambdaTrust)
		f.must("CreateUser", "UserName", user, "Path", path)
		f.must("CreateRole", "RoleName", "unrelated"+role, "AssumeRolePolicyDocument", lambdaTrust)
		switch n % 3 {
		case 0:
			f.must("AttachRolePolicy", "RoleName", role, "PolicyArn", p.ARN)
			f.must("AttachUserPolicy", "UserName", user, "PolicyArn", p.ARN)
		case 1:
			f.must("PutRolePermissionsBoundary", "RoleName", role, "PermissionsBoundary", p.ARN)
			f.must("PutUserPermissionsBoundary", "UserName", user, "PermissionsBoundary", p.ARN)
		case 2:
			f.must("AttachRolePolicy", "RoleName", role, "PolicyArn", p.ARN)
			f.must("PutRolePermissionsBoundary", "RoleName", role, "PermissionsBoundary", p.ARN)
		}
	}
	list := func(kv ...string) []string {
		var names []string
		marker := ""
		for {
			args := append([]string{"PolicyArn", p.ARN, "MaxItems", "2"}, kv...)
			if marker != "" {
				args = append(args, "Marker", marker)
			}
			var r struct {
				Roles       []string `xml:"PolicyRoles>member>RoleName"`
				Users       []string `xml:"PolicyUsers>member>UserName"`
				IsTruncated bool
				Marker      string
			}
			if err := xml.Unmarshal([]byte(f.must("ListEntitiesForPolicy", args...)), &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Roles)+len(r.Users) > 2 {
				t.Fatalf("page of %d", len(r.Roles)+len(r.Users))
			}
			names = append(append(names, r.Roles...), r.Users...)
			if !r.IsTruncated {
				return names
			}
			marker = r.Marker
		}
	}
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{nil, "Role0,Role1,Role2,Role3,Role4,Role5,user0,user1,user3,user4"},
		{[]string{"EntityFilter", "Role"}, "Role0,Role1,Role2,Role3,Role4,Role5"},
		{[]string{"EntityFilter", "User"}, "user0,user1,user3,user4"},
		{[]string{"PolicyUsageFilter", "PermissionsPolicy"}, "Role0,Role2,Role3,Role5,user0,user3"},
		{[]string{"PolicyUsageFilter", "PermissionsBoundary"}, "Role1,Role2,Role4,Role5,user1,user4"},
		{[]string{"PathPrefix", "/b/"}, "Role1,Role3,Role5,user1,user3"},
	} {
		if got := strings.Join(list(tc.kv...), ","); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.kv, got, tc.want)
		}
	}
	// Detaching, removing a boundary and deleting update the index.
	f.must("DetachRolePolicy", "RoleName", "Role0", "PolicyArn", p.ARN)
	f.must("DeleteRolePermissionsBoundary", "RoleName", "Role2")
	f.must("DeleteUserPermissionsBoundary", "UserName", "user1")
	f.must("DeleteUser", "UserName", "user1")
	f.must("DetachRolePolicy", "RoleName", "Role3", "PolicyArn", p.ARN)
	f.must("DeleteRole", "RoleName", "Role3")
	if got, want := strings.Join(list(), ","), "Role1,Role2,Role4,Role5,user0,user3,user4"; got != want {
		t.Errorf("after changes: %s, want %s", got, want)
	}
	if got, want := strings.Join(list("PolicyUsageFilter", "PermissionsBoundary"), ","), "Role1,Role4,Role5,user4"; got != want {
		t.Errorf("boundaries after changes: %s, want %s", got, want)
	}
}

// TestListPoliciesPaging pages ListPolicies with each filter in small
// pages across the AWS and local parts: the pages together are the
// listing in one page, each policy once.
func TestListPoliciesPaging(t *testing.T) {
	f := newFixture(t)
	for n := range 7 {
		f.must("CreatePolicy", "PolicyName", fmt.Sprintf("p%d", n), "Path", []string{"/", "/x/"}[n%2], "PolicyDocument", allowDoc("s3:GetObject"))
	}
	f.must("CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust)
	for _, arn := range []string{basicExecARN, "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess", "arn:aws:iam::123456789012:policy/p0", "arn:aws:iam::123456789012:policy/p4"} {
		f.must("AttachRolePolicy", "RoleName", "r", "PolicyArn", arn)
	}
	f.must("PutRolePermissionsBoundary", "RoleName", "r", "PermissionsBoundary", "arn:aws:iam::123456789012:policy/p2")
	f.must("CreateUser", "UserName", "u")
	f.must("PutUserPermissionsBoundary", "UserName", "u", "PermissionsBoundary", "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess")
	list := func(max int, kv ...string) []string {
		var names []string
		marker := ""
		for {
			args := append([]string{"MaxItems", fmt.Sprint(max)}, kv...)
			if marker != "" {
				args = append(args, "Marker", marker)
			}
			var r struct {
				Names       []string `xml:"Policies>member>PolicyName"`
				IsTruncated bool
				Marker      string
			}
			decode(t, f.must("ListPolicies", args...), &r)
			if len(r.Names) > max {
				t.Fatalf("page of %d", len(r.Names))
			}
			names = append(names, r.Names...)
			if !r.IsTruncated {
				return names
			}
			marker = r.Marker
		}
	}
	for _, kv := range [][]string{
		{"OnlyAttached", "true"},
		{"OnlyAttached", "true", "PolicyUsageFilter", "PermissionsPolicy"},
		{"PolicyUsageFilter", "PermissionsBoundary"},
		{"Scope", "Local", "PathPrefix", "/x/"},
		{"Scope", "Local"},
		{"Scope", "AWS", "OnlyAttached", "true"},
	} {
		whole := list(1000, kv...)
		for _, max := range []int{1, 2, 3} {
			if got := list(max, kv...); !slices.Equal(got, whole) {
				t.Errorf("%v in pages of %d: %v, in one: %v", kv, max, got, whole)
			}
		}
	}
	if got := strings.Join(list(2, "OnlyAttached", "true"), ","); got != "AWSLambdaBasicExecutionRole,AWSXRayDaemonWriteAccess,p0,p2,p4" {
		t.Errorf("OnlyAttached = %s", got)
	}
	// All of them, AWS managed then local, in pages of 500.
	all := list(500)
	if len(all) < 7 || !slices.Equal(all[len(all)-7:], []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}) {
		t.Errorf("unfiltered listing ends %v", all[max(0, len(all)-7):])
	}
	seen := map[string]bool{}
	for _, name := range all {
		if seen[name] {
			t.Errorf("%s listed twice", name)
		}
		seen[name] = true
	}
}

// TestListRolesManyPaths pages roles under a PathPrefix that holds more
// distinct paths than are merged path by path, and one that holds a few.
func TestListRolesManyPaths(t *testing.T) {
	f := newFixture(t)
	var many, few []string
	for n := range maxPathsMerged + 8 {
		name := fmt.Sprintf("r%02d", (n*7)%(maxPathsMerged+8))
		f.must("CreateRole", "RoleName", name, "Path", fmt.Sprintf("/many/p%02d/", n), "AssumeRolePolicyDocument", lambdaTrust)
		many = append(many, name)
		name = fmt.Sprintf("f%02d", n)
		f.must("CreateRole", "RoleName", name, "Path", []string{"/few/", "/few/x/", "/fewer/"}[n%3], "AssumeRolePolicyDocument", lambdaTrust)
		if n%3 != 2 {
			few = append(few, name)
		}
	}
	slices.Sort(many)
	for _, tc := range []struct {
		prefix string
		want   []string
	}{{"/many/", many}, {"/few/", few}, {"/few", append(slices.Clone(few), "f02", "f05", "f08", "f11", "f14", "f17", "f20", "f23", "f26", "f29", "f32", "f35", "f38")}} {
		slices.Sort(tc.want)
		if got := f.pageAll("ListRoles", 7, func(int) {}, "PathPrefix", tc.prefix); !slices.Equal(got, tc.want) {
			t.Errorf("PathPrefix %s: %v, want %v", tc.prefix, got, tc.want)
		}
	}
}

// TestAuthorizationDetailsPaging pages GetAccountAuthorizationDetails in
// small pages, with a user and a role deleted and created between pages:
// users, then roles, then policies, each once.
func TestAuthorizationDetailsPaging(t *testing.T) {
	f := newFixture(t)
	for n := range 4 {
		f.must("CreateUser", "UserName", fmt.Sprintf("u%d", n))
		f.must("CreateRole", "RoleName", fmt.Sprintf("r%d", n), "AssumeRolePolicyDocument", lambdaTrust)
	}
	f.must("AttachRolePolicy", "RoleName", "r0", "PolicyArn", basicExecARN)
	f.must("CreatePolicy", "PolicyName", "p", "PolicyDocument", allowDoc("s3:GetObject"))
	var got []string
	marker := ""
	for page := 0; ; page++ {
		args := []string{"MaxItems", "3"}
		if marker != "" {
			args = append(args, "Marker", marker)
		}
		var r struct {
			Users       []string `xml:"UserDetailList>member>UserName"`
			Roles       []string `xml:"RoleDetailList>member>RoleName"`
			Policies    []string `xml:"Policies>member>PolicyName"`
			IsTruncated bool
			Marker      string
		}
		decode(t, f.must("GetAccountAuthorizationDetails", args...), &r)
		got = append(append(append(got, r.Users...), r.Roles...), r.Policies...)
		if n := len(r.Users) + len(r.Roles) + len(r.Policies); n > 3 {
			t.Fatalf("page of %d", n)
		}
		if page == 0 { // read u0..u2
			f.must("DeleteUser", "UserName", "u1")
			f.must("DeleteRole", "RoleName", "r2")
			f.must("CreateRole", "RoleName", "r1a", "AssumeRolePolicyDocument", lambdaTrust)
		}
		if !r.IsTruncated {
			break
		}
		marker = r.Marker
	}
	if s, want := strings.Join(got, ","), "u0,u1,u2,u3,r0,r1,r1a,r3,p,AWSLambdaBasicExecutionRole"; s != want { // policies by ARN
		t.Errorf("details = %s, want %s", s, want)
	}
}
