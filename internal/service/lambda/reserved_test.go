package lambda

import (
	"context"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// TestReservedTotal reserves concurrency on several functions: the
// account's total follows reservations set, changed, removed and deleted
// with their function, and a store written before the index existed has
// it built at start-up.
func TestReservedTotal(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		h.create(name, nil)
	}
	reserve := func(name string, n int) error {
		_, err := h.do("PutFunctionConcurrency", req{path: fn(name), body: map[string]any{"ReservedConcurrentExecutions": n}})
		return err
	}
	total := func(want int) {
		t.Helper()
		got, err := h.l.reservedTotal(ctx, h.l.cfg.Store, testAccount, "")
		if err != nil || got != want {
			t.Errorf("reserved total = %d, %v; want %d", got, err, want)
		}
	}
	for _, r := range []struct {
		name string
		n    int
	}{{"a", 300}, {"b", 400}, {"a", 400}} {
		if err := reserve(r.name, r.n); err != nil {
			t.Fatal(err)
		}
	}
	total(800)
	// 1000 in all, 100 kept unreserved.
	wantError(t, reserve("c", 101), "InvalidParameterValueException", 400, "")
	if err := reserve("c", 100); err != nil {
		t.Fatal(err)
	}
	h.must("DeleteFunctionConcurrency", req{path: fn("c")})
	h.must("DeleteFunction", req{path: fn("b")})
	total(400)
	if err := reserve("c", 500); err != nil {
		t.Fatal(err)
	}
	total(900)

	// A store of before the index: no index, no mark. Start-up builds it.
	_, err := h.l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		for _, k := range []string{testAccount + "/a", testAccount + "/c"} {
			if err := tx.Delete(ctx, tableReserved, k); err != nil {
				return err
			}
		}
		return tx.Delete(ctx, tableMeta, reservedIndexKey)
	})
	if err != nil {
		t.Fatal(err)
	}
	total(0)
	if err := h.l.indexReserved(ctx); err != nil {
		t.Fatal(err)
	}
	total(900)
	wantError(t, reserve("a", 401), "InvalidParameterValueException", 400, "")
}
