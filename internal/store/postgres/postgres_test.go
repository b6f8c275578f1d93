package postgres_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
	"github.com/rolecall/rolecall/internal/store/storetest"
)

func open(t testing.TB, u string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPostgres(t *testing.T) {
	base := pgtest.BaseURL(t)
	var mu sync.Mutex
	urls := map[store.Store]string{}
	openAt := func(t *testing.T, u string) store.Store {
		st := open(t, u)
		mu.Lock()
		urls[st] = u
		mu.Unlock()
		return st
	}
	storetest.Run(t, storetest.Engine{
		Open: func(t *testing.T) store.Store { return openAt(t, pgtest.FreshSchema(t, base)) },
		Reopen: func(t *testing.T, st store.Store) store.Store {
			mu.Lock()
			u := urls[st]
			mu.Unlock()
			return openAt(t, u)
		},
		Trim: func(ctx context.Context, st store.Store, through store.Revision) error {
			return st.(*postgres.Store).TrimChanges(ctx, through)
		},
	})
}

// TestMigrations opens one new schema from several handles at once: each
// migration is applied once, and the schema records the version. A schema
// from a newer build is refused.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			st, err := postgres.Open(ctx, u)
			if err != nil {
				t.Errorf("open: %v", err)
				return
			}
			st.Close()
		})
	}
	wg.Wait()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var version int
	if err := conn.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&version); err != nil || version != postgres.SchemaVersion {
		t.Fatalf("schema version %d, %v; want %d", version, err, postgres.SchemaVersion)
	}
	if _, err := conn.Exec(ctx, `UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if st, err := postgres.Open(ctx, u); !errors.Is(err, postgres.ErrSchemaNewer) {
		if err == nil {
			st.Close()
		}
		t.Fatalf("open of a newer schema: %v, want ErrSchemaNewer", err)
	}
}

// TestChangeLogTrimmed: a commit whose revision is a multiple of TrimEvery
// drops the changes older than the last ChangeRetention revisions, and a
// watch from before them learns it.
func TestChangeLogTrimmed(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	st := open(t, u)
	for i := range 3 {
		if _, err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "t", strconv.Itoa(i), []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	// Skip ahead to just before a trimming commit, as if the revisions
	// between had been committed and trimmed.
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const skipTo = (postgres.ChangeRetention/postgres.TrimEvery+2)*postgres.TrimEvery - 1
	if _, err := conn.Exec(ctx, `UPDATE feed SET rev = $1`, skipTo); err != nil {
		t.Fatal(err)
	}
	rev, err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "t", "last", []byte("v")) })
	if err != nil || rev != skipTo+1 {
		t.Fatalf("revision %d, %v; want %d", rev, err, skipTo+1)
	}
	var oldest, trimmed int64
	if err := conn.QueryRow(ctx, `SELECT min(rev), (SELECT trimmed FROM feed) FROM changes`).Scan(&oldest, &trimmed); err != nil {
		t.Fatal(err)
	}
	if oldest != skipTo+1 || trimmed != skipTo+1-postgres.ChangeRetention {
		t.Fatalf("oldest logged revision %d, trimmed through %d", oldest, trimmed)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for _, err := range st.Watch(wctx, 0) {
		if !errors.Is(err, store.ErrCompacted) {
			t.Fatalf("watch from revision 0: %v, want ErrCompacted", err)
		}
		break
	}
	for c, err := range st.Watch(wctx, store.Revision(trimmed)) {
		if err != nil || c.Revision != rev || c.Key != "last" {
			t.Fatalf("watch from the horizon: %+v %v", c, err)
		}
		break
	}
}

// TestNotifications: another handle's commits reach a watcher through
// LISTEN/NOTIFY alone, the watcher's polling being slowed to an hour.
func TestNotifications(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u := pgtest.URL(t)
	a, b := open(t, u), open(t, u)
	postgres.SetPollInterval(a, time.Hour)
	arrived := make(chan store.Change)
	go func() {
		for c, err := range a.Watch(ctx, 0) {
			if err != nil {
				return
			}
			arrived <- c
		}
	}()
	for i := range 5 {
		rev, err := b.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "t", strconv.Itoa(i), []byte("v")) })
		if err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-arrived:
			if c.Revision != rev {
				t.Fatalf("change %+v, want revision %d", c, rev)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("revision %d of another handle did not wake the watcher", rev)
		}
	}
}

// TestOpenExisting: a reader's open changes nothing: an empty schema is
// refused and stays empty; a database made by Open is read.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	if _, err := postgres.OpenExisting(ctx, u); !errors.Is(err, postgres.ErrNoDatabase) {
		t.Fatalf("OpenExisting on an empty schema: %v, want ErrNoDatabase", err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("OpenExisting made %d tables", tables)
	}
	open(t, u)
	st, err := postgres.OpenExisting(ctx, u)
	if err != nil {
		t.Fatalf("OpenExisting on a made database: %v", err)
	}
	st.Close()
}

// BenchmarkQueryAccess reads 1,000,000 access rows of one role from
// PostgreSQL (ROLECALL_TEST_DATABASE_URL=… go test -run XXX -bench
// QueryAccess -benchtime 3x ./internal/store/postgres/).
func BenchmarkQueryAccess(b *testing.B) {
	storetest.BenchQueryAccess(b, open(b, pgtest.FreshSchema(b, pgtest.BaseURL(b))))
}
