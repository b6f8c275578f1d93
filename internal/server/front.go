package server

import (
	"net/http"
	"strings"
)

// front dispatches the main listener's requests: the health check, the
// deployment packages Lambda serves to its environments, and everything
// else to the gateway. Unlike http.ServeMux it leaves paths as they came:
// S3 object keys may hold "//", "." and ".." segments, which must reach
// the gateway as signed, not be cleaned and redirected.
type front struct {
	gateway, code http.Handler
	health        http.HandlerFunc
	codePrefix    string
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == HealthPath:
		f.health(w, r)
	case strings.HasPrefix(p, f.codePrefix):
		f.code.ServeHTTP(w, r)
	default:
		f.gateway.ServeHTTP(w, r)
	}
}
