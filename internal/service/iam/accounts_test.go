package iam

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

const otherAccount = "210987654321"

// TestAccountsKeepTheirOwnRoles: the same role name in two accounts names
// two roles, each seen only from its own account.
func TestAccountsKeepTheirOwnRoles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := rootOf(testAccount), rootOf(otherAccount)

	f.mustAs(a, "CreateRole", "RoleName", "app", "AssumeRolePolicyDocument", lambdaTrust, "Description", "in A")
	f.failsAs(b, "NoSuchEntity", "GetRole", "RoleName", "app")
	f.failsAs(b, "NoSuchEntity", "DeleteRole", "RoleName", "app")
	f.failsAs(b, "NoSuchEntity", "PutRolePolicy", "RoleName", "app", "PolicyName", "p", "PolicyDocument", allowDoc("s3:GetObject"))
	contains(t, f.mustAs(b, "ListRoles"), "<Roles></Roles>")

	// The same name is free in B.
	f.mustAs(b, "CreateRole", "RoleName", "APP", "AssumeRolePolicyDocument", lambdaTrust)
	f.failsAs(b, "EntityAlreadyExists", "CreateRole", "RoleName", "app", "AssumeRolePolicyDocument", lambdaTrust)
	contains(t, f.mustAs(a, "GetRole", "RoleName", "app"), "<Arn>arn:aws:iam::123456789012:role/app</Arn>", "<Description>in A</Description>")
	contains(t, f.mustAs(b, "GetRole", "RoleName", "app"), "<Arn>arn:aws:iam::210987654321:role/APP</Arn>")

	ra, err := f.iam.Role(ctx, testAccount, "app")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := f.iam.Role(ctx, otherAccount, "app")
	if err != nil {
		t.Fatal(err)
	}
	if ra.Account != testAccount || rb.Account != otherAccount || ra.RoleID == rb.RoleID || rb.ARN != "arn:aws:iam::210987654321:role/APP" {
		t.Errorf("roles: %+v, %+v", ra, rb)
	}
	if _, err := f.iam.RoleByARN(ctx, "arn:aws:iam::210987654321:role/app"); err == nil {
		t.Error("RoleByARN matched a name of another case")
	}
	if got, err := f.iam.RoleByARN(ctx, rb.ARN); err != nil || got.RoleID != rb.RoleID {
		t.Errorf("RoleByARN(%s) = %+v, %v", rb.ARN, got, err)
	}

	// Each account's role has its own policies, and the compiled sets are
	// cached per account.
	f.mustAs(a, "PutRolePolicy", "RoleName", "app", "PolicyName", "p", "PolicyDocument", allowDoc("s3:GetObject"))
	decide := func(account string) policy.Effect {
		t.Helper()
		p := &api.Principal{
			Type: api.AssumedRole, Account: account, ARN: "arn:aws:sts::" + account + ":assumed-role/app/s",
			RoleARN: "arn:aws:iam::" + account + ":role/app", RoleName: "app", SessionName: "s",
		}
		set, err := f.iam.PolicySet(ctx, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		return set.Evaluate(&policy.Request{
			Principal: policy.Principal{Type: policy.AssumedRole, ARN: p.ARN, Account: account, RoleARN: p.RoleARN},
			Action:    "s3:GetObject", Resource: "*",
		}).Effect
	}
	for range 2 {
		if got := decide(testAccount); got != policy.Allow {
			t.Errorf("A's role: %v", got)
		}
		if got := decide(otherAccount); got != policy.ImplicitDeny {
			t.Errorf("B's role: %v", got)
		}
	}
	f.mustAs(b, "PutRolePolicy", "RoleName", "app", "PolicyName", "p", "PolicyDocument", allowDoc("s3:GetObject"))
	if got := decide(otherAccount); got != policy.Allow {
		t.Errorf("B's role after its own policy: %v", got)
	}

	// Deleting B's role leaves A's.
	f.mustAs(b, "DeleteRolePolicy", "RoleName", "app", "PolicyName", "p")
	f.mustAs(b, "DeleteRole", "RoleName", "app")
	if _, err := f.iam.Role(ctx, otherAccount, "app"); err == nil {
		t.Error("B's role survived its deletion")
	}
	if _, err := f.iam.Role(ctx, testAccount, "app"); err != nil {
		t.Errorf("A's role: %v", err)
	}
}

// TestAccountsKeepTheirOwnUsersAndKeys: users and their keys belong to an
// account, and the principal of a key carries it.
func TestAccountsKeepTheirOwnUsersAndKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := rootOf(testAccount), rootOf(otherAccount)
	if err := f.iam.EnsureRootKey(ctx, otherAccount, "AKIAOTHERROOTKEY0001", "root-b"); err != nil {
		t.Fatal(err)
	}
	if err := f.iam.EnsureRootKey(ctx, testAccount, "AKIAOTHERROOTKEY0001", "root-a"); err == nil {
		t.Error("B's root key was taken over by A")
	}
	if p, _, err := f.iam.LookupAccessKey(ctx, "AKIAOTHERROOTKEY0001"); err != nil || p.Type != api.Root || p.Account != otherAccount || p.ARN != "arn:aws:iam::210987654321:root" {
		t.Fatalf("B's root key: %+v, %v", p, err)
	}

	type keyOut struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	keys := map[string]string{}
	for _, p := range []*api.Principal{a, b} {
		f.mustAs(p, "CreateUser", "UserName", "dana", "Tags.member.1.Key", "team", "Tags.member.1.Value", p.Account)
		var k keyOut
		decode(t, f.mustAs(p, "CreateAccessKey", "UserName", "dana"), &k)
		keys[p.Account] = k.AccessKey.AccessKeyId
		got, _, err := f.iam.LookupAccessKey(ctx, k.AccessKey.AccessKeyId)
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != api.IAMUser || got.Account != p.Account || got.ARN != "arn:aws:iam::"+p.Account+":user/dana" || got.Tags["team"] != p.Account {
			t.Errorf("key of dana in %s: %+v", p.Account, got)
		}
	}
	ka, kb := keys[testAccount], keys[otherAccount]

	// Each account sees only its own keys, its root's included.
	out := f.mustAs(b, "ListAccessKeys", "UserName", "dana")
	contains(t, out, kb)
	if out := f.mustAs(b, "ListAccessKeys"); !strings.Contains(out, "AKIAOTHERROOTKEY0001") || strings.Contains(out, ka) {
		t.Errorf("B's root keys: %s", out)
	}
	if out := f.mustAs(a, "ListAccessKeys"); strings.Contains(out, "AKIAOTHERROOTKEY0001") {
		t.Errorf("A's root lists B's root key: %s", out)
	}
	f.failsAs(b, "NoSuchEntity", "UpdateAccessKey", "UserName", "dana", "AccessKeyId", ka, "Status", "Inactive")
	f.failsAs(b, "NoSuchEntity", "DeleteAccessKey", "UserName", "dana", "AccessKeyId", ka)
	f.failsAs(b, "NoSuchEntity", "GetAccessKeyLastUsed", "AccessKeyId", ka)
	f.failsAs(a, "NoSuchEntity", "DeleteAccessKey", "AccessKeyId", "AKIAOTHERROOTKEY0001")
	if _, _, err := f.iam.LookupAccessKey(ctx, ka); err != nil {
		t.Errorf("A's key after B's attempts: %v", err)
	}

	// The caller's own user is found in the caller's account.
	pb, _, err := f.iam.LookupAccessKey(ctx, kb)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, f.mustAs(pb, "GetUser"), "<Arn>arn:aws:iam::210987654321:user/dana</Arn>")
	f.mustAs(pb, "UpdateAccessKey", "AccessKeyId", kb, "Status", "Inactive")
	if _, _, err := f.iam.LookupAccessKey(ctx, kb); !errors.Is(err, ErrInactiveKey) {
		t.Errorf("B's key after deactivation: %v", err)
	}
	if _, _, err := f.iam.LookupAccessKey(ctx, ka); err != nil {
		t.Errorf("A's key after B's deactivation: %v", err)
	}
	f.mustAs(a, "DeleteAccessKey", "UserName", "dana", "AccessKeyId", ka)
	f.mustAs(a, "DeleteUser", "UserName", "dana")
	f.mustAs(b, "GetUser", "UserName", "dana")
}

// TestAccountsKeepTheirOwnPolicies: customer managed policies belong to an
// account; AWS managed policies are shared, their attachment counts not.
func TestAccountsKeepTheirOwnPolicies(t *testing.T) {
	f := newFixture(t)
	a, b := rootOf(testAccount), rootOf(otherAccount)
	for _, p := range []*api.Principal{a, b} {
		f.mustAs(p, "CreatePolicy", "PolicyName", "app", "PolicyDocument", allowDoc("s3:GetObject"))
		f.mustAs(p, "CreateRole", "RoleName", "fn", "AssumeRolePolicyDocument", lambdaTrust)
	}
	arnA := "arn:aws:iam::123456789012:policy/app"
	arnB := "arn:aws:iam::210987654321:policy/app"
	f.failsAs(b, "NoSuchEntity", "GetPolicy", "PolicyArn", arnA)
	f.failsAs(b, "NoSuchEntity", "AttachRolePolicy", "RoleName", "fn", "PolicyArn", arnA)
	f.mustAs(b, "AttachRolePolicy", "RoleName", "fn", "PolicyArn", arnB)
	contains(t, f.mustAs(a, "GetPolicy", "PolicyArn", arnA), "<AttachmentCount>0</AttachmentCount>")
	contains(t, f.mustAs(b, "GetPolicy", "PolicyArn", arnB), "<AttachmentCount>1</AttachmentCount>")
	out := f.mustAs(a, "ListPolicies", "Scope", "Local")
	contains(t, out, arnA)
	if strings.Contains(out, arnB) {
		t.Errorf("A lists B's policy: %s", out)
	}

	f.mustAs(a, "AttachRolePolicy", "RoleName", "fn", "PolicyArn", basicExecARN)
	f.mustAs(a, "PutRolePermissionsBoundary", "RoleName", "fn", "PermissionsBoundary", basicExecARN)
	contains(t, f.mustAs(a, "GetPolicy", "PolicyArn", basicExecARN), "<AttachmentCount>1</AttachmentCount>", "<PermissionsBoundaryUsageCount>1</PermissionsBoundaryUsageCount>")
	contains(t, f.mustAs(b, "GetPolicy", "PolicyArn", basicExecARN), "<AttachmentCount>0</AttachmentCount>", "<PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount>")
	contains(t, f.mustAs(a, "ListPolicies", "OnlyAttached", "true", "Scope", "AWS"), basicExecARN)
	if out := f.mustAs(b, "ListPolicies", "OnlyAttached", "true", "Scope", "AWS"); strings.Contains(out, basicExecARN) {
		t.Errorf("B lists A's attached AWS policy: %s", out)
	}
	contains(t, f.mustAs(a, "ListEntitiesForPolicy", "PolicyArn", basicExecARN), "<RoleName>fn</RoleName>")
	contains(t, f.mustAs(b, "ListEntitiesForPolicy", "PolicyArn", basicExecARN), "<PolicyRoles></PolicyRoles>")
	details := f.mustAs(b, "GetAccountAuthorizationDetails")
	if strings.Contains(details, "123456789012") || !strings.Contains(details, "arn:aws:iam::210987654321:role/fn") {
		t.Errorf("B's authorization details: %s", details)
	}
	f.mustAs(a, "DetachRolePolicy", "RoleName", "fn", "PolicyArn", basicExecARN)
	f.mustAs(a, "DeleteRolePermissionsBoundary", "RoleName", "fn")
	contains(t, f.mustAs(a, "GetPolicy", "PolicyArn", basicExecARN), "<AttachmentCount>0</AttachmentCount>", "<PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount>")
}

// TestUpgradeFromNameKeys opens a store written with keys that name no
// account: everything in it belongs to the default account.
func TestUpgradeFromNameKeys(t *testing.T) {
	ctx := context.Background()
	st, box := rawStore(t)
	var err error
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	seed := func(tx store.Tx, table, key string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Put(ctx, table, key, b); err != nil {
			t.Fatal(err)
		}
	}
	_, err = st.Update(ctx, func(tx store.Tx) error {
		seed(tx, tableRoles, "legacy", roleRecord{Name: "Legacy", Path: "/", ID: "AROAOLDOLDOLDOLDOLDOL", Created: created, Trust: lambdaTrust, MaxSession: 3600,
			Attached: []string{basicExecARN, "arn:aws:iam::123456789012:policy/mine"}})
		seed(tx, tableUsers, "old", userRecord{Name: "old", Path: "/", ID: "AIDAOLDOLDOLDOLDOLDOL", Created: created, Keys: []string{"AKIAOLDUSERKEY000001"}})
		seed(tx, tablePolicies, "local/mine", policyRecord{ARN: "arn:aws:iam::123456789012:policy/mine", Name: "mine", ID: "ANPAOLDOLDOLDOLDOLDOL", Path: "/",
			Created: created, Updated: created, Default: "v1", Versions: []versionRecord{{ID: "v1", Doc: allowDoc("s3:GetObject"), Created: created}},
			NextVersion: 2}.withCounts(t, 1))
		seed(tx, tablePolicies, "aws/awslambdabasicexecutionrole", policyRecord{ARN: basicExecARN, Name: "AWSLambdaBasicExecutionRole", AWS: true}.withCounts(t, 1))
		seed(tx, tableKeys, "AKIAOLDUSERKEY000001", keyRecord{ID: "AKIAOLDUSERKEY000001", User: "old", Status: statusActive,
			Secret: box.Seal([]byte("old-secret"), []byte("AKIAOLDUSERKEY000001")), Created: created})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the upgrade runs once; a second start finds nothing to do
		i, err := New(ctx, Config{Account: testAccount, Store: st, Box: box})
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{t: t, iam: i, svc: i.Service(), st: st, root: rootOf(testAccount)}
		contains(t, f.must("GetRole", "RoleName", "legacy"), "<Arn>arn:aws:iam::123456789012:role/Legacy</Arn>")
		contains(t, f.must("GetPolicy", "PolicyArn", "arn:aws:iam::123456789012:policy/mine"), "<AttachmentCount>1</AttachmentCount>")
		contains(t, f.must("GetPolicy", "PolicyArn", basicExecARN), "<AttachmentCount>1</AttachmentCount>")
		contains(t, f.must("ListEntitiesForPolicy", "PolicyArn", basicExecARN), "<RoleName>Legacy</RoleName>")
		contains(t, f.must("ListEntitiesForPolicy", "PolicyArn", "arn:aws:iam::123456789012:policy/mine"), "<RoleName>Legacy</RoleName>")
		contains(t, f.must("ListRoles", "PathPrefix", "/"), "<RoleName>Legacy</RoleName>")
		contains(t, f.must("ListUsers", "PathPrefix", "/"), "<UserName>old</UserName>")
		f.failsAs(rootOf(otherAccount), "NoSuchEntity", "GetRole", "RoleName", "legacy")
		contains(t, f.mustAs(rootOf(otherAccount), "GetPolicy", "PolicyArn", basicExecARN), "<AttachmentCount>0</AttachmentCount>")
		p, secret, err := i.LookupAccessKey(ctx, "AKIAOLDUSERKEY000001")
		if err != nil || secret != "old-secret" || p.Account != testAccount || p.ARN != "arn:aws:iam::123456789012:user/old" {
			t.Fatalf("old key: %+v %q %v", p, secret, err)
		}
		f.must("DetachRolePolicy", "RoleName", "legacy", "PolicyArn", basicExecARN)
		f.must("AttachRolePolicy", "RoleName", "legacy", "PolicyArn", basicExecARN)
	}
	if items, err := st.List(ctx, tableRoles, "legacy", "", 0); err != nil || len(items) != 0 {
		t.Errorf("old role key left behind: %v %v", items, err)
	}

	// A layout this version does not know is refused.
	if _, err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, tableMeta, layoutKey, []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, Config{Account: testAccount, Store: st, Box: box}); err == nil {
		t.Error("New accepted an unknown layout")
	}
}
