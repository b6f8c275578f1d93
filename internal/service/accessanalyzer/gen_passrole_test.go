package accessanalyzer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aa "github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// StartPolicyGeneration passes the access role to Access Analyzer, which
// assumes it: the caller needs iam:PassRole on it, with iam:PassedToService
// access-analyzer.amazonaws.com, as for any role handed to a service. A
// caller who may not pass it starts no job.
func TestPolicyGenerationPassRole(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	root := iam.NewFromConfig(srv.RootConfig())
	access := createRole(t, root, "analyzer", analyzerTrust,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:GetTrail","Resource":"`+trailARN+`"}]}`)
	createRole(t, root, "app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, "")
	user := func(name, doc string) *aa.Client {
		t.Helper()
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		cfg := srv.RootConfig()
		cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
		return aa.NewFromConfig(cfg)
	}
	from := time.Now().Add(-time.Hour)

	noPass := user("nopass", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"access-analyzer:*","Resource":"*"}]}`)
	_, err := start(ctx, noPass, access, appRole, trailARN, from, "")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "iam:PassRole") {
		t.Fatalf("without iam:PassRole: %v", err)
	}
	list, err := aa.NewFromConfig(srv.RootConfig()).ListPolicyGenerations(ctx, &aa.ListPolicyGenerationsInput{})
	if err != nil || len(list.PolicyGenerations) != 0 {
		t.Fatalf("jobs after a refused start: %+v %v", list, err)
	}

	// PassRole for another service is not PassRole for Access Analyzer.
	other := user("otherservice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"access-analyzer:*","Resource":"*"},`+
		`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`)
	if _, err := start(ctx, other, access, appRole, trailARN, from, ""); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("iam:PassRole for lambda only: %v", err)
	}

	allowed := user("passer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"access-analyzer:*","Resource":"*"},`+
		`{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+access+`","Condition":{"StringEquals":{"iam:PassedToService":"access-analyzer.amazonaws.com"}}}]}`)
	if _, err := start(ctx, allowed, access, appRole, trailARN, from, ""); err != nil {
		t.Fatalf("with iam:PassRole on the access role: %v", err)
	}
}
