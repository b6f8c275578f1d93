package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// AddFeaturePermissions grants one named resource of the caller's account
// and Region: an ARN with wildcards, of another account, or with
// characters no ARN has is refused, and nothing is written.
func TestConsoleFeatureResourceARNs(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	s.role(t, "arn-fn", lambdaTrust)
	for _, arn := range []string{
		"arn:aws:sqs:us-east-1:" + account + ":*",
		"arn:aws:sqs:us-east-1:" + account + ":jo?s",
		"arn:aws:sqs:us-east-1:*:jobs",
		"arn:aws:sqs:*:" + account + ":jobs",
		"arn:aws:sqs::" + account + ":jobs",
		"arn:*:sqs:us-east-1:" + account + ":jobs",
		"arn:aws:kinesis:us-east-1:" + account + ":stream/*",
		"arn:aws:dynamodb:us-east-1:" + account + ":table/orders/stream/*",
		"arn:aws:sqs:us-east-1:210987654321:jobs",
		"arn:aws:sqs:us-east-1:" + account + ":jobs\"],\"Action\":\"*",
		"arn:aws:sqs:us-east-1:" + account + ":jobs\nx",
		"arn:aws:sqs:us-east-1:" + account + ":jobs x",
	} {
		st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/roles/arn-fn/feature-permissions",
			map[string]string{"feature": "event-source", "resourceArn": arn}, nil)
		if st != 400 || code != "ValidationException" {
			t.Errorf("%q: %d %s %s", arn, st, code, msg)
		}
	}
	if _, err := s.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + account + ":policy/service-role/AWSLambdaFeaturePermissions-arn-fn")}); err == nil {
		t.Error("a feature policy was written for a refused resource")
	}
	for _, arn := range []string{"arn:aws:sqs:us-east-1:" + account + ":jobs", "arn:aws:dynamodb:us-east-1:" + account + ":table/orders/stream/2024-01-01T00:00:00.000"} {
		if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/roles/arn-fn/feature-permissions",
			map[string]string{"feature": "event-source", "resourceArn": arn}, nil); st != 200 {
			t.Errorf("%s: %d %s %s", arn, st, code, msg)
		}
	}
}

// The Region of a request's credential scope is no place for a wildcard
// or a policy fragment: the Region is written into the ARNs of the
// documents the console helpers make, and of the resources services make.
// A scope whose Region is no Region name is refused before any handler
// runs.
func TestConsoleScopeRegion(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	for _, region := range []string{"*", "us-east-1\"}]}", "us-east-?", "US-EAST-1", "us-east-1 "} {
		cfg := s.srv.RootConfig()
		cfg.Region = region
		st, code, msg := consoleCall(t, cfg, s.srv.Endpoint(), http.MethodPost, "/v1/functions/fn/default-role", nil, nil)
		if st != 403 || code != "InvalidSignatureException" {
			t.Errorf("CreateDefaultRole in %q: %d %s %s", region, st, code, msg)
		}
		st, code, msg = consoleCall(t, cfg, s.srv.Endpoint(), http.MethodGet, "/v1/policy-templates/basic-lambda?functionName=fn", nil, nil)
		if st != 403 || code != "InvalidSignatureException" {
			t.Errorf("GetPolicyTemplate in %q: %d %s %s", region, st, code, msg)
		}
	}
	roles, err := s.iam.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/service-role/")})
	if err != nil || len(roles.Roles) != 0 {
		t.Fatalf("roles after refused calls: %+v %v", roles, err)
	}
	cfg := s.srv.RootConfig()
	cfg.Region = "eu-west-1"
	if st, code, msg := consoleCall(t, cfg, s.srv.Endpoint(), http.MethodGet, "/v1/policy-templates/basic-lambda?functionName=fn", nil, nil); st != 200 {
		t.Errorf("another Region: %d %s %s", st, code, msg)
	}
}
