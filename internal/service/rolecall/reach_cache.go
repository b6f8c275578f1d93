package rolecall

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strconv"
	"sync"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

// reachCacheSize is how many policy sets' reach the cache keeps: the roles
// a console is looking at, not every role of the account.
const reachCacheSize = 64

// reachCache keeps the reach of recently summarized policy sets by the
// SHA-256 of what the reach depends on: the principal, the service asked
// for, and the ID and text of every identity, boundary and service control
// policy. A changed document, a policy attached or detached, or a new
// default version gives a new key, so an entry is never stale; entries
// are dropped all at once when the cache is full. The results are shared:
// callers must not modify them (as access.Reach's own results).
type reachCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte][]access.ServiceReach
}

func newReachCache() *reachCache {
	return &reachCache{entries: map[[sha256.Size]byte][]access.ServiceReach{}}
}

// reach returns access.Reach of in for principal (only ""), or
// access.ReachService's one service of the prefix only (a slice of one or
// none), from the cache when the same policies were summarized before.
func (c *reachCache) reach(in policy.SetInput, principal policy.Principal, cat *catalog.Catalog, only string) []access.ServiceReach {
	key := reachKey(in, principal, only)
	c.mu.Lock()
	out, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		return out
	}
	if only == "" {
		out = access.Reach(in, principal, cat)
	} else if s := access.ReachService(in, principal, cat, only); s != nil {
		out = []access.ServiceReach{*s}
	}
	c.mu.Lock()
	if len(c.entries) >= reachCacheSize {
		clear(c.entries)
	}
	c.entries[key] = out
	c.mu.Unlock()
	return out
}

// reachKey hashes what the reach of in depends on, each part
// length-prefixed so that no two inputs share a key. Session policies are
// not part of a principal's reach.
func reachKey(in policy.SetInput, principal policy.Principal, only string) [sha256.Size]byte {
	h := sha256.New()
	for _, s := range []string{only, strconv.Itoa(int(principal.Type)), principal.ARN, principal.Account, principal.RoleARN, principal.ID} {
		writeString(h, s)
	}
	named := func(tag string, ns []policy.Named) {
		writeString(h, tag)
		writeString(h, strconv.Itoa(len(ns)))
		for _, n := range ns {
			writeString(h, n.ID)
			if n.Policy == nil {
				writeString(h, "")
				continue
			}
			writeString(h, strconv.Itoa(int(n.Policy.Kind())))
			writeString(h, n.Policy.String())
		}
	}
	named("identity", in.Identity)
	if in.Boundary != nil {
		named("boundary", []policy.Named{*in.Boundary})
	}
	for _, level := range in.SCPs {
		named("scp", level)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}

// writeString writes s to h with its length before it.
func writeString(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
