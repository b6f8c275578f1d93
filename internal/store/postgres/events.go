package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolecall/rolecall/internal/store"
)

// appendLockQuery takes the schema's event-append lock until the end of
// the transaction.
const appendLockQuery = `SELECT pg_advisory_xact_lock(hashtext('rolecall.events.' || current_schema()))`

// AppendEvents implements store.Store. The batch's sequence numbers are
// taken first, in one statement, so that both tables are written with
// COPY: one round trip each, however large the batch.
//
// Sequence numbers follow commit order: a sequence hands out numbers as
// transactions ask, and one that asked first may commit last, so that a
// reader could see seq n+1 before seq n exists and page past it. Appends
// therefore take a transaction-scoped advisory lock before their numbers:
// the next append waits for the previous one to commit (or roll back), and
// every number it draws is above those of every event already visible.
func (s *Store) AppendEvents(ctx context.Context, events []store.Event) error {
	if len(events) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, appendLockQuery); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('events', 'seq')) FROM generate_series(1, $1)`, len(events))
		if err != nil {
			return err
		}
		seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		slices.Sort(seqs) // batch order is seq order
		eventRows := make([][]any, len(events))
		var resourceRows [][]any
		for i := range events {
			e := &events[i]
			category := e.Category
			if category == "" {
				category = store.CategoryManagement
			}
			var decisions []byte // NULL when there are none
			if len(e.Decisions) > 0 {
				decisions = e.Decisions
			}
			record := e.Record
			if record == nil {
				record = []byte{}
			}
			eventRows[i] = []any{seqs[i], e.ID, e.Time.UnixMilli(), e.Name, e.Source, e.Username, e.AccessKeyID, e.ReadOnly, record,
				e.PrincipalARN, e.IssuerARN, category, decisions, e.Account}
			for j, r := range e.Resources {
				resourceRows = append(resourceRows, []any{seqs[i], int32(j), r.Type, r.Name})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"},
			[]string{"seq", "id", "time_ms", "name", "source", "username", "access_key_id", "read_only", "record",
				"principal_arn", "issuer_arn", "category", "decisions", "account"},
			pgx.CopyFromRows(eventRows)); err != nil {
			return err
		}
		if len(resourceRows) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"event_resources"}, []string{"seq", "pos", "type", "name"},
				pgx.CopyFromRows(resourceRows)); err != nil {
				return err
			}
		}
		return appendAccesses(ctx, tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: append events: %w", err)
	}
	return nil
}

var eventColumns = map[string]string{
	"EventId":     "id",
	"EventName":   "name",
	"Username":    "username",
	"EventSource": "source",
	"AccessKeyId": "access_key_id",
}

// eventQuery builds a query's WHERE conditions with numbered parameters.
type eventQuery struct {
	where []string
	args  []any
}

// add appends a condition; each ? in cond takes the next of args.
func (q *eventQuery) add(cond string, args ...any) {
	parts := strings.Split(cond, "?")
	var b strings.Builder
	b.WriteString(parts[0])
	for i, part := range parts[1:] {
		q.args = append(q.args, args[i])
		fmt.Fprintf(&b, "$%d", len(q.args))
		b.WriteString(part)
	}
	q.where = append(q.where, b.String())
}

// QueryEvents implements store.Store. The returned cursor is "" when
// there are no more events.
func (s *Store) QueryEvents(ctx context.Context, q store.EventQuery) ([]store.Event, string, error) {
	var w eventQuery
	switch q.Attribute {
	case "":
	case "ReadOnly":
		w.add("read_only = ?", strings.EqualFold(q.Value, "true"))
	case "ResourceType":
		w.add("EXISTS (SELECT 1 FROM event_resources r WHERE r.seq = events.seq AND r.type = ?)", q.Value)
	case "ResourceName":
		w.add("EXISTS (SELECT 1 FROM event_resources r WHERE r.seq = events.seq AND r.name = ?)", q.Value)
	default:
		col, ok := eventColumns[q.Attribute]
		if !ok {
			return nil, "", fmt.Errorf("store: unknown event attribute %q", q.Attribute)
		}
		w.add(col+" = ?", q.Value)
	}
	if q.PrincipalARN != "" {
		// The issuer term repeats events_issuer's condition, so that the
		// partial index serves it.
		w.add("(principal_arn = ? OR (issuer_arn = ? AND issuer_arn <> ''))", q.PrincipalARN, q.PrincipalARN)
	}
	if q.Category != "" {
		w.add("category = ?", q.Category)
	}
	if q.Account != "" {
		w.add("account = ?", q.Account)
	}
	if !q.Start.IsZero() {
		w.add("time_ms >= ?", q.Start.UnixMilli())
	}
	if !q.End.IsZero() {
		w.add("time_ms <= ?", q.End.UnixMilli())
	}
	if q.Cursor != "" {
		t, seq, ok := strings.Cut(q.Cursor, ".")
		tm, err1 := strconv.ParseInt(t, 10, 64)
		sq, err2 := strconv.ParseInt(seq, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, "", fmt.Errorf("store: bad cursor %q", q.Cursor)
		}
		w.add("(time_ms, seq) < (?, ?)", tm, sq)
	}
	query := `SELECT seq, id, time_ms, name, source, username, access_key_id, read_only, record,
		principal_arn, issuer_arn, category, decisions, account FROM events`
	if len(w.where) > 0 {
		query += " WHERE " + strings.Join(w.where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	w.args = append(w.args, limit+1)
	query += fmt.Sprintf(" ORDER BY time_ms DESC, seq DESC LIMIT $%d", len(w.args))
	rows, err := s.pool.Query(ctx, query, w.args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: query events: %w", err)
	}
	var events []store.Event
	var seqs []int64
	for rows.Next() {
		var e store.Event
		var seq, ms int64
		if err := rows.Scan(&seq, &e.ID, &ms, &e.Name, &e.Source, &e.Username, &e.AccessKeyID, &e.ReadOnly, &e.Record,
			&e.PrincipalARN, &e.IssuerARN, &e.Category, &e.Decisions, &e.Account); err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("store: query events: %w", err)
		}
		e.Time = time.UnixMilli(ms).UTC()
		events = append(events, e)
		seqs = append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: query events: %w", err)
	}
	next := ""
	if len(events) > limit {
		events, seqs = events[:limit], seqs[:limit]
		next = strconv.FormatInt(events[limit-1].Time.UnixMilli(), 10) + "." + strconv.FormatInt(seqs[limit-1], 10)
	}
	if err := s.loadResources(ctx, seqs, events); err != nil {
		return nil, "", err
	}
	return events, next, nil
}

// loadResources reads the resources of events (whose sequence numbers are
// seqs) in one query.
func (s *Store) loadResources(ctx context.Context, seqs []int64, events []store.Event) error {
	if len(seqs) == 0 {
		return nil
	}
	index := make(map[int64]int, len(seqs))
	for i, seq := range seqs {
		index[seq] = i
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, type, name FROM event_resources WHERE seq = ANY($1) ORDER BY seq, pos`, seqs)
	if err != nil {
		return fmt.Errorf("store: event resources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var r store.EventResource
		if err := rows.Scan(&seq, &r.Type, &r.Name); err != nil {
			return fmt.Errorf("store: event resources: %w", err)
		}
		e := &events[index[seq]]
		e.Resources = append(e.Resources, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: event resources: %w", err)
	}
	return nil
}
