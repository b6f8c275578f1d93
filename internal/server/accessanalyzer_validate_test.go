package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestAccessAnalyzerValidatePolicy drives ValidatePolicy and the custom
// policy checks through the SDK's Access Analyzer client.
func TestAccessAnalyzerValidatePolicy(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	aa := accessanalyzer.NewFromConfig(srv.RootConfig())

	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": [\"s3:GetObject\", \"s3:GetObjekt\", \"iam:PassRole\"],\n    \"Resource\": \"*\"\n  }]\n}"
	out, err := aa.ValidatePolicy(ctx, &accessanalyzer.ValidatePolicyInput{PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeIdentityPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Findings) != 2 {
		t.Fatalf("findings %+v", out.Findings)
	}
	f := out.Findings[0]
	if f.FindingType != aatypes.ValidatePolicyFindingTypeError || aws.ToString(f.IssueCode) != "INVALID_ACTION" ||
		aws.ToString(f.FindingDetails) != "The action s3:GetObjekt does not exist." || !strings.Contains(aws.ToString(f.LearnMoreLink), "#access-analyzer-reference-policy-checks-error-invalid-action") {
		t.Errorf("finding %+v", f)
	}
	loc := f.Locations[0]
	if len(loc.Path) != 4 {
		t.Fatalf("path %+v", loc.Path)
	}
	if v, ok := loc.Path[0].(*aatypes.PathElementMemberValue); !ok || v.Value != "Statement" {
		t.Errorf("path[0] %#v", loc.Path[0])
	}
	if v, ok := loc.Path[3].(*aatypes.PathElementMemberIndex); !ok || v.Value != 1 {
		t.Errorf("path[3] %#v", loc.Path[3])
	}
	if s := loc.Span.Start; aws.ToInt32(s.Line) != 5 || aws.ToInt32(s.Column) != 31 || aws.ToInt32(s.Offset) != 101 {
		t.Errorf("span start line %d column %d offset %d", aws.ToInt32(s.Line), aws.ToInt32(s.Column), aws.ToInt32(s.Offset))
	}
	if out.Findings[1].FindingType != aatypes.ValidatePolicyFindingTypeSecurityWarning || aws.ToString(out.Findings[1].IssueCode) != "PASS_ROLE_WITH_STAR_IN_RESOURCE" {
		t.Errorf("finding %+v", out.Findings[1])
	}

	// Pages of one finding.
	first, err := aa.ValidatePolicy(ctx, &accessanalyzer.ValidatePolicyInput{PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeIdentityPolicy, MaxResults: aws.Int32(1)})
	if err != nil || len(first.Findings) != 1 || first.NextToken == nil {
		t.Fatalf("first page %+v %v", first, err)
	}
	second, err := aa.ValidatePolicy(ctx, &accessanalyzer.ValidatePolicyInput{PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeIdentityPolicy, MaxResults: aws.Int32(1), NextToken: first.NextToken})
	if err != nil || len(second.Findings) != 1 || second.NextToken != nil || aws.ToString(second.Findings[0].IssueCode) != "PASS_ROLE_WITH_STAR_IN_RESOURCE" {
		t.Fatalf("second page %+v %v", second, err)
	}

	// A trust policy, as a resource policy of the role.
	trust, err := aa.ValidatePolicy(ctx, &accessanalyzer.ValidatePolicyInput{
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`),
		PolicyType:     aatypes.PolicyTypeResourcePolicy, ValidatePolicyResourceType: aatypes.ValidatePolicyResourceTypeRoleTrust})
	if err != nil || len(trust.Findings) != 1 || aws.ToString(trust.Findings[0].IssueCode) != "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE" {
		t.Fatalf("trust %+v %v", trust, err)
	}

	// Not JSON: a finding, not an error.
	bad, err := aa.ValidatePolicy(ctx, &accessanalyzer.ValidatePolicyInput{PolicyDocument: aws.String(`{"Version":`), PolicyType: aatypes.PolicyTypeIdentityPolicy})
	if err != nil || len(bad.Findings) != 1 || aws.ToString(bad.Findings[0].IssueCode) != "JSON_SYNTAX_ERROR" {
		t.Fatalf("syntax %+v %v", bad, err)
	}

	// Refused input.
	for name, in := range map[string]*accessanalyzer.ValidatePolicyInput{
		"policy type":   {PolicyDocument: aws.String(doc), PolicyType: "NOPE"},
		"locale":        {PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeIdentityPolicy, Locale: aatypes.LocaleJa},
		"resource type": {PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeIdentityPolicy, ValidatePolicyResourceType: aatypes.ValidatePolicyResourceTypeS3Bucket},
		"token":         {PolicyDocument: aws.String(doc), PolicyType: aatypes.PolicyTypeIdentityPolicy, NextToken: aws.String("nope")},
	} {
		_, err := aa.ValidatePolicy(ctx, in)
		var ve *aatypes.ValidationException
		if !errors.As(err, &ve) || ve.Reason == "" {
			t.Errorf("%s: %v, want a ValidationException with a reason", name, err)
		}
	}
}

func TestAccessAnalyzerCustomChecks(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	aa := accessanalyzer.NewFromConfig(srv.RootConfig())

	existing := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","s3:PutObject"],"Resource":["arn:aws:dynamodb:us-east-1:123456789012:table/t","arn:aws:s3:::b/*"]}]}`
	narrower := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/out/*"}]}`
	wider := `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	pass, err := aa.CheckNoNewAccess(ctx, &accessanalyzer.CheckNoNewAccessInput{ExistingPolicyDocument: aws.String(existing), NewPolicyDocument: aws.String(narrower), PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy})
	if err != nil || pass.Result != aatypes.CheckNoNewAccessResultPass || len(pass.Reasons) != 0 {
		t.Fatalf("narrower: %+v %v", pass, err)
	}
	fail, err := aa.CheckNoNewAccess(ctx, &accessanalyzer.CheckNoNewAccessInput{ExistingPolicyDocument: aws.String(existing), NewPolicyDocument: aws.String(wider), PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy})
	if err != nil || fail.Result != aatypes.CheckNoNewAccessResultFail || len(fail.Reasons) != 1 ||
		aws.ToInt32(fail.Reasons[0].StatementIndex) != 0 || aws.ToString(fail.Reasons[0].StatementId) != "All" || aws.ToString(fail.Message) == "" {
		t.Fatalf("wider: %+v %v", fail, err)
	}

	granted, err := aa.CheckAccessNotGranted(ctx, &accessanalyzer.CheckAccessNotGrantedInput{PolicyDocument: aws.String(existing), PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy,
		Access: []aatypes.Access{{Actions: []string{"dynamodb:GetItem"}}}})
	if err != nil || granted.Result != aatypes.CheckAccessNotGrantedResultFail {
		t.Fatalf("granted: %+v %v", granted, err)
	}
	notGranted, err := aa.CheckAccessNotGranted(ctx, &accessanalyzer.CheckAccessNotGrantedInput{PolicyDocument: aws.String(existing), PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy,
		Access: []aatypes.Access{{Actions: []string{"dynamodb:DeleteTable", "s3:DeleteObject"}}}})
	if err != nil || notGranted.Result != aatypes.CheckAccessNotGrantedResultPass {
		t.Fatalf("not granted: %+v %v", notGranted, err)
	}

	public, err := aa.CheckNoPublicAccess(ctx, &accessanalyzer.CheckNoPublicAccessInput{ResourceType: aatypes.AccessCheckResourceTypeS3Bucket,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)})
	if err != nil || public.Result != aatypes.CheckNoPublicAccessResultFail {
		t.Fatalf("public: %+v %v", public, err)
	}
	private, err := aa.CheckNoPublicAccess(ctx, &accessanalyzer.CheckNoPublicAccessInput{ResourceType: aatypes.AccessCheckResourceTypeS3Bucket,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`)})
	if err != nil || private.Result != aatypes.CheckNoPublicAccessResultPass {
		t.Fatalf("private: %+v %v", private, err)
	}

	// Malformed documents and input are refused with Access Analyzer's errors.
	var ipe *aatypes.InvalidParameterException
	if _, err := aa.CheckNoNewAccess(ctx, &accessanalyzer.CheckNoNewAccessInput{ExistingPolicyDocument: aws.String(existing), NewPolicyDocument: aws.String(`{"Statement":`), PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy}); !errors.As(err, &ipe) {
		t.Errorf("malformed: %v", err)
	}
	// A misspelt action would otherwise pass whatever the policy grants.
	if _, err := aa.CheckAccessNotGranted(ctx, &accessanalyzer.CheckAccessNotGrantedInput{PolicyDocument: aws.String(existing), PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy,
		Access: []aatypes.Access{{Actions: []string{"dynamodb:GetIten"}}}}); !errors.As(err, &ipe) || !strings.Contains(err.Error(), "dynamodb:GetIten") {
		t.Errorf("unknown action: %v", err)
	}
	var ve *aatypes.ValidationException
	if _, err := aa.CheckNoPublicAccess(ctx, &accessanalyzer.CheckNoPublicAccessInput{ResourceType: "AWS::Nope::Thing", PolicyDocument: aws.String(existing)}); !errors.As(err, &ve) {
		t.Errorf("resource type: %v", err)
	}
	if _, err := aa.CheckAccessNotGranted(ctx, &accessanalyzer.CheckAccessNotGrantedInput{PolicyDocument: aws.String(existing), PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy,
		Access: []aatypes.Access{{Actions: []string{"s3:GetObject"}}, {Actions: []string{"s3:PutObject"}}}}); !errors.As(err, &ve) {
		t.Errorf("two access entries: %v", err)
	}
}

// A user without access-analyzer permissions is refused each operation.
func TestAccessAnalyzerValidateDenied(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	cfg := newUser(t, srv, "no-aa", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	aa := accessanalyzer.NewFromConfig(cfg)
	doc := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	calls := map[string]func() error{
		"ValidatePolicy": func() error {
			_, err := aa.ValidatePolicy(ctx, &accessanalyzer.ValidatePolicyInput{PolicyDocument: doc, PolicyType: aatypes.PolicyTypeIdentityPolicy})
			return err
		},
		"CheckNoNewAccess": func() error {
			_, err := aa.CheckNoNewAccess(ctx, &accessanalyzer.CheckNoNewAccessInput{ExistingPolicyDocument: doc, NewPolicyDocument: doc, PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy})
			return err
		},
		"CheckAccessNotGranted": func() error {
			_, err := aa.CheckAccessNotGranted(ctx, &accessanalyzer.CheckAccessNotGrantedInput{PolicyDocument: doc, PolicyType: aatypes.AccessCheckPolicyTypeIdentityPolicy, Access: []aatypes.Access{{Actions: []string{"s3:GetObject"}}}})
			return err
		},
		"CheckNoPublicAccess": func() error {
			_, err := aa.CheckNoPublicAccess(ctx, &accessanalyzer.CheckNoPublicAccessInput{PolicyDocument: doc, ResourceType: aatypes.AccessCheckResourceTypeS3Bucket})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "access-analyzer:"+name) {
			t.Errorf("%s: %v, want AccessDeniedException naming access-analyzer:%s", name, err, name)
		}
	}
}
