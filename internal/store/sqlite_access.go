package store

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"
	"time"
)

// accessSchema is the SQLite schema of access rows and replay records. A
// row keeps what it is selected by in columns (the principal, the issuer,
// the account, the second), its count, and the rest in one value
// (EncodeAccess). Its seq orders the rows of one second as they were first
// written.
const accessSchema = `
CREATE TABLE accesses (
	seq           INTEGER PRIMARY KEY,
	k             BLOB NOT NULL UNIQUE,
	time_s        INTEGER NOT NULL,
	account       TEXT NOT NULL,
	principal_arn TEXT NOT NULL,
	issuer_arn    TEXT NOT NULL,
	count         INTEGER NOT NULL,
	data          BLOB NOT NULL
);
CREATE INDEX accesses_principal ON accesses (principal_arn, time_s, seq);
CREATE INDEX accesses_issuer ON accesses (issuer_arn, time_s, seq) WHERE issuer_arn <> '';
CREATE INDEX accesses_account ON accesses (account, time_s, seq);
CREATE TABLE access_requests (
	k TEXT PRIMARY KEY,
	v BLOB NOT NULL
) WITHOUT ROWID;
`

// accessesPerInsert is how many access rows one upsert writes (7 bound
// parameters each).
const accessesPerInsert = 128

// upsertAccessesSQL returns the statement that adds n access rows, summing
// each into the row of its key when there is one (whose EventID stays that
// of the first event counted).
func upsertAccessesSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO accesses (k, time_s, account, principal_arn, issuer_arn, count, data) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?)`)
	}
	b.WriteString(` ON CONFLICT (k) DO UPDATE SET count = count + excluded.count`)
	return b.String()
}

// appendAccesses writes the access rows and replay records of events in
// tx, AppendEvents' transaction; s.writeMu is held.
func (s *SQLite) appendAccesses(ctx context.Context, tx *sql.Tx, events []Event) error {
	rows, requests := SumAccesses(events)
	if len(rows) > 0 && s.insAccesses == nil {
		st, err := s.db.PrepareContext(ctx, upsertAccessesSQL(accessesPerInsert))
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		s.insAccesses = st
	}
	args := make([]any, 0, 7*min(len(rows), accessesPerInsert))
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), accessesPerInsert)]
		rows = rows[len(chunk):]
		args = args[:0]
		for _, r := range chunk {
			a := &r.Access
			args = append(args, r.Key, a.Time.Unix(), a.Account, a.PrincipalARN, a.IssuerARN, a.Count, EncodeAccess(nil, a))
		}
		var err error
		if len(chunk) == accessesPerInsert {
			_, err = tx.StmtContext(ctx, s.insAccesses).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, upsertAccessesSQL(len(chunk)), args...)
		}
		if err != nil {
			return fmt.Errorf("store: append access rows: %w", err)
		}
	}
	for k, v := range requests {
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_requests (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING`, k, v); err != nil {
			return fmt.Errorf("store: append replay record: %w", err)
		}
	}
	return nil
}

// QueryAccess implements Store. A principal's rows are read as two ordered
// index scans, of its own rows and of the sessions it issued, merged by the
// engine rather than sorted.
func (s *SQLite) QueryAccess(ctx context.Context, q AccessQuery) iter.Seq2[Access, error] {
	return func(yield func(Access, error) bool) {
		var where []string
		var args []any
		lo, hi, hasLo, hasHi := q.Seconds()
		if hasLo {
			where = append(where, "time_s >= ?")
			args = append(args, lo)
		}
		if hasHi {
			where = append(where, "time_s <= ?")
			args = append(args, hi)
		}
		if q.Account != "" {
			where = append(where, "account = ?")
			args = append(args, q.Account)
		}
		const columns = `SELECT seq, time_s, count, data FROM accesses`
		var query string
		switch {
		case q.PrincipalARN != "":
			rest := ""
			if len(where) > 0 {
				rest = " AND " + strings.Join(where, " AND ")
			}
			query = columns + ` WHERE principal_arn = ?` + rest +
				` UNION ALL ` + columns + ` WHERE issuer_arn = ? AND issuer_arn <> '' AND principal_arn <> ?` + rest +
				` ORDER BY time_s, seq`
			args = append(append(append([]any{q.PrincipalARN}, args...), q.PrincipalARN, q.PrincipalARN), args...)
		case len(where) > 0:
			query = columns + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY time_s, seq`
		default:
			query = columns + ` ORDER BY time_s, seq`
		}
		rows, err := s.db.QueryContext(ctx, query, args...)
		if err != nil {
			yield(Access{}, fmt.Errorf("store: query access rows: %w", err))
			return
		}
		defer rows.Close()
		var dec AccessDecoder
		var data sql.RawBytes
		for rows.Next() {
			var a Access
			var seq, sec int64
			if err := rows.Scan(&seq, &sec, &a.Count, &data); err != nil {
				yield(Access{}, fmt.Errorf("store: query access rows: %w", err))
				return
			}
			if err := dec.Decode(data, &a); err != nil {
				yield(Access{}, fmt.Errorf("store: query access rows: row %d: %w", seq, err))
				return
			}
			a.Time = time.Unix(sec, 0).UTC()
			if !yield(a, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Access{}, fmt.Errorf("store: query access rows: %w", err))
		}
	}
}

// requestsPerQuery bounds the keys one AccessRequests query names.
const requestsPerQuery = 500

// AccessRequests implements Store.
func (s *SQLite) AccessRequests(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), requestsPerQuery)]
		keys = keys[len(chunk):]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		query := `SELECT k, v FROM access_requests WHERE k IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		if err := func() error {
			rows, err := s.db.QueryContext(ctx, query, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k string
				var v []byte
				if err := rows.Scan(&k, &v); err != nil {
					return err
				}
				out[k] = v
			}
			return rows.Err()
		}(); err != nil {
			return nil, fmt.Errorf("store: read replay records: %w", err)
		}
	}
	return out, nil
}
