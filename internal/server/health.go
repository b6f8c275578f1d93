package server

import (
	"context"
	"net/http"
	"time"
)

// HealthPath is the path of the health endpoint: GET (or HEAD) answers 200
// {"status":"ok"} while the server serves and its database answers, and
// 503 {"status":"unavailable"} before it serves, while it shuts down, or
// when the database cannot be reached within healthTimeout. It takes no
// credentials and tells nothing else: no version, account or counts.
const HealthPath = "/_rolecall/health"

// healthTimeout bounds the database check of a health request.
const healthTimeout = 2 * time.Second

// healthAttempts is how many times the database is asked before it is
// judged unreachable: after an outage, the pool may still hold a few
// connections the database end closed, each of which fails once and is
// dropped; a database that is down fails every attempt.
const healthAttempts = 5

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	status, body := http.StatusOK, `{"status":"ok"}`
	if !s.healthy(r.Context()) {
		status, body = http.StatusServiceUnavailable, `{"status":"unavailable"}`
	}
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(body)) // the client that hung up needs no answer
	}
}

// healthy reports whether the server serves and reaches its database.
func (s *Server) healthy(ctx context.Context) bool {
	if !s.serving.Load() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	for range healthAttempts {
		if _, err := s.store.CurrentRevision(ctx); err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
	}
	return false
}
