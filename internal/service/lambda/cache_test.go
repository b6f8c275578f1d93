package lambda

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

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
