package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

var _ Metrics = (*SQLite)(nil)

// metricSchema is the SQLite schema of metric data points: one row per
// point or statistic set, found by its metric (dims is EncodeDimensions'
// form) and time.
const metricSchema = `
CREATE TABLE metric_data (
	account   TEXT NOT NULL,
	region    TEXT NOT NULL,
	namespace TEXT NOT NULL,
	name      TEXT NOT NULL,
	dims      TEXT NOT NULL,
	time_ms   INTEGER NOT NULL,
	unit      TEXT NOT NULL,
	sum       REAL NOT NULL,
	min       REAL NOT NULL,
	max       REAL NOT NULL,
	count     REAL NOT NULL
);
CREATE INDEX metric_data_series ON metric_data (account, region, namespace, name, dims, time_ms);
CREATE INDEX metric_data_time ON metric_data (time_ms);
`

// metricsPerInsert is how many points one INSERT writes (11 bound
// parameters each).
const metricsPerInsert = 64

func insertMetricsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO metric_data (account, region, namespace, name, dims, time_ms, unit, sum, min, max, count) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?,?,?,?)`)
	}
	return b.String()
}

// PutMetricData implements Metrics.
func (s *SQLite) PutMetricData(ctx context.Context, points []MetricDatum) error {
	if len(points) == 0 {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	args := make([]any, 0, 11*min(len(points), metricsPerInsert))
	for len(points) > 0 {
		chunk := points[:min(len(points), metricsPerInsert)]
		points = points[len(chunk):]
		args = args[:0]
		for i := range chunk {
			p := &chunk[i]
			args = append(args, p.Account, p.Region, p.Namespace, p.MetricName, EncodeDimensions(p.Dimensions),
				p.Time.UnixMilli(), p.Unit, p.Sum, p.Minimum, p.Maximum, p.SampleCount)
		}
		if _, err := tx.ExecContext(ctx, insertMetricsSQL(len(chunk)), args...); err != nil {
			return fmt.Errorf("store: put metric data: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit metric data: %w", err)
	}
	return nil
}

// MetricStatistics implements Metrics.
func (s *SQLite) MetricStatistics(ctx context.Context, q MetricQuery) ([]MetricStats, error) {
	start, period, err := MetricPeriods(q)
	if err != nil {
		return nil, err
	}
	query := `SELECT (time_ms - ?) / ? AS p, unit, sum(sum), min(min), max(max), sum(count) FROM metric_data
		WHERE account = ? AND region = ? AND namespace = ? AND name = ? AND dims = ? AND time_ms >= ? AND time_ms < ?`
	args := []any{start, period, q.Account, q.Region, q.Namespace, q.MetricName, EncodeDimensions(q.Dimensions), start, q.End.UnixMilli()}
	if q.Unit != "" {
		query += ` AND unit = ?`
		args = append(args, q.Unit)
	}
	query += ` GROUP BY p, unit ORDER BY p, unit`
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: metric statistics: %w", err)
	}
	defer rows.Close()
	var out []MetricStats
	for rows.Next() {
		var n int64
		var st MetricStats
		if err := rows.Scan(&n, &st.Unit, &st.Sum, &st.Minimum, &st.Maximum, &st.SampleCount); err != nil {
			return nil, fmt.Errorf("store: metric statistics: %w", err)
		}
		st.Time = time.UnixMilli(start + n*period).UTC()
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: metric statistics: %w", err)
	}
	return out, nil
}

// ListMetrics implements Metrics.
func (s *SQLite) ListMetrics(ctx context.Context, f MetricFilter) ([]MetricID, error) {
	query := `SELECT DISTINCT namespace, name, dims FROM metric_data WHERE account = ? AND region = ?`
	args := []any{f.Account, f.Region}
	if f.Namespace != "" {
		query += ` AND namespace = ?`
		args = append(args, f.Namespace)
	}
	if f.MetricName != "" {
		query += ` AND name = ?`
		args = append(args, f.MetricName)
	}
	if !f.Since.IsZero() {
		query += ` AND time_ms >= ?`
		args = append(args, f.Since.UnixMilli())
	}
	query += ` ORDER BY namespace, name, dims`
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list metrics: %w", err)
	}
	defer rows.Close()
	var out []MetricID
	for rows.Next() {
		m := MetricID{Account: f.Account, Region: f.Region}
		var dims string
		if err := rows.Scan(&m.Namespace, &m.MetricName, &dims); err != nil {
			return nil, fmt.Errorf("store: list metrics: %w", err)
		}
		if m.Dimensions, err = DecodeDimensions(dims); err != nil {
			return nil, err
		}
		if f.Matches(m) {
			out = append(out, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list metrics: %w", err)
	}
	return out, nil
}

// PruneMetricData implements Metrics.
func (s *SQLite) PruneMetricData(ctx context.Context, before time.Time) (int64, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.db.ExecContext(ctx, `DELETE FROM metric_data WHERE time_ms < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune metric data: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune metric data: %w", err)
	}
	return n, nil
}
