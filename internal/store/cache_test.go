package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// TestCache: a cached table answers from memory until the key is written
// through the cache (forgotten at once) or elsewhere (forgotten by Forget,
// as the change feed calls it); absences are cached too; other tables and
// reads inside transactions always go to the store.
func TestCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rolecall.db")
	db, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := store.OpenSQLite(ctx, path) // another process
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	put := func(st store.Store, table, key, v string) {
		t.Helper()
		if _, err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, table, key, []byte(v)) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(st store.Reader, table, key string) string {
		t.Helper()
		v, err := st.Get(ctx, table, key)
		if errors.Is(err, store.ErrNotFound) {
			return "<missing>"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	c := store.NewCache(db, "cached")

	if got := get(c, "cached", "k"); got != "<missing>" {
		t.Fatalf("before any write: %s", got)
	}
	put(other, "cached", "k", "v1")
	if got := get(c, "cached", "k"); got != "<missing>" {
		t.Fatalf("an absence is cached until forgotten: %s", got)
	}
	c.Forget("cached", "k")
	if got := get(c, "cached", "k"); got != "v1" {
		t.Fatalf("after Forget: %s", got)
	}
	put(other, "cached", "k", "v2")
	if got := get(c, "cached", "k"); got != "v1" {
		t.Fatalf("a value is cached until forgotten: %s", got)
	}
	put(c, "cached", "k", "v3") // through the cache: forgotten at once
	if got := get(c, "cached", "k"); got != "v3" {
		t.Fatalf("after a write through the cache: %s", got)
	}
	put(other, "cached", "k", "v4")
	c.ForgetAll()
	if got := get(c, "cached", "k"); got != "v4" {
		t.Fatalf("after ForgetAll: %s", got)
	}
	// Inside a transaction the store answers.
	put(other, "cached", "k", "v5")
	var inTx string
	if _, err := c.Update(ctx, func(tx store.Tx) error { inTx = get(tx, "cached", "k"); return nil }); err != nil {
		t.Fatal(err)
	}
	if inTx != "v5" {
		t.Fatalf("inside a transaction: %s", inTx)
	}
	// Other tables are not cached.
	put(c, "plain", "k", "a")
	put(other, "plain", "k", "b")
	if got := get(c, "plain", "k"); got != "b" {
		t.Fatalf("an uncached table: %s", got)
	}
	// A write that rolls back forgets nothing wrongly and caches nothing.
	boom := errors.New("boom")
	if _, err := c.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(ctx, "cached", "k", []byte("rolled back")); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := get(c, "cached", "k"); got != "v5" {
		t.Fatalf("after a rolled-back write: %s", got)
	}
}

// TestCacheRacingReaders: readers racing with writes through the cache
// never see a value older than the last write that returned, and a delete
// through the cache is seen at once.
func TestCacheRacingReaders(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := store.NewCache(db, "cached")
	put := func(v string) {
		t.Helper()
		if _, err := c.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "cached", "k", []byte(v)) }); err != nil {
			t.Fatal(err)
		}
	}
	put("0")
	var (
		wg   sync.WaitGroup
		done atomic.Int64
	)
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := done.Load()
				v, err := c.Get(ctx, "cached", "k")
				if err != nil {
					t.Error(err)
					return
				}
				if n, _ := strconv.ParseInt(string(v), 10, 64); n < floor {
					t.Errorf("read %d after write %d returned", n, floor)
					return
				}
			}
		})
	}
	for i := int64(1); i <= 200; i++ {
		put(strconv.FormatInt(i, 10))
		done.Store(i)
	}
	close(stop)
	wg.Wait()

	if _, err := c.Update(ctx, func(tx store.Tx) error { return tx.Delete(ctx, "cached", "k") }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "cached", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a delete through the cache: %v", err)
	}
}
