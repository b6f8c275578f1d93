package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
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
		if err := s.scanAccess(ctx, query, args, yield); err != nil {
			yield(Access{}, fmt.Errorf("store: query access rows: %w", err))
		}
	}
}

// errStopped ends a scan whose consumer stopped.
var errStopped = errors.New("stopped")

// scanAccess runs query on a connection of its own, through the driver
// directly: at a million rows, database/sql's per-row locking and
// conversions cost more than the engine's reads. It yields each row.
func (s *SQLite) scanAccess(ctx context.Context, query string, args []any, yield func(Access, error) bool) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	err = conn.Raw(func(dc any) (err error) {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("the driver cannot query")
		}
		rows, err := q.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, rows.Close()) }()
		var dec AccessDecoder
		dest := make([]driver.Value, 4)
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			seq, ok1 := dest[0].(int64)
			sec, ok2 := dest[1].(int64)
			count, ok3 := dest[2].(int64)
			data, ok4 := dest[3].([]byte)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				return fmt.Errorf("row of unexpected types %T %T %T %T", dest[0], dest[1], dest[2], dest[3])
			}
			a := Access{Count: count}
			if err := dec.Decode(data, &a); err != nil {
				return fmt.Errorf("row %d: %w", seq, err)
			}
			a.Time = time.Unix(sec, 0).UTC()
			if !yield(a, nil) {
				return errStopped
			}
		}
	})
	if errors.Is(err, errStopped) {
		return nil
	}
	return err
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
