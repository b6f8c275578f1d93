package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// The Resource summary follows every change of the role's policies, each
// asked for twice (the second answer may come from the summary's cache): an
// inline policy edited, a managed policy attached and detached, a new
// default version of a customer managed policy, a permissions boundary.
func TestConsoleResourceSummaryFollowsPolicies(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	roleARN := s.role(t, "cache-fn", lambdaTrust, basicExecRole)
	s.create(t, pythonFunction(t, "cache", roleARN))
	services := func(step string, want ...string) {
		t.Helper()
		for range 2 {
			var out summaryOut
			if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/functions/cache/resource-summary", nil, &out); st != 200 {
				t.Fatalf("%s: GetResourceSummary: %d %s %s", step, st, code, msg)
			}
			var got []string
			for _, sv := range out.Services {
				got = append(got, sv.Service)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: services %v, want %v", step, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: services %v, want %v", step, got, want)
				}
			}
		}
	}
	doc := func(action string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
	}
	services("basic", "logs")
	s.putRolePolicy(t, "cache-fn", "extra", doc("sqs:SendMessage"))
	services("inline", "logs", "sqs")
	s.putRolePolicy(t, "cache-fn", "extra", doc("sns:Publish"))
	services("inline edited", "logs", "sns")
	if _, err := s.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("cache-fn"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess")}); err != nil {
		t.Fatal(err)
	}
	services("attached", "logs", "sns", "xray")
	if _, err := s.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("cache-fn"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess")}); err != nil {
		t.Fatal(err)
	}
	services("detached", "logs", "sns")
	p, err := s.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("cache-managed"), PolicyDocument: aws.String(doc("kms:Decrypt"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("cache-fn"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	services("customer managed", "kms", "logs", "sns")
	if _, err := s.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Policy.Arn,
		PolicyDocument: aws.String(doc("dynamodb:GetItem")), SetAsDefault: true}); err != nil {
		t.Fatal(err)
	}
	services("new default version", "dynamodb", "logs", "sns")
	if _, err := s.iam.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("cache-fn"),
		PermissionsBoundary: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	services("boundary", "dynamodb")
}
