package protocol

import (
	"net/http"
	"net/url"
	"testing"
)

// TestGreedyLabel: a greedy label keeps the rest of the path exactly as
// sent, unescaped: trailing "/", "//", escaped "/" and "%".
func TestGreedyLabel(t *testing.T) {
	p := Compile("PUT", "/{Bucket}/{Key+}")
	for path, key := range map[string]string{
		"/b/k":            "k",
		"/b/dir/":         "dir/",
		"/b/a//c":         "a//c",
		"/b//lead":        "/lead",
		"/b/x%2Fy":        "x/y",
		"/b/per%2520cent": "per%20cent",
		"/b/sp%20ace+":    "sp ace+",
		"/b/trail//":      "trail//",
	} {
		pp, ok := p.MatchPath(path, url.Values{})
		if !ok || pp["Bucket"] != "b" || pp["Key"] != key {
			t.Errorf("%s: %v %v, want key %q", path, ok, pp, key)
		}
	}
	if _, ok := p.MatchPath("/b/", url.Values{}); ok {
		t.Error("/b/ matched a pattern with a key")
	}
	if pp, ok := Compile("GET", "/{Bucket}").MatchPath("/b/", url.Values{}); !ok || pp["Bucket"] != "b" {
		t.Errorf("/b/ against /{Bucket}: %v %v", ok, pp)
	}
}

// TestPatternHeaders: a pattern requiring a header matches only requests
// carrying it, and is tried first.
func TestPatternHeaders(t *testing.T) {
	plain := Compile("PUT", "/{Bucket}/{Key+}")
	cp := plain.WithHeaders("x-amz-copy-source")
	h := http.Header{}
	if cp.MatchHeader(h) || !plain.MatchHeader(h) {
		t.Fatal("a header-less request matched the copy pattern")
	}
	h.Set("X-Amz-Copy-Source", "b/k")
	if !cp.MatchHeader(h) || cp.Specificity() <= plain.Specificity() {
		t.Fatal("the copy pattern does not match first")
	}
}
