package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// migrations build the schema step by step. The database's user_version is
// the number of migrations applied; opening a database applies the rest, each
// in the transaction that records it. Append new steps, never edit old ones.
var migrations = []string{
	// 1: the key-value space and the event log. A database made before
	// versioning has these already (user_version 0), hence IF NOT EXISTS.
	`
CREATE TABLE IF NOT EXISTS kv (
	tbl   TEXT NOT NULL,
	k     TEXT NOT NULL,
	v     BLOB NOT NULL,
	PRIMARY KEY (tbl, k)
);
CREATE TABLE IF NOT EXISTS events (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	id            TEXT NOT NULL,
	time_ms       INTEGER NOT NULL,
	name          TEXT NOT NULL,
	source        TEXT NOT NULL,
	username      TEXT NOT NULL,
	access_key_id TEXT NOT NULL,
	read_only     INTEGER NOT NULL,
	record        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time_ms, seq);
CREATE INDEX IF NOT EXISTS events_id ON events (id);
CREATE TABLE IF NOT EXISTS event_resources (
	seq  INTEGER NOT NULL,
	type TEXT NOT NULL,
	name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_resources_seq ON event_resources (seq);
`,
	// 2: events know their principal, the role behind a role session, their
	// category and the authorization decisions made. Events recorded before
	// were all management events; their principals come from the record.
	// Only role sessions' events have an issuer, so only they are indexed
	// by it: a root or user call maintains one index fewer.
	`
ALTER TABLE events ADD COLUMN principal_arn TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN issuer_arn TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN category TEXT NOT NULL DEFAULT 'Management';
ALTER TABLE events ADD COLUMN decisions BLOB;
UPDATE events SET
	principal_arn = coalesce(json_extract(CAST(record AS TEXT), '$.userIdentity.arn'), ''),
	issuer_arn = coalesce(json_extract(CAST(record AS TEXT), '$.userIdentity.sessionContext.sessionIssuer.arn'), '')
WHERE json_valid(CAST(record AS TEXT));
CREATE INDEX events_principal ON events (principal_arn, time_ms, seq);
CREATE INDEX events_issuer ON events (issuer_arn, time_ms, seq) WHERE issuer_arn <> '';
`,
	// 3: events know the account they were recorded in (recipientAccountId),
	// so that each account's event history holds its own events.
	`
ALTER TABLE events ADD COLUMN account TEXT NOT NULL DEFAULT '';
UPDATE events SET account = coalesce(json_extract(CAST(record AS TEXT), '$.recipientAccountId'), '')
WHERE json_valid(CAST(record AS TEXT));
`,
	// 4: the change log. Each write transaction commits the next revision
	// and logs the keys it wrote under it; the latest revision is the
	// highest logged, or feed.trimmed when every change was trimmed.
	// Changes of revisions up to feed.trimmed are gone.
	`
CREATE TABLE changes (
	rev INTEGER NOT NULL,
	tbl TEXT NOT NULL,
	k   TEXT NOT NULL,
	PRIMARY KEY (rev, tbl, k)
) WITHOUT ROWID;
CREATE TABLE feed (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	trimmed INTEGER NOT NULL
);
INSERT INTO feed (id, trimmed) VALUES (1, 0);
`,
	// 5: access rows, the trail's decisions counted per second (Access),
	// unique by their key (AccessKey), and the replay records they name.
	accessSchema,
	// 6: CloudWatch metric data points (Metrics).
	metricSchema,
	// 7: indexes for every lookup attribute, each ending in the history's
	// order, so that a page of lookups reads its own events only, newest
	// first, and a lookup that matches nothing reads nothing. A resource
	// row carries its event's time for the same reason.
	eventLookupSchema,
}

// SchemaVersion is the schema version this build reads and writes.
var SchemaVersion = len(migrations)

// ErrSchemaOutdated is returned by OpenSQLiteReadOnly for a database whose
// schema predates this build: opening it for writing upgrades it.
var ErrSchemaOutdated = errors.New("store: database schema is older than this build")

// migrate applies the migrations db lacks. BEGIN IMMEDIATE takes the write
// lock before the version is read, so two processes opening one database
// apply each step once.
func migrate(ctx context.Context, db *sql.DB) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	var version int
	if err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version >= len(migrations) {
		return nil
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, rbErr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
			err = errors.Join(err, rbErr)
		}
	}()
	if err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	for ; version < len(migrations); version++ {
		if _, err := conn.ExecContext(ctx, migrations[version]); err != nil {
			return fmt.Errorf("migration %d: %w", version+1, err)
		}
	}
	// PRAGMA takes no bound parameters; version is an int.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `COMMIT`)
	return err
}

// SQLite is the embedded Store: one database file in WAL mode. The kv table
// keeps rowids, so its primary-key index holds keys only and a lookup never
// reads past large values (function code) stored near the key it wants.
//
// Several handles (processes) may share one database file. Transactions
// begin deferred: one that read a snapshot another handle has since
// written over fails with SQLITE_BUSY when it writes, and Update runs it
// again. Within one handle writers take turns, so they never conflict.
//
// The change feed: Watch polls the change log every WatchInterval and
// wakes at once when this handle commits, so a watcher sees this handle's
// commits within a millisecond or so and another process's within
// WatchInterval. The log keeps the changes of the last ChangeRetention
// revisions; a watcher further behind gets ErrCompacted.
type SQLite struct {
	db      *sql.DB
	getStmt *sql.Stmt // prepared once: point reads are the hot path
	// The statements of every write, prepared once: the engine parses SQL
	// on every unprepared call.
	stmts writeStmts
	// writeMu serializes writers so transactions never race to upgrade locks.
	writeMu sync.Mutex

	committed Signal // notified when this handle commits a revision
	// insEvents and insResources insert eventsPerInsert rows; prepared on
	// first use, under writeMu.
	insEvents, insResources *sql.Stmt
	// insAccesses upserts accessesPerInsert access rows; prepared on first
	// use, under writeMu.
	insAccesses *sql.Stmt
}

// headQuery reads the latest revision and the trimmed horizon.
const headQuery = `SELECT max(coalesce((SELECT max(rev) FROM changes), 0), trimmed), trimmed FROM feed`

// writeStmts are the prepared statements of Update.
type writeStmts struct {
	put, del, logChange, rev *sql.Stmt
}

func prepareWrites(ctx context.Context, db *sql.DB) (writeStmts, error) {
	var w writeStmts
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.put, `INSERT INTO kv (tbl, k, v) VALUES (?, ?, ?) ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v`},
		{&w.del, `DELETE FROM kv WHERE tbl = ? AND k = ?`},
		{&w.logChange, `INSERT INTO changes (rev, tbl, k) VALUES (?, ?, ?)`},
		{&w.rev, headQuery},
	} {
		s, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			return writeStmts{}, errors.Join(fmt.Errorf("store: prepare: %w", err), w.close())
		}
		*p.stmt = s
	}
	return w, nil
}

func (w writeStmts) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{w.put, w.del, w.logChange, w.rev} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// Change feed parameters of the SQLite engine.
const (
	// WatchInterval is how often Watch reads the change log for commits of
	// other processes.
	WatchInterval = 50 * time.Millisecond
	// ChangeRetention is how many revisions the change log keeps: at
	// thousands of writes a second, some seconds' worth, far more than a
	// watcher polling every WatchInterval falls behind unless it stalls.
	ChangeRetention = 10_000
	// trimEvery is how often, in revisions, a commit trims the log.
	trimEvery = 256
	// watchBatch bounds the revisions Watch reads at once.
	watchBatch = 256
	// maxAttempts bounds the runs of one Update's function.
	maxAttempts = 32
)

// OpenSQLite opens (creating if needed) the database at path.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(10000)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	if err := migrate(ctx, db); err != nil {
		return nil, errors.Join(fmt.Errorf("store: migrate schema of %s: %w", path, err), db.Close())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("store: protect %s: %w", path, err), db.Close())
	}
	getStmt, err := db.PrepareContext(ctx, getQuery)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: prepare: %w", err), db.Close())
	}
	stmts, err := prepareWrites(ctx, db)
	if err != nil {
		return nil, errors.Join(err, getStmt.Close(), db.Close())
	}
	return &SQLite{db: db, getStmt: getStmt, stmts: stmts}, nil
}

// OpenSQLiteReadOnly opens the existing database at path for reading only,
// as a second process beside a running server: in WAL mode a reader neither
// waits for the server's writes nor blocks them. Writes through the returned
// store fail. A database older than this build is refused with
// ErrSchemaOutdated, since upgrading it needs a writer.
func OpenSQLiteReadOnly(ctx context.Context, path string) (*SQLite, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	dsn := "file:" + path + "?mode=ro&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return nil, errors.Join(fmt.Errorf("store: open %s: %w", path, err), db.Close())
	}
	if version < SchemaVersion {
		return nil, errors.Join(fmt.Errorf("%w: %s is at version %d, this build needs %d", ErrSchemaOutdated, path, version, SchemaVersion), db.Close())
	}
	getStmt, err := db.PrepareContext(ctx, getQuery)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: prepare: %w", err), db.Close())
	}
	stmts, err := prepareWrites(ctx, db)
	if err != nil {
		return nil, errors.Join(err, getStmt.Close(), db.Close())
	}
	return &SQLite{db: db, getStmt: getStmt, stmts: stmts}, nil
}

// Scrub rewrites the database file without its free pages (VACUUM) and
// empties its write-ahead log, so that the bytes of deleted or overwritten
// values (a secret moved out, a value replaced by its ciphertext) are no
// longer in the files. It takes the writer for the whole rewrite: call it
// at start, before serving.
func (s *SQLite) Scrub(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("store: vacuum: %w", err)
	}
	var busy, frames, done int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("store: checkpoint: a reader kept the write-ahead log from being emptied")
	}
	return nil
}

// Close closes the database.
func (s *SQLite) Close() error {
	s.getStmt.Close()
	s.writeMu.Lock()
	var errs []error
	for _, st := range []*sql.Stmt{s.insEvents, s.insResources, s.insAccesses} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	s.writeMu.Unlock()
	errs = append(errs, s.stmts.close(), s.db.Close())
	return errors.Join(errs...)
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

const getQuery = `SELECT v FROM kv WHERE tbl = ? AND k = ?`

type rowQueryer interface {
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}

func get(ctx context.Context, q rowQueryer, table, key string) ([]byte, error) {
	var v []byte
	err := q.QueryRowContext(ctx, table, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s/%s: %w", table, key, err)
	}
	return v, nil
}

func list(ctx context.Context, q queryer, table, prefix, after string, limit int) ([]Item, error) {
	// One lower bound and, for a prefix, an upper one, so that the
	// primary key's index is searched for the range instead of scanned
	// from the lower of two bounds.
	query := `SELECT k, v FROM kv WHERE tbl = ? AND k > ?`
	args := []any{table, after}
	if prefix > after {
		query = `SELECT k, v FROM kv WHERE tbl = ? AND k >= ?`
		args = []any{table, prefix}
	}
	if prefix != "" {
		if last := prefix[len(prefix)-1]; last < 0x7f {
			query += ` AND k < ?`
			args = append(args, prefix[:len(prefix)-1]+string(last+1))
		}
		query += ` AND substr(k, 1, ?) = ?`
		args = append(args, len(prefix), prefix)
	}
	query += ` ORDER BY k`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list %s/%s: %w", table, prefix, err)
	}
	defer rows.Close()
	var items []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.Key, &it.Value); err != nil {
			return nil, fmt.Errorf("store: list %s: %w", table, err)
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// Get implements Reader.
func (s *SQLite) Get(ctx context.Context, table, key string) ([]byte, error) {
	return get(ctx, s.getStmt, table, key)
}

// List implements Reader.
func (s *SQLite) List(ctx context.Context, table, prefix, after string, limit int) ([]Item, error) {
	return list(ctx, s.db, table, prefix, after, limit)
}

// sqliteTx is one run of an Update's function. It records the keys it
// writes, once each, for the change log.
type sqliteTx struct {
	tx      *sql.Tx
	getStmt *sql.Stmt
	stmts   *writeStmts
	written WriteSet
}

func (t *sqliteTx) Get(ctx context.Context, table, key string) ([]byte, error) {
	return get(ctx, t.tx.StmtContext(ctx, t.getStmt), table, key)
}

func (t *sqliteTx) List(ctx context.Context, table, prefix, after string, limit int) ([]Item, error) {
	return list(ctx, t.tx, table, prefix, after, limit)
}

func (t *sqliteTx) Put(ctx context.Context, table, key string, value []byte) error {
	if _, err := t.tx.StmtContext(ctx, t.stmts.put).ExecContext(ctx, table, key, value); err != nil {
		return fmt.Errorf("store: put %s/%s: %w", table, key, err)
	}
	t.written.Add(table, key)
	return nil
}

func (t *sqliteTx) Delete(ctx context.Context, table, key string) error {
	if _, err := t.tx.StmtContext(ctx, t.stmts.del).ExecContext(ctx, table, key); err != nil {
		return fmt.Errorf("store: delete %s/%s: %w", table, key, err)
	}
	t.written.Add(table, key)
	return nil
}

// Update implements Store. A run that fails with SQLITE_BUSY or
// SQLITE_LOCKED (another handle committed over its snapshot, or held the
// database past the busy timeout) is rolled back and run again, up to
// maxAttempts runs, waiting a little longer before each.
func (s *SQLite) Update(ctx context.Context, fn func(tx Tx) error) (Revision, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for attempt := 1; ; attempt++ {
		rev, wrote, err := s.update(ctx, fn)
		if err == nil {
			if wrote {
				s.notify()
			}
			return rev, nil
		}
		if !isConflict(err) || attempt == maxAttempts {
			return 0, err
		}
		backoff := time.Duration(attempt) * time.Millisecond
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("store: update: %w (after a conflict: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// update runs fn once in a transaction and commits it with its changes.
func (s *SQLite) update(ctx context.Context, fn func(tx Tx) error) (rev Revision, wrote bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback() // the transaction failed already; its error is the one to report
		}
	}()
	t := &sqliteTx{tx: tx, getStmt: s.getStmt, stmts: &s.stmts}
	if err := fn(t); err != nil {
		return 0, false, err
	}
	if t.written.Len() == 0 {
		var trimmed Revision
		if err := tx.StmtContext(ctx, s.stmts.rev).QueryRowContext(ctx).Scan(&rev, &trimmed); err != nil {
			return 0, false, fmt.Errorf("store: read revision: %w", err)
		}
	} else if rev, err = s.logChanges(ctx, tx, &t.written); err != nil {
		return 0, false, err
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("store: commit: %w", err)
	}
	return rev, t.written.Len() > 0, nil
}

// logChanges commits the next revision with changes in tx, trimming the
// log every trimEvery revisions.
func (s *SQLite) logChanges(ctx context.Context, tx *sql.Tx, changes *WriteSet) (Revision, error) {
	// The transaction wrote, so it holds the write lock: no other commit
	// comes between reading the latest revision and committing the next.
	var rev, trimmed Revision
	if err := tx.StmtContext(ctx, s.stmts.rev).QueryRowContext(ctx).Scan(&rev, &trimmed); err != nil {
		return 0, fmt.Errorf("store: read revision: %w", err)
	}
	rev++
	ins := tx.StmtContext(ctx, s.stmts.logChange)
	for i, table := range changes.Tables {
		if _, err := ins.ExecContext(ctx, rev, table, changes.Keys[i]); err != nil {
			return 0, fmt.Errorf("store: log change %s/%s: %w", table, changes.Keys[i], err)
		}
	}
	if rev%trimEvery == 0 && rev > ChangeRetention {
		if err := trim(ctx, tx, rev-ChangeRetention); err != nil {
			return 0, err
		}
	}
	return rev, nil
}

// trim drops the changes of revisions up to through.
func trim(ctx context.Context, tx *sql.Tx, through Revision) error {
	// The horizon first, while the latest revision is still logged: it
	// stays the latest revision when every change goes.
	if _, err := tx.ExecContext(ctx, `UPDATE feed SET trimmed = max(trimmed, min(?, coalesce((SELECT max(rev) FROM changes), 0)))`, through); err != nil {
		return fmt.Errorf("store: trim change log: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE rev <= (SELECT trimmed FROM feed)`); err != nil {
		return fmt.Errorf("store: trim change log: %w", err)
	}
	return nil
}

// TrimChanges drops the logged changes of revisions up to through (at
// most the latest), as commits do by themselves for revisions older than
// the last ChangeRetention. A Watch from before through then ends with
// ErrCompacted.
func (s *SQLite) TrimChanges(ctx context.Context, through Revision) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := trim(ctx, tx, through); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// isConflict reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED
// (extended codes included): running the transaction again can succeed.
func isConflict(err error) bool {
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
		return true
	}
	return false
}

// notify wakes this handle's watchers.
func (s *SQLite) notify() { s.committed.Notify() }

// commits returns a channel closed at this handle's next commit.
func (s *SQLite) commits() <-chan struct{} { return s.committed.C() }

// CurrentRevision implements Store.
func (s *SQLite) CurrentRevision(ctx context.Context) (Revision, error) {
	var rev Revision
	var trimmed Revision
	if err := s.db.QueryRowContext(ctx, headQuery).Scan(&rev, &trimmed); err != nil {
		return 0, fmt.Errorf("store: read revision: %w", err)
	}
	return rev, nil
}

// Watch implements Store. It reads the change log when this handle
// commits and every WatchInterval.
func (s *SQLite) Watch(ctx context.Context, after Revision) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		timer := time.NewTimer(WatchInterval)
		defer timer.Stop()
		for {
			wake := s.commits() // before reading: a commit after the read wakes us
			batch, through, head, err := s.changesAfter(ctx, after)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				yield(Change{}, err)
				return
			}
			for _, c := range batch {
				if !yield(c, nil) {
					return
				}
			}
			after = through
			if head > after {
				continue
			}
			timer.Reset(WatchInterval)
			select {
			case <-ctx.Done():
				yield(Change{}, ctx.Err())
				return
			case <-wake:
			case <-timer.C:
			}
		}
	}
}

// changesAfter reads, from one snapshot, the changes of up to watchBatch
// revisions after after; through is the last revision read and head the
// latest.
func (s *SQLite) changesAfter(ctx context.Context, after Revision) (changes []Change, through, head Revision, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("store: watch: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read only: nothing to keep
	var trimmed Revision
	if err := tx.QueryRowContext(ctx, headQuery).Scan(&head, &trimmed); err != nil {
		return nil, 0, 0, fmt.Errorf("store: watch: %w", err)
	}
	if after < trimmed {
		return nil, 0, 0, fmt.Errorf("%w: watching after revision %d, changes through %d are gone", ErrCompacted, after, trimmed)
	}
	if head <= after {
		return nil, after, head, nil
	}
	through = min(head, after+watchBatch)
	rows, err := tx.QueryContext(ctx, `SELECT rev, tbl, k FROM changes WHERE rev > ? AND rev <= ? ORDER BY rev`, after, through)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("store: watch: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.Revision, &c.Table, &c.Key); err != nil {
			return nil, 0, 0, fmt.Errorf("store: watch: %w", err)
		}
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("store: watch: %w", err)
	}
	return changes, through, head, nil
}

// JSON helpers for services that keep records as JSON values.

// GetJSON reads key from table into v.
func GetJSON(ctx context.Context, r Reader, table, key string, v any) error {
	b, err := r.Get(ctx, table, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("store: decode %s/%s: %w", table, key, err)
	}
	return nil
}

// PutJSON writes v as JSON under key in table.
func PutJSON(ctx context.Context, tx Tx, table, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s/%s: %w", table, key, err)
	}
	return tx.Put(ctx, table, key, b)
}
