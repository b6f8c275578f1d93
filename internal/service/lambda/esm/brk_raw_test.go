package esm_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// raw sends a Lambda request signed with the root credentials, its body
// as given, and returns the status, the error code (x-amzn-ErrorType, up
// to its first colon) and the body of the answer.
func (s *suite) raw(t testing.TB, method, path, body string) (status int, code, out string) {
	t.Helper()
	ctx := context.Background()
	cfg := s.srv.RootConfig()
	req, err := http.NewRequestWithContext(ctx, method, *cfg.BaseEndpoint+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	code, _, _ = strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	return resp.StatusCode, code, string(b)
}
