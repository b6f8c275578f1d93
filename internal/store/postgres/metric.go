package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolecall/rolecall/internal/store"
)

var _ store.Metrics = (*Store)(nil)

// metricSchema is the PostgreSQL schema of metric data points: one row per
// point or statistic set, found by its metric (dims is
// store.EncodeDimensions' form) and time.
const metricSchema = `
CREATE TABLE metric_data (
	account   text NOT NULL,
	region    text NOT NULL,
	namespace text COLLATE "C" NOT NULL,
	name      text COLLATE "C" NOT NULL,
	dims      text COLLATE "C" NOT NULL,
	time_ms   bigint NOT NULL,
	unit      text COLLATE "C" NOT NULL,
	sum       double precision NOT NULL,
	min       double precision NOT NULL,
	max       double precision NOT NULL,
	count     double precision NOT NULL
);
CREATE INDEX metric_data_series ON metric_data (account, region, namespace, name, dims, time_ms);
CREATE INDEX metric_data_time ON metric_data (time_ms);
`

// insertMetrics adds points given as arrays, one per column.
const insertMetrics = `INSERT INTO metric_data (account, region, namespace, name, dims, time_ms, unit, sum, min, max, count)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
	$8::double precision[], $9::double precision[], $10::double precision[], $11::double precision[])`

// PutMetricData implements store.Metrics, in one statement.
func (s *Store) PutMetricData(ctx context.Context, points []store.MetricDatum) error {
	if len(points) == 0 {
		return nil
	}
	n := len(points)
	accounts, regions, namespaces, names, dims, units := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	times := make([]int64, n)
	sums, mins, maxs, counts := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range points {
		p := &points[i]
		accounts[i], regions[i], namespaces[i], names[i] = p.Account, p.Region, p.Namespace, p.MetricName
		dims[i], units[i], times[i] = store.EncodeDimensions(p.Dimensions), p.Unit, p.Time.UnixMilli()
		sums[i], mins[i], maxs[i], counts[i] = p.Sum, p.Minimum, p.Maximum, p.SampleCount
	}
	if _, err := s.pool.Exec(ctx, insertMetrics, accounts, regions, namespaces, names, dims, times, units, sums, mins, maxs, counts); err != nil {
		return fmt.Errorf("store: put metric data: %w", err)
	}
	return nil
}

// MetricStatistics implements store.Metrics.
func (s *Store) MetricStatistics(ctx context.Context, q store.MetricQuery) ([]store.MetricStats, error) {
	start, period, err := store.MetricPeriods(q)
	if err != nil {
		return nil, err
	}
	query := `SELECT (time_ms - $1) / $2 AS p, unit, sum(sum), min(min), max(max), sum(count) FROM metric_data
		WHERE account = $3 AND region = $4 AND namespace = $5 AND name = $6 AND dims = $7 AND time_ms >= $1 AND time_ms < $8`
	args := []any{start, period, q.Account, q.Region, q.Namespace, q.MetricName, store.EncodeDimensions(q.Dimensions), q.End.UnixMilli()}
	if q.Unit != "" {
		query += ` AND unit = $9`
		args = append(args, q.Unit)
	}
	query += ` GROUP BY p, unit ORDER BY p, unit`
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: metric statistics: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.MetricStats, error) {
		var n int64
		var st store.MetricStats
		err := row.Scan(&n, &st.Unit, &st.Sum, &st.Minimum, &st.Maximum, &st.SampleCount)
		st.Time = time.UnixMilli(start + n*period).UTC()
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: metric statistics: %w", err)
	}
	return out, nil
}

// ListMetrics implements store.Metrics.
func (s *Store) ListMetrics(ctx context.Context, f store.MetricFilter) ([]store.MetricID, error) {
	query := `SELECT DISTINCT namespace, name, dims FROM metric_data WHERE account = $1 AND region = $2`
	args := []any{f.Account, f.Region}
	if f.Namespace != "" {
		args = append(args, f.Namespace)
		query += fmt.Sprintf(` AND namespace = $%d`, len(args))
	}
	if f.MetricName != "" {
		args = append(args, f.MetricName)
		query += fmt.Sprintf(` AND name = $%d`, len(args))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since.UnixMilli())
		query += fmt.Sprintf(` AND time_ms >= $%d`, len(args))
	}
	query += ` ORDER BY namespace, name, dims`
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list metrics: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.MetricID, error) {
		m := store.MetricID{Account: f.Account, Region: f.Region}
		var dims string
		if err := row.Scan(&m.Namespace, &m.MetricName, &dims); err != nil {
			return m, err
		}
		var err error
		m.Dimensions, err = store.DecodeDimensions(dims)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list metrics: %w", err)
	}
	out := found[:0]
	for _, m := range found {
		if f.Matches(m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// PruneMetricData implements store.Metrics.
func (s *Store) PruneMetricData(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM metric_data WHERE time_ms < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune metric data: %w", err)
	}
	return tag.RowsAffected(), nil
}
