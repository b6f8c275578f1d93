package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Context holds a request's condition keys and their values. Key names are
// case-insensitive. A Context is reusable: Reset clears it while keeping its
// storage, so that building one per request does not allocate once warm.
// A Context must not be modified while it is being evaluated.
type Context struct {
	ents []ctxEntry
	vals []string
}

type ctxEntry struct {
	key   string
	hash  uint64
	off   int
	n     int
	multi bool
}

// Set sets key to values. One value makes a single-valued key, several make
// a multivalued key, and no values remove the key.
func (c *Context) Set(key string, values ...string) {
	if len(values) == 0 {
		c.Delete(key)
		return
	}
	c.set(key, values, len(values) > 1)
}

// SetMulti sets key to a multivalued key holding values (possibly none),
// such as aws:TagKeys.
func (c *Context) SetMulti(key string, values ...string) {
	c.set(key, values, true)
}

func (c *Context) set(key string, values []string, multi bool) {
	h := keyHash(key)
	off := len(c.vals)
	c.vals = append(c.vals, values...)
	for i := range c.ents {
		e := &c.ents[i]
		if e.hash == h && strings.EqualFold(e.key, key) {
			e.off, e.n, e.multi = off, len(values), multi
			return
		}
	}
	c.ents = append(c.ents, ctxEntry{key: key, hash: h, off: off, n: len(values), multi: multi})
}

// Delete removes key.
func (c *Context) Delete(key string) {
	h := keyHash(key)
	for i := range c.ents {
		if c.ents[i].hash == h && strings.EqualFold(c.ents[i].key, key) {
			c.ents = append(c.ents[:i], c.ents[i+1:]...)
			return
		}
	}
}

// Reset removes every key, keeping the storage for reuse.
func (c *Context) Reset() {
	clear(c.ents)
	clear(c.vals)
	c.ents = c.ents[:0]
	c.vals = c.vals[:0]
}

// Get returns the values of key, whether it is multivalued, and whether it
// is present.
func (c *Context) Get(key string) (values []string, multi, ok bool) {
	return c.lookup(makeKey(key))
}

// Keys returns the names of the keys present, as they were set.
func (c *Context) Keys() []string {
	out := make([]string, len(c.ents))
	for i, e := range c.ents {
		out[i] = e.key
	}
	return out
}

// Each calls fn with every key present, in the order they were set, its
// values (which fn must not keep: they are c's storage) and whether it is
// multivalued.
func (c *Context) Each(fn func(key string, values []string, multi bool)) {
	for _, e := range c.ents {
		fn(e.key, c.vals[e.off:e.off+e.n:e.off+e.n], e.multi)
	}
}

// CopyFrom makes c hold exactly the keys of src, reusing c's storage.
func (c *Context) CopyFrom(src *Context) {
	c.ents = append(c.ents[:0], src.ents...)
	c.vals = append(c.vals[:0], src.vals...)
}

func (c *Context) lookup(k ckey) (values []string, multi, ok bool) {
	if c == nil {
		return nil, false, false
	}
	for i := range c.ents {
		e := &c.ents[i]
		if e.hash == k.hash && (e.key == k.name || strings.EqualFold(e.key, k.name)) {
			return c.vals[e.off : e.off+e.n : e.off+e.n], e.multi, true
		}
	}
	return nil, false, false
}

// ckey is a condition key name prepared for lookups.
type ckey struct {
	name string
	hash uint64
}

func makeKey(name string) ckey { return ckey{name: name, hash: keyHash(name)} }

// keyHash is FNV-1a over the lower-cased runes of s; it does not allocate.
func keyHash(s string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); {
		b := s[i]
		var r rune
		if b < utf8.RuneSelf {
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			r = rune(b)
			i++
		} else {
			var n int
			r, n = utf8.DecodeRuneInString(s[i:])
			r = unicode.ToLower(r)
			i += n
		}
		h ^= uint64(r)
		h *= prime
	}
	return h
}
