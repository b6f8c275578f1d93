package iam

import (
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// The policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy.

type positionXML struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

type statementXML struct {
	SourcePolicyId   string       `xml:"SourcePolicyId"`
	SourcePolicyType string       `xml:"SourcePolicyType"`
	StartPosition    *positionXML `xml:"StartPosition,omitempty"`
	EndPosition      *positionXML `xml:"EndPosition,omitempty"`
}

type boundaryDetailXML struct {
	AllowedByPermissionsBoundary bool `xml:"AllowedByPermissionsBoundary"`
}

type evaluationResultXML struct {
	EvalActionName                    string             `xml:"EvalActionName"`
	EvalResourceName                  string             `xml:"EvalResourceName"`
	EvalDecision                      string             `xml:"EvalDecision"`
	MatchedStatements                 list[statementXML] `xml:"MatchedStatements"`
	MissingContextValues              list[string]       `xml:"MissingContextValues"`
	PermissionsBoundaryDecisionDetail *boundaryDetailXML `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
	OrganizationsDecisionDetail       *orgDetailXML      `xml:"OrganizationsDecisionDetail,omitempty"`
}

// orgDetailXML says whether the SCPs that apply to the simulated principal
// allow the action (OrganizationsDecisionDetail).
type orgDetailXML struct {
	AllowedByOrganizations bool `xml:"AllowedByOrganizations"`
}

type simulateResult struct {
	EvaluationResults list[evaluationResultXML] `xml:"EvaluationResults"`
	page
}

// simPolicy is one policy taking part in a simulation.
type simPolicy struct {
	id, kind string // SourcePolicyId and SourcePolicyType
	doc      string
	parsed   *policy.Policy
}

// simulation is what both simulate operations evaluate.
type simulation struct {
	identity []simPolicy
	boundary *simPolicy
	resource *simPolicy
	owner    string
	caller   policy.Principal
	actions  []string
	arns     []string
	ctx      *policy.Context
	keys     map[string]bool // context keys given, lower-cased
	// scps are the service control policies that apply to the simulated
	// principal; nil when none do.
	scps *policy.Gate
}

// simInputs reads the parameters both operations share.
func simInputs(f *form) (s *simulation, inputs, boundaries []string, resourcePolicy string) {
	inputs = f.strings("PolicyInputList")
	boundaries = f.strings("PermissionsBoundaryPolicyInputList")
	s = &simulation{
		actions: f.strings("ActionNames"),
		arns:    f.strings("ResourceArns"),
		ctx:     &policy.Context{},
		keys:    map[string]bool{},
	}
	resourcePolicy = f.str("ResourcePolicy")
	s.owner = f.str("ResourceOwner")
	f.str("CallerArn")
	f.str("ResourceHandlingOption")
	for n := 1; ; n++ {
		prefix := fmt.Sprintf("ContextEntries.member.%d.", n)
		if !f.has(prefix+"ContextKeyName") && !f.has(prefix+"ContextKeyType") {
			break
		}
		name := f.v.Get(prefix + "ContextKeyName")
		typ := f.v.Get(prefix + "ContextKeyType")
		values := f.strings(prefix + "ContextKeyValues")
		if name == "" {
			continue
		}
		if strings.HasSuffix(typ, "List") {
			s.ctx.SetMulti(name, values...)
		} else {
			s.ctx.Set(name, values...)
		}
		s.keys[strings.ToLower(name)] = true
	}
	if len(s.arns) == 0 {
		s.arns = []string{"*"}
	}
	return s, inputs, boundaries, resourcePolicy
}

// parseInputs parses simulation input documents, naming them as AWS does.
func parseInputs(docs []string, list string, kind policy.Kind) ([]simPolicy, error) {
	out := make([]simPolicy, 0, len(docs))
	for n, doc := range docs {
		id := fmt.Sprintf("%s.%d", list, n+1)
		p, err := policy.Parse(doc, kind)
		if err != nil {
			return nil, invalidInput("%s: %s", id, policyMessage(err))
		}
		out = append(out, simPolicy{id: id, kind: "IAM Policy", doc: doc, parsed: p})
	}
	return out, nil
}

func policyMessage(err error) string {
	if pe, ok := err.(*policy.Error); ok {
		return pe.Message
	}
	return err.Error()
}

func (s *simulation) addResourcePolicy(doc string) error {
	if doc == "" {
		return nil
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		return invalidInput("ResourcePolicy: %s", policyMessage(err))
	}
	s.resource = &simPolicy{id: "ResourcePolicy", kind: "resource", doc: doc, parsed: p}
	return nil
}

func simulatePrincipalPolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	source := f.str("PolicySourceArn")
	s, inputs, boundaries, resourcePolicy := simInputs(f)
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	rest, ok := strings.CutPrefix(source, "arn:aws:iam::"+i.account+":")
	if !ok {
		return nil, invalidInput("Invalid ARN: %s", source)
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	var e entity
	var inlineType string
	switch {
	case strings.HasPrefix(rest, "role/"):
		r, err := i.role(c.Context, i.store, name)
		if err != nil {
			return nil, err
		}
		e, inlineType = r, "role"
		s.caller = policy.Principal{Type: policy.Role, ARN: i.roleARN(r.Path, r.Name), Account: i.account}
	case strings.HasPrefix(rest, "user/"):
		u, err := i.user(c.Context, i.store, name)
		if err != nil {
			return nil, err
		}
		e, inlineType = u, "user"
		s.caller = policy.Principal{Type: policy.User, ARN: i.userARN(u.Path, u.Name), Account: i.account}
	default:
		return nil, invalidInput("Invalid ARN: %s", source)
	}
	for _, p := range *e.inlines() {
		parsed, err := policy.Parse(p.Doc, policy.Identity)
		if err != nil {
			return nil, fmt.Errorf("iam: simulate %s: %w", source, err)
		}
		s.identity = append(s.identity, simPolicy{id: p.Name, kind: inlineType, doc: p.Doc, parsed: parsed})
	}
	for _, arn := range *e.attached() {
		sp, err := i.simManaged(c, arn, policy.Identity)
		if err != nil {
			return nil, err
		}
		if sp != nil {
			s.identity = append(s.identity, *sp)
		}
	}
	extra, err := parseInputs(inputs, "PolicyInputList", policy.Identity)
	if err != nil {
		return nil, err
	}
	s.identity = append(s.identity, extra...)
	bs, err := parseInputs(boundaries, "PermissionsBoundaryPolicyInputList", policy.Boundary)
	if err != nil {
		return nil, err
	}
	if len(bs) > 0 {
		s.boundary = &bs[0]
	} else if arn := *e.boundary(); arn != "" {
		if s.boundary, err = i.simManaged(c, arn, policy.Boundary); err != nil {
			return nil, err
		}
	}
	if err := s.addResourcePolicy(resourcePolicy); err != nil {
		return nil, err
	}
	// As AWS's simulator does, SCPs take part for the principals of a
	// member account (not for service-linked roles).
	if i.scps != nil && !strings.HasPrefix(rest, "role/aws-service-role/") {
		var err error
		if s.scps, err = i.scps(c.Context, i.account); err != nil {
			return nil, fmt.Errorf("iam: simulate %s: SCPs: %w", source, err)
		}
	}
	return s.run(i, marker, max)
}

// allowAll grants everything: evaluated with a simulation's SCPs alone, it
// tells whether they allow an action.
var allowAll = policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "all", Policy: mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}})

func mustParse(doc string) *policy.Policy {
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		panic(err)
	}
	return p
}

// simManaged loads a managed policy for a simulation; nil if it is gone.
func (i *IAM) simManaged(c *api.Call, arn string, kind policy.Kind) (*simPolicy, error) {
	rec, _, err := i.policy(c.Context, i.store, arn)
	if err != nil || rec == nil {
		return nil, err
	}
	doc := rec.defaultDoc()
	parsed, err := policy.Parse(doc, kind)
	if err != nil {
		return nil, fmt.Errorf("iam: managed policy %s: %w", arn, err)
	}
	t := "user-managed"
	if rec.AWS {
		t = "aws-managed"
	}
	return &simPolicy{id: rec.Name, kind: t, doc: doc, parsed: parsed}, nil
}

func simulateCustomPolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	s, inputs, boundaries, resourcePolicy := simInputs(f)
	if !f.has("PolicyInputList.member.1") && !f.has("PolicyInputList") {
		f.fail("Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
	}
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	var err error
	if s.identity, err = parseInputs(inputs, "PolicyInputList", policy.Identity); err != nil {
		return nil, err
	}
	bs, err := parseInputs(boundaries, "PermissionsBoundaryPolicyInputList", policy.Boundary)
	if err != nil {
		return nil, err
	}
	if len(bs) > 0 {
		s.boundary = &bs[0]
	}
	if err := s.addResourcePolicy(resourcePolicy); err != nil {
		return nil, err
	}
	s.caller = policy.Principal{Type: policy.User, ARN: "arn:aws:iam::" + i.account + ":user/simulated", Account: i.account}
	if arn := c.Params.Get("CallerArn"); arn != "" {
		s.caller.ARN = arn
	}
	return s.run(i, marker, max)
}

// run evaluates every action on every resource.
func (s *simulation) run(i *IAM, marker pageMarker, max int) (any, error) {
	byID := make(map[string]*simPolicy)
	var in policy.SetInput
	for k := range s.identity {
		p := &s.identity[k]
		id := fmt.Sprintf("%d", k)
		byID[id] = p
		in.Identity = append(in.Identity, policy.Named{ID: id, Policy: p.parsed})
	}
	var boundaryOnly *policy.PolicySet
	if s.boundary != nil {
		byID["boundary"] = s.boundary
		in.Boundary = &policy.Named{ID: "boundary", Policy: s.boundary.parsed}
		boundaryOnly = policy.Compile(policy.SetInput{Identity: []policy.Named{*in.Boundary}})
	}
	set := policy.Compile(in)
	owner := s.owner
	if owner == "" {
		owner = i.account
	}
	var results []evaluationResultXML
	for _, action := range s.actions {
		for _, arn := range s.arns {
			req := &policy.Request{Principal: s.caller, Action: action, Resource: arn, ResourceAccount: accountOf(owner), Context: s.ctx}
			if s.resource != nil {
				req.ResourcePolicy = s.resource.parsed
			}
			if s.scps != nil {
				req.Gates = []*policy.Gate{s.scps}
			}
			d := set.Evaluate(req)
			r := evaluationResultXML{
				EvalActionName:       action,
				EvalResourceName:     arn,
				EvalDecision:         decisionName(d.Effect),
				MatchedStatements:    list[statementXML]{},
				MissingContextValues: list[string]{},
			}
			for _, m := range d.Decisive() {
				p := s.resource
				if m.Policy != "" || m.Source != policy.SourceResource {
					p = byID[m.Policy]
				}
				if p == nil {
					continue
				}
				st := statementXML{SourcePolicyId: p.id, SourcePolicyType: p.kind}
				if start, end, ok := statementSpan(p.doc, m.Index); ok {
					st.StartPosition, st.EndPosition = &start, &end
				}
				r.MatchedStatements = append(r.MatchedStatements, st)
			}
			r.MissingContextValues = append(r.MissingContextValues, s.missing(action)...)
			if boundaryOnly != nil {
				bd := boundaryOnly.Evaluate(req)
				r.PermissionsBoundaryDecisionDetail = &boundaryDetailXML{AllowedByPermissionsBoundary: bd.Effect == policy.Allow}
			}
			if s.scps != nil {
				r.OrganizationsDecisionDetail = &orgDetailXML{AllowedByOrganizations: allowAll.Evaluate(req).Effect == policy.Allow}
			}
			results = append(results, r)
		}
	}
	got, pg, err := pageInOrder(results, marker, max)
	if err != nil {
		return nil, err
	}
	return simulateResult{EvaluationResults: got, page: pg}, nil
}

// accountOf returns the account of an owner given as an account id or ARN.
func accountOf(owner string) string {
	if parts := strings.SplitN(owner, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return owner
}

func decisionName(e policy.Effect) string {
	switch e {
	case policy.Allow:
		return "allowed"
	case policy.ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// missing lists the condition keys that statements applying to action use
// and the simulation's context does not provide.
func (s *simulation) missing(action string) []string {
	var out []string
	seen := map[string]bool{}
	check := func(p *simPolicy) {
		if p == nil || p.parsed == nil {
			return
		}
		for _, st := range p.parsed.Statements() {
			if !actionApplies(st, action) {
				continue
			}
			for _, c := range st.Condition {
				k := strings.ToLower(c.Key)
				if !s.keys[k] && !seen[k] {
					seen[k] = true
					out = append(out, c.Key)
				}
			}
		}
	}
	for k := range s.identity {
		check(&s.identity[k])
	}
	check(s.boundary)
	check(s.resource)
	return out
}

func actionApplies(st policy.Statement, action string) bool {
	if st.NotAction != nil {
		for _, a := range st.NotAction {
			if policy.MatchAction(a, action) {
				return false
			}
		}
		return true
	}
	for _, a := range st.Action {
		if policy.MatchAction(a, action) {
			return true
		}
	}
	return false
}
