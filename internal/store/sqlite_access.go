package store

import (
	"context"
	"crypto/sha256"
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
// the account, the second), its count, its first event (AccessFirst), and
// the rest in one value (EncodeAccess), which rows that agree in all but
// time share, with g, the first 128 bits of its SHA-256, which
// SummarizeAccess groups by (sorting the hashes rather than the values;
// the same assumption as the replay records' keys, that distinct values
// never share 128 bits of their hash). Its seq orders
// the rows of one second as they were first written. The indexes of a
// principal's rows cover what SummarizeAccess groups, so that it reads no
// row but the one of each group.
const accessSchema = `
CREATE TABLE accesses (
	seq           INTEGER PRIMARY KEY,
	k             BLOB NOT NULL UNIQUE,
	time_s        INTEGER NOT NULL,
	account       TEXT NOT NULL,
	principal_arn TEXT NOT NULL,
	issuer_arn    TEXT NOT NULL,
	count         INTEGER NOT NULL,
	first         TEXT NOT NULL,
	g             BLOB NOT NULL,
	data          BLOB NOT NULL
);
CREATE INDEX accesses_principal ON accesses (principal_arn, time_s, seq, account, count, first, g);
CREATE INDEX accesses_issuer ON accesses (issuer_arn, time_s, seq, principal_arn, account, count, first, g) WHERE issuer_arn <> '';
CREATE INDEX accesses_account ON accesses (account, time_s, seq);
CREATE TABLE access_requests (
	k TEXT PRIMARY KEY,
	v BLOB NOT NULL
) WITHOUT ROWID;
`

// accessesPerInsert is how many access rows one upsert writes (9 bound
// parameters each).
const accessesPerInsert = 128

// upsertAccessesSQL returns the statement that adds n access rows, summing
// each into the row of its key when there is one (whose EventID stays that
// of the first event counted).
func upsertAccessesSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO accesses (k, time_s, account, principal_arn, issuer_arn, count, first, g, data) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?,?)`)
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
	args := make([]any, 0, 9*min(len(rows), accessesPerInsert))
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), accessesPerInsert)]
		rows = rows[len(chunk):]
		args = args[:0]
		for _, r := range chunk {
			a := &r.Access
			data := EncodeAccess(nil, a)
			sum := sha256.Sum256(data)
			args = append(args, r.Key, a.Time.Unix(), a.Account, a.PrincipalARN, a.IssuerARN, a.Count, AccessFirst(a),
				sum[:16], data)
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

// accessWhere returns the selection of q: the SELECT of columns from
// accesses with q's conditions, a principal's rows read as two ordered
// index scans (of its own rows and of the sessions it issued), and its
// arguments.
func accessWhere(columns string, q AccessQuery) (string, []any) {
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
		// A principal's index covers the account: "+" keeps the account's
		// index out of the plan.
		if q.PrincipalARN != "" {
			where = append(where, "+account = ?")
		} else {
			where = append(where, "account = ?")
		}
		args = append(args, q.Account)
	}
	sel := `SELECT ` + columns + ` FROM accesses`
	switch {
	case q.PrincipalARN != "":
		rest := ""
		if len(where) > 0 {
			rest = " AND " + strings.Join(where, " AND ")
		}
		query := sel + ` WHERE principal_arn = ?` + rest +
			` UNION ALL ` + sel + ` WHERE issuer_arn = ? AND issuer_arn <> '' AND principal_arn <> ?` + rest
		return query, append(append(append([]any{q.PrincipalARN}, args...), q.PrincipalARN, q.PrincipalARN), args...)
	case len(where) > 0:
		return sel + ` WHERE ` + strings.Join(where, " AND "), args
	default:
		return sel, args
	}
}

// QueryAccess implements Store.
func (s *SQLite) QueryAccess(ctx context.Context, q AccessQuery) iter.Seq2[Access, error] {
	return func(yield func(Access, error) bool) {
		query, args := accessWhere(`seq, time_s, count, first, data`, q)
		query += ` ORDER BY time_s, seq`
		var dec AccessDecoder
		err := s.scanAccess(ctx, query, args, func(dest []driver.Value) (bool, error) {
			seq, ok1 := dest[0].(int64)
			sec, ok2 := dest[1].(int64)
			count, ok3 := dest[2].(int64)
			first, ok4 := dest[3].(string)
			data, ok5 := dest[4].([]byte)
			if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || len(first) < 16 {
				return false, fmt.Errorf("row of unexpected types %T %T %T %T %T", dest[0], dest[1], dest[2], dest[3], dest[4])
			}
			a := Access{Count: count, EventID: first[16:]}
			if err := dec.Decode(data, &a); err != nil {
				return false, fmt.Errorf("row %d: %w", seq, err)
			}
			a.Time = time.Unix(sec, 0).UTC()
			return yield(a, nil), nil
		})
		if err != nil {
			yield(Access{}, fmt.Errorf("store: query access rows: %w", err))
		}
	}
}

// SummarizeAccess implements Store. The engine groups the rows by the
// hash of their shared value (64 bits of SHA-256: two values of a
// principal alike in it are not to be expected) and sums them, then reads
// the value of each group; the summaries come in the order of their first
// rows.
func (s *SQLite) SummarizeAccess(ctx context.Context, q AccessQuery) iter.Seq2[AccessSummary, error] {
	return func(yield func(AccessSummary, error) bool) {
		sel, args := accessWhere(`seq, time_s, count, first, g`, q)
		query := `SELECT s.first, s.last, s.n, a.data FROM (SELECT g, min(first) AS first, max(time_s) AS last, sum(count) AS n, min(seq) AS one FROM (` +
			sel + `) GROUP BY g) s JOIN accesses a ON a.seq = s.one ORDER BY s.first, a.data`
		var dec AccessDecoder
		err := s.scanAccess(ctx, query, args, func(dest []driver.Value) (bool, error) {
			first, ok1 := dest[0].(string)
			last, ok2 := dest[1].(int64)
			count, ok3 := dest[2].(int64)
			data, ok4 := dest[3].([]byte)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				return false, fmt.Errorf("summary of unexpected types %T %T %T %T", dest[0], dest[1], dest[2], dest[3])
			}
			var a AccessSummary
			var err error
			if a.Time, a.EventID, err = ParseAccessFirst(first); err != nil {
				return false, err
			}
			a.Count, a.Last = count, time.Unix(last, 0).UTC()
			if err := dec.Decode(data, &a.Access); err != nil {
				return false, err
			}
			return yield(a, nil), nil
		})
		if err != nil {
			yield(AccessSummary{}, fmt.Errorf("store: summarize access rows: %w", err))
		}
	}
}

// errStopped ends a scan whose consumer stopped.
var errStopped = errors.New("stopped")

// scanAccess runs query on a connection of its own, through the driver
// directly: at a million rows, database/sql's per-row locking and
// conversions cost more than the engine's reads. It calls row with each
// row's values until row returns false or an error.
func (s *SQLite) scanAccess(ctx context.Context, query string, args []any, row func([]driver.Value) (bool, error)) (err error) {
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
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if more, err := row(dest); err != nil {
				return err
			} else if !more {
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
