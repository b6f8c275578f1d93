package kinesis_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// tenant makes a member account in the server's organization and returns
// a Kinesis client of its OrganizationAccountAccessRole (an administrator
// of the member account) and the member's account ID.
func tenant(t *testing.T, s *servertest.Server) (*kinesis.Client, string) {
	t.Helper()
	ctx := context.Background()
	orgs := organizations.NewFromConfig(s.RootConfig())
	if _, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	acct, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("tenant"), Email: aws.String("tenant@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: acct.CreateAccountStatus.Id})
	if err != nil || st.CreateAccountStatus.AccountId == nil {
		t.Fatalf("account: %+v %v", st, err)
	}
	member := aws.ToString(st.CreateAccountStatus.AccountId)
	// Roles are not assumed by root: an administrator of the management
	// account assumes the member's access role.
	iamc := awsiam.NewFromConfig(s.RootConfig())
	if _, err := iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	k, err := iamc.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ops")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := sts.NewFromConfig(s.Config(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")})
	if err != nil {
		t.Fatal(err)
	}
	c := role.Credentials
	return kinesis.NewFromConfig(s.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))), member
}

// TestPolicyOwnerOnly: a stream's resource policy that grants another
// account kinesis:* lets it read the stream, but never rewrite or delete
// the policy: only identities of the owner's account may (Kinesis API
// Reference, PutResourcePolicy).
func TestPolicyOwnerOnly(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()
	root := client(s)
	other, member := tenant(t, s)
	create(t, root, "shared", 1)
	arn := "arn:aws:kinesis:" + s.Region() + ":" + accountOf(t, s) + ":stream/shared"
	grant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"kinesis:*","Resource":"` + arn + `"}]}`
	if _, err := root.PutResourcePolicy(ctx, &kinesis.PutResourcePolicyInput{ResourceARN: aws.String(arn), Policy: aws.String(grant)}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamARN: aws.String(arn)}); err != nil {
		t.Fatalf("the granted account reads the stream: %v", err)
	}
	open := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kinesis:*","Resource":"` + arn + `"}]}`
	_, err := other.PutResourcePolicy(ctx, &kinesis.PutResourcePolicyInput{ResourceARN: aws.String(arn), Policy: aws.String(open)})
	if cd, _ := code(t, err); cd != "AccessDeniedException" {
		t.Fatalf("PutResourcePolicy from another account: %v", err)
	}
	_, err = other.DeleteResourcePolicy(ctx, &kinesis.DeleteResourcePolicyInput{ResourceARN: aws.String(arn)})
	if cd, _ := code(t, err); cd != "AccessDeniedException" {
		t.Fatalf("DeleteResourcePolicy from another account: %v", err)
	}
	got, err := root.GetResourcePolicy(ctx, &kinesis.GetResourcePolicyInput{ResourceARN: aws.String(arn)})
	if err != nil || *got.Policy != grant {
		t.Fatalf("the policy after the refused calls: %v %v", err, got.Policy)
	}

	// An iterator the other account obtained reads no more once the
	// owner's policy stops granting GetRecords.
	it, err := other.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(arn), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, StreamARN: aws.String(arn)}); err != nil {
		t.Fatalf("GetRecords granted: %v", err)
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"kinesis:*","Resource":"` + arn + `"},` +
		`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"kinesis:GetRecords","Resource":"` + arn + `"}]}`
	if _, err := root.PutResourcePolicy(ctx, &kinesis.PutResourcePolicyInput{ResourceARN: aws.String(arn), Policy: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	_, err = other.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, StreamARN: aws.String(arn)})
	if cd, _ := code(t, err); cd != "AccessDeniedException" {
		t.Fatalf("GetRecords after the owner's Deny: %v", err)
	}
}
