package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// summaryLine is a summary in a form tests compare: first and last second,
// principal, action, resource, decision, count and first event.
func summaryLine(s store.AccessSummary) string {
	return fmt.Sprintf("%s-%s %s", s.Time.Format("15:04:05"), s.Last.Format("15:04:05"), accessLine(s.Access))
}

// sumRows is SummarizeAccess done by hand over QueryAccess's rows.
func sumRows(rows []store.Access) []string {
	type group struct{ s store.AccessSummary }
	byKey := map[store.Access]*group{}
	var order []store.Access
	for _, a := range rows {
		k := a
		k.Time, k.Count, k.EventID = time.Time{}, 0, ""
		g := byKey[k]
		if g == nil {
			g = &group{s: store.AccessSummary{Access: a, Last: a.Time}}
			g.s.Count = 0
			byKey[k] = g
			order = append(order, k)
		}
		g.s.Count += a.Count
		g.s.Last = a.Time
	}
	var out []string
	for _, k := range order {
		out = append(out, summaryLine(byKey[k].s))
	}
	slices.Sort(out)
	return out
}

// testSummarizeAccess checks SummarizeAccess against QueryAccess's rows
// summed by hand, for every kind of selection: rows that agree in all but
// their second are one summary with the counts summed, the first second,
// the last second and the first row's event; summaries come in the order
// of their first rows; stopping early is not an error.
func testSummarizeAccess(t *testing.T, e Engine) {
	ctx := context.Background()
	st := e.Open(t)
	const (
		account = "123456789012"
		role    = "arn:aws:iam::123456789012:role/app"
		user    = "arn:aws:iam::123456789012:user/alice"
	)
	base := time.Date(2026, 4, 5, 6, 0, 0, 0, time.UTC)
	actions := []string{"dynamodb:GetItem", "dynamodb:PutItem", "s3:GetObject", "logs:PutLogEvents"}
	// 600 decisions over 200 seconds, appended in three batches whose
	// times interleave, so that a summary's first row is not its first
	// written.
	var batches [3][]store.Event
	for i := range 600 {
		sec := (i * 7) % 200
		principal, issuer := fmt.Sprintf("arn:aws:sts::123456789012:assumed-role/app/s%d", i%3), role
		if i%5 == 0 {
			principal, issuer = user, ""
		}
		acct := account
		if i%11 == 0 {
			acct = "210987654321"
		}
		at := base.Add(time.Duration(sec)*time.Second + time.Duration(i%10)*time.Millisecond)
		id := fmt.Sprintf("e%04d", i)
		a := store.Access{Time: at, Account: acct, PrincipalARN: principal, IssuerARN: issuer,
			EventSource: "x.amazonaws.com", EventName: "X", Action: actions[i%len(actions)],
			Resource: fmt.Sprintf("arn:aws:s3:::b/%d", i%6), Decision: []string{"Allow", "ImplicitDeny"}[i%7/6],
			Extra: i%13 == 0, InvokedBy: []string{"", "lambda.amazonaws.com"}[i%2], Request: fmt.Sprintf("r%d", i%4), Count: 1}
		batches[i%3] = append(batches[i%3], store.Event{ID: id, Time: at, Name: "X", Source: "x.amazonaws.com",
			Account: acct, Record: []byte(`{}`), Accesses: []store.Access{a}})
	}
	for _, b := range []int{2, 0, 1} {
		if err := st.AppendEvents(ctx, batches[b]); err != nil {
			t.Fatal(err)
		}
	}
	summarize := func(q store.AccessQuery) []store.AccessSummary {
		t.Helper()
		var out []store.AccessSummary
		for s, err := range st.SummarizeAccess(ctx, q) {
			if err != nil {
				t.Fatalf("SummarizeAccess %+v: %v", q, err)
			}
			out = append(out, s)
		}
		return out
	}
	for _, q := range []store.AccessQuery{
		{},
		{PrincipalARN: role},
		{PrincipalARN: user},
		{Account: account},
		{PrincipalARN: role, Account: account, Start: base.Add(50 * time.Second), End: base.Add(120 * time.Second)},
		{Start: base.Add(10*time.Second + time.Millisecond)},
		{PrincipalARN: "arn:aws:iam::123456789012:role/none"},
	} {
		got := summarize(q)
		var lines []string
		var total int64
		for i, s := range got {
			lines = append(lines, summaryLine(s))
			total += s.Count
			if i > 0 && s.Time.Before(got[i-1].Time) {
				t.Errorf("%+v: summary %d begins at %v, before the one ahead of it (%v)", q, i, s.Time, got[i-1].Time)
			}
			if s.Time.Location() != time.UTC || s.Last.Location() != time.UTC {
				t.Errorf("%+v: times %v %v are not UTC", q, s.Time, s.Last)
			}
		}
		slices.Sort(lines)
		rows := collectAccess(t, st, q)
		var rowTotal int64
		for _, a := range rows {
			rowTotal += a.Count
		}
		if want := sumRows(rows); !slices.Equal(lines, want) {
			t.Errorf("%+v: summaries:\n%s\nwant:\n%s", q, strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		if total != rowTotal {
			t.Errorf("%+v: summaries count %d decisions, rows %d", q, total, rowTotal)
		}
	}
	// Every field round-trips, and summaries stand for rows of many
	// seconds.
	var first *store.AccessSummary
	spread := 0
	all := summarize(store.AccessQuery{})
	for i, s := range all {
		if s.EventID == "e0000" {
			first = &all[i]
		}
		if s.Count > 1 && s.Last.After(s.Time) {
			spread++
		}
	}
	want := store.AccessSummary{Access: store.Access{Time: base, Account: "210987654321", PrincipalARN: user,
		EventSource: "x.amazonaws.com", EventName: "X", Action: "dynamodb:GetItem", Resource: "arn:aws:s3:::b/0",
		Decision: "Allow", Extra: true, Request: "r0", Count: 1, EventID: "e0000"}, Last: base}
	if first == nil || *first != want {
		t.Errorf("summary of e0000:\n got %+v\nwant %+v", first, want)
	}
	if spread < 10 {
		t.Errorf("%d of %d summaries stand for rows of more than one second", spread, len(all))
	}
	// Stopping early ends the sequence without an error.
	for _, err := range st.SummarizeAccess(ctx, store.AccessQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
}
