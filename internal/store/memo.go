package store

import "sync"

// Memo is a concurrency-safe map of values derived from what the store
// holds (records, parsed policies, looked-up keys), forgotten when the
// store changes.
//
// A value is read from the store outside the lock, so a change may be
// forgotten between the read and the Put: Get returns the generation it
// saw, and Put keeps the value only if nothing was forgotten since. A
// value read before a change is thus never kept after it.
type Memo[V any] struct {
	// Max bounds the values kept: past it, all are dropped and the memo
	// fills again. 0 means no bound.
	Max int

	mu  sync.RWMutex
	gen uint64
	m   map[string]V
}

// Get returns the value of key, whether there is one, and the generation
// to pass to Put.
func (m *Memo[V]) Get(key string) (V, bool, uint64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.m[key]
	return v, ok, m.gen
}

// Put keeps v for key, read at generation gen, unless a value was
// forgotten since.
func (m *Memo[V]) Put(gen uint64, key string, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen != m.gen {
		return
	}
	if m.m == nil || (m.Max > 0 && len(m.m) >= m.Max) {
		m.m = make(map[string]V)
	}
	m.m[key] = v
}

// Forget drops the values of keys.
func (m *Memo[V]) Forget(keys ...string) {
	if len(keys) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	for _, k := range keys {
		delete(m.m, k)
	}
}

// ForgetFunc drops the values whose key matches.
func (m *Memo[V]) ForgetFunc(match func(key string) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	for k := range m.m {
		if match(k) {
			delete(m.m, k)
		}
	}
}

// ForgetAll drops every value.
func (m *Memo[V]) ForgetAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	clear(m.m)
}
