package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/service/iam"
	"github.com/rolecall/rolecall/internal/session"
	"github.com/rolecall/rolecall/internal/store"
)

// identities resolves managed policy ARNs and roles' tags (IAM).
type identities interface {
	ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error)
	PrincipalTags(ctx context.Context, roleARN string) (map[string]string, error)
}

// sessions opens session tokens for the gateway. Opened sessions are cached
// by token, so a warm credential costs one map lookup per request.
//
// An opened session's principal carries its role's tags (aws:PrincipalTag)
// and its session policies as they were when it was opened: the change
// feed drops the sessions of a role that changed (roleChanged) and those
// with managed session policies when a managed policy changed
// (policyChanged). gen counts the drops, so that a principal built from
// records read before a change is not cached after it.
type sessions struct {
	sealer  *session.Sealer
	revoked *session.Revocations
	shared  *sharedRevocations // stores revocations for every node
	iam     identities

	mu     sync.RWMutex
	gen    uint64
	opened map[string]*openedSession
	byRole map[string][]string // role store key (iam.RoleKey) -> tokens opened
}

type openedSession struct {
	claims    *session.Claims
	principal *api.Principal
}

// subscribe feeds the cache from feed.
func (s *sessions) subscribe(feed *store.Feed) {
	feed.Subscribe([]string{iam.RolesTable, iam.PoliciesTable}, s.changed, s.dropAll)
}

// changed drops the sessions a change of IAM's records may affect.
func (s *sessions) changed(c store.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	switch c.Table {
	case iam.RolesTable:
		for _, token := range s.byRole[c.Key] {
			delete(s.opened, token)
		}
		delete(s.byRole, c.Key)
	case iam.PoliciesTable:
		for token, o := range s.opened {
			if len(o.claims.PolicyARNs) > 0 {
				delete(s.opened, token) // byRole may keep the token: harmless
			}
		}
	}
}

// dropAll forgets every opened session.
func (s *sessions) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.opened, s.byRole = nil, nil
}

const maxOpenedSessions = 10000

// OpenSession implements gateway.Sessions.
func (s *sessions) OpenSession(ctx context.Context, accessKeyID, token string, now time.Time) (*api.Principal, string, error) {
	s.mu.RLock()
	o, gen := s.opened[token], s.gen
	s.mu.RUnlock()
	if o == nil {
		c, err := s.sealer.Open(accessKeyID, token, now)
		switch {
		case errors.Is(err, session.ErrExpired):
			return nil, "", gateway.ErrExpiredToken
		case err != nil:
			return nil, "", gateway.ErrInvalidToken
		}
		p, err := s.principal(ctx, c)
		if err != nil {
			return nil, "", err
		}
		o = &openedSession{claims: c, principal: p}
		s.mu.Lock()
		if gen == s.gen {
			if s.opened == nil || len(s.opened) >= maxOpenedSessions {
				s.opened, s.byRole = map[string]*openedSession{}, map[string][]string{}
			}
			s.opened[token] = o
			if c.Type == session.AssumedRole {
				k := iam.RoleKey(c.Account, c.RoleName)
				s.byRole[k] = append(s.byRole[k], token)
			}
		}
		s.mu.Unlock()
	}
	if o.claims.AccessKeyID != accessKeyID {
		return nil, "", gateway.ErrInvalidToken
	}
	if !now.Before(o.claims.Expires) {
		return nil, "", gateway.ErrExpiredToken
	}
	if s.revoked.IsRevoked(o.claims) {
		return nil, "", gateway.ErrInvalidToken
	}
	return o.principal, o.claims.SecretAccessKey, nil
}

// principal builds the caller a session's claims describe, with its session
// policies parsed once.
func (s *sessions) principal(ctx context.Context, c *session.Claims) (*api.Principal, error) {
	p := &api.Principal{
		Account:        c.Account,
		AccessKeyID:    c.AccessKeyID,
		Claims:         c,
		SessionIssued:  c.Issued,
		SourceIdentity: c.SourceIdentity,
		EnvironmentID:  c.Environment,
	}
	switch c.Type {
	case session.AssumedRole:
		p.Type = api.AssumedRole
		p.ARN = c.AssumedRoleARN()
		p.PrincipalID = c.AssumedRoleID()
		p.RoleARN, p.RoleName, p.RoleID, p.SessionName = c.RoleARN, c.RoleName, c.RoleID, c.SessionName
	case session.SessionToken:
		p.ARN = c.UserARN
		p.UserName = c.UserName
		p.PrincipalID = c.UserID
		p.Type = api.IAMUser
		if c.UserName == "" {
			p.Type = api.Root
			p.PrincipalID = c.Account
		}
	default:
		return nil, fmt.Errorf("%w: unsupported session type %q", gateway.ErrInvalidToken, c.Type)
	}
	if p.Type == api.AssumedRole {
		// aws:PrincipalTag: the role's tags, overridden by session tags.
		tags, err := s.iam.PrincipalTags(ctx, c.RoleARN)
		switch {
		case entityMissing(err):
			// A deleted role: its sessions have no tags (and no permissions).
			tags = nil
		case err != nil:
			// Not knowing the tags is not knowing the principal: a session
			// without them could pass a Deny conditioned on them.
			return nil, fmt.Errorf("server: tags of %s: %w", c.RoleARN, err)
		}
		p.Tags = tags
	}
	if len(c.Tags) > 0 {
		if p.Tags == nil {
			p.Tags = make(map[string]string, len(c.Tags))
		}
		for _, t := range c.Tags {
			p.Tags[t.Key] = t.Value
		}
	}
	if c.Policy != "" {
		pol, err := policy.Parse(c.Policy, policy.Session)
		if err != nil {
			return nil, fmt.Errorf("%w: session policy: %w", gateway.ErrInvalidToken, err)
		}
		p.SessionPolicies = append(p.SessionPolicies, policy.Named{ID: "session policy", Policy: pol})
	}
	for _, arn := range c.PolicyARNs {
		pol, err := s.iam.ManagedPolicy(ctx, arn)
		switch {
		case entityMissing(err):
			return nil, fmt.Errorf("%w: session policy %s: %w", gateway.ErrInvalidToken, arn, err)
		case err != nil:
			return nil, fmt.Errorf("server: session policy %s: %w", arn, err)
		}
		p.SessionPolicies = append(p.SessionPolicies, policy.Named{ID: arn, Policy: pol})
	}
	return p, nil
}

// Revoke ends every session bound to an execution environment.
func (s *sessions) Revoke(environmentID string, until time.Time) {
	s.shared.Revoke(environmentID, until)
}

// entityMissing reports whether err is IAM's answer for an entity that
// does not exist (NoSuchEntity) or cannot (InvalidInput), as opposed to a
// failure to read it.
func entityMissing(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && (ae.Code == "NoSuchEntity" || ae.Code == "InvalidInput")
}
