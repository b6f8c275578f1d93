package store

import (
	"context"
	"fmt"
)

// Tables implements EmptyTx.
func (t *sqliteTx) Tables(ctx context.Context) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT DISTINCT tbl FROM kv ORDER BY tbl`)
	if err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("store: list tables: %w", err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	return tables, nil
}

// DeleteEvents implements EmptyTx.
func (t *sqliteTx) DeleteEvents(ctx context.Context) error {
	for _, table := range []string{"event_resources", "events", "accesses", "access_requests", "metric_data"} {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("store: delete %s: %w", table, err)
		}
	}
	return nil
}
