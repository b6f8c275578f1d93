package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// orgs places accounts in an organization for the test.
type orgs map[string]*OrgAccount

func (o orgs) Account(_ context.Context, account string) (*OrgAccount, error) {
	if account == "666666666666" {
		return nil, errors.New("organization unreachable")
	}
	return o[account], nil
}

// endpoints is one VPC's endpoints by service.
type endpoints map[string]*VPCEndpoint

func (e endpoints) Endpoint(_ context.Context, vpc, service, _ string) (*VPCEndpoint, error) {
	if ep := e[service]; ep != nil && ep.VPC == vpc {
		return ep, nil
	}
	return nil, nil
}

func gateOf(t *testing.T, src policy.Source, kind policy.Kind, docs ...string) *policy.Gate {
	t.Helper()
	var level []policy.Named
	for i, d := range docs {
		p, err := policy.Parse(d, kind)
		if err != nil {
			t.Fatal(err)
		}
		level = append(level, policy.Named{ID: "p-" + string(rune('a'+i)), Policy: p})
	}
	return policy.NewGate(src, [][]policy.Named{level})
}

// TestPlacement: the SCPs of the principal's account, the RCPs of the
// resource's account and the policy of the VPC endpoint a call came
// through decide with the principal's own policies, and set their
// condition keys; the management account is bound by neither SCPs nor
// RCPs; a call from a VPC without an endpoint for the service carries no
// aws:SourceVpc.
func TestPlacement(t *testing.T) {
	const (
		member = "111111111111"
		mgmt   = "123456789012"
		full   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
		// The seed's SCP: S3 only from the VPC or from source_lambda.
		seedSCP = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::lambda-bucket/*",
			"Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-12345678"},"ArnNotEqualsIfExists":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:111111111111:function:source_lambda"}}}]}`
		rcpFull = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
		rcpOrg  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-exampleorg"},"Bool":{"aws:PrincipalIsAWSService":"false"}}}]}`
		vpce    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`
		vpceTag = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-other"}}}]}`
	)
	o := orgs{
		member: {OrgID: "o-exampleorg", Paths: "o-exampleorg/r-ab12/", SCPs: gateOf(t, policy.SourceSCP, policy.SCP, full, seedSCP),
			RCPs: gateOf(t, policy.SourceRCP, policy.Resource, rcpFull, rcpOrg)},
		mgmt:           {OrgID: "o-exampleorg", Paths: "o-exampleorg/r-ab12/", Management: true, SCPs: gateOf(t, policy.SourceSCP, policy.SCP, seedSCP)},
		"222222222222": {OrgID: "o-other", Paths: "o-other/r-cd34/", SCPs: gateOf(t, policy.SourceSCP, policy.SCP, full)},
	}
	ep := endpoints{"s3": {ID: "vpce-1a2b3c4d", VPC: "vpc-12345678", Policy: gateOf(t, policy.SourceEndpoint, policy.Resource, vpce)}}
	g := New(Config{Account: mgmt, Region: "us-east-1", Identities: rootIdentities{}, Organizations: o, Endpoints: ep})
	probe := func(name, service, action, arn string) *api.Service {
		return &api.Service{Name: service, Protocols: []string{"awsJson1_1"}, Operations: map[string]*api.Operation{
			name: {Name: name, Action: action,
				Resource: func(*api.Call) (api.Resource, error) { return api.Resource{ARN: arn}, nil },
				Handle:   func(*api.Call) (any, error) { return "ok", nil }}}}
	}
	g.Register(
		probe("PutObject", "s3", "s3:PutObject", "arn:aws:s3:::lambda-bucket/k"),
		probe("GetCallerIdentity", "sts", "sts:GetCallerIdentity", "*"),
		probe("AssumeRole", "kms", "kms:Decrypt", "arn:aws:kms:us-east-1:"+member+":key/k"),
	)
	root := func(account string) *api.Principal {
		return &api.Principal{Type: api.Root, Account: account, ARN: "arn:aws:iam::" + account + ":root", PrincipalID: account}
	}
	fn := func(name, vpc string) *api.EnvironmentBinding {
		return &api.EnvironmentBinding{ID: "env", SourceFunctionARN: "arn:aws:lambda:us-east-1:111111111111:function:" + name, SourceVPC: vpc}
	}
	for _, tc := range []struct {
		name        string
		p           *api.Principal
		env         *api.EnvironmentBinding
		service, op string
		want        string // "" for allowed, else the end of the AccessDenied message or the error code
	}{
		{"member root, outside the VPC, another function", root(member), fn("other", ""), "s3", "PutObject", "with an explicit deny in a service control policy"},
		{"member root, no function", root(member), nil, "s3", "PutObject", "with an explicit deny in a service control policy"},
		{"member, source_lambda", root(member), fn("source_lambda", ""), "s3", "PutObject", ""},
		{"member, in the VPC through its endpoint", root(member), fn("other", "vpc-12345678"), "s3", "PutObject", ""},
		{"member, in another VPC without an endpoint", root(member), fn("other", "vpc-99999999"), "s3", "PutObject", "with an explicit deny in a service control policy"},
		{"management account: no SCP applies", root(mgmt), nil, "s3", "PutObject", ""},
		{"endpoint policy applies to the management account too", root(mgmt), fn("other", "vpc-12345678"), "s3", "PutObject", ""},
		{"rcp: a principal of another organization", root("222222222222"), nil, "kms", "AssumeRole", "with an explicit deny in a resource control policy"},
		{"rcp: a principal of the organization", root(member), nil, "kms", "AssumeRole", ""},
		{"unreachable organization fails closed", root("666666666666"), nil, "sts", "GetCallerIdentity", "InternalFailure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := g.Invoke(context.Background(), api.Internal{Principal: tc.p, Service: tc.service, Operation: tc.op, Environment: tc.env})
			var e *api.Error
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
			case !errors.As(err, &e):
				t.Fatalf("got %v, want %s", err, tc.want)
			case e.Code != tc.want && !strings.HasSuffix(e.Message, tc.want):
				t.Fatalf("got %s %q, want %s", e.Code, e.Message, tc.want)
			}
		})
	}

	// The endpoint's policy binds the calls through it: one that allows
	// only another organization's principals refuses the member's.
	ep["s3"] = &VPCEndpoint{ID: "vpce-1a2b3c4d", VPC: "vpc-12345678", Policy: gateOf(t, policy.SourceEndpoint, policy.Resource, vpceTag)}
	_, err := g.Invoke(context.Background(), api.Internal{Principal: root(member), Service: "s3", Operation: "PutObject", Environment: fn("other", "vpc-12345678")})
	if err == nil || !strings.HasSuffix(err.Error(), "because no VPC endpoint policy allows the s3:PutObject action") {
		t.Errorf("through a restrictive endpoint: %v", err)
	}
}
