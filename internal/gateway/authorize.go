package gateway

import (
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// authorizeOperation authorizes the operation's own action (step 4). It
// returns the resource and the resource-based policy it used, so that further
// actions the handler authorizes on the same resource see the same policy.
func (g *Gateway) authorizeOperation(c *api.Call) (string, *policy.Policy, bool, *api.Error) {
	op := c.Operation
	if op.Action == "" {
		return "", nil, false, nil
	}
	resource := "*"
	if op.Resource != nil {
		r, err := op.Resource(c)
		if err != nil {
			return "", nil, false, g.asServiceError(err)
		}
		if r != "" {
			resource = r
		}
	}
	var rp *policy.Policy
	trust := false
	if op.ResourcePolicy != nil {
		p, t, err := op.ResourcePolicy(c)
		if err != nil {
			return "", nil, false, g.asServiceError(err)
		}
		rp, trust = p, t
	}
	var extra map[string][]string
	if op.Conditions != nil {
		extra = map[string][]string{}
		op.Conditions(c, func(key string, values ...string) { extra[key] = values })
	}
	return resource, rp, trust, g.authorize(c, op.Action, resource, extra, rp, trust)
}

// asServiceError returns err as AWS's error, logging what is not one.
func (g *Gateway) asServiceError(err error) *api.Error {
	if e, ok := err.(*api.Error); ok {
		return e
	}
	g.log.Error("authorization failed", "err", err)
	return api.InternalFailure(err)
}

// authorize evaluates one action on one resource for the call's principal with
// every policy that applies, and returns AWS's AccessDenied when it is not allowed.
func (g *Gateway) authorize(c *api.Call, action, resource string, extra map[string][]string, rp *policy.Policy, trust bool) *api.Error {
	p := c.Principal
	ctx := g.contexts.Get().(*policy.Context)
	defer func() {
		ctx.Reset()
		g.contexts.Put(ctx)
	}()
	g.requestContext(ctx, c, extra)
	req := policy.Request{
		Principal:       policyPrincipal(p),
		Action:          action,
		Resource:        resource,
		ResourceAccount: resourceAccount(resource, c.Account),
		ResourcePolicy:  rp,
		Context:         ctx,
	}
	if rp != nil {
		if _, _, ok := ctx.Get(keySourceFunctionARN); ok {
			// lambda:SourceFunctionArn is for identity-based policies and
			// SCPs only: resource-based policies (trust policies included)
			// are evaluated without it.
			rctx := g.contexts.Get().(*policy.Context)
			defer func() {
				rctx.Reset()
				g.contexts.Put(rctx)
			}()
			g.requestContext(rctx, c, extra)
			rctx.Delete(keySourceFunctionARN)
			req.ResourceContext = rctx
		}
	}
	var set *policy.PolicySet
	if p.Type == api.IAMUser || p.Type == api.AssumedRole {
		var err error
		set, err = g.cfg.Identities.PolicySet(c.Context, p, p.SessionPolicies)
		if err != nil {
			return g.asServiceError(err)
		}
	}
	var d policy.Decision
	if trust {
		if p.Type == api.Root {
			return api.AccessDenied("Roles may not be assumed by root accounts.")
		}
		if rp == nil {
			// No trust policy: the role does not exist. AWS answers as for a
			// role that does not trust the caller.
			return accessDenied(c.Service, p, action, resource, policy.Decision{})
		}
		d = policy.EvaluateTrust(rp, set, &req)
	} else {
		d = set.Evaluate(&req)
	}
	if d.Effect == policy.Allow {
		return nil
	}
	if trust && d.Effect == policy.ImplicitDeny && d.Source == policy.SourceResource {
		// A trust policy that does not allow the caller gets the same answer
		// as a role that does not exist: no reason is given.
		return accessDenied(c.Service, p, action, resource, policy.Decision{})
	}
	return accessDenied(c.Service, p, action, resource, d)
}

// requestContext sets the condition keys of the call and the operation's
// extra keys.
func (g *Gateway) requestContext(ctx *policy.Context, c *api.Call, extra map[string][]string) {
	g.fillContext(ctx, c)
	for k, v := range extra {
		if len(v) > 1 || isMultiValued(k) {
			ctx.SetMulti(k, v...)
		} else {
			ctx.Set(k, v...)
		}
	}
}

// keySourceFunctionARN is the condition key Lambda adds to the calls made
// from a function's execution environment.
const keySourceFunctionARN = "lambda:SourceFunctionArn"

// isMultiValued reports whether a condition key is multivalued by definition.
func isMultiValued(key string) bool {
	k := strings.ToLower(key)
	return k == "aws:tagkeys" || k == "aws:principalservicenameslist" || k == "aws:calledvia" || k == "sts:transitivetagkeys"
}

func resourceAccount(resource, def string) string {
	// arn:partition:service:region:account:...
	parts := strings.SplitN(resource, ":", 6)
	if len(parts) == 6 && parts[4] != "" && parts[4] != "aws" {
		return parts[4]
	}
	return def
}

func policyPrincipal(p *api.Principal) policy.Principal {
	pp := policy.Principal{ARN: p.ARN, Account: p.Account, RoleARN: p.RoleARN}
	switch p.Type {
	case api.Root:
		pp.Type = policy.Root
	case api.IAMUser:
		pp.Type = policy.User
	case api.AssumedRole:
		pp.Type = policy.AssumedRole
	case api.AWSService:
		pp.Type = policy.Service
	default:
		pp.Type = policy.Anonymous
	}
	return pp
}

// fillContext sets the global condition keys of the request context.
func (g *Gateway) fillContext(ctx *policy.Context, c *api.Call) {
	p := c.Principal
	switch p.Type {
	case api.Root:
		ctx.Set("aws:PrincipalArn", p.ARN)
		ctx.Set("aws:userid", p.Account)
		ctx.Set("aws:PrincipalType", "Account")
	case api.IAMUser:
		ctx.Set("aws:PrincipalArn", p.ARN)
		ctx.Set("aws:userid", p.PrincipalID)
		ctx.Set("aws:username", p.UserName)
		ctx.Set("aws:PrincipalType", "User")
	case api.AssumedRole:
		ctx.Set("aws:PrincipalArn", p.RoleARN)
		ctx.Set("aws:userid", p.PrincipalID)
		ctx.Set("aws:PrincipalType", "AssumedRole")
	case api.AWSService:
		ctx.Set("aws:PrincipalServiceName", p.ARN)
		ctx.Set("aws:PrincipalIsAWSService", "true")
	}
	if p.Type != api.AWSService {
		ctx.Set("aws:PrincipalAccount", p.Account)
		ctx.Set("aws:PrincipalIsAWSService", "false")
	}
	if !p.SessionIssued.IsZero() {
		ctx.Set("aws:TokenIssueTime", p.SessionIssued.UTC().Format(time.RFC3339))
		ctx.Set("aws:MultiFactorAuthPresent", "false")
	}
	for k, v := range p.Tags {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	if p.SourceIdentity != "" {
		ctx.Set("aws:SourceIdentity", p.SourceIdentity)
	}
	if p.InvokedBy != "" {
		ctx.Set("aws:ViaAWSService", "true")
		ctx.SetMulti("aws:CalledVia", p.InvokedBy)
		ctx.Set("aws:CalledViaFirst", p.InvokedBy)
		ctx.Set("aws:CalledViaLast", p.InvokedBy)
	} else {
		ctx.Set("aws:ViaAWSService", "false")
		if c.SourceIP != "" {
			ctx.Set("aws:SourceIp", c.SourceIP)
		}
	}
	ctx.Set("aws:CurrentTime", c.Time.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(c.Time.Unix(), 10))
	ctx.Set("aws:SecureTransport", "false")
	region := c.Region
	if region == "" {
		region = g.cfg.Region
	}
	ctx.Set("aws:RequestedRegion", region)
	if b := c.Environment; b != nil {
		if b.SourceFunctionARN != "" {
			ctx.Set(keySourceFunctionARN, b.SourceFunctionARN)
		}
		if b.SourceVPC != "" {
			ctx.Set("aws:SourceVpc", b.SourceVPC)
		}
	}
}

// accessDenied renders AWS's AccessDenied message for a decision.
func accessDenied(svc *api.Service, p *api.Principal, action, resource string, d policy.Decision) *api.Error {
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(p.ARN)
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(action)
	if resource != "*" && resource != "" {
		b.WriteString(" on resource: ")
		if svc != nil && svc.Protocol == api.RESTXML {
			b.WriteString(`"` + resource + `"`)
		} else {
			b.WriteString(resource)
		}
	}
	if reason := d.Reason(action); reason != "" {
		b.WriteString(" ")
		b.WriteString(reason)
	}
	return api.AccessDenied(b.String())
}
