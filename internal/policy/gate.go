package policy

// Gate holds policies that a request must pass besides the principal's own
// and the resource's own: the service control policies of the principal's
// account, the resource control policies of the resource's account, the
// policy of the VPC endpoint the request came through. Like SCPs, a gate
// grants nothing: every level of it must allow the request, and an explicit
// deny in any of its statements denies it. Statements with a Principal or
// NotPrincipal element (RCPs, endpoint policies) apply only to the
// principals they name, as in a resource-based policy; statements without
// one (SCPs) apply to every principal.
//
// A Gate is compiled once (NewGate) and is immutable and safe for concurrent
// use; callers cache it with the policies it was made from.
type Gate struct {
	src    Source
	ids    []string
	idx    index
	levels int
	named  [][]Named // the policies it was made from, by level
	broken bool      // more levels than a gate holds: it allows nothing
}

// maxGateLevels is the number of levels a gate holds (one bit of a mask each).
const maxGateLevels = 64

// NewGate compiles the policies of a gate of kind src (SourceSCP,
// SourceRCP or SourceEndpoint): one slice of policies per level, the
// outermost first (an organization's root, then its OUs, then the
// account). A gate of no levels lets everything through; a level with no
// policies lets nothing through.
func NewGate(src Source, levels [][]Named) *Gate {
	g := &Gate{src: src, idx: newIndex(), levels: len(levels), named: levels}
	if len(levels) > maxGateLevels {
		g.broken = true
		return g
	}
	for level, named := range levels {
		for _, n := range named {
			pol := int32(len(g.ids))
			g.ids = append(g.ids, n.ID)
			if n.Policy == nil {
				continue
			}
			for i := range n.Policy.stmts {
				g.idx.add(&n.Policy.stmts[i], uint8(level), pol)
			}
		}
	}
	return g
}

// Source is the kind of policy the gate holds.
func (g *Gate) Source() Source { return g.src }

// Levels returns the policies the gate was made from, one slice per level,
// outermost first, as given to NewGate. The caller must not modify them.
func (g *Gate) Levels() [][]Named { return g.named }

func (g *Gate) match(e *entry, eff Effect) Match {
	return Match{Policy: g.ids[e.pol], Sid: e.st.sid, Index: e.st.index, Effect: eff, Source: g.src}
}

// deny returns the first deny statement of the gate that applies to rq.
func (g *Gate) deny(rq *request) *entry {
	return g.idx.findDeny(rq, g.idx.lookup(rq.svc), true)
}

// pass reports whether every level of the gate has an allow statement that
// applies to rq.
func (g *Gate) pass(rq *request) bool {
	if g.broken {
		return false
	}
	if g.levels == 0 {
		return true
	}
	need := ^uint64(0)
	if g.levels < maxGateLevels {
		need = uint64(1)<<g.levels - 1
	}
	var got uint64
	b := g.idx.lookup(rq.svc)
	for _, list := range [2][]entry{bucketAllow(b), g.idx.wild.allow} {
		for i := range list {
			e := &list[i]
			bit := uint64(1) << e.group
			if got&bit != 0 || !principalApplies(e.st, rq.p) || !e.matches(rq) {
				continue
			}
			if got |= bit; got == need {
				return true
			}
		}
	}
	return false
}

// checkGates applies the request's gates: an explicit deny in any of them,
// or a level of one that does not allow, decides the request (ok false).
// Denies are looked for in every gate first, as AWS looks for a deny in
// every policy before it looks for allows. SCPs see the request as the
// principal's policies do (rq); RCPs and endpoint policies as
// resource-based policies do (rrq: without lambda:SourceFunctionArn).
func checkGates(r *Request, rq, rrq *request, d *Decision) (ok bool) {
	view := func(g *Gate) *request {
		if g.src == SourceSCP {
			return rq
		}
		return rrq
	}
	for _, g := range r.Gates {
		if g == nil {
			continue
		}
		if e := g.deny(view(g)); e != nil {
			d.Effect, d.Source = ExplicitDeny, g.src
			d.add(g.match(e, ExplicitDeny))
			return false
		}
	}
	for _, g := range r.Gates {
		if g != nil && !g.pass(view(g)) {
			d.Effect, d.Source = ImplicitDeny, g.src
			return false
		}
	}
	return true
}
