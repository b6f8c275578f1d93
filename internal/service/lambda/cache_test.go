package lambda

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func TestCachingStore(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := newCachingStore(db, tableFunctions)
	put := func(table, key, v string) {
		t.Helper()
		if _, err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, table, key, []byte(v)) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(key string) string {
		t.Helper()
		v, err := s.Get(ctx, tableFunctions, key)
		if errors.Is(err, store.ErrNotFound) {
			return "<none>"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	if got := get("a/f"); got != "<none>" {
		t.Fatalf("missing key: %s", got)
	}
	put(tableFunctions, "a/f", "1")
	if got := get("a/f"); got != "1" {
		t.Fatalf("got %s", got)
	}
	put(tableFunctions, "a/f", "2")
	if got := get("a/f"); got != "2" {
		t.Fatalf("after an update: got %s", got)
	}
	// A write that the store does not commit leaves the value alone.
	boom := errors.New("boom")
	_, err = s.Update(ctx, func(tx store.Tx) error {
		tx.Put(ctx, tableFunctions, "a/f", []byte("lost"))
		return boom
	})
	if !errors.Is(err, boom) || get("a/f") != "2" {
		t.Fatalf("rolled back update: %v, value %s", err, get("a/f"))
	}
	if _, err := s.Update(ctx, func(tx store.Tx) error { return tx.Delete(ctx, tableFunctions, "a/f") }); err != nil {
		t.Fatal(err)
	}
	if got := get("a/f"); got != "<none>" {
		t.Fatalf("after a delete: got %s", got)
	}

	// Readers racing with a writer never see a value older than the last
	// update that returned.
	put(tableFunctions, "a/g", "0")
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				floor := done
				mu.Unlock()
				v, err := s.Get(ctx, tableFunctions, "a/g")
				if err != nil {
					t.Error(err)
					return
				}
				if n, _ := strconv.Atoi(string(v)); n < floor {
					t.Errorf("read %d after update %d returned", n, floor)
					return
				}
			}
		})
	}
	for i := 1; i <= 200; i++ {
		put(tableFunctions, "a/g", strconv.Itoa(i))
		mu.Lock()
		done = i
		mu.Unlock()
	}
	close(stop)
	wg.Wait()
}

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
	l := &Lambda{functions: newCachingStore(db, tableFunctions), policies: newPolicyCache()}
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
		_, _, gen := l.policies.get(key)
		l.policies.put(gen, key, nil)
	}
	cached := func(key string) bool { _, ok, _ := l.policies.get(key); return ok }

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
