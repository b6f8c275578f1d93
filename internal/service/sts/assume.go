package sts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/session"
)

// Session duration limits, in seconds.
const (
	defaultDuration    = 3600
	minDuration        = 900
	chainedMaxDuration = 3600
	maxPolicyARNs      = 10
	// packedLimit is the space, in characters, that session policies and
	// session tags share; PackedPolicySize is the percentage used.
	packedLimit = 2048
)

// assumeRoleInput is a validated AssumeRole request.
type assumeRoleInput struct {
	RoleARN           string
	SessionName       string
	Duration          int // seconds; 0 when not given
	Policy            string
	PolicyARNs        []string
	Tags              []session.Tag
	TransitiveTagKeys []string
	ExternalID        string
	SerialNumber      string
	TokenCode         string
	SourceIdentity    string
}

// parseAssumeRole reads the AssumeRole parameters and returns the model's
// verdict on them. It returns what it could read even when it reports an
// error.
func parseAssumeRole(c *api.Call) (*assumeRoleInput, error) {
	p := c.Params
	in := &assumeRoleInput{
		RoleARN:           p.Get("RoleArn"),
		SessionName:       p.Get("RoleSessionName"),
		PolicyARNs:        list(p, "PolicyArns", ".arn"),
		Policy:            p.Get("Policy"),
		Duration:          integer(p, "DurationSeconds"),
		Tags:              parseTags(p),
		TransitiveTagKeys: list(p, "TransitiveTagKeys", ""),
		ExternalID:        p.Get("ExternalId"),
		SerialNumber:      p.Get("SerialNumber"),
		TokenCode:         p.Get("TokenCode"),
		SourceIdentity:    p.Get("SourceIdentity"),
	}
	if err := validate(c); err != nil {
		return in, err
	}
	// The model leaves the limit on managed session policies to its
	// documentation.
	if len(in.PolicyARNs) > maxPolicyARNs {
		return in, api.ValidationError("1 validation error detected: Value '[%s]' at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d",
			strings.Join(in.PolicyARNs, ", "), maxPolicyARNs)
	}
	return in, nil
}

// parseTags reads Tags.member.N.Key/Value.
func parseTags(p url.Values) []session.Tag {
	var tags []session.Tag
	for i := 1; ; i++ {
		prefix := "Tags.member." + strconv.Itoa(i) + "."
		_, hasKey := p[prefix+"Key"]
		_, hasValue := p[prefix+"Value"]
		if !hasKey && !hasValue {
			return tags
		}
		tags = append(tags, session.Tag{Key: p.Get(prefix + "Key"), Value: p.Get(prefix + "Value")})
	}
}

// assumeRoleResource validates the request, so that malformed requests fail
// before authorization as in AWS, and returns the role with its trust
// policy, evaluated with trust semantics. For a role that does not exist
// the policy is nil: the gateway denies then, with the AccessDenied AWS
// returns for a role that does not trust the caller.
func (s *STS) assumeRoleResource(c *api.Call) (api.Resource, error) {
	in, err := parseAssumeRole(c)
	if err != nil {
		return api.Resource{}, err
	}
	res := api.Resource{ARN: in.RoleARN, Mode: api.TrustPolicy}
	r, err := s.role(c.Context, in.RoleARN)
	if err != nil {
		return api.Resource{}, err
	}
	if r != nil {
		res.Policy, res.Tags, res.Type = r.Trust, r.Tags, "AWS::IAM::Role"
	}
	return res, nil
}

// assumeRoleConditions sets the condition keys a trust policy can test.
func (s *STS) assumeRoleConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	set := keys.Set
	in, _ := parseAssumeRole(c)
	set("sts:RoleSessionName", in.SessionName)
	if in.ExternalID != "" {
		set("sts:ExternalId", in.ExternalID)
	}
	sourceIdentity := in.SourceIdentity
	if caller := callerClaims(c); sourceIdentity == "" && caller != nil {
		sourceIdentity = caller.SourceIdentity
	}
	if sourceIdentity != "" {
		set("sts:SourceIdentity", sourceIdentity)
	}
	if len(in.Tags) > 0 {
		keys := make([]string, len(in.Tags))
		for i, t := range in.Tags {
			set("aws:RequestTag/"+t.Key, t.Value)
			keys[i] = t.Key
		}
		set("aws:TagKeys", keys...)
	}
	if len(in.TransitiveTagKeys) > 0 {
		set("sts:TransitiveTagKeys", in.TransitiveTagKeys...)
	}
}

func (s *STS) assumeRole(c *api.Call) (any, error) {
	in, err := parseAssumeRole(c)
	c.Trail.RequestParameters = in.trail()
	if err != nil {
		return nil, err
	}
	if in.SerialNumber != "" || in.TokenCode != "" {
		return nil, api.AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.")
	}
	role, err := s.role(c.Context, in.RoleARN)
	if err != nil {
		return nil, err
	}
	if role == nil {
		return nil, api.AccessDenied(fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
			callerARN(c), in.RoleARN))
	}
	caller := callerClaims(c)
	// Any temporary credentials calling AssumeRole make a chain, those of
	// GetSessionToken included: STS limits the session to one hour
	// ("role chaining", IAM User Guide, Roles terms and concepts).
	chained := caller != nil
	maxDuration := int(role.MaxSessionDuration / time.Second)
	if maxDuration == 0 {
		maxDuration = defaultDuration
	}
	duration := in.Duration
	switch {
	case duration == 0:
		duration = defaultDuration
	case chained && duration > chainedMaxDuration:
		return nil, api.ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	case duration > maxDuration:
		return nil, api.ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	req := issueRequest{
		role:              role,
		sessionName:       in.SessionName,
		duration:          time.Duration(duration) * time.Second,
		policyARNs:        in.PolicyARNs,
		tags:              in.Tags,
		transitiveTagKeys: in.TransitiveTagKeys,
		sourceIdentity:    in.SourceIdentity,
		issuer:            callerARN(c),
		chained:           chained,
	}
	if c.Principal != nil && c.Principal.Type == api.AWSService && c.Environment != nil {
		// A service principal (Lambda) assuming a role for an execution
		// environment: the session is bound to that environment.
		req.environment = c.Environment.ID
		req.sourceFunctionARN = c.Environment.SourceFunctionARN
	}
	if in.Policy != "" {
		p, err := policy.Parse(in.Policy, policy.Session)
		if err != nil {
			return nil, malformedPolicy(err)
		}
		req.policy = p.String()
	}
	for _, a := range in.PolicyARNs {
		if _, err := s.cfg.Roles.ManagedPolicy(c.Context, a); isNotFound(err) {
			return nil, invalidParameter("Policy %s does not exist or is not attachable.", a)
		} else if err != nil {
			return nil, fmt.Errorf("sts: look up policy %s: %w", a, err)
		}
	}
	if err := checkTags(in); err != nil {
		return nil, err
	}
	if caller != nil && caller.Type == session.AssumedRole {
		if err := inherit(&req, caller); err != nil {
			return nil, err
		}
	}
	if err := s.authorizeExtras(c, in, req.sourceIdentity); err != nil {
		return nil, err
	}
	packed, err := packedSize(req)
	if err != nil {
		return nil, err
	}

	creds, claims, err := s.issue(req)
	if err != nil {
		return nil, err
	}
	out := &AssumeRoleResult{
		Credentials: creds,
		AssumedRoleUser: AssumedRoleUser{
			AssumedRoleID: claims.AssumedRoleID(),
			ARN:           claims.AssumedRoleARN(),
		},
		SourceIdentity: claims.SourceIdentity,
	}
	if in.Policy != "" || len(in.PolicyARNs) > 0 || len(in.Tags) > 0 {
		out.PackedPolicySize = &packed
	}
	c.Trail.ResponseElements = assumeRoleTrail(out)
	c.Trail.Resources = roleResources(role)
	if r, ok := s.cfg.Roles.(RoleUseRecorder); ok {
		// Best effort, as AWS's own tracking: the credentials are issued.
		_ = r.RecordRoleUse(c.Context, role.ARN, c.Region, claims.Issued)
	}
	return out, nil
}

// RoleUseRecorder is implemented by Roles that keep when a role was last
// assumed (IAM's RoleLastUsed).
type RoleUseRecorder interface {
	RecordRoleUse(ctx context.Context, arn, region string, at time.Time) error
}

// authorizeExtras checks the actions AWS authorizes besides sts:AssumeRole
// when a request passes session tags or the session gets a source
// identity, set by the request or carried along a role chain ("When you
// assume a role with another role, permissions for sts:SetSourceIdentity
// are required", IAM User Guide, Monitor and control actions taken with
// assumed roles). They are evaluated like sts:AssumeRole, against the
// role's trust policy.
func (s *STS) authorizeExtras(c *api.Call, in *assumeRoleInput, sourceIdentity string) error {
	if c.Authorize == nil {
		return nil
	}
	if len(in.Tags) > 0 {
		if err := c.Authorize("sts:TagSession", api.Resource{ARN: in.RoleARN}, nil); err != nil {
			return err
		}
	}
	if sourceIdentity != "" {
		if err := c.Authorize("sts:SetSourceIdentity", api.Resource{ARN: in.RoleARN}, nil); err != nil {
			return err
		}
	}
	return nil
}

// checkTags checks the session tags beyond the model's constraints.
func checkTags(in *assumeRoleInput) error {
	seen := make(map[string]bool, len(in.Tags))
	for _, t := range in.Tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidParameter("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	for _, k := range in.TransitiveTagKeys {
		if !seen[strings.ToLower(k)] {
			return invalidParameter("The transitive tag key %s must also be a session tag key.", k)
		}
	}
	return nil
}

// inherit carries the calling role session's transitive tags and source
// identity into a chained session. Neither can be changed along the chain.
func inherit(req *issueRequest, caller *session.Claims) error {
	inherited := caller.TransitiveTags()
	for _, t := range inherited {
		for _, n := range req.tags {
			if strings.EqualFold(t.Key, n.Key) {
				return invalidParameter("The session tag %s cannot be set: it conflicts with a transitive tag of the calling session.", n.Key)
			}
		}
	}
	if len(inherited) > 0 {
		req.tags = append(inherited, req.tags...)
		keys := make([]string, 0, len(inherited)+len(req.transitiveTagKeys))
		for _, t := range inherited {
			keys = append(keys, t.Key)
		}
		req.transitiveTagKeys = append(keys, req.transitiveTagKeys...)
	}
	if caller.SourceIdentity != "" {
		if req.sourceIdentity != "" && req.sourceIdentity != caller.SourceIdentity {
			return invalidParameter("The source identity %s cannot be changed: the calling session's source identity is %s.",
				req.sourceIdentity, caller.SourceIdentity)
		}
		req.sourceIdentity = caller.SourceIdentity
	}
	return nil
}

// packedSize returns the percentage of the packed space that the session
// policies and tags use, or PackedPolicyTooLarge when they use more.
func packedSize(req issueRequest) (int, error) {
	n := len(req.policy)
	for _, a := range req.policyARNs {
		n += len(a)
	}
	for _, t := range req.tags {
		n += len(t.Key) + len(t.Value)
	}
	pct := int(math.Ceil(float64(n) * 100 / packedLimit))
	if pct > 100 {
		return pct, api.Errorf(400, "PackedPolicyTooLarge",
			"Packed policy consumes %d%% of allotted space, please use smaller policy.", pct)
	}
	return pct, nil
}

func malformedPolicy(err error) error {
	var pe *policy.Error
	if errors.As(err, &pe) {
		return api.Errorf(400, "MalformedPolicyDocument", "%s", pe.Message)
	}
	return fmt.Errorf("sts: parse session policy: %w", err)
}

// callerClaims returns the session claims of the caller, if any.
func callerClaims(c *api.Call) *session.Claims {
	if c.Principal == nil {
		return nil
	}
	return c.Principal.Claims
}

// callerARN returns the caller's ARN as AccessDenied messages show it.
func callerARN(c *api.Call) string {
	if c.Principal == nil {
		return "anonymous"
	}
	if c.Principal.ARN == "" && c.Principal.InvokedBy != "" {
		return c.Principal.InvokedBy
	}
	return c.Principal.ARN
}

// arnAccount returns the account field of an ARN.
func arnAccount(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[4] == "" {
		return "", false
	}
	return parts[4], true
}
