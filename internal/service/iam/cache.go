package iam

import (
	"crypto/sha256"
	"sync"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

type cachedKey struct {
	principal api.Principal
	secret    string
	active    bool
}

// maxSetsPerEntity bounds the compiled sets kept per entity (one per
// distinct set of session policies).
const maxSetsPerEntity = 32

// setCache holds compiled policy sets and role descriptions per entity
// ("<account>/role/<name>", "<account>/user/<name>"). Every write that affects an entity drops
// its entries; gen guards against storing a set compiled from data read
// before such a write.
type setCache struct {
	mu    sync.RWMutex
	gen   uint64
	sets  map[string][]setEntry
	roles map[string]*RoleInfo
}

type setEntry struct {
	session []policy.Named // kept so the pointers compared below stay unique
	digest  [32]byte
	set     *policy.PolicySet
}

func (s *setCache) init() {
	s.sets = make(map[string][]setEntry)
	s.roles = make(map[string]*RoleInfo)
}

// generation returns the current generation, to pass to put.
func (s *setCache) generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// lookup returns the cached set for entity and session policies. It first
// compares the session policies by identity, then by content.
func (s *setCache) lookup(entity string, session []policy.Named) (*policy.PolicySet, [32]byte, bool) {
	s.mu.RLock()
	entries := s.sets[entity]
	s.mu.RUnlock()
	for _, e := range entries {
		if sameNamed(e.session, session) {
			return e.set, e.digest, true
		}
	}
	d := digest(session)
	for _, e := range entries {
		if e.digest == d {
			return e.set, d, true
		}
	}
	return nil, d, false
}

func (s *setCache) put(gen uint64, entity string, session []policy.Named, d [32]byte, set *policy.PolicySet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen {
		return
	}
	entries := s.sets[entity]
	if len(entries) >= maxSetsPerEntity {
		entries = entries[1:]
	}
	pinned := append([]policy.Named(nil), session...)
	s.sets[entity] = append(entries[:len(entries):len(entries)], setEntry{session: pinned, digest: d, set: set})
}

func (s *setCache) role(account, name string) *RoleInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.roles[roleEntity(account, name)]
}

func (s *setCache) putRole(gen uint64, info *RoleInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen == s.gen {
		s.roles[roleEntity(info.Account, info.Name)] = info
	}
}

// invalidate drops what is cached for one entity, and every role
// description: a role's trust policy shows the users and roles it names
// by their unique IDs once they are gone (trustDocument).
func (s *setCache) invalidate(entity string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	delete(s.sets, entity)
	clear(s.roles)
}

// invalidateAll drops everything (a managed policy's default version changed).
func (s *setCache) invalidateAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	clear(s.sets)
	clear(s.roles)
}

func roleEntity(account, name string) string { return roleKind.cacheKey(account, name) }

func sameNamed(a, b []policy.Named) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k].Policy != b[k].Policy || a[k].ID != b[k].ID {
			return false
		}
	}
	return true
}

func digest(ns []policy.Named) [32]byte {
	if len(ns) == 0 {
		return [32]byte{}
	}
	h := sha256.New()
	for _, n := range ns {
		h.Write([]byte(n.ID))
		h.Write([]byte{0})
		if n.Policy != nil {
			h.Write([]byte(n.Policy.String()))
		}
		h.Write([]byte{0})
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}
