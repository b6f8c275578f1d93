package unused

import (
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/store"
)

func rows(rs ...store.Access) iter.Seq2[store.Access, error] {
	return func(yield func(store.Access, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestAnalyze(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	start, end := t0.Add(24*time.Hour), t0.Add(48*time.Hour)
	grants := []access.ServiceReach{
		{Service: "dynamodb", Name: "Amazon DynamoDB", Actions: []access.ActionReach{
			{Action: "dynamodb:GetItem", Resources: []string{"*"}},
			{Action: "dynamodb:PutItem", Resources: []string{"*"}},
		}},
		{Service: "s3", Name: "Amazon S3", Actions: []access.ActionReach{{Action: "s3:GetObject", Resources: []string{"arn:aws:s3:::b/*"}}}},
		{Service: "sqs", Name: "Amazon SQS", Actions: []access.ActionReach{{Action: "sqs:SendMessage", Resources: []string{"*"}}}},
	}
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/t"
	r, err := Analyze(rows(
		// Before the range: PutItem and GetObject, which count as last uses only.
		store.Access{Time: t0, Action: "dynamodb:PutItem", Resource: table, Decision: "Allow", Count: 1},
		store.Access{Time: t0.Add(time.Hour), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Decision: "Allow", Count: 1},
		// In the range: GetItem twice, a denied SendMessage (not a use of it).
		store.Access{Time: start.Add(time.Hour), Action: "dynamodb:GetItem", Resource: table, Decision: "Allow", Count: 2},
		store.Access{Time: start.Add(2 * time.Hour), Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:123456789012:q", Decision: "ImplicitDeny", Count: 1, EventID: "e-deny"},
		// After the range: ignored.
		store.Access{Time: end.Add(time.Hour), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Decision: "Allow", Count: 1},
	), grants, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Used || !r.LastUsed.Equal(start.Add(2*time.Hour)) {
		t.Errorf("used %v last %v", r.Used, r.LastUsed)
	}
	if len(r.UsedActions) != 1 || r.UsedActions[0].Action != "dynamodb:GetItem" || r.UsedActions[0].Count != 2 ||
		!slices.Equal(r.UsedActions[0].Resources, []string{table}) {
		t.Errorf("used actions: %+v", r.UsedActions)
	}
	var got []string
	for _, s := range r.Unused {
		for _, a := range s.Actions {
			got = append(got, s.Service+" "+a.Action+" "+a.LastAccessed.Format(time.RFC3339))
		}
	}
	want := []string{
		"dynamodb dynamodb:PutItem 2026-11-01T00:00:00Z",
		"s3 s3:GetObject 2026-11-01T01:00:00Z",
		"sqs sqs:SendMessage 0001-01-01T00:00:00Z",
	}
	if !slices.Equal(got, want) {
		t.Errorf("unused:\n%v\nwant\n%v", got, want)
	}
	if len(r.Denied) != 1 || r.Denied[0].Action != "sqs:SendMessage" || r.Denied[0].Decision != "ImplicitDeny" || r.Denied[0].Count != 1 ||
		!slices.Equal(r.Denied[0].Resources, []string{"arn:aws:sqs:us-east-1:123456789012:q"}) || r.Denied[0].EventID != "e-deny" ||
		!r.Denied[0].Last.Equal(start.Add(2*time.Hour)) {
		t.Errorf("denied: %+v", r.Denied)
	}
	if r.Unused[0].Whole || !r.Unused[1].Whole || !r.Unused[2].Whole {
		t.Errorf("whole services: %+v", r.Unused)
	}

	// No call in the range: not used, everything unused.
	r, err = Analyze(rows(store.Access{Time: t0, Action: "dynamodb:GetItem", Decision: "Allow", Count: 1}), grants, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if r.Used || !r.LastUsed.Equal(t0) || len(r.UsedActions) != 0 || len(r.Unused) != 3 || len(r.Denied) != 0 {
		t.Errorf("idle: %+v", r)
	}
}

// TestAnalyzeBroadResources: an action used on some resources but granted
// on more (a wildcard beyond the use, a pattern never used, a NotResource
// grant) is reported with the resources a generated policy would name; a
// grant exactly as generated, a collapse generation makes itself, and an
// action that takes no resource ("*") are not.
func TestAnalyzeBroadResources(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/t"
	grants := []access.ServiceReach{
		{Service: "dynamodb", Actions: []access.ActionReach{
			{Action: "dynamodb:GetItem", Resources: []string{"*"}},
			{Action: "dynamodb:PutItem", Resources: []string{table, "arn:aws:dynamodb:us-east-1:123456789012:table/other"}},
			{Action: "dynamodb:Query", Resources: []string{table}},
			{Action: "dynamodb:ListTables", Resources: []string{"*"}},
			{Action: "dynamodb:Scan", Resources: []string{"all but " + table}},
		}},
		{Service: "s3", Actions: []access.ActionReach{{Action: "s3:GetObject", Resources: []string{"arn:aws:s3:::b/logs/*"}}}},
	}
	at := start.Add(time.Minute)
	rs := []store.Access{
		{Time: at, Action: "dynamodb:GetItem", Resource: table, Decision: "Allow", Count: 1},
		{Time: at, Action: "dynamodb:PutItem", Resource: table, Decision: "Allow", Count: 1},
		{Time: at, Action: "dynamodb:Query", Resource: table, Decision: "Allow", Count: 1},
		{Time: at, Action: "dynamodb:ListTables", Resource: "*", Decision: "Allow", Count: 1},
		{Time: at, Action: "dynamodb:Scan", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/x", Decision: "Allow", Count: 1},
	}
	// More objects under one prefix than generation names one by one.
	for i := range 12 {
		rs = append(rs, store.Access{Time: at, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/logs/" + string(rune('a'+i)), Decision: "Allow", Count: 1})
	}
	r, err := Analyze(rows(rs...), grants, start, end)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range r.Broad {
		got = append(got, b.Action+" "+strings.Join(b.Resources, ",")+" -> "+strings.Join(b.UsedOn, ","))
	}
	want := []string{
		"dynamodb:GetItem * -> " + table,
		"dynamodb:PutItem arn:aws:dynamodb:us-east-1:123456789012:table/other -> " + table,
		"dynamodb:Scan all but " + table + " -> arn:aws:dynamodb:us-east-1:123456789012:table/x",
	}
	if !slices.Equal(got, want) {
		t.Errorf("broad:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(r.Unused) != 0 {
		t.Errorf("unused: %+v", r.Unused)
	}
}
