package sigv4

import (
	"crypto/sha256"
	"sync"
)

// hmacSHA256 computes HMAC-SHA256(key, msg), without heap allocations for
// messages of up to a few hundred bytes.
func hmacSHA256(key, msg []byte) [32]byte {
	const block = 64
	var k [block]byte
	if len(key) > block {
		s := sha256.Sum256(key)
		copy(k[:], s[:])
	} else {
		copy(k[:], key)
	}
	var stack [512]byte
	buf := stack[:0]
	for i := range k {
		buf = append(buf, k[i]^0x36)
	}
	buf = append(buf, msg...)
	inner := sha256.Sum256(buf)
	var outer [block + 32]byte
	for i := range k {
		outer[i] = k[i] ^ 0x5c
	}
	copy(outer[block:], inner[:])
	return sha256.Sum256(outer[:])
}

// deriveKey derives the SigV4 signing key for a secret and a scope.
func deriveKey(secret, date, region, service string) [32]byte {
	var stack [128]byte
	k := append(append(stack[:0], "AWS4"...), secret...)
	kDate := hmacSHA256(k, []byte(date))
	kRegion := hmacSHA256(kDate[:], []byte(region))
	kService := hmacSHA256(kRegion[:], []byte(service))
	return hmacSHA256(kService[:], []byte(terminator))
}

// SigningKeyCache caches derived signing keys by secret and credential
// scope. It is safe for concurrent use. The zero value is not usable; create
// one with NewSigningKeyCache. A nil *SigningKeyCache derives every key anew.
type SigningKeyCache struct {
	mu   sync.RWMutex
	max  int
	keys map[keyID][32]byte
}

type keyID struct {
	secret, date, region, service string
}

// NewSigningKeyCache returns a cache that holds at most max keys
// (a default of 1024 when max <= 0).
func NewSigningKeyCache(max int) *SigningKeyCache {
	if max <= 0 {
		max = 1024
	}
	return &SigningKeyCache{max: max, keys: make(map[keyID][32]byte)}
}

// Key returns the signing key for secret and the scope (date is YYYYMMDD).
func (c *SigningKeyCache) Key(secret, date, region, service string) [32]byte {
	if c == nil {
		return deriveKey(secret, date, region, service)
	}
	id := keyID{secret, date, region, service}
	c.mu.RLock()
	k, ok := c.keys[id]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveKey(secret, date, region, service)
	c.mu.Lock()
	if len(c.keys) >= c.max {
		// Evict an arbitrary entry; keys of past dates age out this way.
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}

// Len reports the number of cached keys.
func (c *SigningKeyCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.keys)
}
