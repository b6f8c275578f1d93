package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/console"
)

// TestHandlerAttackPaths: no path under /console/ redirects off the
// origin or reads outside the embedded assets, and every answer (files,
// the page, refusals) carries the page's security headers.
func TestHandlerAttackPaths(t *testing.T) {
	h := console.Handler(console.Config{Region: `us-east-1"><script>`})
	for _, p := range []string{
		"/console", "/console/", "/console//evil.example", "/console/%2F%2Fevil.example", "/console/%5C%5Cevil.example",
		"/console/\\evil.example", "/console/assets//evil.example", "/console/assets/..%2fconsole.go", "/console/assets/../console.go",
		"/console/assets/js", "/console/assets/index.html", "/console/assets/js/../../console.go", "/console/assets/%2e%2e/console.go",
		"/console/assets/", "/console/assets/js/app.js/", "/console/assets/.//js/app.js",
	} {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+strings.ReplaceAll(p, "\\", "%5C"), nil)
		r.URL.Path = strings.ReplaceAll(r.URL.Path, "%5C", "\\")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if loc := w.Header().Get("Location"); loc != "" && (strings.Contains(loc, "//") || strings.Contains(loc, "\\") || strings.Contains(loc, ":")) {
			t.Errorf("GET %s redirects to %q", p, loc)
		}
		if strings.Contains(w.Body.String(), "package console") {
			t.Errorf("GET %s reads the package's source", p)
		}
		if strings.Contains(w.Body.String(), `"><script>`) {
			t.Errorf("GET %s: the region is written into the page unescaped", p)
		}
		for _, k := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options"} {
			if w.Header().Get(k) == "" {
				t.Errorf("GET %s (%d): no %s", p, w.Code, k)
			}
		}
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %s: the page may be framed", p)
		}
	}
}
