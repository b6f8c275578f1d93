package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
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

// TestLambdaVersionKeepsVPC: a published version keeps its VpcConfig and
// the network interface it uses: removing the VPC from $LATEST leaves the
// VPC in use (DeleteVpc: DependencyViolation) until the version is
// deleted.
func TestLambdaVersionKeepsVPC(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	net := ec2.NewFromConfig(s.srv.RootConfig())
	a := newNetwork(t, net, "10.0.0.0/16", "10.0.1.0/24")
	role := s.role(t, "vpc-version", lambdaTrust, basicExecRole, vpcAccessRole)
	in := goFunction(t, "vpc-version", role)
	in.VpcConfig, in.Publish = a.config(), true
	s.create(t, in)
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("vpc-version"), VpcConfig: &lambdatypes.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{}}})
	enis, err := net.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: []string{a.subnet}}}})
	if err != nil || len(enis.NetworkInterfaces) != 1 || !strings.HasPrefix(aws.ToString(enis.NetworkInterfaces[0].Description), "AWS Lambda VPC ENI-vpc-version-") {
		t.Fatalf("interfaces of version 1: %+v, %v", enis, err)
	}
	if _, err := net.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(a.subnet)}); apiError(t, err, "DependencyViolation") == "" {
		t.Fatal("DeleteSubnet in use by version 1")
	}
	if _, err := net.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(a.vpc)}); apiError(t, err, "DependencyViolation") == "" {
		t.Fatal("DeleteVpc in use by version 1")
	}
	if _, err := s.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("vpc-version"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(a.group)}); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(a.subnet)}); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(a.vpc)}); err != nil {
		t.Fatal(err)
	}
}
