package policy

// EvaluateKey decides r for a principal whose policies are s under a KMS
// key policy, r.ResourcePolicy, as KMS does ("Key policies in AWS KMS",
// AWS KMS Developer Guide): the key policy must allow. A statement that
// names the caller (its user, role, session, or "*") grants on its own,
// as a same-account resource-based policy does; a statement that names
// only the caller's account ("arn:aws:iam::ACCOUNT:root") delegates to
// IAM, and then the identity-based policies (within any permissions
// boundary and session policy) must allow. A key policy that names
// neither grants nothing, whatever the identity-based policies say: an
// account's root user is not special. Explicit denies and SCPs decide as
// they do for Evaluate. A key without a policy (nil) allows no one.
func EvaluateKey(s *PolicySet, r *Request) Decision {
	d := s.decide(r, false)
	if d.Effect == ExplicitDeny {
		return d
	}
	switch d.Source {
	case SourceNone, SourceIdentity, SourceResource, SourceBoundary, SourceSession:
	default:
		// Another level (an SCP) refused: its answer stands.
		return d
	}
	if keyNames(r) {
		return d
	}
	return Decision{Effect: ImplicitDeny, Source: SourceResource}
}

// keyNames reports whether an allow statement of the key policy applies to
// r and names its principal in any way, the account included.
func keyNames(r *Request) bool {
	rp := r.ResourcePolicy
	if rp == nil {
		return false
	}
	var rq request
	rq.init(r)
	if r.ResourceContext != nil {
		rq.ctx = r.ResourceContext
	}
	g, _ := rp.grant(&rq, false)
	return g != grantNone
}
