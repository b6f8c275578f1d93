package rolecall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/trail"
)

// explainOps returns the operation that explains a recorded decision.
func (r *API) explainOps() []*api.Operation {
	return []*api.Operation{
		// GetEventExplanation reads an event as CloudTrail's LookupEvents
		// does (cloudtrail:LookupEvents, authorized here) and the
		// principal's policies as IAM's SimulatePrincipalPolicy does
		// (iam:SimulatePrincipalPolicy on the user, or the role of a role
		// session, authorized in the handler once the event names it).
		{Name: "GetEventExplanation", Action: "cloudtrail:LookupEvents", ReadOnly: true,
			HTTP:   api.HTTP{Method: http.MethodGet, Path: "/v1/events/{EventId}/explanation"},
			Handle: r.getEventExplanation},
	}
}

// Explanation is GetEventExplanation's answer: one recorded authorization
// decision of an event (its first denied one, or its first when none was
// denied) decided again from its replay record with the principal's
// identity policies as they are now.
type Explanation struct {
	EventId     string
	EventTime   int64 // epoch seconds
	EventName   string
	EventSource string
	Principal   string // the caller's ARN ("" for anonymous callers)
	Action      string
	Resource    string
	// Decision is the decision today: "Allow", "ImplicitDeny" or
	// "ExplicitDeny"; RecordedDecision the one made then. StillDenied
	// reports that the request is denied today.
	Decision         string
	RecordedDecision string
	StillDenied      bool
	// Reason is the end of AWS's AccessDenied message for Decision ("" for
	// Allow).
	Reason   string
	Context  []ContextKey
	Policies []AppliedPolicy
	// Decisive are the statements that decide: the deny, the allows that
	// were required, or for an implicit deny the allows found.
	Decisive []DecisiveStatement
	// Missing is, for an implicit deny, the kind of policy that has no
	// allow ("identity", "boundary", "session", "resource", "scp", "rcp",
	// "endpoint"; "" when the request cannot be allowed at all).
	Missing string `json:",omitempty"`
	Fixes   []Fix
	// Note says why no fix is offered, when none is.
	Note string `json:",omitempty"`
}

// ContextKey is one condition key of the request context.
type ContextKey struct {
	Key    string
	Values []string
}

// AppliedPolicy is a policy the request was evaluated against. Kind is
// "identity", "boundary", "session", "resource" (the resource's policy, or
// the role's trust policy for a role assumption), "scp", "rcp" or
// "endpoint". Applies reports that one of its statements matches the
// request's action and resource (appliesTo), whatever its conditions.
//
// Name is an inline policy's name; Arn a managed policy's ARN, or an
// SCP's or RCP's; the resource's own policy has neither (it is the policy
// of the explanation's Resource).
type AppliedPolicy struct {
	Kind     string
	Name     string `json:",omitempty"`
	Arn      string `json:",omitempty"`
	Document string
	Applies  bool
}

// DecisiveStatement is a statement that decides the request, with its JSON.
type DecisiveStatement struct {
	Kind       string
	PolicyName string `json:",omitempty"`
	PolicyArn  string `json:",omitempty"`
	Sid        string `json:",omitempty"`
	Index      int
	Effect     string
	Statement  json.RawMessage `json:",omitempty"`
}

// sourceKinds names the policy kinds of the explanation by their source.
var sourceKinds = map[policy.Source]string{
	policy.SourceIdentity: "identity",
	policy.SourceBoundary: "boundary",
	policy.SourceSession:  "session",
	policy.SourceResource: "resource",
	policy.SourceSCP:      "scp",
	policy.SourceRCP:      "rcp",
	policy.SourceEndpoint: "endpoint",
}

// gateKinds are the sources of gates in replay records.
var gateKinds = map[string]policy.Source{"scp": policy.SourceSCP, "rcp": policy.SourceRCP, "endpoint": policy.SourceEndpoint}

// policyKinds are the rules of replay records' documents by name.
var policyKinds = map[string]policy.Kind{
	policy.Identity.String(): policy.Identity,
	policy.Resource.String(): policy.Resource,
	policy.Trust.String():    policy.Trust,
	policy.SCP.String():      policy.SCP,
	policy.Session.String():  policy.Session,
	policy.Boundary.String(): policy.Boundary,
}

// explained is one recorded decision ready to be explained.
type explained struct {
	event   store.Event
	row     store.Access
	rec     *gateway.ReplayRequest
	iamARN  string          // the user, or the role of a role session; "" for other callers
	current policy.SetInput // the principal's identity policies today
	gone    bool            // the user or role was deleted (or made again under its name) since
}

// getEventExplanation answers GET /v1/events/{EventId}/explanation. An
// event of another account, one without a recorded decision, and one whose
// decision has no replay record are a ResourceNotFoundException.
func (r *API) getEventExplanation(c *api.Call) (any, error) {
	if err := checkQuery(c); err != nil {
		return nil, err
	}
	id := c.PathParams["EventId"]
	if id == "" || len(id) > 128 {
		return nil, validation("fieldValidationFailed", "eventId", "eventId must be 1 to 128 characters.")
	}
	if r.cfg.IAM == nil {
		return nil, errors.New("rolecall: explanation without IAM")
	}
	if r.cfg.Flush != nil {
		if err := r.cfg.Flush(c.Context); err != nil {
			return nil, fmt.Errorf("rolecall: flush the trail: %w", err)
		}
	}
	x, err := r.findDecision(c, id)
	if err != nil {
		return nil, err
	}
	if err := r.authorizeExplain(c, x); err != nil {
		return nil, err
	}
	if x.iamARN != "" {
		if x.current, err = r.cfg.IAM.PolicyInput(c.Context, x.rec.Principal.Principal()); err != nil {
			return nil, fmt.Errorf("rolecall: policies of %s: %w", x.iamARN, err)
		}
		if x.gone, err = r.entityGone(c.Context, x); err != nil {
			return nil, err
		}
	}
	out, d, err := explain(x)
	if err != nil {
		return nil, err
	}
	if err := r.addFixes(c, x, d, out); err != nil {
		return nil, err
	}
	return out, nil
}

// eventNotFound is the API's answer for an event it cannot explain.
func eventNotFound(id, why string) error {
	return notFound(id, "AWS::CloudTrail::Event", fmt.Sprintf("The event %s %s.", id, why))
}

// findDecision reads the event of the caller's account and the replay
// record of the decision it explains.
func (r *API) findDecision(c *api.Call, id string) (*explained, error) {
	evs, _, err := r.cfg.Store.QueryEvents(c.Context, store.EventQuery{Attribute: "EventId", Value: id, Account: c.Account, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("rolecall: look up event %s: %w", id, err)
	}
	if len(evs) == 0 {
		return nil, eventNotFound(id, "cannot be found")
	}
	ev := evs[0]
	ds, err := trail.Decisions(ev)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, eventNotFound(id, "has no recorded authorization decision")
	}
	want := ds[0]
	if i := slices.IndexFunc(ds, func(d api.Decision) bool { return d.Decision != "Allow" }); i >= 0 {
		want = ds[i]
	}
	// The event's access row: the decisions of the event's second that
	// agree with it, the row that counts the event first preferred.
	sec := ev.Time.UTC().Truncate(time.Second)
	var row *store.Access
	for a, err := range r.cfg.Store.QueryAccess(c.Context, store.AccessQuery{Account: ev.Account, PrincipalARN: ev.PrincipalARN, Start: sec, End: sec}) {
		if err != nil {
			return nil, fmt.Errorf("rolecall: access of event %s: %w", id, err)
		}
		if a.PrincipalARN != ev.PrincipalARN || a.EventName != ev.Name || a.EventSource != ev.Source ||
			a.Action != want.Action || a.Resource != want.Resource || a.Decision != want.Decision || a.Extra != want.Extra || a.Request == "" {
			continue
		}
		if row == nil || a.EventID == ev.ID {
			row = &a
		}
		if a.EventID == ev.ID {
			break
		}
	}
	if row == nil {
		return nil, eventNotFound(id, "has no replay record of its decision")
	}
	recs, err := r.cfg.Store.AccessRequests(c.Context, []string{row.Request})
	if err != nil {
		return nil, fmt.Errorf("rolecall: replay record of event %s: %w", id, err)
	}
	b, ok := recs[row.Request]
	if !ok {
		return nil, eventNotFound(id, "has no replay record of its decision")
	}
	var rec gateway.ReplayRequest
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("rolecall: replay record of event %s: %w", id, err)
	}
	x := &explained{event: ev, row: *row, rec: &rec}
	switch api.PrincipalType(rec.Principal.Type) {
	case api.IAMUser:
		x.iamARN = rec.Principal.ARN
	case api.AssumedRole:
		x.iamARN = rec.Principal.RoleARN
	}
	return x, nil
}

// authorizeExplain authorizes reading the principal's policies as IAM's
// SimulatePrincipalPolicy would: on the user, or the role of a role
// session; on the caller's ARN for the root user; on "*" for callers
// without an IAM identity (anonymous and service callers).
func (r *API) authorizeExplain(c *api.Call, x *explained) error {
	res := api.Resource{ARN: "*"}
	switch {
	case strings.Contains(x.iamARN, ":role/"):
		res = api.Resource{ARN: x.iamARN, Type: "AWS::IAM::Role"}
	case x.iamARN != "":
		res = api.Resource{ARN: x.iamARN, Type: "AWS::IAM::User"}
	case x.rec.Principal.Type == string(api.Root):
		res = api.Resource{ARN: x.rec.Principal.ARN}
	}
	return c.Authorize("iam:SimulatePrincipalPolicy", res, nil)
}

// evaluate decides x's record again at the event's time with the
// principal's current policies, changed by ch, and rec (x's record when
// nil).
func (x *explained) evaluate(rec *gateway.ReplayRequest, ch *gateway.Change) (policy.Decision, error) {
	if rec == nil {
		rec = x.rec
	}
	p, err := rec.Prepare(ch)
	if err != nil {
		return policy.Decision{}, fmt.Errorf("rolecall: replay record of event %s: %w", x.event.ID, err)
	}
	return p.Evaluate(p.Compile(x.current), x.event.Time), nil
}

// explain builds the explanation of x but its fixes, and the decision.
func explain(x *explained) (*Explanation, policy.Decision, error) {
	d, err := x.evaluate(nil, nil)
	if err != nil {
		return nil, d, err
	}
	rec := x.rec
	out := &Explanation{
		EventId: x.event.ID, EventTime: x.event.Time.Unix(), EventName: x.event.Name, EventSource: x.event.Source,
		Principal: rec.Principal.ARN, Action: rec.Action, Resource: rec.Resource,
		Decision: d.Effect.String(), RecordedDecision: x.row.Decision, StillDenied: !d.Allowed(),
		Reason: d.Reason(rec.Action), Context: []ContextKey{}, Policies: []AppliedPolicy{}, Decisive: []DecisiveStatement{},
		Fixes: []Fix{},
	}
	if d.Effect == policy.ImplicitDeny {
		out.Missing = sourceKinds[d.Source]
	}
	for _, k := range rec.Context {
		out.Context = append(out.Context, ContextKey{Key: k.Key, Values: slices.Clone(k.Values)})
	}
	docs, err := x.policies()
	if err != nil {
		return nil, d, err
	}
	for _, p := range docs {
		ap := AppliedPolicy{Kind: sourceKinds[p.source], Applies: appliesTo(p.doc, rec.Action, rec.Resource)}
		ap.Name, ap.Arn = nameOrARN(p.id)
		if p.doc != nil {
			ap.Document = p.doc.String()
		}
		out.Policies = append(out.Policies, ap)
	}
	for _, m := range d.Decisive() {
		ds := DecisiveStatement{Kind: sourceKinds[m.Source], Sid: m.Sid, Index: m.Index, Effect: statementEffect(m.Effect)}
		ds.PolicyName, ds.PolicyArn = nameOrARN(m.Policy)
		if m.Source == policy.SourceResource && m.Policy == "" {
			ds.PolicyArn = rec.Resource
		}
		if p := findPolicy(docs, m.Source, m.Policy); p != nil && p.doc != nil {
			if st := p.doc.Statements(); m.Index < len(st) {
				ds.Statement = json.RawMessage(st[m.Index].Raw)
			}
		}
		out.Decisive = append(out.Decisive, ds)
	}
	return out, d, nil
}

// appliedDoc is a parsed policy of the request and where it came from.
type appliedDoc struct {
	source policy.Source
	id     string // an inline policy's name, a managed policy's ARN; "" for the resource's policy
	doc    *policy.Policy
}

// policies lists the policies x's request is evaluated against: the
// principal's identity policies and boundary today, and the session
// policies, resource policy and gates as recorded.
func (x *explained) policies() ([]appliedDoc, error) {
	var out []appliedDoc
	for _, n := range x.current.Identity {
		out = append(out, appliedDoc{source: policy.SourceIdentity, id: n.ID, doc: n.Policy})
	}
	if b := x.current.Boundary; b != nil {
		out = append(out, appliedDoc{source: policy.SourceBoundary, id: b.ID, doc: b.Policy})
	}
	add := func(src policy.Source, p gateway.ReplayPolicy) error {
		var doc *policy.Policy
		if p.Document != "" {
			kind, ok := policyKinds[p.Kind]
			if !ok {
				return fmt.Errorf("rolecall: replay record of event %s: unknown policy kind %q", x.event.ID, p.Kind)
			}
			var err error
			if doc, err = policy.Parse(p.Document, kind); err != nil {
				return fmt.Errorf("rolecall: replay record of event %s: policy %q: %w", x.event.ID, p.ID, err)
			}
		}
		out = append(out, appliedDoc{source: src, id: p.ID, doc: doc})
		return nil
	}
	for _, s := range x.rec.Session {
		if err := add(policy.SourceSession, s); err != nil {
			return nil, err
		}
	}
	if rp := x.rec.ResourcePolicy; rp != nil {
		if err := add(policy.SourceResource, *rp); err != nil {
			return nil, err
		}
	}
	for _, g := range x.rec.Gates {
		for _, level := range g.Levels {
			for _, p := range level {
				if err := add(gateKinds[g.Source], p); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// findPolicy returns the policy of a decisive statement.
func findPolicy(docs []appliedDoc, src policy.Source, id string) *appliedDoc {
	for i := range docs {
		if docs[i].source == src && docs[i].id == id {
			return &docs[i]
		}
	}
	return nil
}

// nameOrARN splits a policy's ID into a name (inline policies) or an ARN.
func nameOrARN(id string) (name, arn string) {
	if strings.HasPrefix(id, "arn:") {
		return "", id
	}
	return id, ""
}

// statementEffect is a statement's Effect element for a match's effect.
func statementEffect(e policy.Effect) string {
	if e == policy.Allow {
		return "Allow"
	}
	return "Deny"
}

// appliesTo reports whether a statement of doc matches the request's
// action (by its Action element, or a NotAction that leaves the action
// out) and resource (likewise; a statement without either element, such
// as a trust policy's, matches any), whatever its conditions and
// principals.
func appliesTo(doc *policy.Policy, action, resource string) bool {
	if doc == nil {
		return false
	}
	if resource == "" {
		resource = "*"
	}
	act := func(p string) bool { return policy.MatchAction(p, action) }
	res := func(p string) bool { return access.Covers(p, resource) }
	for _, st := range doc.Statements() {
		actions := slices.ContainsFunc(st.Action, act) || len(st.NotAction) > 0 && !slices.ContainsFunc(st.NotAction, act)
		resources := slices.ContainsFunc(st.Resource, res) || len(st.NotResource) > 0 && !slices.ContainsFunc(st.NotResource, res) ||
			len(st.Resource) == 0 && len(st.NotResource) == 0
		if actions && resources {
			return true
		}
	}
	return false
}

// entityGone reports whether the user or role whose policies applied to
// x's request no longer exists, or is another one made under its name
// (AWS binds policies to the unique ID: changing the new one's policies
// allows nothing to the old one's sessions and keys).
func (r *API) entityGone(ctx context.Context, x *explained) (bool, error) {
	e, err := r.cfg.IAM.Entity(ctx, x.iamARN)
	var ae *api.Error
	switch {
	case errors.As(err, &ae) && ae.Code == "NoSuchEntity":
		return true, nil
	case err != nil:
		return false, fmt.Errorf("rolecall: entity %s: %w", x.iamARN, err)
	}
	id := x.rec.Principal.PrincipalID
	if api.PrincipalType(x.rec.Principal.Type) == api.AssumedRole {
		id = x.rec.Principal.RoleID
	}
	return id != "" && e.ID != id, nil
}
