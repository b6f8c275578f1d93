package store

import (
	"context"
	"errors"
)

// maxCachedValues bounds a Cache: past it, the values are dropped and the
// cache fills again from the store.
const maxCachedValues = 50000

// Cache is a Store that keeps the values of some tables in memory, so that
// a read outside a transaction of a record that did not change costs no
// database round trip. It keeps absences too: ErrNotFound is remembered
// until the key is written.
//
// A write to a cached table through Update forgets the keys it touched
// once the transaction is over. Writes by other processes reach the cache
// through Forget and ForgetAll, which the owner calls from the change feed
// (Feed.Subscribe): until a change is delivered, a read may return the
// value before it. Reads inside a transaction always go to the store.
// Values returned for cached tables are shared: callers must not modify
// them.
type Cache struct {
	Store
	tables map[string]bool

	vals Memo[cached]
}

// cached is a value read, or the absence of one (ErrNotFound).
type cached struct {
	v       []byte
	missing bool
}

// NewCache caches the values of tables read from st.
func NewCache(st Store, tables ...string) *Cache {
	c := &Cache{Store: st, tables: map[string]bool{}, vals: Memo[cached]{Max: maxCachedValues}}
	for _, t := range tables {
		c.tables[t] = true
	}
	return c
}

func cacheKey(table, key string) string { return table + "\x00" + key }

// Get implements Reader.
func (c *Cache) Get(ctx context.Context, table, key string) ([]byte, error) {
	if !c.tables[table] {
		return c.Store.Get(ctx, table, key)
	}
	k := cacheKey(table, key)
	e, ok, gen := c.vals.Get(k)
	if ok {
		if e.missing {
			return nil, ErrNotFound
		}
		return e.v, nil
	}
	v, err := c.Store.Get(ctx, table, key)
	missing := errors.Is(err, ErrNotFound)
	if err != nil && !missing {
		return nil, err
	}
	// Kept only if nothing was forgotten since the read began.
	c.vals.Put(gen, k, cached{v: v, missing: missing})
	return v, err
}

// Update implements Store. The keys forgotten are those the last run of fn
// wrote: an earlier run that conflicted was rolled back.
func (c *Cache) Update(ctx context.Context, fn func(tx Tx) error) (Revision, error) {
	var touched []string
	rev, err := c.Store.Update(ctx, func(tx Tx) error {
		touched = touched[:0]
		return fn(&cachingTx{Tx: tx, cache: c, touched: &touched})
	})
	c.vals.Forget(touched...)
	return rev, err
}

// Forget drops the cached value of a key written elsewhere.
func (c *Cache) Forget(table, key string) {
	if c.tables[table] {
		c.vals.Forget(cacheKey(table, key))
	}
}

// ForgetAll drops every cached value (changes may have been missed).
func (c *Cache) ForgetAll() { c.vals.ForgetAll() }

// cachingTx records the keys of cached tables a transaction writes.
type cachingTx struct {
	Tx
	cache   *Cache
	touched *[]string
}

func (t *cachingTx) Put(ctx context.Context, table, key string, value []byte) error {
	if t.cache.tables[table] {
		*t.touched = append(*t.touched, cacheKey(table, key))
	}
	return t.Tx.Put(ctx, table, key, value)
}

func (t *cachingTx) Delete(ctx context.Context, table, key string) error {
	if t.cache.tables[table] {
		*t.touched = append(*t.touched, cacheKey(table, key))
	}
	return t.Tx.Delete(ctx, table, key)
}
