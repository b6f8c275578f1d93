package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/server/servertest"
)

// healthGet requests the health endpoint with method and returns the
// status, the body and the response.
func healthGet(t *testing.T, endpoint, method string) (int, string, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(method, endpoint+server.HealthPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp
}

// TestHealthEndpoint: GET /_rolecall/health answers 200 {"status":"ok"}
// without credentials and says nothing else; HEAD answers 200 with no
// body; other methods 405; any other unsigned request still gets the
// protocol's missing-authentication error.
func TestHealthEndpoint(t *testing.T) {
	srv := servertest.Start(t)
	ep := srv.Endpoint()
	status, body, resp := healthGet(t, ep, http.MethodGet)
	if status != http.StatusOK || body != `{"status":"ok"}` {
		t.Errorf("GET: %d %q, want 200 {\"status\":\"ok\"}", status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	for name := range resp.Header {
		switch name {
		case "Content-Type", "Content-Length", "Cache-Control", "Date":
		default:
			t.Errorf("the health answer has header %s: %q (it tells nothing but the status)", name, resp.Header.Get(name))
		}
	}
	status, body, _ = healthGet(t, ep, http.MethodHead)
	if status != http.StatusOK || body != "" {
		t.Errorf("HEAD: %d %q, want 200 and no body", status, body)
	}
	status, _, resp = healthGet(t, ep, http.MethodPost)
	if status != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q, want 405 Allow GET, HEAD", status, resp.Header.Get("Allow"))
	}
	// Other paths are not the health check: an unsigned GET of them is
	// answered as AWS answers it, by S3 for a path S3 takes (no bucket
	// can be named "_rolecall"), with the missing-authentication error
	// otherwise.
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/_rolecall/health/x", http.StatusNotFound, "<Code>NoSuchBucket</Code>"},
		{"/_rolecall/", http.StatusNotFound, "<Code>NoSuchBucket</Code>"},
		{"/?Action=ListUsers&Version=2010-05-08", http.StatusForbidden, "<Code>MissingAuthenticationToken</Code>"},
	} {
		resp, err := http.Get(ep + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.code) {
			t.Errorf("unsigned GET %s: %d %s, want %d %s", c.path, resp.StatusCode, b, c.status, c.code)
		}
	}
}

// TestHealthDatabaseDown: a node whose PostgreSQL database cannot be
// reached answers 503 {"status":"unavailable"}, and 200 again once it can.
func TestHealthDatabaseDown(t *testing.T) {
	srv, p := proxiedNode(t)
	ep := srv.Endpoint()
	if status, body, _ := healthGet(t, ep, http.MethodGet); status != http.StatusOK {
		t.Fatalf("before the outage: %d %s", status, body)
	}
	p.Set("refuse")
	if status, body, _ := healthGet(t, ep, http.MethodGet); status != http.StatusServiceUnavailable || body != `{"status":"unavailable"}` {
		t.Errorf("during the outage: %d %q, want 503 {\"status\":\"unavailable\"}", status, body)
	}
	if status, _, _ := healthGet(t, ep, http.MethodHead); status != http.StatusServiceUnavailable {
		t.Errorf("HEAD during the outage: %d, want 503", status)
	}
	p.Set("")
	if status, body, _ := healthGet(t, ep, http.MethodGet); status != http.StatusOK {
		t.Errorf("after the outage: %d %s, want 200", status, body)
	}
	p.Set("refuse") // lets the node shut down
}
