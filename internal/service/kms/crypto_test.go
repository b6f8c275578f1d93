package kms

import (
	"bytes"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/crypt"
)

func testKMS(t testing.TB) (*KMS, *key) {
	box, err := crypt.NewBox(crypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	k := &KMS{cfg: Config{Box: box, Now: time.Now}}
	return k, k.newKey("123456789012", "us-east-1", "", defaultPolicy("123456789012"), "CUSTOMER", nil)
}

// TestCiphertext: a blob names its key, opens only with its key and its
// encryption context, and refuses any change.
func TestCiphertext(t *testing.T) {
	k, kk := testKMS(t)
	_, other := testKMS(t)
	ec := map[string]string{"a": "1", "b": "2"}
	blob, err := k.seal(kk, []byte("plaintext"), ec)
	if err != nil {
		t.Fatal(err)
	}
	if arn, err := blobKey(blob); err != nil || arn != kk.ARN {
		t.Fatalf("blobKey = %q, %v", arn, err)
	}
	if pt, err := k.open(kk, blob, map[string]string{"b": "2", "a": "1"}); err != nil || !bytes.Equal(pt, []byte("plaintext")) {
		t.Fatalf("open = %q, %v", pt, err)
	}
	for name, ctx := range map[string]map[string]string{
		"none": nil, "subset": {"a": "1"}, "superset": {"a": "1", "b": "2", "c": "3"}, "other value": {"a": "1", "b": "3"},
		// The canonical form keeps keys and values apart.
		"shifted": {"a": "12", "b": ""},
	} {
		if _, err := k.open(kk, blob, ctx); err == nil {
			t.Errorf("%s context opened the blob", name)
		}
	}
	other.ARN = kk.ARN // same name, other material
	if _, err := k.open(other, blob, ec); err == nil {
		t.Error("another key's material opened the blob")
	}
	for i := range blob {
		bad := bytes.Clone(blob)
		bad[i] ^= 1
		if _, err := blobKey(bad); err != nil {
			continue
		}
		if _, err := k.open(kk, bad, ec); err == nil {
			t.Fatalf("a blob changed at byte %d opened", i)
		}
	}
	for _, short := range [][]byte{nil, {1}, blob[:20]} {
		if _, err := blobKey(short); err == nil {
			t.Errorf("blobKey accepted %d bytes", len(short))
		}
	}
}

// BenchmarkSeal and BenchmarkOpen measure the cryptography of Encrypt and
// Decrypt alone (1 KiB, two context pairs), without the store or gateway.
func BenchmarkSeal(b *testing.B) {
	k, kk := testKMS(b)
	pt, ec := make([]byte, 1024), map[string]string{"app": "bench", "aws:lambda:FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.seal(kk, pt, ec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k, kk := testKMS(b)
	ec := map[string]string{"app": "bench", "aws:lambda:FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f"}
	blob, err := k.seal(kk, make([]byte, 1024), ec)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.open(kk, blob, ec); err != nil {
			b.Fatal(err)
		}
	}
}
