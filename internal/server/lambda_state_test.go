package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// sourceZip zips files given by their contents.
func sourceZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wantStatus asserts err is an AWS error with code, HTTP status and
// message.
func wantStatus(t *testing.T, what string, err error, code string, status int, message string) {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Errorf("%s: want HTTP %d %s, got %v", what, status, code, err)
		return
	}
	if msg := apiError(t, err, code); msg != message {
		t.Errorf("%s: message %q, want %q", what, msg, message)
	}
}

// envFunction is a Python function answering the value of the variable XV.
const envFunction = `import os

def handler(event, context):
    return {"XV": os.environ.get("XV", "")}
`

// TestLambdaPendingIsPending holds a function Pending and then InProgress
// with a long settle delay: every way of invoking a Pending function is
// refused with ResourceConflictException, as are updates, and invocations
// during an update run the configuration before it.
func TestLambdaPendingIsPending(t *testing.T) {
	s := lambdaSuiteOn(servertest.StartWith(t, servertest.Options{SettleDelay: 3 * time.Second}))
	ctx := context.Background()
	role := s.role(t, "pending-role", lambdaTrust, basicExecRole)
	const name = "pending-fn"
	out, err := s.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("handler.handler"), Publish: true,
		Code:        &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"handler.py": envFunction})},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": "old"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.State != lambdatypes.StatePending || aws.ToString(out.Version) != "1" {
		t.Fatalf("CreateFunction with Publish: version %s state %s", aws.ToString(out.Version), out.State)
	}
	if _, err := s.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name),
		Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	const pending = "The operation cannot be performed at this time. The function is currently in the following state: Pending"
	for _, tc := range []struct {
		what, qualifier string
		typ             lambdatypes.InvocationType
	}{
		{"RequestResponse", "", ""},
		{"Event", "", lambdatypes.InvocationTypeEvent},
		{"DryRun", "", lambdatypes.InvocationTypeDryRun},
		{"$LATEST", "$LATEST", ""},
		{"version 1", "1", ""},
		{"alias", "live", ""},
		{"alias, Event", "live", lambdatypes.InvocationTypeEvent},
	} {
		_, err := s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: optional(tc.qualifier),
			InvocationType: tc.typ, Payload: []byte(`{}`)})
		wantStatus(t, "Invoke "+tc.what, err, "ResourceConflictException", http.StatusConflict, pending)
	}
	v, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: aws.String("1")})
	if err != nil || v.State != lambdatypes.StatePending {
		t.Errorf("version 1 while the function is Pending: %v %v", v.State, err)
	}
	_, err = s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Timeout: aws.Int32(5)})
	wantStatus(t, "UpdateFunctionConfiguration while Pending", err, "ResourceConflictException", http.StatusConflict, pending)

	s.waitActive(t, name)
	for _, q := range []string{"", "1", "live"} {
		got := s.callQualified(t, name, q)
		if got["XV"] != "old" {
			t.Errorf("Invoke %q once Active: %v", q, got)
		}
	}
	v, err = s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: aws.String("1")})
	if err != nil || v.State != lambdatypes.StateActive {
		t.Errorf("version 1 once the function is Active: %v %v", v.State, err)
	}

	// An update InProgress: invocations run the configuration before it;
	// other updates are refused.
	up, err := s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": "new"}}})
	if err != nil || up.LastUpdateStatus != lambdatypes.LastUpdateStatusInProgress || up.Environment.Variables["XV"] != "new" {
		t.Fatalf("UpdateFunctionConfiguration: %+v %v", up, err)
	}
	if got := s.callQualified(t, name, ""); got["XV"] != "old" {
		t.Errorf("Invoke during the update ran %v, want the configuration before it", got)
	}
	inProgress := "The operation cannot be performed at this time. An update is in progress for resource: " + functionARN(name)
	_, err = s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Timeout: aws.Int32(5)})
	wantStatus(t, "UpdateFunctionConfiguration during an update", err, "ResourceConflictException", http.StatusConflict, inProgress)
	_, err = s.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name),
		ZipFile: sourceZip(t, map[string]string{"handler.py": envFunction})})
	wantStatus(t, "UpdateFunctionCode during an update", err, "ResourceConflictException", http.StatusConflict, inProgress)
	_, err = s.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	wantStatus(t, "PublishVersion during an update", err, "ResourceConflictException", http.StatusConflict, inProgress)
	s.waitUpdated(t, name)
	if got := s.callQualified(t, name, ""); got["XV"] != "new" {
		t.Errorf("Invoke after the update ran %v", got)
	}
	if got := s.callQualified(t, name, "1"); got["XV"] != "old" {
		t.Errorf("Invoke of version 1 after the update ran %v", got)
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// callQualified invokes a function (with a qualifier unless "") that
// must succeed and decodes its result.
func (s *lambdaSuite) callQualified(t testing.TB, name, qualifier string) map[string]any {
	t.Helper()
	out, err := invoke(s.lambda, name, map[string]any{}, func(in *lambda.InvokeInput) { in.Qualifier = optional(qualifier) })
	if err != nil {
		t.Fatalf("Invoke %s %q: %v", name, qualifier, err)
	}
	if out.FunctionError != nil {
		t.Fatalf("Invoke %s %q: %s %s", name, qualifier, aws.ToString(out.FunctionError), out.Payload)
	}
	m := map[string]any{}
	if err := json.Unmarshal(out.Payload, &m); err != nil {
		t.Fatalf("Invoke %s %q: %s: %v", name, qualifier, out.Payload, err)
	}
	return m
}

// TestLambdaEventPayloadLimit: asynchronous invocations take events up to
// 1,048,576 bytes, Lambda's limit for them; one byte more is refused with
// RequestEntityTooLargeException (the code Lambda sends on the wire, not
// the model's RequestTooLargeException), also through the deprecated
// InvokeAsync, while a synchronous invocation of it runs up to 6 MB.
func TestLambdaEventPayloadLimit(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "event-role", lambdaTrust, basicExecRole)
	const name = "big-event"
	s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"handler.py": `
def handler(event, context):
    print("event of %d pad bytes" % len(event["pad"]))
    return len(event["pad"])
`})}})
	event := func(size int) []byte {
		const frame = `{"pad":""}`
		return []byte(`{"pad":"` + strings.Repeat("x", size-len(frame)) + `"}`)
	}
	out, err := s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: lambdatypes.InvocationTypeEvent, Payload: event(1 << 20)})
	if err != nil || out.StatusCode != http.StatusAccepted {
		t.Fatalf("Event of 1048576 bytes: %v %v", out, err)
	}
	s.waitLogs(t, "/aws/lambda/"+name, "event of 1048566 pad bytes")
	_, err = s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: lambdatypes.InvocationTypeEvent, Payload: event(1<<20 + 1)})
	wantStatus(t, "Event of 1048577 bytes", err, "RequestEntityTooLargeException", http.StatusRequestEntityTooLarge,
		"1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)")
	//lint:ignore SA1019 the deprecated InvokeAsync is still served by Lambda
	_, err = s.lambda.InvokeAsync(ctx, &lambda.InvokeAsyncInput{FunctionName: aws.String(name), InvokeArgs: bytes.NewReader(event(1<<20 + 1))})
	wantStatus(t, "InvokeAsync of 1048577 bytes", err, "RequestEntityTooLargeException", http.StatusRequestEntityTooLarge,
		"1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)")
	_, err = s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: event(6<<20 + 1)})
	wantStatus(t, "RequestResponse of 6291457 bytes", err, "RequestEntityTooLargeException", http.StatusRequestEntityTooLarge,
		"Request must be smaller than 6291456 bytes for the InvokeFunction operation")
	out, err = s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: event(1<<20 + 1)})
	if err != nil || out.FunctionError != nil || string(out.Payload) != "1048567" {
		t.Fatalf("RequestResponse of 1048577 bytes: %v %v", out, err)
	}
}
