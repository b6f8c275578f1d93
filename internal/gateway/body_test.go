package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// TestLongAnswerOutlivesTheBodyTimeout: once its body is read, a request
// may take far longer than the body idle timeout to answer (an Invoke runs
// up to 15 minutes): the connection's deadline does not cut it off, and
// its context is not cancelled.
func TestLongAnswerOutlivesTheBodyTimeout(t *testing.T) {
	const idle = 50 * time.Millisecond
	g := New(Config{
		Account:         "123456789012",
		Region:          "us-east-1",
		Identities:      rootIdentities{secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		Now:             func() time.Time { return exampleTime },
		BodyIdleTimeout: idle,
	})
	g.Register(&api.Service{
		Name: "slow", EventSource: "slow.amazonaws.com", Protocols: []string{"restJson1"},
		Operations: map[string]*api.Operation{
			"Wait": {Name: "Wait", Handle: func(c *api.Call) (any, error) {
				in, err := c.Payload()
				if err != nil {
					return nil, err
				}
				select {
				case <-time.After(10 * idle):
				case <-c.Context.Done():
					return nil, c.Context.Err()
				}
				return &api.Raw{Body: append([]byte("waited for "), in...)}, nil
			}},
		},
		Routes: []api.Route{{Method: "POST", Path: "/wait", Operation: "Wait"}},
	})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)

	body := []byte("the body")
	r, err := http.NewRequest("POST", srv.URL+"/wait", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := sigv4.Sign(r, body, sigv4.Credentials{AccessKeyID: exampleKey, SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, "us-east-1", "slow", exampleTime); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(got) != "waited for the body" {
		t.Errorf("%d %s", resp.StatusCode, got)
	}
}
