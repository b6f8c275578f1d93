package server_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

const kmsAccount = "123456789012"

func newKey(t testing.TB, c *kms.Client, in *kms.CreateKeyInput) *kmstypes.KeyMetadata {
	t.Helper()
	if in == nil {
		in = &kms.CreateKeyInput{}
	}
	out, err := c.CreateKey(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.KeyMetadata
}

// TestKMSKeys: a key's life (create with the default policy, describe,
// list, aliases, disable, scheduled deletion) and encryption with
// encryption context, as KMS answers them.
func TestKMSKeys(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := kms.NewFromConfig(srv.RootConfig())
	md := newKey(t, c, &kms.CreateKeyInput{Description: aws.String("app"), Tags: []kmstypes.Tag{{TagKey: aws.String("team"), TagValue: aws.String("blue")}}})
	id, arn := aws.ToString(md.KeyId), aws.ToString(md.Arn)
	if arn != "arn:aws:kms:us-east-1:"+kmsAccount+":key/"+id || md.KeyState != kmstypes.KeyStateEnabled || md.KeySpec != kmstypes.KeySpecSymmetricDefault {
		t.Fatalf("key metadata %+v", md)
	}
	pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(pol.Policy), `"Sid" : "Enable IAM User Permissions"`) || !strings.Contains(aws.ToString(pol.Policy), "arn:aws:iam::"+kmsAccount+":root") {
		t.Fatalf("default key policy %s", aws.ToString(pol.Policy))
	}
	keys, err := c.ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil || len(keys.Keys) != 1 || aws.ToString(keys.Keys[0].KeyArn) != arn {
		t.Fatalf("ListKeys: %+v, %v", keys, err)
	}
	_, err = c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	apiError(t, err, "UnsupportedOperationException")

	// Aliases, and every way of naming a key.
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(id)})
	apiError(t, err, "AlreadyExistsException")
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("app2"), TargetKeyId: aws.String(id)})
	apiError(t, err, "ValidationException")
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/aws/mine"), TargetKeyId: aws.String(id)})
	apiError(t, err, "NotAuthorizedException")
	for _, name := range []string{id, arn, "alias/app", "arn:aws:kms:us-east-1:" + kmsAccount + ":alias/app"} {
		d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(name)})
		if err != nil || aws.ToString(d.KeyMetadata.Arn) != arn {
			t.Fatalf("DescribeKey %s: %v", name, err)
		}
	}
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/nope")})
	if msg := apiError(t, err, "NotFoundException"); msg != "Alias arn:aws:kms:us-east-1:"+kmsAccount+":alias/nope is not found." {
		t.Fatalf("message %q", msg)
	}
	aliases, err := c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: aws.String(id)})
	if err != nil || len(aliases.Aliases) != 1 || aws.ToString(aliases.Aliases[0].TargetKeyId) != id {
		t.Fatalf("ListAliases: %+v, %v", aliases, err)
	}
	// The AWS managed key of Lambda exists once it is asked for.
	managed, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/lambda")})
	if err != nil || managed.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeAws {
		t.Fatalf("alias/aws/lambda: %+v, %v", managed, err)
	}

	// Encrypt and Decrypt, bound to the encryption context.
	ec := map[string]string{"purpose": "test"}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/app"), Plaintext: []byte("secret"), EncryptionContext: ec})
	if err != nil || aws.ToString(enc.KeyId) != arn {
		t.Fatalf("Encrypt: %v", err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil || string(dec.Plaintext) != "secret" || aws.ToString(dec.KeyId) != arn {
		t.Fatalf("Decrypt: %v", err)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "other"}})
	apiError(t, err, "InvalidCiphertextException")
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	apiError(t, err, "InvalidCiphertextException")
	other := newKey(t, c, nil)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, KeyId: other.KeyId})
	apiError(t, err, "IncorrectKeyException")
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: make([]byte, 4097)})
	apiError(t, err, "ValidationException")
	re, err := c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ec, DestinationKeyId: other.KeyId})
	if err != nil || aws.ToString(re.SourceKeyId) != arn || aws.ToString(re.KeyId) != aws.ToString(other.Arn) {
		t.Fatalf("ReEncrypt: %v", err)
	}
	if dec, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob}); err != nil || string(dec.Plaintext) != "secret" {
		t.Fatalf("Decrypt of ReEncrypt: %v", err)
	}
	dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(id), KeySpec: kmstypes.DataKeySpecAes256})
	if err != nil || len(dk.Plaintext) != 32 {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	if dec, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob}); err != nil || !bytes.Equal(dec.Plaintext, dk.Plaintext) {
		t.Fatalf("Decrypt of a data key: %v", err)
	}
	_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(id)})
	apiError(t, err, "ValidationException")
	_, err = c.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(id), NumberOfBytes: aws.Int32(2048)})
	apiError(t, err, "ValidationException")
	if _, err := c.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(id), NumberOfBytes: aws.Int32(64)}); err != nil {
		t.Fatal(err)
	}

	// Disabled, then pending deletion.
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("x")})
	if msg := apiError(t, err, "DisabledException"); msg != arn+" is disabled." {
		t.Fatalf("message %q", msg)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	apiError(t, err, "DisabledException")
	if _, err := c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(6)})
	apiError(t, err, "ValidationException")
	sched, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)})
	if err != nil || sched.KeyState != kmstypes.KeyStatePendingDeletion || sched.DeletionDate == nil {
		t.Fatalf("ScheduleKeyDeletion: %+v, %v", sched, err)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	apiError(t, err, "KMSInvalidStateException")
	if _, err := c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil || d.KeyMetadata.KeyState != kmstypes.KeyStateDisabled {
		t.Fatalf("after CancelKeyDeletion: %+v, %v", d, err)
	}

	// Tags.
	if _, err := c.TagResource(ctx, &kms.TagResourceInput{KeyId: aws.String(id), Tags: []kmstypes.Tag{{TagKey: aws.String("env"), TagValue: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &kms.UntagResourceInput{KeyId: aws.String(id), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: aws.String(id)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "env" {
		t.Fatalf("ListResourceTags: %+v, %v", tags, err)
	}
}

// TestKMSKeyPolicy: the key policy must allow, or delegate to IAM through
// the account; root is not special; a policy that locks the caller out is
// refused unless the check is bypassed.
func TestKMSKeyPolicy(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	const allowKMS = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`
	const noKMS = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}}`
	admin := kms.NewFromConfig(newUser(t, srv, "admin", allowKMS))
	bob := kms.NewFromConfig(newUser(t, srv, "bob", noKMS))
	carol := kms.NewFromConfig(newUser(t, srv, "carol", allowKMS))

	// Delegated: identity policies decide.
	delegated := newKey(t, root, nil)
	if _, err := admin.Encrypt(ctx, &kms.EncryptInput{KeyId: delegated.KeyId, Plaintext: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	_, err := bob.Encrypt(ctx, &kms.EncryptInput{KeyId: delegated.KeyId, Plaintext: []byte("x")})
	want := "User: arn:aws:iam::" + kmsAccount + ":user/bob is not authorized to perform: kms:Encrypt on resource: " + aws.ToString(delegated.Arn) + " because no identity-based policy allows the kms:Encrypt action"
	if msg := apiError(t, err, "AccessDeniedException"); msg != want {
		t.Fatalf("message %q, want %q", msg, want)
	}
	// KMS answers its AccessDeniedException as a client error.
	if re := (*smithyhttp.ResponseError)(nil); !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Errorf("AccessDeniedException status: %v", err)
	}

	// A policy naming bob alone: bob gets in without IAM; carol, whose
	// identity policy allows kms:*, does not, nor does the account's root.
	lockout := `{"Version":"2012-10-17","Statement":[{"Sid":"Bob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + kmsAccount + `:user/bob"},"Action":"kms:*","Resource":"*"}]}`
	_, err = root.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(lockout)})
	if msg := apiError(t, err, "MalformedPolicyDocumentException"); msg != "The new key policy will not allow you to update the key policy in the future." {
		t.Fatalf("message %q", msg)
	}
	_, err = root.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)})
	apiError(t, err, "MalformedPolicyDocumentException")
	bobs := newKey(t, root, &kms.CreateKeyInput{Policy: aws.String(lockout), BypassPolicyLockoutSafetyCheck: true})
	if _, err := bob.Encrypt(ctx, &kms.EncryptInput{KeyId: bobs.KeyId, Plaintext: []byte("x")}); err != nil {
		t.Fatalf("bob, named by the key policy: %v", err)
	}
	_, err = carol.Encrypt(ctx, &kms.EncryptInput{KeyId: bobs.KeyId, Plaintext: []byte("x")})
	want = "User: arn:aws:iam::" + kmsAccount + ":user/carol is not authorized to perform: kms:Encrypt on resource: " + aws.ToString(bobs.Arn) + " because no resource-based policy allows the kms:Encrypt action"
	if msg := apiError(t, err, "AccessDeniedException"); msg != want {
		t.Fatalf("message %q, want %q", msg, want)
	}
	_, err = root.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: bobs.KeyId})
	apiError(t, err, "AccessDeniedException")
	_, err = root.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: bobs.KeyId, PolicyName: aws.String("default"), Policy: aws.String(lockout)})
	apiError(t, err, "AccessDeniedException")
	// Bob gives the key back to the account.
	restore := `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + kmsAccount + `:root"},"Action":"kms:*","Resource":"*"}]}`
	if _, err := bob.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: bobs.KeyId, PolicyName: aws.String("default"), Policy: aws.String(restore)}); err != nil {
		t.Fatalf("bob restores the key policy: %v", err)
	}
	if _, err := carol.Encrypt(ctx, &kms.EncryptInput{KeyId: bobs.KeyId, Plaintext: []byte("x")}); err != nil {
		t.Fatalf("carol, once the policy delegates: %v", err)
	}
	_, err = root.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: bobs.KeyId, PolicyName: aws.String("default"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`)})
	apiError(t, err, "MalformedPolicyDocumentException")
}

// TestKMSGrants: a grant lets its grantee use the key on its own, under its
// constraints, names the grantee by unique ID, and can be listed, retired
// and revoked.
func TestKMSGrants(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	admin := iam.NewFromConfig(srv.RootConfig())
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + kmsAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	const assumeOnly = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`
	makeRole := func() string {
		out, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("worker"), AssumeRolePolicyDocument: aws.String(trust)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Role.Arn)
	}
	roleARN := makeRole()
	userCfg := newUser(t, srv, "ops", assumeOnly)
	session := func() *kms.Client {
		out, err := sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("worker-session")})
		if err != nil {
			t.Fatal(err)
		}
		return kms.NewFromConfig(sessionConfig(srv, out.Credentials))
	}
	md := newKey(t, root, nil)
	ec := map[string]string{"app": "worker"}
	enc, err := root.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("s3cr3t"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	worker := session()
	_, err = worker.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	apiError(t, err, "AccessDeniedException")

	grant, err := root.CreateGrant(ctx, &kms.CreateGrantInput{
		KeyId: md.KeyId, GranteePrincipal: aws.String(roleARN), RetiringPrincipal: aws.String("arn:aws:iam::" + kmsAccount + ":user/ops"),
		Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt},
		Constraints: &kmstypes.GrantConstraints{EncryptionContextEquals: ec}, Name: aws.String("worker-decrypt"),
	})
	if err != nil {
		t.Fatal(err)
	}
	again, err := root.CreateGrant(ctx, &kms.CreateGrantInput{
		KeyId: md.KeyId, GranteePrincipal: aws.String(roleARN), RetiringPrincipal: aws.String("arn:aws:iam::" + kmsAccount + ":user/ops"),
		Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt},
		Constraints: &kmstypes.GrantConstraints{EncryptionContextEquals: ec}, Name: aws.String("worker-decrypt"),
	})
	if err != nil || aws.ToString(again.GrantId) != aws.ToString(grant.GrantId) {
		t.Fatalf("a named grant's retry made another grant: %v", err)
	}
	dec, err := worker.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, GrantTokens: []string{aws.ToString(grant.GrantToken)}})
	if err != nil || string(dec.Plaintext) != "s3cr3t" {
		t.Fatalf("Decrypt through the grant: %v", err)
	}
	// Outside the grant's operations and constraints.
	other, err := root.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: map[string]string{"app": "worker", "extra": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = worker.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: other.CiphertextBlob, EncryptionContext: map[string]string{"app": "worker", "extra": "1"}})
	apiError(t, err, "AccessDeniedException")
	_, err = worker.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: ec})
	apiError(t, err, "AccessDeniedException")
	_, err = worker.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, GrantTokens: []string{"not-a-token"}})
	apiError(t, err, "InvalidGrantTokenException")

	grants, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId})
	if err != nil || len(grants.Grants) != 1 || aws.ToString(grants.Grants[0].GranteePrincipal) != roleARN || aws.ToString(grants.Grants[0].Name) != "worker-decrypt" {
		t.Fatalf("ListGrants: %+v, %v", grants, err)
	}
	ops := kms.NewFromConfig(userCfg)
	retirable, err := root.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: aws.String("arn:aws:iam::" + kmsAccount + ":user/ops")})
	if err != nil || len(retirable.Grants) != 1 {
		t.Fatalf("ListRetirableGrants: %+v, %v", retirable, err)
	}

	// The role deleted and created again under the same name is not the grantee.
	if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("worker")}); err != nil {
		t.Fatal(err)
	}
	makeRole()
	_, err = session().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	apiError(t, err, "AccessDeniedException")

	// Retired by its retiring principal, who has no KMS permission.
	_, err = worker.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: grant.GrantToken})
	apiError(t, err, "AccessDeniedException")
	if _, err := ops.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: grant.GrantToken}); err != nil {
		t.Fatalf("RetireGrant by the retiring principal: %v", err)
	}
	if grants, _ = root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId}); len(grants.Grants) != 0 {
		t.Fatalf("grants after RetireGrant: %+v", grants.Grants)
	}
	// Revoked by the key's administrator.
	g2, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String("arn:aws:iam::" + kmsAccount + ":user/ops"), Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationEncrypt}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x")}); err != nil {
		t.Fatalf("Encrypt through a user's grant: %v", err)
	}
	if _, err := root.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: md.KeyId, GrantId: g2.GrantId}); err != nil {
		t.Fatal(err)
	}
	_, err = ops.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x")})
	apiError(t, err, "AccessDeniedException")
	_, err = root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String("arn:aws:iam::" + kmsAccount + ":role/nobody"), Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationEncrypt}})
	apiError(t, err, "InvalidArnException")
}

// TestKMSTrail: the trail records KMS calls without their plaintext or
// ciphertext.
func TestKMSTrail(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := kms.NewFromConfig(srv.RootConfig())
	md := newKey(t, c, nil)
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("do-not-record-me"), EncryptionContext: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Encrypt", "Decrypt"} {
		evs, _, err := srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: name, Limit: 10})
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s events: %d, %v", name, len(evs), err)
		}
		raw := string(evs[0].Record)
		if strings.Contains(raw, "plaintext") || strings.Contains(raw, "ciphertextBlob") || !strings.Contains(raw, `"encryptionContext":{"k":"v"}`) {
			t.Errorf("%s record: %s", name, raw)
		}
	}
}

// TestKMSAliasConditions: kms:ResourceAliases holds the aliases of the
// key, as the alias operations leave them, and kms:RequestAlias the alias
// the request named the key by.
func TestKMSAliasConditions(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := kms.NewFromConfig(srv.RootConfig())
	byAlias := kms.NewFromConfig(newUser(t, srv, "tagged", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"kms:ResourceAliases":"alias/team-blue"}}},
		{"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":"*","Condition":{"StringEquals":{"kms:RequestAlias":"alias/team-blue"}}}]}`))
	a, b := newKey(t, root, nil), newKey(t, root, nil)
	if _, err := root.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/team-blue"), TargetKeyId: a.KeyId}); err != nil {
		t.Fatal(err)
	}
	encrypt := func(id *string) error {
		_, err := byAlias.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
		return err
	}
	if err := encrypt(a.KeyId); err != nil {
		t.Fatalf("Encrypt with the key of alias/team-blue: %v", err)
	}
	apiError(t, encrypt(b.KeyId), "AccessDeniedException")
	if _, err := root.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/team-blue"), TargetKeyId: b.KeyId}); err != nil {
		t.Fatal(err)
	}
	apiError(t, encrypt(a.KeyId), "AccessDeniedException")
	if err := encrypt(b.KeyId); err != nil {
		t.Fatalf("Encrypt with the alias's new key: %v", err)
	}
	if _, err := byAlias.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String("alias/team-blue"), NumberOfBytes: aws.Int32(16)}); err != nil {
		t.Fatalf("GenerateDataKey by alias: %v", err)
	}
	_, err := byAlias.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: b.KeyId, NumberOfBytes: aws.Int32(16)})
	apiError(t, err, "AccessDeniedException")
	if _, err := root.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/team-blue")}); err != nil {
		t.Fatal(err)
	}
	apiError(t, encrypt(b.KeyId), "AccessDeniedException")
}
