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
