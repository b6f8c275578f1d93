package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// signedPost sends a query-protocol request signed at now.
func signedPost(t *testing.T, endpoint, service, body string, creds sigv4.Credentials, now time.Time) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", endpoint+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := sigv4.Sign(req, []byte(body), creds, "us-east-1", service, now); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSessionExpiresWithExpiredToken(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	srv := servertest.StartWith(t, servertest.Options{Now: now})
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("short"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	_, err := sts.NewFromConfig(srv.RootConfig()).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/short"), RoleSessionName: aws.String("s1")})
	if msg := apiError(t, err, "AccessDenied"); msg != "Roles may not be assumed by root accounts." {
		t.Errorf("root AssumeRole: %s", msg)
	}
	user := newUser(t, srv, "bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	out, err := sts.NewFromConfig(user).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/short"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	// IAM notes the use: GetRole shows RoleLastUsed.
	got, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("short")})
	if err != nil {
		t.Fatal(err)
	}
	if lu := got.Role.RoleLastUsed; lu == nil || lu.LastUsedDate == nil || aws.ToString(lu.Region) != "us-east-1" {
		t.Errorf("RoleLastUsed after AssumeRole: %+v", lu)
	}
	creds := sigv4.Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
	}
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	if code, resp := signedPost(t, srv.Endpoint(), "sts", body, creds, now()); code != 200 ||
		!strings.Contains(resp, "arn:aws:sts::123456789012:assumed-role/short/s1") {
		t.Fatalf("fresh session: %d %s", code, resp)
	}
	// Sixteen minutes on, the 15-minute session has expired.
	offset.Store(int64(16 * time.Minute))
	code, resp := signedPost(t, srv.Endpoint(), "sts", body, creds, now())
	if code != 400 || !strings.Contains(resp, "<Code>ExpiredToken</Code>") ||
		!strings.Contains(resp, "The security token included in the request is expired") {
		t.Fatalf("expired session: %d %s", code, resp)
	}
	// A token sealed for one key id does not work with another.
	other := creds
	other.AccessKeyID = "ASIAAAAAAAAAAAAAAAAA"
	offset.Store(0)
	if code, resp := signedPost(t, srv.Endpoint(), "sts", body, other, now()); code != 403 || !strings.Contains(resp, "InvalidClientTokenId") {
		t.Fatalf("token with another key id: %d %s", code, resp)
	}
}

// newUser creates an IAM user with an inline policy and returns a
// configuration with its access key.
func newUser(t *testing.T, srv *servertest.Server, name, policyDoc string) aws.Config {
	t.Helper()
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policyDoc)}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Config(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
}

func TestPresignedQuery(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Root()
	creds := sigv4.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	u, err := sigv4.Presign("GET", srv.Endpoint()+"/?Action=GetCallerIdentity&Version=2011-06-15", creds, "us-east-1", "sts", 5*time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(u); code != 200 || !strings.Contains(body, "arn:aws:iam::123456789012:root") {
		t.Fatalf("presigned: %d %s", code, body)
	}
	old, err := sigv4.Presign("GET", srv.Endpoint()+"/?Action=GetCallerIdentity&Version=2011-06-15", creds, "us-east-1", "sts", time.Minute, time.Now().Add(-10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// STS ends a presigned request 15 minutes after X-Amz-Date, not at
	// X-Amz-Expires.
	if code, body := get(old); code != 200 {
		t.Fatalf("presigned ten minutes ago for one: %d %s", code, body)
	}
	if code, body := get(strings.Replace(u, "GetCallerIdentity", "GetSessionToken", 1)); code != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Fatalf("tampered presign: %d %s", code, body)
	}
}
