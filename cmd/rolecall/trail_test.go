package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/trail"
)

const (
	acct      = "123456789012"
	roleARN   = "arn:aws:iam::" + acct + ":role/app"
	fnSession = "arn:aws:sts::" + acct + ":assumed-role/app/fn"
	userARN   = "arn:aws:iam::" + acct + ":user/alice"
)

// line is what the tests read of a printed record.
type line struct {
	EventName       string `json:"eventName"`
	EventTime       string `json:"eventTime"`
	EventCategory   string `json:"eventCategory"`
	ManagementEvent bool   `json:"managementEvent"`
	UserIdentity    struct {
		ARN string `json:"arn"`
	} `json:"userIdentity"`
	Decisions *[]api.Decision `json:"decisions"`
}

// seedTrail records management and data events in a fresh data directory,
// a minute apart from base, oldest first.
func seedTrail(t *testing.T, base time.Time) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	session := func(name string) *api.Principal {
		return &api.Principal{Type: api.AssumedRole, Account: acct, ARN: "arn:aws:sts::" + acct + ":assumed-role/app/" + name,
			PrincipalID: "AROAAPP:" + name, AccessKeyID: "ASIA" + name, RoleARN: roleARN, RoleName: "app", RoleID: "AROAAPP", SessionName: name}
	}
	alice := &api.Principal{Type: api.IAMUser, Account: acct, ARN: userARN, PrincipalID: "AIDAALICE", UserName: "alice", AccessKeyID: "AKIAALICE"}
	lambda := &api.Service{Name: "lambda", EventSource: "lambda.amazonaws.com"}
	iamSvc := &api.Service{Name: "iam", EventSource: "iam.amazonaws.com", Global: true}
	fnARN := "arn:aws:lambda:us-east-1:" + acct + ":function:f"
	rec := trail.New(st, trail.Options{})
	for i, e := range []trail.Entry{
		{Service: iamSvc, Operation: "CreateRole", Principal: alice,
			Decisions: []api.Decision{{Action: "iam:CreateRole", Resource: roleARN, Decision: "Allow"}}},
		{Service: lambda, Operation: "GetFunction", ReadOnly: true, Principal: session("fn")},
		{Service: lambda, Operation: "Invoke", Principal: session("fn"), Category: api.Data,
			Decisions: []api.Decision{{Action: "lambda:InvokeFunction", Resource: fnARN, Decision: "Allow",
				Statements: []api.Statement{{Policy: "invoke", Sid: "Invoke", Effect: "Allow", Source: "identity-based policy"}}}}},
		{Service: lambda, Operation: "Invoke", Principal: session("other"), Category: api.Data, ErrorCode: "AccessDeniedException",
			Decisions: []api.Decision{{Action: "lambda:InvokeFunction", Resource: fnARN, Decision: "ImplicitDeny"}}},
		{Service: iamSvc, Operation: "DeleteRole", Principal: alice},
	} {
		e.Time = base.Add(time.Duration(i) * time.Minute)
		e.Account, e.Region = acct, "us-east-1"
		rec.Record(e)
	}
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runTrailVerb(t *testing.T, args ...string) ([]line, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(append([]string{"trail"}, args...), &out, &errb)
	if err != nil {
		return nil, err
	}
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var v line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line is not JSON: %v\n%s", err, l)
		}
		lines = append(lines, v)
	}
	return lines, nil
}

func eventNames(lines []line) string {
	var s []string
	for _, l := range lines {
		who := l.UserIdentity.ARN[strings.LastIndex(l.UserIdentity.ARN, "/")+1:]
		s = append(s, l.EventName+"@"+who)
	}
	return strings.Join(s, ",")
}

func TestTrailVerb(t *testing.T) {
	base := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	dir := seedTrail(t, base)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"everything, newest first", nil, "DeleteRole@alice,Invoke@other,Invoke@fn,GetFunction@fn,CreateRole@alice"},
		{"a role's sessions", []string{"--principal", roleARN}, "Invoke@other,Invoke@fn,GetFunction@fn"},
		{"one session", []string{"--principal", fnSession}, "Invoke@fn,GetFunction@fn"},
		{"a user", []string{"--principal", userARN}, "DeleteRole@alice,CreateRole@alice"},
		{"data", []string{"--category", "Data"}, "Invoke@other,Invoke@fn"},
		{"management", []string{"--category", "management"}, "DeleteRole@alice,GetFunction@fn,CreateRole@alice"},
		{"role and category", []string{"--principal", roleARN, "--category", "Management"}, "GetFunction@fn"},
		{"time range", []string{"--since", "2026-03-04T10:01:00Z", "--until", "2026-03-04T10:03:00Z"}, "Invoke@other,Invoke@fn,GetFunction@fn"},
		{"limit", []string{"--limit", "2"}, "DeleteRole@alice,Invoke@other"},
		{"limit beyond the events", []string{"--limit", "50", "--category", "Data"}, "Invoke@other,Invoke@fn"},
		{"nobody", []string{"--principal", "arn:aws:iam::" + acct + ":role/none"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines, err := runTrailVerb(t, append([]string{"--data-dir", dir}, c.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := eventNames(lines); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			for _, l := range lines {
				if l.Decisions != nil {
					t.Errorf("%s: decisions printed without --decisions", l.EventName)
				}
				if l.ManagementEvent != (l.EventCategory == "Management") {
					t.Errorf("%s: eventCategory %s, managementEvent %v", l.EventName, l.EventCategory, l.ManagementEvent)
				}
			}
		})
	}

	// Paging through the store does not lose or repeat events.
	dir2 := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir2, "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	var many []store.Event
	for i := range trailPage + 7 {
		many = append(many, store.Event{ID: "e" + strings.Repeat("x", i%3), Time: base.Add(time.Duration(i) * time.Second),
			Name: "GetRole", Source: "iam.amazonaws.com", Category: store.CategoryData, Record: []byte(`{"eventName":"GetRole"}`)})
	}
	if err := st.AppendEvents(context.Background(), many); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if lines, err := runTrailVerb(t, "--data-dir", dir2); err != nil || len(lines) != trailPage+7 {
		t.Errorf("all of %d events: %d, %v", trailPage+7, len(lines), err)
	}
	if lines, err := runTrailVerb(t, "--data-dir", dir2, "--limit", "501"); err != nil || len(lines) != 501 {
		t.Errorf("501 events: %d, %v", len(lines), err)
	}
}

func TestTrailVerbDurations(t *testing.T) {
	dir := seedTrail(t, time.Now().Add(-150*time.Minute)) // five events, 150 to 146 minutes ago
	lines, err := runTrailVerb(t, "--data-dir", dir, "--since", "148m30s", "--until", "146m30s")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventNames(lines), "Invoke@other,Invoke@fn"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestTrailVerbDecisions(t *testing.T) {
	dir := seedTrail(t, time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))
	lines, err := runTrailVerb(t, "--data-dir", dir, "--decisions", "--principal", roleARN, "--category", "Data")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	denied, allowed := lines[0], lines[1]
	if denied.Decisions == nil || len(*denied.Decisions) != 1 || (*denied.Decisions)[0].Decision != "ImplicitDeny" {
		t.Errorf("denied call's decisions: %+v", denied.Decisions)
	}
	if allowed.Decisions == nil || len(*allowed.Decisions) != 1 {
		t.Fatalf("allowed call's decisions: %+v", allowed.Decisions)
	}
	d := (*allowed.Decisions)[0]
	if d.Action != "lambda:InvokeFunction" || d.Decision != "Allow" || len(d.Statements) != 1 || d.Statements[0].Sid != "Invoke" {
		t.Errorf("decision: %+v", d)
	}
	// An event recorded without decisions shows an empty list.
	lines, err = runTrailVerb(t, "--data-dir", dir, "--decisions", "--principal", fnSession, "--category", "Management")
	if err != nil || len(lines) != 1 || lines[0].Decisions == nil || len(*lines[0].Decisions) != 0 {
		t.Errorf("no decisions: %+v %v", lines, err)
	}
}

func TestTrailVerbErrors(t *testing.T) {
	dir := seedTrail(t, time.Now())
	for _, args := range [][]string{
		{"--category", "Insight"},
		{"--since", "yesterday"},
		{"--since", "-1h"},
		{"--since", "2026-03-04T10:00:00Z", "--until", "2026-03-04T09:00:00Z"},
		{"--limit", "-1"},
		{"extra"},
	} {
		if _, err := runTrailVerb(t, append([]string{"--data-dir", dir}, args...)...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	empty := t.TempDir()
	if _, err := runTrailVerb(t, "--data-dir", empty); err == nil {
		t.Error("a data directory without a database accepted")
	}
	if _, err := runTrailVerb(t, "--data-dir", filepath.Join(empty, "missing")); err == nil {
		t.Error("a missing data directory accepted")
	}
}

// TestTrailBesideServer runs the trail verb of the built binary while the
// server it reads from is running and recording.
func TestTrailBesideServer(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "rolecall")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(t.TempDir(), "data")
	_, ep := start(t, bin, data)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	ctx := context.Background()
	if _, err := iamClient(ep).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("seen"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	root := "arn:aws:iam::" + acct + ":root"
	var out []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		cmd := exec.Command(bin, "trail", "--data-dir", data, "--principal", root, "--category", "Management", "--decisions")
		var err error
		if out, err = cmd.Output(); err != nil {
			t.Fatalf("trail beside a running server: %v\n%s", err, out)
		}
		if bytes.Contains(out, []byte(`"eventName":"CreateRole"`)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the server writes its trail in batches
	}
	if !bytes.Contains(out, []byte(`"eventName":"CreateRole"`)) {
		t.Fatalf("CreateRole not in the trail:\n%s", out)
	}
	// The server still writes after the reader came and went.
	if _, err := iamClient(ep).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("seen")}); err != nil {
		t.Fatalf("server after a trail read: %v", err)
	}
}
