package rolecall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// removals are the fixes of an explicit deny: the deny statement taken
// out of its policy.
func (x *explained) removals(d policy.Decision) ([]candidate, error) {
	if d.Count == 0 {
		return nil, nil
	}
	m := d.Matches[0]
	kind, name := x.entity()
	switch m.Source {
	case policy.SourceIdentity:
		i := slices.IndexFunc(x.current.Identity, func(n policy.Named) bool { return n.ID == m.Policy })
		if i < 0 || kind == "" {
			return nil, nil
		}
		return x.removeIdentity(kind, name, x.current.Identity[i], m)
	case policy.SourceBoundary:
		if b := x.current.Boundary; b != nil && b.ID == m.Policy && kind != "" {
			return x.removeBoundary(kind, name, *b, m)
		}
	case policy.SourceSession:
		for _, s := range x.rec.Session {
			if s.ID == m.Policy {
				doc, err := parseRecorded(x, s)
				if err != nil || doc == nil {
					return nil, err
				}
				st, _ := statementAt(doc, m.Index)
				return []candidate{x.newSession(fmt.Sprintf("does not deny %s (statement %s)", x.rec.Action, sidText(m)), st)}, nil
			}
		}
	case policy.SourceResource:
		if rp := x.rec.ResourcePolicy; rp != nil {
			return x.removeResource(*rp, m)
		}
	case policy.SourceSCP, policy.SourceRCP, policy.SourceEndpoint:
		return x.removeGate(m)
	}
	return nil, nil
}

// sidText names a statement by its Sid or index.
func sidText(m policy.Match) string {
	if m.Sid != "" {
		return "Sid " + m.Sid
	}
	return "#" + strconv.Itoa(m.Index)
}

// removed fills what a fix that takes the deny statement at index away
// also allows: whatever the statement denied. It returns the rows the
// change may affect: those of the actions the statement names.
func removed(fix *Fix, doc *policy.Policy, index int) func(a *store.Access) bool {
	sts := doc.Statements()
	if index >= len(sts) {
		return nil
	}
	st := sts[index]
	affects := func(a *store.Access) bool {
		match := func(p string) bool { return policy.MatchAction(p, a.Action) }
		return slices.ContainsFunc(st.Action, match) || len(st.NotAction) > 0 && !slices.ContainsFunc(st.NotAction, match)
	}
	fix.Statement = json.RawMessage(st.Raw)
	fix.AlsoAllows.Actions = slices.Clone(st.Action)
	fix.AlsoAllows.Resources = slices.Clone(st.Resource)
	note := "Taking the statement away stops denying its actions on its resources"
	if len(st.NotAction) > 0 {
		note = "Taking the statement away stops denying every action but " + strings.Join(st.NotAction, ", ")
	}
	if len(st.NotResource) > 0 {
		note += " on every resource but " + strings.Join(st.NotResource, ", ")
	}
	if len(st.Condition) > 0 {
		note += " where its conditions match"
	}
	fix.AlsoAllows.Note = note + "; other policies still decide whether they are allowed."
	return affects
}

// removeIdentity takes the deny out of an identity policy: an inline
// policy is put again without it (deleted when nothing is left), a
// customer managed policy gets a new default version without it, and an
// AWS managed policy (or one left empty) is detached.
func (x *explained) removeIdentity(kind, name string, n policy.Named, m policy.Match) ([]candidate, error) {
	doc, empty, err := withoutStatement(n.Policy, m.Index)
	if err != nil {
		return nil, err
	}
	lower := strings.ToLower(kind)
	fix := Fix{Kind: "identity"}
	ch := gateway.Change{}
	inline := !strings.HasPrefix(n.ID, "arn:")
	switch {
	case inline && empty:
		fix.PolicyName = n.ID
		fix.Description = fmt.Sprintf("Delete the inline policy %s of %s %s: its only statement (%s) denies the request.", n.ID, lower, name, sidText(m))
		fix.Operation = &FixOperation{Service: "iam", Action: "Delete" + kind + "Policy", Parameters: map[string]string{kind + "Name": name, "PolicyName": n.ID}}
		ch.Remove = []string{n.ID}
	case inline:
		parsed, err := policy.Parse(doc, policy.Identity)
		if err != nil {
			return nil, nil
		}
		fix.PolicyName, fix.Document = n.ID, doc
		fix.Description = fmt.Sprintf("Remove statement %s from the inline policy %s of %s %s.", sidText(m), n.ID, lower, name)
		fix.Operation = &FixOperation{Service: "iam", Action: "Put" + kind + "Policy",
			Parameters: map[string]string{kind + "Name": name, "PolicyName": n.ID, "PolicyDocument": doc}}
		ch.Identity = []policy.Named{{ID: n.ID, Policy: parsed}}
	case empty || awsManaged(n.ID):
		fix.PolicyArn = n.ID
		fix.Description = fmt.Sprintf("Detach the managed policy %s from %s %s: its statement %s denies the request.", n.ID, lower, name, sidText(m))
		fix.Operation = &FixOperation{Service: "iam", Action: "Detach" + kind + "Policy", Parameters: map[string]string{kind + "Name": name, "PolicyArn": n.ID}}
		ch.Remove = []string{n.ID}
	default:
		parsed, err := policy.Parse(doc, policy.Identity)
		if err != nil {
			return nil, nil
		}
		fix.PolicyArn, fix.Document = n.ID, doc
		fix.Description = fmt.Sprintf("Create a new default version of the managed policy %s without statement %s "+
			"(it changes the policy for every role, user and group it is attached to; a policy keeps five versions at most).", n.ID, sidText(m))
		fix.Operation = createVersion(n.ID, doc)
		ch.Identity = []policy.Named{{ID: n.ID, Policy: parsed}}
	}
	affects := removed(&fix, n.Policy, m.Index)
	return []candidate{{fix: fix, affects: affects, apply: func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
		return ch.Apply(in), rec
	}}}, nil
}

// removeBoundary takes the deny out of the permissions boundary: a new
// default version of a customer managed one, else the boundary removed.
func (x *explained) removeBoundary(kind, name string, b policy.Named, m policy.Match) ([]candidate, error) {
	doc, empty, err := withoutStatement(b.Policy, m.Index)
	if err != nil {
		return nil, err
	}
	fix := Fix{Kind: "boundary", PolicyArn: b.ID}
	var apply func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest)
	if empty || awsManaged(b.ID) {
		fix.Description = fmt.Sprintf("Remove the permissions boundary %s of %s %s: its statement %s denies the request.", b.ID, strings.ToLower(kind), name, sidText(m))
		fix.Operation = &FixOperation{Service: "iam", Action: "Delete" + kind + "PermissionsBoundary", Parameters: map[string]string{kind + "Name": name}}
		apply = func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
			in.Boundary = nil
			return in, rec
		}
	} else {
		parsed, err := policy.Parse(doc, policy.Boundary)
		if err != nil {
			return nil, nil
		}
		fix.Document = doc
		fix.Description = fmt.Sprintf("Create a new default version of the permissions boundary %s without statement %s "+
			"(it changes the boundary of every role and user it bounds; a policy keeps five versions at most).", b.ID, sidText(m))
		fix.Operation = createVersion(b.ID, doc)
		ch := gateway.Change{Boundary: &policy.Named{ID: b.ID, Policy: parsed}}
		apply = func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
			return ch.Apply(in), rec
		}
	}
	affects := removed(&fix, b.Policy, m.Index)
	return []candidate{{fix: fix, apply: apply, affects: affects}}, nil
}

// removeResource takes the deny out of the resource's policy.
func (x *explained) removeResource(rp gateway.ReplayPolicy, m policy.Match) ([]candidate, error) {
	parsed, err := parseRecorded(x, rp)
	if err != nil || parsed == nil {
		return nil, err
	}
	doc, empty, err := withoutStatement(parsed, m.Index)
	if err != nil {
		return nil, err
	}
	if empty {
		doc = ""
	} else if _, err := policy.Parse(doc, parsed.Kind()); err != nil {
		return nil, nil
	}
	fix := Fix{Kind: "resource", PolicyArn: x.rec.Resource, Document: doc, Operation: x.resourceOperation(doc),
		Description: fmt.Sprintf("Remove statement %s from the policy of %s.", sidText(m), x.rec.Resource)}
	affects := removed(&fix, parsed, m.Index)
	return []candidate{{fix: fix, apply: x.replaceResourcePolicy(parsed.Kind(), doc), affects: affects}}, nil
}

// removeGate describes taking the deny out of an SCP, RCP or VPC
// endpoint policy, verified by deciding the request with the statement
// gone from that policy.
func (x *explained) removeGate(m policy.Match) ([]candidate, error) {
	for _, g := range x.rec.Gates {
		if gateKinds[g.Source] != m.Source {
			continue
		}
		for _, level := range g.Levels {
			for _, p := range level {
				if p.ID != m.Policy {
					continue
				}
				parsed, err := parseRecorded(x, p)
				if err != nil || parsed == nil {
					return nil, err
				}
				doc, empty, err := withoutStatement(parsed, m.Index)
				if err != nil {
					return nil, err
				}
				where := "In AWS Organizations, the management account removes statement %s from the policy %s (UpdatePolicy), or detaches that policy from the account or its organizational units."
				if empty {
					doc = "" // a policy without statements
					where = "In AWS Organizations, the management account detaches the policy %[2]s (its statement %[1]s denies the request) from the account and its organizational units, or deletes it."
				}
				if m.Source == policy.SourceEndpoint {
					where = "Remove statement %s from the policy of the VPC endpoint %s the request came through (EC2 ModifyVpcEndpoint)."
				}
				fix := Fix{Kind: sourceKinds[m.Source], PolicyArn: p.ID, Document: doc, Description: fmt.Sprintf(where, sidText(m), p.ID)}
				affects := removed(&fix, parsed, m.Index)
				old, repl := p, gateway.ReplayPolicy{ID: p.ID, Kind: p.Kind, Document: doc}
				return []candidate{{fix: fix, affects: affects, apply: func(in policy.SetInput, rec *gateway.ReplayRequest) (policy.SetInput, *gateway.ReplayRequest) {
					cp := *rec
					cp.Gates = slices.Clone(rec.Gates)
					for i, g := range cp.Gates {
						levels := make([][]gateway.ReplayPolicy, len(g.Levels))
						for j, level := range g.Levels {
							levels[j] = slices.Clone(level)
							for k := range levels[j] {
								if levels[j][k] == old {
									levels[j][k] = repl
								}
							}
						}
						cp.Gates[i].Levels = levels
					}
					return in, &cp
				}}}, nil
			}
		}
	}
	return nil, nil
}

// parseRecorded parses a policy of x's replay record; nil for one
// without statements.
func parseRecorded(x *explained, p gateway.ReplayPolicy) (*policy.Policy, error) {
	if p.Document == "" {
		return nil, nil
	}
	kind, ok := policyKinds[p.Kind]
	if !ok {
		return nil, fmt.Errorf("rolecall: replay record of event %s: unknown policy kind %q", x.event.ID, p.Kind)
	}
	doc, err := policy.Parse(p.Document, kind)
	if err != nil {
		return nil, fmt.Errorf("rolecall: replay record of event %s: policy %q: %w", x.event.ID, p.ID, err)
	}
	return doc, nil
}

// docJSON is a policy document's top level, in IAM's element order.
type docJSON struct {
	Version   string            `json:"Version,omitempty"`
	Id        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

// decodeDoc reads a policy document's top level; its Statement element
// may be one statement or a list.
func decodeDoc(doc string) (*docJSON, error) {
	var top struct {
		Version   string
		Id        string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		return nil, fmt.Errorf("rolecall: policy document: %w", err)
	}
	out := &docJSON{Version: top.Version, Id: top.Id}
	switch s := bytes.TrimSpace(top.Statement); {
	case len(s) > 0 && s[0] == '[':
		if err := json.Unmarshal(s, &out.Statement); err != nil {
			return nil, fmt.Errorf("rolecall: policy document: %w", err)
		}
	case len(s) > 0 && !bytes.Equal(s, []byte("null")):
		out.Statement = []json.RawMessage{s}
	}
	return out, nil
}

func (d *docJSON) String() string {
	if d.Statement == nil {
		d.Statement = []json.RawMessage{}
	}
	b, _ := json.Marshal(d) // valid JSON parts only: cannot fail
	return string(b)
}

// withStatement returns base's document with st added (a new document
// of st alone when base is nil).
func withStatement(base *policy.Policy, st json.RawMessage) (string, error) {
	d := &docJSON{Version: "2012-10-17"}
	if base != nil {
		var err error
		if d, err = decodeDoc(base.String()); err != nil {
			return "", err
		}
	}
	d.Statement = append(d.Statement, st)
	return d.String(), nil
}

// withoutStatement returns p's document without its statement at index,
// and whether no statement is left.
func withoutStatement(p *policy.Policy, index int) (string, bool, error) {
	d, err := decodeDoc(p.String())
	if err != nil {
		return "", false, err
	}
	if index < 0 || index >= len(d.Statement) {
		return "", false, fmt.Errorf("rolecall: policy has no statement %d", index)
	}
	d.Statement = slices.Delete(d.Statement, index, index+1)
	return d.String(), len(d.Statement) == 0, nil
}

// statementAt returns the JSON of p's statement at index.
func statementAt(p *policy.Policy, index int) (json.RawMessage, bool) {
	sts := p.Statements()
	if index < 0 || index >= len(sts) {
		return nil, false
	}
	return json.RawMessage(sts[index].Raw), true
}

// uniqueSid returns sid, or sid with a number appended, so that no
// statement of base has it.
func uniqueSid(base *policy.Policy, sid string) string {
	if base == nil {
		return sid
	}
	taken := map[string]bool{}
	for _, st := range base.Statements() {
		taken[st.Sid] = true
	}
	out := sid
	for i := 2; taken[out]; i++ {
		out = sid + strconv.Itoa(i)
	}
	return out
}
