package session

import (
	"sync"
	"time"
)

// Revocations is a deny list of revoked sessions: execution environments
// that were torn down and single access key IDs. An entry lasts until the
// time given when it was added, normally the latest expiry of the sessions it
// revokes; entries past it are pruned. It is safe for concurrent use.
type Revocations struct {
	now func() time.Time

	mu    sync.RWMutex
	until map[string]time.Time
}

// NewRevocations returns an empty list that tells time with now
// (time.Now when nil).
func NewRevocations(now func() time.Time) *Revocations {
	if now == nil {
		now = time.Now
	}
	return &Revocations{now: now, until: make(map[string]time.Time)}
}

// Revoke denies the sessions bound to an execution environment ID, or the
// session with an access key ID, until the given time.
func (r *Revocations) Revoke(id string, until time.Time) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, t := range r.until {
		if !now.Before(t) {
			delete(r.until, k)
		}
	}
	if now.Before(until) && until.After(r.until[id]) {
		r.until[id] = until
	}
}

// IsRevoked reports whether the session c is revoked, by its environment or
// by its access key ID.
func (r *Revocations) IsRevoked(c *Claims) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.until) == 0 {
		return false
	}
	now := r.now()
	if c.Environment != "" {
		if t, ok := r.until[c.Environment]; ok && now.Before(t) {
			return true
		}
	}
	t, ok := r.until[c.AccessKeyID]
	return ok && now.Before(t)
}

// Len returns the number of entries not yet pruned.
func (r *Revocations) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.until)
}
