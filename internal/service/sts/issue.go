package sts

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/session"
)

// issueRequest is everything a role session is issued from.
type issueRequest struct {
	role              *Role
	sessionName       string
	duration          time.Duration
	policy            string // compact JSON
	policyARNs        []string
	tags              []session.Tag
	transitiveTagKeys []string
	sourceIdentity    string
	issuer            string
	chained           bool
	environment       string
	sourceFunctionARN string
}

// issue creates the credentials of a role session.
func (s *STS) issue(r issueRequest) (*Credentials, *session.Claims, error) {
	account, ok := arnAccount(r.role.ARN)
	if !ok || !isAccountID(account) {
		return nil, nil, fmt.Errorf("sts: role ARN %q names no account", r.role.ARN)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	c := &session.Claims{
		AccessKeyID:       session.NewAccessKeyID(session.TemporaryPrefix, account),
		SecretAccessKey:   session.NewSecret(),
		Account:           account,
		Type:              session.AssumedRole,
		RoleARN:           r.role.ARN,
		RoleName:          r.role.Name,
		RoleID:            r.role.ID,
		RolePath:          r.role.Path,
		SessionName:       r.sessionName,
		Issued:            now,
		Expires:           now.Add(r.duration),
		Policy:            r.policy,
		PolicyARNs:        r.policyARNs,
		Tags:              r.tags,
		TransitiveTagKeys: r.transitiveTagKeys,
		SourceIdentity:    r.sourceIdentity,
		Issuer:            r.issuer,
		Chained:           r.chained,
		Environment:       r.environment,
		SourceFunctionARN: r.sourceFunctionARN,
	}
	creds, err := s.seal(c)
	if err != nil {
		return nil, nil, err
	}
	return creds, c, nil
}

// seal issues the session token for c.
func (s *STS) seal(c *session.Claims) (*Credentials, error) {
	token, err := s.cfg.Sealer.Issue(*c)
	if err != nil {
		return nil, fmt.Errorf("sts: issue session token: %w", err)
	}
	return &Credentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    token,
		Expiration:      c.Expires,
	}, nil
}

// IssueInput is a role session requested by an in-process service principal.
type IssueInput struct {
	RoleARN     string
	SessionName string // for Lambda, the function name
	// Duration is the session's lifetime; 0 means 12 hours, the lifetime of
	// Lambda's execution-role credentials. It is not limited by the role's
	// MaxSessionDuration.
	Duration time.Duration
	// Service is the service principal assuming the role;
	// "" means lambda.amazonaws.com.
	Service string
	// Environment binds the session to an execution environment.
	Environment       string
	SourceFunctionARN string
}

// Service session lifetimes.
const (
	DefaultServiceDuration = 12 * time.Hour
	minServiceDuration     = minDuration * time.Second
)

// IssueForRole issues credentials for a role assumed by a service principal.
// The caller must have authorized the request against the role's trust
// policy first. A missing role yields an error wrapping ErrNotFound; bad
// input yields a *api.Error.
func (s *STS) IssueForRole(ctx context.Context, in IssueInput) (*Credentials, *session.Claims, error) {
	// The input is checked as an AssumeRole request's would be.
	c := &api.Call{Service: s.svc, Operation: s.svc.Operations["AssumeRole"],
		Params: url.Values{"RoleArn": {in.RoleARN}, "RoleSessionName": {in.SessionName}}}
	if err := validate(c); err != nil {
		return nil, nil, err
	}
	d := in.Duration
	if d == 0 {
		d = DefaultServiceDuration
	}
	if d < minServiceDuration || d > DefaultServiceDuration {
		return nil, nil, api.ValidationError("The requested duration %v is outside %v to %v.", d, minServiceDuration, DefaultServiceDuration)
	}
	role, err := s.role(ctx, in.RoleARN)
	if err != nil {
		return nil, nil, err
	}
	if role == nil {
		return nil, nil, fmt.Errorf("sts: role %s: %w", in.RoleARN, ErrNotFound)
	}
	issuer := in.Service
	if issuer == "" {
		issuer = "lambda.amazonaws.com"
	}
	return s.issue(issueRequest{
		role:              role,
		sessionName:       in.SessionName,
		duration:          d,
		issuer:            issuer,
		environment:       in.Environment,
		sourceFunctionARN: in.SourceFunctionARN,
	})
}

// isAccountID reports whether s is a 12-digit account ID.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
