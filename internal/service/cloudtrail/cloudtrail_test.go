package cloudtrail

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
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/trail"
)

const acct = "123456789012"

var (
	alice = &api.Principal{Type: api.IAMUser, Account: acct, ARN: "arn:aws:iam::" + acct + ":user/alice",
		PrincipalID: "AIDAALICE", UserName: "alice", AccessKeyID: "AKIAALICE"}
	fnRole = &api.Principal{Type: api.AssumedRole, Account: acct,
		ARN: "arn:aws:sts::" + acct + ":assumed-role/fn-role/my-fn", PrincipalID: "AROAFN:my-fn",
		AccessKeyID: "ASIAFN", RoleARN: "arn:aws:iam::" + acct + ":role/fn-role", RoleName: "fn-role", RoleID: "AROAFN", SessionName: "my-fn"}
	lambdaSvc = &api.Service{Name: "lambda", EventSource: "lambda.amazonaws.com"}
	iamSvc    = &api.Service{Name: "iam", EventSource: "iam.amazonaws.com", Global: true}
	base      = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
)

type fixture struct {
	rec *trail.Recorder
	svc *api.Service
	run *apitest.Fixture
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	rec := trail.New(st, trail.Options{})
	t.Cleanup(func() {
		rec.Close(ctx)
		st.Close()
	})
	svc := New(rec, "us-east-1")
	run := apitest.New(t, svc)
	run.Account = acct
	return &fixture{rec: rec, svc: svc, run: run}
}

// lookup runs LookupEvents with a JSON request body.
func (f *fixture) lookup(t *testing.T, body string) (*LookupEventsOutput, error) {
	t.Helper()
	r := f.run.Run("LookupEvents", apitest.Request{Body: []byte(body), Principal: alice})
	if r.Err != nil {
		return nil, r.Err
	}
	// Round-trip through JSON as the gateway would.
	var res LookupEventsOutput
	f.run.Decode(r.Output, &res)
	return &res, nil
}

// seed records a known set of events, one second apart from base.
func (f *fixture) seed() { seed(f.rec, base) }

// seed records a known set of events on rec, one second apart from start.
func seed(rec *trail.Recorder, start time.Time) {
	fnARN := "arn:aws:lambda:us-east-1:" + acct + ":function:my-fn"
	roleARN := "arn:aws:iam::" + acct + ":role/fn-role"
	entries := []trail.Entry{
		{Service: iamSvc, Operation: "CreateRole", Principal: alice, Details: api.TrailDetails{
			Resources: []api.TrailResource{{ARN: roleARN, AccountID: acct, Type: "AWS::IAM::Role"}}}},
		{Service: lambdaSvc, Operation: "CreateFunction20150331", Principal: alice, Details: api.TrailDetails{
			Resources: []api.TrailResource{{ARN: fnARN, AccountID: acct, Type: "AWS::Lambda::Function"}}}},
		{Service: lambdaSvc, Operation: "GetFunction20150331v2", ReadOnly: true, Principal: alice},
		{Service: lambdaSvc, Operation: "Invoke", Principal: alice, Details: api.TrailDetails{
			Resources: []api.TrailResource{{ARN: fnARN, AccountID: acct, Type: "AWS::Lambda::Function"}}}},
		{EventSource: "logs.amazonaws.com", Operation: "CreateLogStream", Principal: fnRole, InvokedBy: "lambda.amazonaws.com"},
		{EventSource: "logs.amazonaws.com", Operation: "PutLogEvents", Principal: fnRole, InvokedBy: "lambda.amazonaws.com"},
		{Service: iamSvc, Operation: "GetRole", ReadOnly: true, Principal: fnRole, ErrorCode: "AccessDenied", ErrorMessage: "denied"},
	}
	for i, e := range entries {
		e.Time = start.Add(time.Duration(i) * time.Second)
		e.Account, e.Region = acct, "us-east-1"
		rec.Record(e)
	}
}

func names(out *LookupEventsOutput) []string {
	var s []string
	for _, e := range out.Events {
		s = append(s, e.EventName)
	}
	return s
}

func TestLookupAttributes(t *testing.T) {
	f := newFixture(t)
	f.seed()
	fnARN := "arn:aws:lambda:us-east-1:" + acct + ":function:my-fn"
	tests := []struct {
		key, value string
		want       []string
	}{
		{"", "", []string{"GetRole", "PutLogEvents", "CreateLogStream", "Invoke", "GetFunction20150331v2", "CreateFunction20150331", "CreateRole"}},
		{"EventName", "Invoke", []string{"Invoke"}},
		{"EventSource", "logs.amazonaws.com", []string{"PutLogEvents", "CreateLogStream"}},
		{"ReadOnly", "true", []string{"GetRole", "GetFunction20150331v2"}},
		{"ReadOnly", "false", []string{"PutLogEvents", "CreateLogStream", "Invoke", "CreateFunction20150331", "CreateRole"}},
		{"Username", "my-fn", []string{"GetRole", "PutLogEvents", "CreateLogStream"}},
		{"Username", "alice", []string{"Invoke", "GetFunction20150331v2", "CreateFunction20150331", "CreateRole"}},
		{"AccessKeyId", "ASIAFN", []string{"GetRole", "PutLogEvents", "CreateLogStream"}},
		{"ResourceType", "AWS::Lambda::Function", []string{"Invoke", "CreateFunction20150331"}},
		{"ResourceName", fnARN, []string{"Invoke", "CreateFunction20150331"}},
		{"ResourceType", "AWS::IAM::Role", []string{"CreateRole"}},
		{"EventName", "Nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			body := `{}`
			if tt.key != "" {
				body = fmt.Sprintf(`{"LookupAttributes":[{"AttributeKey":%q,"AttributeValue":%q}]}`, tt.key, tt.value)
			}
			out, err := f.lookup(t, body)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(out); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("events = %v, want %v", got, tt.want)
			}
			if out.NextToken != "" {
				t.Errorf("NextToken = %q", out.NextToken)
			}
		})
	}
	t.Run("EventId", func(t *testing.T) {
		all, err := f.lookup(t, `{}`)
		if err != nil {
			t.Fatal(err)
		}
		id := all.Events[3].EventID
		out, err := f.lookup(t, `{"LookupAttributes":[{"AttributeKey":"EventId","AttributeValue":"`+id+`"}]}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) != 1 || out.Events[0].EventID != id {
			t.Errorf("events = %+v", out.Events)
		}
	})
}

func TestLookupEventShape(t *testing.T) {
	f := newFixture(t)
	f.seed()
	out, err := f.lookup(t, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"PutLogEvents"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	e := out.Events[0]
	if e.ReadOnly != "false" || e.AccessKeyID != "ASIAFN" || e.Username != "my-fn" || e.EventSource != "logs.amazonaws.com" ||
		e.EventTime != base.Add(5*time.Second).Unix() || e.Resources == nil {
		t.Errorf("event = %+v", e)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(e.CloudTrailEvent), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["eventID"] != e.EventID || rec["eventName"] != "PutLogEvents" || rec["sourceIPAddress"] != "lambda.amazonaws.com" {
		t.Errorf("CloudTrailEvent = %s", e.CloudTrailEvent)
	}
	if id := rec["userIdentity"].(map[string]any); id["type"] != "AssumedRole" || id["invokedBy"] != "lambda.amazonaws.com" {
		t.Errorf("userIdentity = %v", id)
	}

	out, err = f.lookup(t, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateRole"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if r := out.Events[0].Resources; len(r) != 1 || r[0].ResourceType != "AWS::IAM::Role" || r[0].ResourceName != "arn:aws:iam::"+acct+":role/fn-role" {
		t.Errorf("resources = %+v", r)
	}
}

func TestLookupSeesJustRecorded(t *testing.T) {
	f := newFixture(t)
	for i := range 20 {
		f.rec.Record(trail.Entry{Service: lambdaSvc, Operation: fmt.Sprint("Op", i), Principal: alice, Account: acct})
		out, err := f.lookup(t, `{"MaxResults":1}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) != 1 || out.Events[0].EventName != fmt.Sprint("Op", i) {
			t.Fatalf("after recording Op%d: %v", i, names(out))
		}
	}
}

func TestLookupTimeRange(t *testing.T) {
	f := newFixture(t)
	f.seed()
	sec := func(d int) int64 { return base.Add(time.Duration(d) * time.Second).Unix() }
	tests := []struct {
		body string
		want []string
	}{
		{fmt.Sprintf(`{"StartTime":%d,"EndTime":%d}`, sec(1), sec(3)), []string{"Invoke", "GetFunction20150331v2", "CreateFunction20150331"}},
		{fmt.Sprintf(`{"StartTime":%d}`, sec(5)), []string{"GetRole", "PutLogEvents"}},
		{fmt.Sprintf(`{"EndTime":%d}`, sec(0)), []string{"CreateRole"}},
		{fmt.Sprintf(`{"StartTime":%d.5,"EndTime":%d.5}`, sec(1), sec(2)), []string{"GetFunction20150331v2"}},
		{fmt.Sprintf(`{"StartTime":%d,"EndTime":%d,"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"alice"}]}`, sec(2), sec(6)),
			[]string{"Invoke", "GetFunction20150331v2"}},
		{fmt.Sprintf(`{"StartTime":%d,"EndTime":%d}`, sec(100), sec(200)), nil},
	}
	for _, tt := range tests {
		out, err := f.lookup(t, tt.body)
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		if got := names(out); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: events = %v, want %v", tt.body, got, tt.want)
		}
	}
}

func TestLookupPaging(t *testing.T) {
	f := newFixture(t)
	const n = 123
	for i := range n {
		f.rec.Record(trail.Entry{Time: base.Add(time.Duration(i) * time.Millisecond), Service: lambdaSvc,
			Operation: fmt.Sprint("Op", i), Principal: alice, Account: acct})
	}
	for _, page := range []int{1, 7, 50} {
		seen := map[string]bool{}
		var order []string
		token := ""
		for pages := 0; ; pages++ {
			if pages > n+1 {
				t.Fatal("paging does not end")
			}
			body := fmt.Sprintf(`{"MaxResults":%d,"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"alice"}]`, page)
			if token != "" {
				body += fmt.Sprintf(`,"NextToken":%q`, token)
			}
			out, err := f.lookup(t, body+"}")
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Events) > page {
				t.Fatalf("page of %d events, MaxResults %d", len(out.Events), page)
			}
			for _, e := range out.Events {
				if seen[e.EventID] {
					t.Fatalf("event %s seen twice", e.EventName)
				}
				seen[e.EventID] = true
				order = append(order, e.EventName)
			}
			if token = out.NextToken; token == "" {
				break
			}
		}
		if len(order) != n || order[0] != fmt.Sprint("Op", n-1) || order[n-1] != "Op0" {
			t.Errorf("MaxResults %d: %d events, first %s last %s", page, len(order), order[0], order[len(order)-1])
		}
	}
	// A token is bound to its query.
	out, err := f.lookup(t, `{"MaxResults":5}`)
	if err != nil || out.NextToken == "" {
		t.Fatalf("%v %v", out, err)
	}
	_, err = f.lookup(t, `{"MaxResults":5,"NextToken":"`+out.NextToken+`","LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"Op1"}]}`)
	wantCode(t, err, "InvalidNextTokenException")
	out2, err := f.lookup(t, `{"MaxResults":5,"NextToken":"`+out.NextToken+`"}`)
	if err != nil || len(out2.Events) != 5 || out2.Events[0].EventName != fmt.Sprint("Op", n-6) {
		t.Errorf("second page %v %v", names(out2), err)
	}
}

func TestLookupErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct{ body, code string }{
		{`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"a"},{"AttributeKey":"Username","AttributeValue":"b"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"Color","AttributeValue":"a"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"EventName"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":""}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"maybe"}]}`, "InvalidLookupAttributesException"},
		{`{"StartTime":200,"EndTime":100}`, "InvalidTimeRangeException"},
		{`{"MaxResults":0}`, "InvalidMaxResultsException"},
		{`{"MaxResults":51}`, "InvalidMaxResultsException"},
		{`{"NextToken":"garbage!"}`, "InvalidNextTokenException"},
		{`{"NextToken":"Zm9vOmJhcg"}`, "InvalidNextTokenException"},
		{`{"EventCategory":"management"}`, "InvalidEventCategoryException"},
		{`{"EventCategory":"Management"}`, "InvalidEventCategoryException"},
		{`{"EventCategory":"Data"}`, "InvalidEventCategoryException"},
		{`{"EventCategory":""}`, "InvalidEventCategoryException"},
		{`{"MaxResults":"x"}`, "SerializationException"},
	}
	for _, tt := range tests {
		_, err := f.lookup(t, tt.body)
		wantCode(t, err, tt.code)
	}
	out, err := f.lookup(t, `{"EventCategory":"insight"}`)
	if err != nil || out.Events == nil || len(out.Events) != 0 {
		t.Errorf("insight lookup = %+v, %v", out, err)
	}
}

// TestLookupLeavesOutDataEvents records data events beside management
// events: event history shows only the management events, by any filter and
// across pages, while the store keeps both.
func TestLookupLeavesOutDataEvents(t *testing.T) {
	f := newFixture(t)
	f.seed() // seven management events from base
	fnARN := "arn:aws:lambda:us-east-1:" + acct + ":function:my-fn"
	for i, op := range []string{"Invoke", "InvokeAsync", "Invoke"} {
		f.rec.Record(trail.Entry{Time: base.Add(time.Duration(i)*time.Second + 500*time.Millisecond), Service: lambdaSvc,
			Operation: op, Principal: fnRole, Account: acct, Region: "us-east-1", Category: api.Data,
			Details:   api.TrailDetails{Resources: []api.TrailResource{{ARN: fnARN, AccountID: acct, Type: "AWS::Lambda::Function"}}},
			Decisions: []api.Decision{{Action: "lambda:InvokeFunction", Resource: fnARN, Decision: "Allow"}}})
	}
	for _, body := range []string{
		`{}`,
		`{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"my-fn"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"Invoke"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"` + fnARN + `"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"AccessKeyId","AttributeValue":"ASIAFN"}]}`,
	} {
		out, err := f.lookup(t, body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		for _, e := range out.Events {
			var rec struct {
				EventCategory   string `json:"eventCategory"`
				ManagementEvent bool   `json:"managementEvent"`
			}
			if err := json.Unmarshal([]byte(e.CloudTrailEvent), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.EventCategory != "Management" || !rec.ManagementEvent {
				t.Errorf("%s: %s is a %s event", body, e.EventName, rec.EventCategory)
			}
		}
	}
	out, err := f.lookup(t, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"Invoke"}]}`)
	if err != nil || len(out.Events) != 1 || !json.Valid([]byte(out.Events[0].CloudTrailEvent)) {
		t.Fatalf("Invoke lookup: %+v %v; want the one management Invoke", out, err)
	}

	// Pages hold management events only, and none is lost or repeated.
	seen := 0
	token := ""
	for {
		body := `{"MaxResults":2}`
		if token != "" {
			body = `{"MaxResults":2,"NextToken":"` + token + `"}`
		}
		out, err := f.lookup(t, body)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(out.Events)
		if token = out.NextToken; token == "" {
			break
		}
	}
	if seen != 7 {
		t.Errorf("paged through %d events, want the 7 management events", seen)
	}

	evs, _, err := f.rec.Store().QueryEvents(context.Background(), store.EventQuery{Category: store.CategoryData, PrincipalARN: fnRole.RoleARN})
	if err != nil || len(evs) != 3 {
		t.Fatalf("data events in the store: %d, %v; want 3", len(evs), err)
	}
	if ds, err := trail.Decisions(evs[0]); err != nil || len(ds) != 1 || ds[0].Action != "lambda:InvokeFunction" {
		t.Errorf("decisions of a data event: %+v %v", ds, err)
	}
	var rec map[string]any
	json.Unmarshal(evs[0].Record, &rec)
	if rec["eventCategory"] != "Data" || rec["managementEvent"] != false || rec["eventType"] != "AwsApiCall" {
		t.Errorf("data event record: %s", evs[0].Record)
	}
}

func TestOperationTable(t *testing.T) {
	svc := New(nil, "us-east-1")
	op := svc.Operations["LookupEvents"]
	if svc.Name != "cloudtrail" || svc.TargetPrefix != TargetPrefix || svc.Protocols[0] != "awsJson1_1" || svc.EventSource != "cloudtrail.amazonaws.com" {
		t.Errorf("service = %+v", svc)
	}
	if op.Action != "cloudtrail:LookupEvents" || !op.ReadOnly || op.Resource != nil {
		t.Errorf("operation = %+v", op)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var se *api.Error
	if !errors.As(err, &se) || se.Code != code || se.Status != 400 || se.Message == "" {
		t.Errorf("error = %v, want %s", err, code)
	}
}

// Each account's event history holds the events recorded in it.
func TestLookupEventsByAccount(t *testing.T) {
	f := newFixture(t)
	other := &api.Principal{Type: api.Root, Account: "210987654321", ARN: "arn:aws:iam::210987654321:root"}
	f.rec.Record(trail.Entry{Service: lambdaSvc, Operation: "Mine", Principal: alice, Account: acct})
	f.rec.Record(trail.Entry{Service: lambdaSvc, Operation: "Theirs", Principal: other, Account: "210987654321"})
	out, err := f.lookup(t, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(out); len(got) != 1 || got[0] != "Mine" {
		t.Errorf("events of %s = %v", acct, got)
	}
}

// TestChecksFollowModel holds the hand-written checks of LookupEvents to the
// model's constraints: CloudTrail words them itself, but the bounds are the
// model's.
func TestChecksFollowModel(t *testing.T) {
	ms, err := shape.Load()
	if err != nil {
		t.Fatal(err)
	}
	m := ms["cloudtrail"]
	if m == nil || m.Operations["LookupEvents"] != "LookupEventsRequest" {
		t.Fatalf("no LookupEvents in the model")
	}
	member := func(structure, name string) *shape.Shape {
		t.Helper()
		for _, mem := range m.Shapes[structure].Members {
			if mem.Name == name {
				return m.Shapes[mem.Shape]
			}
		}
		t.Fatalf("%s has no member %s", structure, name)
		return nil
	}
	bounds := func(s *shape.Shape) (lo, hi float64) {
		if s.Min != nil {
			lo = *s.Min
		}
		if s.Max != nil {
			hi = *s.Max
		}
		return lo, hi
	}

	key := member("LookupAttribute", "AttributeKey")
	if len(key.Enum) != len(attributeKeys) {
		t.Errorf("attribute keys %v, model %v", attributeKeys, key.Enum)
	}
	for _, k := range key.Enum {
		if !attributeKeys[k] {
			t.Errorf("model key %s is refused", k)
		}
	}
	if lo, hi := bounds(member("LookupAttribute", "AttributeValue")); lo != 1 || hi != maxAttributeValue {
		t.Errorf("attribute value length %v..%v, checked 1..%d", lo, hi, maxAttributeValue)
	}
	if lo, hi := bounds(member("LookupEventsRequest", "MaxResults")); lo != 1 || hi != maxResults {
		t.Errorf("MaxResults %v..%v, checked 1..%d", lo, hi, maxResults)
	}
	if c := member("LookupEventsRequest", "EventCategory"); len(c.Enum) != 1 || c.Enum[0] != "insight" {
		t.Errorf("event categories %v, handled insight", c.Enum)
	}

	// The wording at each bound is CloudTrail's.
	f := newFixture(t)
	for _, tt := range []struct{ body, code, msg string }{
		{`{"LookupAttributes":[{"AttributeKey":"Color","AttributeValue":"a"}]}`, "InvalidLookupAttributesException",
			`Lookup attribute key "Color" is not valid. Valid keys are EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource and AccessKeyId.`},
		{`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"` + strings.Repeat("a", maxAttributeValue+1) + `"}]}`, "InvalidLookupAttributesException",
			"Lookup attribute value must be between 1 and 2000 characters."},
		{`{"MaxResults":51}`, "InvalidMaxResultsException", "MaxResults must be between 1 and 50."},
		{`{"EventCategory":"Data"}`, "InvalidEventCategoryException", "Event category Data is not valid."},
	} {
		_, err := f.lookup(t, tt.body)
		var se *api.Error
		if !errors.As(err, &se) || se.Code != tt.code || se.Message != tt.msg {
			t.Errorf("%.60s: %v, want %s: %s", tt.body, err, tt.code, tt.msg)
		}
	}
	if out, err := f.lookup(t, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"`+strings.Repeat("a", maxAttributeValue)+`"}],"MaxResults":50}`); err != nil || len(out.Events) != 0 {
		t.Errorf("longest value, largest page: %v %v", out, err)
	}
}
