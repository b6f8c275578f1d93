// Package sts implements the AWS Security Token Service over the query
// protocol: AssumeRole, GetSessionToken, GetCallerIdentity and
// GetAccessKeyInfo. Credentials it issues carry their claims in a sealed
// session token (package session), so verifying them needs no store.
package sts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/session"
	"github.com/rolecall/rolecall/internal/shape"
)

// Namespace is the XML namespace of STS responses.
const Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// ErrNotFound is wrapped by Roles implementations to report a role or a
// managed policy that does not exist. IAM's NoSuchEntity and InvalidInput
// (a malformed ARN) *api.Errors are understood the same way.
var ErrNotFound = errors.New("sts: not found")

// Role is what STS needs to know about an IAM role.
type Role struct {
	ARN  string // arn:aws:iam::ACCOUNT:role/PATH/NAME
	ID   string // AROA...
	Name string
	Path string
	// Trust is the role's trust policy.
	Trust *policy.Policy
	// MaxSessionDuration is the longest session AssumeRole grants;
	// 0 means one hour.
	MaxSessionDuration time.Duration
	// Tags are the role's tags (aws:ResourceTag/* when it is assumed).
	Tags map[string]string
}

// Roles looks up IAM roles and managed policies.
type Roles interface {
	RoleByARN(ctx context.Context, arn string) (*Role, error)
	ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error)
}

// Config configures an STS.
type Config struct {
	// Account is the default account.
	Account string
	Roles   Roles
	Sealer  *session.Sealer
	// Now tells the time; nil means time.Now.
	Now func() time.Time
}

// STS is the Security Token Service.
type STS struct {
	cfg Config
	svc *api.Service
}

// New returns an STS.
func New(cfg Config) *STS {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &STS{cfg: cfg}
	s.svc = api.NewService(api.Service{
		Name:         "sts",
		EventSource:  "sts.amazonaws.com",
		Protocols:    []string{"awsQuery"},
		APIVersion:   "2011-06-15",
		XMLNamespace: Namespace,
		Global:       true,
		Validate:     validateInput(),
	}, []*api.Operation{
		{
			Name:       "AssumeRole",
			Action:     "sts:AssumeRole",
			ReadOnly:   true,
			Resource:   s.assumeRoleResource,
			Conditions: s.assumeRoleConditions,
			Handle:     s.assumeRole,
		},
		// GetCallerIdentity and GetSessionToken need no permission.
		{Name: "GetCallerIdentity", ReadOnly: true, Handle: s.getCallerIdentity},
		{Name: "GetSessionToken", ReadOnly: true, Handle: s.getSessionToken},
		{Name: "GetAccessKeyInfo", Action: "sts:GetAccessKeyInfo", ReadOnly: true, Handle: s.getAccessKeyInfo},
	}...)
	return s
}

// Service returns the operation table.
func (s *STS) Service() *api.Service { return s.svc }

// role looks up a role; it returns nil, nil when the role does not exist.
func (s *STS) role(ctx context.Context, arn string) (*Role, error) {
	r, err := s.cfg.Roles.RoleByARN(ctx, arn)
	if isNotFound(err) || err == nil && r == nil {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sts: look up role %s: %w", arn, err)
	}
	return r, nil
}

func isNotFound(err error) bool {
	var se *api.Error
	return errors.Is(err, ErrNotFound) || errors.As(err, &se) && (se.Code == "NoSuchEntity" || se.Code == "InvalidInput")
}

// validateInput checks a request against STS's model. A service acting
// within rolecall (Lambda assuming a function's execution role) names the
// role session after what it acts for, and Lambda's function names may be
// a single character, under the model's minimum of 2 for RoleSessionName:
// the session name of a service's call is left to the handler.
func validateInput() func(*api.Call) *api.Error {
	public := shape.Hook("sts", "ValidationError")
	service := shape.HookLeaving("sts", "ValidationError", map[string][]string{"AssumeRole": {"roleSessionName"}})
	return func(c *api.Call) *api.Error {
		if c.Principal != nil && c.Principal.Type == api.AWSService {
			return service(c)
		}
		return public(c)
	}
}
