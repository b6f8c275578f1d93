package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Tables implements store.EmptyTx.
func (t *pgTx) Tables(ctx context.Context) ([]string, error) {
	rows, err := t.tx.Query(ctx, `SELECT DISTINCT tbl FROM kv ORDER BY tbl`)
	if err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	return tables, nil
}

// DeleteEvents implements store.EmptyTx. It takes the event-append lock
// first, so that an append in flight lands before the deletion or after it,
// never half of it.
func (t *pgTx) DeleteEvents(ctx context.Context) error {
	for _, q := range []string{appendLockQuery, `DELETE FROM event_resources`, `DELETE FROM events`,
		`DELETE FROM accesses`, `DELETE FROM access_requests`, `DELETE FROM metric_data`} {
		if _, err := t.tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("store: delete events: %w", err)
		}
	}
	return nil
}
