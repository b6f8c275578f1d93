package xray

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/api/apitest"
	"github.com/rolecall/rolecall/internal/store"
)

const acct = "123456789012"

var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// traceID returns a trace ID whose time is offset seconds from now.
func traceID(offset int64, n int) string {
	return fmt.Sprintf("1-%08x-%024x", now.Unix()+offset, n)
}

type fixture struct {
	svc *api.Service
	st  store.Store
	run *apitest.Fixture
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := New(st, func() time.Time { return now }).Service()
	run := apitest.New(t, svc)
	run.Account, run.Now = acct, func() time.Time { return now }
	return &fixture{svc: svc, st: st, run: run}
}

type obj = map[string]any

// do runs op through the operation table and decodes its JSON output.
func (f *fixture) do(t testing.TB, op string, body any) (obj, error) {
	t.Helper()
	r := f.run.Run(op, apitest.Request{Body: apitest.JSON(body)})
	if r.Err != nil {
		return nil, r.Err
	}
	var m obj
	f.run.Decode(r.Output, &m)
	return m, nil
}

func (f *fixture) must(t testing.TB, op string, body any) obj {
	t.Helper()
	m, err := f.do(t, op, body)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return m
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var se *api.Error
	if !errors.As(err, &se) || se.Code != code || (msg != "" && se.Message != msg) || se.Status != 400 {
		t.Errorf("error = %v, want %s: %s", err, code, msg)
	}
}

func list(m obj, key string) []obj {
	var out []obj
	items, _ := m[key].([]any)
	for _, v := range items {
		out = append(out, v.(obj))
	}
	return out
}

func doc(fields obj) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

func TestOperationTable(t *testing.T) {
	f := newFixture(t)
	if f.svc.Name != "xray" || f.svc.EventSource != "xray.amazonaws.com" || f.svc.Protocols[0] != "restJson1" {
		t.Errorf("service = %+v", f.svc)
	}
	routes := map[string]string{}
	for _, r := range f.svc.Routes {
		if r.Method != "POST" {
			t.Errorf("%s method %s", r.Operation, r.Method)
		}
		routes[r.Operation] = r.Path
	}
	want := map[string]string{
		"PutTraceSegments":    "/TraceSegments",
		"PutTelemetryRecords": "/TelemetryRecords",
		"BatchGetTraces":      "/Traces",
		"GetTraceSummaries":   "/TraceSummaries",
		"GetSamplingRules":    "/GetSamplingRules",
		"GetSamplingTargets":  "/SamplingTargets",
	}
	if len(routes) != len(want) || len(f.svc.Operations) != len(want) {
		t.Errorf("routes %v, operations %d", routes, len(f.svc.Operations))
	}
	for name, path := range want {
		op := f.svc.Operations[name]
		if op == nil || routes[name] != path || op.Action != "xray:"+name || op.Resource != nil {
			t.Errorf("%s: %+v at %s", name, op, routes[name])
		}
	}
	for name, ro := range map[string]bool{"PutTraceSegments": false, "PutTelemetryRecords": false, "BatchGetTraces": true, "GetTraceSummaries": true, "GetSamplingRules": true} {
		if f.svc.Operations[name].ReadOnly != ro {
			t.Errorf("%s read-only = %v", name, !ro)
		}
	}
}

func TestPutTraceSegmentsValidation(t *testing.T) {
	f := newFixture(t)
	tid := traceID(-60, 1)
	base := func(change obj) string {
		m := obj{"id": "70de5b6f19ff9a0a", "trace_id": tid, "name": "my-fn", "start_time": 1717243140.5, "end_time": 1717243141.0}
		for k, v := range change {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return doc(m)
	}
	tests := []struct {
		name, doc, id, code, msg string
	}{
		{"valid", base(nil), "", "", ""},
		{"in progress", base(obj{"id": "70de5b6f19ff9a0b", "end_time": nil, "in_progress": true}), "", "", ""},
		{"missing id", base(obj{"id": nil}), "", "MissingId", "Invalid segment. ErrorCode: MissingId"},
		{"array", "[]", "", "MissingId", "Invalid segment. ErrorCode: MissingId"},
		{"short id", base(obj{"id": "abc"}), "abc", "InvalidId", "Invalid segment. ErrorCode: InvalidId"},
		{"missing trace", base(obj{"trace_id": nil}), "70de5b6f19ff9a0a", "MissingTraceId", ""},
		{"bad trace", base(obj{"trace_id": "1-58406520-xyz"}), "70de5b6f19ff9a0a", "InvalidTraceId", "Invalid segment. ErrorCode: InvalidTraceId"},
		{"old trace", base(obj{"trace_id": traceID(-31*24*3600, 1)}), "70de5b6f19ff9a0a", "InvalidTraceId", ""},
		{"missing name", base(obj{"name": nil}), "70de5b6f19ff9a0a", "MissingName", ""},
		{"bad name", base(obj{"name": "a<b>"}), "70de5b6f19ff9a0a", "InvalidName", ""},
		{"long name", base(obj{"name": strings.Repeat("n", 201)}), "70de5b6f19ff9a0a", "InvalidName", ""},
		{"missing start", base(obj{"start_time": nil}), "70de5b6f19ff9a0a", "MissingStartTime", ""},
		{"string start", base(obj{"start_time": "now"}), "70de5b6f19ff9a0a", "InvalidStartTime", ""},
		{"missing end", base(obj{"end_time": nil}), "70de5b6f19ff9a0a", "MissingEndTime", "Invalid segment. ErrorCode: MissingEndTime"},
		{"end before start", base(obj{"end_time": 1717243140.0}), "70de5b6f19ff9a0a", "InvalidEndTime", ""},
		{"nested missing end", base(obj{"subsegments": []any{obj{"id": "1111111111111111", "name": "s3", "start_time": 1717243140.6}}}),
			"70de5b6f19ff9a0a", "MissingEndTime", "Invalid subsegment. ErrorCode: MissingEndTime, Cause: null"},
		{"lone subsegment without parent", base(obj{"type": "subsegment"}), "70de5b6f19ff9a0a", "MissingParentId", "Invalid subsegment. ErrorCode: MissingParentId, Cause: null"},
		{"not json", "{", "", "InvalidJson", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := f.must(t, "PutTraceSegments", obj{"TraceSegmentDocuments": []string{tt.doc}})
			un := list(out, "UnprocessedTraceSegments")
			if tt.code == "" {
				if len(un) != 0 {
					t.Fatalf("rejected: %v", un)
				}
				return
			}
			if len(un) != 1 || un[0]["ErrorCode"] != tt.code || (tt.msg != "" && un[0]["Message"] != tt.msg) || fmt.Sprint(un[0]["Id"]) != fmt.Sprint(orNil(tt.id)) {
				t.Errorf("unprocessed = %v, want %s %q id %q", un, tt.code, tt.msg, tt.id)
			}
		})
	}

	_, err := f.do(t, "PutTraceSegments", obj{})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value null at 'traceSegmentDocuments' failed to satisfy constraint: Member must not be null")
	err = f.run.Run("PutTraceSegments", apitest.Request{Body: []byte("{")}).Err
	wantErr(t, err, "SerializationException", "")
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// put stores documents and fails on any rejection.
func (f *fixture) put(t *testing.T, docs ...string) {
	t.Helper()
	out := f.must(t, "PutTraceSegments", obj{"TraceSegmentDocuments": docs})
	if un := list(out, "UnprocessedTraceSegments"); len(un) != 0 {
		t.Fatalf("rejected: %v", un)
	}
}

func TestTraces(t *testing.T) {
	f := newFixture(t)
	tid := traceID(-60, 7)
	start := float64(now.Unix() - 60)
	root := obj{"id": "aaaaaaaaaaaaaaaa", "trace_id": tid, "name": "api", "origin": "AWS::Lambda::Function",
		"start_time": start, "in_progress": true}
	f.put(t, doc(root))
	// The completed root replaces the in-progress one; a late in-progress copy does not.
	delete(root, "in_progress")
	root["end_time"] = start + 0.25
	root["http"] = obj{"request": obj{"method": "GET", "url": "https://example.com/x", "client_ip": "10.0.0.1", "user_agent": "curl"}, "response": obj{"status": 502}}
	root["annotations"] = obj{"tenant": "acme", "retries": 2}
	root["user"] = "alice"
	root["fault"] = true
	root["resource_arn"] = "arn:aws:lambda:us-east-1:" + acct + ":function:api"
	f.put(t, doc(root))
	late := obj{"id": "aaaaaaaaaaaaaaaa", "trace_id": tid, "name": "api", "start_time": start, "in_progress": true}
	down := obj{"id": "bbbbbbbbbbbbbbbb", "trace_id": tid, "parent_id": "aaaaaaaaaaaaaaaa", "name": "db", "start_time": start + 0.05,
		"end_time": start + 0.4, "error": true, "annotations": obj{"tenant": "acme"},
		"subsegments": []any{obj{"id": "cccccccccccccccc", "name": "query", "start_time": start + 0.06, "end_time": start + 0.2}}}
	sub := obj{"type": "subsegment", "id": "dddddddddddddddd", "trace_id": tid, "parent_id": "cccccccccccccccc", "name": "retry",
		"start_time": start + 0.1, "end_time": start + 0.15, "throttle": true}
	orphan := obj{"type": "subsegment", "id": "eeeeeeeeeeeeeeee", "trace_id": tid, "parent_id": "ffffffffffffffff", "name": "lost",
		"start_time": start + 0.1, "end_time": start + 0.12}
	f.put(t, doc(late), doc(down), doc(sub), doc(orphan))
	other := traceID(-30, 8)
	f.put(t, doc(obj{"id": "1234567812345678", "trace_id": other, "name": "api", "start_time": start + 30, "end_time": start + 31}))

	got := f.must(t, "BatchGetTraces", obj{"TraceIds": []string{tid, tid, "1-00000000-000000000000000000000000", "nope"}})
	traces := list(got, "Traces")
	if len(traces) != 1 || traces[0]["Id"] != tid || traces[0]["Duration"] != 0.4 {
		t.Fatalf("traces = %v", traces)
	}
	if un := got["UnprocessedTraceIds"].([]any); len(un) != 1 || un[0] != "nope" {
		t.Errorf("unprocessed = %v", un)
	}
	segs := list(traces[0], "Segments")
	ids := []string{}
	docs := map[string]obj{}
	for _, s := range segs {
		id := s["Id"].(string)
		ids = append(ids, id)
		var d obj
		if err := json.Unmarshal([]byte(s["Document"].(string)), &d); err != nil {
			t.Fatal(err)
		}
		docs[id] = d
	}
	if strings.Join(ids, ",") != "aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb,eeeeeeeeeeeeeeee" {
		t.Errorf("segments %v", ids)
	}
	if docs["aaaaaaaaaaaaaaaa"]["end_time"] == nil {
		t.Errorf("root still in progress: %v", docs["aaaaaaaaaaaaaaaa"])
	}
	nested := list(docs["bbbbbbbbbbbbbbbb"], "subsegments")
	if len(nested) != 1 || len(list(nested[0], "subsegments")) != 1 || list(nested[0], "subsegments")[0]["name"] != "retry" ||
		list(nested[0], "subsegments")[0]["parent_id"] != nil {
		t.Errorf("merged subsegments = %v", nested)
	}

	sum := f.must(t, "GetTraceSummaries", obj{"StartTime": now.Add(-time.Hour).Unix(), "EndTime": now.Unix()})
	summaries := list(sum, "TraceSummaries")
	if len(summaries) != 2 || sum["TracesProcessedCount"] != 2.0 || sum["ApproximateTime"] != float64(now.Unix()) {
		t.Fatalf("summaries = %v", sum)
	}
	s := summaries[0]
	if s["Id"] != tid || s["Duration"] != 0.4 || s["ResponseTime"] != 0.25 || s["HasFault"] != true || s["HasError"] != true ||
		s["HasThrottle"] != true || s["IsPartial"] != false || s["StartTime"] != start || s["Revision"] != 5.0 {
		t.Errorf("summary = %v", s)
	}
	if h := s["Http"].(obj); h["HttpStatus"] != 502.0 || h["HttpMethod"] != "GET" || h["HttpURL"] != "https://example.com/x" || h["ClientIp"] != "10.0.0.1" {
		t.Errorf("http = %v", h)
	}
	if e := s["EntryPoint"].(obj); e["Name"] != "api" || e["Type"] != "AWS::Lambda::Function" || e["AccountId"] != acct {
		t.Errorf("entry point = %v", e)
	}
	if len(list(s, "ServiceIds")) != 2 || len(list(s, "Users")) != 1 || len(list(s, "ResourceARNs")) != 1 {
		t.Errorf("services/users/arns = %v", s)
	}
	ann := s["Annotations"].(obj)
	tenant := ann["tenant"].([]any)
	if len(tenant) != 1 || len(tenant[0].(obj)["ServiceIds"].([]any)) != 2 || ann["retries"].([]any)[0].(obj)["AnnotationValue"].(obj)["NumberValue"] != 2.0 {
		t.Errorf("annotations = %v", ann)
	}

	// Time ranges select by the trace ID's time by default.
	sum = f.must(t, "GetTraceSummaries", obj{"StartTime": now.Unix() - 40, "EndTime": now.Unix()})
	if s := list(sum, "TraceSummaries"); len(s) != 1 || s[0]["Id"] != other {
		t.Errorf("narrow range = %v", s)
	}
	sum = f.must(t, "GetTraceSummaries", obj{"StartTime": now.Unix() - 5, "EndTime": now.Unix(), "TimeRangeType": "Event"})
	if s := list(sum, "TraceSummaries"); len(s) != 2 || s[0]["MatchedEventTime"] != float64(now.Unix()) {
		t.Errorf("event range = %v", s)
	}
	sum = f.must(t, "GetTraceSummaries", obj{"StartTime": now.Unix() - 60, "EndTime": float64(now.Unix()) - 59.7, "TimeRangeType": "Service"})
	if s := list(sum, "TraceSummaries"); len(s) != 1 || s[0]["Id"] != tid {
		t.Errorf("service range = %v", s)
	}

	_, err := f.do(t, "GetTraceSummaries", obj{"StartTime": now.Unix()})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value null at 'endTime' failed to satisfy constraint: Member must not be null")
	_, err = f.do(t, "GetTraceSummaries", obj{"StartTime": now.Unix(), "EndTime": now.Unix(), "TimeRangeType": "Trace"})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value 'Trace' at 'timeRangeType' failed to satisfy constraint: Member must satisfy enum value set: [TraceId, Event, Service]")
	_, err = f.do(t, "GetTraceSummaries", obj{"StartTime": now.Unix(), "EndTime": now.Unix() - 1})
	wantErr(t, err, "InvalidRequestException", "")
	_, err = f.do(t, "GetTraceSummaries", obj{"StartTime": now.Unix() - 1, "EndTime": now.Unix(), "FilterExpression": "service(\"api\")"})
	wantErr(t, err, "InvalidRequestException", "")
	_, err = f.do(t, "BatchGetTraces", obj{})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value null at 'traceIds' failed to satisfy constraint: Member must not be null")
	_, err = f.do(t, "BatchGetTraces", obj{"TraceIds": []string{strings.Repeat("1", 36)}})
	wantErr(t, err, "InvalidRequestException", "")
	_, err = f.do(t, "BatchGetTraces", obj{"TraceIds": []string{tid}, "NextToken": "!!"})
	wantErr(t, err, "InvalidRequestException", "")
}

func TestTraceSummariesPaging(t *testing.T) {
	f := newFixture(t)
	var docs []string
	for i := range summaryPageSize + 5 {
		docs = append(docs, doc(obj{"id": fmt.Sprintf("%016x", i+1), "trace_id": traceID(-100, i), "name": "fn",
			"start_time": float64(now.Unix() - 100), "end_time": float64(now.Unix() - 99)}))
	}
	f.put(t, docs...)
	req := obj{"StartTime": now.Unix() - 200, "EndTime": now.Unix()}
	seen := map[string]bool{}
	pages := 0
	for {
		out := f.must(t, "GetTraceSummaries", req)
		pages++
		for _, s := range list(out, "TraceSummaries") {
			if seen[s["Id"].(string)] {
				t.Fatalf("duplicate %v", s["Id"])
			}
			seen[s["Id"].(string)] = true
		}
		tok, _ := out["NextToken"].(string)
		if tok == "" {
			break
		}
		req["NextToken"] = tok
	}
	if len(seen) != summaryPageSize+5 || pages != 2 {
		t.Errorf("%d summaries in %d pages", len(seen), pages)
	}
}

func TestPutTelemetryRecords(t *testing.T) {
	f := newFixture(t)
	out := f.must(t, "PutTelemetryRecords", obj{"Hostname": "host", "TelemetryRecords": []obj{
		{"Timestamp": now.Unix(), "SegmentsReceivedCount": 3, "SegmentsSentCount": 2, "BackendConnectionErrors": obj{"TimeoutCount": 1}},
		{"Timestamp": now.Unix() - 60, "SegmentsReceivedCount": 1},
	}})
	if len(out) != 0 {
		t.Errorf("output = %v", out)
	}
	var tm telemetry
	if err := store.GetJSON(context.Background(), f.st, telemetryTable, acct+"|us-east-1|host", &tm); err != nil || tm.Records != 2 || tm.Received != 4 || tm.Sent != 2 ||
		float64(*tm.Latest.Timestamp) != float64(now.Unix()) {
		t.Errorf("telemetry = %+v %v", tm, err)
	}
	_, err := f.do(t, "PutTelemetryRecords", obj{"TelemetryRecords": []obj{{"SegmentsSentCount": 1}}})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value null at 'telemetryRecords.1.member.timestamp' failed to satisfy constraint: Member must not be null")
	_, err = f.do(t, "PutTelemetryRecords", obj{})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value null at 'telemetryRecords' failed to satisfy constraint: Member must not be null")
}

func TestSampling(t *testing.T) {
	f := newFixture(t)
	rules := f.must(t, "GetSamplingRules", obj{})
	recs := list(rules, "SamplingRuleRecords")
	if len(recs) != 1 || recs[0]["CreatedAt"] != 0.0 || recs[0]["ModifiedAt"] != float64(now.Unix()) {
		t.Fatalf("rules = %v", rules)
	}
	want := obj{"RuleName": "Default", "RuleARN": "arn:aws:xray:us-east-1:" + acct + ":sampling-rule/Default", "ResourceARN": "*",
		"Priority": 10000.0, "FixedRate": 0.05, "ReservoirSize": 1.0, "ServiceName": "*", "ServiceType": "*", "Host": "*",
		"HTTPMethod": "*", "URLPath": "*", "Version": 1.0, "Attributes": obj{}}
	if got, _ := json.Marshal(recs[0]["SamplingRule"]); string(got) != doc(want) {
		t.Errorf("rule = %s\nwant %s", got, doc(want))
	}

	stat := func(rule, client string) obj {
		return obj{"RuleName": rule, "ClientID": client, "Timestamp": now.Unix(), "RequestCount": 10, "SampledCount": 2, "BorrowCount": 1}
	}
	a, b := strings.Repeat("a", 24), strings.Repeat("b", 24)
	out := f.must(t, "GetSamplingTargets", obj{"SamplingStatisticsDocuments": []obj{stat("Default", a), stat("Custom", a)}})
	targets := list(out, "SamplingTargetDocuments")
	if len(targets) != 1 || targets[0]["RuleName"] != "Default" || targets[0]["FixedRate"] != 0.05 || targets[0]["ReservoirQuota"] != 1.0 ||
		targets[0]["Interval"] != 10.0 || targets[0]["ReservoirQuotaTTL"] != float64(now.Unix()+10) || out["LastRuleModification"] != float64(now.Unix()) {
		t.Errorf("targets = %v", out)
	}
	if un := list(out, "UnprocessedStatistics"); len(un) != 1 || un[0]["RuleName"] != "Custom" || un[0]["ErrorCode"] != "400" {
		t.Errorf("unprocessed = %v", un)
	}
	// Two active clients share a reservoir of one: the first by client ID gets it.
	out = f.must(t, "GetSamplingTargets", obj{"SamplingStatisticsDocuments": []obj{stat("Default", b)}})
	if q := list(out, "SamplingTargetDocuments")[0]["ReservoirQuota"]; q != 0.0 {
		t.Errorf("second client quota = %v", q)
	}

	_, err := f.do(t, "GetSamplingTargets", obj{})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value null at 'samplingStatisticsDocuments' failed to satisfy constraint: Member must not be null")
	_, err = f.do(t, "GetSamplingTargets", obj{"SamplingStatisticsDocuments": []obj{stat("Default", "short")}})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value 'short' at 'samplingStatisticsDocuments.1.member.clientID' failed to satisfy constraint: Member must have length greater than or equal to 24")
	bad := stat("Default", a)
	delete(bad, "SampledCount")
	_, err = f.do(t, "GetSamplingTargets", obj{"SamplingStatisticsDocuments": []obj{bad}})
	wantErr(t, err, "InvalidRequestException", "1 validation error detected: Value null at 'samplingStatisticsDocuments.1.member.sampledCount' failed to satisfy constraint: Member must not be null")
	many := make([]obj, 26)
	for i := range many {
		many[i] = stat("Default", a)
	}
	_, err = f.do(t, "GetSamplingTargets", obj{"SamplingStatisticsDocuments": many})
	wantErr(t, err, "InvalidRequestException", "")
	_, err = f.do(t, "GetSamplingRules", obj{"NextToken": "x"})
	wantErr(t, err, "InvalidRequestException", "")
}

func TestAccountsAreSeparate(t *testing.T) {
	f := newFixture(t)
	tid := traceID(-10, 1)
	f.put(t, doc(obj{"id": "aaaaaaaaaaaaaaaa", "trace_id": tid, "name": "fn", "start_time": float64(now.Unix() - 10), "end_time": float64(now.Unix() - 9)}))
	r := f.run.Run("BatchGetTraces", apitest.Request{Body: []byte(`{"TraceIds":["` + tid + `"]}`), Account: "210987654321"})
	out, err := r.Output, r.Err
	if err != nil || len(out.(*batchGetTracesOutput).Traces) != 0 {
		t.Errorf("other account sees %+v %v", out, err)
	}
}

// TestModelConstraints pins the model's checks (shape.Hook) of each member
// they cover, as X-Ray words them: InvalidRequestException, every violation
// in member order.
func TestModelConstraints(t *testing.T) {
	f := newFixture(t)
	client := strings.Repeat("c", 24)
	stat := func(change obj) obj {
		m := obj{"RuleName": "Default", "ClientID": client, "Timestamp": now.Unix(), "RequestCount": 1, "SampledCount": 0}
		for k, v := range change {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	boost := func(change obj) obj {
		m := obj{"RuleName": "Default", "ServiceName": "svc", "Timestamp": now.Unix(), "AnomalyCount": 0, "TotalCount": 1, "SampledAnomalyCount": 0}
		for k, v := range change {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	stats := func(docs ...obj) obj { return obj{"SamplingStatisticsDocuments": docs} }
	boosts := func(docs ...obj) obj {
		return obj{"SamplingStatisticsDocuments": []obj{}, "SamplingBoostStatisticsDocuments": docs}
	}
	repeat := func(d obj, n int) []obj {
		out := make([]obj, n)
		for i := range out {
			out[i] = d
		}
		return out
	}
	const one = "1 validation error detected: "
	tests := []struct {
		name, op string
		body     obj
		want     string
	}{
		{"trace ID too long", "BatchGetTraces", obj{"TraceIds": []string{traceID(0, 1), strings.Repeat("1", 36)}},
			one + "Value '[" + traceID(0, 1) + ", " + strings.Repeat("1", 36) + "]' at 'traceIds' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 35]"},
		{"empty trace ID", "BatchGetTraces", obj{"TraceIds": []string{""}},
			one + "Value '[]' at 'traceIds' failed to satisfy constraint: Member must satisfy constraint: [Member must have length greater than or equal to 1]"},
		{"no start time", "GetTraceSummaries", obj{"EndTime": now.Unix()},
			one + "Value null at 'startTime' failed to satisfy constraint: Member must not be null"},
		{"sampling strategy", "GetTraceSummaries", obj{"StartTime": now.Unix(), "EndTime": now.Unix(), "SamplingStrategy": obj{"Name": "All"}},
			one + "Value 'All' at 'samplingStrategy.name' failed to satisfy constraint: Member must satisfy enum value set: [PartialScan, FixedRate]"},
		{"both times and range type", "GetTraceSummaries", obj{"TimeRangeType": "Trace"},
			"3 validation errors detected: Value null at 'startTime' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'endTime' failed to satisfy constraint: Member must not be null; " +
				"Value 'Trace' at 'timeRangeType' failed to satisfy constraint: Member must satisfy enum value set: [TraceId, Event, Service]"},
		{"instance ID too long", "PutTelemetryRecords", obj{"TelemetryRecords": []obj{}, "EC2InstanceId": strings.Repeat("i", 21)},
			one + "Value '" + strings.Repeat("i", 21) + "' at 'eC2InstanceId' failed to satisfy constraint: Member must have length less than or equal to 20"},
		{"hostname too long", "PutTelemetryRecords", obj{"TelemetryRecords": []obj{}, "Hostname": strings.Repeat("h", 256)},
			one + "Value '" + strings.Repeat("h", 256) + "' at 'hostname' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"resource ARN too long", "PutTelemetryRecords", obj{"TelemetryRecords": []obj{}, "ResourceARN": strings.Repeat("a", 501)},
			one + "Value '" + strings.Repeat("a", 501) + "' at 'resourceARN' failed to satisfy constraint: Member must have length less than or equal to 500"},
		{"too many statistics", "GetSamplingTargets", obj{"SamplingStatisticsDocuments": repeat(stat(nil), 26)},
			one + "Value at 'samplingStatisticsDocuments' failed to satisfy constraint: Member must have length less than or equal to 25"},
		{"no rule name", "GetSamplingTargets", stats(stat(obj{"RuleName": nil})),
			one + "Value null at 'samplingStatisticsDocuments.1.member.ruleName' failed to satisfy constraint: Member must not be null"},
		{"empty rule name", "GetSamplingTargets", stats(stat(obj{"RuleName": ""})),
			one + "Value '' at 'samplingStatisticsDocuments.1.member.ruleName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"rule name too long", "GetSamplingTargets", stats(stat(nil), stat(obj{"RuleName": strings.Repeat("r", 33)})),
			one + "Value '" + strings.Repeat("r", 33) + "' at 'samplingStatisticsDocuments.2.member.ruleName' failed to satisfy constraint: Member must have length less than or equal to 32"},
		{"no client ID", "GetSamplingTargets", stats(stat(obj{"ClientID": nil})),
			one + "Value null at 'samplingStatisticsDocuments.1.member.clientID' failed to satisfy constraint: Member must not be null"},
		{"client ID too long", "GetSamplingTargets", stats(stat(obj{"ClientID": client + "c"})),
			one + "Value '" + client + "c' at 'samplingStatisticsDocuments.1.member.clientID' failed to satisfy constraint: Member must have length less than or equal to 24"},
		{"no timestamp", "GetSamplingTargets", stats(stat(obj{"Timestamp": nil})),
			one + "Value null at 'samplingStatisticsDocuments.1.member.timestamp' failed to satisfy constraint: Member must not be null"},
		{"no request count", "GetSamplingTargets", stats(stat(obj{"RequestCount": nil})),
			one + "Value null at 'samplingStatisticsDocuments.1.member.requestCount' failed to satisfy constraint: Member must not be null"},
		{"negative counts", "GetSamplingTargets", stats(stat(obj{"RequestCount": -1, "SampledCount": -2, "BorrowCount": -3})),
			"3 validation errors detected: Value '-1' at 'samplingStatisticsDocuments.1.member.requestCount' failed to satisfy constraint: Member must have value greater than or equal to 0; " +
				"Value '-2' at 'samplingStatisticsDocuments.1.member.sampledCount' failed to satisfy constraint: Member must have value greater than or equal to 0; " +
				"Value '-3' at 'samplingStatisticsDocuments.1.member.borrowCount' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"too many boost statistics", "GetSamplingTargets", boosts(repeat(boost(nil), 26)...),
			one + "Value at 'samplingBoostStatisticsDocuments' failed to satisfy constraint: Member must have length less than or equal to 25"},
		{"boost statistics members", "GetSamplingTargets", boosts(boost(obj{"RuleName": "", "ServiceName": strings.Repeat("s", 65), "Timestamp": nil, "AnomalyCount": -1, "TotalCount": nil, "SampledAnomalyCount": -1})),
			"6 validation errors detected: Value '' at 'samplingBoostStatisticsDocuments.1.member.ruleName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '" + strings.Repeat("s", 65) + "' at 'samplingBoostStatisticsDocuments.1.member.serviceName' failed to satisfy constraint: Member must have length less than or equal to 64; " +
				"Value null at 'samplingBoostStatisticsDocuments.1.member.timestamp' failed to satisfy constraint: Member must not be null; " +
				"Value '-1' at 'samplingBoostStatisticsDocuments.1.member.anomalyCount' failed to satisfy constraint: Member must have value greater than or equal to 0; " +
				"Value null at 'samplingBoostStatisticsDocuments.1.member.totalCount' failed to satisfy constraint: Member must not be null; " +
				"Value '-1' at 'samplingBoostStatisticsDocuments.1.member.sampledAnomalyCount' failed to satisfy constraint: Member must have value greater than or equal to 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.do(t, tt.op, tt.body)
			wantErr(t, err, "InvalidRequestException", tt.want)
		})
	}
	// A body that is not JSON is the decoder's to refuse, and a valid one
	// passes.
	err := f.run.Run("GetSamplingTargets", apitest.Request{Body: []byte(`{"SamplingStatisticsDocuments":`)}).Err
	wantErr(t, err, "SerializationException", "")
	if _, err := f.do(t, "GetSamplingTargets", boosts(boost(nil))); err != nil {
		t.Errorf("valid boost statistics: %v", err)
	}
}
