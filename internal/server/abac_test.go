package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// abacPolicy allows reading the roles whose names start with the caller's
// team tag.
const abacPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/${aws:PrincipalTag/team}-*"},{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`

// TestPrincipalTags: aws:PrincipalTag/* holds a user's tags, and for a role
// session the role's tags overridden by the session's.
func TestPrincipalTags(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	for _, name := range []string{"blue-app", "red-app"} {
		if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(lambdaTrust)}); err != nil {
			t.Fatal(err)
		}
	}
	danaCfg := newUser(t, srv, "dana", abacPolicy)
	user := iam.NewFromConfig(danaCfg)
	getRole := func(c *iam.Client, name string) error {
		_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		return err
	}
	if err := getRole(user, "blue-app"); err == nil {
		t.Fatal("an untagged user matched ${aws:PrincipalTag/team}")
	}
	if _, err := admin.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("dana"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}); err != nil {
		t.Fatal(err)
	}
	if err := getRole(user, "blue-app"); err != nil {
		t.Fatalf("user tagged team=blue, blue-app: %v", err)
	}
	apiError(t, getRole(user, "red-app"), "AccessDenied")

	// A role tagged team=red, whose sessions read red roles, or blue ones
	// when the session is tagged team=blue.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dana"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("tagged"), PolicyName: aws.String("abac"), PolicyDocument: aws.String(abacPolicy)}); err != nil {
		t.Fatal(err)
	}
	userSTS := sts.NewFromConfig(danaCfg)
	session := func(in *sts.AssumeRoleInput) *iam.Client {
		in.RoleArn, in.RoleSessionName = aws.String("arn:aws:iam::123456789012:role/tagged"), aws.String("s1")
		out, err := userSTS.AssumeRole(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		return iam.NewFromConfig(srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	}
	red := session(&sts.AssumeRoleInput{})
	if err := getRole(red, "red-app"); err != nil {
		t.Fatalf("session of a role tagged team=red, red-app: %v", err)
	}
	apiError(t, getRole(red, "blue-app"), "AccessDenied")
	blue := session(&sts.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	if err := getRole(blue, "blue-app"); err != nil {
		t.Fatalf("session tagged team=blue, blue-app: %v", err)
	}
	apiError(t, getRole(blue, "red-app"), "AccessDenied")
}
