package lint

import (
	"testing"

	"github.com/rolecall/rolecall/internal/policy"
)

// TestCheckNoNewAccessVariableResolves: a policy variable of the new
// policy resolves to a value, not to its own text, so an existing pattern
// that matches the text "${aws:PrincipalTag/team}" (which holds a /) but
// not every value it resolves to does not cover it. The evaluator proves
// the access new.
func TestCheckNoNewAccessVariableResolves(t *testing.T) {
	cases := []struct{ existing, new string }{
		{`"Resource":"arn:aws:s3:::b/*/*"`, `"Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team}"`},
		{`"Resource":"arn:aws:s3:::b/$*"`, `"Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team}"`},
		{`"NotResource":"arn:aws:s3:::b/${aws:PrincipalTag/team}"`, `"NotResource":"arn:aws:s3:::b/*/*"`},
	}
	for _, tc := range cases {
		oldDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",` + tc.existing + `}]}`
		newDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",` + tc.new + `}]}`
		res, err := CheckNoNewAccess(oldDoc, newDoc, IdentityPolicy)
		if err != nil {
			t.Fatal(err)
		}
		allowed := func(doc, resource string) bool {
			p, err := policy.Parse(doc, policy.Identity)
			if err != nil {
				t.Fatal(err)
			}
			ctx := &policy.Context{}
			ctx.Set("aws:PrincipalTag/team", "a")
			set := policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "p", Policy: p}}})
			return set.Evaluate(&policy.Request{
				Principal: policy.Principal{Type: policy.User, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
				Action:    "s3:GetObject", Resource: resource, Context: ctx,
			}).Effect == policy.Allow
		}
		var witness string
		for _, r := range []string{"arn:aws:s3:::b/a", "arn:aws:s3:::b/a/b"} {
			if allowed(newDoc, r) && !allowed(oldDoc, r) {
				witness = r
			}
		}
		if witness == "" {
			t.Fatalf("test case grants nothing new: %s / %s", tc.existing, tc.new)
		}
		if res.Result != Fail {
			t.Errorf("%s -> %s: %s, but the new policy allows %s with team a and the existing one does not", tc.existing, tc.new, res.Result, witness)
		}
	}
}
