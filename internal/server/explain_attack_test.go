package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

// TestExplainAttackPolicyVariablesInResource: a caller choosing an
// object's key ("${aws:username}", "?", "$") cannot make the offered fix
// allow more than the one object: the key is written as the literal it
// is, not as a policy variable or a wildcard.
func TestExplainAttackPolicyVariablesInResource(t *testing.T) {
	f := newExplainFixture(t)
	ctx := context.Background()
	for _, k := range []string{"${aws:username}", "vary", "q?", "qx", "$${*}", "$x"} {
		if _, err := f.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(explainBucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	user := f.s.user(t, "vary", "")
	for _, c := range []struct{ key, other string }{{"${aws:username}", "vary"}, {"q?", "qx"}, {"$${*}", "$x"}} {
		if code := f.get(t, user, c.key); code != "AccessDenied" {
			t.Fatalf("GetObject %s: %q", c.key, code)
		}
		x := f.mustExplain(t, f.lastEvent(t, "GetObject", "arn:aws:iam::"+account+":user/vary"))
		if len(x.Fixes) != 1 {
			t.Fatalf("fixes of %s: %+v (note %q)", c.key, x.Fixes, x.Note)
		}
		applyIAM(t, f.s.iam, x.Fixes[0])
		if code := f.get(t, user, c.key); code != "" {
			t.Errorf("GetObject %s after its fix: %q", c.key, code)
		}
		if code := f.get(t, user, c.other); code != "AccessDenied" {
			t.Errorf("the fix of %s allows %s: %q (statement %s)", c.key, c.other, code, x.Fixes[0].Statement)
		}
	}
}
