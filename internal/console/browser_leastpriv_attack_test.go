package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// lpTen are ten AWS managed policies: a role with all of them attached is
// at IAM's quota of attached managed policies.
var lpTen = []string{
	"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
	"arn:aws:iam::aws:policy/AmazonS3FullAccess",
	"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
	"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
	"arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
	"arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
	"arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess",
	"arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess",
	"arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
	"arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess",
}

// lpAttached is the role's attached policy ARNs, sorted as IAM lists them.
func lpAttached(t *testing.T, ic *iam.Client, role string) []string {
	t.Helper()
	out, err := ic.ListAttachedRolePolicies(context.Background(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, p := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}

// lpLocal is the names of the account's customer managed policies.
func lpLocal(t *testing.T, ic *iam.Client) []string {
	t.Helper()
	out, err := ic.ListPolicies(context.Background(), &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range out.Policies {
		names = append(names, aws.ToString(p.PolicyName))
	}
	return names
}

// TestConsoleLeastPrivilegeApplyRefused applies a policy to a role at its
// quota of ten attached policies: IAM's LimitExceeded is shown and the
// policy created is deleted again; ticking one of the ten for removal
// lets the new one take its place; applying again under a taken name
// shows EntityAlreadyExists and changes nothing.
func TestConsoleLeastPrivilegeApplyRefused(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(b.root)
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("lp-full"), AssumeRolePolicyDocument: aws.String(fnTrust)}); err != nil {
		t.Fatal(err)
	}
	for _, arn := range lpTen {
		if _, err := ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("lp-full"), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("AttachRolePolicy %s: %v", arn, err)
		}
	}
	before := lpAttached(t, ic, "lp-full")
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::lp-data/*"}]}`

	b.signInRoot(t)
	b.open(t, "/least-privilege?role=lp-full&since=1h")
	b.waitText(t, "main section", "The role was not used in the range.")
	b.click(t, "#lp-generate")
	b.waitText(t, ".lp-status", "succeeded")
	b.waitText(t, ".lp-generated", "the policy grants nothing")
	b.fill(t, "#lp-policy-1", doc)
	b.waitText(t, ".lp-current", "CloudWatchLogsReadOnlyAccess")

	b.click(t, "#lp-apply")
	b.click(t, "#lp-confirm")
	b.waitText(t, ".lp-result .error-code", "LimitExceeded")
	b.waitText(t, ".lp-result", "Nothing was changed")
	if got := lpAttached(t, ic, "lp-full"); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Errorf("after a refused apply the role has %v", got)
	}
	if got := lpLocal(t, ic); len(got) != 0 {
		t.Errorf("after a refused apply the account has the policies %v", got)
	}
	b.shot(t, "leastpriv-apply-limit")

	// Replacing one of the ten fits the quota.
	b.click(t, `.lp-current input[value="arn:aws:iam::aws:policy/AmazonS3FullAccess"]`)
	b.click(t, "#lp-apply")
	b.click(t, "#lp-confirm")
	b.waitText(t, ".lp-applied", "Applied")
	got := lpAttached(t, ic, "lp-full")
	if len(got) != 10 || strings.Contains(strings.Join(got, " "), "AmazonS3FullAccess") || !strings.Contains(strings.Join(got, " "), ":policy/lp-full-least-privilege") {
		t.Errorf("after the swap the role has %v", got)
	}

	// The list of the role's policies shows them as they are now.
	b.waitText(t, ".lp-current", "lp-full-least-privilege")
	if strings.Contains(b.text(t, ".lp-current"), "AmazonS3FullAccess") {
		t.Errorf("the role's policies still list the one detached:\n%s", b.text(t, ".lp-current"))
	}

	// A name another policy of the account has: AWS's error, and nothing
	// changes (the ticked policy is not detached).
	if _, err := ic.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String("lp-taken"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	b.fill(t, "#lp-name", "lp-taken")
	b.click(t, `.lp-current input[value="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]`)
	b.click(t, "#lp-apply")
	b.click(t, "#lp-confirm")
	b.waitText(t, ".lp-result .error-code", "EntityAlreadyExists")
	b.waitText(t, ".lp-result", "Nothing was changed")
	if again := lpAttached(t, ic, "lp-full"); strings.Join(again, " ") != strings.Join(got, " ") {
		t.Errorf("after EntityAlreadyExists the role has %v, had %v", again, got)
	}
}

// TestConsoleLeastPrivilegeGenerationFails: an access role that may not
// read the trail makes the generation job fail; its error code and
// reason are shown, as GetGeneratedPolicy gives them.
func TestConsoleLeastPrivilegeGenerationFails(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(b.root)
	for name, trust := range map[string]string{
		"lp-quiet":                 fnTrust,
		"rolecall-access-analyzer": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"access-analyzer.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	} {
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	b.signInRoot(t)
	b.open(t, "/least-privilege?role=lp-quiet&since=1h")
	b.waitText(t, "main section", "The role was not used in the range.")
	b.click(t, "#lp-generate")
	b.waitText(t, "main .error", "is not authorized to perform cloudtrail:GetTrail")
	if code := b.text(t, "main .error-code"); code != "AUTHORIZATION_ERROR" {
		t.Errorf("the failed generation shows the code %q, want the job's AUTHORIZATION_ERROR:\n%s", code, b.mainText())
	}
}
