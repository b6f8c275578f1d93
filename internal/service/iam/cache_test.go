package iam

import (
	"context"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

func TestPolicySetInvalidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.must("CreateRole", "RoleName", "fn", "AssumeRolePolicyDocument", lambdaTrust)
	session := &api.Principal{
		Type: api.AssumedRole, Account: testAccount, ARN: "arn:aws:sts::123456789012:assumed-role/fn/s",
		RoleARN: "arn:aws:iam::123456789012:role/fn", RoleName: "fn", SessionName: "s",
	}
	decide := func(action string, sessionPolicies ...policy.Named) policy.Effect {
		t.Helper()
		set, err := f.iam.PolicySet(ctx, session, sessionPolicies)
		if err != nil {
			t.Fatal(err)
		}
		return set.Evaluate(&policy.Request{
			Principal: policy.Principal{Type: policy.AssumedRole, ARN: session.ARN, Account: testAccount, RoleARN: session.RoleARN},
			Action:    action, Resource: "*",
		}).Effect
	}
	expect := func(step, action string, want policy.Effect) {
		t.Helper()
		if got := decide(action); got != want {
			t.Errorf("%s: %s = %v, want %v", step, action, got, want)
		}
	}
	expect("no policies", "logs:PutLogEvents", policy.ImplicitDeny)
	if a, b := mustSet(t, f, session), mustSet(t, f, session); a != b {
		t.Error("PolicySet is not cached")
	}

	f.must("AttachRolePolicy", "RoleName", "fn", "PolicyArn", basicExecARN)
	expect("attach", "logs:PutLogEvents", policy.Allow)
	f.must("PutRolePolicy", "RoleName", "fn", "PolicyName", "deny", "PolicyDocument",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"logs:CreateLogGroup","Resource":"*"}]}`)
	expect("inline deny", "logs:CreateLogGroup", policy.ExplicitDeny)
	f.must("DeleteRolePolicy", "RoleName", "fn", "PolicyName", "deny")
	expect("inline deleted", "logs:CreateLogGroup", policy.Allow)

	// A managed policy's new default version applies at once.
	f.must("CreatePolicy", "PolicyName", "app", "PolicyDocument", allowDoc("s3:GetObject"))
	arn := "arn:aws:iam::123456789012:policy/app"
	f.must("AttachRolePolicy", "RoleName", "fn", "PolicyArn", arn)
	expect("customer policy", "s3:GetObject", policy.Allow)
	f.must("CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", allowDoc("s3:PutObject"), "SetAsDefault", "true")
	expect("new default version", "s3:GetObject", policy.ImplicitDeny)
	expect("new default version", "s3:PutObject", policy.Allow)
	f.must("SetDefaultPolicyVersion", "PolicyArn", arn, "VersionId", "v1")
	expect("default set back", "s3:GetObject", policy.Allow)

	// Boundaries.
	f.must("PutRolePermissionsBoundary", "RoleName", "fn", "PermissionsBoundary", basicExecARN)
	expect("boundary", "s3:GetObject", policy.ImplicitDeny)
	expect("boundary", "logs:PutLogEvents", policy.Allow)
	f.must("DeleteRolePermissionsBoundary", "RoleName", "fn")
	expect("boundary removed", "s3:GetObject", policy.Allow)

	f.must("DetachRolePolicy", "RoleName", "fn", "PolicyArn", arn)
	expect("detach", "s3:GetObject", policy.ImplicitDeny)

	// Session policies narrow the role's permissions; sets are cached per
	// distinct session policies.
	sp, err := policy.Parse(allowDoc("logs:CreateLogStream"), policy.Session)
	if err != nil {
		t.Fatal(err)
	}
	named := policy.Named{ID: "session", Policy: sp}
	if got := decide("logs:PutLogEvents", named); got != policy.ImplicitDeny {
		t.Errorf("session policy: PutLogEvents = %v", got)
	}
	if got := decide("logs:CreateLogStream", named); got != policy.Allow {
		t.Errorf("session policy: CreateLogStream = %v", got)
	}
	expect("without session policy", "logs:PutLogEvents", policy.Allow)
	sp2, _ := policy.Parse(allowDoc("logs:CreateLogStream"), policy.Session)
	s1, _ := f.iam.PolicySet(ctx, session, []policy.Named{named})
	s2, _ := f.iam.PolicySet(ctx, session, []policy.Named{{ID: "session", Policy: sp2}})
	if s1 != s2 {
		t.Error("equal session policies parsed twice do not share a set")
	}

	// Role deletion drops the set.
	f.must("DetachRolePolicy", "RoleName", "fn", "PolicyArn", basicExecARN)
	f.must("DeleteRole", "RoleName", "fn")
	expect("role deleted", "logs:PutLogEvents", policy.ImplicitDeny)
	f.must("CreateRole", "RoleName", "fn", "AssumeRolePolicyDocument", lambdaTrust)
	f.must("AttachRolePolicy", "RoleName", "fn", "PolicyArn", basicExecARN)
	expect("role recreated", "logs:PutLogEvents", policy.Allow)

	// Root has no identity policies.
	if set, err := f.iam.PolicySet(ctx, f.root, nil); set != nil || err != nil {
		t.Errorf("root: %v, %v", set, err)
	}
}

func TestPolicySetUser(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.must("CreateUser", "UserName", "bob")
	var k struct {
		AccessKey struct{ AccessKeyId string }
	}
	decode(t, f.must("CreateAccessKey", "UserName", "bob"), &k)
	p, _, err := f.iam.LookupAccessKey(ctx, k.AccessKey.AccessKeyId)
	if err != nil {
		t.Fatal(err)
	}
	eval := func() policy.Effect {
		set, err := f.iam.PolicySet(ctx, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		return set.Evaluate(&policy.Request{
			Principal: policy.Principal{Type: policy.User, ARN: p.ARN, Account: testAccount},
			Action:    "iam:ListRoles", Resource: "*",
		}).Effect
	}
	if got := eval(); got != policy.ImplicitDeny {
		t.Errorf("before = %v", got)
	}
	f.must("PutUserPolicy", "UserName", "bob", "PolicyName", "iam", "PolicyDocument", allowDoc("iam:List*"))
	if got := eval(); got != policy.Allow {
		t.Errorf("after PutUserPolicy = %v", got)
	}
	f.must("PutUserPermissionsBoundary", "UserName", "bob", "PermissionsBoundary", basicExecARN)
	if got := eval(); got != policy.ImplicitDeny {
		t.Errorf("with boundary = %v", got)
	}
}

func mustSet(t *testing.T, f *fixture, p *api.Principal) *policy.PolicySet {
	t.Helper()
	s, err := f.iam.PolicySet(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func BenchmarkPolicySetCached(b *testing.B) {
	f := newFixture(b)
	f.must("CreateRole", "RoleName", "fn", "AssumeRolePolicyDocument", lambdaTrust)
	f.must("AttachRolePolicy", "RoleName", "fn", "PolicyArn", basicExecARN)
	p := &api.Principal{Type: api.AssumedRole, Account: testAccount, RoleName: "fn"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.iam.PolicySet(ctx, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupAccessKey(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	if err := f.iam.EnsureRootKey(ctx, testAccount, "AKIAROOTROOTROOTROOT", "secret"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.iam.LookupAccessKey(ctx, "AKIAROOTROOTROOTROOT"); err != nil {
			b.Fatal(err)
		}
	}
}
