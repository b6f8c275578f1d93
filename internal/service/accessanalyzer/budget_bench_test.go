package accessanalyzer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access/replay"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/policy/generate"
	"github.com/rolecall/rolecall/internal/store"
)

// The budgets: policy generation over 1,000,000 recorded events of one
// principal in at most 3 seconds, and replay of the same at no fewer than
// 200,000 decisions a second.
const (
	budgetEvents  = 1_000_000
	budgetAccount = "123456789012"
	budgetRole    = "arn:aws:iam::123456789012:role/app"
	budgetSession = "arn:aws:sts::123456789012:assumed-role/app/fn"
)

// budgetCall is one kind of call the function makes.
type budgetCall struct{ source, name, action, resource string }

// budgetCalls is a realistic function's traffic: 30 actions of six
// services on 10 resources each (300 distinct calls).
func budgetCalls() []budgetCall {
	var calls []budgetCall
	add := func(source string, actions []string, resource func(int) string) {
		for _, a := range actions {
			for i := range 10 {
				_, name, _ := strings.Cut(a, ":")
				calls = append(calls, budgetCall{source, name, a, resource(i)})
			}
		}
	}
	add("dynamodb.amazonaws.com", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem"},
		func(i int) string { return fmt.Sprintf("arn:aws:dynamodb:us-east-1:123456789012:table/t%d", i) })
	add("s3.amazonaws.com", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:AbortMultipartUpload"},
		func(i int) string { return fmt.Sprintf("arn:aws:s3:::reports/k%d", i) })
	add("sqs.amazonaws.com", []string{"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"},
		func(i int) string { return fmt.Sprintf("arn:aws:sqs:us-east-1:123456789012:q%d", i) })
	add("kms.amazonaws.com", []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"},
		func(i int) string { return fmt.Sprintf("arn:aws:kms:us-east-1:123456789012:key/k%d", i) })
	add("logs.amazonaws.com", []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:CreateLogGroup"},
		func(i int) string {
			return fmt.Sprintf("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn%d:*", i)
		})
	add("sns.amazonaws.com", []string{"sns:Publish", "sns:ListTopics", "sns:GetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe", "sns:ListSubscriptions"},
		func(i int) string { return fmt.Sprintf("arn:aws:sns:us-east-1:123456789012:topic%d", i) })
	return calls
}

// budgetRecord returns the replay record of c as the gateway keeps it
// for the function's role session, and its key.
func budgetRecord(c budgetCall) (string, []byte) {
	rec := gateway.ReplayRequest{
		Principal: gateway.ReplayPrincipal{Type: "AssumedRole", ARN: budgetSession, Account: budgetAccount,
			PrincipalID: "AROAEXAMPLEEXAMPLE01:fn", RoleARN: budgetRole, RoleName: "app", RoleID: "AROAEXAMPLEEXAMPLE01"},
		Action: c.action, Resource: c.resource, Mode: "resource",
		Context: []gateway.ReplayKey{
			{Key: "aws:PrincipalAccount", Values: []string{budgetAccount}},
			{Key: "aws:PrincipalArn", Values: []string{budgetRole}},
			{Key: "aws:PrincipalType", Values: []string{"AssumedRole"}},
			{Key: "aws:RequestedRegion", Values: []string{"us-east-1"}},
			{Key: "aws:SecureTransport", Values: []string{"false"}},
			{Key: "aws:userid", Values: []string{"AROAEXAMPLEEXAMPLE01:fn"}},
			{Key: "lambda:SourceFunctionArn", Values: []string{"arn:aws:lambda:us-east-1:123456789012:function:fn"}},
		},
	}
	b, err := json.Marshal(&rec)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), b
}

// budgetStore records budgetEvents events of the function's role session
// over one day through the SQLite store as the trail writes them (one
// access row and its replay record per event, 2,000 events an append).
// The realistic case repeats budgetCalls; the worst case gives every
// event its own object (s3:GetObject on a key of its own), so every event
// is a row, a summary and a replay record of its own. It returns the
// store and the number of dynamodb:GetItem decisions.
func budgetStore(b *testing.B, worst bool) (store.Store, int64) {
	b.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "rolecall.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	calls := budgetCalls()
	keys, records := make([]string, len(calls)), make([][]byte, len(calls))
	for i, c := range calls {
		keys[i], records[i] = budgetRecord(c)
	}
	step := 24 * time.Hour / budgetEvents
	var getItems int64
	batch := make([]store.Event, 0, 2000)
	for i := range budgetEvents {
		// A call of the realistic mix, in an order that does not repeat
		// with the calls' period.
		k := (i*7919 + i/len(calls)) % len(calls)
		c, key, rec := calls[k], keys[k], records[k]
		if worst {
			c = budgetCall{"s3.amazonaws.com", "GetObject", "s3:GetObject", fmt.Sprintf("arn:aws:s3:::reports/o%07d", i)}
			key, rec = budgetRecord(c)
		}
		if c.action == "dynamodb:GetItem" {
			getItems++
		}
		at := budgetStart.Add(time.Duration(i) * step)
		id := fmt.Sprintf("ev-%07d", i)
		batch = append(batch, store.Event{
			ID: id, Time: at, Name: c.name, Source: c.source, PrincipalARN: budgetSession, IssuerARN: budgetRole,
			Account: budgetAccount, Category: store.CategoryData, Record: []byte(`{}`),
			Accesses: []store.Access{{Time: at, Account: budgetAccount, PrincipalARN: budgetSession, IssuerARN: budgetRole,
				EventSource: c.source, EventName: c.name, Action: c.action, Resource: c.resource, Decision: "Allow",
				Request: key, Count: 1, EventID: id}},
			Requests: map[string][]byte{key: rec},
		})
		if len(batch) == cap(batch) {
			if err := st.AppendEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return st, getItems
}

var budgetStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkBudget1M measures the two budgets end to end over 1,000,000
// events recorded through the SQLite store (setup, not timed, takes
// minutes): "generate" reads the role's rows of the day (summed by the
// store) and builds the policy; "replay" replays them against the role's
// policy without dynamodb:GetItem and checks that exactly the GetItem
// calls are newly denied. "realistic" is a function's mix of 300 calls;
// "worst" gives every event a row, a summary and a replay record of its
// own. Besides ns/op, each reports the process's CPU time per operation
// (the machine is shared) and replay its decisions per second.
//
//	go test -run '^$' -bench Budget1M -benchtime 3x -timeout 60m ./internal/service/accessanalyzer
func BenchmarkBudget1M(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		worst bool
	}{{"realistic", false}, {"worst", true}} {
		b.Run(c.name, func(b *testing.B) {
			st, getItems := budgetStore(b, c.worst)
			end := budgetStart.Add(24 * time.Hour)
			b.Run("generate", func(b *testing.B) {
				a := New(Config{Account: budgetAccount, Region: "us-east-1", Store: st})
				cpu0 := budgetCPU(b)
				for b.Loop() {
					j := &job{Account: budgetAccount, PrincipalARN: budgetRole, Start: budgetStart, End: end}
					if err := a.readRows(ctx, j); err != nil {
						b.Fatal(err)
					}
					g := generate.New(a.catalog(), generate.Options{})
					for _, r := range j.Rows {
						g.Add(r)
					}
					if res := g.Result(); res.Decisions != budgetEvents {
						b.Fatalf("%d decisions, want %d", res.Decisions, budgetEvents)
					}
				}
				b.ReportMetric((budgetCPU(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			})
			b.Run("replay", func(b *testing.B) {
				doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:*","s3:*","sqs:*","kms:*","logs:*","sns:*"],"Resource":"*"}]}`
				cur := policy.SetInput{Identity: []policy.Named{{ID: "app", Policy: budgetPolicy(b, doc)}}}
				ch, err := replay.MakeChange(ctx, []replay.ChangeSpec{{PolicyType: replay.Inline, PolicyName: "app",
					PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:*","s3:*","sqs:*","kms:*","logs:*","sns:*"],"Resource":"*"},
{"Effect":"Deny","Action":"dynamodb:GetItem","Resource":"*"}]}`}}, &cur, nil)
				if err != nil {
					b.Fatal(err)
				}
				var res *replay.Result
				cpu0 := budgetCPU(b)
				for b.Loop() {
					res, err = replay.Run(ctx, st, &replay.Input{PrincipalARN: budgetRole, Start: budgetStart, End: end, Current: cur, Change: ch})
					if err != nil {
						b.Fatal(err)
					}
				}
				var denied int64
				for _, it := range res.NewlyDenied {
					if it.Action != "dynamodb:GetItem" {
						b.Fatalf("newly denied %+v", it)
					}
					denied += it.Count
				}
				if res.Evaluated != budgetEvents || denied != getItems || len(res.NewlyAllowed) != 0 {
					b.Fatalf("replayed %d decisions, %d newly denied, %d newly allowed; want %d and %d GetItem", res.Evaluated, denied, len(res.NewlyAllowed), budgetEvents, getItems)
				}
				cpu := budgetCPU(b) - cpu0
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
				b.ReportMetric(float64(res.Evaluated)*float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
				b.ReportMetric(float64(res.Evaluated)*float64(b.N)/cpu.Seconds(), "decisions/cpu-s")
			})
		})
	}
}

func budgetPolicy(b *testing.B, doc string) *policy.Policy {
	b.Helper()
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// budgetCPU returns the CPU time (user and system) the process has used.
func budgetCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
