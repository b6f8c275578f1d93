// Package console is rolecall's web console: a single-page application,
// embedded in the binary, served at /console/ on the main listener. The
// page itself is the only thing served without a signature; the console
// is a client of rolecall's public API like any SDK, signing every call
// (SigV4, in the browser) with the credentials its user signs in with, so
// each call is authorized as that user's and recorded in the trail.
package console

import (
	"bytes"
	"embed"
	"html"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// Prefix is the path the console is served under.
const Prefix = "/console/"

// Config configures the console.
type Config struct {
	// Region is the Region the console signs its calls for.
	Region string
}

// Handler serves the console: files under /console/assets/ as they are,
// and index.html for every other path under /console/ (the application
// routes in the browser, so a shared link to /console/roles/x opens that
// page). Only GET and HEAD are answered; others get 405.
func Handler(cfg Config) http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		panic(err)
	}
	index = bytes.ReplaceAll(index, []byte("{{region}}"), []byte(html.EscapeString(cfg.Region)))
	return &handler{files: http.FileServerFS(sub), index: index, modTime: time.Now()}
}

type handler struct {
	files   http.Handler
	index   []byte
	modTime time.Time
}

// securityHeaders are sent with every console response: the page runs
// only its own scripts and styles, connects only to its own origin, and
// is never framed.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"X-Frame-Options":        "DENY",
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == strings.TrimSuffix(Prefix, "/") {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	if rest, ok := strings.CutPrefix(p, Prefix+"assets/"); ok {
		if rest == "" || strings.HasSuffix(rest, "/") || path.Clean("/"+rest) != "/"+rest {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + rest
		h.files.ServeHTTP(w, r2)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "index.html", h.modTime, bytes.NewReader(h.index))
}
