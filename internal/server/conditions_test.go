package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// The service condition keys AWS sets for IAM and Lambda operations are set
// here too: aws:ResourceTag of a role or function, iam:PolicyARN of an
// attachment, iam:PermissionsBoundary of a new role.
func TestServiceConditionKeys(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	for _, team := range []string{"red", "blue"} {
		s.role(t, team+"-app", lambdaTrust)
		if _, err := s.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(team + "-app"),
			Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}); err != nil {
			t.Fatal(err)
		}
	}
	exec := s.role(t, "exec", lambdaTrust)
	fn := goFunction(t, "red-fn", exec)
	fn.Tags = map[string]string{"team": "red"}
	s.create(t, fn)
	blue := goFunction(t, "blue-fn", exec)
	blue.Tags = map[string]string{"team": "blue"}
	s.create(t, blue)

	dev := s.user(t, "dev", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:GetRole","lambda:GetFunctionConfiguration"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"red"}}},
		{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}}},
		{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*","Condition":{"ArnEquals":{"iam:PermissionsBoundary":"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}}}
	]}`)
	devIAM, devLambda := iam.NewFromConfig(dev), lambda.NewFromConfig(dev)

	if _, err := devIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("red-app")}); err != nil {
		t.Errorf("GetRole of a red role: %v", err)
	}
	_, err := devIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("blue-app")})
	apiError(t, err, "AccessDenied")
	if _, err := devLambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("red-fn")}); err != nil {
		t.Errorf("GetFunctionConfiguration of a red function: %v", err)
	}
	_, err = devLambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("blue-fn")})
	apiError(t, err, "AccessDeniedException")

	if _, err := devIAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("red-app"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}); err != nil {
		t.Errorf("AttachRolePolicy of the allowed policy: %v", err)
	}
	_, err = devIAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("red-app"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	apiError(t, err, "AccessDenied")

	_, err = devIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("unbounded"), AssumeRolePolicyDocument: aws.String(lambdaTrust)})
	apiError(t, err, "AccessDenied")
	if _, err := devIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(lambdaTrust),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}); err != nil {
		t.Errorf("CreateRole with the required boundary: %v", err)
	}
}
