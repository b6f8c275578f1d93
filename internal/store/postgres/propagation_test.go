package postgres_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// BenchmarkChangePropagation measures how long a change committed through
// one handle (one node) takes to reach a watcher on another handle (another
// node, as its caches see it): from Update's return on the writer to the
// change's delivery on the watcher. It reports the median and the 99th
// percentile in milliseconds.
//
//	go test -run '^$' -bench ChangePropagation ./internal/store/postgres/
func BenchmarkChangePropagation(b *testing.B) {
	u := pgtest.URL(b)
	writer, watcher := open(b, u), open(b, u)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start, err := watcher.CurrentRevision(ctx)
	if err != nil {
		b.Fatal(err)
	}
	delivered := make(chan store.Change, 1)
	go func() {
		for c, err := range watcher.Watch(ctx, start) {
			if err != nil {
				return
			}
			delivered <- c
		}
	}()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		key := strconv.Itoa(i)
		_, err := writer.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "bench", key, []byte("v")) })
		if err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		select {
		case c := <-delivered:
			if c.Key != key {
				b.Fatalf("delivered %s, want %s", c.Key, key)
			}
		case <-time.After(10 * time.Second):
			b.Fatal("change not delivered in 10s")
		}
		lat = append(lat, time.Since(committed))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.5), "p50_ms")
	b.ReportMetric(ms(0.99), "p99_ms")
}
