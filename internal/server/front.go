package server

import (
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/console"
)

// front dispatches the main listener's requests: the health check, the
// deployment packages Lambda serves to its environments, the web console's
// page (unsigned GET and HEAD under /console/), and everything else to the
// gateway. Unlike http.ServeMux it leaves paths as they came:
// S3 object keys may hold "//", "." and ".." segments, which must reach
// the gateway as signed, not be cleaned and redirected.
type front struct {
	gateway, code, console http.Handler
	health                 http.HandlerFunc
	codePrefix             string
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == HealthPath:
		f.health(w, r)
	case strings.HasPrefix(p, f.codePrefix):
		sandbox(w)
		f.code.ServeHTTP(w, r)
	case isConsolePage(r):
		f.console.ServeHTTP(w, r)
	default:
		sandbox(w)
		f.gateway.ServeHTTP(w, r)
	}
}

// sandbox marks an answer of the API or of a function's code, which share
// the console's origin: an S3 object or a code package opened in a
// browser is shown sandboxed (an opaque origin, no scripts), so it can
// never read the console's credentials or drive its page.
func sandbox(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "sandbox")
}

// isConsolePage reports whether r asks for the console's page: an unsigned
// GET or HEAD of /console or a path under /console/. A signed request
// there is an API call (S3 path-style, a bucket named "console") and goes
// to the gateway; an anonymous read of such a bucket is the one S3
// request the console shadows.
func isConsolePage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	if p != strings.TrimSuffix(console.Prefix, "/") && !strings.HasPrefix(p, console.Prefix) {
		return false
	}
	if r.Header.Get("Authorization") != "" {
		return false
	}
	q := r.URL.Query()
	return !q.Has("X-Amz-Signature") && !q.Has("X-Amz-Credential") && !q.Has("Signature") && !q.Has("AWSAccessKeyId")
}
