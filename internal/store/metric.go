package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MetricRetention is how long metric data points are kept: CloudWatch keeps
// data points of a period under 60 seconds for 3 hours and of one minute
// for 15 days; rolecall keeps every point 15 days.
const MetricRetention = 15 * 24 * time.Hour

// Dimension is a name/value pair of a metric's identity (CloudWatch's
// Dimension: FunctionName=my-function).
type Dimension struct {
	Name, Value string
}

// MetricID is a metric: CloudWatch tells metrics apart by namespace, name
// and the whole set of dimensions, in an account and region.
type MetricID struct {
	Account    string
	Region     string
	Namespace  string // "AWS/Lambda"
	MetricName string // "Invocations"
	// Dimensions are sorted by name (SortDimensions); a metric has at most
	// one value per name.
	Dimensions []Dimension
}

// MetricDatum is one stored data point, or a set of them published as
// statistics (CloudWatch's StatisticSet): a single value v is Sum v,
// Minimum v, Maximum v, SampleCount 1.
type MetricDatum struct {
	MetricID
	Time        time.Time // millisecond precision
	Unit        string    // CloudWatch's StandardUnit; "None" when none was given
	Sum         float64
	Minimum     float64
	Maximum     float64
	SampleCount float64
}

// MetricQuery selects one metric's data points and groups them in periods.
type MetricQuery struct {
	MetricID
	Unit       string    // "" any unit; each unit is aggregated apart
	Start, End time.Time // points with Start <= Time < End
	// Period is the length of each aggregate, a whole number of
	// milliseconds; periods start at Start, Start+Period, ...
	Period time.Duration
}

// MetricStats is the aggregate of one period of one unit of a metric.
type MetricStats struct {
	Time        time.Time // the start of the period
	Unit        string
	Sum         float64
	Minimum     float64
	Maximum     float64
	SampleCount float64
}

// MetricFilter selects metrics that have data points (ListMetrics).
type MetricFilter struct {
	Account, Region string
	Namespace       string // "" any
	MetricName      string // "" any
	// Dimensions a metric must have: a filter with Value "" matches any
	// value of the name.
	Dimensions []Dimension
	Since      time.Time // only metrics with a point at or after Since; zero any
}

// Matches reports whether m passes the filter's namespace, name and
// dimension tests (not its account, region or time).
func (f MetricFilter) Matches(m MetricID) bool {
	if f.Namespace != "" && m.Namespace != f.Namespace || f.MetricName != "" && m.MetricName != f.MetricName {
		return false
	}
	for _, d := range f.Dimensions {
		i := slices.IndexFunc(m.Dimensions, func(x Dimension) bool { return x.Name == d.Name })
		if i < 0 || d.Value != "" && m.Dimensions[i].Value != d.Value {
			return false
		}
	}
	return true
}

// Metrics is the metric data of CloudWatch, kept by the engines beside the
// trail so that every node on one database reads the same points. SQLite
// and PostgreSQL implement it.
type Metrics interface {
	// PutMetricData stores data points.
	PutMetricData(ctx context.Context, points []MetricDatum) error
	// MetricStatistics returns the aggregates of the points q selects, one
	// per period and unit that has points, by period start then unit.
	MetricStatistics(ctx context.Context, q MetricQuery) ([]MetricStats, error)
	// ListMetrics returns the metrics f selects, ordered by namespace, name
	// and dimensions (EncodeDimensions).
	ListMetrics(ctx context.Context, f MetricFilter) ([]MetricID, error)
	// PruneMetricData deletes the points older than before, returning how
	// many it deleted.
	PruneMetricData(ctx context.Context, before time.Time) (int64, error)
}

// SortDimensions sorts ds by name, in place, and returns it.
func SortDimensions(ds []Dimension) []Dimension {
	slices.SortFunc(ds, func(a, b Dimension) int { return strings.Compare(a.Name, b.Name) })
	return ds
}

// EncodeDimensions returns the form engines keep a metric's dimensions in
// (and compare them by): a JSON array of [name, value] pairs in the order
// given, which is sorted by name.
func EncodeDimensions(ds []Dimension) string {
	pairs := make([][2]string, len(ds))
	for i, d := range ds {
		pairs[i] = [2]string{d.Name, d.Value}
	}
	b, _ := json.Marshal(pairs) // strings always marshal
	return string(b)
}

// DecodeDimensions reads EncodeDimensions' form.
func DecodeDimensions(s string) ([]Dimension, error) {
	var pairs [][2]string
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, fmt.Errorf("store: metric dimensions %q: %w", s, err)
	}
	ds := make([]Dimension, len(pairs))
	for i, p := range pairs {
		ds[i] = Dimension{Name: p[0], Value: p[1]}
	}
	return ds, nil
}

// MetricPeriods returns q's start and period in milliseconds, or an
// error for a period that is not a positive whole number of them.
func MetricPeriods(q MetricQuery) (startMS, periodMS int64, err error) {
	periodMS = q.Period.Milliseconds()
	if periodMS <= 0 || q.Period%time.Millisecond != 0 {
		return 0, 0, fmt.Errorf("store: metric period %v", q.Period)
	}
	return q.Start.UnixMilli(), periodMS, nil
}
