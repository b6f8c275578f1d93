package trail

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// TestAccessRows records calls with decisions and checks the access rows
// they write: one per second and distinct decision, counted, with the
// event's principal, issuer, source and name and the first event's ID;
// and one replay record per distinct request, under the key the rows name.
func TestAccessRows(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{Logger: quiet()})
	ctx := context.Background()
	when := time.Date(2024, 5, 1, 10, 5, 6, 0, time.UTC)
	table := "arn:aws:dynamodb:us-east-1:" + acct + ":table/t"
	reqA := json.RawMessage(`{"action":"dynamodb:GetItem","context":[{"key":"dynamodb:LeadingKeys","values":["a"]}]}`)
	reqB := json.RawMessage(`{"action":"dynamodb:GetItem","context":[{"key":"dynamodb:LeadingKeys","values":["b"]}]}`)
	get := func(rec json.RawMessage) api.Decision {
		return api.Decision{Action: "dynamodb:GetItem", Resource: table, Decision: "Allow", Replay: rec}
	}
	dynamo := &api.Service{Name: "dynamodb", EventSource: "dynamodb.amazonaws.com"}
	entries := []Entry{
		{Time: when.Add(100 * time.Millisecond), Service: dynamo, Operation: "GetItem", Principal: roleP, Account: acct,
			Decisions: []api.Decision{get(reqA)}},
		{Time: when.Add(200 * time.Millisecond), Service: dynamo, Operation: "GetItem", Principal: roleP, Account: acct,
			Decisions: []api.Decision{get(reqA)}},
		{Time: when.Add(300 * time.Millisecond), Service: dynamo, Operation: "GetItem", Principal: roleP, Account: acct,
			Decisions: []api.Decision{get(reqB)}},
		{Time: when.Add(1500 * time.Millisecond), Service: dynamo, Operation: "GetItem", Principal: roleP, Account: acct,
			Decisions: []api.Decision{get(reqA)}},
		{Time: when.Add(400 * time.Millisecond), Service: lambdaSvc, Operation: "CreateFunction", Principal: userP, Account: acct,
			ErrorCode: "AccessDeniedException", Decisions: []api.Decision{
				{Action: "lambda:CreateFunction", Resource: "arn:aws:lambda:us-east-1:" + acct + ":function:f", Decision: "Allow"},
				{Action: "iam:PassRole", Resource: roleP.RoleARN, Decision: "ImplicitDeny", Extra: true},
			}},
		{Time: when.Add(500 * time.Millisecond), EventSource: "logs.amazonaws.com", Operation: "PutLogEvents", Principal: roleP,
			Account: acct, InvokedBy: "lambda.amazonaws.com", Decisions: []api.Decision{
				{Action: "logs:PutLogEvents", Resource: "arn:aws:logs:us-east-1:" + acct + ":log-group:/aws/lambda/f:*", Decision: "Allow"}}},
		{Time: when, Service: lambdaSvc, Operation: "ListFunctions", Principal: userP, Account: acct}, // no decisions: no rows
	}
	for _, e := range entries {
		r.Record(e)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := st.QueryEvents(ctx, store.EventQuery{Limit: 50})
	if err != nil || len(evs) != len(entries) {
		t.Fatalf("events: %d, %v", len(evs), err)
	}
	ids := map[string]string{} // "operation@millis" → event ID
	for _, ev := range evs {
		ids[fmt.Sprintf("%s@%d", ev.Name, ev.Time.Sub(when).Milliseconds())] = ev.ID
	}
	var got []string
	keys := map[string]bool{}
	for a, err := range st.QueryAccess(ctx, store.AccessQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s/%s %s %s %s extra=%v invokedBy=%s n=%d first=%s",
			a.Time.Format(time.TimeOnly), a.Account, a.PrincipalARN, a.IssuerARN, a.EventSource, a.EventName,
			a.Action, a.Resource, a.Decision, a.Extra, a.InvokedBy, a.Count, a.EventID))
		if a.Request != "" {
			keys[a.Request] = true
		}
	}
	fnARN := "arn:aws:lambda:us-east-1:" + acct + ":function:f"
	want := []string{
		"10:05:06 " + acct + " " + roleP.ARN + " " + roleP.RoleARN + " dynamodb.amazonaws.com/GetItem dynamodb:GetItem " + table + " Allow extra=false invokedBy= n=2 first=" + ids["GetItem@100"],
		"10:05:06 " + acct + " " + roleP.ARN + " " + roleP.RoleARN + " dynamodb.amazonaws.com/GetItem dynamodb:GetItem " + table + " Allow extra=false invokedBy= n=1 first=" + ids["GetItem@300"],
		"10:05:06 " + acct + " " + userP.ARN + "  lambda.amazonaws.com/CreateFunction lambda:CreateFunction " + fnARN + " Allow extra=false invokedBy= n=1 first=" + ids["CreateFunction@400"],
		"10:05:06 " + acct + " " + userP.ARN + "  lambda.amazonaws.com/CreateFunction iam:PassRole " + roleP.RoleARN + " ImplicitDeny extra=true invokedBy= n=1 first=" + ids["CreateFunction@400"],
		"10:05:06 " + acct + " " + roleP.ARN + " " + roleP.RoleARN + " logs.amazonaws.com/PutLogEvents logs:PutLogEvents arn:aws:logs:us-east-1:" + acct + ":log-group:/aws/lambda/f:* Allow extra=false invokedBy=lambda.amazonaws.com n=1 first=" + ids["PutLogEvents@500"],
		"10:05:07 " + acct + " " + roleP.ARN + " " + roleP.RoleARN + " dynamodb.amazonaws.com/GetItem dynamodb:GetItem " + table + " Allow extra=false invokedBy= n=1 first=" + ids["GetItem@1500"],
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("access rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(keys) != 2 {
		t.Fatalf("rows name %d replay records, want 2", len(keys))
	}
	var list []string
	for k := range keys {
		list = append(list, k)
	}
	recs, err := st.AccessRequests(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]bool{}
	for k, v := range recs {
		if k != requestKey(v) {
			t.Errorf("record stored under %s, its key is %s", k, requestKey(v))
		}
		bodies[string(v)] = true
	}
	if len(recs) != 2 || !bodies[string(reqA)] || !bodies[string(reqB)] {
		t.Errorf("replay records: %q", recs)
	}
}
