package gateway

import (
	"context"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// TestAuthorizeOnly: an AuthorizeOnly call is authorized like the call
// itself but never reaches the handler; one to a service rolecall does not
// serve checks the action and resource it names.
func TestAuthorizeOnly(t *testing.T) {
	const (
		member = "111111111111"
		full   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
		deny   = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["sqs:DeleteMessage","kafka:DescribeClusterV2"],"Resource":"*"}]}`
	)
	o := orgs{member: {OrgID: "o-exampleorg", Paths: "o-exampleorg/r-ab12/", SCPs: gateOf(t, policy.SourceSCP, policy.SCP, full, deny)}}
	g := New(Config{Account: "123456789012", Region: "us-east-1", Identities: rootIdentities{}, Organizations: o})
	handled := 0
	ops := map[string]*api.Operation{}
	for _, name := range []string{"ReceiveMessage", "DeleteMessage"} {
		ops[name] = &api.Operation{Name: name, Action: "sqs:" + name,
			Resource: func(*api.Call) (api.Resource, error) {
				return api.Resource{ARN: "arn:aws:sqs:us-east-1:" + member + ":q"}, nil
			},
			Handle: func(*api.Call) (any, error) { handled++; return "received", nil }}
	}
	g.Register(&api.Service{Name: "sqs", Protocols: []string{"awsJson1_0"}, Operations: ops})
	p := &api.Principal{Type: api.Root, Account: member, ARN: "arn:aws:iam::" + member + ":root", PrincipalID: member}
	ctx := context.Background()

	out, err := g.Invoke(ctx, api.Internal{Principal: p, Service: "sqs", Operation: "ReceiveMessage", AuthorizeOnly: true})
	if err != nil || out != nil {
		t.Fatalf("allowed ReceiveMessage: out %v, err %v; want nil, nil", out, err)
	}
	_, err = g.Invoke(ctx, api.Internal{Principal: p, Service: "sqs", Operation: "DeleteMessage", AuthorizeOnly: true})
	if err == nil || !strings.Contains(err.Error(), "explicit deny in a service control policy") {
		t.Fatalf("denied DeleteMessage: %v", err)
	}
	if handled != 0 {
		t.Fatalf("the handler ran %d times", handled)
	}
	if out, err := g.Invoke(ctx, api.Internal{Principal: p, Service: "sqs", Operation: "ReceiveMessage"}); err != nil || out != "received" {
		t.Fatalf("a call that is not AuthorizeOnly: %v, %v", out, err)
	}

	cluster := api.Resource{ARN: "arn:aws:kafka:us-east-1:" + member + ":cluster/c/abc"}
	_, err = g.Invoke(ctx, api.Internal{Principal: p, Service: "kafka", Operation: "DescribeClusterV2", AuthorizeOnly: true,
		Action: "kafka:DescribeClusterV2", Resource: cluster})
	if err == nil || !strings.Contains(err.Error(), "kafka:DescribeClusterV2") {
		t.Fatalf("denied foreign check: %v", err)
	}
	if _, err := g.Invoke(ctx, api.Internal{Principal: p, Service: "kafka", Operation: "GetBootstrapBrokers", AuthorizeOnly: true,
		Action: "kafka:GetBootstrapBrokers", Resource: cluster}); err != nil {
		t.Fatalf("allowed foreign check: %v", err)
	}
	// Without AuthorizeOnly a service rolecall does not serve is unknown.
	if _, err := g.Invoke(ctx, api.Internal{Principal: p, Service: "kafka", Operation: "GetBootstrapBrokers",
		Action: "kafka:GetBootstrapBrokers", Resource: cluster}); err == nil {
		t.Fatal("a call to an unknown service succeeded")
	}
}

// TestInternalSharedSigningName: an in-process call reaches the operation
// of the second service registered under a signing name (DynamoDB
// Streams' GetRecords under "dynamodb").
func TestInternalSharedSigningName(t *testing.T) {
	g := New(Config{Account: "123456789012", Region: "us-east-1", Identities: rootIdentities{}})
	svc := func(prefix, op string) *api.Service {
		return &api.Service{Name: "dynamodb", TargetPrefix: prefix, Protocols: []string{"awsJson1_0"}, Operations: map[string]*api.Operation{
			op: {Name: op, Handle: func(*api.Call) (any, error) { return prefix, nil }}}}
	}
	g.Register(svc("DynamoDB_20120810", "GetItem"), svc("DynamoDBStreams_20120810", "GetRecords"))
	p := &api.Principal{Type: api.Root, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root", PrincipalID: "123456789012"}
	for op, want := range map[string]string{"GetItem": "DynamoDB_20120810", "GetRecords": "DynamoDBStreams_20120810"} {
		if out, err := g.Invoke(context.Background(), api.Internal{Principal: p, Service: "dynamodb", Operation: op}); err != nil || out != want {
			t.Errorf("%s: %v, %v; want %s", op, out, err, want)
		}
	}
}
