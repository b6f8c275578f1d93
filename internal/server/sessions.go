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
	"github.com/rolecall/rolecall/internal/session"
)

// identities resolves managed policy ARNs and roles' tags (IAM).
type identities interface {
	ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error)
	PrincipalTags(ctx context.Context, roleARN string) (map[string]string, error)
}

// sessions opens session tokens for the gateway. Opened sessions are cached
// by token, so a warm credential costs one map lookup per request.
type sessions struct {
	sealer  *session.Sealer
	revoked *session.Revocations
	iam     identities

	mu     sync.RWMutex
	opened map[string]*openedSession
}

type openedSession struct {
	claims    *session.Claims
	principal *api.Principal
}

const maxOpenedSessions = 10000

// OpenSession implements gateway.Sessions.
func (s *sessions) OpenSession(ctx context.Context, accessKeyID, token string, now time.Time) (*api.Principal, string, error) {
	s.mu.RLock()
	o := s.opened[token]
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
		if s.opened == nil || len(s.opened) >= maxOpenedSessions {
			s.opened = map[string]*openedSession{}
		}
		s.opened[token] = o
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
		return nil, fmt.Errorf("server: unsupported session type %q", c.Type)
	}
	if p.Type == api.AssumedRole {
		// aws:PrincipalTag: the role's tags, overridden by session tags.
		tags, err := s.iam.PrincipalTags(ctx, c.RoleARN)
		if err != nil {
			// A deleted role: its sessions have no tags (and no permissions).
			tags = nil
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
			return nil, fmt.Errorf("server: session policy: %w", err)
		}
		p.SessionPolicies = append(p.SessionPolicies, policy.Named{ID: "session policy", Policy: pol})
	}
	for _, arn := range c.PolicyARNs {
		pol, err := s.iam.ManagedPolicy(ctx, arn)
		if err != nil {
			return nil, fmt.Errorf("server: session policy %s: %w", arn, err)
		}
		p.SessionPolicies = append(p.SessionPolicies, policy.Named{ID: arn, Policy: pol})
	}
	return p, nil
}

// Revoke ends every session bound to an execution environment.
func (s *sessions) Revoke(environmentID string, until time.Time) {
	s.revoked.Revoke(environmentID, until)
}
