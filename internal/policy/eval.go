package policy

// Groups of statements in a PolicySet; each bit of an allow mask is one group.
const (
	gIdentity = 0
	gBoundary = 1
	gSession  = 2
	gSCP      = 3 // gSCP+i is SCP level i

	maxSCPLevels = 64 - gSCP
	recorded     = 8 // groups whose first allow is recorded for explanations
)

// PolicySet holds every policy that applies to one principal, compiled for
// evaluation. It is immutable and safe for concurrent use.
type PolicySet struct {
	ids         []string
	idx         index
	need        uint64 // groups that must allow
	hasBoundary bool
	hasSession  bool
	scpLevels   int
	broken      bool // more SCP levels than supported: deny everything
}

// SetInput lists the policies that apply to a principal.
type SetInput struct {
	Identity []Named   // identity-based policies (inline and attached managed)
	Boundary *Named    // permissions boundary; nil if none
	Session  []Named   // session policies; empty means no session policy
	SCPs     [][]Named // service control policies, one slice per level, root first; nil outside an organization
}

// Compile compiles the policies of in into a PolicySet. A nil Policy in a
// Named counts as a policy without statements.
func Compile(in SetInput) *PolicySet {
	s := &PolicySet{idx: newIndex()}
	add := func(n Named, group uint8) {
		pol := int32(len(s.ids))
		s.ids = append(s.ids, n.ID)
		if n.Policy == nil {
			return
		}
		for i := range n.Policy.stmts {
			s.idx.add(&n.Policy.stmts[i], group, pol)
		}
	}
	if len(in.SCPs) > maxSCPLevels {
		s.broken = true
		return s
	}
	s.need = 1 << gIdentity
	for level, named := range in.SCPs {
		g := uint8(gSCP + level)
		s.need |= 1 << g
		for _, n := range named {
			add(n, g)
		}
	}
	s.scpLevels = len(in.SCPs)
	for _, n := range in.Identity {
		add(n, gIdentity)
	}
	if in.Boundary != nil {
		s.hasBoundary = true
		s.need |= 1 << gBoundary
		add(*in.Boundary, gBoundary)
	}
	if len(in.Session) > 0 {
		s.hasSession = true
		s.need |= 1 << gSession
		for _, n := range in.Session {
			add(n, gSession)
		}
	}
	return s
}

func groupSource(g uint8) Source {
	switch g {
	case gIdentity:
		return SourceIdentity
	case gBoundary:
		return SourceBoundary
	case gSession:
		return SourceSession
	}
	return SourceSCP
}

func (s *PolicySet) match(e *entry, eff Effect) Match {
	return Match{Policy: s.ids[e.pol], Sid: e.st.sid, Index: e.st.index, Effect: eff, Source: groupSource(e.group)}
}

func rpMatch(e *entry, eff Effect) Match {
	return Match{Sid: e.st.sid, Index: e.st.index, Effect: eff, Source: SourceResource}
}

// findDeny returns the first deny statement of the set that applies.
func (ix *index) findDeny(rq *request, b *bucket, rp bool) *entry {
	for _, list := range [2][]entry{bucketDeny(b), ix.wild.deny} {
		for i := range list {
			e := &list[i]
			if rp && !principalApplies(e.st, rq.p) {
				continue
			}
			if e.matches(rq) {
				return e
			}
		}
	}
	return nil
}

func bucketDeny(b *bucket) []entry {
	if b == nil {
		return nil
	}
	return b.deny
}

func bucketAllow(b *bucket) []entry {
	if b == nil {
		return nil
	}
	return b.allow
}

// principalApplies reports whether a resource-policy statement applies to p.
func principalApplies(st *stmt, p *Principal) bool {
	if st.principal == nil {
		return true
	}
	if st.notPrincipal {
		return !st.principal.excludes(p)
	}
	return st.principal.match(p) != grantNone
}

// allows scans the allow statements until every needed group has allowed,
// returning the mask of groups that allowed and their first statements.
func (ix *index) allows(rq *request, b *bucket, need uint64, first *[recorded]*entry) uint64 {
	var got uint64
	for _, list := range [2][]entry{bucketAllow(b), ix.wild.allow} {
		for i := range list {
			e := &list[i]
			bit := uint64(1) << e.group
			if got&bit != 0 || !e.matches(rq) {
				continue
			}
			got |= bit
			if e.group < recorded {
				first[e.group] = e
			}
			if got&need == need {
				return got
			}
		}
	}
	return got
}

// grant returns how strongly the resource policy's applicable allow
// statements name the principal, and the strongest statement. With self,
// only statements that name the role or session itself count.
func (p *Policy) grant(rq *request, self bool) (grant, *entry) {
	best, be := grantNone, (*entry)(nil)
	b := p.idx.lookup(rq.svc)
	for _, list := range [2][]entry{bucketAllow(b), p.idx.wild.allow} {
		for i := range list {
			e := &list[i]
			st := e.st
			// A statement without a principal (a policy of another kind used
			// as a resource policy) grants nothing.
			g := grantNone
			if st.principal != nil {
				switch {
				case st.notPrincipal:
					if st.principal.excludes(rq.p) {
						continue
					}
					g = grantDelegate
				case self && !st.principal.names(rq.p):
					continue
				default:
					g = st.principal.match(rq.p)
				}
			}
			if g <= best || !e.matches(rq) {
				continue
			}
			best, be = g, e
			if best == grantDirect {
				return best, be
			}
		}
	}
	return best, be
}

// Evaluate decides r for a principal whose policies are s, following AWS's
// evaluation logic: an explicit deny in any policy wins; every SCP level
// must allow; a same-account resource-based policy that names the user or
// session grants on its own, one that names the role is still limited by
// the permissions boundary and session policy, one that names the account
// defers to the identity-based policies; otherwise the identity-based
// policies, the permissions boundary and the session policy must all allow.
// Across accounts, both the principal's policies and the resource policy
// must allow. An account's root user is allowed in its own account unless
// denied. s may be nil for callers without policies (root, services,
// anonymous callers). Evaluate does not allocate.
func (s *PolicySet) Evaluate(r *Request) Decision {
	return s.decide(r, false)
}

// EvaluateTrust decides whether r.Principal may assume the role r.Resource
// with r.Action (sts:AssumeRole or another trust action) under the role's
// trust policy; callerSet holds the caller's own policies (nil for service
// and web-identity principals). The trust policy must explicitly allow the
// principal; a same-account caller named only through its account also
// needs its identity-based policies to allow, as with Evaluate; a role
// session assuming its own role must be named (by role or session ARN) in
// the trust policy. An account's root user cannot assume roles.
// r.ResourcePolicy is ignored.
func EvaluateTrust(trust *Policy, callerSet *PolicySet, r *Request) Decision {
	rr := *r
	rr.ResourcePolicy = trust
	return callerSet.decide(&rr, true)
}

func (s *PolicySet) decide(r *Request, trust bool) Decision {
	var d Decision
	if s != nil && s.broken {
		d.Source = SourceSCP
		return d
	}
	var rq request
	rq.init(r)
	p := &r.Principal
	rp := r.ResourcePolicy
	rrq := &rq // the request as the resource-based policy sees it
	if r.ResourceContext != nil {
		rc := rq
		rc.ctx = r.ResourceContext
		rrq = &rc
	}

	// 1. An explicit deny anywhere.
	var b *bucket
	if s != nil {
		b = s.idx.lookup(rq.svc)
		if e := s.idx.findDeny(&rq, b, false); e != nil {
			d.Effect, d.Source = ExplicitDeny, groupSource(e.group)
			d.add(s.match(e, ExplicitDeny))
			return d
		}
	}
	if rp != nil {
		if e := rp.idx.findDeny(rrq, rp.idx.lookup(rq.svc), true); e != nil {
			d.Effect, d.Source = ExplicitDeny, SourceResource
			d.add(rpMatch(e, ExplicitDeny))
			return d
		}
	}

	// Gates: a deny in any wins; every level of each must allow.
	if len(r.Gates) > 0 && !checkGates(r, &rq, rrq, &d) {
		return d
	}

	// 2. Allows in the principal's own policies; every SCP level must allow.
	var got uint64
	var first [recorded]*entry
	if s != nil {
		got = s.idx.allows(&rq, b, s.need, &first)
		for i := 0; i < s.scpLevels; i++ {
			if got&(1<<(gSCP+i)) == 0 {
				d.Source = SourceSCP
				s.explain(&d, &first, got, Allow)
				return d
			}
		}
	}

	// 3. The resource-based policy.
	g, ge := grantNone, (*entry)(nil)
	if rp != nil {
		self := trust && p.Type == AssumedRole && p.RoleARN == r.Resource
		g, ge = rp.grant(rrq, self)
	}
	allowRP := func() Decision {
		d.Effect, d.Source = Allow, SourceResource
		d.add(rpMatch(ge, Allow))
		return d
	}
	if trust {
		if p.Type == Root {
			return d
		}
		if g == grantNone {
			d.Source = SourceResource
			return d
		}
	}
	sameAccount := r.ResourceAccount == "" || r.ResourceAccount == p.Account

	switch p.Type {
	case Root:
		if sameAccount {
			d.Effect = Allow
			s.explain(&d, &first, got, Allow)
			return d
		}
		if g == grantNone {
			d.Source = SourceResource
			return d
		}
		return allowRP()
	case Service, Anonymous, WebIdentity:
		if g == grantNone {
			d.Source = SourceResource
			return d
		}
		return allowRP()
	}

	// 4-7. Identity-based policies, permissions boundary, session policy.
	idOK := got&(1<<gIdentity) != 0
	pbOK := s == nil || !s.hasBoundary || got&(1<<gBoundary) != 0
	var sessOK bool
	switch {
	case s != nil && s.hasSession:
		sessOK = got&(1<<gSession) != 0
	case p.Type == FederatedUser:
		sessOK = false // a federated user has only what its session policy grants
	default:
		sessOK = true
	}
	capped := func() (Source, bool) {
		switch {
		case !pbOK:
			return SourceBoundary, false
		case !sessOK:
			return SourceSession, false
		}
		return SourceNone, true
	}

	if sameAccount {
		switch g {
		case grantDirect:
			return allowRP()
		case grantCapped:
			if src, ok := capped(); !ok {
				d.Source = src
				s.explain(&d, &first, got, Allow)
				return d
			}
			d.Effect, d.Source = Allow, SourceResource
			d.add(rpMatch(ge, Allow))
			s.explain(&d, &first, got&^(1<<gIdentity), Allow)
			return d
		}
	}
	if !idOK {
		d.Source = SourceIdentity
		s.explain(&d, &first, got, Allow)
		return d
	}
	if src, ok := capped(); !ok {
		d.Source = src
		s.explain(&d, &first, got, Allow)
		return d
	}
	if !sameAccount {
		if g == grantNone {
			d.Source = SourceResource
			s.explain(&d, &first, got, Allow)
			return d
		}
		d.Effect, d.Source = Allow, SourceResource
		d.add(rpMatch(ge, Allow))
		s.explain(&d, &first, got, Allow)
		return d
	}
	d.Effect, d.Source = Allow, SourceIdentity
	if ge != nil {
		d.add(rpMatch(ge, Allow))
	}
	s.explain(&d, &first, got, Allow)
	return d
}

// explain adds the recorded allow statements of the groups in got.
func (s *PolicySet) explain(d *Decision, first *[recorded]*entry, got uint64, eff Effect) {
	if s == nil {
		return
	}
	for g := range first {
		if e := first[g]; e != nil && got&(1<<g) != 0 {
			d.add(s.match(e, eff))
		}
	}
}
