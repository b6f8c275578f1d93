package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

func payloadHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// signThenAdd signs a request with the v4 signer of aws-sdk-go-v2 over the
// headers given, then adds the unsigned ones, as a request captured and
// altered on the way would arrive.
func signThenAdd(t *testing.T, srv *servertest.Server, method, path, service string, body []byte, signed, unsigned http.Header) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, srv.Endpoint()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range signed {
		r.Header[k] = vs
	}
	root := srv.Root()
	creds := aws.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payloadHash(body), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	for k, vs := range unsigned {
		r.Header[k] = vs
	}
	return r
}

// TestHeadersThatSelectTheOperationMustBeSigned: a request whose
// X-Amz-Target, Content-Type (RPC) or other x-amz-* header is not in
// SignedHeaders is refused before it does anything, so that a captured
// request cannot be retargeted: a DescribeLogStreams signed without its
// target does not become DeleteLogGroup.
func TestHeadersThatSelectTheOperationMustBeSigned(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	logs := cloudwatchlogs.NewFromConfig(srv.RootConfig())
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	json11 := "application/x-amz-json-1.1"
	body := []byte(`{"logGroupName":"kept"}`)
	for _, c := range []struct {
		name             string
		method, path     string
		service          string
		body             []byte
		signed, unsigned http.Header
		status           int
		code, message    string
	}{
		{"target added after signing", "POST", "/", "logs", body,
			http.Header{"Content-Type": {json11}},
			http.Header{"X-Amz-Target": {"Logs_20140328.DeleteLogGroup"}},
			400, `"__type":"IncompleteSignatureException"`, `'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.`},
		{"target replaced by an unsigned one", "POST", "/", "logs", body,
			http.Header{"Content-Type": {json11}},
			http.Header{"X-Amz-Target": {"Logs_20140328.DescribeLogStreams"}},
			400, `"__type":"IncompleteSignatureException"`, `'X-Amz-Target'`},
		{"JSON content type not signed", "POST", "/", "logs", body,
			http.Header{"X-Amz-Target": {"Logs_20140328.DeleteLogGroup"}},
			http.Header{"Content-Type": {json11}},
			400, `"__type":"IncompleteSignatureException"`, `'Content-Type' must be a 'SignedHeader' in the AWS Authorization.`},
		{"query content type not signed", "POST", "/", "iam", []byte("Action=DeleteUser&Version=2010-05-08&UserName=x"),
			nil,
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			400, "<Code>IncompleteSignature</Code>", `'Content-Type' must be a 'SignedHeader'`},
		{"REST x-amz header not signed", "POST", "/2015-03-31/functions/f/invocations", "lambda", []byte("{}"),
			nil,
			http.Header{"X-Amz-Invocation-Type": {"Event"}},
			400, `"Type":"User"`, `'X-Amz-Invocation-Type' must be a 'SignedHeader'`},
		{"x-amz-content-sha256 not signed", "POST", "/", "iam", []byte("Action=ListUsers&Version=2010-05-08"),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}},
			400, "<Code>IncompleteSignature</Code>", `'X-Amz-Content-Sha256' must be a 'SignedHeader'`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := signThenAdd(t, srv, c.method, c.path, c.service, c.body, c.signed, c.unsigned)
			code, got := send(t, r)
			got = html.UnescapeString(got)
			if code != c.status || !strings.Contains(got, c.code) || !strings.Contains(got, c.message) {
				t.Errorf("%d %s; want %d %s %q", code, got, c.status, c.code, c.message)
			}
		})
	}
	// Signed as the SDK signs it, the same request runs.
	r := signThenAdd(t, srv, "POST", "/", "logs", body, http.Header{"Content-Type": {json11}, "X-Amz-Target": {"Logs_20140328.DescribeLogStreams"}}, nil)
	if code, got := send(t, r); code != 200 || !strings.Contains(got, "logStreams") {
		t.Errorf("signed DescribeLogStreams: %d %s", code, got)
	}
	out, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("kept")})
	if err != nil || len(out.LogGroups) != 1 {
		t.Errorf("log group after the refused requests: %v %v", out, err)
	}
}

// presign presigns a request to STS as the SDKs do (aws-sdk-go-v2's
// presigner), over payload (UNSIGNED-PAYLOAD as boto3's presigner, or a
// body's hash), with the headers given signed.
func presign(t *testing.T, srv *servertest.Server, method, query, payload string, signed http.Header) (string, http.Header) {
	t.Helper()
	r, err := http.NewRequest(method, srv.Endpoint()+"/"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range signed {
		r.Header[k] = vs
	}
	root := srv.Root()
	creds := aws.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}
	u, h, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, payload, "sts", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.Del("Host")
	return u, h
}

func sendPresigned(t *testing.T, method, u string, h http.Header, body string) (int, string) {
	t.Helper()
	r, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	for k, vs := range h {
		r.Header[k] = vs
	}
	return send(t, r)
}

// TestPresignedRequestIsBoundToItsSignedParameters: UNSIGNED-PAYLOAD is
// S3's alone; a presigned STS request's payload hash is its body's, so a
// form body cannot add to or override the signed Action
// (GetCallerIdentity does not become GetSessionToken), while the forms
// clients use keep working: a presigned GET (aws eks get-token, boto3's
// generate_presigned_url) and a presigned POST whose body is signed.
func TestPresignedRequestIsBoundToItsSignedParameters(t *testing.T) {
	srv := servertest.Start(t)
	const form = "application/x-www-form-urlencoded"
	const gci = "?Action=GetCallerIdentity&Version=2011-06-15"
	override := "Action=GetSessionToken&Version=2011-06-15"

	u, h := presign(t, srv, "GET", gci, "UNSIGNED-PAYLOAD", nil)
	if code, body := sendPresigned(t, "GET", u, h, ""); code != 200 || !strings.Contains(body, "<GetCallerIdentityResult>") {
		t.Errorf("presigned GET with UNSIGNED-PAYLOAD: %d %s", code, body)
	}
	u, h = presign(t, srv, "POST", gci, "UNSIGNED-PAYLOAD", http.Header{"Content-Type": {form}})
	if code, body := sendPresigned(t, "POST", u, h, ""); code != 200 || !strings.Contains(body, "<GetCallerIdentityResult>") {
		t.Errorf("presigned POST with UNSIGNED-PAYLOAD and no body: %d %s", code, body)
	}
	for _, c := range []struct {
		name string
		u    string
		h    http.Header
		body string
	}{
		{"a body overriding the signed Action", u, h, override},
		{"a body adding parameters", u, h, "DurationSeconds=900"},
		{"a body naming the signed Action again", u, h, "Action=GetCallerIdentity&Version=2011-06-15"},
	} {
		code, body := sendPresigned(t, "POST", c.u, c.h, c.body)
		if code != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") || strings.Contains(body, "Credentials") {
			t.Errorf("%s: %d %s", c.name, code, body)
		}
	}
	// The content type that makes the body a form is signed too.
	u, h = presign(t, srv, "POST", gci, "UNSIGNED-PAYLOAD", nil)
	h.Set("Content-Type", form)
	if code, body := sendPresigned(t, "POST", u, h, override); code != 400 || !strings.Contains(html.UnescapeString(body), "'Content-Type' must be a 'SignedHeader'") {
		t.Errorf("unsigned form content type: %d %s", code, body)
	}
	// A presigned POST whose body is signed runs what its body says.
	signedBody := "Action=GetCallerIdentity&Version=2011-06-15"
	u, h = presign(t, srv, "POST", "", payloadHash([]byte(signedBody)), http.Header{"Content-Type": {form}})
	if code, body := sendPresigned(t, "POST", u, h, signedBody); code != 200 || !strings.Contains(body, "<GetCallerIdentityResult>") {
		t.Errorf("presigned POST with its body signed: %d %s", code, body)
	}
	if code, body := sendPresigned(t, "POST", u, h, override); code != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("presigned POST with another body: %d %s", code, body)
	}
}
