package policy

import "testing"

// TestGates: the SCPs of the principal's account, the RCPs of the resource's
// account and a VPC endpoint's policy each must allow, and a deny in any of
// them wins, whatever the principal's own and the resource's policies say.
func TestGates(t *testing.T) {
	const (
		allowAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
		allowEC2  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
		allowS3   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
		rcpFull   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
		rcpOrg    = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]}`
		vpceOnlyA = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/a"},"Action":"s3:GetObject","Resource":"*"}]}`
		scpFn     = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ArnNotEquals":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:source_lambda"}}}]}`
	)
	gate := func(src Source, kind Kind, levels ...[]string) *Gate {
		var ls [][]Named
		for i, docs := range levels {
			var l []Named
			for j, d := range docs {
				l = append(l, Named{ID: string(rune('a'+i)) + string(rune('0'+j)), Policy: mustParse(t, d, kind)})
			}
			ls = append(ls, l)
		}
		return NewGate(src, ls)
	}
	scp := func(levels ...[]string) *Gate { return gate(SourceSCP, SCP, levels...) }
	rcp := func(levels ...[]string) *Gate { return gate(SourceRCP, Resource, levels...) }
	vpce := func(doc string) *Gate { return gate(SourceEndpoint, Resource, []string{doc}) }

	roleA := roleSession("a", "fn")
	roleB := roleSession("b", "fn")
	root := Principal{Type: Root, ARN: "arn:aws:iam::" + acct + ":root", Account: acct}
	anon := Principal{Type: Anonymous, ARN: "anonymous"}
	publicRead := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, Resource)
	fromFn := ctxOf(map[string][]string{"lambda:SourceFunctionArn": {"arn:aws:lambda:us-east-1:123456789012:function:source_lambda"}})

	for _, tc := range []struct {
		name    string
		p       Principal
		set     *PolicySet
		rp      *Policy
		ctx     *Context
		gates   []*Gate
		want    Effect
		source  Source
		reason  string
		matchID string
	}{
		{"no gates", roleA, identitySet(t, allowS3), nil, nil, nil, Allow, SourceIdentity, "", ""},
		{"nil gate skipped", roleA, identitySet(t, allowS3), nil, nil, []*Gate{nil}, Allow, SourceIdentity, "", ""},
		{"scp allows", roleA, identitySet(t, allowS3), nil, nil, []*Gate{scp([]string{allowAll})}, Allow, SourceIdentity, "", ""},
		{"scp level without allow", roleA, identitySet(t, allowS3), nil, nil, []*Gate{scp([]string{allowAll}, []string{allowEC2})}, ImplicitDeny, SourceSCP,
			"because no service control policy allows the s3:GetObject action", ""},
		{"empty scp level", roleA, identitySet(t, allowS3), nil, nil, []*Gate{scp([]string{allowAll}, nil)}, ImplicitDeny, SourceSCP, "", ""},
		{"scp deny", roleA, identitySet(t, allowS3), nil, nil, []*Gate{scp([]string{allowAll, scpFn})}, ExplicitDeny, SourceSCP,
			"with an explicit deny in a service control policy", "a1"},
		{"scp sees lambda:SourceFunctionArn", roleA, identitySet(t, allowS3), nil, fromFn, []*Gate{scp([]string{allowAll, scpFn})}, Allow, SourceIdentity, "", ""},
		{"scp binds the root user", root, nil, nil, nil, []*Gate{scp([]string{allowEC2})}, ImplicitDeny, SourceSCP, "", ""},
		{"scp deny binds the root user", root, nil, nil, nil, []*Gate{scp([]string{allowAll, scpFn})}, ExplicitDeny, SourceSCP, "", ""},
		{"scp cannot grant", roleA, identitySet(t, allowEC2), nil, nil, []*Gate{scp([]string{allowAll})}, ImplicitDeny, SourceIdentity, "", ""},
		{"rcp full access", anon, nil, publicRead, nil, []*Gate{rcp([]string{rcpFull})}, Allow, SourceResource, "", ""},
		{"rcp deny outside the org", anon, nil, publicRead, nil, []*Gate{rcp([]string{rcpFull, rcpOrg})}, ExplicitDeny, SourceRCP,
			"with an explicit deny in a resource control policy", ""},
		{"rcp level without allow", roleA, identitySet(t, allowS3), nil, nil, []*Gate{rcp([]string{rcpFull}, nil)}, ImplicitDeny, SourceRCP,
			"because no resource control policy allows the s3:GetObject action", ""},
		{"endpoint policy names the role", roleA, identitySet(t, allowS3), nil, nil, []*Gate{vpce(vpceOnlyA)}, Allow, SourceIdentity, "", ""},
		{"endpoint policy does not name the role", roleB, identitySet(t, allowS3), nil, nil, []*Gate{vpce(vpceOnlyA)}, ImplicitDeny, SourceEndpoint,
			"because no VPC endpoint policy allows the s3:GetObject action", ""},
		{"every gate must pass", roleA, identitySet(t, allowS3), nil, nil, []*Gate{scp([]string{allowAll}), rcp([]string{rcpFull}), vpce(vpceOnlyA)}, Allow, SourceIdentity, "", ""},
		{"a deny in a later gate wins over an earlier gate's missing allow", roleA, identitySet(t, allowS3), nil, nil,
			[]*Gate{scp([]string{allowEC2}), scp([]string{allowAll, scpFn})}, ExplicitDeny, SourceSCP, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Request{Principal: tc.p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: acct,
				ResourcePolicy: tc.rp, Context: tc.ctx, Gates: tc.gates}
			d := tc.set.Evaluate(r)
			if d.Effect != tc.want || d.Source != tc.source {
				t.Fatalf("got %v from %v, want %v from %v", d.Effect, d.Source, tc.want, tc.source)
			}
			if tc.reason != "" && d.Reason(r.Action) != tc.reason {
				t.Errorf("reason %q, want %q", d.Reason(r.Action), tc.reason)
			}
			if tc.matchID != "" && (d.Count == 0 || d.Matches[0].Policy != tc.matchID || d.Matches[0].Source != tc.source) {
				t.Errorf("decisive statements %+v, want policy %s", d.Decisive(), tc.matchID)
			}
		})
	}
}

// TestGateAllocations: gates are evaluated without allocating.
func TestGateAllocations(t *testing.T) {
	g := NewGate(SourceSCP, [][]Named{{{ID: "full", Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, SCP)}}})
	set := identitySet(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	r := &Request{Principal: roleSession("a", "fn"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Gates: []*Gate{g}}
	if n := testing.AllocsPerRun(100, func() { set.Evaluate(r) }); n != 0 {
		t.Errorf("Evaluate with a gate allocates %v times", n)
	}
}
