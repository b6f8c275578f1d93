package runtime

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// stsHooks points AWS_ENDPOINT_URL at a fake STS that answers
// GetCallerIdentity for the environment whose credentials signed the call.
type stsHooks struct {
	hooks
	srv   *httptest.Server
	mu    sync.Mutex
	calls []string // access key ids seen
}

func newSTSHooks(t *testing.T) *stsHooks {
	h := &stsHooks{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(auth, "Credential=")
		key, _, _ := strings.Cut(cred, "/")
		if !strings.Contains(string(body), "Action=GetCallerIdentity") || !strings.HasPrefix(key, "ASIATESTKEY") ||
			!strings.HasPrefix(r.Header.Get("X-Amz-Security-Token"), "token-") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		h.mu.Lock()
		h.calls = append(h.calls, key)
		h.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/exec-role/%s</Arn><UserId>AROAEXAMPLE:%s</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, key, key)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *stsHooks) Start(ctx context.Context, env EnvInfo) (Credentials, string, error) {
	c, _, err := h.hooks.Start(ctx, env)
	return c, h.srv.URL, err
}

func TestWhoAmIUsesEnvironmentCredentials(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(t *testing.T) *Config
	}{
		{"go", func(*testing.T) *Config { return goConfig("who-go") }},
		{"python", pythonConfig},
		{"node", nodeConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg(t)
			h := newSTSHooks(t)
			m, _ := newManager(t, Options{Hooks: h})
			res := invoke(t, m, cfg, "who", map[string]any{"action": "whoami"})
			got := decode[map[string]any](t, res)
			h.hooks.mu.Lock()
			key := "ASIATESTKEY" + h.hooks.started[0].ID[:8]
			h.hooks.mu.Unlock()
			if got["arn"] != "arn:aws:sts::123456789012:assumed-role/exec-role/"+key || got["account"] != "123456789012" {
				t.Fatalf("whoami: %s\n%s", res.Payload, res.Log)
			}
		})
	}
}
