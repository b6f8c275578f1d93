package server_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

func proxiedNode(t *testing.T) (*servertest.Server, *server.DBProxy) {
	_, b, p := directAndProxiedNodes(t)
	return b, p
}

// directAndProxiedNodes starts two nodes on one database: a reaches it
// directly, b through a proxy that can cut it.
func directAndProxiedNodes(t *testing.T) (a, b *servertest.Server, p *server.DBProxy) {
	raw := pgtest.URL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p = server.NewDBProxy(t, u.Host)
	u.Host = p.Addr()
	key := base64.StdEncoding.EncodeToString(crypt.NewKey())
	a = servertest.StartWith(t, servertest.Options{DatabaseURL: raw, ServerKey: key})
	b = servertest.StartWith(t, servertest.Options{DatabaseURL: u.String(), ServerKey: key})
	return a, b, p
}

// awsErrorWithin calls call with no deadline of its own and fails t
// unless it returns an AWS error with a 5xx code within d: an outage of
// the database must not hang a request.
func awsErrorWithin(t *testing.T, d time.Duration, what string, call func(ctx context.Context) error) {
	t.Helper()
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("%s during the outage: %v, want an AWS error", what, err)
		}
		switch ae.ErrorCode() {
		case "InternalFailure", "ServiceUnavailable", "ServiceFailure", "ServiceUnavailableException", "InternalError":
		default:
			t.Fatalf("%s during the outage: %s, want InternalFailure or ServiceUnavailable", what, ae.ErrorCode())
		}
	case <-time.After(d):
		t.Fatalf("%s during the outage: no answer within %v", what, d)
	}
}

// TestDatabaseDownAnswersAWSErrors: while the shared database refuses
// connections, requests that need it get an AWS 5xx error, and once it is
// back the node serves again without a restart.
func TestDatabaseDownAnswersAWSErrors(t *testing.T) {
	srv, p := proxiedNode(t)
	client := iam.NewFromConfig(srv.RootConfig(), func(o *iam.Options) { o.RetryMaxAttempts = 1 })
	ctx := context.Background()
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("before"), AssumeRolePolicyDocument: aws.String(lambdaTrust)}); err != nil {
		t.Fatal(err)
	}
	p.Set("refuse")
	awsErrorWithin(t, time.Minute, "CreateRole", func(ctx context.Context) error {
		_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("during"), AssumeRolePolicyDocument: aws.String(lambdaTrust)})
		return err
	})
	awsErrorWithin(t, time.Minute, "ListRoles", func(ctx context.Context) error {
		_, err := client.ListRoles(ctx, &iam.ListRolesInput{})
		return err
	})
	p.Set("")
	within(t, 30*time.Second, "CreateRole after the database is back", func() error {
		_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("after"), AssumeRolePolicyDocument: aws.String(lambdaTrust)})
		return err
	})
}

// TestDatabaseUnreachableAnswersAWSErrors: when the network to the shared
// database is lost (nothing comes back, no connection is closed), requests
// that need it still get an AWS 5xx error rather than hanging.
func TestDatabaseUnreachableAnswersAWSErrors(t *testing.T) {
	srv, p := proxiedNode(t)
	client := iam.NewFromConfig(srv.RootConfig(), func(o *iam.Options) { o.RetryMaxAttempts = 1 })
	ctx := context.Background()
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("before"), AssumeRolePolicyDocument: aws.String(lambdaTrust)}); err != nil {
		t.Fatal(err)
	}
	p.Blackhole()
	// The connections open are cut first; the calls after them need new
	// ones, which get no answer.
	for i := range 2 {
		awsErrorWithin(t, 2*time.Minute, "CreateRole", func(ctx context.Context) error {
			_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("during" + string(rune('a'+i))), AssumeRolePolicyDocument: aws.String(lambdaTrust)})
			return err
		})
	}
	p.Set("refuse") // lets the node shut down
}

// TestDatabaseDownSessionKeepsRoleTags: a role session presented to a node
// that cannot read the role (its database down) is refused with an AWS 5xx
// error, not opened without the role's tags: aws:PrincipalTag would then
// be missing, and a Deny conditioned on it would not apply.
func TestDatabaseDownSessionKeepsRoleTags(t *testing.T) {
	ctx := context.Background()
	a, b, p := directAndProxiedNodes(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	role, err := iam.NewFromConfig(a.RootConfig()).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged"),
		AssumeRolePolicyDocument: aws.String(trust), Tags: []iamtypes.Tag{{Key: aws.String("restricted"), Value: aws.String("true")}}})
	if err != nil {
		t.Fatal(err)
	}
	user := newUser(t, a, "assumer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	out, err := sts.NewFromConfig(user).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("outage")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	client := sts.NewFromConfig(b.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)),
		func(o *sts.Options) { o.RetryMaxAttempts = 1 })
	p.Set("refuse")
	awsErrorWithin(t, time.Minute, "GetCallerIdentity with a role session", func(ctx context.Context) error {
		_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	})
	p.Set("")
	within(t, 30*time.Second, "GetCallerIdentity after the database is back", func() error {
		_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	})
}
