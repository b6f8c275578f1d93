package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestExplainAttackTrustAcrossAccounts: a denied AssumeRole of another
// account's role is recorded in the caller's account; its fix changes
// that other role's trust policy, which UpdateAssumeRolePolicy (a role
// name, in the caller's own account) cannot name. The fix must carry no
// operation, or applying it would rewrite the trust policy of the
// caller's own role of the same name.
func TestExplainAttackTrustAcrossAccounts(t *testing.T) {
	srv := servertest.Start(t)
	f := explainFixtureOn(t, srv)
	org := newOrg(t, srv)
	member := newMember(t, org.orgs, "trusting")
	admin := org.session(member)
	roleARN := f.s.role(t, "lambda-only", lambdaTrust)
	caller := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
	_, err := sts.NewFromConfig(admin).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("try")})
	if code := apiCode(err); code != "AccessDenied" {
		t.Fatalf("AssumeRole across accounts: %q", code)
	}
	x, st, code, msg := f.explain(t, admin, f.lastEvent(t, "AssumeRole", caller))
	if st != http.StatusOK {
		t.Fatalf("explain as the member: %d %s %s", st, code, msg)
	}
	for _, fix := range x.Fixes {
		if fix.Operation != nil {
			t.Errorf("the fix of another account's trust policy calls %s:%s %v in the caller's account", fix.Operation.Service, fix.Operation.Action, fix.Operation.Parameters)
		}
	}
}
