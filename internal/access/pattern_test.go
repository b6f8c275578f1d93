package access

import "testing"

// TestCoversEscapes: a pattern written with the escapes ${*}, ${?} and ${$}
// (as policy generation writes a name holding those characters) covers
// what Reach makes of the same pattern, and is covered by it.
func TestCoversEscapes(t *testing.T) {
	for _, tc := range []struct {
		p, q string
		want bool
	}{
		{"arn:aws:logs:us-east-1:1:log-group:g:${*}", "arn:aws:logs:us-east-1:1:log-group:g:*", true},
		{"arn:aws:logs:us-east-1:1:log-group:g:*", "arn:aws:logs:us-east-1:1:log-group:g:${*}", true},
		{"arn:aws:s3:::b/a${?}c", "arn:aws:s3:::b/a?c", true},
		{"arn:aws:s3:::b/${$}x", "arn:aws:s3:::b/$x", true},
		{"arn:aws:s3:::b/k", "arn:aws:s3:::b/${*}", false},
	} {
		if got := Covers(tc.p, tc.q); got != tc.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tc.p, tc.q, got, tc.want)
		}
	}
}
