package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// metrics returns st's metric data, failing the test when the engine
// keeps none.
func metrics(t *testing.T, st store.Store) store.Metrics {
	t.Helper()
	m, ok := st.(store.Metrics)
	if !ok {
		t.Fatalf("%T does not keep metric data", st)
	}
	return m
}

func statsLines(stats []store.MetricStats) string {
	var out []string
	for _, s := range stats {
		out = append(out, fmt.Sprintf("%s %s sum=%g min=%g max=%g n=%g", s.Time.Format("15:04:05"), s.Unit, s.Sum, s.Minimum, s.Maximum, s.SampleCount))
	}
	return strings.Join(out, "\n")
}

func metricLines(ms []store.MetricID) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Namespace+" "+m.MetricName+" "+store.EncodeDimensions(m.Dimensions))
	}
	return strings.Join(out, "\n")
}

// testMetrics: points written by one handle are read by another,
// aggregated per period and unit, selected by the exact dimension set;
// ListMetrics filters by namespace, name and dimensions; pruning and Empty
// delete points.
func testMetrics(t *testing.T, e Engine) {
	ctx := context.Background()
	st := e.Open(t)
	other := e.Reopen(t, st)
	base := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	fn := []store.Dimension{{Name: "FunctionName", Value: "f"}}
	res := []store.Dimension{{Name: "FunctionName", Value: "f"}, {Name: "Resource", Value: "f:1"}}
	id := func(name string, dims []store.Dimension) store.MetricID {
		return store.MetricID{Account: "111111111111", Region: "us-east-1", Namespace: "AWS/Lambda", MetricName: name, Dimensions: dims}
	}
	one := func(m store.MetricID, at time.Duration, unit string, v float64) store.MetricDatum {
		return store.MetricDatum{MetricID: m, Time: base.Add(at), Unit: unit, Sum: v, Minimum: v, Maximum: v, SampleCount: 1}
	}
	points := []store.MetricDatum{
		one(id("Duration", fn), 5*time.Second, "Milliseconds", 10),
		one(id("Duration", fn), 30*time.Second, "Milliseconds", 30),
		one(id("Duration", fn), 65*time.Second, "Milliseconds", 7),
		one(id("Duration", fn), 70*time.Second, "Seconds", 2),
		{MetricID: id("Duration", fn), Time: base.Add(130 * time.Second), Unit: "Milliseconds", Sum: 100, Minimum: 5, Maximum: 60, SampleCount: 4},
		one(id("Duration", res), 5*time.Second, "Milliseconds", 99),
		one(id("Invocations", fn), 5*time.Second, "Count", 1),
		one(id("Duration", fn), -time.Second, "Milliseconds", 1000),    // before the range
		one(id("Duration", fn), 180*time.Second, "Milliseconds", 1000), // at its end
		{MetricID: store.MetricID{Account: "222222222222", Region: "us-east-1", Namespace: "AWS/Lambda", MetricName: "Duration", Dimensions: fn},
			Time: base.Add(5 * time.Second), Unit: "Milliseconds", Sum: 5000, Minimum: 5000, Maximum: 5000, SampleCount: 1},
		one(store.MetricID{Account: "111111111111", Region: "us-east-1", Namespace: "App", MetricName: "Orders"}, 0, "None", 3),
	}
	if err := metrics(t, st).PutMetricData(ctx, points); err != nil {
		t.Fatal(err)
	}
	q := store.MetricQuery{MetricID: id("Duration", fn), Start: base, End: base.Add(180 * time.Second), Period: time.Minute}
	stats, err := metrics(t, other).MetricStatistics(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want := "12:00:00 Milliseconds sum=40 min=10 max=30 n=2\n" +
		"12:01:00 Milliseconds sum=7 min=7 max=7 n=1\n" +
		"12:01:00 Seconds sum=2 min=2 max=2 n=1\n" +
		"12:02:00 Milliseconds sum=100 min=5 max=60 n=4"
	if got := statsLines(stats); got != want {
		t.Errorf("statistics:\n%s\nwant:\n%s", got, want)
	}
	q.Unit, q.Period = "Seconds", 3*time.Minute
	if stats, err = metrics(t, other).MetricStatistics(ctx, q); err != nil {
		t.Fatal(err)
	}
	if got, want := statsLines(stats), "12:00:00 Seconds sum=2 min=2 max=2 n=1"; got != want {
		t.Errorf("statistics of one unit:\n%s\nwant:\n%s", got, want)
	}
	q = store.MetricQuery{MetricID: id("Duration", res), Start: base, End: base.Add(time.Hour), Period: time.Hour}
	if stats, err = metrics(t, other).MetricStatistics(ctx, q); err != nil {
		t.Fatal(err)
	}
	if got, want := statsLines(stats), "12:00:00 Milliseconds sum=99 min=99 max=99 n=1"; got != want {
		t.Errorf("statistics of the Resource series:\n%s\nwant:\n%s", got, want)
	}
	if _, err := metrics(t, other).MetricStatistics(ctx, store.MetricQuery{MetricID: id("Duration", fn), Start: base, End: base.Add(time.Hour)}); err == nil {
		t.Error("MetricStatistics with no period: no error")
	}

	list := func(f store.MetricFilter) string {
		t.Helper()
		f.Account, f.Region = "111111111111", "us-east-1"
		ms, err := metrics(t, other).ListMetrics(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return metricLines(ms)
	}
	all := `AWS/Lambda Duration [["FunctionName","f"],["Resource","f:1"]]` + "\n" +
		`AWS/Lambda Duration [["FunctionName","f"]]` + "\n" +
		`AWS/Lambda Invocations [["FunctionName","f"]]` + "\n" +
		`App Orders []`
	for _, c := range []struct {
		f    store.MetricFilter
		want string
	}{
		{store.MetricFilter{}, all},
		{store.MetricFilter{Namespace: "AWS/Lambda", MetricName: "Invocations"}, `AWS/Lambda Invocations [["FunctionName","f"]]`},
		{store.MetricFilter{Dimensions: []store.Dimension{{Name: "Resource"}}}, `AWS/Lambda Duration [["FunctionName","f"],["Resource","f:1"]]`},
		{store.MetricFilter{Dimensions: []store.Dimension{{Name: "FunctionName", Value: "g"}}}, ``},
		{store.MetricFilter{Since: base.Add(100 * time.Second)}, `AWS/Lambda Duration [["FunctionName","f"]]`},
	} {
		if got := list(c.f); got != c.want {
			t.Errorf("ListMetrics %+v:\n%s\nwant:\n%s", c.f, got, c.want)
		}
	}

	n, err := metrics(t, st).PruneMetricData(ctx, base.Add(time.Second))
	if err != nil || n != 2 {
		t.Errorf("PruneMetricData: %d, %v; want 2 points", n, err)
	}
	if got, want := list(store.MetricFilter{Namespace: "App"}), ""; got != want {
		t.Errorf("after pruning: %q", got)
	}
	if _, err := store.Empty(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got := list(store.MetricFilter{}); got != "" {
		t.Errorf("metrics after Empty:\n%s", got)
	}
}
