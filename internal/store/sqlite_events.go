package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// eventsPerInsert is how many events one INSERT statement writes: a batch
// costs one statement execution per chunk rather than per event (13 bound
// parameters each, well under SQLite's limit of 32766).
const eventsPerInsert = 64

// insertEventsSQL returns the INSERT statement for n events.
func insertEventsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (id, time_ms, name, source, username, access_key_id, read_only, record,
		principal_arn, issuer_arn, category, decisions, account) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	}
	return b.String()
}

// insertResourcesSQL returns the INSERT statement for n event resources.
func insertResourcesSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO event_resources (seq, type, name) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?)`)
	}
	return b.String()
}

// AppendEvents implements Store. Events are inserted eventsPerInsert at a
// time; the rows of one INSERT take consecutive seq values (AUTOINCREMENT,
// one writer), so the last insert id numbers them all.
func (s *SQLite) AppendEvents(ctx context.Context, events []Event) (err error) {
	if len(events) == 0 {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.insEvents == nil {
		if s.insEvents, err = s.db.PrepareContext(ctx, insertEventsSQL(eventsPerInsert)); err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
	}
	if s.insResources == nil {
		if s.insResources, err = s.db.PrepareContext(ctx, insertResourcesSQL(eventsPerInsert)); err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	all := events
	ins := inserter{tx: tx, events: tx.StmtContext(ctx, s.insEvents), resources: tx.StmtContext(ctx, s.insResources)}
	args := make([]any, 0, 13*min(len(events), eventsPerInsert))
	var resArgs []any
	for len(events) > 0 {
		chunk := events[:min(len(events), eventsPerInsert)]
		events = events[len(chunk):]
		args = args[:0]
		for i := range chunk {
			e := &chunk[i]
			ro := 0
			if e.ReadOnly {
				ro = 1
			}
			category := e.Category
			if category == "" {
				category = CategoryManagement
			}
			var decisions any // NULL when there are none
			if len(e.Decisions) > 0 {
				decisions = e.Decisions
			}
			args = append(args, e.ID, e.Time.UnixMilli(), e.Name, e.Source, e.Username, e.AccessKeyID, ro, e.Record,
				e.PrincipalARN, e.IssuerARN, category, decisions, e.Account)
		}
		res, err := ins.exec(ctx, ins.events, insertEventsSQL, len(chunk), args)
		if err != nil {
			return fmt.Errorf("store: append event: %w", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("store: append event: %w", err)
		}
		first := last - int64(len(chunk)) + 1
		for i := range chunk {
			for _, r := range chunk[i].Resources {
				resArgs = append(resArgs, first+int64(i), r.Type, r.Name)
				if len(resArgs) == 3*eventsPerInsert {
					if _, err := ins.exec(ctx, ins.resources, insertResourcesSQL, eventsPerInsert, resArgs); err != nil {
						return fmt.Errorf("store: append event resource: %w", err)
					}
					resArgs = resArgs[:0]
				}
			}
		}
	}
	if len(resArgs) > 0 {
		if _, err := ins.exec(ctx, ins.resources, insertResourcesSQL, len(resArgs)/3, resArgs); err != nil {
			return fmt.Errorf("store: append event resource: %w", err)
		}
	}
	if err := s.appendAccesses(ctx, tx, all); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit events: %w", err)
	}
	return nil
}

// inserter runs AppendEvents' multi-row INSERTs in one transaction.
type inserter struct {
	tx                *sql.Tx
	events, resources *sql.Stmt // for eventsPerInsert rows
}

// exec inserts n rows: with full, prepared for eventsPerInsert rows, or with
// a statement built by sqlFor for a shorter last chunk.
func (in inserter) exec(ctx context.Context, full *sql.Stmt, sqlFor func(int) string, n int, args []any) (sql.Result, error) {
	if n == eventsPerInsert {
		return full.ExecContext(ctx, args...)
	}
	return in.tx.ExecContext(ctx, sqlFor(n), args...)
}

var eventColumns = map[string]string{
	"EventId":     "id",
	"EventName":   "name",
	"Username":    "username",
	"EventSource": "source",
	"AccessKeyId": "access_key_id",
}

// QueryEvents implements Store. The returned cursor is "" when there are no more events.
func (s *SQLite) QueryEvents(ctx context.Context, q EventQuery) ([]Event, string, error) {
	var where []string
	var args []any
	switch q.Attribute {
	case "":
	case "ReadOnly":
		ro := 0
		if strings.EqualFold(q.Value, "true") {
			ro = 1
		}
		where = append(where, "read_only = ?")
		args = append(args, ro)
	case "ResourceType":
		where = append(where, "seq IN (SELECT seq FROM event_resources WHERE type = ?)")
		args = append(args, q.Value)
	case "ResourceName":
		where = append(where, "seq IN (SELECT seq FROM event_resources WHERE name = ?)")
		args = append(args, q.Value)
	default:
		col, ok := eventColumns[q.Attribute]
		if !ok {
			return nil, "", fmt.Errorf("store: unknown event attribute %q", q.Attribute)
		}
		where = append(where, col+" = ?")
		args = append(args, q.Value)
	}
	if q.PrincipalARN != "" {
		// The issuer term repeats events_issuer's condition, so that the
		// partial index serves it.
		where = append(where, "(principal_arn = ? OR (issuer_arn = ? AND issuer_arn <> ''))")
		args = append(args, q.PrincipalARN, q.PrincipalARN)
	}
	if q.Category != "" {
		where = append(where, "category = ?")
		args = append(args, q.Category)
	}
	if q.Account != "" {
		where = append(where, "account = ?")
		args = append(args, q.Account)
	}
	if !q.Start.IsZero() {
		where = append(where, "time_ms >= ?")
		args = append(args, q.Start.UnixMilli())
	}
	if !q.End.IsZero() {
		where = append(where, "time_ms <= ?")
		args = append(args, q.End.UnixMilli())
	}
	if q.Cursor != "" {
		t, seq, ok := strings.Cut(q.Cursor, ".")
		tm, err1 := strconv.ParseInt(t, 10, 64)
		sq, err2 := strconv.ParseInt(seq, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, "", fmt.Errorf("store: bad cursor %q", q.Cursor)
		}
		where = append(where, "(time_ms < ? OR (time_ms = ? AND seq < ?))")
		args = append(args, tm, tm, sq)
	}
	query := `SELECT seq, id, time_ms, name, source, username, access_key_id, read_only, record,
		principal_arn, issuer_arn, category, decisions, account FROM events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY time_ms DESC, seq DESC"
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	query += " LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: query events: %w", err)
	}
	defer rows.Close()
	var events []Event
	var seqs []int64
	for rows.Next() {
		var e Event
		var seq, ms int64
		var ro int
		if err := rows.Scan(&seq, &e.ID, &ms, &e.Name, &e.Source, &e.Username, &e.AccessKeyID, &ro, &e.Record,
			&e.PrincipalARN, &e.IssuerARN, &e.Category, &e.Decisions, &e.Account); err != nil {
			return nil, "", fmt.Errorf("store: query events: %w", err)
		}
		e.Time = time.UnixMilli(ms).UTC()
		e.ReadOnly = ro == 1
		events = append(events, e)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: query events: %w", err)
	}
	rows.Close()
	next := ""
	if len(events) > limit {
		events = events[:limit]
		last := events[limit-1]
		next = strconv.FormatInt(last.Time.UnixMilli(), 10) + "." + strconv.FormatInt(seqs[limit-1], 10)
	}
	for i := range events {
		if err := s.loadResources(ctx, seqs[i], &events[i]); err != nil {
			return nil, "", err
		}
	}
	return events, next, nil
}

func (s *SQLite) loadResources(ctx context.Context, seq int64, e *Event) error {
	rows, err := s.db.QueryContext(ctx, `SELECT type, name FROM event_resources WHERE seq = ?`, seq)
	if err != nil {
		return fmt.Errorf("store: event resources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r EventResource
		if err := rows.Scan(&r.Type, &r.Name); err != nil {
			return fmt.Errorf("store: event resources: %w", err)
		}
		e.Resources = append(e.Resources, r)
	}
	return rows.Err()
}
