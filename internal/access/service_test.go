package access_test

import (
	"fmt"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

// ReachService gives, for each service, what Reach gives for it: with
// wildcards across services, NotAction, denies, a boundary and an SCP.
func TestReachServiceAgreesWithReach(t *testing.T) {
	cat := catalog.Load()
	in := policy.SetInput{
		Identity: named(t, policy.Identity,
			"admin", administratorAccess,
			"reads", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","*:List*","dynamodb:GetItem"],"Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","NotAction":["s3:*","iam:*"],"Resource":"*"}]}`,
			"deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["s3:Delete*","iam:*Policy*"],"Resource":"*"},{"Effect":"Deny","NotAction":"sqs:*","Resource":"arn:aws:sqs:*:*:secret"}]}`),
		Boundary: &named(t, policy.Identity, "boundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:*","sqs:*","dynamodb:Get*"],"Resource":"*"}]}`)[0],
		SCPs:     [][]policy.Named{named(t, policy.SCP, "scp", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"sqs:Purge*","Resource":"*"}]}`)},
	}
	all := access.Reach(in, role, cat)
	byPrefix := map[string]access.ServiceReach{}
	for _, s := range all {
		byPrefix[s.Service] = s
	}
	for _, prefix := range []string{"s3", "iam", "sqs", "dynamodb", "lambda"} {
		got := access.ReachService(in, role, cat, prefix)
		want, ok := byPrefix[prefix]
		switch {
		case !ok && got != nil:
			t.Errorf("%s: ReachService = %d actions, Reach none", prefix, len(got.Actions))
		case ok && got == nil:
			t.Errorf("%s: ReachService none, Reach %d actions", prefix, len(want.Actions))
		case ok && fmt.Sprint(*got) != fmt.Sprint(want):
			t.Errorf("%s: ReachService differs from Reach:\n%v\n%v", prefix, *got, want)
		}
	}
	if got := access.ReachService(in, role, cat, "S3"); got == nil || got.Service != "s3" {
		t.Errorf("prefix in capitals: %v", got)
	}
	if got := access.ReachService(in, role, cat, "nosuchservice"); got != nil {
		t.Errorf("unknown service: %v", got)
	}
}
