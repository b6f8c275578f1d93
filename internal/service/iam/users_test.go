package iam

import (
	"context"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

func TestUsersAndKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out := f.must("CreateUser", "UserName", "alice", "Path", "/dev/", "Tags.member.1.Key", "team", "Tags.member.1.Value", "core")
	contains(t, out, "<Path>/dev/</Path>", "<UserName>alice</UserName>", "<Arn>arn:aws:iam::123456789012:user/dev/alice</Arn>")
	if !regexp.MustCompile(`<UserId>AIDA[A-Z2-7]{17}</UserId>`).MatchString(out) {
		t.Errorf("UserId in %s", out)
	}
	f.fails("EntityAlreadyExists", 409, "User with name ALICE already exists.", "CreateUser", "UserName", "ALICE")
	f.fails("NoSuchEntity", 404, "The user with name bob cannot be found.", "GetUser", "UserName", "bob")
	contains(t, f.must("GetUser", "UserName", "alice"), "<Key>team</Key>")
	contains(t, f.must("GetUser"), "<UserId>123456789012</UserId><Arn>arn:aws:iam::123456789012:root</Arn>")
	contains(t, f.must("ListUsers", "PathPrefix", "/dev/"), "<UserName>alice</UserName>")

	// Keys.
	var created struct {
		AccessKey struct{ UserName, AccessKeyId, Status, SecretAccessKey string }
	}
	decode(t, f.must("CreateAccessKey", "UserName", "alice"), &created)
	k := created.AccessKey
	if k.UserName != "alice" || k.Status != "Active" || len(k.SecretAccessKey) != 40 || !regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`).MatchString(k.AccessKeyId) {
		t.Fatalf("key = %+v", k)
	}
	if acct := keyAccount(t, k.AccessKeyId); acct != 123456789012 {
		t.Errorf("account encoded in key = %d", acct)
	}
	p, secret, err := f.iam.LookupAccessKey(ctx, k.AccessKeyId)
	if err != nil || secret != k.SecretAccessKey || p.Type != api.IAMUser || p.UserName != "alice" ||
		p.ARN != "arn:aws:iam::123456789012:user/dev/alice" || !strings.HasPrefix(p.PrincipalID, "AIDA") || p.AccessKeyID != k.AccessKeyId {
		t.Fatalf("LookupAccessKey = %+v, %q, %v", p, secret, err)
	}
	p.UserName = "mutated"
	if p, _, _ = f.iam.LookupAccessKey(ctx, k.AccessKeyId); p.UserName != "alice" {
		t.Error("LookupAccessKey shares its cached principal")
	}
	f.must("CreateAccessKey", "UserName", "alice")
	f.fails("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2", "CreateAccessKey", "UserName", "alice")
	var listed struct {
		IDs []string `xml:"AccessKeyMetadata>member>AccessKeyId"`
	}
	decode(t, f.must("ListAccessKeys", "UserName", "alice"), &listed)
	if len(listed.IDs) != 2 {
		t.Errorf("ListAccessKeys = %v", listed.IDs)
	}

	// The user calling with its own key acts on itself.
	contains(t, f.mustAs(p, "GetUser"), "<UserName>alice</UserName>")
	var own struct {
		IDs []string `xml:"AccessKeyMetadata>member>AccessKeyId"`
	}
	decode(t, f.mustAs(p, "ListAccessKeys"), &own)
	if len(own.IDs) != 2 {
		t.Errorf("ListAccessKeys as alice = %v", own.IDs)
	}
	session := &api.Principal{Type: api.AssumedRole, Account: testAccount, ARN: "arn:aws:sts::123456789012:assumed-role/r/s"}
	if _, err := f.callAs(session, "GetUser"); err == nil || !strings.Contains(err.Error(), "Must specify userName when calling with non-User credentials") {
		t.Errorf("GetUser as a role session: %v", err)
	}

	f.must("UpdateAccessKey", "UserName", "alice", "AccessKeyId", k.AccessKeyId, "Status", "Inactive")
	if _, _, err := f.iam.LookupAccessKey(ctx, k.AccessKeyId); !errors.Is(err, ErrInactiveKey) {
		t.Errorf("inactive key: %v", err)
	}
	contains(t, f.must("ListAccessKeys", "UserName", "alice"), "<Status>Inactive</Status>")
	f.must("UpdateAccessKey", "UserName", "alice", "AccessKeyId", k.AccessKeyId, "Status", "Active")
	if _, _, err := f.iam.LookupAccessKey(ctx, k.AccessKeyId); err != nil {
		t.Errorf("reactivated key: %v", err)
	}
	f.fails("ValidationError", 400, "", "UpdateAccessKey", "UserName", "alice", "AccessKeyId", k.AccessKeyId, "Status", "Broken")
	f.fails("NoSuchEntity", 404, "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.", "UpdateAccessKey", "UserName", "alice", "AccessKeyId", "AKIAAAAAAAAAAAAAAAAA", "Status", "Active")
	contains(t, f.must("GetAccessKeyLastUsed", "AccessKeyId", k.AccessKeyId), "<UserName>alice</UserName>", "<ServiceName>N/A</ServiceName>")

	// Deleting a user needs its keys and policies gone.
	f.must("PutUserPolicy", "UserName", "alice", "PolicyName", "p", "PolicyDocument", allowDoc("s3:GetObject"))
	f.must("AttachUserPolicy", "UserName", "alice", "PolicyArn", basicExecARN)
	f.fails("DeleteConflict", 409, "Cannot delete entity, must delete access keys first.", "DeleteUser", "UserName", "alice")
	for _, id := range listed.IDs {
		f.must("DeleteAccessKey", "UserName", "alice", "AccessKeyId", id)
	}
	if _, _, err := f.iam.LookupAccessKey(ctx, k.AccessKeyId); !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("deleted key: %v", err)
	}
	f.fails("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.", "DeleteUser", "UserName", "alice")
	contains(t, f.must("ListAttachedUserPolicies", "UserName", "alice"), "<PolicyName>AWSLambdaBasicExecutionRole</PolicyName>")
	f.must("DetachUserPolicy", "UserName", "alice", "PolicyArn", basicExecARN)
	f.fails("DeleteConflict", 409, "Cannot delete entity, must delete policies first.", "DeleteUser", "UserName", "alice")
	contains(t, f.must("GetUserPolicy", "UserName", "alice", "PolicyName", "p"), "<UserName>alice</UserName><PolicyName>p</PolicyName>")
	contains(t, f.must("ListUserPolicies", "UserName", "alice"), "<member>p</member>")
	f.fails("NoSuchEntity", 404, "The user policy with name q cannot be found.", "GetUserPolicy", "UserName", "alice", "PolicyName", "q")
	f.must("DeleteUserPolicy", "UserName", "alice", "PolicyName", "p")
	f.must("TagUser", "UserName", "alice", "Tags.member.1.Key", "x", "Tags.member.1.Value", "y")
	f.must("UntagUser", "UserName", "alice", "TagKeys.member.1", "team")
	out = f.must("ListUserTags", "UserName", "alice")
	if !strings.Contains(out, "<Key>x</Key>") || strings.Contains(out, "team") {
		t.Errorf("ListUserTags = %s", out)
	}
	f.must("PutUserPermissionsBoundary", "UserName", "alice", "PermissionsBoundary", basicExecARN)
	contains(t, f.must("GetUser", "UserName", "alice"), "<PermissionsBoundaryArn>"+basicExecARN+"</PermissionsBoundaryArn>")
	f.must("DeleteUserPermissionsBoundary", "UserName", "alice")
	f.must("DeleteUser", "UserName", "alice")
	f.fails("NoSuchEntity", 404, "The user with name alice cannot be found.", "DeleteUser", "UserName", "alice")

	// User inline aggregate: 2048.
	f.must("CreateUser", "UserName", "u")
	stmt := `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-with-a-fairly-long-name/*"},`
	doc := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(stmt, 12) + strings.TrimSuffix(stmt, ",") + `]}`
	f.must("PutUserPolicy", "UserName", "u", "PolicyName", "a", "PolicyDocument", doc)
	f.fails("LimitExceeded", 409, "Maximum policy size of 2048 bytes exceeded for user u", "PutUserPolicy", "UserName", "u", "PolicyName", "b", "PolicyDocument", doc)
}

func TestRootKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, _, err := f.iam.LookupAccessKey(ctx, "AKIAROOTROOTROOTROOT"); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("unknown key: %v", err)
	}
	if err := f.iam.EnsureRootKey(ctx, testAccount, "AKIAROOTROOTROOTROOT", "secret-one"); err != nil {
		t.Fatal(err)
	}
	p, secret, err := f.iam.LookupAccessKey(ctx, "AKIAROOTROOTROOTROOT")
	if err != nil || secret != "secret-one" || p.Type != api.Root || p.ARN != "arn:aws:iam::123456789012:root" || p.PrincipalID != testAccount {
		t.Fatalf("root = %+v %q %v", p, secret, err)
	}
	if err := f.iam.EnsureRootKey(ctx, testAccount, "AKIAROOTROOTROOTROOT", "secret-two"); err != nil {
		t.Fatal(err)
	}
	if _, secret, _ := f.iam.LookupAccessKey(ctx, "AKIAROOTROOTROOTROOT"); secret != "secret-two" {
		t.Errorf("secret after replace = %q", secret)
	}
	// The secret is not kept in plain text.
	raw, err := f.st.Get(ctx, tableKeys, "AKIAROOTROOTROOTROOT")
	if err != nil || strings.Contains(string(raw), "secret-two") {
		t.Errorf("stored key record %s, %v", raw, err)
	}
	// Root lists and creates its own keys without a UserName.
	contains(t, f.must("ListAccessKeys"), "<AccessKeyId>AKIAROOTROOTROOTROOT</AccessKeyId>")
	f.must("CreateAccessKey")
	f.fails("LimitExceeded", 409, "", "CreateAccessKey")
	// A fresh service over the same store finds the key.
	again, err := New(ctx, Config{Account: testAccount, Store: f.st, Box: f.iam.box})
	if err != nil {
		t.Fatal(err)
	}
	if _, secret, err := again.LookupAccessKey(ctx, "AKIAROOTROOTROOTROOT"); err != nil || secret != "secret-two" {
		t.Errorf("after restart: %q %v", secret, err)
	}
}

// keyAccount decodes the account number from an access key id.
func keyAccount(t *testing.T, id string) uint64 {
	t.Helper()
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(id[4:])
	if err != nil {
		t.Fatal(err)
	}
	var head [8]byte
	copy(head[2:], b[:6])
	return (binary.BigEndian.Uint64(head[:]) & 0x7fffffffff80) >> 7
}

func (f *fixture) mustAs(p *api.Principal, op string, kv ...string) string {
	f.t.Helper()
	out, err := f.callAs(p, op, kv...)
	if err != nil {
		f.t.Fatalf("%s: %v", op, err)
	}
	return out
}
