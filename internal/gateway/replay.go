package gateway

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// ReplayRequest is the record of one authorization decision that lets it be
// made again: everything the gateway evaluated but the principal's own
// identity policies (which replay reads as they are, or as a change would
// make them) and the time (which replay sets from the decision's). Its JSON
// is canonical (context keys sorted): the trail stores it under a hash of
// it (store.Access.Request), once however many decisions it records.
type ReplayRequest struct {
	Principal       ReplayPrincipal `json:"principal"`
	Action          string          `json:"action"`
	Resource        string          `json:"resource"`
	ResourceAccount string          `json:"resourceAccount,omitempty"`
	// ResourcePolicy is the resource's policy; nil when it has none.
	ResourcePolicy *ReplayPolicy `json:"resourcePolicy,omitempty"`
	// Mode is how the resource's policy took part: "resource", "trust" or
	// "key" (api.PolicyMode).
	Mode string `json:"mode"`
	// Session are the session policies of a role session.
	Session []ReplayPolicy `json:"session,omitempty"`
	// Gates are the SCPs, RCPs and VPC endpoint policy the request passed
	// through, in the order evaluated.
	Gates []ReplayGate `json:"gates,omitempty"`
	// SCPBinds says that service control policies apply to the principal
	// (its account's root, users and role sessions but service-linked
	// roles, outside an organization's management account), so that a
	// proposed SCP is evaluated.
	SCPBinds bool `json:"scpBinds,omitempty"`
	// Context are the request's condition keys but aws:CurrentTime and
	// aws:EpochTime, sorted by key.
	Context []ReplayKey `json:"context"`
}

// ReplayPrincipal is the caller of a replayed request (api.Principal's
// fields that evaluation and IAM's policy lookup need).
type ReplayPrincipal struct {
	Type        string `json:"type"` // api.PrincipalType
	ARN         string `json:"arn,omitempty"`
	Account     string `json:"account,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	RoleARN     string `json:"roleArn,omitempty"`
	RoleName    string `json:"roleName,omitempty"`
	RoleID      string `json:"roleId,omitempty"`
}

// ReplayPolicy is a policy document as evaluated: its ID (an inline
// policy's name, a managed policy's ARN; "" for a resource's policy), the
// rules it was parsed under (policy.Kind's String) and the document.
type ReplayPolicy struct {
	ID       string `json:"id,omitempty"`
	Kind     string `json:"kind"`
	Document string `json:"document"`
}

// ReplayGate is a gate of a request (policy.Gate): its source ("scp",
// "rcp" or "endpoint") and its policies by level, outermost first.
type ReplayGate struct {
	Source string           `json:"source"`
	Levels [][]ReplayPolicy `json:"levels"`
}

// ReplayKey is one condition key of the request context.
type ReplayKey struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
	Multi  bool     `json:"multi,omitempty"`
}

// Principal returns the api.Principal r was made by, with the fields
// IAM's policy lookup reads (PolicyInput).
func (p ReplayPrincipal) Principal() *api.Principal {
	return &api.Principal{
		Type: api.PrincipalType(p.Type), ARN: p.ARN, Account: p.Account, PrincipalID: p.PrincipalID,
		UserName: p.UserName, RoleARN: p.RoleARN, RoleName: p.RoleName, RoleID: p.RoleID,
	}
}

// modeNames names api.PolicyMode values in replay records.
var modeNames = map[api.PolicyMode]string{
	api.ResourcePolicy: "resource",
	api.TrustPolicy:    "trust",
	api.KeyPolicy:      "key",
}

// gateNames names gate sources in replay records.
var gateNames = map[policy.Source]string{
	policy.SourceSCP:      "scp",
	policy.SourceRCP:      "rcp",
	policy.SourceEndpoint: "endpoint",
}

// kinds are the policy kinds by their String.
var kinds = map[string]policy.Kind{
	policy.Identity.String(): policy.Identity,
	policy.Resource.String(): policy.Resource,
	policy.Trust.String():    policy.Trust,
	policy.SCP.String():      policy.SCP,
	policy.Session.String():  policy.Session,
	policy.Boundary.String(): policy.Boundary,
}

// replayCapture is what authorize keeps of a decision for its replay
// record: copies of the request's values and references to its immutable
// policies. The trail encodes it (MarshalJSON) off the request path.
type replayCapture struct {
	principal       ReplayPrincipal
	action          string
	resource        string
	resourceAccount string
	rp              *policy.Policy
	mode            api.PolicyMode
	session         []policy.Named
	gates           []*policy.Gate
	scpBinds        bool
	keys            []ReplayKey
}

// captureReplay copies what replaying the decision of req needs.
func captureReplay(p *api.Principal, req *policy.Request, mode api.PolicyMode, scpBinds bool) *replayCapture {
	rc := &replayCapture{
		principal: ReplayPrincipal{
			Type: string(p.Type), ARN: p.ARN, Account: p.Account, PrincipalID: p.PrincipalID,
			UserName: p.UserName, RoleARN: p.RoleARN, RoleName: p.RoleName, RoleID: p.RoleID,
		},
		action: req.Action, resource: req.Resource, resourceAccount: req.ResourceAccount,
		rp: req.ResourcePolicy, mode: mode, session: p.SessionPolicies, scpBinds: scpBinds,
	}
	if len(req.Gates) > 0 {
		rc.gates = slices.Clone(req.Gates)
	}
	// One allocation for the keys and one for all their values.
	n, nv := 0, 0
	req.Context.Each(func(_ string, values []string, _ bool) { n++; nv += len(values) })
	rc.keys = make([]ReplayKey, 0, n)
	vals := make([]string, 0, nv)
	req.Context.Each(func(key string, values []string, multi bool) {
		if strings.EqualFold(key, keyCurrentTime) || strings.EqualFold(key, keyEpochTime) {
			return
		}
		off := len(vals)
		vals = append(vals, values...)
		rc.keys = append(rc.keys, ReplayKey{Key: key, Values: vals[off:len(vals):len(vals)], Multi: multi})
	})
	return rc
}

// Condition keys replay sets from the time of the decision.
const (
	keyCurrentTime = "aws:CurrentTime"
	keyEpochTime   = "aws:EpochTime"
)

// MarshalJSON encodes the capture as its ReplayRequest.
func (rc *replayCapture) MarshalJSON() ([]byte, error) {
	r := ReplayRequest{
		Principal: rc.principal, Action: rc.action, Resource: rc.resource, ResourceAccount: rc.resourceAccount,
		Mode: modeNames[rc.mode], SCPBinds: rc.scpBinds, Context: slices.Clone(rc.keys),
	}
	if rc.rp != nil {
		r.ResourcePolicy = &ReplayPolicy{Kind: rc.rp.Kind().String(), Document: rc.rp.String()}
	}
	for _, n := range rc.session {
		r.Session = append(r.Session, replayPolicy(n, policy.Session))
	}
	for _, g := range rc.gates {
		rg := ReplayGate{Source: gateNames[g.Source()], Levels: [][]ReplayPolicy{}}
		for _, level := range g.Levels() {
			l := []ReplayPolicy{}
			for _, n := range level {
				l = append(l, replayPolicy(n, policy.SCP))
			}
			rg.Levels = append(rg.Levels, l)
		}
		r.Gates = append(r.Gates, rg)
	}
	slices.SortFunc(r.Context, func(a, b ReplayKey) int { return strings.Compare(a.Key, b.Key) })
	return json.Marshal(&r)
}

// replayPolicy records a named policy; a nil policy (one without
// statements) has an empty document and kind def.
func replayPolicy(n policy.Named, def policy.Kind) ReplayPolicy {
	if n.Policy == nil {
		return ReplayPolicy{ID: n.ID, Kind: def.String()}
	}
	return ReplayPolicy{ID: n.ID, Kind: n.Policy.Kind().String(), Document: n.Policy.String()}
}

// Change is a proposed policy change replay evaluates.
type Change struct {
	Identity []policy.Named // identity policies replacing those of the same ID (inline name or managed ARN), or added
	Remove   []string       // IDs of identity policies taken away
	Boundary *policy.Named  // a permissions boundary set (replacing the current one)
	SCP      *policy.Named  // a service control policy attached to the principal's account (joins the account's level)
}

// Apply returns in with ch's identity policies and boundary: policies of
// the IDs in Remove dropped, those of Identity replacing the policy of
// their ID or added after the others, Boundary replacing the boundary. A
// nil ch changes nothing. in is not modified.
func (ch *Change) Apply(in policy.SetInput) policy.SetInput {
	if ch == nil {
		return in
	}
	out := in
	out.Identity = make([]policy.Named, 0, len(in.Identity)+len(ch.Identity))
	for _, n := range in.Identity {
		if !slices.Contains(ch.Remove, n.ID) {
			out.Identity = append(out.Identity, n)
		}
	}
	for _, n := range ch.Identity {
		if i := slices.IndexFunc(out.Identity, func(m policy.Named) bool { return m.ID == n.ID }); i >= 0 {
			out.Identity[i] = n
		} else {
			out.Identity = append(out.Identity, n)
		}
	}
	if ch.Boundary != nil {
		b := *ch.Boundary
		out.Boundary = &b
	}
	return out
}

// fullAccessSCP is the policy AWS Organizations attaches to every root, OU
// and account of a new organization (FullAWSAccess): a proposed SCP for an
// account in no organization is evaluated beside it.
var fullAccessSCP = policy.Named{
	ID:     "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
	Policy: mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.SCP),
}

func mustParse(doc string, kind policy.Kind) *policy.Policy {
	p, err := policy.Parse(doc, kind)
	if err != nil {
		panic(err)
	}
	return p
}

// Replayer prepares replay records for evaluation under one change,
// parsing each distinct document and building each distinct gate once. It
// is not safe for concurrent use.
type Replayer struct {
	ch    *Change
	docs  map[ReplayPolicy]*policy.Policy
	gates map[string]*policy.Gate
}

// NewReplayer returns a Replayer for ch (nil: the policies as recorded).
func NewReplayer(ch *Change) *Replayer {
	return &Replayer{ch: ch, docs: map[ReplayPolicy]*policy.Policy{}, gates: map[string]*policy.Gate{}}
}

// Prepared is a replay record ready to be evaluated again and again: its
// documents parsed, its gates built (with the change's SCP), its context
// made. It is not safe for concurrent use (Evaluate sets the time in its
// context).
type Prepared struct {
	ch        *Change
	ptype     api.PrincipalType
	req       policy.Request
	mode      api.PolicyMode
	session   []policy.Named
	base      *policy.Context // the recorded keys
	rbase     *policy.Context // the same without lambda:SourceFunctionArn; nil when the same
	ctx, rctx policy.Context
}

// Prepare prepares r under ch; see Replayer.Prepare.
func (r *ReplayRequest) Prepare(ch *Change) (*Prepared, error) {
	return NewReplayer(ch).Prepare(r)
}

// Prepare parses r's documents and builds its request. It fails for a
// record whose documents no longer parse or whose mode or kinds are
// unknown.
func (rp *Replayer) Prepare(r *ReplayRequest) (*Prepared, error) {
	mode, ok := modeOf(r.Mode)
	if !ok {
		return nil, fmt.Errorf("gateway: replay record of %s: unknown policy mode %q", r.Action, r.Mode)
	}
	p := &Prepared{ch: rp.ch, ptype: api.PrincipalType(r.Principal.Type), mode: mode, base: new(policy.Context)}
	p.req = policy.Request{
		Principal:       policyPrincipal(r.Principal.Principal()),
		Action:          r.Action,
		Resource:        r.Resource,
		ResourceAccount: r.ResourceAccount,
	}
	if r.ResourcePolicy != nil {
		doc, err := rp.parse(*r.ResourcePolicy)
		if err != nil {
			return nil, err
		}
		p.req.ResourcePolicy = doc
	}
	for _, s := range r.Session {
		doc, err := rp.parse(s)
		if err != nil {
			return nil, err
		}
		p.session = append(p.session, policy.Named{ID: s.ID, Policy: doc})
	}
	scpAdded := false
	for _, g := range r.Gates {
		add := rp.ch != nil && rp.ch.SCP != nil && g.Source == "scp" && !scpAdded
		gate, err := rp.gate(g, add)
		if err != nil {
			return nil, fmt.Errorf("gateway: replay record of %s: %w", r.Action, err)
		}
		scpAdded = scpAdded || add
		p.req.Gates = append(p.req.Gates, gate)
	}
	if rp.ch != nil && rp.ch.SCP != nil && !scpAdded && r.SCPBinds {
		// The account is in no organization (or the record predates its
		// SCPs): the proposed SCP joins AWS's default.
		gate, err := rp.gate(ReplayGate{Source: "scp", Levels: [][]ReplayPolicy{{}}}, true)
		if err != nil {
			return nil, err
		}
		p.req.Gates = append([]*policy.Gate{gate}, p.req.Gates...)
	}
	for _, k := range r.Context {
		if k.Multi {
			p.base.SetMulti(k.Key, k.Values...)
		} else {
			p.base.Set(k.Key, k.Values...)
		}
	}
	if p.req.ResourcePolicy != nil {
		if _, _, ok := p.base.Get(keySourceFunctionARN); ok {
			p.rbase = new(policy.Context)
			p.rbase.CopyFrom(p.base)
			p.rbase.Delete(keySourceFunctionARN)
		}
	}
	return p, nil
}

func modeOf(name string) (api.PolicyMode, bool) {
	for m, n := range modeNames {
		if n == name {
			return m, true
		}
	}
	return 0, false
}

// parse returns the parsed policy of a record, once per distinct one; an
// empty document is a policy without statements (nil).
func (rp *Replayer) parse(d ReplayPolicy) (*policy.Policy, error) {
	if d.Document == "" {
		return nil, nil
	}
	if doc, ok := rp.docs[d]; ok {
		return doc, nil
	}
	kind, ok := kinds[d.Kind]
	if !ok {
		return nil, fmt.Errorf("gateway: replay record: unknown policy kind %q", d.Kind)
	}
	doc, err := policy.Parse(d.Document, kind)
	if err != nil {
		return nil, fmt.Errorf("gateway: replay record: policy %q: %w", d.ID, err)
	}
	rp.docs[d] = doc
	return doc, nil
}

// gate builds a recorded gate, with the change's SCP joining its last
// level (the account's) when addSCP is set.
func (rp *Replayer) gate(g ReplayGate, addSCP bool) (*policy.Gate, error) {
	var src policy.Source
	for s, n := range gateNames {
		if n == g.Source {
			src = s
		}
	}
	if src == policy.SourceNone {
		return nil, fmt.Errorf("unknown gate %q", g.Source)
	}
	id, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	key := strconv.FormatBool(addSCP) + string(id)
	if gate, ok := rp.gates[key]; ok {
		return gate, nil
	}
	levels := make([][]policy.Named, len(g.Levels))
	for i, level := range g.Levels {
		for _, d := range level {
			doc, err := rp.parse(d)
			if err != nil {
				return nil, err
			}
			levels[i] = append(levels[i], policy.Named{ID: d.ID, Policy: doc})
		}
	}
	if addSCP && len(levels) > 0 {
		last := len(levels) - 1
		if len(levels[last]) == 0 {
			levels[last] = append(levels[last], fullAccessSCP)
		}
		levels[last] = append(levels[last], *rp.ch.SCP)
	}
	gate := policy.NewGate(src, levels)
	rp.gates[key] = gate
	return gate, nil
}

// Session returns the session policies of the request (of a role
// session): sets compiled for it (Compile) differ by them alone.
func (p *Prepared) Session() []policy.Named { return p.session }

// Compile returns the policy set the request is evaluated with: in (the
// principal's identity policies and boundary, from IAM's PolicyInput)
// changed by the change, with the request's session policies. It is nil for
// principals without identity policies (root, services, anonymous callers).
func (p *Prepared) Compile(in policy.SetInput) *policy.PolicySet {
	if p.ptype != api.IAMUser && p.ptype != api.AssumedRole {
		return nil
	}
	in = p.ch.Apply(in)
	in.Session = p.session
	return policy.Compile(in)
}

// Evaluate decides the request again with set (Compile's) at time at, as
// the gateway decided it (decideRequest): aws:CurrentTime and
// aws:EpochTime are at's.
func (p *Prepared) Evaluate(set *policy.PolicySet, at time.Time) policy.Decision {
	at = at.UTC()
	now, epoch := at.Format(time.RFC3339), strconv.FormatInt(at.Unix(), 10)
	p.ctx.CopyFrom(p.base)
	p.ctx.Set(keyCurrentTime, now)
	p.ctx.Set(keyEpochTime, epoch)
	req := p.req
	req.Context = &p.ctx
	if p.rbase != nil {
		p.rctx.CopyFrom(p.rbase)
		p.rctx.Set(keyCurrentTime, now)
		p.rctx.Set(keyEpochTime, epoch)
		req.ResourceContext = &p.rctx
	}
	return decideRequest(p.ptype, set, &req, p.mode)
}

// Reevaluate evaluates r as the gateway would, with the identity policies in
// (IAM's SetInput of the principal, current) changed by ch, at time at. A
// record that cannot be prepared (see Replayer.Prepare) is an implicit
// deny; callers replaying many records use a Replayer, which reports it.
func Reevaluate(in policy.SetInput, r *ReplayRequest, at time.Time, ch *Change) policy.Decision {
	p, err := r.Prepare(ch)
	if err != nil {
		return policy.Decision{}
	}
	return p.Evaluate(p.Compile(in), at)
}
