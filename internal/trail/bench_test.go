package trail

import (
	"context"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

type nopStore struct{ store.Store }

func (nopStore) AppendEvents(context.Context, []store.Event) error { return nil }

func benchEntry() Entry {
	return Entry{Time: time.Now(), Service: lambdaSvc, Operation: "Invoke", Principal: roleP,
		SourceIP: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.0", RequestID: "c0ffee00-0000-4000-8000-000000000000",
		Region: "us-east-1", Account: acct, Details: api.TrailDetails{
			RequestParameters: map[string]any{"functionName": "my-fn"},
			Resources:         []api.TrailResource{{ARN: "arn:aws:lambda:us-east-1:" + acct + ":function:my-fn", AccountID: acct, Type: "AWS::Lambda::Function"}},
		}}
}

// BenchmarkRecord measures the request-path cost: queueing an entry while
// the queue has room (the queue is flushed off the clock).
func BenchmarkRecord(b *testing.B) {
	const queue = 4096
	r := New(nopStore{}, Options{QueueSize: queue, Logger: quiet()})
	defer r.Close(context.Background())
	e := benchEntry()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%queue == queue-1 {
			b.StopTimer()
			r.Flush(ctx)
			b.StartTimer()
		}
		r.Record(e)
	}
	b.StopTimer()
	if r.Dropped() != 0 {
		b.Fatalf("dropped %d", r.Dropped())
	}
}

// BenchmarkWriteSQLite measures the background cost per event: building
// the record and writing it to SQLite in batches.
func BenchmarkWriteSQLite(b *testing.B) {
	const batch = 4096
	r := New(openStore(b), Options{Logger: quiet()})
	e := benchEntry()
	ctx := context.Background()
	b.ReportAllocs()
	start := cpuTime()
	for i := range b.N {
		r.Record(e)
		if i%batch == batch-1 {
			if err := r.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := r.Close(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	if r.Dropped() != 0 {
		b.Fatalf("dropped %d", r.Dropped())
	}
}
