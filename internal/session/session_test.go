package session

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/crypt"
)

func newSealer(t testing.TB) *Sealer {
	t.Helper()
	box, err := crypt.NewBox(crypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return NewSealer(box)
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func sampleClaims() Claims {
	return Claims{
		AccessKeyID:       NewAccessKeyID(TemporaryPrefix, "123456789012"),
		SecretAccessKey:   NewSecret(),
		Account:           "123456789012",
		Type:              AssumedRole,
		RoleARN:           "arn:aws:iam::123456789012:role/service/fn-role",
		RoleName:          "fn-role",
		RoleID:            "AROA3XFRBF535PLBIFPI4",
		RolePath:          "/service/",
		SessionName:       "my-fn",
		Issued:            t0,
		Expires:           t0.Add(12 * time.Hour),
		Policy:            `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
		PolicyARNs:        []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		Tags:              []Tag{{"Project", "blue"}, {"Team", "core"}},
		TransitiveTagKeys: []string{"project"},
		SourceIdentity:    "alice",
		Issuer:            "lambda.amazonaws.com",
		Environment:       "env-1",
		SourceFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:my-fn",
	}
}

func TestRoundTrip(t *testing.T) {
	s := newSealer(t)
	c := sampleClaims()
	tok, err := s.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base64.StdEncoding.DecodeString(tok); err != nil {
		t.Fatalf("token is not base64: %v", err)
	}
	got, err := s.Open(c.AccessKeyID, tok, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, c) {
		t.Errorf("claims differ:\n got %+v\nwant %+v", *got, c)
	}
	if got.AssumedRoleARN() != "arn:aws:sts::123456789012:assumed-role/fn-role/my-fn" {
		t.Errorf("AssumedRoleARN = %s", got.AssumedRoleARN())
	}
	if got.AssumedRoleID() != "AROA3XFRBF535PLBIFPI4:my-fn" {
		t.Errorf("AssumedRoleID = %s", got.AssumedRoleID())
	}
	if v, ok := got.Tag("TEAM"); !ok || v != "core" {
		t.Errorf("Tag(TEAM) = %q, %v", v, ok)
	}
	if tt := got.TransitiveTags(); !reflect.DeepEqual(tt, []Tag{{"Project", "blue"}}) {
		t.Errorf("TransitiveTags = %v", tt)
	}
	t.Logf("token length %d", len(tok))
}

func TestIssueRejects(t *testing.T) {
	s := newSealer(t)
	c := sampleClaims()
	c.AccessKeyID = ""
	if _, err := s.Issue(c); err == nil {
		t.Error("Issue without access key ID succeeded")
	}
	c = sampleClaims()
	c.Expires = c.Issued
	if _, err := s.Issue(c); err == nil {
		t.Error("Issue with empty lifetime succeeded")
	}
}

func TestTamper(t *testing.T) {
	s := newSealer(t)
	c := sampleClaims()
	tok, err := s.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	for i := range len(tok) {
		for _, bit := range []byte{0x01, 0x20} {
			b := []byte(tok)
			b[i] ^= bit
			if _, err := s.Open(c.AccessKeyID, string(b), now); !errors.Is(err, ErrInvalid) {
				t.Fatalf("text byte %d ^ %#x: err = %v, want ErrInvalid", i, bit, err)
			}
		}
	}
	raw, _ := base64.StdEncoding.DecodeString(tok)
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x80
		if _, err := s.Open(c.AccessKeyID, base64.StdEncoding.EncodeToString(b), now); !errors.Is(err, ErrInvalid) {
			t.Fatalf("raw byte %d: err = %v, want ErrInvalid", i, err)
		}
	}
	for _, bad := range []string{"", "AAAA", tok[:len(tok)-4], tok + "AAAA", strings.Repeat("A", 20<<10)} {
		if _, err := s.Open(c.AccessKeyID, bad, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("Open(%.20q...): err = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestWrongKey(t *testing.T) {
	s := newSealer(t)
	c := sampleClaims()
	tok, err := s.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	other := NewAccessKeyID(TemporaryPrefix, c.Account)
	if _, err := s.Open(other, tok, t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("other access key ID: err = %v, want ErrInvalid", err)
	}
	if _, err := newSealer(t).Open(c.AccessKeyID, tok, t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("other server key: err = %v, want ErrInvalid", err)
	}
}

func TestExpired(t *testing.T) {
	s := newSealer(t)
	c := sampleClaims()
	tok, err := s.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(c.AccessKeyID, tok, c.Expires.Add(-time.Second)); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	got, err := s.Open(c.AccessKeyID, tok, c.Expires)
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: err = %v, want ErrExpired", err)
	}
	if got == nil || got.RoleARN != c.RoleARN {
		t.Errorf("expired token: claims = %+v, want them returned", got)
	}
}

func TestAccessKeyID(t *testing.T) {
	for _, acct := range []string{"123456789012", "000000000000", "000000000001", "999999999999", "210987654321"} {
		for range 20 {
			id := NewAccessKeyID(TemporaryPrefix, acct)
			if len(id) != 20 || !strings.HasPrefix(id, "ASIA") {
				t.Fatalf("id %q", id)
			}
			for _, r := range id {
				if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
					t.Fatalf("id %q has %q", id, r)
				}
			}
			got, err := AccountFromAccessKeyID(id)
			if err != nil || got != acct {
				t.Fatalf("AccountFromAccessKeyID(%s) = %s, %v; want %s", id, got, err, acct)
			}
		}
	}
	// A key ID generated the way AWS's are decodes to its account.
	if got, err := AccountFromAccessKeyID("ASIAY34FZKBOKMUTVV7A"); err != nil || got != "609629065308" {
		t.Errorf("known key: %s, %v", got, err)
	}
	for _, bad := range []string{"ASIA", "ASIA0000000000000000", "ASIAAAAAAAAAAAAAAAAA"} {
		if got, err := AccountFromAccessKeyID(bad); err == nil {
			t.Errorf("AccountFromAccessKeyID(%s) = %s, want error", bad, got)
		}
	}
}

func TestNewAccessKeyIDPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a bad account")
		}
	}()
	NewAccessKeyID(LongTermPrefix, "12345")
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if len(a) != 40 || a == b {
		t.Errorf("secrets %q %q", a, b)
	}
}

func TestRevocations(t *testing.T) {
	now := t0
	r := NewRevocations(func() time.Time { return now })
	c := sampleClaims()
	if r.IsRevoked(&c) {
		t.Fatal("revoked on an empty list")
	}
	r.Revoke("env-1", t0.Add(time.Hour))
	if !r.IsRevoked(&c) {
		t.Error("environment revocation not seen")
	}
	other := sampleClaims()
	other.Environment = "env-2"
	if r.IsRevoked(&other) {
		t.Error("other environment revoked")
	}
	r.Revoke(other.AccessKeyID, t0.Add(2*time.Hour))
	if !r.IsRevoked(&other) {
		t.Error("access key revocation not seen")
	}
	r.Revoke("env-1", t0.Add(time.Minute)) // an earlier time never shortens an entry
	now = t0.Add(90 * time.Minute)
	if r.IsRevoked(&c) {
		t.Error("revocation outlived its time")
	}
	r.Revoke("past", t0) // already over: not added
	if r.Len() != 1 {
		t.Errorf("Len = %d after pruning, want 1", r.Len())
	}
	if NewRevocations(nil).IsRevoked(&c) {
		t.Error("fresh list revokes")
	}
}

func TestRevocationsConcurrent(t *testing.T) {
	r := NewRevocations(nil)
	c := sampleClaims()
	done := make(chan bool)
	go func() {
		for range 1000 {
			r.Revoke(NewAccessKeyID(TemporaryPrefix, "123456789012"), time.Now().Add(time.Hour))
		}
		close(done)
	}()
	for range 1000 {
		r.IsRevoked(&c)
	}
	<-done
}

func BenchmarkOpen(b *testing.B) {
	s := newSealer(b)
	c := sampleClaims()
	tok, err := s.Issue(c)
	if err != nil {
		b.Fatal(err)
	}
	now := t0.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(c.AccessKeyID, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	s := newSealer(b)
	c := sampleClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue(c); err != nil {
			b.Fatal(err)
		}
	}
}
