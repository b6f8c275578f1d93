package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/sigv4"
)

const lambdaTrust = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`

// apiError asserts err is an AWS error with code and returns its message.
func apiError(t *testing.T, err error, code string) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	return ae.ErrorMessage()
}

func TestGetCallerIdentityRoot(t *testing.T) {
	srv := servertest.Start(t)
	out, err := sts.NewFromConfig(srv.RootConfig()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::123456789012:root"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if got := aws.ToString(out.Account); got != "123456789012" {
		t.Errorf("Account = %s", got)
	}
}

func TestSignatureFailures(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	root := srv.Root()

	_, err := sts.NewFromConfig(srv.Config(root.AccessKeyID, root.SecretAccessKey+"x", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	msg := apiError(t, err, "SignatureDoesNotMatch")
	if !strings.HasPrefix(msg, "The request signature we calculated does not match") {
		t.Errorf("message %q", msg)
	}
	_, err = iam.NewFromConfig(srv.Config("AKIAUNKNOWNUNKNOWN12", "secret", "")).ListRoles(ctx, &iam.ListRolesInput{})
	if msg := apiError(t, err, "InvalidClientTokenId"); msg != "The security token included in the request is invalid." {
		t.Errorf("message %q", msg)
	}

	// A request signed 20 minutes ago is outside the window.
	req, _ := http.NewRequest("POST", srv.Endpoint()+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	if err := sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}, "us-east-1", "sts", time.Now().Add(-20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("skewed request: status %d, want 403", resp.StatusCode)
	}

	// Unsigned requests are refused.
	resp, err = http.PostForm(srv.Endpoint()+"/", url.Values{"Action": {"ListRoles"}, "Version": {"2010-05-08"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("unsigned request: status %d, want 403", resp.StatusCode)
	}
}

func TestUnknownOperationAfterAuthentication(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Root()
	body := []byte("Action=CreateSAMLProviderNope&Version=2010-05-08")
	req, _ := http.NewRequest("POST", srv.Endpoint()+"/", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}, "us-east-1", "iam", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}

func TestRestrictedUserAndTrail(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("lambda-ex"), AssumeRolePolicyDocument: aws.String(lambdaTrust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	alice := iam.NewFromConfig(srv.Config(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
	if _, err := alice.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("lambda-ex")}); err != nil {
		t.Fatalf("allowed call: %v", err)
	}
	_, err = alice.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("lambda-ex")})
	msg := apiError(t, err, "AccessDenied")
	want := "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:DeleteRole on resource: arn:aws:iam::123456789012:role/lambda-ex because no identity-based policy allows the iam:DeleteRole action"
	if msg != want {
		t.Errorf("AccessDenied message\n got %s\nwant %s", msg, want)
	}
	// The role is still there: a denied call changes nothing.
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("lambda-ex")}); err != nil {
		t.Fatal(err)
	}

	ct := cloudtrail.NewFromConfig(srv.RootConfig())
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
		AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("DeleteRole")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 1 {
		t.Fatalf("DeleteRole events: %d, want 1", len(out.Events))
	}
	ev := aws.ToString(out.Events[0].CloudTrailEvent)
	for _, s := range []string{`"errorCode":"AccessDenied"`, `"userName":"alice"`, `"eventSource":"iam.amazonaws.com"`, `"eventVersion":"1.11"`} {
		if !strings.Contains(ev, s) {
			t.Errorf("event lacks %s: %s", s, ev)
		}
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var root [2]string
	func() {
		srv := servertest.StartWith(t, servertest.Options{DataDir: dir})
		if _, err := iam.NewFromConfig(srv.RootConfig()).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("kept"), AssumeRolePolicyDocument: aws.String(lambdaTrust)}); err != nil {
			t.Fatal(err)
		}
		root = [2]string{srv.Root().AccessKeyID, srv.Root().SecretAccessKey}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}()
	srv := servertest.StartWith(t, servertest.Options{DataDir: dir})
	if srv.Root().AccessKeyID != root[0] || srv.Root().SecretAccessKey != root[1] {
		t.Fatal("root credentials changed across a restart")
	}
	if _, err := iam.NewFromConfig(srv.RootConfig()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
}
