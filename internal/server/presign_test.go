package server_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// eksToken presigns sts:GetCallerIdentity at signedAt as aws eks get-token
// and the EKS authenticators do: a GET with X-Amz-Expires=60 and the
// cluster's name in the signed x-k8s-aws-id header. It returns the request
// the authenticator sends with net/http.
func eksToken(t *testing.T, srv *servertest.Server, signedAt time.Time, expires string) *http.Request {
	t.Helper()
	u := srv.Endpoint() + "/?Action=GetCallerIdentity&Version=2011-06-15"
	if expires != "" {
		u += "&X-Amz-Expires=" + expires
	}
	r, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("x-k8s-aws-id", "prod")
	root := srv.Root()
	creds := aws.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	signed, headers, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, emptySHA256, "sts", "us-east-1", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest("GET", signed, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range headers {
		if strings.EqualFold(k, "host") {
			continue
		}
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	return out
}

func send(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPresignedGetCallerIdentityLastsFifteenMinutes: STS accepts a
// presigned request for 15 minutes after its X-Amz-Date whatever
// X-Amz-Expires says, and refuses it after with its clock-skew error.
func TestPresignedGetCallerIdentityLastsFifteenMinutes(t *testing.T) {
	srv := servertest.Start(t)
	now := time.Now()
	for _, c := range []struct {
		name    string
		ago     time.Duration
		expires string
	}{
		{"just signed", 0, "60"},
		{"five minutes ago for 60 seconds", 5 * time.Minute, "60"},
		{"fourteen minutes ago for 60 seconds", 14 * time.Minute, "60"},
		{"fourteen minutes ago for one second", 14 * time.Minute, "1"},
		{"ten minutes ago with X-Amz-Expires=0", 10 * time.Minute, "0"},
		{"ten minutes ago without X-Amz-Expires", 10 * time.Minute, ""},
		{"ten minutes ahead", -10 * time.Minute, "60"},
	} {
		code, body := send(t, eksToken(t, srv, now.Add(-c.ago), c.expires))
		if code != 200 || !strings.Contains(body, "<Arn>arn:aws:iam::123456789012:root</Arn>") {
			t.Errorf("%s: %d %s", c.name, code, body)
		}
	}

	expired := regexp.MustCompile(`<Code>SignatureDoesNotMatch</Code>\s*<Message>Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)</Message>`)
	for _, expires := range []string{"60", "3600", "604800"} {
		code, body := send(t, eksToken(t, srv, now.Add(-16*time.Minute), expires))
		if code != 403 || !expired.MatchString(body) {
			t.Errorf("sixteen minutes old, X-Amz-Expires=%s: %d %s", expires, code, body)
		}
	}
	future := regexp.MustCompile(`<Code>SignatureDoesNotMatch</Code>\s*<Message>Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)</Message>`)
	if code, body := send(t, eksToken(t, srv, now.Add(16*time.Minute), "60")); code != 403 || !future.MatchString(body) {
		t.Errorf("sixteen minutes ahead: %d %s", code, body)
	}

	// Malformed X-Amz-Expires values are refused as the query is parsed.
	for expires, msg := range map[string]string{
		"abc":    "X-Amz-Expires should be a number",
		"-1":     "X-Amz-Expires must be non-negative",
		"604801": "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
	} {
		code, body := send(t, eksToken(t, srv, now, expires))
		if code != 400 || !strings.Contains(body, "<Code>IncompleteSignature</Code>") || !strings.Contains(body, msg) {
			t.Errorf("X-Amz-Expires=%s: %d %s", expires, code, body)
		}
	}

	// The x-k8s-aws-id header is signed: another cluster's name fails.
	r := eksToken(t, srv, now, "60")
	r.Header.Set("x-k8s-aws-id", "staging")
	if code, body := send(t, r); code != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("other cluster: %d %s", code, body)
	}
}
