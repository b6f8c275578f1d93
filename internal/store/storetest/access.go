package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// collectAccess returns the rows q selects, failing the test on an error.
func collectAccess(t *testing.T, st store.Store, q store.AccessQuery) []store.Access {
	t.Helper()
	var out []store.Access
	for a, err := range st.QueryAccess(context.Background(), q) {
		if err != nil {
			t.Fatalf("QueryAccess %+v: %v", q, err)
		}
		out = append(out, a)
	}
	return out
}

// accessLine is a row in a form tests compare: time, principal, action,
// resource, decision, count and first event.
func accessLine(a store.Access) string {
	return fmt.Sprintf("%s %s %s %s %s %d %s", a.Time.Format("15:04:05"), a.PrincipalARN, a.Action, a.Resource, a.Decision, a.Count, a.EventID)
}

func accessLines(rows []store.Access) string {
	var out []string
	for _, a := range rows {
		out = append(out, accessLine(a))
	}
	return strings.Join(out, "\n")
}

// testAccess checks the access rows of appended events: decisions of one
// second that agree are summed, within a batch and across batches and
// handles, keeping the first event; every field round-trips; the principal
// filter finds a principal's rows and those of the sessions it issued; time
// bounds are inclusive; rows come oldest first; replay records are stored
// once by key and missing keys are absent.
func testAccess(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	b := e.Reopen(t, a)
	const (
		account = "123456789012"
		role    = "arn:aws:iam::123456789012:role/app"
		session = "arn:aws:sts::123456789012:assumed-role/app/fn"
		user    = "arn:aws:iam::123456789012:user/alice"
	)
	base := time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC)
	get := store.Access{Account: account, PrincipalARN: session, IssuerARN: role, EventSource: "dynamodb.amazonaws.com",
		EventName: "GetItem", Action: "dynamodb:GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/t",
		Decision: "Allow", Request: "req-get", Count: 1}
	pass := store.Access{Account: account, PrincipalARN: user, EventSource: "lambda.amazonaws.com",
		EventName: "CreateFunction", Action: "iam:PassRole", Resource: role, Decision: "ImplicitDeny", Extra: true, Count: 1}
	logs := store.Access{Account: account, PrincipalARN: session, IssuerARN: role, EventSource: "logs.amazonaws.com",
		EventName: "PutLogEvents", Action: "logs:PutLogEvents", Resource: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*",
		Decision: "Allow", InvokedBy: "lambda.amazonaws.com", Count: 1}
	at := func(a store.Access, d time.Duration) store.Access { a.Time = base.Add(d); return a }
	event := func(id string, d time.Duration, acc ...store.Access) store.Event {
		ev := store.Event{ID: id, Time: base.Add(d), Name: "X", Source: "test.amazonaws.com", Account: account, Record: []byte(`{}`)}
		for _, x := range acc {
			ev.Accesses = append(ev.Accesses, at(x, d))
		}
		return ev
	}
	// One batch: two GetItem in the same second (different milliseconds)
	// are one row; the same GetItem a second later is another.
	first := []store.Event{
		event("e1", 100*time.Millisecond, get, logs),
		event("e2", 900*time.Millisecond, get),
		event("e3", 1100*time.Millisecond, get),
		event("e4", 2*time.Second, pass),
	}
	first[0].Requests = map[string][]byte{"req-get": []byte(`{"action":"dynamodb:GetItem"}`)}
	first[1].Requests = map[string][]byte{"req-get": []byte(`{"action":"dynamodb:GetItem"}`)}
	if err := a.AppendEvents(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Later batches, on both handles, add to the rows of e1 and e4.
	if err := b.AppendEvents(ctx, []store.Event{event("e5", 500*time.Millisecond, get)}); err != nil {
		t.Fatal(err)
	}
	second := event("e6", 2*time.Second+999*time.Millisecond, pass)
	second.Requests = map[string][]byte{"req-get": []byte(`{"changed":true}`)} // content-addressed: the first stays
	if err := a.AppendEvents(ctx, []store.Event{second}); err != nil {
		t.Fatal(err)
	}

	all := collectAccess(t, a, store.AccessQuery{})
	want := strings.Join([]string{
		"06:07:08 " + session + " dynamodb:GetItem arn:aws:dynamodb:us-east-1:123456789012:table/t Allow 3 e1",
		"06:07:08 " + session + " logs:PutLogEvents arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:* Allow 1 e1",
		"06:07:09 " + session + " dynamodb:GetItem arn:aws:dynamodb:us-east-1:123456789012:table/t Allow 1 e3",
		"06:07:10 " + user + " iam:PassRole " + role + " ImplicitDeny 2 e4",
	}, "\n")
	if got := accessLines(all); got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
	if got := accessLines(collectAccess(t, b, store.AccessQuery{})); got != want {
		t.Fatalf("rows through the other handle:\n%s\nwant:\n%s", got, want)
	}
	// Every field round-trips.
	wantGet := get
	wantGet.Time, wantGet.Count, wantGet.EventID = base, 3, "e1"
	wantLogs := logs
	wantLogs.Time, wantLogs.EventID = base, "e1"
	wantPass := pass
	wantPass.Time, wantPass.Count, wantPass.EventID = base.Add(2*time.Second), 2, "e4"
	for i, w := range map[int]store.Access{0: wantGet, 1: wantLogs, 3: wantPass} {
		if all[i] != w {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, all[i], w)
		}
		if all[i].Time.Location() != time.UTC {
			t.Errorf("row %d: time %v is not UTC", i, all[i].Time)
		}
	}

	for _, c := range []struct {
		name string
		q    store.AccessQuery
		want []int // indexes into all
	}{
		{"the role finds its sessions' rows", store.AccessQuery{PrincipalARN: role}, []int{0, 1, 2}},
		{"a session finds its own rows", store.AccessQuery{PrincipalARN: session}, []int{0, 1, 2}},
		{"a user", store.AccessQuery{PrincipalARN: user}, []int{3}},
		{"an unknown principal", store.AccessQuery{PrincipalARN: "arn:aws:iam::123456789012:role/none"}, nil},
		{"the account", store.AccessQuery{Account: account}, []int{0, 1, 2, 3}},
		{"another account", store.AccessQuery{Account: "210987654321"}, nil},
		{"start inclusive", store.AccessQuery{Start: base.Add(time.Second)}, []int{2, 3}},
		{"end inclusive", store.AccessQuery{End: base.Add(time.Second)}, []int{0, 1, 2}},
		{"a start within a second excludes it", store.AccessQuery{Start: base.Add(time.Second + time.Millisecond)}, []int{3}},
		{"an end within a second includes it", store.AccessQuery{End: base.Add(time.Second + 500*time.Millisecond)}, []int{0, 1, 2}},
		{"one second", store.AccessQuery{Start: base.Add(time.Second), End: base.Add(time.Second)}, []int{2}},
		{"principal, account and time", store.AccessQuery{PrincipalARN: role, Account: account, Start: base.Add(time.Second)}, []int{2}},
		{"principal in another account", store.AccessQuery{PrincipalARN: role, Account: "210987654321"}, nil},
	} {
		var wantRows []store.Access
		for _, i := range c.want {
			wantRows = append(wantRows, all[i])
		}
		if got := accessLines(collectAccess(t, a, c.q)); got != accessLines(wantRows) {
			t.Errorf("%s:\n%s\nwant:\n%s", c.name, got, accessLines(wantRows))
		}
	}

	// Stopping early ends the sequence without an error.
	n := 0
	for _, err := range a.QueryAccess(ctx, store.AccessQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 {
		t.Errorf("early stop: %d rows", n)
	}

	reqs, err := b.AccessRequests(ctx, []string{"req-get", "req-missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || string(reqs["req-get"]) != `{"action":"dynamodb:GetItem"}` {
		t.Errorf("AccessRequests: %q", reqs)
	}
	if reqs, err := a.AccessRequests(ctx, nil); err != nil || len(reqs) != 0 {
		t.Errorf("AccessRequests of no keys: %q %v", reqs, err)
	}
	// Many keys at once.
	var many []string
	for i := range 1200 {
		many = append(many, fmt.Sprintf("k%d", i))
	}
	many = append(many, "req-get")
	if reqs, err := a.AccessRequests(ctx, many); err != nil || len(reqs) != 1 {
		t.Errorf("AccessRequests of many keys: %d records, %v", len(reqs), err)
	}

	// Empty (a reset) deletes the rows and the records.
	if _, err := store.Empty(ctx, a); err != nil {
		t.Fatal(err)
	}
	if rows := collectAccess(t, a, store.AccessQuery{}); len(rows) != 0 {
		t.Errorf("rows after Empty: %s", accessLines(rows))
	}
	if reqs, err := a.AccessRequests(ctx, []string{"req-get"}); err != nil || len(reqs) != 0 {
		t.Errorf("records after Empty: %q %v", reqs, err)
	}
}

// testConcurrentAccess appends the same decision from many goroutines on
// two handles: every decision is counted once, in one row.
func testConcurrentAccess(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	b := e.Reopen(t, a)
	at := time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC)
	acc := store.Access{Time: at, Account: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:user/u",
		EventSource: "s3.amazonaws.com", EventName: "GetObject", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
		Decision: "Allow", Request: "r", Count: 1}
	const writers, batches = 6, 10
	var wg sync.WaitGroup
	for w := range writers {
		st := []store.Store{a, b}[w%2]
		wg.Go(func() {
			for i := range batches {
				ev := store.Event{ID: fmt.Sprintf("w%d-%d", w, i), Time: at, Name: "GetObject", Source: "s3.amazonaws.com",
					Record: []byte(`{}`), Accesses: []store.Access{acc, acc}, Requests: map[string][]byte{"r": []byte(`{}`)}}
				if err := st.AppendEvents(ctx, []store.Event{ev}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rows := collectAccess(t, b, store.AccessQuery{})
	if len(rows) != 1 || rows[0].Count != 2*writers*batches {
		t.Fatalf("rows: %s", accessLines(rows))
	}
	if !slices.Contains([]string{"w0-0", "w1-0", "w2-0", "w3-0", "w4-0", "w5-0"}, rows[0].EventID) {
		t.Errorf("first event %s is no writer's first", rows[0].EventID)
	}
}
