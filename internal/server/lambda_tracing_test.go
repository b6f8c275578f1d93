package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/xray"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// traceFunction answers the trace header its invocation runs under.
const traceFunction = `import os

def handler(event, context):
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID", "")}
`

var xrayReport = regexp.MustCompile(`\tMax Memory Used: \d+ MB\t(?:Init Duration: [\d.]+ ms\t)?\nXRAY TraceId: (1-[0-9a-f]{8}-[0-9a-f]{24})\tSegmentId: ([0-9a-f]{16})\tSampled: true\t\n`)

// tracedInvoke invokes a function with the log tail and, unless "", an
// X-Amzn-Trace-Id header; it returns the header the function saw and the
// log tail.
func tracedInvoke(t *testing.T, s *lambdaSuite, name, header string) (seen, tail string) {
	t.Helper()
	out, err := invoke(s.lambda, name, map[string]any{}, func(in *lambda.InvokeInput) { in.LogType = lambdatypes.LogTypeTail })
	if header != "" {
		out, err = s.lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(name), LogType: lambdatypes.LogTypeTail},
			func(o *lambda.Options) {
				o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Amzn-Trace-Id", header))
			})
	}
	if err != nil || out.FunctionError != nil {
		t.Fatalf("Invoke %s: %v", name, err)
	}
	var got struct{ Trace string }
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	return got.Trace, string(b)
}

// waitSegments polls BatchGetTraces until the trace has n segments, and
// returns their documents by origin.
func waitSegments(t *testing.T, c *xray.Client, traceID string, n int) map[string]map[string]any {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		out, err := c.BatchGetTraces(context.Background(), &xray.BatchGetTracesInput{TraceIds: []string{traceID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Traces) == 1 && len(out.Traces[0].Segments) >= n {
			docs := map[string]map[string]any{}
			for _, seg := range out.Traces[0].Segments {
				var d map[string]any
				if err := json.Unmarshal([]byte(aws.ToString(seg.Document)), &d); err != nil {
					t.Fatal(err)
				}
				docs[str(d["origin"])] = d
			}
			return docs
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: %+v", traceID, out.Traces)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLambdaActiveTracing: with TracingConfig Active, each sampled
// invocation records the AWS::Lambda and AWS::Lambda::Function segments,
// the function runs under the trace header whose parent is its segment,
// and the REPORT line ends with the trace. An incoming header's trace and
// sampling decision are followed; PassThrough records nothing.
func TestLambdaActiveTracing(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	xc := xray.NewFromConfig(s.srv.RootConfig())
	role := s.role(t, "active-tracing", lambdaTrust, basicExecRole, xrayWriteAccess)
	code := sourceZip(t, map[string]string{"handler.py": traceFunction})
	for name, mode := range map[string]lambdatypes.TracingMode{"active-fn": lambdatypes.TracingModeActive, "passthrough-fn": lambdatypes.TracingModePassThrough} {
		s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
			Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: code},
			TracingConfig: &lambdatypes.TracingConfig{Mode: mode}})
	}
	begin := time.Now().Add(-time.Minute)

	// A new trace: cold start.
	seen, tail := tracedInvoke(t, s, "active-fn", "")
	m := xrayReport.FindStringSubmatch(tail)
	if m == nil {
		t.Fatalf("REPORT without its trace:\n%s", tail)
	}
	traceID, segmentID := m[1], m[2]
	if want := "Root=" + traceID + ";Parent=" + segmentID + ";Sampled=1"; seen != want {
		t.Errorf("_X_AMZN_TRACE_ID = %q, want %q", seen, want)
	}
	docs := waitSegments(t, xc, traceID, 2)
	svc, fn := docs["AWS::Lambda"], docs["AWS::Lambda::Function"]
	if svc == nil || fn == nil {
		t.Fatalf("segments by origin: %v", docs)
	}
	if fn["id"] != segmentID || fn["parent_id"] != svc["id"] || svc["parent_id"] != nil || svc["name"] != "active-fn" {
		t.Errorf("segments: service %v\nfunction %v", svc, fn)
	}
	var subs []string
	for _, sub := range fn["subsegments"].([]any) {
		subs = append(subs, str(sub.(map[string]any)["name"]))
	}
	if !slices.Equal(subs, []string{"Initialization", "Invocation", "Overhead"}) {
		t.Errorf("function subsegments on a cold start = %v", subs)
	}

	// A warm invocation has no Initialization.
	_, tail = tracedInvoke(t, s, "active-fn", "")
	m = xrayReport.FindStringSubmatch(tail)
	if m == nil || m[1] == traceID {
		t.Fatalf("second REPORT:\n%s", tail)
	}
	docs = waitSegments(t, xc, m[1], 2)
	subs = nil
	for _, sub := range docs["AWS::Lambda::Function"]["subsegments"].([]any) {
		subs = append(subs, str(sub.(map[string]any)["name"]))
	}
	if !slices.Equal(subs, []string{"Invocation", "Overhead"}) {
		t.Errorf("function subsegments on a warm start = %v", subs)
	}

	// GetTraceSummaries finds them.
	sum, err := xc.GetTraceSummaries(ctx, &xray.GetTraceSummariesInput{StartTime: aws.Time(begin), EndTime: aws.Time(time.Now().Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ts := range sum.TraceSummaries {
		ids = append(ids, aws.ToString(ts.Id))
	}
	if !slices.Contains(ids, traceID) || !slices.Contains(ids, m[1]) {
		t.Errorf("GetTraceSummaries = %v, want %s and %s", ids, traceID, m[1])
	}

	// The caller's trace, sampled: followed, under the caller's segment.
	root := fmt.Sprintf("1-%08x-%024x", time.Now().Unix(), 0xfeed)
	seen, tail = tracedInvoke(t, s, "active-fn", "Root="+root+";Parent=53995c3f42cd8ad8;Sampled=1")
	if m = xrayReport.FindStringSubmatch(tail); m == nil || m[1] != root || !strings.HasPrefix(seen, "Root="+root+";Parent="+m[2]) {
		t.Fatalf("incoming sampled trace: saw %q\n%s", seen, tail)
	}
	docs = waitSegments(t, xc, root, 2)
	if docs["AWS::Lambda"]["parent_id"] != "53995c3f42cd8ad8" {
		t.Errorf("service segment of an incoming trace = %v", docs["AWS::Lambda"])
	}

	// An Event invocation is traced when it runs, in the caller's trace.
	rootE := fmt.Sprintf("1-%08x-%024x", time.Now().Unix(), 0xe7e7)
	if _, err := s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("active-fn"), InvocationType: lambdatypes.InvocationTypeEvent, Payload: []byte(`{}`)},
		func(o *lambda.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Amzn-Trace-Id", "Root="+rootE+";Sampled=1"))
		}); err != nil {
		t.Fatal(err)
	}
	if docs = waitSegments(t, xc, rootE, 2); docs["AWS::Lambda::Function"] == nil {
		t.Errorf("Event invocation segments = %v", docs)
	}

	// The caller's decision not to sample: nothing recorded, the header
	// passed on.
	root0 := fmt.Sprintf("1-%08x-%024x", time.Now().Unix(), 0xdead)
	notSampled := "Root=" + root0 + ";Parent=53995c3f42cd8ad8;Sampled=0"
	seen, tail = tracedInvoke(t, s, "active-fn", notSampled)
	if seen != notSampled || strings.Contains(tail, "XRAY TraceId") {
		t.Errorf("Sampled=0: saw %q\n%s", seen, tail)
	}

	// PassThrough: the header reaches the function; nothing is recorded.
	root1 := fmt.Sprintf("1-%08x-%024x", time.Now().Unix(), 0xbeef)
	sampled := "Root=" + root1 + ";Parent=53995c3f42cd8ad8;Sampled=1"
	seen, tail = tracedInvoke(t, s, "passthrough-fn", sampled)
	if seen != sampled || strings.Contains(tail, "XRAY TraceId") {
		t.Errorf("PassThrough: saw %q\n%s", seen, tail)
	}
	// Active needs a role that may send segments.
	bare := s.role(t, "no-xray", lambdaTrust, basicExecRole)
	const noTracePermission = "The provided execution role does not have permissions to call PutTraceSegments on XRAY"
	_, err = s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("active-fn"), Role: aws.String(bare)})
	wantStatus(t, "a role without X-Ray permissions for a traced function", err, "InvalidParameterValueException", http.StatusBadRequest, noTracePermission)
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("passthrough-fn"), Role: aws.String(bare)})
	_, err = s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("passthrough-fn"),
		TracingConfig: &lambdatypes.TracingConfig{Mode: lambdatypes.TracingModeActive}})
	wantStatus(t, "Active with a role without X-Ray permissions", err, "InvalidParameterValueException", http.StatusBadRequest, noTracePermission)

	time.Sleep(200 * time.Millisecond) // segments are recorded off the invoke path
	for _, id := range []string{root0, root1} {
		out, err := xc.BatchGetTraces(ctx, &xray.BatchGetTracesInput{TraceIds: []string{id}})
		if err != nil || len(out.Traces) != 0 {
			t.Errorf("trace %s recorded: %+v %v", id, out.Traces, err)
		}
	}
}
