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

// TestEC2EachResourceAuthorized: an EC2 request that names several
// resources is authorized on each of them: a caller allowed to tag or
// delete one cannot reach another by naming it second, and nothing
// changes.
func TestEC2EachResourceAuthorized(t *testing.T) {
	t.Parallel()
	s := newLambdaSuite(t)
	ctx := context.Background()
	net := ec2.NewFromConfig(s.srv.RootConfig())
	a := newNetwork(t, net, "10.0.0.0/16", "10.0.1.0/24")
	b := newNetwork(t, net, "10.1.0.0/16", "10.1.1.0/24")
	endpoint := func(n network) string {
		rtb, err := net.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.vpc}}}})
		if err != nil || len(rtb.RouteTables) == 0 {
			t.Fatalf("route tables of %s: %v", n.vpc, err)
		}
		ep, err := net.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(n.vpc), ServiceName: aws.String("com.amazonaws.us-east-1.s3"),
			RouteTableIds: []string{aws.ToString(rtb.RouteTables[0].RouteTableId)}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(ep.VpcEndpoint.VpcEndpointId)
	}
	epA, epB := endpoint(a), endpoint(b)
	arn := func(kind, id string) string { return "arn:aws:ec2:us-east-1:" + account + ":" + kind + "/" + id }
	dev := ec2.NewFromConfig(s.user(t, "ec2-one", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ec2:CreateTags","ec2:DeleteTags"],"Resource":"`+arn("vpc", a.vpc)+`"},
		{"Effect":"Allow","Action":"ec2:DeleteVpcEndpoints","Resource":"`+arn("vpc-endpoint", epA)+`"}]}`))

	_, err := dev.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{a.vpc, b.vpc}, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}})
	if msg := apiError(t, err, "UnauthorizedOperation"); msg == "" {
		t.Fatal("CreateTags on a VPC the caller may not tag")
	}
	_, err = dev.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{a.vpc, b.vpc}, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}, DryRun: aws.Bool(true)})
	if msg := apiError(t, err, "UnauthorizedOperation"); msg == "" {
		t.Fatal("CreateTags with DryRun on a VPC the caller may not tag")
	}
	vpcs, err := net.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{a.vpc, b.vpc}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vpcs.Vpcs {
		if len(v.Tags) != 0 {
			t.Errorf("%s tagged by a refused CreateTags: %+v", aws.ToString(v.VpcId), v.Tags)
		}
	}
	if _, err := dev.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{a.vpc}, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}}); err != nil {
		t.Fatalf("CreateTags on the VPC the caller may tag: %v", err)
	}

	_, err = dev.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epA, epB}})
	if msg := apiError(t, err, "UnauthorizedOperation"); msg == "" {
		t.Fatal("DeleteVpcEndpoints of an endpoint the caller may not delete")
	}
	eps, err := net.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil || len(eps.VpcEndpoints) != 2 {
		t.Fatalf("endpoints after a refused DeleteVpcEndpoints: %+v, %v", eps, err)
	}
	if _, err := dev.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epA}}); err != nil {
		t.Fatalf("DeleteVpcEndpoints of the caller's endpoint: %v", err)
	}

	// CreateVpcEndpoint is authorized on the route tables it changes.
	c := newNetwork(t, net, "10.2.0.0/16", "10.2.1.0/24")
	rtb, err := net.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{c.vpc}}}})
	if err != nil || len(rtb.RouteTables) == 0 {
		t.Fatalf("route tables of %s: %v", c.vpc, err)
	}
	rt := aws.ToString(rtb.RouteTables[0].RouteTableId)
	maker := ec2.NewFromConfig(s.user(t, "ec2-endpoints", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ec2:CreateVpcEndpoint","Resource":["arn:aws:ec2:us-east-1:`+account+`:vpc-endpoint/*","arn:aws:ec2:us-east-1:`+account+`:vpc/*"]}]}`))
	create := &ec2.CreateVpcEndpointInput{VpcId: aws.String(c.vpc), ServiceName: aws.String("com.amazonaws.us-east-1.s3"), RouteTableIds: []string{rt}}
	_, err = maker.CreateVpcEndpoint(ctx, create)
	if msg := apiError(t, err, "UnauthorizedOperation"); msg == "" {
		t.Fatal("CreateVpcEndpoint on a route table the caller may not change")
	}
	if eps, err := net.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}); err != nil || len(eps.VpcEndpoints) != 1 {
		t.Fatalf("endpoints after a refused CreateVpcEndpoint: %+v, %v", eps, err)
	}
	if _, err := net.CreateVpcEndpoint(ctx, create); err != nil {
		t.Fatalf("CreateVpcEndpoint by the account: %v", err)
	}
}

// TestVPCEndpointSourceVpcArn: a call through a VPC endpoint carries
// aws:SourceVpcArn, the ARN of the VPC, beside aws:SourceVpc.
func TestVPCEndpointSourceVpcArn(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	net := ec2.NewFromConfig(s.srv.RootConfig())
	a := newNetwork(t, net, "10.0.0.0/16", "10.0.1.0/24")
	if _, err := net.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(a.vpc), ServiceName: aws.String("com.amazonaws.us-east-1.iam"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{a.subnet}, SecurityGroupIds: []string{a.group}}); err != nil {
		t.Fatal(err)
	}
	const roleName = "vpc-arn"
	role := s.role(t, roleName, lambdaTrust, basicExecRole, vpcAccessRole)
	s.putRolePolicy(t, roleName, "by-vpc-arn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*",
		"Condition":{"ArnEquals":{"aws:SourceVpcArn":"arn:aws:ec2:us-east-1:`+account+`:vpc/`+a.vpc+`"}}}]}`)
	in := goFunction(t, "vpc-arn", role)
	in.VpcConfig = a.config()
	s.create(t, in)
	if got := s.call(t, "vpc-arn", callAction("iam", "GetRole", map[string]string{"RoleName": roleName})); got["error"] != nil {
		t.Fatalf("GetRole allowed on aws:SourceVpcArn: %v", got)
	}
}
