package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// The tests of this file run two or three nodes on one PostgreSQL
// database (servertest.Nodes); they are skipped without a test database.

// within polls check every 20ms until it returns nil, failing t with the
// last error after d.
func within(t *testing.T, d time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNodesUserMadeOnOneSignsToAnother: an IAM user and access key made
// on node A sign a request to node B at once.
func TestNodesUserMadeOnOneSignsToAnother(t *testing.T) {
	nodes := servertest.Nodes(t, 2)
	a, b := nodes[0], nodes[1]
	cfg := newUser(t, a, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(b.Config(creds.AccessKeyID, creds.SecretAccessKey, "")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("a key made on node A, on node B: %v", err)
	}
	if got := aws.ToString(out.Arn); got != "arn:aws:iam::123456789012:user/dev" {
		t.Errorf("caller on node B = %s", got)
	}
	// The root credentials are the same on every node: made by the first.
	if a.Root() != b.Root() {
		t.Errorf("root credentials differ between nodes: %s and %s", a.Root().AccessKeyID, b.Root().AccessKeyID)
	}
}

// TestNodesPolicyDetachReachesOtherNode: a managed policy detached on
// node A stops allowing on node B within a second, though B had used it.
func TestNodesPolicyDetachReachesOtherNode(t *testing.T) {
	ctx := context.Background()
	nodes := servertest.Nodes(t, 2)
	a, b := nodes[0], nodes[1]
	admin := iam.NewFromConfig(a.RootConfig())
	cfg := newUser(t, a, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)
	pol, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("list-roles"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	onB := iam.NewFromConfig(b.Config(creds.AccessKeyID, creds.SecretAccessKey, ""))
	if _, err := onB.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles on node B with the policy attached on A: %v", err)
	}
	if _, err := admin.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("reader"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "the policy detached on A denies on B", func() error {
		_, err := onB.ListRoles(ctx, &iam.ListRolesInput{})
		if err == nil {
			return errString("still allowed")
		}
		apiError(t, err, "AccessDenied")
		return nil
	})
}

type errString string

func (e errString) Error() string { return string(e) }

// TestNodesRoleTagChangeReachesSessions: the tag-change case
// across two nodes on PostgreSQL: a session open on B follows its role's
// tags changed on A within a second.
func TestNodesRoleTagChangeReachesSessions(t *testing.T) {
	nodes := servertest.Nodes(t, 2)
	session, _ := tagChangeSetup(t, nodes[1])
	retagAndWait(t, session, iam.NewFromConfig(nodes[0].RootConfig()))
}

// TestNodesFunctionMadeOnOneRunsOnAnother: a function created on node A is
// invoked on node B after A is gone, and runs on B as its role, with B's
// environment-bound endpoint. An update on A retires the environments of
// the old configuration on every node, and their credentials, revoked at
// teardown, are refused on every node.
func TestNodesFunctionMadeOnOneRunsOnAnother(t *testing.T) {
	ctx := context.Background()
	nodes := servertest.Nodes(t, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	sa := &lambdaSuite{srv: a, iam: iam.NewFromConfig(a.RootConfig()), lambda: lambda.NewFromConfig(a.RootConfig())}
	sb := &lambdaSuite{srv: b, iam: iam.NewFromConfig(b.RootConfig()), lambda: lambda.NewFromConfig(b.RootConfig())}
	const name, roleName = "made-on-a", "nodes-role"
	role := sa.role(t, roleName, lambdaTrust)
	sa.create(t, goFunction(t, name, role))

	// Credentials of an environment on A work on C, until an update on A
	// tears the environment down.
	onA := sa.envCredentials(t, name)
	whoami := func(srv *servertest.Server, cr credentials) error {
		_, err := sts.NewFromConfig(srv.Config(cr.id, cr.secret, cr.token)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	if err := whoami(c, onA); err != nil {
		t.Fatalf("credentials of an environment on A, on C: %v", err)
	}
	// B runs the function too: the update on A retires B's environment of
	// the old configuration as well, revoking its credentials.
	onB := sb.envCredentials(t, name)
	if onB.id == onA.id {
		t.Fatal("environments on two nodes share credentials")
	}
	sa.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"STAGE": "two"}}})
	within(t, time.Second+pollTimeout, "credentials revoked on A are refused on C", func() error {
		err := whoami(c, onA)
		if err == nil {
			return errString("still accepted")
		}
		apiError(t, err, "InvalidClientTokenId")
		return nil
	})
	within(t, time.Second+pollTimeout, "B's environment of the old configuration retires", func() error {
		err := whoami(c, onB)
		if err == nil {
			return errString("still accepted")
		}
		apiError(t, err, "InvalidClientTokenId")
		return nil
	})

	// A goes away; B runs the function from the shared store.
	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Shutdown(shutdownCtx); err != nil {
		t.Fatal(err)
	}
	got := sb.call(t, name, map[string]any{"action": "whoami"})
	if got["arn"] != assumedRoleARN(roleName, name) {
		t.Errorf("GetCallerIdentity inside the function on B = %v", got)
	}
	env := sb.call(t, name, map[string]any{"action": "env", "names": []string{"STAGE", "AWS_ENDPOINT_URL"}})
	if env["STAGE"] != "two" {
		t.Errorf("STAGE on B = %v", env["STAGE"])
	}
	ep := str(env["AWS_ENDPOINT_URL"])
	if !strings.HasPrefix(ep, "http://127.0.0.1:") || ep == a.Endpoint() || ep == b.Endpoint() {
		t.Errorf("AWS_ENDPOINT_URL on B = %q: want an environment-bound listener of its own", ep)
	}
}

// TestNodesTrailShowsEveryNode: lookup-events on any node shows the calls
// made on every node.
func TestNodesTrailShowsEveryNode(t *testing.T) {
	ctx := context.Background()
	nodes := servertest.Nodes(t, 2)
	for i, n := range nodes {
		name := []string{"made-on-a", "made-on-b"}[i]
		if _, err := iam.NewFromConfig(n.RootConfig()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		n.Recorder().Flush(ctx)
	}
	for i, n := range nodes {
		ct := cloudtrail.NewFromConfig(n.RootConfig())
		within(t, pollTimeout, "CreateUser events of both nodes", func() error {
			out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
				AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateUser")}}})
			if err != nil {
				t.Fatalf("LookupEvents on node %d: %v", i, err)
			}
			seen := map[string]bool{}
			for _, e := range out.Events {
				for _, r := range e.Resources {
					seen[aws.ToString(r.ResourceName)] = true
				}
			}
			if !seen["arn:aws:iam::123456789012:user/made-on-a"] || !seen["arn:aws:iam::123456789012:user/made-on-b"] {
				return errString("seen " + strings.Join(keysOf(seen), ","))
			}
			return nil
		})
	}
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestNodesReservedConcurrency: a function's reserved concurrency holds
// across nodes: while it runs on A, an invoke on B is throttled as Lambda
// throttles, and succeeds once A's invocation is over.
func TestNodesReservedConcurrency(t *testing.T) {
	ctx := context.Background()
	nodes := servertest.Nodes(t, 2)
	a, b := nodes[0], nodes[1]
	sa := &lambdaSuite{srv: a, iam: iam.NewFromConfig(a.RootConfig()), lambda: lambda.NewFromConfig(a.RootConfig())}
	const name = "one-at-a-time"
	sa.create(t, goFunction(t, name, sa.role(t, "reserved-role", lambdaTrust)))
	if _, err := sa.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	onB := lambda.NewFromConfig(b.RootConfig())
	// Warm both: the race below is about running, not starting.
	for _, c := range []*lambda.Client{sa.lambda, onB} {
		if _, err := invoke(c, name, map[string]any{"action": "echo"}); err != nil {
			t.Fatal(err)
		}
	}

	running := make(chan error, 1)
	go func() {
		for {
			out, err := invoke(sa.lambda, name, map[string]any{"action": "sleep", "ms": 8000})
			var ae smithy.APIError
			if errors.As(err, &ae) && ae.ErrorCode() == "TooManyRequestsException" {
				time.Sleep(5 * time.Millisecond) // one of B's held the only slot
				continue
			}
			if err == nil && out.FunctionError != nil {
				err = errString(string(out.Payload))
			}
			running <- err
			return
		}
	}()
	// B invokes again and again while A's invocation runs: one of B's
	// must fall within A's, and be throttled.
	throttled := false
	for !throttled {
		select {
		case err := <-running:
			if err != nil {
				t.Fatalf("the invocation on A: %v", err)
			}
			t.Fatal("A's invocation ended and B ran the function all along")
		default:
		}
		_, err := invoke(onB, name, map[string]any{"action": "echo"})
		if err != nil {
			if msg := apiError(t, err, "TooManyRequestsException"); !strings.Contains(msg, "Rate Exceeded") {
				t.Errorf("throttle message %q", msg)
			}
			throttled = true
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := <-running; err != nil {
		t.Fatalf("the invocation on A: %v", err)
	}
	if _, err := invoke(onB, name, map[string]any{"action": "echo"}); err != nil {
		t.Fatalf("B after A's invocation ended: %v", err)
	}
}
