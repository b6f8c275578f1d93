package logs

import (
	"context"
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

// do runs op and decodes its JSON output into a map.
func (f *fixture) do(t testing.TB, op string, body any) (map[string]any, error) {
	t.Helper()
	r := f.run.Run(op, apitest.Request{Body: apitest.JSON(body)})
	if r.Err != nil {
		return nil, r.Err
	}
	var m map[string]any
	f.run.Decode(r.Output, &m)
	return m, nil
}

func (f *fixture) must(t testing.TB, op string, body any) map[string]any {
	t.Helper()
	m, err := f.do(t, op, body)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return m
}

type obj = map[string]any

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var se *api.Error
	if !errors.As(err, &se) || se.Code != code || (msg != "" && se.Message != msg) || se.Status != 400 {
		t.Errorf("error = %v, want %s: %s", err, code, msg)
	}
}

func events(ts int64, msgs ...string) []obj {
	var out []obj
	for i, m := range msgs {
		out = append(out, obj{"timestamp": ts + int64(i), "message": m})
	}
	return out
}

func list(m obj, key string) []obj {
	var out []obj
	for _, v := range m[key].([]any) {
		out = append(out, v.(obj))
	}
	return out
}

func field(items []obj, key string) string {
	var s []string
	for _, it := range items {
		s = append(s, fmt.Sprint(it[key]))
	}
	return strings.Join(s, ",")
}

func TestOperationTable(t *testing.T) {
	f := newFixture(t)
	if f.svc.Name != "logs" || f.svc.TargetPrefix != "Logs_20140328" || f.svc.Protocols[0] != "awsJson1_1" || f.svc.EventSource != "logs.amazonaws.com" {
		t.Errorf("service = %+v", f.svc)
	}
	g, s := `{"logGroupName":"/aws/lambda/fn","logStreamName":"2024/06/01/[$LATEST]abc"}`, "arn:aws:logs:us-east-1:"+acct+":log-group:/aws/lambda/fn"
	tests := []struct{ op, body, resource string }{
		{"CreateLogGroup", g, s + ":*"},
		{"DescribeLogGroups", `{}`, "arn:aws:logs:us-east-1:" + acct + ":log-group:*"},
		{"CreateLogStream", g, s + ":log-stream:2024/06/01/[$LATEST]abc"},
		{"PutLogEvents", g, s + ":log-stream:2024/06/01/[$LATEST]abc"},
		{"FilterLogEvents", `{"logGroupIdentifier":"` + s + `:*"}`, s + ":*"},
		{"DescribeLogStreams", `{"logGroupIdentifier":"/aws/lambda/fn"}`, s + ":*"},
		{"TagResource", `{"resourceArn":"` + s + `"}`, s},
	}
	for _, tt := range tests {
		op := f.svc.Operations[tt.op]
		if op.Action != "logs:"+tt.op {
			t.Errorf("%s action %s", tt.op, op.Action)
		}
		if r, err := op.Resource(f.run.Call(tt.op, apitest.Request{Body: []byte(tt.body)})); err != nil || r.ARN != tt.resource {
			t.Errorf("%s resource = %s, %v; want %s", tt.op, r.ARN, err, tt.resource)
		}
	}
	for _, name := range []string{"DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents", "ListTagsForResource"} {
		if !f.svc.Operations[name].ReadOnly {
			t.Errorf("%s not read-only", name)
		}
	}
	if f.svc.Operations["PutLogEvents"].ReadOnly {
		t.Error("PutLogEvents read-only")
	}
}

func TestLogGroups(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"/aws/lambda/b", "/aws/lambda/a", "/other", "/aws/lambda/c"} {
		f.must(t, "CreateLogGroup", obj{"logGroupName": n})
	}
	_, err := f.do(t, "CreateLogGroup", obj{"logGroupName": "/other"})
	wantErr(t, err, "ResourceAlreadyExistsException", "The specified log group already exists")
	_, err = f.do(t, "CreateLogGroup", obj{"logGroupName": "bad:name"})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = f.do(t, "CreateLogGroup", obj{})
	wantErr(t, err, "InvalidParameterException", "")

	m := f.must(t, "DescribeLogGroups", obj{"logGroupNamePrefix": "/aws/lambda/"})
	gs := list(m, "logGroups")
	if field(gs, "logGroupName") != "/aws/lambda/a,/aws/lambda/b,/aws/lambda/c" {
		t.Errorf("groups = %s", field(gs, "logGroupName"))
	}
	g := gs[0]
	if g["arn"] != "arn:aws:logs:us-east-1:"+acct+":log-group:/aws/lambda/a:*" || g["logGroupArn"] != "arn:aws:logs:us-east-1:"+acct+":log-group:/aws/lambda/a" ||
		g["creationTime"] != float64(now.UnixMilli()) || g["storedBytes"] != float64(0) || g["logGroupClass"] != "STANDARD" {
		t.Errorf("group = %v", g)
	}
	// Paging.
	var names []string
	token := ""
	for {
		req := obj{"limit": 3}
		if token != "" {
			req["nextToken"] = token
		}
		m := f.must(t, "DescribeLogGroups", req)
		for _, g := range list(m, "logGroups") {
			names = append(names, g["logGroupName"].(string))
		}
		tok, _ := m["nextToken"].(string)
		if tok == "" {
			break
		}
		token = tok
	}
	if strings.Join(names, ",") != "/aws/lambda/a,/aws/lambda/b,/aws/lambda/c,/other" {
		t.Errorf("paged groups = %v", names)
	}
	m = f.must(t, "DescribeLogGroups", obj{"logGroupNamePattern": "LAMBDA/B"})
	if field(list(m, "logGroups"), "logGroupName") != "/aws/lambda/b" {
		t.Errorf("pattern = %v", m)
	}
	_, err = f.do(t, "DescribeLogGroups", obj{"limit": 51})
	wantErr(t, err, "InvalidParameterException", "")

	// Retention.
	f.must(t, "PutRetentionPolicy", obj{"logGroupName": "/other", "retentionInDays": 7})
	m = f.must(t, "DescribeLogGroups", obj{"logGroupNamePrefix": "/other"})
	if list(m, "logGroups")[0]["retentionInDays"] != float64(7) {
		t.Errorf("retention = %v", m)
	}
	_, err = f.do(t, "PutRetentionPolicy", obj{"logGroupName": "/other", "retentionInDays": 8})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = f.do(t, "PutRetentionPolicy", obj{"logGroupName": "/nope", "retentionInDays": 7})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	f.must(t, "DeleteRetentionPolicy", obj{"logGroupName": "/other"})
	m = f.must(t, "DescribeLogGroups", obj{"logGroupNamePrefix": "/other"})
	if _, ok := list(m, "logGroups")[0]["retentionInDays"]; ok {
		t.Errorf("retention after delete = %v", m)
	}

	// Tags.
	arn := "arn:aws:logs:us-east-1:" + acct + ":log-group:/other"
	f.must(t, "TagResource", obj{"resourceArn": arn, "tags": obj{"team": "a", "env": "dev"}})
	f.must(t, "UntagResource", obj{"resourceArn": arn, "tagKeys": []string{"env"}})
	m = f.must(t, "ListTagsForResource", obj{"resourceArn": arn})
	if fmt.Sprint(m["tags"]) != "map[team:a]" {
		t.Errorf("tags = %v", m["tags"])
	}
	_, err = f.do(t, "ListTagsForResource", obj{"resourceArn": "arn:aws:logs:us-east-1:" + acct + ":log-group:/nope"})
	wantErr(t, err, "ResourceNotFoundException", "")

	// Delete removes streams and events too.
	f.must(t, "CreateLogStream", obj{"logGroupName": "/other", "logStreamName": "s"})
	f.must(t, "PutLogEvents", obj{"logGroupName": "/other", "logStreamName": "s", "logEvents": events(now.UnixMilli(), "x")})
	f.must(t, "DeleteLogGroup", obj{"logGroupName": "/other"})
	_, err = f.do(t, "DeleteLogGroup", obj{"logGroupName": "/other"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	f.must(t, "CreateLogGroup", obj{"logGroupName": "/other"})
	_, err = f.do(t, "PutLogEvents", obj{"logGroupName": "/other", "logStreamName": "s", "logEvents": events(now.UnixMilli(), "x")})
	wantErr(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	for _, table := range []string{streamsTable, eventsTable, countsTable} {
		items, _ := f.st.List(context.Background(), table, "", "", 0)
		if len(items) != 0 {
			t.Errorf("%s left %d items", table, len(items))
		}
	}
}

func TestLogStreams(t *testing.T) {
	f := newFixture(t)
	g := "/aws/lambda/fn"
	_, err := f.do(t, "CreateLogStream", obj{"logGroupName": g, "logStreamName": "a"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	f.must(t, "CreateLogGroup", obj{"logGroupName": g})
	for _, s := range []string{"b", "a", "c", "x/1"} {
		f.must(t, "CreateLogStream", obj{"logGroupName": g, "logStreamName": s})
	}
	_, err = f.do(t, "CreateLogStream", obj{"logGroupName": g, "logStreamName": "a"})
	wantErr(t, err, "ResourceAlreadyExistsException", "The specified log stream already exists")
	_, err = f.do(t, "CreateLogStream", obj{"logGroupName": g, "logStreamName": "bad:name"})
	wantErr(t, err, "InvalidParameterException", "")

	base := now.UnixMilli()
	f.must(t, "PutLogEvents", obj{"logGroupName": g, "logStreamName": "c", "logEvents": events(base-5000, "c1")})
	f.must(t, "PutLogEvents", obj{"logGroupName": g, "logStreamName": "a", "logEvents": events(base-3000, "a1", "a2")})
	f.must(t, "PutLogEvents", obj{"logGroupName": g, "logStreamName": "b", "logEvents": events(base-1000, "b1")})

	tests := []struct {
		req  obj
		want string
	}{
		{obj{}, "a,b,c,x/1"},
		{obj{"descending": true}, "x/1,c,b,a"},
		{obj{"logStreamNamePrefix": "x"}, "x/1"},
		{obj{"orderBy": "LastEventTime"}, "x/1,c,a,b"},
		{obj{"orderBy": "LastEventTime", "descending": true}, "b,a,c,x/1"},
	}
	for _, tt := range tests {
		for _, limit := range []int{50, 1, 3} {
			var got []string
			token := ""
			for {
				req := obj{"logGroupName": g, "limit": limit}
				for k, v := range tt.req {
					req[k] = v
				}
				if token != "" {
					req["nextToken"] = token
				}
				m := f.must(t, "DescribeLogStreams", req)
				for _, s := range list(m, "logStreams") {
					got = append(got, s["logStreamName"].(string))
				}
				if token, _ = m["nextToken"].(string); token == "" {
					break
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("%v limit %d: %v, want %s", tt.req, limit, got, tt.want)
			}
		}
	}
	m := f.must(t, "DescribeLogStreams", obj{"logGroupIdentifier": "arn:aws:logs:us-east-1:" + acct + ":log-group:" + g + ":*", "logStreamNamePrefix": "a"})
	s := list(m, "logStreams")[0]
	if s["firstEventTimestamp"] != float64(base-3000) || s["lastEventTimestamp"] != float64(base-2999) || s["lastIngestionTime"] != float64(base) ||
		s["storedBytes"] != float64(4) || s["arn"] != "arn:aws:logs:us-east-1:"+acct+":log-group:"+g+":log-stream:a" || s["creationTime"] != float64(base) {
		t.Errorf("stream = %v", s)
	}
	if _, ok := list(f.must(t, "DescribeLogStreams", obj{"logGroupName": g, "logStreamNamePrefix": "x"}), "logStreams")[0]["lastEventTimestamp"]; ok {
		t.Error("empty stream has lastEventTimestamp")
	}
	_, err = f.do(t, "DescribeLogStreams", obj{"logGroupName": g, "orderBy": "LastEventTime", "logStreamNamePrefix": "a"})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = f.do(t, "DescribeLogStreams", obj{"logGroupName": "/nope"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")

	f.must(t, "DeleteLogStream", obj{"logGroupName": g, "logStreamName": "a"})
	_, err = f.do(t, "DeleteLogStream", obj{"logGroupName": g, "logStreamName": "a"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	f.must(t, "CreateLogStream", obj{"logGroupName": g, "logStreamName": "a"})
	m = f.must(t, "GetLogEvents", obj{"logGroupName": g, "logStreamName": "a", "startFromHead": true})
	if len(list(m, "events")) != 0 {
		t.Errorf("re-created stream sees old events: %v", m)
	}
	m = f.must(t, "DescribeLogGroups", obj{})
	if list(m, "logGroups")[0]["storedBytes"] != float64(4) { // c1 + b1
		t.Errorf("group storedBytes = %v", list(m, "logGroups")[0]["storedBytes"])
	}
}

func TestPutLogEventsRules(t *testing.T) {
	f := newFixture(t)
	g := obj{"logGroupName": "g", "logStreamName": "s"}
	put := func(evs []obj) (obj, error) {
		req := obj{"logEvents": evs}
		for k, v := range g {
			req[k] = v
		}
		return f.do(t, "PutLogEvents", req)
	}
	_, err := put(events(now.UnixMilli(), "x"))
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	f.must(t, "CreateLogGroup", obj{"logGroupName": "g"})
	_, err = put(events(now.UnixMilli(), "x"))
	wantErr(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	f.must(t, "CreateLogStream", g)

	base := now.UnixMilli()
	_, err = put([]obj{{"timestamp": base, "message": "b"}, {"timestamp": base - 1, "message": "a"}})
	wantErr(t, err, "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
	_, err = put([]obj{{"timestamp": base - 25*3600*1000, "message": "a"}, {"timestamp": base, "message": "b"}})
	wantErr(t, err, "InvalidParameterException", "Log events in a single PutLogEvents request cannot span more than 24 hours.")
	_, err = put(nil)
	wantErr(t, err, "InvalidParameterException", "")
	_, err = put([]obj{{"timestamp": base, "message": ""}})
	wantErr(t, err, "InvalidParameterException", "")
	big := make([]obj, 10001)
	for i := range big {
		big[i] = obj{"timestamp": base, "message": "x"}
	}
	_, err = put(big)
	wantErr(t, err, "InvalidParameterException", "")
	_, err = put([]obj{{"timestamp": base, "message": strings.Repeat("x", 1<<20)}})
	wantErr(t, err, "InvalidParameterException", "Upload too large: 1048602 bytes exceeds limit of 1048576")

	m, err := put(big[:10000])
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := m["nextSequenceToken"].(string); len(tok) != 56 {
		t.Errorf("nextSequenceToken = %v", m["nextSequenceToken"])
	}
	// Too old and too new events are skipped and reported.
	day := int64(24 * 3600 * 1000)
	m, err = put([]obj{
		{"timestamp": base - 14*day - 1000, "message": "old"},
		{"timestamp": base - 14*day + 1000, "message": "ok"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rej := m["rejectedLogEventsInfo"].(obj); rej["tooOldLogEventEndIndex"] != float64(1) || rej["tooNewLogEventStartIndex"] != nil {
		t.Errorf("rejected = %v", rej)
	}
	m, err = put([]obj{
		{"timestamp": base, "message": "ok2"},
		{"timestamp": base + 3*3600*1000, "message": "new"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rej := m["rejectedLogEventsInfo"].(obj); rej["tooNewLogEventStartIndex"] != float64(1) || rej["tooOldLogEventEndIndex"] != nil {
		t.Errorf("rejected = %v", rej)
	}
	got := f.must(t, "FilterLogEvents", obj{"logGroupName": "g", "filterPattern": "ok", "startTime": 0})
	if field(list(got, "events"), "message") != "ok,ok2" {
		t.Errorf("stored = %v", got)
	}
	got = f.must(t, "FilterLogEvents", obj{"logGroupName": "g", "filterPattern": "?old ?new"})
	if len(list(got, "events")) != 0 {
		t.Errorf("rejected events stored: %v", got)
	}
	// Retention: events older than it are expired.
	f.must(t, "PutRetentionPolicy", obj{"logGroupName": "g", "retentionInDays": 1})
	m, err = put([]obj{{"timestamp": base - day - 1000, "message": "expired"}, {"timestamp": base - day + 1000, "message": "fresh"}})
	if err != nil {
		t.Fatal(err)
	}
	if m["rejectedLogEventsInfo"].(obj)["expiredLogEventEndIndex"] != float64(1) {
		t.Errorf("rejected = %v", m["rejectedLogEventsInfo"])
	}
}

// seedStream puts n events, one a millisecond, into group g stream s.
func seedStream(t testing.TB, f *fixture, g, s string, start int64, n int, msg func(i int) string) {
	f.do(t, "CreateLogGroup", obj{"logGroupName": g})
	f.must(t, "CreateLogStream", obj{"logGroupName": g, "logStreamName": s})
	for off := 0; off < n; off += 10000 {
		var evs []obj
		for i := off; i < min(n, off+10000); i++ {
			evs = append(evs, obj{"timestamp": start + int64(i), "message": msg(i)})
		}
		f.must(t, "PutLogEvents", obj{"logGroupName": g, "logStreamName": s, "logEvents": evs})
	}
}

func TestGetLogEvents(t *testing.T) {
	f := newFixture(t)
	base := now.UnixMilli() - 100000
	seedStream(t, f, "g", "s", base, 250, func(i int) string { return fmt.Sprint("m", i) })
	get := func(req obj) obj {
		req["logGroupName"], req["logStreamName"] = "g", "s"
		return f.must(t, "GetLogEvents", req)
	}
	// Forward from the head, following nextForwardToken until it repeats.
	var msgs []string
	req := obj{"startFromHead": true, "limit": 100}
	for pages := 0; ; pages++ {
		m := get(req)
		for _, e := range list(m, "events") {
			msgs = append(msgs, e["message"].(string))
		}
		next := m["nextForwardToken"].(string)
		if !strings.HasPrefix(next, "f/") || !strings.HasPrefix(m["nextBackwardToken"].(string), "b/") {
			t.Fatalf("tokens %v", m)
		}
		if next == req["nextToken"] {
			break
		}
		if pages > 10 {
			t.Fatal("forward paging does not end")
		}
		req = obj{"nextToken": next, "limit": 100}
	}
	if len(msgs) != 250 || msgs[0] != "m0" || msgs[249] != "m249" {
		t.Fatalf("forward read %d events", len(msgs))
	}
	// Default: the newest events, oldest first; then backward.
	m := get(obj{"limit": 10})
	if field(list(m, "events"), "message") != "m240,m241,m242,m243,m244,m245,m246,m247,m248,m249" {
		t.Errorf("tail = %s", field(list(m, "events"), "message"))
	}
	m = get(obj{"limit": 3, "nextToken": m["nextBackwardToken"]})
	if field(list(m, "events"), "message") != "m237,m238,m239" {
		t.Errorf("backward = %s", field(list(m, "events"), "message"))
	}
	m = get(obj{"limit": 2, "nextToken": m["nextForwardToken"]})
	if field(list(m, "events"), "message") != "m240,m241" {
		t.Errorf("forward after backward = %s", field(list(m, "events"), "message"))
	}
	// Time range: start inclusive, end exclusive.
	m = get(obj{"startTime": base + 10, "endTime": base + 13, "startFromHead": true})
	if field(list(m, "events"), "message") != "m10,m11,m12" {
		t.Errorf("range = %s", field(list(m, "events"), "message"))
	}
	m = get(obj{"startTime": base + 10, "endTime": base + 13})
	if field(list(m, "events"), "message") != "m10,m11,m12" {
		t.Errorf("range backward = %s", field(list(m, "events"), "message"))
	}
	e := list(get(obj{"limit": 1}), "events")[0]
	if e["timestamp"] != float64(base+249) || e["ingestionTime"] != float64(now.UnixMilli()) {
		t.Errorf("event = %v", e)
	}
	_, err := f.do(t, "GetLogEvents", obj{"logGroupName": "g", "logStreamName": "s", "nextToken": "x/1"})
	wantErr(t, err, "InvalidParameterException", "The specified nextToken is invalid.")
	_, err = f.do(t, "GetLogEvents", obj{"logGroupName": "g", "logStreamName": "nope"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	_, err = f.do(t, "GetLogEvents", obj{"logGroupName": "g", "logStreamName": "s", "limit": 10001})
	wantErr(t, err, "InvalidParameterException", "")
}

func TestFilterLogEvents(t *testing.T) {
	f := newFixture(t)
	base := now.UnixMilli() - 100000
	// Two streams, interleaved in time.
	f.must(t, "CreateLogGroup", obj{"logGroupName": "g"})
	for _, s := range []string{"s1", "s2", "other"} {
		f.must(t, "CreateLogStream", obj{"logGroupName": "g", "logStreamName": s})
	}
	lines := []string{"START RequestId: 1", "ERROR timed out", "INFO ok", "ERROR Exception: boom", "END RequestId: 1"}
	for i, s := range []string{"s1", "s2"} {
		var evs []obj
		for j, l := range lines {
			evs = append(evs, obj{"timestamp": base + int64(j*10+i), "message": s + " " + l})
		}
		f.must(t, "PutLogEvents", obj{"logGroupName": "g", "logStreamName": s, "logEvents": evs})
	}
	f.must(t, "PutLogEvents", obj{"logGroupName": "g", "logStreamName": "other", "logEvents": events(base+5, "other ERROR")})
	tests := []struct {
		req  obj
		want string
	}{
		{obj{"filterPattern": "ERROR", "logStreamNames": []string{"s1", "s2"}}, "s1 ERROR timed out,s2 ERROR timed out,s1 ERROR Exception: boom,s2 ERROR Exception: boom"},
		{obj{"filterPattern": "ERROR Exception", "logStreamNamePrefix": "s"}, "s1 ERROR Exception: boom,s2 ERROR Exception: boom"},
		{obj{"filterPattern": `"timed out"`, "logStreamNames": []string{"s2"}}, "s2 ERROR timed out"},
		{obj{"filterPattern": `"Exception: boom"`, "logStreamNames": []string{"s1"}}, "s1 ERROR Exception: boom"},
		{obj{"filterPattern": "ERROR -timed", "logStreamNames": []string{"s1"}}, "s1 ERROR Exception: boom"},
		{obj{"filterPattern": "?START ?END", "logStreamNames": []string{"s1"}}, "s1 START RequestId: 1,s1 END RequestId: 1"},
		{obj{"filterPattern": "error"}, ""},
		{obj{"filterPattern": "ERROR"}, "other ERROR,s1 ERROR timed out,s2 ERROR timed out,s1 ERROR Exception: boom,s2 ERROR Exception: boom"},
		{obj{"startTime": base + 10, "endTime": base + 21, "logStreamNamePrefix": "s"}, "s1 ERROR timed out,s2 ERROR timed out,s1 INFO ok"},
		{obj{"logGroupIdentifier": "arn:aws:logs:us-east-1:" + acct + ":log-group:g", "logGroupName": nil, "filterPattern": "INFO"}, "s1 INFO ok,s2 INFO ok"},
	}
	for _, tt := range tests {
		for _, limit := range []int{10000, 1, 2} {
			var got []string
			token := ""
			for pages := 0; ; pages++ {
				req := obj{"logGroupName": "g", "limit": limit}
				for k, v := range tt.req {
					if v == nil {
						delete(req, k)
					} else {
						req[k] = v
					}
				}
				if token != "" {
					req["nextToken"] = token
				}
				m := f.must(t, "FilterLogEvents", req)
				for _, e := range list(m, "events") {
					got = append(got, e["message"].(string))
					if e["eventId"] == "" || e["logStreamName"] == "" || e["ingestionTime"] == nil {
						t.Errorf("event = %v", e)
					}
				}
				if token, _ = m["nextToken"].(string); token == "" {
					break
				}
				if pages > 20 {
					t.Fatal("paging does not end")
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("%v limit %d:\n got %q\nwant %q", tt.req, limit, strings.Join(got, ","), tt.want)
			}
		}
	}
	m := f.must(t, "FilterLogEvents", obj{"logGroupName": "g", "limit": 1})
	_, err := f.do(t, "FilterLogEvents", obj{"logGroupName": "g", "limit": 1, "filterPattern": "ERROR", "nextToken": m["nextToken"]})
	wantErr(t, err, "InvalidParameterException", "The specified nextToken is invalid.")
	for _, p := range []string{`{ $.level = "ERROR" }`, `[ip, user, status=500]`, `%ERR.*%`, `"unterminated`, `ERROR:`, `?A B`} {
		_, err := f.do(t, "FilterLogEvents", obj{"logGroupName": "g", "filterPattern": p})
		wantErr(t, err, "InvalidParameterException", "")
	}
	_, err = f.do(t, "FilterLogEvents", obj{"logGroupName": "g", "logStreamNames": []string{"s1"}, "logStreamNamePrefix": "s"})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = f.do(t, "FilterLogEvents", obj{"logGroupName": "nope"})
	wantErr(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
}

func TestFilterManyEvents(t *testing.T) {
	f := newFixture(t)
	base := now.UnixMilli() - 1000000
	seedStream(t, f, "g", "s", base, 20000, func(i int) string {
		if i%100 == 0 {
			return fmt.Sprint("ERROR ", i)
		}
		return fmt.Sprint("INFO ", i)
	})
	start := time.Now()
	m := f.must(t, "FilterLogEvents", obj{"logGroupName": "g", "filterPattern": "ERROR"})
	if n := len(list(m, "events")); n != 200 {
		t.Errorf("%d matches, want 200", n)
	}
	m = f.must(t, "GetLogEvents", obj{"logGroupName": "g", "logStreamName": "s", "limit": 5})
	if field(list(m, "events"), "message") != "INFO 19995,INFO 19996,INFO 19997,INFO 19998,INFO 19999" {
		t.Errorf("tail = %s", field(list(m, "events"), "message"))
	}
	t.Logf("filter + tail over 20000 events: %v", time.Since(start))
}

func TestTrailDetails(t *testing.T) {
	f := newFixture(t)
	r := f.run.Run("CreateLogGroup", apitest.Request{Body: apitest.JSON(obj{"logGroupName": "/aws/lambda/fn"})})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	c := r.Call
	if c.Trail.RequestParameters["logGroupName"] != "/aws/lambda/fn" || len(c.Trail.Resources) != 1 ||
		c.Trail.Resources[0].ARN != "arn:aws:logs:us-east-1:"+acct+":log-group:/aws/lambda/fn" || c.Trail.Resources[0].Type != "AWS::Logs::LogGroup" {
		t.Errorf("trail = %+v", c.Trail)
	}
}

// TestModelConstraints covers constraints the CloudWatch Logs model checks.
func TestModelConstraints(t *testing.T) {
	f := newFixture(t)
	f.must(t, "CreateLogGroup", obj{"logGroupName": "g"})
	tags := obj{}
	for i := 0; i < 51; i++ {
		tags[fmt.Sprintf("k%d", i)] = "v"
	}
	names := make([]string, 101)
	for i := range names {
		names[i] = fmt.Sprintf("s%d", i)
	}
	const pre = "1 validation error detected: "
	cases := []struct {
		op   string
		body obj
		msg  string
	}{
		{"CreateLogGroup", obj{"logGroupName": "a b"}, pre + `Value 'a b' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`},
		{"CreateLogGroup", obj{"logGroupName": "c", "logGroupClass": "COLD"}, pre + "Value 'COLD' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]"},
		{"CreateLogGroup", obj{"logGroupName": "c", "tags": tags}, pre + "Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"CreateLogStream", obj{"logGroupName": "g"}, pre + "Value null at 'logStreamName' failed to satisfy constraint: Member must not be null"},
		{"DescribeLogStreams", obj{"logGroupName": "g", "orderBy": "Size"}, pre + "Value 'Size' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"},
		{"FilterLogEvents", obj{"logGroupName": "g", "logStreamNames": names}, pre + "Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100"},
		{"DescribeLogStreams", obj{"logGroupName": "g", "limit": 51}, pre + "Value '51' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50"},
	}
	for _, tc := range cases {
		_, err := f.do(t, tc.op, tc.body)
		wantErr(t, err, "InvalidParameterException", tc.msg)
	}
	if got := list(f.must(t, "DescribeLogGroups", obj{"logGroupNamePrefix": "c"}), "logGroups"); len(got) != 0 {
		t.Errorf("refused groups exist: %v", got)
	}
}
