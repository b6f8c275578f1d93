package replay_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access/replay"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

const (
	benchSession = "arn:aws:sts::123456789012:assumed-role/app/fn"
	benchEvents  = 1_000_000
	benchWeek    = 7 * 24 * time.Hour
)

// benchRequest is one kind of call the benchmark's function makes.
type benchRequest struct {
	source, name, action, resource, decision string
}

var benchRequests = []benchRequest{
	{"dynamodb.amazonaws.com", "GetItem", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", "Allow"},
	{"dynamodb.amazonaws.com", "GetItem", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", "Allow"},
	{"dynamodb.amazonaws.com", "PutItem", "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", "Allow"},
	{"s3.amazonaws.com", "PutObject", "s3:PutObject", "arn:aws:s3:::reports/a", "Allow"},
	{"s3.amazonaws.com", "PutObject", "s3:PutObject", "arn:aws:s3:::reports/b", "Allow"},
	{"s3.amazonaws.com", "PutObject", "s3:PutObject", "arn:aws:s3:::reports/c", "Allow"},
	{"logs.amazonaws.com", "PutLogEvents", "logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:log-stream:s", "Allow"},
	{"s3.amazonaws.com", "DeleteObject", "s3:DeleteObject", "arn:aws:s3:::reports/a", "ExplicitDeny"},
}

// benchRecord is the replay record of r as the gateway keeps it for a
// function's role session.
func benchRecord(r benchRequest) []byte {
	rec := gateway.ReplayRequest{
		Principal: gateway.ReplayPrincipal{Type: "AssumedRole", ARN: benchSession, Account: "123456789012",
			PrincipalID: "AROAEXAMPLEEXAMPLE01:fn", RoleARN: roleARN, RoleName: "app", RoleID: "AROAEXAMPLEEXAMPLE01"},
		Action: r.action, Resource: r.resource, Mode: "resource",
		Context: []gateway.ReplayKey{
			{Key: "aws:PrincipalAccount", Values: []string{"123456789012"}},
			{Key: "aws:PrincipalArn", Values: []string{roleARN}},
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
	return b
}

// benchStore writes benchEvents events of one role session, a week of
// them, through a SQLite store, and returns it with the week's bounds.
func benchStore(b *testing.B) (store.Store, time.Time, time.Time) {
	b.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "rolecall.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	records := make([][]byte, len(benchRequests))
	keys := make([]string, len(benchRequests))
	for i, r := range benchRequests {
		records[i] = benchRecord(r)
		sum := sha256.Sum256(records[i])
		keys[i] = hex.EncodeToString(sum[:16])
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	step := benchWeek / benchEvents
	batch := make([]store.Event, 0, 2000)
	for i := range benchEvents {
		k := i % len(benchRequests)
		r := benchRequests[k]
		at := start.Add(time.Duration(i) * step)
		id := "ev-" + strconv.Itoa(i)
		batch = append(batch, store.Event{
			ID: id, Time: at, Name: r.name, Source: r.source, PrincipalARN: benchSession, IssuerARN: roleARN,
			Account: "123456789012", Category: store.CategoryData, Record: []byte(`{}`),
			Accesses: []store.Access{{Time: at, Account: "123456789012", PrincipalARN: benchSession, IssuerARN: roleARN,
				EventSource: r.source, EventName: r.name, Action: r.action, Resource: r.resource, Decision: r.decision,
				Request: keys[k], Count: 1, EventID: id}},
			Requests: map[string][]byte{keys[k]: records[k]},
		})
		if len(batch) == cap(batch) || i == benchEvents-1 {
			if err := st.AppendEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return st, start, start.Add(benchWeek)
}

// BenchmarkReplay1M replays a week of one function's recorded traffic,
// 1,000,000 decisions written through the SQLite store, against its
// policy without dynamodb:GetItem, and reports decisions per second:
// "memo" answers each distinct request once (exact here: no policy reads
// the time), "evaluated" evaluates every access row twice (as recorded
// and as changed).
//
//	go test -run '^$' -bench BenchmarkReplay1M -benchtime 3x ./internal/access/replay
func BenchmarkReplay1M(b *testing.B) {
	st, start, end := benchStore(b)
	ctx := context.Background()
	p := func(doc string) *policy.Policy {
		pol, err := policy.Parse(doc, policy.Identity)
		if err != nil {
			b.Fatal(err)
		}
		return pol
	}
	doc := `{"Version":"2012-10-17","Statement":[
{"Sid":"Table","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
{"Sid":"Bucket","Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::reports/*"},
{"Sid":"Logs","Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"},
{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	cur := policy.SetInput{Identity: []policy.Named{{ID: "app", Policy: p(doc)}}}
	ch, err := replay.MakeChange(ctx, []replay.ChangeSpec{{PolicyType: replay.Inline, PolicyName: "app",
		PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem","s3:PutObject","logs:PutLogEvents"],"Resource":"*"}]}`}}, &cur, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name   string
		noMemo bool
	}{{"memo", false}, {"evaluated", true}} {
		b.Run(mode.name, func(b *testing.B) {
			var res *replay.Result
			cpu0 := cpuTime(b)
			for b.Loop() {
				res, err = replay.Run(ctx, st, &replay.Input{PrincipalARN: roleARN, Start: start, End: end, Current: cur, Change: ch, NoMemo: mode.noMemo})
				if err != nil {
					b.Fatal(err)
				}
			}
			want := int64(benchEvents) * 2 / int64(len(benchRequests))
			if res.Evaluated != benchEvents || len(res.NewlyDenied) != 1 || res.NewlyDenied[0].Count != want {
				b.Fatalf("replayed %d decisions, newly denied %+v; want %d and %d GetItem", res.Evaluated, res.NewlyDenied, benchEvents, want)
			}
			b.ReportMetric(float64(res.Evaluated)*float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
			// The machine is shared: decisions per second of the process's
			// own CPU time says what the code does with one core.
			b.ReportMetric(float64(res.Evaluated)*float64(b.N)/(cpuTime(b)-cpu0).Seconds(), "decisions/cpu-s")
		})
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
