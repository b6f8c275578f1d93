package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestNodesRecreatedRoleGivesOldSessionsNothing: a role deleted on node A
// and made again under its name is another role (another RoleId): the
// sessions of the deleted one, presented to node B, get none of the new
// role's permissions, as in AWS, where a role's policies apply to the
// sessions of its unique ID.
func TestNodesRecreatedRoleGivesOldSessionsNothing(t *testing.T) {
	ctx := context.Background()
	nodes := servertest.Nodes(t, 2)
	a, b := nodes[0], nodes[1]
	admin := iam.NewFromConfig(a.RootConfig())
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`
	makeRole := func(withPolicy bool) {
		t.Helper()
		if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("worker"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
		if withPolicy {
			if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("list"), PolicyDocument: aws.String(allow)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	makeRole(false)
	user := newUser(t, a, "assumer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	out, err := sts.NewFromConfig(user).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/worker"), RoleSessionName: aws.String("old")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	old := iam.NewFromConfig(b.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("worker")}); err != nil {
		t.Fatal(err)
	}
	makeRole(true)
	within(t, 5*time.Second, "the new role seen by node B", func() error {
		_, err := iam.NewFromConfig(b.RootConfig()).GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("list")})
		return err
	})
	_, err = old.ListRoles(ctx, &iam.ListRolesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("a session of the deleted role, with the new role's policy: %v, want AccessDenied", err)
	}
}

// TestRecreatedUserGivesOldSessionsNothing: the same for a user's session
// (GetSessionToken) after the user is deleted and made again.
func TestRecreatedUserGivesOldSessionsNothing(t *testing.T) {
	ctx := context.Background()
	srv := servertest.Start(t)
	admin := iam.NewFromConfig(srv.RootConfig())
	user := newUser(t, srv, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetSessionToken","Resource":"*"}]}`)
	out, err := sts.NewFromConfig(user).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	// IAM refuses GetSessionToken's credentials without MFA: the session is
	// tried on Lambda.
	old := lambda.NewFromConfig(srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	creds, err := user.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("dev"), AccessKeyId: aws.String(creds.AccessKeyID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	newUser(t, srv, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:ListFunctions","Resource":"*"}]}`)
	_, err = old.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("a session of the deleted user, with the new user's policy: %v, want AccessDenied", err)
	}
}
