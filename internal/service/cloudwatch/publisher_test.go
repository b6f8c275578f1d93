package cloudwatch_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/service/cloudwatch"
	"github.com/rolecall/rolecall/internal/store"
)

func openStore(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func point(name string, at time.Time, v float64) store.MetricDatum {
	return store.MetricDatum{
		MetricID: store.MetricID{Account: "111111111111", Region: "us-east-1", Namespace: "AWS/Lambda", MetricName: name,
			Dimensions: []store.Dimension{{Name: "FunctionName", Value: "f"}}},
		Time: at, Unit: "Milliseconds", Sum: v, Minimum: v, Maximum: v, SampleCount: 1,
	}
}

// TestPublisherSumsPerSecond: points Put in one second are written as one
// statistic set after Flush, whose statistics are those of the points;
// Close writes what is left.
func TestPublisherSumsPerSecond(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	p := cloudwatch.NewPublisher(st, cloudwatch.PublisherOptions{Interval: time.Hour})
	base := time.Now().UTC().Truncate(time.Minute)
	for i := range 1000 {
		p.Put(point("Duration", base.Add(time.Duration(i)*time.Millisecond), float64(i)))
	}
	p.Put(point("Duration", base.Add(1500*time.Millisecond), 5000))
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	q := store.MetricQuery{MetricID: point("Duration", base, 0).MetricID, Start: base, End: base.Add(time.Minute), Period: time.Second}
	stats, err := st.MetricStatistics(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 {
		t.Fatalf("statistics: %+v, want two seconds", stats)
	}
	if s := stats[0]; s.SampleCount != 1000 || s.Sum != 999*1000/2 || s.Minimum != 0 || s.Maximum != 999 || !s.Time.Equal(base) {
		t.Errorf("first second: %+v", s)
	}
	if s := stats[1]; s.SampleCount != 1 || s.Sum != 5000 || !s.Time.Equal(base.Add(time.Second)) {
		t.Errorf("second second: %+v", s)
	}
	p.Put(point("Invocations", base, 1))
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	q.MetricName = "Invocations"
	if stats, err = st.MetricStatistics(ctx, q); err != nil || len(stats) != 1 {
		t.Errorf("after Close: %+v, %v", stats, err)
	}
	if err := p.Flush(ctx); err == nil {
		t.Error("Flush after Close: no error")
	}
}

// TestPublisherBoundsItsBuffer: past MaxPending aggregates, points are
// dropped and counted, never buffered without bound.
func TestPublisherBoundsItsBuffer(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	p := cloudwatch.NewPublisher(st, cloudwatch.PublisherOptions{Interval: time.Hour, MaxPending: 2})
	defer func() { _ = p.Close(ctx) }()
	base := time.Now().UTC().Truncate(time.Minute)
	for i := range 5 {
		p.Put(point("Duration", base.Add(time.Duration(i)*time.Second), 1))
	}
	p.Put(point("Duration", base, 1)) // sums into a buffered aggregate
	if got := p.Dropped(); got != 3 {
		t.Errorf("Dropped = %d, want 3", got)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stats, err := st.MetricStatistics(ctx, store.MetricQuery{MetricID: point("Duration", base, 0).MetricID, Start: base, End: base.Add(time.Minute), Period: time.Minute})
	if err != nil || len(stats) != 1 || stats[0].SampleCount != 3 {
		t.Errorf("written: %+v, %v; want 3 samples", stats, err)
	}
}

// TestPublisherPrunes: a write deletes the points older than the
// retention, at most once per PruneEvery.
func TestPublisherPrunes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Now().UTC().Truncate(time.Minute)
	old := point("Duration", now.Add(-store.MetricRetention-time.Minute), 1)
	if err := st.PutMetricData(ctx, []store.MetricDatum{old}); err != nil {
		t.Fatal(err)
	}
	p := cloudwatch.NewPublisher(st, cloudwatch.PublisherOptions{Interval: time.Hour, Now: func() time.Time { return now }})
	defer func() { _ = p.Close(ctx) }()
	p.Put(point("Duration", now, 1))
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stats, err := st.MetricStatistics(ctx, store.MetricQuery{MetricID: old.MetricID, Start: old.Time.Truncate(time.Hour), End: now.Add(time.Minute), Period: 24 * time.Hour})
	var n float64
	for _, s := range stats {
		n += s.SampleCount
	}
	if err != nil || n != 1 {
		t.Errorf("samples after pruning: %v, %v; want the new one only", n, err)
	}
}
