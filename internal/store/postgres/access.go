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
// A row's seq orders the rows of one second as they were first written.
const accessSchema = `
CREATE TABLE accesses (
	seq           bigserial PRIMARY KEY,
	k             bytea NOT NULL UNIQUE,
	time_s        bigint NOT NULL,
	account       text NOT NULL,
	principal_arn text NOT NULL,
	issuer_arn    text NOT NULL,
	event_source  text NOT NULL,
	event_name    text NOT NULL,
	action        text NOT NULL,
	resource      text NOT NULL,
	decision      text NOT NULL,
	extra         boolean NOT NULL,
	invoked_by    text NOT NULL,
	request       text NOT NULL,
	count         bigint NOT NULL,
	event_id      text NOT NULL
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
// each into the row of its key when there is one (whose event_id stays
// that of the first event counted).
const upsertAccesses = `INSERT INTO accesses (k, time_s, account, principal_arn, issuer_arn, event_source, event_name,
	action, resource, decision, extra, invoked_by, request, count, event_id)
SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
	$8::text[], $9::text[], $10::text[], $11::boolean[], $12::text[], $13::text[], $14::bigint[], $15::text[])
ON CONFLICT (k) DO UPDATE SET count = accesses.count + excluded.count`

// appendAccesses writes the access rows and replay records of events in
// tx, AppendEvents' transaction, which holds the append lock: two appends
// never upsert the same rows at once. Each table takes one statement.
func appendAccesses(ctx context.Context, tx pgx.Tx, events []store.Event) error {
	rows, requests := store.SumAccesses(events)
	if len(rows) > 0 {
		n := len(rows)
		var (
			keys                                                   = make([][]byte, n)
			secs, counts                                           = make([]int64, n), make([]int64, n)
			accounts, principals, issuers, sources, names, actions = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			resources, decisions, invokers, reqs, ids              = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			extras                                                 = make([]bool, n)
		)
		for i, r := range rows {
			a := &r.Access
			keys[i], secs[i], counts[i] = r.Key, a.Time.Unix(), a.Count
			accounts[i], principals[i], issuers[i], sources[i], names[i], actions[i] = a.Account, a.PrincipalARN, a.IssuerARN, a.EventSource, a.EventName, a.Action
			resources[i], decisions[i], invokers[i], reqs[i], ids[i] = a.Resource, a.Decision, a.InvokedBy, a.Request, a.EventID
			extras[i] = a.Extra
		}
		if _, err := tx.Exec(ctx, upsertAccesses, keys, secs, accounts, principals, issuers, sources, names, actions,
			resources, decisions, extras, invokers, reqs, counts, ids); err != nil {
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

// accessColumns are the columns QueryAccess reads.
const accessColumns = `seq, time_s, account, principal_arn, issuer_arn, event_source, event_name, action, resource,
	decision, extra, invoked_by, request, count, event_id`

// QueryAccess implements store.Store. A principal's rows are read as two
// ordered index scans, of its own rows and of the sessions it issued,
// merged by the planner rather than sorted.
func (s *Store) QueryAccess(ctx context.Context, q store.AccessQuery) iter.Seq2[store.Access, error] {
	return func(yield func(store.Access, error) bool) {
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
		query := `SELECT ` + accessColumns + ` FROM accesses`
		if len(w.where) > 0 {
			query += " WHERE " + strings.Join(w.where, " AND ")
		}
		if q.PrincipalARN != "" {
			// The second arm: the same conditions, the issuer in place of the
			// principal ($1 is the ARN in both).
			rest := append([]string{"issuer_arn = $1", "issuer_arn <> ''", "principal_arn <> $1"}, w.where[1:]...)
			query += ` UNION ALL SELECT ` + accessColumns + ` FROM accesses WHERE ` + strings.Join(rest, " AND ")
		}
		query += " ORDER BY time_s, seq"
		rows, err := s.pool.Query(ctx, query, w.args...)
		if err != nil {
			yield(store.Access{}, fmt.Errorf("store: query access rows: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var a store.Access
			var seq, sec int64
			if err := rows.Scan(&seq, &sec, &a.Account, &a.PrincipalARN, &a.IssuerARN, &a.EventSource, &a.EventName, &a.Action,
				&a.Resource, &a.Decision, &a.Extra, &a.InvokedBy, &a.Request, &a.Count, &a.EventID); err != nil {
				yield(store.Access{}, fmt.Errorf("store: query access rows: %w", err))
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
