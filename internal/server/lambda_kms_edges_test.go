package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLambdaKMSRemovedWithVariables: an update that removes KMSKeyArn and
// gives new variables in the same call leaves the function without the
// key, running with the new variables.
func TestLambdaKMSRemovedWithVariables(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	key := newKey(t, kms.NewFromConfig(s.srv.RootConfig()), nil)
	role := s.role(t, "kms-removed-role", lambdaTrust, basicExecRole)
	s.create(t, kmsEnvInput(t, "kms-removed", role, aws.ToString(key.Arn)))
	s.waitActive(t, "kms-removed")
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("kms-removed"), KMSKeyArn: aws.String(""),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": "after"}}})
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("kms-removed")})
	if err != nil || cfg.KMSKeyArn != nil || cfg.Environment == nil || cfg.Environment.Variables["XV"] != "after" {
		t.Fatalf("after KMSKeyArn was removed with new variables: KMSKeyArn %v, %+v, %v", aws.ToString(cfg.KMSKeyArn), cfg.Environment, err)
	}
	if got := str(s.call(t, "kms-removed", map[string]any{})["XV"]); got != "after" {
		t.Fatalf("XV = %q", got)
	}
}

// TestLambdaKMSRefusedLeavesNoGrant: a caller who may create grants on the
// key but not generate data keys with it cannot set it, and the refused
// CreateFunction leaves no grant for the role behind.
func TestLambdaKMSRefusedLeavesNoGrant(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	keys := kms.NewFromConfig(s.srv.RootConfig())
	key := newKey(t, keys, nil)
	role := s.role(t, "kms-grant-only-role", lambdaTrust, basicExecRole)
	dev := lambda.NewFromConfig(s.user(t, "grant-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:*","iam:PassRole","kms:CreateGrant"],"Resource":"*"}]}`))
	_, err := dev.CreateFunction(ctx, kmsEnvInput(t, "kms-grant-only", role, aws.ToString(key.Arn)))
	msg := wantStatusCode(t, "CreateFunction without kms:GenerateDataKey", err, "KMSAccessDeniedException", http.StatusBadGateway)
	if !strings.Contains(msg, "is not authorized to perform: kms:GenerateDataKey") {
		t.Fatalf("message %q", msg)
	}
	grants, err := keys.ListGrants(ctx, &kms.ListGrantsInput{KeyId: key.KeyId})
	if err != nil || len(grants.Grants) != 0 {
		t.Fatalf("grants after a refused CreateFunction: %+v, %v", grants, err)
	}
}
