package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// sendSigned signs a request over signedBody with the given headers, then
// sends sentBody in its place.
func sendSigned(t *testing.T, srv *servertest.Server, method, path string, header http.Header, service string, signedBody, sentBody []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.Endpoint()+path, bytes.NewReader(signedBody))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	root := srv.Root()
	if err := sigv4.Sign(req, signedBody, sigv4.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}, "us-east-1", service, time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(sentBody))
	req.ContentLength = int64(len(sentBody))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b)
}

// A header-signed request to a service other than S3 signs its body: a
// payload declared UNSIGNED-PAYLOAD (or an unsigned aws-chunked one) would
// let whoever holds the signed headers send any body, so the body is
// hashed as sent and a request signed without it does not match.
func TestUnsignedPayloadDoesNotCoverAnyBody(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())

	signed := []byte("Action=CreateUser&Version=2010-05-08&UserName=alice")
	sent := []byte("Action=CreateUser&Version=2010-05-08&UserName=mallo")
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Amz-Content-Sha256": {sigv4.UnsignedPayload}}
	if code, body := sendSigned(t, srv, "POST", "/", h, "iam", signed, sent); code != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("UNSIGNED-PAYLOAD with a swapped body: %d %s", code, body)
	}
	chunked := func(b []byte) []byte { return []byte(fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(b), b)) }
	h = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Amz-Content-Sha256": {sigv4.StreamingUnsignedPayloadTrailer},
		"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {strconv.Itoa(len(signed))}}
	if code, body := sendSigned(t, srv, "POST", "/", h, "iam", chunked(signed), chunked(sent)); code != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("unsigned aws-chunked with a swapped body: %d %s", code, body)
	}
	for _, name := range []string{"alice", "mallo"} {
		_, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		var nse *iamtypes.NoSuchEntityException
		if !errors.As(err, &nse) {
			t.Errorf("user %s after refused requests: %v", name, err)
		}
	}

	// A body the signature covers is accepted.
	code, body := sendSigned(t, srv, "POST", "/", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "iam", signed, signed)
	if code != 200 || !strings.Contains(body, "<UserName>alice</UserName>") {
		t.Errorf("signed body: %d %s", code, body)
	}
}

// A function's environment variables are secrets: the trail records that
// a function was created or updated, never the variables' values.
func TestTrailLeavesOutEnvironmentVariables(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "env-role", lambdaTrust)
	if _, err := s.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("env-fn"), Role: aws.String(role),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"DB_PASSWORD": "created-secret"}}}); err != nil {
		t.Fatal(err)
	}
	s.waitActive(t, "env-fn")
	if _, err := s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("env-fn"),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"DB_PASSWORD": "updated-secret"}}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"CreateFunction", "UpdateFunctionConfiguration"} {
		ev := s.waitTrail(t, name, func(*trailRecord) bool { return true })
		for _, secret := range []string{"created-secret", "updated-secret", "DB_PASSWORD"} {
			if strings.Contains(ev.raw, secret) {
				t.Errorf("%s event records %q: %s", name, secret, ev.raw)
			}
		}
	}
}

// tinyZip is a deployment package that is stored, never run.
func tinyZip(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("bootstrap")
	if err == nil {
		_, err = w.Write([]byte("#!/bin/sh\n"))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// An operation name runs to the body or header limit at most; no operation
// has a long one, and neither the answer nor the trail repeats it whole.
func TestLongOperationNameIsBounded(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	long := strings.Repeat("A", 1<<20)
	b := []byte("Action=" + long + "&Version=2010-05-08")
	code, body := sendSigned(t, srv, "POST", "/", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "iam", b, b)
	if code != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") || len(body) > 4096 {
		t.Errorf("long Action: %d, %d bytes: %.300s", code, len(body), body)
	}
	code, body = sendSigned(t, srv, "POST", "/", http.Header{"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"Logs_20140328." + long[:64<<10]}}, "logs", []byte("{}"), []byte("{}"))
	if code != 400 || !strings.Contains(body, "UnknownOperationException") || len(body) > 4096 {
		t.Errorf("long X-Amz-Target: %d, %d bytes: %.300s", code, len(body), body)
	}
	if err := srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := cloudtrail.NewFromConfig(srv.RootConfig()).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) < 2 {
		t.Fatalf("%d events recorded, want the 2 unknown operations", len(out.Events))
	}
	for _, e := range out.Events {
		if n := len(aws.ToString(e.EventName)); n > 128 {
			t.Errorf("event name of %d bytes recorded", n)
		}
		if n := len(aws.ToString(e.CloudTrailEvent)); n > 4096 {
			t.Errorf("event of %d bytes recorded", n)
		}
	}
}
