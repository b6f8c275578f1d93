package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// sessionConfig returns a configuration with temporary credentials.
func sessionConfig(srv *servertest.Server, c *ststypes.Credentials) aws.Config {
	return srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// expiresIn reports whether t is d from now, give or take a minute.
func expiresIn(t time.Time, d time.Duration) bool {
	return t.Sub(time.Now().Add(d)).Abs() < time.Minute
}

// TestSessionKinds: each kind of credentials gets the rules AWS documents
// for it (STS API Reference, AssumeRole and GetSessionToken; IAM User
// Guide, Comparing the AWS STS credentials).
func TestSessionKinds(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	trustAccount := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("long"),
		AssumeRolePolicyDocument: aws.String(trustAccount), MaxSessionDuration: aws.Int32(43200)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("third"), AssumeRolePolicyDocument: aws.String(trustAccount)}); err != nil {
		t.Fatal(err)
	}
	// "plain" trusts the account for sts:AssumeRole only.
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("plain"), MaxSessionDuration: aws.Int32(43200),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	// The roles may assume each other.
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("long"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:*","iam:*"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	alice := newUser(t, srv, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:*","iam:*"],"Resource":"*"}]}`)
	long := aws.String("arn:aws:iam::123456789012:role/long")
	plain := aws.String("arn:aws:iam::123456789012:role/plain")

	// A user's long-term key: AssumeRole up to the role's maximum.
	out, err := sts.NewFromConfig(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: long, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if !expiresIn(aws.ToTime(out.Credentials.Expiration), 2*time.Hour) {
		t.Errorf("user's 2-hour session expires %v", out.Credentials.Expiration)
	}

	// GetSessionToken: 12 hours by default, at most 36 for a user.
	gst, err := sts.NewFromConfig(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !expiresIn(aws.ToTime(gst.Credentials.Expiration), 12*time.Hour) {
		t.Errorf("user's default session token expires %v", gst.Credentials.Expiration)
	}
	if out, err := sts.NewFromConfig(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)}); err != nil {
		t.Fatal(err)
	} else if !expiresIn(aws.ToTime(out.Credentials.Expiration), 36*time.Hour) {
		t.Errorf("36-hour session token expires %v", out.Credentials.Expiration)
	}
	_, err = sts.NewFromConfig(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
	if msg := apiError(t, err, "ValidationError"); msg != "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600" {
		t.Errorf("GetSessionToken over 36 hours: %s", msg)
	}
	tokenCfg := sessionConfig(srv, gst.Credentials)
	tokenSTS := sts.NewFromConfig(tokenCfg)

	// Its credentials assume a role as a chain does: one hour at most.
	_, err = tokenSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: long, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	if msg := apiError(t, err, "ValidationError"); msg != "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining." {
		t.Errorf("AssumeRole for 2 hours with GetSessionToken credentials: %s", msg)
	}
	out, err = tokenSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: long, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatal(err)
	}
	if !expiresIn(aws.ToTime(out.Credentials.Expiration), time.Hour) {
		t.Errorf("one-hour session expires %v", out.Credentials.Expiration)
	}
	// They name the user.
	who, err := tokenSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:iam::123456789012:user/alice" {
		t.Errorf("GetCallerIdentity with GetSessionToken credentials: %s", aws.ToString(who.Arn))
	}
	// No other STS operation, and no IAM operation without MFA.
	_, err = tokenSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if msg := apiError(t, err, "AccessDenied"); msg != "Cannot call GetSessionToken with session credentials" {
		t.Errorf("GetSessionToken with GetSessionToken credentials: %s", msg)
	}
	_, err = tokenSTS.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: gst.Credentials.AccessKeyId})
	if msg := apiError(t, err, "AccessDenied"); msg != "Cannot call GetAccessKeyInfo with session credentials" {
		t.Errorf("GetAccessKeyInfo with GetSessionToken credentials: %s", msg)
	}
	for name, call := range map[string]func(*iam.Client) error{
		"ListRoles": func(c *iam.Client) error { _, err := c.ListRoles(ctx, &iam.ListRolesInput{}); return err },
		"GetUser":   func(c *iam.Client) error { _, err := c.GetUser(ctx, &iam.GetUserInput{}); return err },
		"CreateRole": func(c *iam.Client) error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(trustAccount)})
			return err
		},
	} {
		if msg := apiError(t, call(iam.NewFromConfig(tokenCfg)), "InvalidClientTokenId"); msg != "The security token included in the request is invalid" {
			t.Errorf("IAM %s with GetSessionToken credentials: %s", name, msg)
		}
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("x")}); err == nil {
		t.Error("CreateRole with GetSessionToken credentials created the role")
	}

	// A role session: a chain is one hour at most; no GetSessionToken; IAM
	// as its policies allow.
	roleCfg := sessionConfig(srv, out.Credentials)
	_, err = sts.NewFromConfig(roleCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: plain, RoleSessionName: aws.String("c1"), DurationSeconds: aws.Int32(3601)})
	if msg := apiError(t, err, "ValidationError"); msg != "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining." {
		t.Errorf("chained AssumeRole over an hour: %s", msg)
	}
	_, err = sts.NewFromConfig(roleCfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if msg := apiError(t, err, "AccessDenied"); msg != "Cannot call GetSessionToken with session credentials" {
		t.Errorf("GetSessionToken with role credentials: %s", msg)
	}
	if _, err := iam.NewFromConfig(roleCfg).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Errorf("IAM with role credentials: %v", err)
	}

	// The root user: GetSessionToken for one hour at most, never AssumeRole,
	// not even with its session token.
	rootGST, err := sts.NewFromConfig(srv.RootConfig()).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if !expiresIn(aws.ToTime(rootGST.Credentials.Expiration), time.Hour) {
		t.Errorf("root's session token expires %v", rootGST.Credentials.Expiration)
	}
	for name, cfg := range map[string]aws.Config{"root key": srv.RootConfig(), "root session token": sessionConfig(srv, rootGST.Credentials)} {
		_, err = sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: long, RoleSessionName: aws.String("r1")})
		if msg := apiError(t, err, "AccessDenied"); msg != "Roles may not be assumed by root accounts." {
			t.Errorf("AssumeRole with the %s: %s", name, msg)
		}
	}

	// A source identity, once set, passes along the chain and cannot change;
	// passing it on needs sts:SetSourceIdentity from the next role's trust.
	si, err := sts.NewFromConfig(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: long, RoleSessionName: aws.String("si"), SourceIdentity: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	siSTS := sts.NewFromConfig(sessionConfig(srv, si.Credentials))
	_, err = siSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: plain, RoleSessionName: aws.String("next")})
	if msg := apiError(t, err, "AccessDenied"); msg != "User: arn:aws:sts::123456789012:assumed-role/long/si is not authorized to perform: sts:SetSourceIdentity on resource: arn:aws:iam::123456789012:role/plain" {
		t.Errorf("chain without sts:SetSourceIdentity in the next trust policy: %s", msg)
	}
	third := aws.String("arn:aws:iam::123456789012:role/third")
	next, err := siSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: third, RoleSessionName: aws.String("next")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(next.SourceIdentity) != "alice" {
		t.Errorf("chained source identity %q", aws.ToString(next.SourceIdentity))
	}
	_, err = siSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: third, RoleSessionName: aws.String("next"), SourceIdentity: aws.String("bob")})
	apiError(t, err, "InvalidParameterValue")
}
