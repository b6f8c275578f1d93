package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// When IAM refuses to attach the feature policy it has just made (the
// role has its quota of managed policies), the policy is deleted again:
// the call changes nothing.
func TestConsoleFeatureAttachFailsUndone(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	var managed []string
	for i := range 10 {
		out, err := s.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%d", i)),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:GetQueueUrl","Resource":"*"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		managed = append(managed, aws.ToString(out.Policy.Arn))
	}
	s.role(t, "full-fn", lambdaTrust, managed...)
	st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/roles/full-fn/feature-permissions", map[string]string{"feature": "tracing"}, nil)
	if st < 400 {
		t.Fatalf("attach past the quota: %d %s %s", st, code, msg)
	}
	if _, err := s.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + account + ":policy/service-role/AWSLambdaFeaturePermissions-full-fn")}); err == nil {
		t.Errorf("the feature policy stays after the attach failed (%d %s %s)", st, code, msg)
	}
}
