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

// resourceParams is the number of bound parameters of one event resource.
const resourceParams = 4

// insertResourcesSQL returns the INSERT statement for n event resources.
func insertResourcesSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO event_resources (seq, type, name, time_ms) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?)`)
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
				resArgs = append(resArgs, first+int64(i), r.Type, r.Name, chunk[i].Time.UnixMilli())
				if len(resArgs) == resourceParams*eventsPerInsert {
					if _, err := ins.exec(ctx, ins.resources, insertResourcesSQL, eventsPerInsert, resArgs); err != nil {
						return fmt.Errorf("store: append event resource: %w", err)
					}
					resArgs = resArgs[:0]
				}
			}
		}
	}
	if len(resArgs) > 0 {
		if _, err := ins.exec(ctx, ins.resources, insertResourcesSQL, len(resArgs)/resourceParams, resArgs); err != nil {
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

// eventLookupSchema indexes every lookup attribute in the history's order
// (time, then sequence): a lookup walks its own attribute's index from the
// newest event back and stops after a page, and one that matches nothing
// reads no event. Resource rows carry their event's time so that their
// indexes keep that order too. EventId has events_id: an ID names one event.
const eventLookupSchema = `
CREATE INDEX events_name ON events (name, time_ms, seq);
CREATE INDEX events_source ON events (source, time_ms, seq);
CREATE INDEX events_username ON events (username, time_ms, seq);
CREATE INDEX events_access_key ON events (access_key_id, time_ms, seq);
CREATE INDEX events_read_only ON events (read_only, time_ms, seq);
ALTER TABLE event_resources ADD COLUMN time_ms INTEGER NOT NULL DEFAULT 0;
UPDATE event_resources SET time_ms = (SELECT time_ms FROM events WHERE events.seq = event_resources.seq);
CREATE INDEX event_resources_type ON event_resources (type, time_ms, seq);
CREATE INDEX event_resources_name ON event_resources (name, time_ms, seq);
`

var eventColumns = map[string]string{
	"EventId":     "e.id",
	"EventName":   "e.name",
	"Username":    "e.username",
	"EventSource": "e.source",
	"AccessKeyId": "e.access_key_id",
	"ReadOnly":    "e.read_only",
}

var resourceColumns = map[string]string{
	"ResourceType": "r.type",
	"ResourceName": "r.name",
}

// QueryEvents implements Store. The returned cursor is "" when there are no
// more events.
//
// A resource lookup walks the resource rows (type or name, then time), each
// joined to its event: the rows of one event are adjacent in that order,
// and an event with two matching resources is returned once. Other queries
// read events alone, by their attribute's index or by time.
func (s *SQLite) QueryEvents(ctx context.Context, q EventQuery) ([]Event, string, error) {
	var where []string
	var args []any
	// o is the table whose time and sequence order the query.
	from, o := "events e", "e"
	if col, ok := resourceColumns[q.Attribute]; ok {
		from, o = "event_resources r JOIN events e ON e.seq = r.seq", "r"
		where = append(where, col+" = ?")
		args = append(args, q.Value)
	} else if q.Attribute != "" {
		col, ok := eventColumns[q.Attribute]
		if !ok {
			return nil, "", fmt.Errorf("store: unknown event attribute %q", q.Attribute)
		}
		var v any = q.Value
		if q.Attribute == "ReadOnly" {
			v = 0
			if strings.EqualFold(q.Value, "true") {
				v = 1
			}
		}
		where = append(where, col+" = ?")
		args = append(args, v)
	}
	if q.PrincipalARN != "" {
		// The issuer term repeats events_issuer's condition, so that the
		// partial index serves it.
		where = append(where, "(e.principal_arn = ? OR (e.issuer_arn = ? AND e.issuer_arn <> ''))")
		args = append(args, q.PrincipalARN, q.PrincipalARN)
	}
	if q.Category != "" {
		where = append(where, "e.category = ?")
		args = append(args, q.Category)
	}
	if q.Account != "" {
		where = append(where, "e.account = ?")
		args = append(args, q.Account)
	}
	if !q.Start.IsZero() {
		where = append(where, o+".time_ms >= ?")
		args = append(args, q.Start.UnixMilli())
	}
	if !q.End.IsZero() {
		where = append(where, o+".time_ms <= ?")
		args = append(args, q.End.UnixMilli())
	}
	if q.Cursor != "" {
		tm, sq, err := parseCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "("+o+".time_ms, "+o+".seq) < (?, ?)")
		args = append(args, tm, sq)
	}
	query := `SELECT e.seq, e.id, e.time_ms, e.name, e.source, e.username, e.access_key_id, e.read_only, e.record,
		e.principal_arn, e.issuer_arn, e.category, e.decisions, e.account FROM ` + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + o + ".time_ms DESC, " + o + ".seq DESC"
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	if o == "e" {
		// A resource lookup stops reading after the page instead: its
		// rows are not one per event.
		query += " LIMIT ?"
		args = append(args, limit+1)
	}
	events, seqs, err := s.scanEvents(ctx, limit+1, query, args)
	if err != nil {
		return nil, "", err
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

// parseCursor reads a QueryEvents cursor: the time (Unix milliseconds) and
// sequence number of the last event returned.
func parseCursor(cursor string) (timeMS, seq int64, err error) {
	t, sq, ok := strings.Cut(cursor, ".")
	timeMS, err1 := strconv.ParseInt(t, 10, 64)
	seq, err2 := strconv.ParseInt(sq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("store: bad cursor %q", cursor)
	}
	return timeMS, seq, nil
}

// scanEvents runs query and reads up to n events from it, skipping a row
// of the event just read, and their sequence numbers.
func (s *SQLite) scanEvents(ctx context.Context, n int, query string, args []any) ([]Event, []int64, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: query events: %w", err)
	}
	defer rows.Close()
	var events []Event
	var seqs []int64
	for len(events) < n && rows.Next() {
		var e Event
		var seq, ms int64
		var ro int
		if err := rows.Scan(&seq, &e.ID, &ms, &e.Name, &e.Source, &e.Username, &e.AccessKeyID, &ro, &e.Record,
			&e.PrincipalARN, &e.IssuerARN, &e.Category, &e.Decisions, &e.Account); err != nil {
			return nil, nil, fmt.Errorf("store: query events: %w", err)
		}
		if len(seqs) > 0 && seqs[len(seqs)-1] == seq {
			continue
		}
		e.Time = time.UnixMilli(ms).UTC()
		e.ReadOnly = ro == 1
		events = append(events, e)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: query events: %w", err)
	}
	return events, seqs, nil
}

// resourceBatch is how many events' resources one query reads.
const resourceBatch = 500

// loadResources reads the resources of events (whose sequence numbers are
// seqs), resourceBatch events a query, each event's in the order they were
// appended.
func (s *SQLite) loadResources(ctx context.Context, seqs []int64, events []Event) error {
	index := make(map[int64]int, len(seqs))
	for i, seq := range seqs {
		index[seq] = i
	}
	for len(seqs) > 0 {
		batch := seqs[:min(len(seqs), resourceBatch)]
		seqs = seqs[len(batch):]
		args := make([]any, len(batch))
		for i, seq := range batch {
			args[i] = seq
		}
		query := `SELECT seq, type, name FROM event_resources WHERE seq IN (?` + strings.Repeat(",?", len(batch)-1) + `) ORDER BY seq, rowid`
		if err := s.readResources(ctx, query, args, func(seq int64, r EventResource) {
			e := &events[index[seq]]
			e.Resources = append(e.Resources, r)
		}); err != nil {
			return err
		}
	}
	return nil
}

// readResources runs query and passes each resource row to add.
func (s *SQLite) readResources(ctx context.Context, query string, args []any, add func(int64, EventResource)) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: event resources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var r EventResource
		if err := rows.Scan(&seq, &r.Type, &r.Name); err != nil {
			return fmt.Errorf("store: event resources: %w", err)
		}
		add(seq, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: event resources: %w", err)
	}
	return nil
}
