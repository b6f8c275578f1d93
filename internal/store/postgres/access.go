package postgres

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolecall/rolecall/internal/store"
)

// accessSchema is the PostgreSQL schema of access rows and replay records.
// A row keeps what it is selected by in columns (the principal, the
// issuer, the account, the second), its count, its first event
// (store.AccessFirst), and the rest in one value (store.EncodeAccess),
// which rows that agree in all but time share. Its seq orders the rows of one second as they were
// first written.
const accessSchema = `
CREATE TABLE accesses (
	seq           bigserial PRIMARY KEY,
	k             bytea NOT NULL UNIQUE,
	time_s        bigint NOT NULL,
	account       text NOT NULL,
	principal_arn text NOT NULL,
	issuer_arn    text NOT NULL,
	count         bigint NOT NULL,
	first         text COLLATE "C" NOT NULL,
	data          bytea NOT NULL
);
CREATE INDEX accesses_principal ON accesses (principal_arn, time_s, seq);
CREATE INDEX accesses_issuer ON accesses (issuer_arn, time_s, seq) WHERE issuer_arn <> '';
CREATE INDEX accesses_account ON accesses (account, time_s, seq);
CREATE TABLE access_requests (
	k text COLLATE "C" PRIMARY KEY,
	v bytea NOT NULL
);
`

// upsertAccesses adds access rows given as arrays, one per column, summing
// each into the row of its key when there is one (whose first event stays
// that of the first counted).
const upsertAccesses = `INSERT INTO accesses (k, time_s, account, principal_arn, issuer_arn, count, first, data)
SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bytea[])
ON CONFLICT (k) DO UPDATE SET count = accesses.count + excluded.count`

// appendAccesses writes the access rows and replay records of events in
// tx, AppendEvents' transaction, which holds the append lock: two appends
// never upsert the same rows at once. Each table takes one statement.
func appendAccesses(ctx context.Context, tx pgx.Tx, events []store.Event) error {
	rows, requests := store.SumAccesses(events)
	if len(rows) > 0 {
		n := len(rows)
		keys, data, firsts := make([][]byte, n), make([][]byte, n), make([]string, n)
		secs, counts := make([]int64, n), make([]int64, n)
		accounts, principals, issuers := make([]string, n), make([]string, n), make([]string, n)
		for i, r := range rows {
			a := &r.Access
			keys[i], secs[i], counts[i], data[i] = r.Key, a.Time.Unix(), a.Count, store.EncodeAccess(nil, a)
			accounts[i], principals[i], issuers[i], firsts[i] = a.Account, a.PrincipalARN, a.IssuerARN, store.AccessFirst(a)
		}
		if _, err := tx.Exec(ctx, upsertAccesses, keys, secs, accounts, principals, issuers, counts, firsts, data); err != nil {
			return fmt.Errorf("access rows: %w", err)
		}
	}
	if len(requests) > 0 {
		keys := make([]string, 0, len(requests))
		values := make([][]byte, 0, len(requests))
		for k, v := range requests {
			keys, values = append(keys, k), append(values, v)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO access_requests (k, v) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (k) DO NOTHING`,
			keys, values); err != nil {
			return fmt.Errorf("replay records: %w", err)
		}
	}
	return nil
}

// accessWhere returns the selection of q: the SELECT of columns from
// accesses with q's conditions, a principal's rows read as two ordered
// index scans (of its own rows and of the sessions it issued), and its
// arguments.
func accessWhere(columns string, q store.AccessQuery) (string, []any) {
	var w eventQuery
	if q.PrincipalARN != "" {
		w.add("principal_arn = ?", q.PrincipalARN)
	}
	lo, hi, hasLo, hasHi := q.Seconds()
	if hasLo {
		w.add("time_s >= ?", lo)
	}
	if hasHi {
		w.add("time_s <= ?", hi)
	}
	if q.Account != "" {
		w.add("account = ?", q.Account)
	}
	sel := `SELECT ` + columns + ` FROM accesses`
	query := sel
	if len(w.where) > 0 {
		query += " WHERE " + strings.Join(w.where, " AND ")
	}
	if q.PrincipalARN != "" {
		// The second arm: the same conditions, the issuer in place of the
		// principal ($1 is the ARN in both).
		rest := append([]string{"issuer_arn = $1", "issuer_arn <> ''", "principal_arn <> $1"}, w.where[1:]...)
		query += ` UNION ALL ` + sel + ` WHERE ` + strings.Join(rest, " AND ")
	}
	return query, w.args
}

// QueryAccess implements store.Store, merged by the planner rather than
// sorted.
func (s *Store) QueryAccess(ctx context.Context, q store.AccessQuery) iter.Seq2[store.Access, error] {
	return func(yield func(store.Access, error) bool) {
		query, args := accessWhere(`seq, time_s, count, first, data`, q)
		rows, err := s.pool.Query(ctx, query+" ORDER BY time_s, seq", args...)
		if err != nil {
			yield(store.Access{}, fmt.Errorf("store: query access rows: %w", err))
			return
		}
		defer rows.Close()
		var dec store.AccessDecoder
		for rows.Next() {
			var a store.Access
			var seq, sec int64
			// data is decoded from the row's own bytes (bytea comes in binary
			// format), not copied first.
			if err := rows.Scan(&seq, &sec, &a.Count, &a.EventID, nil); err != nil {
				yield(store.Access{}, fmt.Errorf("store: query access rows: %w", err))
				return
			}
			if len(a.EventID) < 16 {
				yield(store.Access{}, fmt.Errorf("store: query access rows: row %d: malformed first event", seq))
				return
			}
			a.EventID = a.EventID[16:]
			if err := dec.Decode(rows.RawValues()[4], &a); err != nil {
				yield(store.Access{}, fmt.Errorf("store: query access rows: row %d: %w", seq, err))
				return
			}
			a.Time = time.Unix(sec, 0).UTC()
			if !yield(a, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(store.Access{}, fmt.Errorf("store: query access rows: %w", err))
		}
	}
}

// SummarizeAccess implements store.Store: the engine groups the rows by
// their shared value and sums them.
func (s *Store) SummarizeAccess(ctx context.Context, q store.AccessQuery) iter.Seq2[store.AccessSummary, error] {
	return func(yield func(store.AccessSummary, error) bool) {
		sel, args := accessWhere(`time_s, count, first, data`, q)
		query := `SELECT min(first), max(time_s), sum(count)::bigint, data FROM (` + sel + `) s GROUP BY data ORDER BY 1, 4`
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			yield(store.AccessSummary{}, fmt.Errorf("store: summarize access rows: %w", err))
			return
		}
		defer rows.Close()
		var dec store.AccessDecoder
		for rows.Next() {
			var a store.AccessSummary
			var first string
			var last int64
			if err := rows.Scan(&first, &last, &a.Count, nil); err != nil {
				yield(store.AccessSummary{}, fmt.Errorf("store: summarize access rows: %w", err))
				return
			}
			if a.Time, a.EventID, err = store.ParseAccessFirst(first); err == nil {
				err = dec.Decode(rows.RawValues()[3], &a.Access)
			}
			if err != nil {
				yield(store.AccessSummary{}, fmt.Errorf("store: summarize access rows: %w", err))
				return
			}
			a.Last = time.Unix(last, 0).UTC()
			if !yield(a, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(store.AccessSummary{}, fmt.Errorf("store: summarize access rows: %w", err))
		}
	}
}

// AccessRequests implements store.Store.
func (s *Store) AccessRequests(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT k, v FROM access_requests WHERE k = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("store: read replay records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: read replay records: %w", err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read replay records: %w", err)
	}
	return out, nil
}
