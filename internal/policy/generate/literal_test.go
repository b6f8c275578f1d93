package generate

import (
	"testing"

	"github.com/rolecall/rolecall/internal/policy"
)

// TestLiteralWildcardsInNames: S3 object keys may hold *, ? and ${...},
// which a policy reads as wildcards and variables. The generated policy
// must let the principal reach the keys it used and no other key; the
// evaluator checks both.
func TestLiteralWildcardsInNames(t *testing.T) {
	for _, key := range []string{"*", "a?c", "${aws:username}", "x$y"} {
		used := bucket + "/" + key
		res := generate(t, Options{Placeholders: true}, allow("s3:GetObject", used))
		if len(res.Policies) != 1 {
			t.Fatalf("%q: %d policies", key, len(res.Policies))
		}
		p, err := policy.Parse(res.Policies[0], policy.Identity)
		if err != nil {
			t.Fatal(err)
		}
		set := policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "generated", Policy: p}}})
		allowed := func(resource string) bool {
			ctx := &policy.Context{}
			ctx.Set("aws:username", "alice")
			return set.Evaluate(&policy.Request{
				Principal: policy.Principal{Type: policy.User, ARN: "arn:aws:iam::123456789012:user/alice", Account: "123456789012"},
				Action:    "s3:GetObject", Resource: resource, Context: ctx,
			}).Effect == policy.Allow
		}
		if !allowed(used) {
			t.Errorf("key %q: the generated policy refuses the key used:\n%s", key, res.Policies[0])
		}
		for _, other := range []string{bucket + "/secret", bucket + "/abc", bucket + "/alice"} {
			if other != used && allowed(other) {
				t.Errorf("key %q: the generated policy also allows %s:\n%s", key, other, res.Policies[0])
			}
		}
	}
}
