package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestConsoleTrailBoundaryFiveVersions follows a denial by a permissions
// boundary that already has the five versions IAM keeps to its fix: the
// console says that applying it first deletes the oldest version that is
// not the default, and the fix then applies (CreatePolicyVersion alone
// would fail with LimitExceeded).
func TestConsoleTrailBoundaryFiveVersions(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	c := iam.NewFromConfig(b.root)
	doc := func(n int) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"V%d","Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`, n)
	}
	p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("edge"), PolicyDocument: aws.String(doc(1))})
	if err != nil {
		t.Fatal(err)
	}
	arn := p.Policy.Arn
	for n := 2; n <= 5; n++ {
		if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(doc(n)), SetAsDefault: n == 3}); err != nil {
			t.Fatal(err)
		}
	}
	id, secret := b.user(t, "bounded", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)
	if _, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: arn}); err != nil {
		t.Fatal(err)
	}
	user := iam.NewFromConfig(b.srv.Config(id, secret, ""))
	if _, err := user.ListUsers(ctx, &iam.ListUsersInput{}); err == nil || !strings.Contains(err.Error(), "permissions boundary") {
		t.Fatalf("ListUsers as bounded: %v, want a boundary denial", err)
	}
	b.signInRoot(t)
	b.open(t, "/trail?attribute=Username&value=bounded")
	b.waitText(t, "main tr.denied", "ListUsers")
	b.click(t, "main tr.denied a.explain")
	b.waitText(t, "main .fix .kv", "iam:CreatePolicyVersion on "+*arn)
	// The boundary decided the request: it is not said not to apply.
	b.waitText(t, "main .policy.not-applied h4", "Permissions boundary: edge (none of its statements matches this request)")
	b.click(t, "main .fix button.apply-fix")
	// v1 is the oldest version that is not the default (v3).
	b.waitText(t, "main .fix .confirm", "first deletes its oldest version that is not the default, v1")
	b.click(t, "main .fix .confirm button.confirm-fix")
	b.waitText(t, "main .now-allowed", "this request would be allowed")
	if _, err := user.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers as bounded after the fix: %v", err)
	}
	vs, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vs.Versions {
		ids = append(ids, *v.VersionId)
	}
	if got := fmt.Sprint(ids); strings.Contains(got, "v1 ") || strings.HasSuffix(got, "v1]") || len(ids) != 5 {
		t.Errorf("versions after the fix: %v, want v2…v6", ids)
	}
}

// TestConsoleBadlyEncodedLink: a shared link whose resource name is not
// valid percent-encoding (a role, a policy, an event) shows the console's
// "Page not found", not a blank page with an uncaught URIError.
func TestConsoleBadlyEncodedLink(t *testing.T) {
	b := newBrowser(t)
	b.signInRoot(t)
	for _, path := range []string{"/roles/a%E0%A4", "/policies/arn%3Aaws%C0%AF", "/trail/%C0"} {
		b.open(t, "/functions")
		b.waitText(t, "main h1", "Functions")
		b.open(t, path)
		b.waitText(t, "main h1", "Page not found")
	}
}

// TestConsoleTrailDeletedPrincipal: the denial of a user deleted since is
// still explained (from the policies its request carried), not answered
// with an internal error.
func TestConsoleTrailDeletedPrincipal(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	c := iam.NewFromConfig(b.root)
	id, secret := b.user(t, "gone", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	if _, err := iam.NewFromConfig(b.srv.Config(id, secret, "")).ListUsers(ctx, &iam.ListUsersInput{}); err == nil {
		t.Fatal("ListUsers as gone was allowed")
	}
	for _, step := range []func() error{
		func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("gone"), PolicyName: aws.String("console")})
			return err
		},
		func() error {
			_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("gone"), AccessKeyId: aws.String(id)})
			return err
		},
		func() error {
			_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("gone")})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	b.signInRoot(t)
	b.open(t, "/trail?attribute=Username&value=gone")
	b.waitText(t, "main tr.denied", "ListUsers")
	b.click(t, "main tr.denied a.explain")
	b.waitText(t, "main .verdict", "Denied because no identity-based policy allows the iam:ListUsers action.")
	b.waitText(t, "main", "arn:aws:iam::123456789012:user/gone no longer exists")
	if n := eval[int](t, b, `document.querySelectorAll("main .fix button.apply-fix").length`); n != 0 {
		t.Errorf("%d fixes offered for a user that no longer exists:\n%s", n, b.mainText())
	}
}
