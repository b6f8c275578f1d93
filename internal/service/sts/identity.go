package sts

import (
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/session"
)

// GetSessionToken durations, in seconds.
const (
	userDefaultDuration = 43200
	rootMaxDuration     = 3600
)

func (s *STS) getCallerIdentity(c *api.Call) (any, error) {
	p := c.Principal
	if p == nil || p.ARN == "" {
		return nil, errors.New("sts: GetCallerIdentity without an authenticated principal")
	}
	id := p.PrincipalID
	if id == "" && p.Type == api.Root {
		id = p.Account
	}
	return &GetCallerIdentityResult{UserID: id, Account: p.Account, ARN: p.ARN}, nil
}

func (s *STS) getSessionToken(c *api.Call) (any, error) {
	duration := integer(c.Params, "DurationSeconds")
	serial, code := c.Params.Get("SerialNumber"), c.Params.Get("TokenCode")
	c.Trail.RequestParameters = map[string]any{}
	if duration != 0 {
		c.Trail.RequestParameters["durationSeconds"] = duration
	}
	if err := validate(c); err != nil {
		return nil, err
	}
	p := c.Principal
	if p == nil || p.Claims != nil || p.Type != api.IAMUser && p.Type != api.Root {
		return nil, api.AccessDenied("Cannot call GetSessionToken with session credentials")
	}
	if serial != "" || code != "" {
		return nil, api.AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.")
	}
	if !isAccountID(p.Account) {
		return nil, fmt.Errorf("sts: principal %s has no valid account", p.ARN)
	}
	switch {
	case p.Type == api.Root && (duration == 0 || duration > rootMaxDuration):
		duration = rootMaxDuration
	case duration == 0:
		duration = userDefaultDuration
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	cl := &session.Claims{
		AccessKeyID:     session.NewAccessKeyID(session.TemporaryPrefix, p.Account),
		SecretAccessKey: session.NewSecret(),
		Account:         p.Account,
		Type:            session.SessionToken,
		UserARN:         p.ARN,
		UserName:        p.UserName,
		UserID:          p.PrincipalID,
		Issued:          now,
		Expires:         now.Add(time.Duration(duration) * time.Second),
		Issuer:          p.ARN,
	}
	if p.Type == api.Root && cl.UserID == "" {
		cl.UserID = p.Account
	}
	creds, err := s.seal(cl)
	if err != nil {
		return nil, err
	}
	c.Trail.ResponseElements = map[string]any{"credentials": trailCredentials(creds)}
	return &GetSessionTokenResult{Credentials: creds}, nil
}

func (s *STS) getAccessKeyInfo(c *api.Call) (any, error) {
	id := c.Params.Get("AccessKeyId")
	c.Trail.RequestParameters = map[string]any{"accessKeyId": id}
	if err := validate(c); err != nil {
		return nil, err
	}
	if p := c.Principal; p != nil && p.Claims != nil && p.Claims.Type == session.SessionToken {
		// GetSessionToken's credentials call no STS operation but
		// AssumeRole and GetCallerIdentity (STS API Reference,
		// GetSessionToken).
		return nil, api.AccessDenied("Cannot call GetAccessKeyInfo with session credentials")
	}
	account, err := session.AccountFromAccessKeyID(id)
	if err != nil {
		return nil, invalidParameter("The access key ID %s is not valid.", id)
	}
	return &GetAccessKeyInfoResult{Account: account}, nil
}
