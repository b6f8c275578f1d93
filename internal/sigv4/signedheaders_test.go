package sigv4

import (
	"net/http"
	"slices"
	"testing"
)

// TestCheckSignedHeaders: every x-amz-* header present and every selector
// given must be signed; S3 lists them all (lower case, sorted) as
// HeadersNotSigned, the other services name the first as they name Host.
func TestCheckSignedHeaders(t *testing.T) {
	h := http.Header{
		"X-Amz-Target":    {"Logs_20140328.DeleteLogGroup"},
		"X-Amz-Date":      {"20240101T000000Z"},
		"X-Amzn-Trace-Id": {"Root=1"}, // x-amzn-, which SDKs leave unsigned
		"Content-Type":    {"application/x-amz-json-1.1"},
		"User-Agent":      {"aws-sdk-go-v2"},
	}
	r := &http.Request{Header: h}
	for _, c := range []struct {
		name      string
		s         Signature
		selectors []string
		kind      Kind
		message   string
		missing   []string
	}{
		{"all signed", Signature{Service: "logs", SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-target"}}, []string{"Content-Type"}, 0, "", nil},
		{"target unsigned", Signature{Service: "logs", SignedHeaders: []string{"content-type", "host", "x-amz-date"}}, []string{"Content-Type"},
			IncompleteSignature, "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.", []string{"X-Amz-Target"}},
		{"selector unsigned", Signature{Service: "logs", SignedHeaders: []string{"host", "x-amz-date", "x-amz-target"}}, []string{"Content-Type"},
			IncompleteSignature, "'Content-Type' must be a 'SignedHeader' in the AWS Authorization.", []string{"Content-Type"}},
		{"selector not asked for", Signature{Service: "logs", SignedHeaders: []string{"host", "x-amz-date", "x-amz-target"}}, nil, 0, "", nil},
		{"presigned", Signature{Service: "sts", Presigned: true, SignedHeaders: []string{"host"}}, nil,
			AuthorizationQueryParameters, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.", []string{"X-Amz-Date", "X-Amz-Target"}},
		{"S3", Signature{Service: "s3", SignedHeaders: []string{"host"}}, nil,
			HeadersNotSigned, "There were headers present in the request which were not signed", []string{"x-amz-date", "x-amz-target"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.s.CheckSignedHeaders(r, c.selectors...)
			if c.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := wantKind(t, err, c.kind)
			if e.Message != c.message || !slices.Equal(e.HeadersNotSigned, c.missing) {
				t.Errorf("%q %q, want %q %q", e.Message, e.HeadersNotSigned, c.message, c.missing)
			}
		})
	}
}
