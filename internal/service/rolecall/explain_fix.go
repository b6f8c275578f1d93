package rolecall

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// Fix is the smallest policy change found that allows an explained
// request, verified by deciding the request again with it applied.
//
// Kind is the kind of policy changed ("identity", "boundary", "session",
// "resource", "scp", "rcp", "endpoint"); PolicyName (an inline policy) or
// PolicyArn (a managed policy, the resource's ARN for its policy) names
// it. Statement is the statement added, or the one taken away; Document
// the whole new document ("" when the change deletes or detaches the
// policy). Operation is the one AWS call that applies it, signed as the
// caller; nil for changes made elsewhere (AWS Organizations, a new role
// session), which Description tells.
type Fix struct {
	Description string
	Kind        string
	PolicyName  string          `json:",omitempty"`
	PolicyArn   string          `json:",omitempty"`
	Statement   json.RawMessage `json:",omitempty"`
	Document    string          `json:",omitempty"`
	Operation   *FixOperation   `json:",omitempty"`
	AlsoAllows  AlsoAllows
}

// FixOperation is an AWS call: the service's signing name, the
// operation, and its parameters as the service's API names them
// (IAM's query parameters: RoleName, PolicyName, PolicyDocument, ...).
type FixOperation struct {
	Service    string
	Action     string
	Parameters map[string]string
}

// AlsoAllows is what a fix allows besides the explained request: the
// principal's other recorded requests of the last 30 days that were denied
// and that the fix would allow (oldest first, at most 50 of Total), and the
// actions and resources the changed statement covers (Note says how).
type AlsoAllows struct {
	Requests  []AllowedRequest
	Total     int64
	Actions   []string
	Resources []string
	Note      string `json:",omitempty"`
}

// AllowedRequest is a recorded request (an access row: Count decisions
// of one second, the first in event EventId) that a fix would allow.
type AllowedRequest struct {
	EventId   string
	EventTime int64
	EventName string
	Action    string
	Resource  string
	Count     int64
}

// candidate is a fix with the change it makes: apply returns the
// principal's policies and a replay record as the fix would make them.
type candidate struct {
	fix   Fix
	apply func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest)
	// affects reports whether the fix may change the decision of an access
	// row; nil: of any. Rows it leaves out are not replayed.
	affects func(a *store.Access) bool
}

// addFixes adds to out the fixes of x's decision d that turn it into an
// Allow, each with what else it allows; when none does, Note says what
// still denies.
func (r *API) addFixes(c *api.Call, x *explained, d policy.Decision, out *Explanation) error {
	if d.Allowed() {
		return nil
	}
	var cands []candidate
	var err error
	if d.Effect == policy.ExplicitDeny {
		cands, err = x.removals(d)
	} else {
		cands, err = x.additions(d)
	}
	if err != nil {
		return err
	}
	var notes []string
	for _, cand := range cands {
		in, rec := cand.apply(x.current, x.rec)
		after, err := evaluateWith(in, rec, x)
		if err != nil {
			// A changed document the record cannot take is no fix.
			notes = append(notes, fmt.Sprintf("%s: %v.", cand.fix.Description, err))
			continue
		}
		if !after.Allowed() {
			notes = append(notes, fmt.Sprintf("%s: the request would still be denied %s.", cand.fix.Description, after.Reason(x.rec.Action)))
			continue
		}
		if d.Effect == policy.ImplicitDeny && cand.fix.Kind != "session" {
			// The statement added matches this action on this resource
			// alone.
			cand.affects = func(a *store.Access) bool {
				return strings.EqualFold(a.Action, x.rec.Action) && a.Resource == x.rec.Resource
			}
			cand.fix.AlsoAllows.Actions = []string{x.rec.Action}
			cand.fix.AlsoAllows.Resources = []string{cmp.Or(x.rec.Resource, "*")}
			cand.fix.AlsoAllows.Note = "The statement allows this action on this resource only."
			if cmp.Or(x.rec.Resource, "*") == "*" {
				cand.fix.AlsoAllows.Note = "The statement allows this action only (it names no resource)."
			}
		}
		if cand.fix.Kind == "session" {
			cand.fix.AlsoAllows.Note = "A session without a session policy has every permission of its role."
		}
		if err := r.alsoAllows(c, x, &cand); err != nil {
			return err
		}
		out.Fixes = append(out.Fixes, cand.fix)
	}
	switch {
	case len(out.Fixes) > 0:
	case x.gone && (d.Source == policy.SourceIdentity || d.Source == policy.SourceBoundary):
		out.Note = fmt.Sprintf("%s no longer exists (or is another one made under its name since): no change to its policies allows the request.", x.iamARN)
	case len(notes) > 0:
		out.Note = "No single policy change allows the request. " + strings.Join(notes, " ")
	default:
		out.Note = "No policy change this principal's account can make allows the request."
	}
	return nil
}

// evaluateWith decides rec again at the event's time with the policies in.
func evaluateWith(in policy.SetInput, rec *gateway.ReplayRequest, x *explained) (policy.Decision, error) {
	p, err := rec.Prepare(nil)
	if err != nil {
		return policy.Decision{}, fmt.Errorf("rolecall: replay record of event %s: %w", x.event.ID, err)
	}
	return p.Evaluate(p.Compile(in), x.event.Time), nil
}

// entity is the IAM entity whose policies x's principal has: its kind
// ("Role" or "User") and name.
func (x *explained) entity() (kind, name string) {
	if x.iamARN == "" {
		return "", ""
	}
	name = x.iamARN[strings.LastIndexByte(x.iamARN, '/')+1:]
	if strings.Contains(x.iamARN, ":role/") {
		return "Role", name
	}
	return "User", name
}

// allowStatement is the statement that allows exactly x's request; with
// principal, for a resource's policy.
func (x *explained) allowStatement(sid string, principal any) json.RawMessage {
	res := "*"
	if x.rec.Resource != "" && x.rec.Resource != "*" {
		res = literalResource.Replace(x.rec.Resource)
	}
	st := struct {
		Sid       string `json:"Sid,omitempty"`
		Effect    string
		Principal any `json:",omitempty"`
		Action    string
		Resource  string `json:",omitempty"`
	}{Sid: sid, Effect: "Allow", Principal: principal, Action: x.rec.Action, Resource: res}
	if x.rec.Mode == "trust" {
		st.Resource = "" // a trust policy names no resource
	}
	b, _ := json.Marshal(st) // strings only: cannot fail
	return b
}

// literalResource writes a resource ARN as a Resource element matching it
// alone: its "*", "?" and "$" as the policy variables that stand for them.
var literalResource = strings.NewReplacer("$", "${$}", "*", "${*}", "?", "${?}")

// allowSid is a statement ID naming the action ("AllowS3GetObject").
func allowSid(action string) string {
	var b strings.Builder
	b.WriteString("Allow")
	up := true
	for _, ch := range action {
		switch {
		case 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9':
			if up && 'a' <= ch && ch <= 'z' {
				ch -= 'a' - 'A'
			}
			b.WriteRune(ch)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// additions are the fixes of an implicit deny: an allow statement in the
// kind of policy that has none.
func (x *explained) additions(d policy.Decision) ([]candidate, error) {
	kind, name := x.entity()
	switch d.Source {
	case policy.SourceIdentity, policy.SourceBoundary:
		if x.gone {
			return nil, nil // its policies cannot be changed any more
		}
	}
	switch d.Source {
	case policy.SourceIdentity:
		if kind == "" {
			return nil, nil
		}
		return x.addIdentity(kind, name)
	case policy.SourceBoundary:
		return x.addBoundary(kind, name)
	case policy.SourceSession:
		return []candidate{x.newSession("allows "+x.rec.Action, nil)}, nil
	case policy.SourceResource:
		return x.addResource()
	case policy.SourceSCP, policy.SourceRCP, policy.SourceEndpoint:
		return []candidate{x.addGate(d.Source)}, nil
	}
	return nil, nil
}

// addIdentity allows the request in an inline policy of the role or user
// named for the action: a new one, or the statement added to it.
func (x *explained) addIdentity(kind, name string) ([]candidate, error) {
	polName := "rolecall-" + strings.NewReplacer(":", "-", "*", "all").Replace(x.rec.Action)
	var base *policy.Policy
	for _, n := range x.current.Identity {
		if n.ID == polName {
			base = n.Policy
		}
	}
	st := x.allowStatement(uniqueSid(base, allowSid(x.rec.Action)), nil)
	doc, err := withStatement(base, st)
	if err != nil {
		return nil, err
	}
	parsed, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		return nil, nil // a statement IAM would refuse is no fix
	}
	verb := "Add the inline policy"
	if base != nil {
		verb = "Add the statement to the inline policy"
	}
	return []candidate{{
		fix: Fix{
			Description: fmt.Sprintf("%s %s of %s %s, allowing %s on %s.", verb, polName, strings.ToLower(kind), name, x.rec.Action, x.resourceText()),
			Kind:        "identity", PolicyName: polName, Statement: st, Document: doc,
			Operation: &FixOperation{Service: "iam", Action: "Put" + kind + "Policy",
				Parameters: map[string]string{kind + "Name": name, "PolicyName": polName, "PolicyDocument": doc}},
		},
		apply: func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
			ch := gateway.Change{Identity: []policy.Named{{ID: polName, Policy: parsed}}}
			return ch.Apply(in), rec
		},
	}}, nil
}

// resourceText names the request's resource in a description.
func (x *explained) resourceText() string {
	if x.rec.Resource == "" || x.rec.Resource == "*" {
		return "all resources"
	}
	return x.rec.Resource
}

// addBoundary allows the request in a new default version of the
// permissions boundary, a customer managed policy.
func (x *explained) addBoundary(kind, name string) ([]candidate, error) {
	b := x.current.Boundary
	if b == nil || kind == "" || awsManaged(b.ID) {
		return nil, nil
	}
	st := x.allowStatement(uniqueSid(b.Policy, allowSid(x.rec.Action)), nil)
	doc, err := withStatement(b.Policy, st)
	if err != nil {
		return nil, err
	}
	parsed, err := policy.Parse(doc, policy.Boundary)
	if err != nil {
		return nil, nil
	}
	return []candidate{{
		fix: Fix{
			Description: fmt.Sprintf("Create a new default version of the permissions boundary %s of %s %s that also allows %s on %s "+
				"(it changes the boundary of every role and user it bounds; a policy keeps five versions at most).",
				b.ID, strings.ToLower(kind), name, x.rec.Action, x.resourceText()),
			Kind: "boundary", PolicyArn: b.ID, Statement: st, Document: doc,
			Operation: createVersion(b.ID, doc),
		},
		apply: func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
			ch := gateway.Change{Boundary: &policy.Named{ID: b.ID, Policy: parsed}}
			return ch.Apply(in), rec
		},
	}}, nil
}

// createVersion is IAM's CreatePolicyVersion of doc, made the default.
func createVersion(arn, doc string) *FixOperation {
	return &FixOperation{Service: "iam", Action: "CreatePolicyVersion",
		Parameters: map[string]string{"PolicyArn": arn, "PolicyDocument": doc, "SetAsDefault": "true"}}
}

// awsManaged reports whether a managed policy ARN is an AWS managed policy.
func awsManaged(arn string) bool { return strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") }

// newSession is the fix of a session policy: a session is made with its
// policies and keeps them, so the fix is a new session (AssumeRole again)
// whose session policy allows the request, or that has none.
func (x *explained) newSession(what string, st json.RawMessage) candidate {
	return candidate{
		fix: Fix{
			Description: fmt.Sprintf("Session policies cannot be changed: assume %s again with no session policy, or with one that %s.", x.iamARN, what),
			Kind:        "session", Statement: st,
		},
		apply: func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
			if !sameSession(rec, x.rec) {
				return in, rec
			}
			cp := *rec
			cp.Session = nil
			return in, &cp
		},
	}
}

// sameSession reports whether two records carry the same session policies.
func sameSession(a, b *gateway.ReplayRequest) bool {
	return len(a.Session) > 0 && slices.Equal(a.Session, b.Session)
}

// addResource allows the request in the resource's policy (the role's
// trust policy for a role assumption), naming the principal.
func (x *explained) addResource() ([]candidate, error) {
	who := x.iamARN
	if who == "" && x.rec.Principal.Type == string(api.Root) {
		who = x.rec.Principal.ARN
	}
	if who == "" {
		return nil, nil
	}
	var base *policy.Policy
	kind := policy.Resource
	if x.rec.Mode == "trust" {
		kind = policy.Trust
	}
	if rp := x.rec.ResourcePolicy; rp != nil && rp.Document != "" {
		k, ok := policyKinds[rp.Kind]
		if !ok {
			return nil, fmt.Errorf("rolecall: replay record of event %s: unknown policy kind %q", x.event.ID, rp.Kind)
		}
		kind = k
		var err error
		if base, err = policy.Parse(rp.Document, k); err != nil {
			return nil, fmt.Errorf("rolecall: replay record of event %s: resource policy: %w", x.event.ID, err)
		}
	}
	st := x.allowStatement(uniqueSid(base, allowSid(x.rec.Action)), map[string]string{"AWS": who})
	doc, err := withStatement(base, st)
	if err != nil {
		return nil, err
	}
	if _, err := policy.Parse(doc, kind); err != nil {
		return nil, nil
	}
	fix := Fix{
		Description: fmt.Sprintf("Add to the policy of %s a statement allowing %s to %s.", x.rec.Resource, who, x.rec.Action),
		Kind:        "resource", PolicyArn: x.rec.Resource, Statement: st, Document: doc,
		Operation: x.resourceOperation(doc),
	}
	return []candidate{{fix: fix, apply: x.replaceResourcePolicy(kind, doc)}}, nil
}

// replaceResourcePolicy returns the apply of a change of the resource's
// policy to doc: records of the same resource policy (the same resource,
// or another under the same policy, such as an object of the same bucket)
// get doc instead.
func (x *explained) replaceResourcePolicy(kind policy.Kind, doc string) func(policy.SetInput, *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
	return func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
		if rec.Mode != x.rec.Mode || rec.ResourceAccount != x.rec.ResourceAccount || !sameResourcePolicy(rec, x.rec) {
			return in, rec
		}
		cp := *rec
		if doc == "" {
			cp.ResourcePolicy = nil
		} else {
			cp.ResourcePolicy = &gateway.ReplayPolicy{Kind: kind.String(), Document: doc}
		}
		return in, &cp
	}
}

// sameResourcePolicy reports whether two records are under one resource
// policy: the same document, or no policy and the same resource.
func sameResourcePolicy(a, b *gateway.ReplayRequest) bool {
	if a.ResourcePolicy == nil || b.ResourcePolicy == nil {
		return a.ResourcePolicy == nil && b.ResourcePolicy == nil && a.Resource == b.Resource
	}
	return *a.ResourcePolicy == *b.ResourcePolicy
}

// resourceOperation is the call that sets the resource's policy to doc
// ("" deletes it), for the resources whose policy is one document set by
// one call: a role's trust policy, a bucket's policy, a key's policy. A
// role of another account than the event's has none: IAM's
// UpdateAssumeRolePolicy names a role of the caller's own account.
func (x *explained) resourceOperation(doc string) *FixOperation {
	res := x.rec.Resource
	switch {
	case x.rec.Mode == "trust" && strings.Contains(res, ":role/") && doc != "":
		if accountOf(res) != x.event.Account {
			return nil
		}
		return &FixOperation{Service: "iam", Action: "UpdateAssumeRolePolicy",
			Parameters: map[string]string{"RoleName": res[strings.LastIndexByte(res, '/')+1:], "PolicyDocument": doc}}
	case strings.HasPrefix(res, "arn:aws:s3:::"):
		bucket, _, _ := strings.Cut(strings.TrimPrefix(res, "arn:aws:s3:::"), "/")
		if doc == "" {
			return &FixOperation{Service: "s3", Action: "DeleteBucketPolicy", Parameters: map[string]string{"Bucket": bucket}}
		}
		return &FixOperation{Service: "s3", Action: "PutBucketPolicy", Parameters: map[string]string{"Bucket": bucket, "Policy": doc}}
	case x.rec.Mode == "key" && strings.Contains(res, ":key/") && doc != "":
		return &FixOperation{Service: "kms", Action: "PutKeyPolicy",
			Parameters: map[string]string{"KeyId": res, "PolicyName": "default", "Policy": doc}}
	}
	return nil
}

// gateText describes where a gate's policies are changed.
var gateText = map[policy.Source]string{
	policy.SourceSCP:      "In AWS Organizations, the management account attaches to %s (or changes the SCPs of its organizational units) a service control policy that allows %s; every level of SCPs must allow it.",
	policy.SourceRCP:      "In AWS Organizations, the management account changes the resource control policies of the resource's account so that they allow %[2]s (for %[1]s).",
	policy.SourceEndpoint: "Change the policy of the VPC endpoint the request came through (EC2 ModifyVpcEndpoint) so that it allows %[2]s (for %[1]s).",
}

// addGate describes the fix of a gate with no allow, verified by adding
// an allow of the request to each of the gate's levels.
func (x *explained) addGate(src policy.Source) candidate {
	// The proposed policy is read under the rules of the gate's own.
	kind := policy.SCP.String()
	for _, g := range x.rec.Gates {
		for _, level := range g.Levels {
			for _, p := range level {
				if gateKinds[g.Source] == src && p.Kind != "" {
					kind = p.Kind
				}
			}
		}
	}
	var principal any
	if kind == policy.Resource.String() {
		principal = "*"
	}
	st := x.allowStatement(allowSid(x.rec.Action), principal)
	doc := `{"Version":"2012-10-17","Statement":[` + string(st) + `]}`
	return candidate{
		fix: Fix{
			Description: fmt.Sprintf(gateText[src], "account "+x.rec.Principal.Account, x.rec.Action+" on "+x.resourceText()),
			Kind:        sourceKinds[src], Statement: st, Document: doc,
		},
		apply: func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
			cp := *rec
			cp.Gates = slices.Clone(rec.Gates)
			for i, g := range cp.Gates {
				if gateKinds[g.Source] != src {
					continue
				}
				levels := make([][]gateway.ReplayPolicy, len(g.Levels))
				for j, level := range g.Levels {
					levels[j] = append(slices.Clone(level), gateway.ReplayPolicy{ID: "proposed", Kind: kind, Document: doc})
				}
				cp.Gates[i].Levels = levels
			}
			return in, &cp
		},
	}
}
