package accessanalyzer

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/policy/generate"
	"github.com/rolecall/rolecall/internal/store"
)

// BenchmarkGenerateFromStore1M is policy generation end to end on SQLite:
// 1,000,000 access rows of one role's sessions read with SummarizeAccess,
// summed, and rendered as the policy. Seeding is not timed.
//
//	go test -run '^$' -bench GenerateFromStore1M -benchtime 3x ./internal/service/accessanalyzer
func BenchmarkGenerateFromStore1M(b *testing.B) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 1_000_000
	const role = "arn:aws:iam::123456789012:role/app"
	actions := []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "s3:GetObject", "s3:PutObject",
		"sqs:SendMessage", "sqs:ReceiveMessage", "kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents",
		"lambda:InvokeFunction", "sns:Publish", "xray:PutTraceSegments", "iam:PassRole"}
	base := time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Second)
	batch := make([]store.Access, 0, 10_000)
	for i := range n {
		a := actions[i%len(actions)]
		batch = append(batch, store.Access{Time: base.Add(time.Duration(i) * time.Second), Account: "123456789012",
			PrincipalARN: fmt.Sprintf("arn:aws:sts::123456789012:assumed-role/app/s%d", i%7), IssuerARN: role,
			EventSource: "x.amazonaws.com", EventName: "X", Action: a,
			Resource: fmt.Sprintf("arn:aws:dynamodb:us-east-1:123456789012:table/t%03d", i%300), Decision: "Allow", Count: 1})
		if len(batch) == cap(batch) {
			ev := store.Event{ID: fmt.Sprintf("e%07d", i), Time: base, Name: "X", Source: "x.amazonaws.com", Account: "123456789012",
				Category: store.CategoryData, Record: []byte(`{}`), Accesses: batch}
			if err := st.AppendEvents(ctx, []store.Event{ev}); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	a := New(Config{Account: "123456789012", Region: "us-east-1", Store: st})
	b.ResetTimer()
	for range b.N {
		j := &job{Account: "123456789012", PrincipalARN: role, Start: base, End: base.Add(n * time.Second)}
		if err := a.readRows(ctx, j); err != nil {
			b.Fatal(err)
		}
		g := generate.New(a.catalog(), generate.Options{Placeholders: true})
		for _, r := range j.Rows {
			g.Add(r)
		}
		if res := g.Result(); res.Decisions != n {
			b.Fatalf("%d decisions, want %d", res.Decisions, n)
		}
	}
}
