package iam_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

const (
	trust     = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`
	basicExec = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
)

func TestSDKExecutionRole(t *testing.T) {
	c := awsiam.NewFromConfig(servertest.Start(t).RootConfig())
	ctx := context.Background()

	created, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("lambda-ex"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.Role.Arn) != "arn:aws:iam::123456789012:role/lambda-ex" || !strings.HasPrefix(aws.ToString(created.Role.RoleId), "AROA") {
		t.Errorf("role = %+v", created.Role)
	}
	doc, err := url.QueryUnescape(aws.ToString(created.Role.AssumeRolePolicyDocument))
	if err != nil || doc != trust {
		t.Errorf("trust = %q, %v", doc, err)
	}
	if _, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("lambda-ex"), PolicyArn: aws.String(basicExec)}); err != nil {
		t.Fatal(err)
	}
	attached, err := c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("lambda-ex")})
	if err != nil || len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyName) != "AWSLambdaBasicExecutionRole" {
		t.Fatalf("attached = %+v, %v", attached, err)
	}
	version, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(basicExec), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(version.PolicyVersion.Document)); !strings.Contains(doc, "logs:PutLogEvents") {
		t.Errorf("document = %s", doc)
	}
	got, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("lambda-ex")})
	if err != nil || aws.ToInt32(got.Role.MaxSessionDuration) != 3600 {
		t.Fatalf("GetRole = %+v, %v", got, err)
	}

	// Errors arrive typed.
	_, err = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("missing")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) || aws.ToString(nse.Message) != "The role with name missing cannot be found." {
		t.Errorf("GetRole missing: %v", err)
	}
	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("lambda-ex")})
	var conflict *types.DeleteConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("DeleteRole attached: %v", err)
	}
	_, err = c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(100)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationError" || !strings.Contains(api.ErrorMessage(), "Member must have value greater than or equal to 3600") {
		t.Errorf("MaxSessionDuration 100: %v", err)
	}
}

func TestSDKUserKeyIsEnforced(t *testing.T) {
	srv := servertest.Start(t)
	root := awsiam.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	if _, err := root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	dev := awsiam.NewFromConfig(srv.Config(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))

	// No policy: denied.
	_, err = dev.ListRoles(ctx, &awsiam.ListRolesInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
		t.Fatalf("ListRoles without policy: %v", err)
	}
	// An inline policy takes effect at once.
	if _, err := root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{
		UserName: aws.String("dev"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:GetUser"],"Resource":"*"}]}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.ListRoles(ctx, &awsiam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles with policy: %v", err)
	}
	me, err := dev.GetUser(ctx, &awsiam.GetUserInput{})
	if err != nil || aws.ToString(me.User.UserName) != "dev" {
		t.Fatalf("GetUser as dev = %+v, %v", me, err)
	}
	// Deactivated keys stop working.
	if _, err := root.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("dev"), AccessKeyId: key.AccessKey.AccessKeyId, Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = dev.ListRoles(ctx, &awsiam.ListRolesInput{})
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidClientTokenId" {
		t.Fatalf("ListRoles with an inactive key: %v", err)
	}
}

// TestSDKLastUsed reads, through the SDK, when a user's access key was
// last used and when a role was last assumed.
func TestSDKLastUsed(t *testing.T) {
	srv := servertest.Start(t)
	c := awsiam.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(key.AccessKey.AccessKeyId)
	used, err := c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil || used.AccessKeyLastUsed.LastUsedDate != nil || aws.ToString(used.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Fatalf("unused key: %+v %v", used, err)
	}
	// A signed request is a use, allowed or not.
	aliceConfig := srv.Config(id, aws.ToString(key.AccessKey.SecretAccessKey), "")
	alice := awsiam.NewFromConfig(aliceConfig)
	if _, err := alice.GetUser(ctx, &awsiam.GetUserInput{}); err == nil {
		t.Fatal("a user without policies read itself")
	}
	used, err = c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil || used.AccessKeyLastUsed.LastUsedDate == nil || aws.ToString(used.AccessKeyLastUsed.ServiceName) != "iam" ||
		aws.ToString(used.AccessKeyLastUsed.Region) != srv.Region() || aws.ToString(used.UserName) != "alice" {
		t.Fatalf("used key: %+v %v", used.AccessKeyLastUsed, err)
	}
	// AssumeRole records the role's use.
	if _, err := c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	acctTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(acctTrust)}); err != nil {
		t.Fatal(err)
	}
	role, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil || role.Role.RoleLastUsed == nil || role.Role.RoleLastUsed.LastUsedDate != nil {
		t.Fatalf("unused role: %+v %v", role, err)
	}
	if _, err := awssts.NewFromConfig(aliceConfig).AssumeRole(ctx, &awssts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/app"), RoleSessionName: aws.String("app-session"),
	}); err != nil {
		t.Fatal(err)
	}
	role, err = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil || role.Role.RoleLastUsed == nil || role.Role.RoleLastUsed.LastUsedDate == nil || aws.ToString(role.Role.RoleLastUsed.Region) != srv.Region() {
		t.Fatalf("assumed role: %+v %v", role.Role.RoleLastUsed, err)
	}

	if _, err := c.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	// The root key's use is recorded too.
	root := srv.Root().AccessKeyID
	used, err = c.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(root)})
	if err != nil || used.AccessKeyLastUsed.LastUsedDate == nil || aws.ToString(used.AccessKeyLastUsed.ServiceName) != "iam" {
		t.Fatalf("root key: %+v %v", used.AccessKeyLastUsed, err)
	}
}
