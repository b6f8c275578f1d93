package storetest

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// BenchmarkRows is how many access rows BenchQueryAccess reads.
const BenchmarkRows = 1_000_000

// BenchQueryAccess appends BenchmarkRows distinct access rows of the
// sessions of one role (four decisions per event on one of 1,000
// resources, ten events a second, 5,000 events per append), then measures reading them all with QueryAccess by the role's
// ARN, reporting ns/row. Use it with -benchtime=Nx: each iteration reads
// every row.
func BenchQueryAccess(b *testing.B, st store.Store) {
	ctx := context.Background()
	const (
		account = "123456789012"
		role    = "arn:aws:iam::123456789012:role/bench"
		perEv   = 4
		batch   = 5000
	)
	actions := [perEv]string{"dynamodb:GetItem", "dynamodb:PutItem", "s3:GetObject", "s3:PutObject"}
	sources := [perEv]string{"dynamodb.amazonaws.com", "dynamodb.amazonaws.com", "s3.amazonaws.com", "s3.amazonaws.com"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	events := make([]store.Event, 0, batch)
	for i := 0; i < BenchmarkRows/perEv; i++ {
		at := base.Add(time.Duration(i) * 100 * time.Millisecond)
		session := "arn:aws:sts::123456789012:assumed-role/bench/s" + strconv.Itoa(i%10)
		id := "ev" + strconv.Itoa(i)
		ev := store.Event{ID: id, Time: at, Name: "GetItem", Source: "dynamodb.amazonaws.com", Account: account,
			PrincipalARN: session, IssuerARN: role, Record: []byte(`{}`), Accesses: make([]store.Access, perEv)}
		for j := range perEv {
			ev.Accesses[j] = store.Access{Time: at, Account: account, PrincipalARN: session, IssuerARN: role,
				EventSource: sources[j], EventName: "Op", Action: actions[j], Resource: "arn:aws:s3:::bucket/key" + strconv.Itoa(i%1000),
				Decision: "Allow", Request: "r" + strconv.Itoa(i%1000), Count: 1, EventID: id}
		}
		events = append(events, ev)
		if len(events) == batch {
			if err := st.AppendEvents(ctx, events); err != nil {
				b.Fatal(err)
			}
			events = events[:0]
		}
	}
	if err := st.AppendEvents(ctx, events); err != nil {
		b.Fatal(err)
	}
	b.Logf("appended %d access rows in %v", BenchmarkRows, time.Since(start).Round(time.Millisecond))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		n := 0
		for _, err := range st.QueryAccess(ctx, store.AccessQuery{PrincipalARN: role}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != BenchmarkRows {
			b.Fatalf("read %d rows, want %d", n, BenchmarkRows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*BenchmarkRows), "ns/row")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*BenchmarkRows), "cpu-ns/row")
}

// cpuTime returns the process's user and system CPU time in nanoseconds:
// on a busy machine, what a reader costs rather than how long it waited.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
