package s3

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

func newTestS3(t *testing.T) *S3 {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "s3.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s, err := New(Config{Account: "123456789012", Region: "us-east-1", Store: db})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// call returns a call of op by account, as the gateway hands it over.
func call(t *testing.T, s *S3, op, account, method, target string, header http.Header) *api.Call {
	t.Helper()
	r, err := http.NewRequest(method, "http://localhost"+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		r.Header[k] = vs
	}
	o := s.Service().Operations[op]
	if o == nil {
		t.Fatalf("no operation %s", op)
	}
	return &api.Call{Context: context.Background(), HTTP: r, Params: r.URL.Query(), Operation: o, OperationName: op,
		Principal: &api.Principal{Type: api.Root, Account: account, ARN: "arn:aws:iam::" + account + ":root"},
		Account:   account, Region: "us-east-1", Time: time.Now()}
}

// TestBucketNamesAreGlobal: another account's name is BucketAlreadyExists.
func TestBucketNamesAreGlobal(t *testing.T) {
	s := newTestS3(t)
	c := call(t, s, "CreateBucket", "123456789012", "PUT", "/shared-name", nil)
	c.PathParams = map[string]string{"Bucket": "shared-name"}
	if _, err := s.createBucket(c); err != nil {
		t.Fatal(err)
	}
	other := call(t, s, "CreateBucket", "210987654321", "PUT", "/shared-name", nil)
	other.PathParams = map[string]string{"Bucket": "shared-name"}
	_, err := s.createBucket(other)
	if e, ok := err.(*api.Error); !ok || e.Code != "BucketAlreadyExists" || e.Status != 409 {
		t.Fatalf("another account: %v", err)
	}
	// The bucket's resource names its owner, whoever asks.
	res, err := s.bucketResource(other)
	if err != nil || res.Account != "123456789012" || res.ARN != "arn:aws:s3:::shared-name" || res.Type != "AWS::S3::Bucket" {
		t.Fatalf("resource: %+v %v", res, err)
	}
}

// TestObjectConditionKeys: the keys an object write carries, only those
// its action takes.
func TestObjectConditionKeys(t *testing.T) {
	s := newTestS3(t)
	h := http.Header{}
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
	h.Set("X-Amz-Date", time.Now().Add(-3*time.Second).UTC().Format("20060102T150405Z"))
	h.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	h.Set("X-Amz-Acl", "bucket-owner-full-control")
	h.Set("X-Amz-Server-Side-Encryption", "aws:kms")
	h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "alias/k")
	h.Set("X-Amz-Tagging", "team=blue&env=dev")
	c := call(t, s, "PutObject", "123456789012", "PUT", "/b/k", h)
	c.PathParams = map[string]string{"Bucket": "b", "Key": "k"}
	keys := keyMap{}
	s.objectConditions(c, api.Resource{Account: "123456789012"}, keys)
	for k, want := range map[string][]string{
		"s3:authType": {"REST-HEADER"}, "s3:signatureversion": {"AWS4-HMAC-SHA256"}, "s3:x-amz-content-sha256": {"UNSIGNED-PAYLOAD"},
		"s3:x-amz-acl": {"bucket-owner-full-control"}, "s3:x-amz-server-side-encryption": {"aws:kms"},
		"s3:x-amz-server-side-encryption-aws-kms-key-id": {"alias/k"}, "s3:RequestObjectTag/team": {"blue"},
		"s3:RequestObjectTagKeys": {"env", "team"}, "s3:ResourceAccount": {"123456789012"},
	} {
		if got := keys[k]; len(got) != len(want) || len(got) > 0 && got[0] != want[0] || len(got) > 1 && got[1] != want[1] {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if age := keys["s3:signatureAge"]; len(age) != 1 || len(age[0]) < 4 || len(age[0]) > 5 {
		t.Errorf("s3:signatureAge = %v, want about 3000 (ms)", age)
	}
	if _, ok := keys["s3:TlsVersion"]; ok {
		t.Error("s3:TlsVersion set on plain HTTP")
	}
	if _, ok := keys["s3:DataAccessPointArn"]; ok {
		t.Error("s3:DataAccessPointArn set")
	}
	// GetObject takes none of the write keys.
	g := call(t, s, "GetObject", "123456789012", "GET", "/b/k", h)
	g.PathParams = c.PathParams
	keys = keyMap{}
	s.objectConditions(g, api.Resource{}, keys)
	for _, k := range []string{"s3:x-amz-acl", "s3:RequestObjectTag/team", "s3:x-amz-server-side-encryption"} {
		if _, ok := keys[k]; ok {
			t.Errorf("GetObject carries %s", k)
		}
	}
}

// TestObjectACLHeaders: under BucketOwnerEnforced an object write with an
// ACL other than bucket-owner-full-control is refused before it is
// authorized.
func TestObjectACLHeaders(t *testing.T) {
	s := newTestS3(t)
	c := call(t, s, "CreateBucket", "123456789012", "PUT", "/acl-bucket", nil)
	c.PathParams = map[string]string{"Bucket": "acl-bucket"}
	if _, err := s.createBucket(c); err != nil {
		t.Fatal(err)
	}
	for acl, code := range map[string]string{"bucket-owner-full-control": "", "public-read": "AccessControlListNotSupported", "private": "AccessControlListNotSupported"} {
		h := http.Header{"X-Amz-Acl": {acl}}
		p := call(t, s, "PutObject", "123456789012", "PUT", "/acl-bucket/k", h)
		p.PathParams = map[string]string{"Bucket": "acl-bucket", "Key": "k"}
		_, err := s.objectResource(p)
		got := ""
		if e, ok := err.(*api.Error); ok {
			got = e.Code
		}
		if got != code {
			t.Errorf("x-amz-acl %s: %v, want %q", acl, err, code)
		}
	}
}

// TestIsPublic: S3's meaning of a public policy.
func TestIsPublic(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`:                                                                 true,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`:                                                         true,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`:                                              false,
		`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`:                                                                  false,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`: false,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}]}`:          true,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}]}`:         true,
		// A ForAllValues condition holds when the request lacks the key.
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAllValues:StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`: true,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`:  false,
		// CIDRs wider than IPv4 /8 or IPv6 /32 are public.
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}}]}`:                  true,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","128.0.0.0/1"]}}}]}`: true,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.7"]}}}]}`: false,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/31"}}}]}`:              true,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}}]}`:              false,
	} {
		p, err := policy.Parse(doc, policy.Resource)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if got := isPublic(p); got != want {
			t.Errorf("isPublic(%s) = %v, want %v", doc, got, want)
		}
	}
}

// TestBucketPolicyOwnerOnly: another account's caller, even one a bucket
// policy lets through, gets 405 MethodNotAllowed from the policy
// operations.
func TestBucketPolicyOwnerOnly(t *testing.T) {
	s := newTestS3(t)
	c := call(t, s, "CreateBucket", "123456789012", "PUT", "/owned", nil)
	c.PathParams = map[string]string{"Bucket": "owned"}
	if _, err := s.createBucket(c); err != nil {
		t.Fatal(err)
	}
	g := call(t, s, "GetBucketPolicy", "210987654321", "GET", "/owned?policy", nil)
	g.PathParams = c.PathParams
	_, err := s.getBucketPolicy(g)
	if e, ok := err.(*api.Error); !ok || e.Code != "MethodNotAllowed" || e.Status != 405 {
		t.Fatalf("GetBucketPolicy from another account: %v", err)
	}
}
