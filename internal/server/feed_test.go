package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// prefixPolicy allows reading the roles whose names start with the
// caller's team tag, as in issue 8.
const prefixPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/${aws:PrincipalTag/team}*"}]}`

// tagChangeSetup makes roles red-app and blue-app and a role "team" tagged
// team=red with prefixPolicy, and returns a client of an open session of
// "team" on srv (the session has read red-app once) and a root IAM client.
func tagChangeSetup(t *testing.T, srv *servertest.Server) (session *iam.Client, admin *iam.Client) {
	t.Helper()
	ctx := context.Background()
	admin = iam.NewFromConfig(srv.RootConfig())
	for _, name := range []string{"red-app", "blue-app"} {
		if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(lambdaTrust)}); err != nil {
			t.Fatal(err)
		}
	}
	userCfg := newUser(t, srv, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":"sts:AssumeRole"}]}`
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("team"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("team"), PolicyName: aws.String("by-team"), PolicyDocument: aws.String(prefixPolicy)}); err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/team"), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session = iam.NewFromConfig(srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	if _, err := session.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("red-app")}); err != nil {
		t.Fatalf("session of a role tagged team=red, red-app: %v", err)
	}
	apiError(t, getRoleErr(session, "blue-app"), "AccessDenied")
	return session, admin
}

func getRoleErr(c *iam.Client, name string) error {
	_, err := c.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	return err
}

// retagAndWait tags the role "team" team=blue through admin and waits, at
// most a second, until session is denied red-app and allowed blue-app.
func retagAndWait(t *testing.T, session, admin *iam.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := admin.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("team"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		redErr, blueErr := getRoleErr(session, "red-app"), getRoleErr(session, "blue-app")
		if redErr != nil && blueErr == nil {
			apiError(t, redErr, "AccessDenied")
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a second after the role was tagged team=blue: red-app: %v; blue-app: %v", redErr, blueErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRoleTagChangeReachesOpenSession: an open session's aws:PrincipalTag
// follows its role's tags within a second (issue 8).
func TestRoleTagChangeReachesOpenSession(t *testing.T) {
	srv := servertest.Start(t)
	session, admin := tagChangeSetup(t, srv)
	retagAndWait(t, session, admin)
}

// TestRoleTagChangeReachesOtherNode: two servers share one database; a
// role's tags changed through one reach the sessions open on the other
// within a second, through the change feed, and so does the removal of
// the role's policy.
func TestRoleTagChangeReachesOtherNode(t *testing.T) {
	a := servertest.Start(t)
	b := servertest.StartWith(t, servertest.Options{DataDir: a.DataDir})
	session, _ := tagChangeSetup(t, b)
	adminA := iam.NewFromConfig(a.RootConfig())
	retagAndWait(t, session, adminA)

	if _, err := adminA.DeleteRolePolicy(context.Background(), &iam.DeleteRolePolicyInput{
		RoleName: aws.String("team"), PolicyName: aws.String("by-team")}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := getRoleErr(session, "blue-app")
		if err != nil {
			apiError(t, err, "AccessDenied")
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a second after the role's policy was deleted on another node, its session is still allowed")
		}
	}
}

// TestKeyDeactivationReachesOtherNode: an access key made inactive through
// one server is refused by another sharing the database within a second,
// though the other had it cached.
func TestKeyDeactivationReachesOtherNode(t *testing.T) {
	ctx := context.Background()
	a := servertest.Start(t)
	b := servertest.StartWith(t, servertest.Options{DataDir: a.DataDir})
	cfg := newUser(t, a, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	onB := sts.NewFromConfig(b.Config(creds.AccessKeyID, creds.SecretAccessKey, ""))
	if _, err := onB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("a key made on another node: %v", err)
	}
	if _, err := iam.NewFromConfig(a.RootConfig()).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String("dev"), AccessKeyId: aws.String(creds.AccessKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := onB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			apiError(t, err, "InvalidClientTokenId")
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a second after the key was made inactive on another node, it is still accepted")
		}
	}
}
