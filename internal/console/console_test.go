package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every page path answers the application's page with the Region filled
// in, so that a shared link opens its page.
func TestHandlerServesThePageForEveryRoute(t *testing.T) {
	h := Handler(Config{Region: "eu-west-1"})
	for _, p := range []string{"/console/", "/console/functions", "/console/roles/my-role", "/console/trail/abc?x=1", "/console/policies/arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess"} {
		r := get(t, h, http.MethodGet, p)
		b := body(t, r)
		if r.StatusCode != http.StatusOK || !strings.Contains(b, `<meta name="rolecall-region" content="eu-west-1">`) {
			t.Errorf("GET %s: %d, page without the Region:\n%.300s", p, r.StatusCode, b)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
	}
	if r := get(t, h, http.MethodGet, "/console"); r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/console/" {
		t.Errorf("GET /console: %d to %q, want 301 to /console/", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestHandlerServesAssets(t *testing.T) {
	h := Handler(Config{Region: "us-east-1"})
	for path, ctype := range map[string]string{
		"/console/assets/app.css":               "text/css; charset=utf-8",
		"/console/assets/js/app.js":             "text/javascript; charset=utf-8",
		"/console/assets/js/sigv4.js":           "text/javascript; charset=utf-8",
		"/console/assets/js/api.js":             "text/javascript; charset=utf-8",
		"/console/assets/js/ui.js":              "text/javascript; charset=utf-8",
		"/console/assets/js/pages/functions.js": "text/javascript; charset=utf-8",
	} {
		r := get(t, h, http.MethodGet, path)
		if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != ctype {
			t.Errorf("GET %s: %d %q, want 200 %q", path, r.StatusCode, r.Header.Get("Content-Type"), ctype)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
	}
	for _, path := range []string{"/console/assets/", "/console/assets/nope.js", "/console/assets/js/", "/console/assets/../console.go", "/console/assets/js/../../console.go", "/console/assets/index.html/"} {
		if r := get(t, h, http.MethodGet, path); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, r.StatusCode)
		}
	}
}

func TestHandlerRefusesOtherMethods(t *testing.T) {
	h := Handler(Config{Region: "us-east-1"})
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions} {
		r := get(t, h, m, "/console/functions")
		if r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d Allow %q, want 405 GET, HEAD", m, r.StatusCode, r.Header.Get("Allow"))
		}
	}
	if r := get(t, h, http.MethodHead, "/console/"); r.StatusCode != http.StatusOK {
		t.Errorf("HEAD: %d", r.StatusCode)
	}
}

// The Region is written into the page escaped.
func TestHandlerEscapesTheRegion(t *testing.T) {
	b := body(t, get(t, Handler(Config{Region: `"><script>`}), http.MethodGet, "/console/"))
	if strings.Contains(b, `"><script>`) {
		t.Errorf("the Region was written unescaped:\n%s", b)
	}
}
