package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	paths := map[store.Store]string{}
	var mu sync.Mutex
	open := func(t *testing.T, path string) store.Store {
		st, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		mu.Lock()
		paths[st] = path
		mu.Unlock()
		return st
	}
	storetest.Run(t, storetest.Engine{
		Open: func(t *testing.T) store.Store { return open(t, filepath.Join(t.TempDir(), "db")) },
		Reopen: func(t *testing.T, st store.Store) store.Store {
			mu.Lock()
			path := paths[st]
			mu.Unlock()
			return open(t, path)
		},
		Trim: func(ctx context.Context, st store.Store, through store.Revision) error {
			return st.(*store.SQLite).TrimChanges(ctx, through)
		},
	})
}

// unversionedSchema is the schema databases were made with before the
// schema had versions.
const unversionedSchema = `
CREATE TABLE kv (tbl TEXT NOT NULL, k TEXT NOT NULL, v BLOB NOT NULL, PRIMARY KEY (tbl, k));
CREATE TABLE events (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, time_ms INTEGER NOT NULL,
	name TEXT NOT NULL, source TEXT NOT NULL, username TEXT NOT NULL,
	access_key_id TEXT NOT NULL, read_only INTEGER NOT NULL, record BLOB NOT NULL);
CREATE INDEX events_time ON events (time_ms, seq);
CREATE INDEX events_id ON events (id);
CREATE TABLE event_resources (seq INTEGER NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX event_resources_seq ON event_resources (seq);
INSERT INTO kv VALUES ('t', 'k', 'kept');
INSERT INTO events (id, time_ms, name, source, username, access_key_id, read_only, record) VALUES
	('old-session', 1000, 'GetRole', 'iam.amazonaws.com', 'fn', 'ASIA1', 1,
	 CAST('{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/app/fn","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/app"}}}}' AS BLOB)),
	('old-user', 2000, 'CreateRole', 'iam.amazonaws.com', 'alice', 'AKIA1', 0,
	 CAST('{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/alice"}}' AS BLOB)),
	('old-garbled', 3000, 'GetRole', 'iam.amazonaws.com', '', '', 1, CAST('not json' AS BLOB));
INSERT INTO event_resources (seq, type, name) VALUES
	(1, 'AWS::IAM::Role', 'arn:aws:iam::1:role/app'), (2, 'AWS::IAM::Role', 'arn:aws:iam::1:role/new'),
	(3, 'AWS::IAM::Role', 'arn:aws:iam::1:role/app');
`

// TestUpgradeUnversionedDatabase opens a database made before schema
// versions: its data stays, its events gain principals and a category, and
// a read-only open refuses it until it is upgraded.
func TestUpgradeUnversionedDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rolecall.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, unversionedSchema); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if _, err := store.OpenSQLiteReadOnly(ctx, path); !errors.Is(err, store.ErrSchemaOutdated) {
		t.Fatalf("read-only open of an old database: %v, want ErrSchemaOutdated", err)
	}
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := st.Get(ctx, "t", "k"); err != nil || string(v) != "kept" {
		t.Fatalf("kv after upgrade: %q %v", v, err)
	}
	evs, _, err := st.QueryEvents(ctx, store.EventQuery{PrincipalARN: "arn:aws:iam::1:role/app"})
	if err != nil || len(evs) != 1 || evs[0].ID != "old-session" || evs[0].PrincipalARN != "arn:aws:sts::1:assumed-role/app/fn" {
		t.Fatalf("old role session's events by role ARN: %+v %v", evs, err)
	}
	evs, _, err = st.QueryEvents(ctx, store.EventQuery{Category: store.CategoryManagement})
	if err != nil || len(evs) != 3 {
		t.Fatalf("old events are management events: %d, %v", len(evs), err)
	}
	if evs[0].ID != "old-garbled" || evs[0].PrincipalARN != "" {
		t.Errorf("an unreadable old record: %+v", evs[0])
	}
	// Old resource rows take their events' times: lookups by resource keep
	// the history's order, and time ranges apply to them.
	evs, _, err = st.QueryEvents(ctx, store.EventQuery{Attribute: "ResourceName", Value: "arn:aws:iam::1:role/app"})
	if err != nil || len(evs) != 2 || evs[0].ID != "old-garbled" || evs[1].ID != "old-session" || len(evs[1].Resources) != 1 {
		t.Fatalf("old events by resource: %+v %v", evs, err)
	}
	evs, _, err = st.QueryEvents(ctx, store.EventQuery{Attribute: "ResourceType", Value: "AWS::IAM::Role",
		Start: time.UnixMilli(1500), End: time.UnixMilli(2500)})
	if err != nil || len(evs) != 1 || evs[0].ID != "old-user" {
		t.Fatalf("old events by resource type and time: %+v %v", evs, err)
	}
	st.Close()

	// Opening again applies nothing more; a reader now accepts it.
	st, err = store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	st.Close()
	ro, err := store.OpenSQLiteReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ro.Close()
}

// TestReadOnlyBesideWriter reads a database a writer holds open, as the
// trail verb does beside a running server.
func TestReadOnlyBesideWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rolecall.db")
	if _, err := store.OpenSQLiteReadOnly(ctx, path); err == nil {
		t.Fatal("read-only open of a missing database succeeded")
	}
	w, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	appendOne := func(id string) {
		t.Helper()
		err := w.AppendEvents(ctx, []store.Event{{ID: id, Time: time.Now(), Name: "GetRole", Source: "iam.amazonaws.com", Record: []byte(`{}`)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	appendOne("first")
	r, err := store.OpenSQLiteReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	appendOne("second")
	evs, _, err := r.QueryEvents(ctx, store.EventQuery{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("reader sees %d events, %v; want 2", len(evs), err)
	}
	if err := r.AppendEvents(ctx, []store.Event{{ID: "x", Record: []byte(`{}`)}}); err == nil {
		t.Error("a read-only store accepted a write")
	}
	_, err = r.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "t", "k", []byte("v")) })
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("a read-only store's update: %v", err)
	}
	appendOne("third") // the reader holds no lock that stops the writer
}

// TestChangeLogTrimmed: commits keep the change log to the last
// ChangeRetention revisions (and a few), and a watch from before them
// learns it.
func TestChangeLogTrimmed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var last store.Revision
	for i := range store.ChangeRetention + 300 {
		last, err = st.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "t", fmt.Sprint(i%7), []byte("v")) })
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, oldest int64
	if err := db.QueryRowContext(ctx, `SELECT count(*), min(rev) FROM changes`).Scan(&rows, &oldest); err != nil {
		t.Fatal(err)
	}
	if rows > store.ChangeRetention+300 || rows < store.ChangeRetention || oldest <= 1 {
		t.Fatalf("change log holds %d changes from revision %d after %d revisions", rows, oldest, last)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for _, err := range st.Watch(wctx, 0) {
		if !errors.Is(err, store.ErrCompacted) {
			t.Fatalf("watch from revision 0: %v, want ErrCompacted", err)
		}
		break
	}
	for c, err := range st.Watch(wctx, store.Revision(oldest-1)) {
		if err != nil || c.Revision != store.Revision(oldest) {
			t.Fatalf("watch from the horizon: %+v %v", c, err)
		}
		break
	}
}

// BenchmarkQueryAccess reads 1,000,000 access rows of one role from
// SQLite (go test -run XXX -bench QueryAccess -benchtime 3x ./internal/store/).
func BenchmarkQueryAccess(b *testing.B) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	storetest.BenchQueryAccess(b, st)
}
