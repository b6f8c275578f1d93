package gateway

import (
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// keySet collects an operation's condition keys.
type keySet map[string][]string

func (k keySet) Set(key string, values ...string) { k[key] = values }

// check is one action to authorize, resolved.
type check struct {
	action string
	res    api.Resource
	keys   keySet
	extra  bool
}

// authorizeOperation authorizes the operation's own action and the further
// actions its row declares (step 4), recording each decision. The resource
// of the operation's own action is kept so that further actions the handler
// authorizes on the same resource see the same policy.
func (g *Gateway) authorizeOperation(c *api.Call) *api.Error {
	op := c.Operation
	checks := make([]api.Check, 0, 1+len(op.Also))
	if op.Action != "" {
		checks = append(checks, api.Check{Action: op.Action, Resource: op.Resource, Conditions: op.Conditions})
	}
	checks = append(checks, op.Also...)
	var primary api.Resource
	for i, ck := range checks {
		res := api.Resource{ARN: "*"}
		if ck.Resource != nil {
			r, err := ck.Resource(c)
			if err != nil {
				return g.asError(c, err)
			}
			res = r
			if res.ARN == "" {
				res.ARN = "*"
			}
		}
		var keys keySet
		if ck.Conditions != nil {
			keys = keySet{}
			ck.Conditions(c, res, keys)
		}
		if i == 0 {
			primary = res
		}
		if e := g.authorize(c, check{action: ck.Action, res: res, keys: keys}); e != nil {
			return e
		}
	}
	c.Authorize = func(action string, res api.Resource, keys map[string][]string) error {
		if res.ARN == "" {
			res.ARN = "*"
		}
		if res.ARN == primary.ARN && res.Policy == nil {
			res.Policy, res.Mode, res.Tags = primary.Policy, primary.Mode, primary.Tags
			if res.Keys == nil {
				res.Keys = primary.Keys
			}
		}
		if e := g.authorize(c, check{action: action, res: res, keys: keys, extra: true}); e != nil {
			return e
		}
		return nil
	}
	return nil
}

// authorize evaluates one action on one resource for the call's principal
// with every policy that applies, records the decision, and returns AWS's
// AccessDenied when it is not allowed.
func (g *Gateway) authorize(c *api.Call, ck check) *api.Error {
	p := c.Principal
	ctx := g.contexts.Get().(*policy.Context)
	defer func() {
		ctx.Reset()
		g.contexts.Put(ctx)
	}()
	pl, err := g.place(c, ck)
	if err != nil {
		return g.asError(c, err)
	}
	g.requestContext(ctx, c, ck, &pl)
	rp := ck.res.Policy
	trust := ck.res.Mode == api.TrustPolicy
	req := policy.Request{
		Principal:       policyPrincipal(p),
		Action:          ck.action,
		Resource:        ck.res.ARN,
		ResourceAccount: resourceAccount(ck.res, c.Account),
		ResourcePolicy:  rp,
		Context:         ctx,
	}
	var gates [3]*policy.Gate
	req.Gates = pl.gates(p, ck.action, gates[:0])
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
			g.requestContext(rctx, c, ck, &pl)
			rctx.Delete(keySourceFunctionARN)
			req.ResourceContext = rctx
		}
	}
	var set *policy.PolicySet
	if p.Type == api.IAMUser || p.Type == api.AssumedRole {
		set, err = g.cfg.Identities.PolicySet(c.Context, p, p.SessionPolicies)
		if err != nil {
			return g.asError(c, err)
		}
	}
	d := decideRequest(p.Type, set, &req, ck.res.Mode)
	g.decide(c, ck, d, captureReplay(p, &req, ck.res.Mode, pl.scpBinds(p)))
	if trust && p.Type == api.Root {
		return api.AccessDenied("Roles may not be assumed by root accounts.")
	}
	if trust && rp == nil {
		// No trust policy: the role does not exist. AWS answers as for a
		// role that does not trust the caller.
		return accessDenied(c, ck, policy.Decision{})
	}
	if d.Effect == policy.Allow {
		return nil
	}
	if trust && d.Effect == policy.ImplicitDeny && d.Source == policy.SourceResource {
		// A trust policy that does not allow the caller gets the same answer
		// as a role that does not exist: no reason is given.
		return accessDenied(c, ck, policy.Decision{})
	}
	return accessDenied(c, ck, d)
}

// decideRequest decides req for a principal of type pt whose policies are
// set, with the evaluation logic of the resource's policy mode: a role's
// trust policy must allow the caller (and never allows an account's root
// user; a role without one allows nobody), a KMS key policy must allow
// (policy.EvaluateKey), other resource policies follow the general logic.
// The gateway and replay (Prepared.Evaluate) both decide through it.
func decideRequest(pt api.PrincipalType, set *policy.PolicySet, req *policy.Request, mode api.PolicyMode) policy.Decision {
	if mode == api.TrustPolicy {
		if pt == api.Root || req.ResourcePolicy == nil {
			return policy.Decision{}
		}
		return policy.EvaluateTrust(req.ResourcePolicy, set, req)
	}
	return evaluate(set, req, mode)
}

// decide records a decision on the call, with its decisive statements and
// what replaying it needs, and lists a typed resource in the trail record.
func (g *Gateway) decide(c *api.Call, ck check, d policy.Decision, replay *replayCapture) {
	rec := api.Decision{
		Action:   ck.action,
		Resource: ck.res.ARN,
		Decision: d.Effect.String(),
		Extra:    ck.extra,
		Replay:   replay,
	}
	if d.Source != policy.SourceNone {
		rec.Source = d.Source.String()
	}
	for _, m := range d.Matches[:d.Count] {
		rec.Statements = append(rec.Statements, api.Statement{
			Policy: m.Policy, Sid: m.Sid, Index: m.Index,
			Effect: m.Effect.String(), Source: m.Source.String(),
		})
	}
	c.Decisions = append(c.Decisions, rec)
	if ck.res.Type != "" && ck.res.ARN != "*" {
		addTrailResource(c, api.TrailResource{ARN: ck.res.ARN, AccountID: resourceAccount(ck.res, c.Account), Type: ck.res.Type})
	}
}

func addTrailResource(c *api.Call, r api.TrailResource) {
	for _, have := range c.Trail.Resources {
		if have.ARN == r.ARN {
			return
		}
	}
	c.Trail.Resources = append(c.Trail.Resources, r)
}

// requestContext sets the condition keys of the call, the resource's tags
// and the check's service keys.
func (g *Gateway) requestContext(ctx *policy.Context, c *api.Call, ck check, pl *placement) {
	g.fillContext(ctx, c)
	pl.setKeys(ctx, c)
	for k, v := range ck.res.Tags {
		ctx.Set("aws:ResourceTag/"+k, v)
	}
	setKeys(ctx, ck.res.Keys)
	setKeys(ctx, ck.keys)
}

// setKeys sets condition keys in ctx, multivalued where they have several
// values or the catalog types them so.
func setKeys(ctx *policy.Context, keys map[string][]string) {
	for k, v := range keys {
		if len(v) > 1 || multiValued(k) {
			ctx.SetMulti(k, v...)
		} else {
			ctx.Set(k, v...)
		}
	}
}

// keySourceFunctionARN is the condition key Lambda adds to the calls made
// from a function's execution environment.
const keySourceFunctionARN = "lambda:SourceFunctionArn"

func resourceAccount(res api.Resource, def string) string {
	if res.Account != "" {
		return res.Account
	}
	// arn:partition:service:region:account:...
	parts := strings.SplitN(res.ARN, ":", 6)
	if len(parts) == 6 && parts[4] != "" && parts[4] != "aws" {
		return parts[4]
	}
	return def
}

// principalTypes maps the trail's principal types to the policy engine's.
var principalTypes = map[api.PrincipalType]policy.PrincipalType{
	api.Root:        policy.Root,
	api.IAMUser:     policy.User,
	api.AssumedRole: policy.AssumedRole,
	api.AWSService:  policy.Service,
	api.Anonymous:   policy.Anonymous,
}

func policyPrincipal(p *api.Principal) policy.Principal {
	pp := policy.Principal{ARN: p.ARN, Account: p.Account, RoleARN: p.RoleARN, Type: policy.Anonymous}
	if t, ok := principalTypes[p.Type]; ok {
		pp.Type = t
	}
	switch p.Type {
	case api.IAMUser:
		pp.ID = p.PrincipalID
	case api.AssumedRole:
		pp.ID = p.RoleID
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
	case api.Anonymous:
		ctx.Set("aws:PrincipalType", "Anonymous")
		ctx.Set("aws:userid", "anonymous")
	}
	if p.Type != api.AWSService && p.Type != api.Anonymous {
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
	if c.SourceARN != "" {
		ctx.Set("aws:SourceArn", c.SourceARN)
	}
	if c.SourceAccount != "" {
		ctx.Set("aws:SourceAccount", c.SourceAccount)
	}
	if b := c.Environment; b != nil {
		if b.SourceFunctionARN != "" {
			ctx.Set(keySourceFunctionARN, b.SourceFunctionARN)
		}
	}
}

// accessDenied renders AWS's AccessDenied message for a decision.
func accessDenied(c *api.Call, ck check, d policy.Decision) *api.Error {
	if c.Principal.Type == api.Anonymous && c.Service != nil && c.Service.Name == "s3" {
		// S3 tells an unsigned request no more.
		return api.AccessDenied("Access Denied")
	}
	action := ck.action
	if c.Service != nil && c.Service.DeniedActionLower {
		action = strings.ToLower(action)
	}
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(c.Principal.ARN)
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(action)
	if resource := ck.res.ARN; resource != "*" && resource != "" {
		b.WriteString(" on resource: ")
		if c.Service != nil && c.Service.Name == "s3" {
			b.WriteString(`"` + resource + `"`)
		} else {
			b.WriteString(resource)
		}
	}
	if reason := d.Reason(action); reason != "" {
		b.WriteString(" ")
		b.WriteString(reason)
	}
	e := api.AccessDenied(b.String())
	if c.Service != nil && c.Service.DeniedStatus != 0 {
		e.Status = c.Service.DeniedStatus
	}
	return e
}

// evaluate decides req with the evaluation logic of the resource's policy
// mode: a KMS key policy must allow (policy.EvaluateKey); other resource
// policies follow the general logic.
func evaluate(set *policy.PolicySet, req *policy.Request, mode api.PolicyMode) policy.Decision {
	if mode == api.KeyPolicy {
		return policy.EvaluateKey(set, req)
	}
	return set.Evaluate(req)
}
