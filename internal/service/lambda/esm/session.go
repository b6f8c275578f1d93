package esm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// sessionMargin is how long before its expiry a cached role session is
// replaced.
const sessionMargin = 5 * time.Minute

// roleProblem is what a mapping reports when Lambda cannot assume the
// function's execution role: Lambda's own message for such a role.
const roleProblem = "PROBLEM: The role defined for the function cannot be assumed by Lambda."

// sessionKey names a cached session: Lambda assumes a function's role
// with the function's name as the session name.
type sessionKey struct{ account, role, function string }

type cachedSession struct {
	principal *api.Principal
	expires   time.Time
}

// sessions caches the execution roles' sessions of the pollers.
type sessions struct {
	mu sync.Mutex
	m  map[sessionKey]cachedSession
}

// roleError is the failure to assume a function's execution role.
type roleError struct{ err error }

func (e *roleError) Error() string { return "esm: assume the execution role: " + e.err.Error() }
func (e *roleError) Unwrap() error { return e.err }

// principal returns the session of fn's execution role, assuming the role
// when no cached session lasts sessionMargin more. A role Lambda cannot
// assume is a *roleError wrapping the *api.Error of AssumeRole.
func (m *Manager) principal(ctx context.Context, fn Function) (*api.Principal, error) {
	s := &m.run.sessions
	key := sessionKey{fn.Account, fn.Role, fn.Name}
	s.mu.Lock()
	c, ok := s.m[key]
	s.mu.Unlock()
	if ok && m.now().Add(sessionMargin).Before(c.expires) {
		return c.principal, nil
	}
	p, expires, err := m.cfg.Functions.RoleSession(ctx, fn)
	if err != nil {
		var ae *api.Error
		if ctx.Err() != nil || !errors.As(err, &ae) {
			return nil, fmt.Errorf("esm: assume the execution role of %s: %w", fn.ARN, err)
		}
		return nil, &roleError{err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[sessionKey]cachedSession)
	}
	// Expired sessions of other roles go as a new one comes.
	now := m.now()
	for k, c := range s.m {
		if !now.Before(c.expires) {
			delete(s.m, k)
		}
	}
	s.m[key] = cachedSession{principal: p, expires: expires}
	return p, nil
}

// isRoleError reports whether err is the failure to assume an execution
// role.
func isRoleError(err error) bool {
	var re *roleError
	return errors.As(err, &re)
}
