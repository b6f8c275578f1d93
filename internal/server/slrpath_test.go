package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestServiceLinkedRolePathIsReserved: no one makes a role under
// /aws-service-role/, where SCPs do not reach.
func TestServiceLinkedRolePathIsReserved(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	member := newMember(t, f.orgs, "dev")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"sts:AssumeRole"}]}`
	for _, cfg := range []aws.Config{srv.RootConfig(), f.session(member)} {
		for _, path := range []string{"/aws-service-role/", "/aws-service-role/lambda.amazonaws.com/"} {
			_, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("escape"), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust)})
			if msg := apiError(t, err, "InvalidInput"); msg != "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles" {
				t.Errorf("CreateRole at %s: %q", path, msg)
			}
		}
	}
	if _, err := iam.NewFromConfig(f.session(member)).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("escape")}); err == nil {
		t.Fatal("the role exists")
	}
}
