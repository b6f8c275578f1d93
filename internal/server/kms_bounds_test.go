package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestKMSKeysStayInTheirAccountAndRegion: a key policy that gives another
// account kms:* lets it use the key, not administer it (the operations
// KMS documents as not cross-account find keys of the caller's account
// only), and a key ARN of another region names no key of this endpoint.
func TestKMSKeysStayInTheirAccountAndRegion(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	member := newMember(t, f.orgs, "tenant")
	root := kms.NewFromConfig(srv.RootConfig())
	pol := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + kmsAccount + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"Tenant","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"kms:*","Resource":"*"}]}`
	md := newKey(t, root, &kms.CreateKeyInput{Policy: aws.String(pol)})
	arn := aws.ToString(md.Arn)
	if _, err := root.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/shared"), TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	tenant := kms.NewFromConfig(f.session(member))

	// Use: allowed across accounts.
	if _, err := tenant.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatalf("DescribeKey across accounts: %v", err)
	}
	aliasARN := "arn:aws:kms:us-east-1:" + kmsAccount + ":alias/shared"
	if _, err := tenant.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(aliasARN), Plaintext: []byte("x")}); err != nil {
		t.Fatalf("Encrypt across accounts: %v", err)
	}

	// The other account's principals need their own identity policies too,
	// and a key whose policy names only its own account is closed to them.
	tenantCfg := f.session(member)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"sts:AssumeRole"}]}`
	role, err := iam.NewFromConfig(tenantCfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("no-kms"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	as, err := sts.NewFromConfig(tenantCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("nokms")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = kms.NewFromConfig(sessionConfig(srv, as.Credentials)).Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(arn), Plaintext: []byte("x")})
	apiError(t, err, "AccessDeniedException")
	private := newKey(t, root, nil)
	_, err = tenant.Encrypt(ctx, &kms.EncryptInput{KeyId: private.Arn, Plaintext: []byte("x")})
	apiError(t, err, "AccessDeniedException")

	// Administration: never across accounts, whatever the key policy says.
	notFound := "Key '" + arn + "' does not exist"
	for name, call := range map[string]func() error{
		"ScheduleKeyDeletion": func() error {
			_, err := tenant.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(arn), PendingWindowInDays: aws.Int32(7)})
			return err
		},
		"DisableKey": func() error {
			_, err := tenant.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(arn)})
			return err
		},
		"PutKeyPolicy": func() error {
			_, err := tenant.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(arn), PolicyName: aws.String("default"), Policy: aws.String(pol)})
			return err
		},
		"GetKeyPolicy": func() error {
			_, err := tenant.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(arn), PolicyName: aws.String("default")})
			return err
		},
		"TagResource": func() error {
			_, err := tenant.TagResource(ctx, &kms.TagResourceInput{KeyId: aws.String(arn), Tags: []kmstypes.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}}})
			return err
		},
		"CreateAlias": func() error {
			_, err := tenant.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/mine"), TargetKeyId: aws.String(arn)})
			return err
		},
	} {
		if msg := apiError(t, call(), "NotFoundException"); msg != notFound {
			t.Errorf("%s across accounts: %q, want %q", name, msg, notFound)
		}
	}
	d, err := root.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: md.KeyId})
	if err != nil || d.KeyMetadata.KeyState != kmstypes.KeyStateEnabled || aws.ToString(d.KeyMetadata.Arn) != arn {
		t.Fatalf("the key after the other account's attempts: %+v, %v", d, err)
	}

	// Another region's ARN, of a key or an alias.
	for _, id := range []string{strings.Replace(arn, ":us-east-1:", ":us-west-2:", 1), "arn:aws:kms:us-west-2:" + kmsAccount + ":alias/shared"} {
		_, err := root.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if msg := apiError(t, err, "NotFoundException"); msg != "Invalid arn us-west-2" {
			t.Errorf("DescribeKey %s: %q", id, msg)
		}
		_, err = root.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("x")})
		apiError(t, err, "NotFoundException")
	}
}

// TestKMSGrantCreateGrantStaysWithinGrant: a grantee who may create grants
// only through a grant makes grants of that grant's operations alone; a
// grant with constraints lets no one create grants from it.
func TestKMSGrantCreateGrantStaysWithinGrant(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	const noKMS = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}}`
	ops := kms.NewFromConfig(newUser(t, srv, "ops", noKMS))
	opsARN := "arn:aws:iam::" + kmsAccount + ":user/ops"
	md := newKey(t, root, nil)
	grant := func(c *kms.Client, who string, gops []kmstypes.GrantOperation, cons *kmstypes.GrantConstraints) error {
		_, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(who), Operations: gops, Constraints: cons})
		return err
	}
	if err := grant(root, opsARN, []kmstypes.GrantOperation{kmstypes.GrantOperationCreateGrant, kmstypes.GrantOperationDecrypt}, nil); err != nil {
		t.Fatal(err)
	}
	for _, wider := range [][]kmstypes.GrantOperation{
		{kmstypes.GrantOperationEncrypt},
		{kmstypes.GrantOperationDecrypt, kmstypes.GrantOperationGenerateDataKey},
		{kmstypes.GrantOperationCreateGrant, kmstypes.GrantOperationReEncryptFrom},
	} {
		apiError(t, grant(ops, opsARN, wider, nil), "AccessDeniedException")
	}
	if _, err := ops.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x")}); err == nil {
		t.Fatal("the grantee encrypts, which no grant allows")
	}
	for _, within := range [][]kmstypes.GrantOperation{
		{kmstypes.GrantOperationDecrypt},
		{kmstypes.GrantOperationDecrypt, kmstypes.GrantOperationCreateGrant},
	} {
		if err := grant(ops, opsARN, within, nil); err != nil {
			t.Errorf("a grant within the grant %v: %v", within, err)
		}
	}

	// A constrained grant's CreateGrant makes no grant.
	ops2 := kms.NewFromConfig(newUser(t, srv, "ops2", noKMS))
	ops2ARN := "arn:aws:iam::" + kmsAccount + ":user/ops2"
	if err := grant(root, ops2ARN, []kmstypes.GrantOperation{kmstypes.GrantOperationCreateGrant, kmstypes.GrantOperationDecrypt},
		&kmstypes.GrantConstraints{EncryptionContextEquals: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	apiError(t, grant(ops2, ops2ARN, []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}, nil), "AccessDeniedException")
	gs, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId})
	if err != nil || len(gs.Grants) != 4 {
		t.Fatalf("grants: %d, %v", len(gs.Grants), err)
	}
}

// TestKMSGrantConstraintsKeepCase: encryption context keys are
// case-sensitive, condition key names are not; a context that holds a
// constrained key twice, in two cases, does not pass for the value the
// grant allows.
func TestKMSGrantConstraintsKeepCase(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	const noKMS = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}}`
	ops := kms.NewFromConfig(newUser(t, srv, "ops", noKMS))
	md := newKey(t, root, nil)
	if _, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String("arn:aws:iam::" + kmsAccount + ":user/ops"),
		Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationEncrypt, kmstypes.GrantOperationGenerateDataKey},
		Constraints: &kmstypes.GrantConstraints{EncryptionContextSubset: map[string]string{"Dept": "IT"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: map[string]string{"Dept": "IT", "app": "a"}}); err != nil {
		t.Fatalf("Encrypt within the constraint: %v", err)
	}
	for _, ec := range []map[string]string{
		{"Dept": "HR", "dept": "IT"},
		{"Dept": "HR", "DEPT": "IT"},
	} {
		_, err := ops.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: ec})
		apiError(t, err, "AccessDeniedException")
		_, err = ops.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: md.KeyId, KeySpec: kmstypes.DataKeySpecAes256, EncryptionContext: ec})
		apiError(t, err, "AccessDeniedException")
	}
}

// TestKMSReEncryptOnSameKey: kms:ReEncryptOnSameKey tells both checks of
// ReEncrypt whether the ciphertext stays under its own key.
func TestKMSReEncryptOnSameKey(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	const rotateOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"},` +
		`{"Effect":"Allow","Action":"kms:ReEncrypt*","Resource":"*","Condition":{"Bool":{"kms:ReEncryptOnSameKey":"true"}}}]}`
	user := kms.NewFromConfig(newUser(t, srv, "rotator", rotateOnly))
	a, b := newKey(t, root, nil), newKey(t, root, nil)
	enc, err := user.Encrypt(ctx, &kms.EncryptInput{KeyId: a.KeyId, Plaintext: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := user.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, DestinationKeyId: a.KeyId}); err != nil {
		t.Fatalf("ReEncrypt onto the same key: %v", err)
	}
	_, err = user.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, DestinationKeyId: b.KeyId})
	if msg := apiError(t, err, "AccessDeniedException"); !strings.Contains(msg, "kms:ReEncryptFrom") {
		t.Fatalf("ReEncrypt onto another key: %q", msg)
	}
}

// TestKMSRetireGrantByItsAccount: the account in which a grant was made
// retires it: its root, and its principals whose identity policies allow
// kms:RetireGrant; others, the grant naming none of them, cannot.
func TestKMSRetireGrantByItsAccount(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	const noKMS = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}}`
	const retire = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:RetireGrant","Resource":"*"}}`
	bob := kms.NewFromConfig(newUser(t, srv, "bob", noKMS))
	cleaner := kms.NewFromConfig(newUser(t, srv, "cleaner", retire))
	md := newKey(t, root, nil)
	mk := func() *kms.CreateGrantOutput {
		g, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String("arn:aws:iam::" + kmsAccount + ":user/bob"),
			Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g := mk()
	_, err := bob.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken})
	apiError(t, err, "AccessDeniedException")
	if _, err := root.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: md.KeyId, GrantId: g.GrantId}); err != nil {
		t.Fatalf("RetireGrant by the account's root: %v", err)
	}
	g = mk()
	if _, err := cleaner.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken}); err != nil {
		t.Fatalf("RetireGrant by a principal the account delegates to: %v", err)
	}
	gs, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId})
	if err != nil || len(gs.Grants) != 0 {
		t.Fatalf("grants left: %v, %v", gs, err)
	}
}

// TestKMSScheduleKeyDeletionWindow: the waiting period is 7 to 30 days, in
// KMS's words, and policies see it as
// kms:ScheduleKeyDeletionPendingWindowInDays (30 when none is asked for).
func TestKMSScheduleKeyDeletionWindow(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	const slowDelete = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},` +
		`{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*","Condition":{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}}}]}`
	admin := kms.NewFromConfig(newUser(t, srv, "keyadmin", slowDelete))
	md := newKey(t, root, nil)
	for _, days := range []int32{0, 6, 31, 365} {
		_, err := root.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: md.KeyId, PendingWindowInDays: aws.Int32(days)})
		if msg := apiError(t, err, "ValidationException"); msg != "PendingWindowInDays must be between 7 and 30" {
			t.Errorf("%d days: %q", days, msg)
		}
	}
	_, err := admin.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: md.KeyId, PendingWindowInDays: aws.Int32(7)})
	apiError(t, err, "AccessDeniedException")
	out, err := admin.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: md.KeyId})
	if err != nil || aws.ToInt32(out.PendingWindowInDays) != 30 {
		t.Fatalf("ScheduleKeyDeletion with the default window: %+v, %v", out, err)
	}
}

// TestKMSRequestConditionKeys: the condition keys KMS documents for
// PutKeyPolicy (kms:BypassPolicyLockoutSafetyCheck), DescribeKey
// (kms:RequestAlias), ListGrants and RevokeGrant
// (kms:GrantIsForAWSResource) reach the policies that name them.
func TestKMSRequestConditionKeys(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	const guarded = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},` +
		`{"Effect":"Deny","Action":"kms:PutKeyPolicy","Resource":"*","Condition":{"Bool":{"kms:BypassPolicyLockoutSafetyCheck":"true"}}},` +
		`{"Effect":"Deny","Action":"kms:DescribeKey","Resource":"*","Condition":{"StringEquals":{"kms:RequestAlias":"alias/secret"}}},` +
		`{"Effect":"Deny","Action":["kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"false"}}}]}`
	admin := kms.NewFromConfig(newUser(t, srv, "guarded", guarded))
	md := newKey(t, root, nil)
	if _, err := root.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/secret"), TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + kmsAccount + `:root"},"Action":"kms:*","Resource":"*"}]}`
	_, err := admin.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default"), Policy: aws.String(pol), BypassPolicyLockoutSafetyCheck: true})
	apiError(t, err, "AccessDeniedException")
	if _, err := admin.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default"), Policy: aws.String(pol)}); err != nil {
		t.Fatalf("PutKeyPolicy with the safety check: %v", err)
	}
	_, err = admin.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/secret")})
	apiError(t, err, "AccessDeniedException")
	if _, err := admin.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: md.KeyId}); err != nil {
		t.Fatalf("DescribeKey by key ID: %v", err)
	}
	_, err = admin.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId})
	apiError(t, err, "AccessDeniedException")
	_, err = admin.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: md.KeyId, GrantId: aws.String(strings.Repeat("a", 64))})
	apiError(t, err, "AccessDeniedException")
}

// TestKMSGrantConstraintKeysIgnoreCase: in a grant constraint the keys
// match whatever their case and the values exactly, for
// EncryptionContextEquals as for EncryptionContextSubset.
func TestKMSGrantConstraintKeysIgnoreCase(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	const noKMS = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}}`
	ops := kms.NewFromConfig(newUser(t, srv, "ops", noKMS))
	md := newKey(t, root, nil)
	for _, cons := range []*kmstypes.GrantConstraints{
		{EncryptionContextEquals: map[string]string{"Dept": "IT"}},
		{EncryptionContextSubset: map[string]string{"Team": "blue"}},
	} {
		if _, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String("arn:aws:iam::" + kmsAccount + ":user/ops"),
			Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationEncrypt}, Constraints: cons}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ec := range []map[string]string{{"dept": "IT"}, {"DEPT": "IT"}, {"team": "blue", "other": "x"}} {
		if _, err := ops.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: ec}); err != nil {
			t.Errorf("Encrypt with %v: %v", ec, err)
		}
	}
	for _, ec := range []map[string]string{{"Dept": "it"}, {"Dept": "IT", "x": "1"}, {"team": "Blue"}} {
		_, err := ops.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: ec})
		apiError(t, err, "AccessDeniedException")
	}
}
