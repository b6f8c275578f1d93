package lint

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/policy"
)

// TestCheckNoNewAccessSound generates pairs of identity policies from a
// small grammar and, wherever CheckNoNewAccess answers PASS, evaluates
// every request of a grid with rolecall's evaluator: a request the new
// policy allows must be one the existing policy allows.
func TestCheckNoNewAccessSound(t *testing.T) { checkSound(t, 1, 1500) }

func checkSound(t *testing.T, seed uint64, pairs int) {
	actions := []string{"s3:GetObject", "s3:PutObject", "s3:Get*", "s3:*", "dynamodb:GetItem", "dynamodb:*", "*", "s3:Get?bject"}
	resources := []string{"*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/k", "arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::*", "arn:aws:dynamodb:us-east-1:111122223333:table/t", "arn:aws:s3:::b/${*}"}
	conds := []string{
		``,
		`"Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"}}`,
		`"Condition":{"StringEquals":{"aws:PrincipalTag/team":["a","b"]}}`,
		`"Condition":{"StringLike":{"aws:PrincipalTag/team":"a*"}}`,
		`"Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"a"}}`,
		`"Condition":{"StringEqualsIfExists":{"aws:PrincipalTag/team":"a"}}`,
		`"Condition":{"Bool":{"aws:SecureTransport":"true"}}`,
	}
	reqActions := []string{"s3:GetObject", "s3:PutObject", "s3:GetObjectAcl", "dynamodb:GetItem", "dynamodb:PutItem", "iam:PassRole"}
	reqResources := []string{"arn:aws:s3:::b/k", "arn:aws:s3:::b/alice", "arn:aws:s3:::b/*", "arn:aws:s3:::c/k", "arn:aws:dynamodb:us-east-1:111122223333:table/t"}
	teams := []string{"", "a", "b", "ab"}

	rng := rand.New(rand.NewPCG(seed, 2))
	pick := func(xs []string, n int) string {
		var out []string
		for range n {
			out = append(out, `"`+xs[rng.IntN(len(xs))]+`"`)
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	stmt := func() string {
		effect := "Allow"
		if rng.IntN(5) == 0 {
			effect = "Deny"
		}
		act, res := "Action", "Resource"
		if rng.IntN(6) == 0 {
			act = "NotAction"
		}
		if rng.IntN(6) == 0 {
			res = "NotResource"
		}
		s := fmt.Sprintf(`{"Effect":"%s","%s":%s,"%s":%s`, effect, act, pick(actions, 1+rng.IntN(2)), res, pick(resources, 1+rng.IntN(2)))
		if c := conds[rng.IntN(len(conds))]; c != "" {
			s += "," + c
		}
		return s + "}"
	}
	doc := func() string {
		var sts []string
		for range 1 + rng.IntN(3) {
			sts = append(sts, stmt())
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(sts, ",") + `]}`
	}
	evaluate := func(set *policy.PolicySet, action, resource, team string, secure bool) policy.Effect {
		ctx := &policy.Context{}
		if team != "" {
			ctx.Set("aws:PrincipalTag/team", team)
		}
		ctx.Set("aws:SecureTransport", fmt.Sprint(secure))
		ctx.Set("aws:username", "alice")
		return set.Evaluate(&policy.Request{
			Principal: policy.Principal{Type: policy.User, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
			Action:    action, Resource: resource, Context: ctx,
		}).Effect
	}
	passes, notGranted := 0, 0
	for range pairs {
		oldDoc, newDoc := doc(), doc()
		if rng.IntN(3) == 0 {
			newDoc = oldDoc[:len(oldDoc)-2] + "," + stmt() + "]}" // often a superset
		}
		if checkNotGrantedSound(t, newDoc, reqActions[rng.IntN(len(reqActions))], reqResources[rng.IntN(len(reqResources))], teams, evaluate) {
			notGranted++
		}
		res, err := CheckNoNewAccess(oldDoc, newDoc, IdentityPolicy)
		if err != nil || res.Result != Pass {
			continue
		}
		passes++
		oldP, err1 := policy.Parse(oldDoc, policy.Identity)
		newP, err2 := policy.Parse(newDoc, policy.Identity)
		if err1 != nil || err2 != nil {
			t.Fatalf("PASS for a document the evaluator refuses: %v %v", err1, err2)
		}
		oldSet := policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "existing", Policy: oldP}}})
		newSet := policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "new", Policy: newP}}})
		for _, a := range reqActions {
			for _, r := range reqResources {
				for _, team := range teams {
					for _, secure := range []bool{false, true} {
						if evaluate(newSet, a, r, team, secure) == policy.Allow && evaluate(oldSet, a, r, team, secure) != policy.Allow {
							t.Fatalf("PASS, but the new policy allows %s on %s (team %q, secure %v) and the existing one does not:\nexisting %s\nnew      %s", a, r, team, secure, oldDoc, newDoc)
						}
					}
				}
			}
		}
	}
	if notGranted < 100 {
		t.Errorf("only %d CheckAccessNotGranted passes", notGranted)
	}
	if passes < 100 {
		t.Errorf("only %d pairs passed: the grammar tests too little", passes)
	}
	t.Logf("%d pairs passed CheckNoNewAccess and %d documents CheckAccessNotGranted, each checked request by request", passes, notGranted)
}

// checkNotGrantedSound: when CheckAccessNotGranted answers PASS for one
// action on one resource, no request for them is allowed. It reports
// whether the check passed.
func checkNotGrantedSound(t *testing.T, doc, action, resource string, teams []string, evaluate func(*policy.PolicySet, string, string, string, bool) policy.Effect) bool {
	t.Helper()
	res, err := CheckAccessNotGranted(doc, []Access{{Actions: []string{action}, Resources: []string{resource}}}, IdentityPolicy)
	if err != nil || res.Result != Pass {
		return false
	}
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		t.Fatalf("PASS for a document the evaluator refuses: %v", err)
	}
	set := policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "p", Policy: p}}})
	for _, team := range teams {
		for _, secure := range []bool{false, true} {
			if evaluate(set, action, resource, team, secure) == policy.Allow {
				t.Fatalf("CheckAccessNotGranted PASS, but %s on %s is allowed (team %q):\n%s", action, resource, team, doc)
			}
		}
	}
	return true
}
