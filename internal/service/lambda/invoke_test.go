package lambda

import (
	"encoding/base64"
	"encoding/json"
	"github.com/rolecall/rolecall/internal/service/logs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// invoke runs a synchronous invocation and returns the raw response.
func (h *harness) invoke(name string, payload string, headers map[string]string) (*api.Raw, error) {
	h.t.Helper()
	out, err := h.do("Invoke", req{path: fn(name), body: []byte(payload), headers: headers})
	if err != nil {
		return nil, err
	}
	return out.(*api.Raw), nil
}

func TestInvoke(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("inv", nil)
	raw, err := h.invoke("inv", `{"action":"echo","x":1}`, map[string]string{"X-Amz-Log-Type": "Tail"})
	if err != nil {
		t.Fatal(err)
	}
	if raw.Status != 200 || string(raw.Body) != `{"action":"echo","x":1}` ||
		raw.Header.Get("X-Amz-Executed-Version") != "$LATEST" || raw.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("invoke = %d %s %v", raw.Status, raw.Body, raw.Header)
	}
	tail, _ := base64.StdEncoding.DecodeString(raw.Header.Get("X-Amz-Log-Result"))
	if !strings.Contains(string(tail), "START RequestId: ") || !strings.Contains(string(tail), "REPORT RequestId: ") {
		t.Errorf("log tail = %q", tail)
	}

	// Lambda assumed the role for the environment, bound to it.
	h.fc.mu.Lock()
	last := h.fc.assumed[len(h.fc.assumed)-1]
	h.fc.mu.Unlock()
	if last.Environment == nil || last.Environment.ID == "" ||
		last.Environment.SourceFunctionARN != "arn:aws:lambda:us-east-1:123456789012:function:inv" ||
		last.Params.Get("RoleSessionName") != "inv" || last.Principal.Type != api.AWSService {
		t.Fatalf("environment AssumeRole = %+v", last)
	}
	envID := last.Environment.ID

	// The logs were written as the execution role, to the environment's stream.
	eventually(t, "logs", func() bool { return strings.Contains(h.fc.allLogs(), "END RequestId") })
	h.fc.mu.Lock()
	var streams []string
	for s := range h.fc.events {
		streams = append(streams, s)
	}
	p := h.fc.logCalls[0].Principal
	group := h.fc.logCalls[0].Input.(*logs.CreateLogGroupInput).LogGroupName
	h.fc.mu.Unlock()
	if len(streams) != 1 || !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\]`+envID+`$`).MatchString(streams[0]) {
		t.Errorf("streams = %v", streams)
	}
	if group != "/aws/lambda/inv" {
		t.Errorf("log group = %q", group)
	}
	if p.Type != api.AssumedRole || p.ARN != "arn:aws:sts::123456789012:assumed-role/lambda-ex/inv" ||
		p.RoleARN != testRole || p.InvokedBy != "lambda.amazonaws.com" || p.EnvironmentID != envID || p.RoleID != "AROATESTROLEID" {
		t.Errorf("logs principal = %+v", p)
	}

	// A warm invoke reuses the environment and its session.
	n := h.fc.assumeCount()
	if _, err := h.invoke("inv", `{}`, nil); err != nil {
		t.Fatal(err)
	}
	if h.fc.assumeCount() != n {
		t.Errorf("warm invoke assumed the role again")
	}

	// A function error is still a 200, marked Unhandled.
	raw, err = h.invoke("inv", `{"action":"error","message":"boom"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Status != 200 || raw.Header.Get("X-Amz-Function-Error") != "Unhandled" || !strings.Contains(string(raw.Body), "boom") {
		t.Errorf("function error = %d %v %s", raw.Status, raw.Header, raw.Body)
	}

	// An update replaces the environments: their sessions are revoked and
	// the next invoke runs with fresh credentials.
	h.must("UpdateFunctionConfiguration", req{path: fn("inv"), body: map[string]any{"Description": "v2"}})
	eventually(t, "revocation", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		_, ok := h.revoke[envID]
		return ok
	})
	n = h.fc.assumeCount()
	if _, err := h.invoke("inv", `{}`, nil); err != nil {
		t.Fatal(err)
	}
	if h.fc.assumeCount() != n+1 {
		t.Errorf("invoke after update did not assume the role again")
	}

	// DryRun checks and runs nothing; bad payloads are refused.
	raw, err = h.invoke("inv", `{}`, map[string]string{"X-Amz-Invocation-Type": "DryRun"})
	if err != nil || raw.Status != http.StatusNoContent {
		t.Errorf("DryRun = %v %v", raw, err)
	}
	_, err = h.invoke("inv", `not json`, nil)
	wantError(t, err, "InvalidRequestContentException", 400, "")
	_, err = h.invoke("inv", `"`+strings.Repeat("x", 6*1024*1024)+`"`, nil)
	wantError(t, err, "RequestEntityTooLargeException", 413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
	_, err = h.invoke("inv", `{}`, map[string]string{"X-Amz-Invocation-Type": "Sometimes"})
	wantError(t, err, "ValidationException", 400, "")
}

func TestInvokeFailures(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("slow", map[string]any{"Timeout": 1})
	raw, err := h.invoke("slow", `{"action":"sleep","ms":3000}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var payload struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(raw.Body, &payload)
	if raw.Header.Get("X-Amz-Function-Error") != "Unhandled" || payload.ErrorType != "Sandbox.Timedout" ||
		!strings.HasSuffix(payload.ErrorMessage, "Error: Task timed out after 1.00 seconds") {
		t.Errorf("timeout = %v %s", raw.Header, raw.Body)
	}

	raw, err = h.invoke("slow", `{"action":"crash"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(raw.Body, &payload)
	if raw.Header.Get("X-Amz-Function-Error") != "Unhandled" || payload.ErrorType != "Runtime.ExitError" {
		t.Errorf("crash = %v %s", raw.Header, raw.Body)
	}

	h.must("PutFunctionConcurrency", req{path: fn("slow"), body: map[string]any{"ReservedConcurrentExecutions": 0}})
	_, err = h.invoke("slow", `{}`, nil)
	wantError(t, err, "TooManyRequestsException", 429, "Rate Exceeded.")
	se := err.(*api.Error)
	if se.Fields["Reason"] != "ReservedFunctionConcurrentInvocationLimitExceeded" || se.Header["Retry-After"] == "" {
		t.Errorf("throttle = %+v", se)
	}
}

// TestReservedConcurrencyPerAccount: two accounts' functions of one name
// have their own reserved concurrency.
func TestReservedConcurrencyPerAccount(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	const other = "210987654321"
	h.create("hello", nil)
	h.must("CreateFunction", req{account: other, body: map[string]any{
		"FunctionName": "hello",
		"Runtime":      nodeRT(t),
		"Role":         "arn:aws:iam::" + other + ":role/lambda-ex",
		"Handler":      "index.handler",
		"Code":         map[string]any{"ZipFile": nodeZip(t)},
	}})
	invokeIn := func(account string) error {
		t.Helper()
		_, err := h.do("Invoke", req{account: account, path: fn("hello"), body: []byte(`{}`)})
		return err
	}
	eventually(t, "the other account's hello is invocable", func() bool { return invokeIn(other) == nil })

	h.must("PutFunctionConcurrency", req{path: fn("hello"), body: map[string]any{"ReservedConcurrentExecutions": 0}})
	wantError(t, invokeIn(testAccount), "TooManyRequestsException", 429, "Rate Exceeded.")
	if err := invokeIn(other); err != nil {
		t.Fatalf("the other account's hello shares the reservation: %v", err)
	}
	conc := h.must("GetFunctionConcurrency", req{account: other, path: fn("hello")}).(*ConcurrencyOutput)
	if conc.ReservedConcurrentExecutions != nil {
		t.Errorf("the other account's hello reserves %d", *conc.ReservedConcurrentExecutions)
	}

	h.must("PutFunctionConcurrency", req{account: other, path: fn("hello"), body: map[string]any{"ReservedConcurrentExecutions": 0}})
	wantError(t, invokeIn(other), "TooManyRequestsException", 429, "Rate Exceeded.")
	h.must("DeleteFunctionConcurrency", req{path: fn("hello")})
	if err := invokeIn(testAccount); err != nil {
		t.Fatalf("hello after its reservation was removed: %v", err)
	}
	wantError(t, invokeIn(other), "TooManyRequestsException", 429, "Rate Exceeded.")
}

func TestInvokeVersionsAndAliases(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("qual", nil)
	h.must("PublishVersion", req{path: fn("qual")})
	h.must("CreateAlias", req{path: fn("qual"), body: map[string]any{"Name": "live", "FunctionVersion": "1"}})
	for _, name := range []string{"qual:1", "qual:live"} {
		raw, err := h.invoke(name, `{"action":"context"}`, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ctx struct{ FunctionVersion, InvokedFunctionArn string }
		json.Unmarshal(raw.Body, &ctx)
		if raw.Header.Get("X-Amz-Executed-Version") != "1" || ctx.FunctionVersion != "1" ||
			ctx.InvokedFunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:"+name {
			t.Errorf("%s: %v %s", name, raw.Header, raw.Body)
		}
	}
	_, err := h.invoke("qual:nope", `{}`, nil)
	wantError(t, err, "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:qual:nope")
}

func TestInvokeEvent(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("evt", nil)
	raw, err := h.invoke("evt", `{"action":"print","lines":["hello from event"]}`, map[string]string{"X-Amz-Invocation-Type": "Event"})
	if err != nil || raw.Status != http.StatusAccepted {
		t.Fatalf("Event = %v %v", raw, err)
	}
	eventually(t, "event logs", func() bool { return strings.Contains(h.fc.allLogs(), "hello from event") })

	// A failing event is tried three times in all.
	if _, err := h.invoke("evt", `{"action":"error","message":"again"}`, map[string]string{"X-Amz-Invocation-Type": "Event"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "retries", func() bool { return strings.Count(h.fc.allLogs(), "START RequestId") >= 4 })
	time.Sleep(100 * time.Millisecond)
	if n := strings.Count(h.fc.allLogs(), "START RequestId"); n != 4 {
		t.Errorf("%d invocations, want 4", n)
	}
	// Lambda's asynchronous limit is 1,048,576 bytes: an event of exactly
	// that size is queued and runs; one byte more is refused.
	big := `{"action":"print","lines":["big event"],"pad":"` + strings.Repeat("x", 1<<20-49) + `"}`
	if len(big) != 1<<20 {
		t.Fatalf("event of %d bytes", len(big))
	}
	raw, err = h.invoke("evt", big, map[string]string{"X-Amz-Invocation-Type": "Event"})
	if err != nil || raw.Status != http.StatusAccepted {
		t.Fatalf("Event of 1048576 bytes = %v %v", raw, err)
	}
	eventually(t, "big event logs", func() bool { return strings.Contains(h.fc.allLogs(), "big event") })
	_, err = h.invoke("evt", big[:len(big)-2]+`x"}`, map[string]string{"X-Amz-Invocation-Type": "Event"})
	wantError(t, err, "RequestEntityTooLargeException", 413, "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)")
	// A synchronous invocation of the same event runs: its limit is 6 MB.
	if raw, err := h.invoke("evt", big[:len(big)-2]+`x"}`, nil); err != nil || raw.Status != http.StatusOK {
		t.Fatalf("RequestResponse of 1048577 bytes = %v %v", raw, err)
	}
}

func TestLogsDenied(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.fc.denyLogs = true
	h.create("nolog", nil)
	if _, err := h.invoke("nolog", `{}`, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "log attempts", func() bool {
		h.fc.mu.Lock()
		defer h.fc.mu.Unlock()
		return len(h.fc.logCalls) >= 2
	})
	if h.fc.allLogs() != "" {
		t.Errorf("logs written without permission")
	}
}
