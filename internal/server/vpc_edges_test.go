package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestVPCEndpointNotForLambda: the calls Lambda makes itself for a
// function in a VPC (assuming its role when an environment starts) do not
// come from the VPC: an STS endpoint of the VPC whose policy denies
// everything stops the function's own calls to STS, not its start.
func TestVPCEndpointNotForLambda(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	net := ec2.NewFromConfig(s.srv.RootConfig())
	a := newNetwork(t, net, "10.0.0.0/16", "10.0.1.0/24")
	if _, err := net.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(a.vpc), ServiceName: aws.String("com.amazonaws.us-east-1.sts"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{a.subnet}, SecurityGroupIds: []string{a.group},
		PolicyDocument: aws.String(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	role := s.role(t, "vpc-sts", lambdaTrust, basicExecRole, vpcAccessRole)
	in := goFunction(t, "vpc-sts", role)
	in.VpcConfig = a.config()
	s.create(t, in)
	got := s.call(t, "vpc-sts", callAction("sts", "AssumeRole", map[string]string{"RoleArn": role, "RoleSessionName": "again"}))
	if got["error"] != "AccessDenied" || !strings.HasSuffix(str(got["message"]), "with an explicit deny in a VPC endpoint policy") {
		t.Fatalf("AssumeRole through the endpoint that denies everything: %v", got)
	}
}
