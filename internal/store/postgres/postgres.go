// Package postgres is the PostgreSQL engine of package store: several
// rolecall nodes share one database through it. It passes the same
// conformance suite (package storetest) as the embedded SQLite engine and
// keeps the same semantics: keys in byte order, serializable updates run
// again on a conflict, and a dense, commit-ordered change log.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rolecall/rolecall/internal/store"
)

// Change feed and retry parameters of the PostgreSQL engine.
const (
	// WatchInterval is how often Watch reads the change log for commits of
	// other handles (other nodes).
	WatchInterval = 50 * time.Millisecond
	// ChangeRetention is how many revisions the change log keeps.
	ChangeRetention = 10_000
	// trimEvery is how often, in revisions, a commit trims the log.
	trimEvery = 256
	// watchBatch bounds the revisions Watch reads at once.
	watchBatch = 256
	// maxAttempts bounds the runs of one Update's function.
	maxAttempts = 64
	// maxBackoff bounds the wait before running a conflicting Update again.
	maxBackoff = 20 * time.Millisecond
)

// Store is the PostgreSQL store.Store: a pool of connections to one
// database, its tables in the first schema of the connection's
// search_path.
//
// Update runs its function in a SERIALIZABLE transaction and, when the
// function wrote, increments the single-row revision counter (table feed)
// and logs the keys written in that same transaction. Two writing
// transactions that overlap in time both update the counter, so the later
// fails with a serialization failure (SQLSTATE 40001) and runs again:
// revisions are dense and numbered in commit order. Writers of one handle
// take turns, since they would conflict anyway; writers of different
// handles (nodes) run optimistically and are retried.
//
// The change feed: a writing transaction also sends a notification on
// the channel rolecall_changes (its payload the schema's name), delivered
// when it commits. Watch reads the change log when this handle commits,
// when a notification for its schema arrives (a connection of its own
// listens while anyone watches), and every WatchInterval in any case, so a
// watcher sees a commit of any node within a few milliseconds, and within
// WatchInterval while notifications are lost. The log keeps the changes of
// the last ChangeRetention revisions; a watcher further behind gets
// ErrCompacted.
type Store struct {
	pool   *pgxpool.Pool
	schema string // where the tables are: the payload of this schema's notifications
	// writeMu serializes this handle's Updates: two writing transactions
	// that overlap always conflict on the revision counter.
	writeMu sync.Mutex

	committed store.Signal // notified when this handle commits a revision

	// pollInterval is how often Watch reads the log unwoken: WatchInterval.
	pollInterval time.Duration

	listenOnce sync.Once
	listenCtx  context.Context // the listener's, ended by Close
	stopListen context.CancelFunc
	listening  sync.WaitGroup
}

// ConnectTimeout bounds the making of a connection to the database, unless
// the URL's connect_timeout says otherwise.
const ConnectTimeout = 10 * time.Second

// notifyChannel is the channel of change notifications.
const notifyChannel = "rolecall_changes"

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string) and brings its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	return open(ctx, url, migrate)
}

// OpenExisting opens a database that rolecall made, at this build's schema
// version, without changing it: for readers such as `rolecall trail`. A
// database without rolecall's schema is ErrNoDatabase; one at another
// version, ErrSchemaNewer or ErrSchemaOutdated.
func OpenExisting(ctx context.Context, url string) (*Store, error) {
	return open(ctx, url, checkSchema)
}

func open(ctx context.Context, url string, prepare func(context.Context, *pgxpool.Pool) error) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: database URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without a bound, a connection to a database whose network is
		// lost waits for as long as its caller does: a request would
		// hang rather than fail. connect_timeout in url decides instead.
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	cfg.ConnConfig.DialFunc = dial
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := prepare(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: schema: %w", err)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: read schema: %w", err)
	}
	listenCtx, stop := context.WithCancel(context.Background())
	s := &Store{pool: pool, schema: schema, pollInterval: WatchInterval, stopListen: stop}
	s.listenCtx = listenCtx
	return s, nil
}

// Close stops the listener and closes the pool's connections.
func (s *Store) Close() error {
	s.stopListen()
	s.listening.Wait()
	s.pool.Close()
	return nil
}

// listen starts, once, the goroutine that turns notifications for this
// schema into wake-ups of this handle's watchers.
func (s *Store) listen() {
	s.listenOnce.Do(func() {
		s.listening.Add(1)
		go func() {
			defer s.listening.Done()
			for s.listenCtx.Err() == nil {
				// A lost connection costs wake-ups only: Watch polls
				// meanwhile. Try again a second later.
				_ = s.listenConn(s.listenCtx)
				s.notify()
				t := time.NewTimer(time.Second)
				select {
				case <-s.listenCtx.Done():
					t.Stop()
				case <-t.C:
				}
			}
		}()
	})
}

// listenConn listens on a connection of its own until it fails or ctx
// ends.
func (s *Store) listenConn(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	// Only notifications were read on it: closing it has nothing to lose.
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{notifyChannel}.Sanitize()); err != nil {
		return err
	}
	// A commit before LISTEN notified no one here: read the log once now.
	s.notify()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == s.schema {
			s.notify()
		}
	}
}

// querier is what reads run on: the pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func get(ctx context.Context, q querier, table, key string) ([]byte, error) {
	var v []byte
	err := q.QueryRow(ctx, `SELECT v FROM kv WHERE tbl = $1 AND k = $2`, table, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s/%s: %w", table, key, err)
	}
	return v, nil
}

// prefixEnd returns the least string greater than every string that
// starts with prefix, and false when there is none (a prefix of nothing
// but utf8.MaxRune). Byte order of UTF-8 is code point order, so the next
// code point after the prefix's last one bounds its range.
func prefixEnd(prefix string) (string, bool) {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		if r == utf8.RuneError && size <= 1 {
			// Not UTF-8: the database refuses such text anyway.
			return "", false
		}
		next := r + 1
		if next >= 0xD800 && next <= 0xDFFF { // surrogates are not text
			next = 0xE000
		}
		if next <= utf8.MaxRune {
			return prefix + string(next), true
		}
	}
	return "", false
}

func list(ctx context.Context, q querier, table, prefix, after string, limit int) ([]store.Item, error) {
	query := `SELECT k, v FROM kv WHERE tbl = $1 AND k > $2`
	args := []any{table, after}
	if prefix != "" {
		args = append(args, prefix)
		query += fmt.Sprintf(` AND k >= $%d`, len(args))
		if end, ok := prefixEnd(prefix); ok {
			args = append(args, end)
			query += fmt.Sprintf(` AND k < $%d`, len(args))
		} else {
			query += fmt.Sprintf(` AND starts_with(k, $%d)`, len(args))
		}
	}
	query += ` ORDER BY k`
	if limit > 0 {
		args = append(args, limit)
		query += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list %s/%s: %w", table, prefix, err)
	}
	defer rows.Close()
	var items []store.Item
	for rows.Next() {
		var it store.Item
		if err := rows.Scan(&it.Key, &it.Value); err != nil {
			return nil, fmt.Errorf("store: list %s: %w", table, err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list %s/%s: %w", table, prefix, err)
	}
	return items, nil
}

// Get implements store.Reader.
func (s *Store) Get(ctx context.Context, table, key string) ([]byte, error) {
	return get(ctx, s.pool, table, key)
}

// List implements store.Reader.
func (s *Store) List(ctx context.Context, table, prefix, after string, limit int) ([]store.Item, error) {
	return list(ctx, s.pool, table, prefix, after, limit)
}

// pgTx is one run of an Update's function. It records the keys it writes,
// once each, for the change log.
type pgTx struct {
	tx      pgx.Tx
	written store.WriteSet
}

func (t *pgTx) Get(ctx context.Context, table, key string) ([]byte, error) {
	return get(ctx, t.tx, table, key)
}

func (t *pgTx) List(ctx context.Context, table, prefix, after string, limit int) ([]store.Item, error) {
	return list(ctx, t.tx, table, prefix, after, limit)
}

func (t *pgTx) Put(ctx context.Context, table, key string, value []byte) error {
	if value == nil {
		value = []byte{} // a value, not NULL
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO kv (tbl, k, v) VALUES ($1, $2, $3) ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v`, table, key, value); err != nil {
		return fmt.Errorf("store: put %s/%s: %w", table, key, err)
	}
	t.written.Add(table, key)
	return nil
}

func (t *pgTx) Delete(ctx context.Context, table, key string) error {
	if _, err := t.tx.Exec(ctx, `DELETE FROM kv WHERE tbl = $1 AND k = $2`, table, key); err != nil {
		return fmt.Errorf("store: delete %s/%s: %w", table, key, err)
	}
	t.written.Add(table, key)
	return nil
}

// Update implements store.Store. A run that fails with a serialization
// failure (40001) or a deadlock (40P01) is rolled back and run again, up
// to maxAttempts runs, after a short random wait that grows with each
// attempt, so that nodes in conflict do not collide again in step.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) (store.Revision, error) {
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
		backoff := min(time.Duration(attempt)*time.Millisecond, maxBackoff)
		t := time.NewTimer(rand.N(backoff) + 1)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("store: update: %w (after a conflict: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// logChangesQuery commits the next revision, logs the keys written under
// it and notifies the watchers of the schema, in one statement.
const logChangesQuery = `
WITH head AS (UPDATE feed SET rev = rev + 1 RETURNING rev),
logged AS (
	INSERT INTO changes (rev, tbl, k)
	SELECT head.rev, c.tbl, c.k FROM head, unnest($1::text[], $2::text[]) AS c (tbl, k)
),
notified AS (SELECT pg_notify('` + notifyChannel + `', current_schema()) FROM head)
SELECT rev FROM head, notified`

// update runs fn once in a transaction and commits it with its changes.
func (s *Store) update(ctx context.Context, fn func(tx store.Tx) error) (rev store.Revision, wrote bool, err error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return 0, false, fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if err != nil {
			// The transaction failed already; its error is the one to report.
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	t := &pgTx{tx: tx}
	if err := fn(t); err != nil {
		return 0, false, err
	}
	if t.written.Len() == 0 {
		if err := tx.QueryRow(ctx, `SELECT rev FROM feed`).Scan(&rev); err != nil {
			return 0, false, fmt.Errorf("store: read revision: %w", err)
		}
	} else {
		if err := tx.QueryRow(ctx, logChangesQuery, t.written.Tables, t.written.Keys).Scan(&rev); err != nil {
			return 0, false, fmt.Errorf("store: log changes: %w", err)
		}
		if rev%trimEvery == 0 && rev > ChangeRetention {
			if err := trim(ctx, tx, rev-ChangeRetention); err != nil {
				return 0, false, err
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, false, fmt.Errorf("store: commit: %w", err)
	}
	return rev, t.written.Len() > 0, nil
}

// trim drops the changes of revisions up to through (at most the latest).
func trim(ctx context.Context, tx pgx.Tx, through store.Revision) error {
	if _, err := tx.Exec(ctx, `
WITH f AS (UPDATE feed SET trimmed = greatest(trimmed, least($1, rev)) RETURNING trimmed)
DELETE FROM changes WHERE rev <= (SELECT trimmed FROM f)`, through); err != nil {
		return fmt.Errorf("store: trim change log: %w", err)
	}
	return nil
}

// TrimChanges drops the logged changes of revisions up to through (at
// most the latest), as commits do by themselves for revisions older than
// the last ChangeRetention. A Watch from before through then ends with
// ErrCompacted.
func (s *Store) TrimChanges(ctx context.Context, through store.Revision) error {
	// READ COMMITTED: the update of the counter row waits for a writer
	// that holds it and then applies to what the writer committed.
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return trim(ctx, tx, through) })
	if err != nil {
		return fmt.Errorf("store: trim change log: %w", err)
	}
	return nil
}

// isConflict reports whether err is a serialization failure or a
// deadlock: running the transaction again can succeed.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}

// notify wakes this handle's watchers.
func (s *Store) notify() { s.committed.Notify() }

// commits returns a channel closed at this handle's next commit.
func (s *Store) commits() <-chan struct{} { return s.committed.C() }

// CurrentRevision implements store.Store.
func (s *Store) CurrentRevision(ctx context.Context) (store.Revision, error) {
	var rev store.Revision
	if err := s.pool.QueryRow(ctx, `SELECT rev FROM feed`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("store: read revision: %w", err)
	}
	return rev, nil
}

// Watch implements store.Store. It reads the change log when this handle
// commits and every WatchInterval.
func (s *Store) Watch(ctx context.Context, after store.Revision) iter.Seq2[store.Change, error] {
	return func(yield func(store.Change, error) bool) {
		s.listen()
		timer := time.NewTimer(s.pollInterval)
		defer timer.Stop()
		for {
			wake := s.commits() // before reading: a commit after the read wakes us
			batch, through, head, err := s.changesAfter(ctx, after)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				yield(store.Change{}, err)
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
			timer.Reset(s.pollInterval)
			select {
			case <-ctx.Done():
				yield(store.Change{}, ctx.Err())
				return
			case <-wake:
			case <-timer.C:
			}
		}
	}
}

// changesQuery reads, in one statement and so from one snapshot, the head
// of the log and the changes of up to $2 revisions after $1: one row per
// change, or one row of NULL changes when there are none.
const changesQuery = `
SELECT f.rev, f.trimmed, c.rev, c.tbl, c.k
FROM feed f
LEFT JOIN changes c ON f.trimmed <= $1 AND c.rev > $1 AND c.rev <= least(f.rev, $1 + $2)
ORDER BY c.rev`

// changesAfter reads the changes of up to watchBatch revisions after
// after; through is the last revision read and head the latest.
func (s *Store) changesAfter(ctx context.Context, after store.Revision) (changes []store.Change, through, head store.Revision, err error) {
	rows, err := s.pool.Query(ctx, changesQuery, after, watchBatch)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("store: watch: %w", err)
	}
	defer rows.Close()
	var trimmed store.Revision
	for rows.Next() {
		var (
			rev      *store.Revision
			tbl, key *string
		)
		if err := rows.Scan(&head, &trimmed, &rev, &tbl, &key); err != nil {
			return nil, 0, 0, fmt.Errorf("store: watch: %w", err)
		}
		if rev != nil {
			changes = append(changes, store.Change{Revision: *rev, Table: *tbl, Key: *key})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("store: watch: %w", err)
	}
	if after < trimmed {
		return nil, 0, 0, fmt.Errorf("%w: watching after revision %d, changes through %d are gone", store.ErrCompacted, after, trimmed)
	}
	if head <= after {
		return nil, after, head, nil
	}
	return changes, min(head, after+watchBatch), head, nil
}
