package lambda

import (
	"context"
	"sync"

	"github.com/rolecall/rolecall/internal/store"
)

// cachingStore keeps the values of one table in memory, so that an
// invocation does not read the database for a function that did not
// change. A write to the table through Update forgets the keys it touched
// once the transaction is over; the change feed (forget, forgetAll)
// forgets those written by other processes. Reads inside a transaction go
// to the store.
type cachingStore struct {
	store.Store
	table string

	mu   sync.Mutex
	gen  uint64 // counts the updates that touched the table
	vals map[string][]byte
}

func newCachingStore(s store.Store, table string) *cachingStore {
	return &cachingStore{Store: s, table: table, vals: map[string][]byte{}}
}

// Get implements store.Reader. The value returned for the cached table is
// shared: callers must not modify it.
func (s *cachingStore) Get(ctx context.Context, table, key string) ([]byte, error) {
	if table != s.table {
		return s.Store.Get(ctx, table, key)
	}
	s.mu.Lock()
	v, ok := s.vals[key]
	gen := s.gen
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := s.Store.Get(ctx, table, key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	// A value read while an update of the table was under way may be
	// older than that update: keep only one read with no update since.
	if s.gen == gen {
		s.vals[key] = v
	}
	s.mu.Unlock()
	return v, nil
}

// Update implements store.Store. The keys touched are those of the last
// run of fn: an earlier run that conflicted was rolled back.
func (s *cachingStore) Update(ctx context.Context, fn func(tx store.Tx) error) (store.Revision, error) {
	var touched []string
	rev, err := s.Store.Update(ctx, func(tx store.Tx) error {
		touched = touched[:0]
		return fn(&cachingTx{Tx: tx, table: s.table, touched: &touched})
	})
	s.forget(touched...)
	return rev, err
}

// forget drops keys (a change of the table).
func (s *cachingStore) forget(keys ...string) {
	if len(keys) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for _, k := range keys {
		delete(s.vals, k)
	}
}

// forgetAll drops every value (changes may have been missed).
func (s *cachingStore) forgetAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	clear(s.vals)
}

// cachingTx records the keys of the cached table a transaction writes.
type cachingTx struct {
	store.Tx
	table   string
	touched *[]string
}

func (t *cachingTx) Put(ctx context.Context, table, key string, value []byte) error {
	if table == t.table {
		*t.touched = append(*t.touched, key)
	}
	return t.Tx.Put(ctx, table, key, value)
}

func (t *cachingTx) Delete(ctx context.Context, table, key string) error {
	if table == t.table {
		*t.touched = append(*t.touched, key)
	}
	return t.Tx.Delete(ctx, table, key)
}
