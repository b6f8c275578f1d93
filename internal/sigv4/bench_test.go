package sigv4

import (
	"testing"
)

// BenchmarkVerifyHeader measures Parse and Verify of an STS call signed in
// the Authorization header with temporary credentials, as the gateway
// runs them on every request.
func BenchmarkVerifyHeader(b *testing.B) {
	c := requests[1]
	r, body := sdkSigned(b, c, testTime)
	v := verifier(testTime)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(s, r, body, c.creds.SecretAccessKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyHeaderQuery is the same for a Lambda GET with a path and
// query parameters to canonicalize.
func BenchmarkVerifyHeaderQuery(b *testing.B) {
	c := requests[2]
	r, body := sdkSigned(b, c, testTime)
	v := verifier(testTime)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(s, r, body, c.creds.SecretAccessKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeriveKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		deriveKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20240301", "us-east-1", "sts")
	}
}
