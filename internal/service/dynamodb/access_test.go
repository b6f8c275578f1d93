package dynamodb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// roleSession makes a role named role with identity policy (none if ""),
// which an IAM user may assume, and returns the configuration of one of
// its sessions.
func roleSession(t testing.TB, srv *servertest.Server, role, identity string) aws.Config {
	t.Helper()
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	user := "assumer-" + role
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/` + user + `"},"Action":"sts:AssumeRole"}]}`
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if identity != "" {
		if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("identity"), PolicyDocument: aws.String(identity)}); err != nil {
			t.Fatal(err)
		}
	}
	userCfg := srv.Config(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	out, err := sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/" + role), RoleSessionName: aws.String("session")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// TestTablePolicyAllowsAndDenies: a role with no identity policy is
// allowed what the table's policy grants it, and nothing else; a Deny in
// the table's policy wins over the role's own Allow.
func TestTablePolicyAllowsAndDenies(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	root := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	tableARN := "arn:aws:dynamodb:us-east-1:123456789012:table/shared"
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/reader"},
		"Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"` + tableARN + `"}]}`
	in := keyTable("shared")
	in.ResourcePolicy = aws.String(allow)
	in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}
	created, err := root.CreateTable(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	item := map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1")}
	reader := dynamodb.NewFromConfig(roleSession(t, srv, "reader", ""))
	if _, err := reader.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shared"), Item: item}); err != nil {
		t.Fatalf("PutItem allowed by the table's policy: %v", err)
	}
	if _, err := reader.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("shared"), Key: item}); err != nil {
		t.Fatalf("GetItem allowed by the table's policy: %v", err)
	}
	_, err = reader.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("shared")})
	if code, msg := apiError(err); code != "AccessDeniedException" || !strings.Contains(msg, "dynamodb:DescribeTable") {
		t.Errorf("DescribeTable, not granted: %s %s", code, msg)
	}

	// The stream has a policy of its own: the table's does not govern it.
	streamARN := aws.ToString(created.TableDescription.LatestStreamArn)
	rs := dynamodbstreams.NewFromConfig(roleSession(t, srv, "streamer", ""))
	_, err = rs.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if code, _ := apiError(err); code != "AccessDeniedException" {
		t.Errorf("DescribeStream without a stream policy: %v", err)
	}
	streamPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/streamer"},
		"Action":["dynamodb:DescribeStream"],"Resource":"` + streamARN + `"}]}`
	if _, err := root.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(streamARN), Policy: aws.String(streamPolicy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)}); err != nil {
		t.Errorf("DescribeStream allowed by the stream's policy: %v", err)
	}

	writer := dynamodb.NewFromConfig(roleSession(t, srv, "writer",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}`))
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:role/writer"},
		"Action":"dynamodb:PutItem","Resource":"` + tableARN + `"}]}`
	if _, err := root.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(tableARN), Policy: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	_, err = writer.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shared"), Item: item})
	if code, msg := apiError(err); code != "AccessDeniedException" || !strings.Contains(msg, "explicit deny") {
		t.Errorf("PutItem denied by the table's policy: %s %s", code, msg)
	}
	if _, err := writer.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("shared"), Key: item}); err != nil {
		t.Errorf("GetItem allowed by the role's own policy: %v", err)
	}
	// The reader lost its grant with the policy it was in.
	_, err = reader.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("shared"), Key: item})
	if code, _ := apiError(err); code != "AccessDeniedException" {
		t.Errorf("GetItem after the policy changed: %v", err)
	}
}

func TestResourcePolicyRevisions(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	if _, err := client.CreateTable(ctx, keyTable("revs")); err != nil {
		t.Fatal(err)
	}
	arn := aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/revs")
	doc := func(action string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"` + action + `","Resource":"*"}]}`)
	}
	_, err := client.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: arn})
	if code, msg := apiError(err); code != "PolicyNotFoundException" || msg != "Resource-based policy not found for the provided ResourceArn: "+*arn {
		t.Errorf("GetResourcePolicy without one: %s %s", code, msg)
	}
	r1, err := client.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: arn, Policy: doc("dynamodb:*"), ExpectedRevisionId: aws.String("NO_POLICY")})
	if err != nil {
		t.Fatal(err)
	}
	same, err := client.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: arn, Policy: doc("dynamodb:*")})
	if err != nil || aws.ToString(same.RevisionId) != aws.ToString(r1.RevisionId) {
		t.Errorf("the same policy again: %v %v, want revision %s", aws.ToString(same.RevisionId), err, aws.ToString(r1.RevisionId))
	}
	r2, err := client.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: arn, Policy: doc("dynamodb:GetItem"), ExpectedRevisionId: r1.RevisionId})
	if err != nil || aws.ToString(r2.RevisionId) <= aws.ToString(r1.RevisionId) {
		t.Fatalf("PutResourcePolicy on the current revision: %v %v", r2, err)
	}
	_, err = client.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: arn, Policy: doc("dynamodb:PutItem"), ExpectedRevisionId: r1.RevisionId})
	want := "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id " + aws.ToString(r1.RevisionId) +
		", but the policy associated to target table revs has revision id " + aws.ToString(r2.RevisionId) + "."
	if code, msg := apiError(err); code != "PolicyNotFoundException" || msg != want {
		t.Errorf("stale revision: %s %q", code, msg)
	}
	_, err = client.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: arn, Policy: aws.String(`{"Statement":"nope"}`)})
	if code, _ := apiError(err); code != "ValidationException" {
		t.Errorf("malformed policy: %v", err)
	}
	got, err := client.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: arn})
	if err != nil || aws.ToString(got.RevisionId) != aws.ToString(r2.RevisionId) || !strings.Contains(aws.ToString(got.Policy), "dynamodb:GetItem") {
		t.Errorf("GetResourcePolicy: %+v %v", got, err)
	}
	if _, err := client.DeleteResourcePolicy(ctx, &dynamodb.DeleteResourcePolicyInput{ResourceArn: arn, ExpectedRevisionId: r2.RevisionId}); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: arn})
	if code, _ := apiError(err); code != "PolicyNotFoundException" {
		t.Errorf("GetResourcePolicy after delete: %v", err)
	}
	if _, err := client.DeleteResourcePolicy(ctx, &dynamodb.DeleteResourcePolicyInput{ResourceArn: arn}); err != nil {
		t.Errorf("DeleteResourcePolicy without a policy: %v", err)
	}
	_, err = client.DeleteResourcePolicy(ctx, &dynamodb.DeleteResourcePolicyInput{ResourceArn: arn, ExpectedRevisionId: r2.RevisionId})
	if code, _ := apiError(err); code != "PolicyNotFoundException" {
		t.Errorf("DeleteResourcePolicy of a revision gone: %v", err)
	}
	// A policy denying the root everything still lets it delete the policy.
	denyRoot := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"dynamodb:*","Resource":"*"}]}`)
	if _, err := client.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: arn, Policy: denyRoot}); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: arn})
	if code, _ := apiError(err); code != "AccessDeniedException" {
		t.Errorf("GetResourcePolicy denied to the root: %v", err)
	}
	if _, err := client.DeleteResourcePolicy(ctx, &dynamodb.DeleteResourcePolicyInput{ResourceArn: arn}); err != nil {
		t.Errorf("the root deletes a policy that denies it: %v", err)
	}
	_, err = client.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(*arn + "x")})
	if code, msg := apiError(err); code != "ResourceNotFoundException" || msg != "Requested resource not found: Table: revsx not found" {
		t.Errorf("GetResourcePolicy of a missing table: %s %s", code, msg)
	}
}

// TestCreateTableWithPolicyNeedsPutResourcePolicy: CreateTable with a
// ResourcePolicy is also authorized as dynamodb:PutResourcePolicy.
func TestCreateTableWithPolicyNeedsPutResourcePolicy(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	maker := dynamodb.NewFromConfig(roleSession(t, srv, "maker",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:CreateTable","Resource":"*"}]}`))
	ctx := context.Background()
	in := keyTable("guarded")
	in.ResourcePolicy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"dynamodb:GetItem","Resource":"*"}]}`)
	_, err := maker.CreateTable(ctx, in)
	if code, msg := apiError(err); code != "AccessDeniedException" || !strings.Contains(msg, "dynamodb:PutResourcePolicy") {
		t.Errorf("CreateTable with a policy, without PutResourcePolicy: %s %s", code, msg)
	}
	if _, err := maker.CreateTable(ctx, keyTable("guarded")); err != nil {
		t.Errorf("CreateTable without a policy: %v", err)
	}
}
