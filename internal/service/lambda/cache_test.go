package lambda

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// TestCachesFollowFeed: the function and resource-policy caches drop what
// another process (another handle on the database) changed, and everything
// when the feed fell behind the change log.
func TestCachesFollowFeed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "rolecall.db")
	db, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	feed, err := store.NewFeed(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := &Lambda{functions: store.NewCache(db, tableFunctions), policies: &store.Memo[*policy.Policy]{}}
	feed.Subscribe([]string{tableFunctions, tablePolicies}, l.changed, l.reset)
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	bg := context.Background() // outlives the first run of the feed
	write := func(table, key, v string) store.Revision {
		t.Helper()
		rev, err := other.Update(bg, func(tx store.Tx) error { return tx.Put(bg, table, key, []byte(v)) })
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within a second", what)
			}
		}
	}
	read := func() string {
		v, err := l.functions.Get(bg, tableFunctions, "a/f")
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	cachePolicy := func(key string) {
		_, _, gen := l.policies.Get(key)
		l.policies.Put(gen, key, nil)
	}
	cached := func(key string) bool { _, ok, _ := l.policies.Get(key); return ok }

	write(tableFunctions, "a/f", "1")
	eventually("first value", func() bool { return read() == "1" })
	write(tableFunctions, "a/f", "2")
	eventually("a function changed by another process", func() bool { return read() == "2" })

	cachePolicy("a/f:1")
	cachePolicy("a/g")
	write(tablePolicies, "a/f:1", "{}")
	eventually("a policy changed by another process", func() bool { return !cached("a/f:1") })
	if !cached("a/g") {
		t.Fatal("an unchanged policy was dropped")
	}

	// The feed falls behind the log: everything goes.
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(bg)
	defer cancel2() // before the deferred wait for the run above
	write(tableFunctions, "a/unrelated", "x")
	rev := write(tableFunctions, "a/unrelated", "y")
	if err := db.TrimChanges(bg, rev); err != nil {
		t.Fatal(err)
	}
	go func() { done <- feed.Run(ctx2) }()
	eventually("a reset after compaction", func() bool { return !cached("a/g") })
}
