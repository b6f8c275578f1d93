package lambda

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/runtime"
)

// Active tracing ("Using AWS Lambda with AWS X-Ray"): Lambda records two
// segments for each sampled invocation of a function whose TracingConfig
// Mode is Active, the AWS::Lambda segment of the service (the invocation
// as Lambda handled it) and the AWS::Lambda::Function segment (the work in
// the execution environment, with its Initialization on a cold start,
// Invocation and Overhead subsegments). The function receives the trace
// header with the function segment as the parent, so that the segments it
// sends itself are its children. Lambda follows an incoming X-Amzn-Trace-Id
// header's sampling decision and samples the invocations that come without
// one (every one here: rolecall applies no sampling rate). With
// PassThrough the header is passed to the function and nothing is
// recorded.

// tracePlan is the trace Lambda records for one invocation.
type tracePlan struct {
	root         string // 1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx
	callerParent string // the caller's segment, "" when the trace starts here
	serviceID    string // the AWS::Lambda segment
	functionID   string // the AWS::Lambda::Function segment
}

// header is the trace header the function receives.
func (p *tracePlan) header() string {
	return "Root=" + p.root + ";Parent=" + p.functionID + ";Sampled=1"
}

// planTrace returns the trace to record for an invocation of cfg that came
// with the trace header h ("" without one), or nil when none is recorded.
func planTrace(cfg *config, h string, now time.Time) *tracePlan {
	if cfg.Tracing != "Active" {
		return nil
	}
	root, parent, sampled := runtime.ParseTraceHeader(h)
	if sampled == "0" {
		return nil
	}
	if root == "" {
		root, parent = newTraceRoot(now), ""
	}
	return &tracePlan{root: root, callerParent: parent, serviceID: randomHex(8), functionID: randomHex(8)}
}

// newTraceRoot returns the id of a new trace started at now.
func newTraceRoot(now time.Time) string {
	return fmt.Sprintf("1-%08x-%s", now.Unix(), randomHex(12))
}

// clamp returns t within [lo, hi] (lo when hi is before lo).
func clamp(t, lo, hi time.Time) time.Time {
	if t.After(hi) {
		t = hi
	}
	if t.Before(lo) {
		t = lo
	}
	return t
}

func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// xrayTime is an X-Ray segment time: seconds since the epoch.
func xrayTime(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// documents returns the segment documents of a traced invocation that
// Lambda received at received, started running at start and finished at
// end, with the runtime's result (nil when it failed to run).
func (p *tracePlan) documents(region, account, functionARN, invokedARN, requestID string, received, start, end time.Time, res *runtime.Result) ([]string, error) {
	name := functionARN[strings.LastIndexByte(functionARN, ':')+1:]
	service := map[string]any{
		"id": p.serviceID, "trace_id": p.root, "name": name, "origin": "AWS::Lambda",
		"start_time": xrayTime(received), "end_time": xrayTime(end),
		"resource_arn": invokedARN,
		"aws":          map[string]any{"request_id": requestID},
		"http":         map[string]any{"response": map[string]any{"status": 200}},
	}
	if p.callerParent != "" {
		service["parent_id"] = p.callerParent
	}
	fn := map[string]any{
		"id": p.functionID, "trace_id": p.root, "parent_id": p.serviceID, "name": name,
		"origin": "AWS::Lambda::Function", "start_time": xrayTime(start), "end_time": xrayTime(end),
		"resource_arn": functionARN,
		"aws":          map[string]any{"account_id": account, "function_arn": functionARN, "resource_names": []string{name}, "region": region},
	}
	if res == nil {
		service["fault"] = true
		service["http"] = map[string]any{"response": map[string]any{"status": 500}}
	} else {
		var subs []map[string]any
		at := start
		sub := func(name string, from, to time.Time) {
			to = clamp(to, from, end)
			subs = append(subs, map[string]any{"id": randomHex(8), "name": name,
				"start_time": xrayTime(from), "end_time": xrayTime(to)})
		}
		if res.ColdStart {
			sub("Initialization", at, at.Add(res.InitDuration))
			at = at.Add(res.InitDuration)
		}
		sub("Invocation", at, at.Add(res.Duration))
		at = clamp(at.Add(res.Duration), at, end)
		sub("Overhead", at, end)
		fn["subsegments"] = subs
		if res.FunctionError != "" {
			fn["fault"] = true
		}
	}
	docs := make([]string, 0, 2)
	for _, d := range []map[string]any{service, fn} {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		docs = append(docs, string(b))
	}
	return docs, nil
}

// recordTrace records a traced invocation's segments, off the invoke
// path; a failure is logged, as a lost segment is in Lambda.
func (l *Lambda) recordTrace(p *tracePlan, account, invokedARN, requestID string, received, start, end time.Time, res *runtime.Result) {
	if l.cfg.RecordSegments == nil {
		return
	}
	arn := invokedARN
	if i := strings.Index(arn, ":function:"); i >= 0 {
		if rest := arn[i+len(":function:"):]; strings.Contains(rest, ":") {
			arn = arn[:i+len(":function:")+strings.IndexByte(rest, ':')]
		}
	}
	docs, err := p.documents(l.cfg.Region, account, arn, invokedARN, requestID, received, start, end, res)
	if err != nil {
		l.cfg.Logger.Error("lambda: trace segments", "function", arn, "err", err)
		return
	}
	l.goBackground(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shipCallTimeout)
		defer cancel()
		if err := l.cfg.RecordSegments(ctx, account, l.cfg.Region, docs); err != nil {
			l.cfg.Logger.Warn("lambda: record trace segments", "function", arn, "trace", p.root, "err", err)
		}
	})
}

// checkTracingRole applies Lambda's rule for active tracing: the
// execution role must be allowed to send trace segments
// (xray:PutTraceSegments, as in AWSXRayDaemonWriteAccess). Lambda asks
// X-Ray as the role, with no segment to store.
func (l *Lambda) checkTracingRole(c *api.Call, role, fnName string) error {
	s, err := l.assumeRole(c.Context, c.Account, role, fnName, nil)
	if err != nil {
		var se *api.Error
		if errors.As(err, &se) {
			return errRoleCannotBeAssumed()
		}
		return fmt.Errorf("lambda: checking role %s: %w", role, err)
	}
	_, err = l.cfg.Invoker.Invoke(c.Context, api.Internal{
		Principal: s.principal(c.Account, role, fnName, "", l.now()),
		Service:   "xray",
		Operation: "PutTraceSegments",
		Input:     &struct{}{}, // no segment documents
		Region:    l.cfg.Region,
	})
	var se *api.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se) && se.Status == http.StatusForbidden:
		return errInvalidParam("The provided execution role does not have permissions to call PutTraceSegments on XRAY")
	default:
		return fmt.Errorf("lambda: checking the tracing permissions of role %s: %w", role, err)
	}
}
