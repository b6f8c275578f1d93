package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// rawCall sends body to rolecall's API signed for service (unsigned when
// service is ""), with the content type given, and returns the status and
// error code.
func rawCall(t *testing.T, cfg aws.Config, endpoint, service, method, path, contentType string, body []byte) (int, string, string) {
	t.Helper()
	st, code, out, err := rawSend(t, cfg, endpoint, service, method, path, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	return st, code, out
}

// rawSend is rawCall, with the error of a request the server did not let
// the client finish sending.
func rawSend(t *testing.T, cfg aws.Config, endpoint, service, method, path, contentType string, body []byte) (int, string, string, error) {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, method, endpoint+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if service != "" {
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, cfg.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b), nil
}

// rolecall's own API refuses what is not signed for it, and input it does
// not take, with AWS's errors; and a principal may read through it only
// the principals IAM would let it read.
func TestRolecallAPIAttacks(t *testing.T) {
	s := newLambdaSuite(t)
	root := s.srv.RootConfig()
	end := s.srv.Endpoint()
	s.role(t, "target", lambdaTrust, basicExecRole)
	s.role(t, "mine", lambdaTrust)
	replayBody := func(principal string) string {
		return `{"principalArn":"` + principal + `","startTime":1,"endTime":` + "9999999999" + `,"changes":[{"policyType":"INLINE","policyName":"x","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"}]}`
	}
	target := "arn:aws:iam::" + account + ":role/target"

	for _, tc := range []struct {
		name, service, method, path, ctype, body string
		status                                   int
		code                                     string
	}{
		{"unsigned", "", "POST", "/v1/replay", "application/json", replayBody(target), 403, "MissingAuthenticationTokenException"},
		// Signed for another service, a request is that service's: the
		// signing name routes it, and the service has no such operation.
		{"signed for iam", "iam", "POST", "/v1/replay", "application/json", replayBody(target), 400, ""},
		{"signed for lambda", "lambda", "GET", "/v1/policy-templates", "", "", 404, "UnknownOperationException"},
		{"unknown member", "rolecall", "POST", "/v1/unused-access", "application/json", `{"principalArn":"` + target + `","startTime":1,"Extra":1}`, 400, "SerializationException"},
		{"not JSON", "rolecall", "POST", "/v1/unused-access", "application/json", `principalArn=x`, 400, "SerializationException"},
		{"traversal in a function name", "rolecall", "GET", "/v1/functions/..%2F..%2Fpolicy-templates/resource-summary", "", "", 400, "ValidationException"},
		{"traversal in a role name", "rolecall", "POST", "/v1/roles/..%2Ftarget/feature-permissions", "application/json", `{"feature":"tracing"}`, 400, "ValidationException"},
		{"quote in a function name", "rolecall", "POST", "/v1/functions/a%22b/default-role", "", "", 400, "ValidationException"},
		{"newline in a function name", "rolecall", "POST", "/v1/functions/a%0Ab/default-role", "", "", 400, "ValidationException"},
		{"star in a function name", "rolecall", "POST", "/v1/functions/%2A/default-role", "", "", 400, "ValidationException"},
		{"wildcard function ARN", "rolecall", "GET", "/v1/functions/arn:aws:lambda:us-east-1:" + account + ":function:%2A/resource-summary", "", "", 400, "ValidationException"},
		{"replay of another account", "rolecall", "POST", "/v1/replay", "application/json", replayBody("arn:aws:iam::210987654321:role/target"), 403, "AccessDeniedException"},
		{"unused access of another account", "rolecall", "POST", "/v1/unused-access", "application/json", `{"principalArn":"arn:aws:iam::210987654321:role/target","startTime":1}`, 403, "AccessDeniedException"},
	} {
		st, code, body := rawCall(t, root, end, tc.service, tc.method, tc.path, tc.ctype, []byte(tc.body))
		if st != tc.status || code != tc.code {
			t.Errorf("%s: %d %s %s, want %d %s", tc.name, st, code, body, tc.status, tc.code)
		}
	}

	// A huge body is refused, not read to its end.
	huge := append([]byte(`{"principalArn":"`), bytes.Repeat([]byte("a"), 64<<20)...)
	// The server answers before the client has sent it all and closes the
	// connection: the client sees the answer, or its write fails.
	st, code, _, err := rawSend(t, root, end, "rolecall", "POST", "/v1/unused-access", "application/json", huge)
	switch {
	case err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE):
		t.Errorf("64 MiB body: %v", err)
	case err == nil && (st < 400 || st >= 500):
		t.Errorf("64 MiB body: %d %s", st, code)
	}

	// A user allowed to simulate one role replays that role only, and
	// reads nothing of another through unused access or the summary.
	narrow := s.user(t, "narrow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:SimulatePrincipalPolicy","iam:GetRole"],"Resource":"arn:aws:iam::`+account+`:role/mine"},`+
		`{"Effect":"Allow","Action":["cloudtrail:LookupEvents","lambda:GetFunctionConfiguration"],"Resource":"*"}]}`)
	for _, tc := range []struct{ name, method, path, body string }{
		{"replay", "POST", "/v1/replay", replayBody(target)},
		{"unused access", "POST", "/v1/unused-access", `{"principalArn":"` + target + `","startTime":1}`},
	} {
		st, code, body := rawCall(t, narrow, end, "rolecall", tc.method, tc.path, "application/json", []byte(tc.body))
		if st != 403 || code != "AccessDeniedException" || strings.Contains(body, "AWSLambdaBasicExecutionRole") {
			t.Errorf("%s of another role: %d %s %s", tc.name, st, code, body)
		}
	}
	if st, code, body := rawCall(t, narrow, end, "rolecall", "POST", "/v1/replay", "application/json", []byte(replayBody("arn:aws:iam::"+account+":role/mine"))); st != 200 {
		t.Errorf("replay of its own role: %d %s %s", st, code, body)
	}
}

// A MANAGED change without a document replays the managed policy as it
// is: the caller must be allowed to read it through IAM
// (iam:GetPolicyVersion), or the answer's decisive statements would show
// a policy it may not read.
func TestReplayManagedPolicyRead(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	s.role(t, "mine", lambdaTrust)
	out, err := s.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("secret"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"HiddenGrant","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	secret := aws.ToString(out.Policy.Arn)
	narrow := s.user(t, "narrow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::`+account+`:role/mine"},`+
		`{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}`)
	body := func(arn string) []byte {
		return []byte(`{"principalArn":"arn:aws:iam::` + account + `:role/mine","startTime":1,"endTime":9999999999,"changes":[{"policyType":"MANAGED","policyArn":"` + arn + `"}]}`)
	}
	st, code, msg := rawCall(t, narrow, s.srv.Endpoint(), "rolecall", "POST", "/v1/replay", "application/json", body(secret))
	if st != 403 || code != "AccessDeniedException" || !strings.Contains(msg, "iam:GetPolicyVersion") {
		t.Errorf("a managed policy the caller may not read: %d %s %s", st, code, msg)
	}
	st, code, msg = rawCall(t, s.srv.RootConfig(), s.srv.Endpoint(), "rolecall", "POST", "/v1/replay", "application/json", body("arn:aws:iam::210987654321:policy/theirs"))
	if st != 403 || code != "AccessDeniedException" {
		t.Errorf("a managed policy of another account: %d %s %s", st, code, msg)
	}
	if st, code, msg := rawCall(t, s.srv.RootConfig(), s.srv.Endpoint(), "rolecall", "POST", "/v1/replay", "application/json", body(secret)); st != 200 {
		t.Errorf("root replays its account's policy: %d %s %s", st, code, msg)
	}
}
