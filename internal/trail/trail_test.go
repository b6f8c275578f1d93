package trail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

const acct = "123456789012"

var (
	lambdaSvc = &api.Service{Name: "lambda", EventSource: "lambda.amazonaws.com"}
	iamSvc    = &api.Service{Name: "iam", EventSource: "iam.amazonaws.com", Global: true}

	rootP = &api.Principal{Type: api.Root, Account: acct, ARN: "arn:aws:iam::" + acct + ":root", AccessKeyID: "AKIAROOT"}
	userP = &api.Principal{Type: api.IAMUser, Account: acct, ARN: "arn:aws:iam::" + acct + ":user/alice",
		PrincipalID: "AIDAALICE", UserName: "alice", AccessKeyID: "AKIAALICE"}
	roleP = &api.Principal{Type: api.AssumedRole, Account: acct,
		ARN: "arn:aws:sts::" + acct + ":assumed-role/fn-role/my-fn", PrincipalID: "AROAFNROLE:my-fn",
		AccessKeyID: "ASIAFN", RoleARN: "arn:aws:iam::" + acct + ":role/fn-role", RoleName: "fn-role",
		RoleID: "AROAFNROLE", SessionName: "my-fn", SessionIssued: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	svcP = &api.Principal{Type: api.AWSService, PrincipalID: "lambda.amazonaws.com", InvokedBy: "lambda.amazonaws.com"}
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("record is not JSON: %v\n%s", err, b)
	}
	return m
}

func TestRecordFormat(t *testing.T) {
	when := time.Date(2024, 5, 1, 10, 5, 6, 789e6, time.UTC)
	base := Entry{Time: when, Service: lambdaSvc, Operation: "GetFunction", ReadOnly: true,
		SourceIP: "10.0.0.1", UserAgent: "aws-cli/2", RequestID: "req-1", Region: "eu-west-1", Account: acct,
		Details: api.TrailDetails{
			RequestParameters: map[string]any{"functionName": "my-fn"},
			ResponseElements:  map[string]any{"ok": true},
			Resources:         []api.TrailResource{{ARN: "arn:aws:lambda:eu-west-1:" + acct + ":function:my-fn", AccountID: acct, Type: "AWS::Lambda::Function"}},
		}}
	tests := []struct {
		name     string
		edit     func(e *Entry)
		identity string // expected userIdentity JSON
		username string
		check    func(t *testing.T, m map[string]any)
	}{
		{"root", func(e *Entry) { e.Principal = rootP },
			`{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012","accessKeyId":"AKIAROOT"}`, "root", nil},
		{"user", func(e *Entry) { e.Principal = userP },
			`{"type":"IAMUser","principalId":"AIDAALICE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAALICE","userName":"alice"}`, "alice", nil},
		{"role", func(e *Entry) { e.Principal = roleP },
			`{"type":"AssumedRole","principalId":"AROAFNROLE:my-fn","arn":"arn:aws:sts::123456789012:assumed-role/fn-role/my-fn","accountId":"123456789012","accessKeyId":"ASIAFN",` +
				`"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAFNROLE","arn":"arn:aws:iam::123456789012:role/fn-role","accountId":"123456789012","userName":"fn-role"},` +
				`"webIdFederationData":{},"attributes":{"creationDate":"2024-05-01T10:00:00Z","mfaAuthenticated":"false"}}}`, "my-fn", nil},
		{"role invoked by lambda", func(e *Entry) { e.Principal = roleP; e.InvokedBy = "lambda.amazonaws.com" },
			`{"type":"AssumedRole","principalId":"AROAFNROLE:my-fn","arn":"arn:aws:sts::123456789012:assumed-role/fn-role/my-fn","accountId":"123456789012","accessKeyId":"ASIAFN",` +
				`"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAFNROLE","arn":"arn:aws:iam::123456789012:role/fn-role","accountId":"123456789012","userName":"fn-role"},` +
				`"webIdFederationData":{},"attributes":{"creationDate":"2024-05-01T10:00:00Z","mfaAuthenticated":"false"}},"invokedBy":"lambda.amazonaws.com"}`, "my-fn",
			func(t *testing.T, m map[string]any) {
				if m["sourceIPAddress"] != "lambda.amazonaws.com" || m["userAgent"] != "lambda.amazonaws.com" {
					t.Errorf("source %v agent %v, want the invoking service", m["sourceIPAddress"], m["userAgent"])
				}
			}},
		{"service", func(e *Entry) {
			e.Principal = svcP
			e.Service = nil
			e.EventSource = "sts.amazonaws.com"
			e.Operation = "AssumeRole"
		},
			`{"type":"AWSService","invokedBy":"lambda.amazonaws.com"}`, "",
			func(t *testing.T, m map[string]any) {
				if m["eventSource"] != "sts.amazonaws.com" || m["eventName"] != "AssumeRole" {
					t.Errorf("source %v name %v", m["eventSource"], m["eventName"])
				}
			}},
		{"error", func(e *Entry) {
			e.Principal = userP
			e.ErrorCode = "AccessDenied"
			e.ErrorMessage = "User: x is not authorized"
		},
			`{"type":"IAMUser","principalId":"AIDAALICE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAALICE","userName":"alice"}`, "alice",
			func(t *testing.T, m map[string]any) {
				if m["errorCode"] != "AccessDenied" || m["errorMessage"] != "User: x is not authorized" {
					t.Errorf("error fields %v %v", m["errorCode"], m["errorMessage"])
				}
				if v, ok := m["responseElements"]; !ok || v != nil {
					t.Errorf("responseElements = %v (present %v), want null", v, ok)
				}
			}},
		{"global service", func(e *Entry) { e.Principal = userP; e.Service = iamSvc },
			`{"type":"IAMUser","principalId":"AIDAALICE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAALICE","userName":"alice"}`, "alice",
			func(t *testing.T, m map[string]any) {
				if m["awsRegion"] != "us-east-1" {
					t.Errorf("awsRegion %v, want us-east-1", m["awsRegion"])
				}
			}},
		{"anonymous", func(e *Entry) { e.Principal = nil },
			`{"type":"AWSAccount","accountId":"ANONYMOUS_PRINCIPAL"}`, "", nil},
		{"unencodable details", func(e *Entry) {
			e.Principal = userP
			e.Details.RequestParameters = map[string]any{"bad": make(chan int)}
		}, `{"type":"IAMUser","principalId":"AIDAALICE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAALICE","userName":"alice"}`, "alice",
			func(t *testing.T, m map[string]any) {
				if m["requestParameters"] != nil {
					t.Errorf("requestParameters = %v, want null", m["requestParameters"])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.edit(&e)
			ev, err := e.event()
			if err != nil {
				t.Fatal(err)
			}
			m := decode(t, ev.Record)
			id, _ := json.Marshal(m["userIdentity"])
			var want any
			json.Unmarshal([]byte(tt.identity), &want)
			wantJSON, _ := json.Marshal(want)
			if string(id) != string(wantJSON) {
				t.Errorf("userIdentity\n got %s\nwant %s", id, wantJSON)
			}
			if ev.Username != tt.username {
				t.Errorf("Username = %q, want %q", ev.Username, tt.username)
			}
			if m["eventVersion"] != "1.11" || m["eventType"] != "AwsApiCall" || m["eventCategory"] != "Management" ||
				m["managementEvent"] != true || m["recipientAccountId"] != acct || m["eventID"] != ev.ID || m["requestID"] != "req-1" {
				t.Errorf("fixed fields wrong: %s", ev.Record)
			}
			if m["eventTime"] != "2024-05-01T10:05:06Z" || !ev.Time.Equal(when) {
				t.Errorf("eventTime %v / %v", m["eventTime"], ev.Time)
			}
			if _, ok := m["tlsDetails"]; ok {
				t.Error("tlsDetails present")
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func TestEventFields(t *testing.T) {
	e := Entry{Time: time.Now(), Service: lambdaSvc, Operation: "Invoke", Principal: roleP, Region: "us-east-1", Account: acct,
		Details: api.TrailDetails{Resources: []api.TrailResource{
			{ARN: "arn:aws:lambda:us-east-1:" + acct + ":function:f", AccountID: acct, Type: "AWS::Lambda::Function"}}}}
	ev, err := e.event()
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name != "Invoke" || ev.Source != "lambda.amazonaws.com" || ev.AccessKeyID != "ASIAFN" || ev.Username != "my-fn" || ev.ReadOnly {
		t.Errorf("event = %+v", ev)
	}
	if len(ev.Resources) != 1 || ev.Resources[0] != (store.EventResource{Type: "AWS::Lambda::Function", Name: "arn:aws:lambda:us-east-1:" + acct + ":function:f"}) {
		t.Errorf("resources = %+v", ev.Resources)
	}
	m := decode(t, ev.Record)
	res := m["resources"].([]any)[0].(map[string]any)
	if res["ARN"] != ev.Resources[0].Name || res["accountId"] != acct || res["type"] != "AWS::Lambda::Function" {
		t.Errorf("record resources = %v", res)
	}
}

func TestEventCategoryAndPrincipals(t *testing.T) {
	for _, tt := range []struct {
		name                string
		category            api.Category
		principal           *api.Principal
		wantCategory        string
		wantManagement      bool
		wantARN, wantIssuer string
	}{
		{"default is management", "", userP, "Management", true, userP.ARN, ""},
		{"management", api.Management, rootP, "Management", true, rootP.ARN, ""},
		{"data by a role session", api.Data, roleP, "Data", false, roleP.ARN, roleP.RoleARN},
		{"data by an anonymous caller", api.Data, nil, "Data", false, "", ""},
		{"service", api.Management, svcP, "Management", true, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := Entry{Time: time.Now(), Service: lambdaSvc, Operation: "Invoke", Principal: tt.principal, Account: acct, Category: tt.category}
			ev, err := e.event()
			if err != nil {
				t.Fatal(err)
			}
			m := decode(t, ev.Record)
			if m["eventCategory"] != tt.wantCategory || m["managementEvent"] != tt.wantManagement || m["eventType"] != "AwsApiCall" {
				t.Errorf("eventCategory %v managementEvent %v eventType %v", m["eventCategory"], m["managementEvent"], m["eventType"])
			}
			if ev.Category != tt.wantCategory || ev.PrincipalARN != tt.wantARN || ev.IssuerARN != tt.wantIssuer {
				t.Errorf("event category %q principal %q issuer %q", ev.Category, ev.PrincipalARN, ev.IssuerARN)
			}
			if ev.Decisions != nil {
				t.Errorf("decisions %s for an entry without any", ev.Decisions)
			}
		})
	}
}

func TestDecisionsRoundTrip(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{Logger: quiet()})
	ctx := context.Background()
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:f"
	role := "arn:aws:iam::" + acct + ":role/fn-exec"
	decisions := []api.Decision{
		{Action: "lambda:CreateFunction", Resource: fn, Decision: "Allow", Source: "identity-based policy",
			Statements: []api.Statement{{Policy: "arn:aws:iam::aws:policy/AWSLambda_FullAccess", Sid: "Full", Index: 0, Effect: "Allow", Source: "identity-based policy"}}},
		{Action: "iam:PassRole", Resource: role, Decision: "ExplicitDeny", Source: "identity-based policy", Extra: true,
			Statements: []api.Statement{{Policy: "inline", Index: 2, Effect: "Deny", Source: "identity-based policy"}}},
	}
	r.Record(Entry{Service: lambdaSvc, Operation: "CreateFunction", Principal: roleP, Account: acct,
		ErrorCode: "AccessDeniedException", Decisions: decisions})
	r.Record(Entry{Service: lambdaSvc, Operation: "Invoke", Principal: roleP, Account: acct, Category: api.Data,
		Decisions: []api.Decision{{Action: "lambda:InvokeFunction", Resource: fn, Decision: "Allow"}}})
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := st.QueryEvents(ctx, store.EventQuery{PrincipalARN: roleP.RoleARN})
	if err != nil || len(evs) != 2 {
		t.Fatalf("events of the role: %d, %v", len(evs), err)
	}
	got, err := Decisions(evs[1])
	if err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(decisions)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("decisions\n got %s\nwant %s", gotJSON, wantJSON)
	}
	if strings.Contains(string(evs[1].Record), "iam:PassRole") || strings.Contains(string(evs[1].Record), "ecisions") {
		t.Errorf("decisions leaked into the CloudTrail record: %s", evs[1].Record)
	}
	if evs[0].Category != "Data" || evs[1].Category != "Management" {
		t.Errorf("categories %q %q", evs[0].Category, evs[1].Category)
	}
	if ds, err := Decisions(store.Event{}); ds != nil || err != nil {
		t.Errorf("no decisions: %v %v", ds, err)
	}
	if _, err := Decisions(store.Event{ID: "x", Decisions: []byte("{")}); err == nil {
		t.Error("garbled decisions decoded")
	}
}

func TestRecorderRoundTrip(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{Logger: quiet()})
	ctx := context.Background()
	const n = 1000
	start := time.Now().Add(-time.Hour)
	for i := range n {
		r.Record(Entry{Time: start.Add(time.Duration(i) * time.Millisecond), Service: lambdaSvc,
			Operation: fmt.Sprintf("Op%d", i%3), Principal: userP, Account: acct})
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.Written(); got != n {
		t.Fatalf("Written = %d, want %d", got, n)
	}
	evs, _, err := st.QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: "Op1", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 333 {
		t.Errorf("Op1 events = %d, want 333", len(evs))
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Dropped() != 0 {
		t.Errorf("Dropped = %d", r.Dropped())
	}
	if err := r.Flush(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
	r.Record(Entry{Operation: "late"})
	if r.Dropped() != 1 {
		t.Errorf("Record after Close: Dropped = %d, want 1", r.Dropped())
	}
}

// gatedStore blocks AppendEvents until gate is closed, or fails with err.
type gatedStore struct {
	store.Store
	gate    chan struct{}
	err     error
	mu      sync.Mutex
	written int
}

func (g *gatedStore) AppendEvents(ctx context.Context, evs []store.Event) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	if g.err != nil {
		return g.err
	}
	g.mu.Lock()
	g.written += len(evs)
	g.mu.Unlock()
	return nil
}

func TestRecorderFullQueue(t *testing.T) {
	var logs safeBuffer
	g := &gatedStore{gate: make(chan struct{})}
	r := New(g, Options{QueueSize: 4, BatchSize: 2, Wait: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	const n = 50
	begin := time.Now()
	for range n {
		r.Record(Entry{Operation: "X", Principal: userP})
	}
	if d := time.Since(begin); d > time.Second {
		t.Errorf("Record blocked for %v with a stuck store", d)
	}
	dropped := r.Dropped()
	if dropped == 0 || dropped >= n {
		t.Fatalf("Dropped = %d, want some of %d", dropped, n)
	}
	if !logs.contains("DROPPED") {
		t.Errorf("drops not logged: %q", logs.String())
	}
	close(g.gate)
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := uint64(g.written) + r.Dropped(); got != n {
		t.Errorf("written %d + dropped %d = %d, want %d", g.written, r.Dropped(), got, n)
	}
}

func TestRecorderStoreFailure(t *testing.T) {
	g := &gatedStore{gate: make(chan struct{}), err: errors.New("disk full")}
	close(g.gate)
	r := New(g, Options{Retries: -1, Logger: quiet()})
	r.Record(Entry{Operation: "X"})
	r.Record(Entry{Operation: "Y"})
	err := r.Flush(context.Background())
	if err == nil || !errors.Is(err, g.err) {
		t.Errorf("Flush = %v, want the store error", err)
	}
	if r.Dropped() != 2 {
		t.Errorf("Dropped = %d, want 2", r.Dropped())
	}
	r.Close(context.Background())
}

func TestRecorderCloseTimeout(t *testing.T) {
	g := &gatedStore{gate: make(chan struct{})} // never opens
	r := New(g, Options{Logger: quiet()})
	r.Record(Entry{Operation: "X"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v", err)
	}
	<-r.done
	if r.Dropped() != 1 {
		t.Errorf("Dropped = %d, want 1", r.Dropped())
	}
}

func TestFlushContext(t *testing.T) {
	g := &gatedStore{gate: make(chan struct{})}
	r := New(g, Options{Logger: quiet()})
	defer func() { close(g.gate); r.Close(context.Background()) }()
	r.Record(Entry{Operation: "X"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := r.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush = %v, want deadline exceeded", err)
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

func (s *safeBuffer) contains(sub string) bool { return strings.Contains(s.String(), sub) }

// A Flush does not wait out the linger of a batch being filled: the
// batch is written at once and the Flush returns with the entry stored.
func TestFlushEndsLinger(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{Linger: time.Hour, Logger: quiet()})
	defer r.Close(context.Background())
	for i := range 20 {
		e := benchEntry()
		e.RequestID = fmt.Sprintf("linger-%d", i)
		r.Record(e)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.Flush(ctx)
		cancel()
		if err != nil {
			t.Fatalf("flush %d: %v", i, err)
		}
		evs, _, err := st.QueryEvents(context.Background(), store.EventQuery{Limit: 50})
		if err != nil || len(evs) != i+1 {
			t.Fatalf("after flush %d: %d events stored, %v", i, len(evs), err)
		}
	}
}
