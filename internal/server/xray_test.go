package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/xray"
)

const xrayWriteAccess = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"

// TestLambdaTracing: with TracingConfig Active, the segments a function sends
// are authorized against its execution role and kept; BatchGetTraces reads
// them back. Without AWSXRayDaemonWriteAccess the role may not send them.
func TestLambdaTracing(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "traced", lambdaTrust, basicExecRole, xrayWriteAccess)
	in := goFunction(t, "traced-fn", role)
	in.TracingConfig = &lambdatypes.TracingConfig{Mode: lambdatypes.TracingModeActive}
	s.create(t, in)
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("traced-fn")})
	if err != nil || cfg.TracingConfig == nil || cfg.TracingConfig.Mode != lambdatypes.TracingModeActive {
		t.Fatalf("TracingConfig: %+v %v", cfg.TracingConfig, err)
	}

	now := time.Now()
	traceID := fmt.Sprintf("1-%08x-%024x", now.Unix(), 0xabc123)
	doc := fmt.Sprintf(`{"id":"70de5b6f19ff9a0a","trace_id":%q,"name":"traced-fn","start_time":%d.1,"end_time":%d.2}`, traceID, now.Unix(), now.Unix())
	event := map[string]any{"action": "call", "service": "xray", "op": "PutTraceSegments", "params": map[string]string{"Document": doc}}
	got := s.call(t, "traced-fn", event)
	if _, ok := got["output"]; !ok {
		t.Fatalf("PutTraceSegments from the function: %v", got)
	}
	traces, err := xray.NewFromConfig(s.srv.RootConfig()).BatchGetTraces(ctx, &xray.BatchGetTracesInput{TraceIds: []string{traceID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(traces.Traces) != 1 || len(traces.Traces[0].Segments) != 1 || aws.ToString(traces.Traces[0].Segments[0].Id) != "70de5b6f19ff9a0a" {
		t.Fatalf("BatchGetTraces: %+v", traces)
	}

	// Lambda refuses active tracing with a role that may not send
	// segments, as the role's own calls are refused, naming its session.
	role2 := s.role(t, "untraced", lambdaTrust, basicExecRole)
	in2 := goFunction(t, "untraced-fn", role2)
	in2.TracingConfig = &lambdatypes.TracingConfig{Mode: lambdatypes.TracingModeActive}
	_, err = s.lambda.CreateFunction(ctx, in2)
	if msg := apiError(t, err, "InvalidParameterValueException"); msg != "The provided execution role does not have permissions to call PutTraceSegments on XRAY" {
		t.Errorf("CreateFunction Active without AWSXRayDaemonWriteAccess: %q", msg)
	}
	in2.TracingConfig = nil
	s.create(t, in2)
	got = s.call(t, "untraced-fn", event)
	if got["error"] != "AccessDeniedException" {
		t.Fatalf("PutTraceSegments without AWSXRayDaemonWriteAccess: %v", got)
	}
	want := "User: " + assumedRoleARN("untraced", "untraced-fn") + " is not authorized to perform: xray:PutTraceSegments"
	if msg, _ := got["message"].(string); len(msg) < len(want) || msg[:len(want)] != want {
		t.Fatalf("denial message: %q", msg)
	}
}
