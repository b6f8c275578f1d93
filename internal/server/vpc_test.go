package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const vpcAccessRole = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"

// network is a VPC with one subnet, for functions.
type network struct {
	vpc, subnet, group string
}

func newNetwork(t *testing.T, c *ec2.Client, cidr, subnet string) network {
	t.Helper()
	ctx := context.Background()
	v, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String(subnet)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: v.Vpc.VpcId, GroupName: aws.String("fn"), Description: aws.String("functions")})
	if err != nil {
		t.Fatal(err)
	}
	return network{vpc: aws.ToString(v.Vpc.VpcId), subnet: aws.ToString(s.Subnet.SubnetId), group: aws.ToString(g.GroupId)}
}

func (n network) config() *lambdatypes.VpcConfig {
	return &lambdatypes.VpcConfig{SubnetIds: []string{n.subnet}, SecurityGroupIds: []string{n.group}}
}

// TestLambdaVpcConfig: a function's VpcConfig needs a role that may call
// the ENI actions and subnets and groups that exist in one VPC; the
// function then shows its VPC and has a Lambda network interface in its
// subnet, which goes when it leaves the VPC.
func TestLambdaVpcConfig(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	net := ec2.NewFromConfig(s.srv.RootConfig())
	a := newNetwork(t, net, "10.0.0.0/16", "10.0.1.0/24")
	b := newNetwork(t, net, "10.1.0.0/16", "10.1.1.0/24")

	plain := s.role(t, "no-eni", lambdaTrust, basicExecRole)
	in := goFunction(t, "vpc-refused", plain)
	in.VpcConfig = a.config()
	_, err := s.lambda.CreateFunction(ctx, in)
	if msg := apiError(t, err, "InvalidParameterValueException"); msg != "The provided execution role does not have permissions to call CreateNetworkInterface on EC2" {
		t.Errorf("CreateFunction without the ENI actions: %q", msg)
	}

	role := s.role(t, "eni", lambdaTrust, basicExecRole, vpcAccessRole)
	in = goFunction(t, "vpc-fn", role)
	in.VpcConfig = &lambdatypes.VpcConfig{SubnetIds: []string{"subnet-0123456789abcdef0"}, SecurityGroupIds: []string{a.group}}
	_, err = s.lambda.CreateFunction(ctx, in)
	if msg := apiError(t, err, "InvalidParameterValueException"); msg != "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID 'subnet-0123456789abcdef0' does not exist" {
		t.Errorf("CreateFunction with a missing subnet: %q", msg)
	}
	in.VpcConfig = &lambdatypes.VpcConfig{SubnetIds: []string{a.subnet}, SecurityGroupIds: []string{b.group}}
	_, err = s.lambda.CreateFunction(ctx, in)
	apiError(t, err, "InvalidParameterValueException")

	in.VpcConfig = a.config()
	s.create(t, in)
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("vpc-fn")})
	if err != nil || cfg.VpcConfig == nil || aws.ToString(cfg.VpcConfig.VpcId) != a.vpc {
		t.Fatalf("VpcConfig: %+v %v", cfg.VpcConfig, err)
	}
	enis, err := net.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{{Name: aws.String("interface-type"), Values: []string{"lambda"}}}})
	if err != nil || len(enis.NetworkInterfaces) != 1 {
		t.Fatalf("Lambda's interfaces: %+v %v", enis, err)
	}
	eni := enis.NetworkInterfaces[0]
	if aws.ToString(eni.SubnetId) != a.subnet || !aws.ToBool(eni.RequesterManaged) || aws.ToString(eni.RequesterId) != "lambda.amazonaws.com" ||
		!strings.HasPrefix(aws.ToString(eni.Description), "AWS Lambda VPC ENI-vpc-fn-") || len(eni.Groups) != 1 || aws.ToString(eni.Groups[0].GroupId) != a.group {
		t.Errorf("interface: %+v", eni)
	}
	_, err = net.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(a.subnet)})
	apiError(t, err, "DependencyViolation")

	// Moving it to another VPC moves its interface; leaving drops it.
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("vpc-fn"), VpcConfig: b.config()})
	cfg, _ = s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("vpc-fn")})
	if aws.ToString(cfg.VpcConfig.VpcId) != b.vpc {
		t.Errorf("VpcId after the move: %+v", cfg.VpcConfig)
	}
	enis, _ = net.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if len(enis.NetworkInterfaces) != 1 || aws.ToString(enis.NetworkInterfaces[0].SubnetId) != b.subnet {
		t.Errorf("interfaces after the move: %+v", enis.NetworkInterfaces)
	}
	_, err = s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("vpc-fn"), Role: aws.String(plain)})
	if msg := apiError(t, err, "InvalidParameterValueException"); !strings.Contains(msg, "CreateNetworkInterface on EC2") {
		t.Errorf("a role without the ENI actions for a VPC function: %q", msg)
	}
	if _, err := s.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("vpc-fn")}); err != nil {
		t.Fatal(err)
	}
	enis, _ = net.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if len(enis.NetworkInterfaces) != 0 {
		t.Errorf("interfaces after DeleteFunction: %+v", enis.NetworkInterfaces)
	}

	// lambda:VpcIds is the VPC EC2 knows the subnets by.
	dev := lambda.NewFromConfig(s.user(t, "vpc-dev", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["lambda:CreateFunction","iam:PassRole"],"Resource":"*"},
		{"Effect":"Deny","Action":"lambda:CreateFunction","Resource":"*","Condition":{"StringNotEquals":{"lambda:VpcIds":"`+a.vpc+`"}}}]}`))
	in = goFunction(t, "dev-fn", role)
	in.VpcConfig = b.config()
	_, err = dev.CreateFunction(ctx, in)
	if msg := apiError(t, err, "AccessDeniedException"); !strings.Contains(msg, "with an explicit deny in an identity-based policy") {
		t.Errorf("CreateFunction in the other VPC: %q", msg)
	}
	in.VpcConfig = a.config()
	if _, err := dev.CreateFunction(ctx, in); err != nil {
		t.Errorf("CreateFunction in the allowed VPC: %v", err)
	}
}

// TestVPCEndpointKeys: as in AWS, a call from a function in a VPC that has
// an endpoint for the service carries aws:SourceVpc and aws:SourceVpce and
// is subject to the endpoint's policy; a call from a function in a VPC
// without one, or from a function outside any VPC, or made with a
// function's credentials from outside its environment, carries neither.
func TestVPCEndpointKeys(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	net := ec2.NewFromConfig(s.srv.RootConfig())
	a := newNetwork(t, net, "10.0.0.0/16", "10.0.1.0/24")
	b := newNetwork(t, net, "10.1.0.0/16", "10.1.1.0/24")
	ep, err := net.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(a.vpc), ServiceName: aws.String("com.amazonaws.us-east-1.iam"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{a.subnet}, SecurityGroupIds: []string{a.group}})
	if err != nil {
		t.Fatal(err)
	}
	vpce := aws.ToString(ep.VpcEndpoint.VpcEndpointId)

	const roleName = "endpoint-keys"
	role := s.role(t, roleName, lambdaTrust, basicExecRole, vpcAccessRole)
	s.putRolePolicy(t, roleName, "keys", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"`+a.vpc+`","aws:SourceVpce":"`+vpce+`"}}},
		{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	for name, v := range map[string]*lambdatypes.VpcConfig{"in-a": a.config(), "in-b": b.config(), "outside": nil} {
		in := goFunction(t, name, role)
		in.VpcConfig = v
		s.create(t, in)
	}
	getRole := callAction("iam", "GetRole", map[string]string{"RoleName": roleName})
	listRoles := callAction("iam", "ListRoles", nil)
	denied := func(got map[string]any, fn, action, reason string) {
		t.Helper()
		want := "User: " + assumedRoleARN(roleName, fn) + " is not authorized to perform: " + action
		if got["error"] != "AccessDenied" || !strings.HasPrefix(str(got["message"]), want) || !strings.HasSuffix(str(got["message"]), reason) {
			t.Errorf("%s %s: %v", fn, action, got)
		}
	}

	if got := s.call(t, "in-a", getRole); got["error"] != nil {
		t.Errorf("in-a GetRole through the endpoint: %v", got)
	}
	denied(s.call(t, "in-b", getRole), "in-b", "iam:GetRole", "because no identity-based policy allows the iam:GetRole action")
	denied(s.call(t, "outside", getRole), "outside", "iam:GetRole", "because no identity-based policy allows the iam:GetRole action")
	_, err = iam.NewFromConfig(s.config(s.envCredentials(t, "in-a"))).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	if msg := apiError(t, err, "AccessDenied"); !strings.HasSuffix(msg, "because no identity-based policy allows the iam:GetRole action") {
		t.Errorf("in-a's credentials outside its environment: %q", msg)
	}

	// The endpoint's policy applies to the calls through it only.
	if _, err := net.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(vpce),
		PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"iam:GetRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	denied(s.call(t, "in-a", listRoles), "in-a", "iam:ListRoles", "because no VPC endpoint policy allows the iam:ListRoles action")
	if got := s.call(t, "in-a", getRole); got["error"] != nil {
		t.Errorf("in-a GetRole, which the endpoint policy allows: %v", got)
	}
	for _, fn := range []string{"in-b", "outside"} {
		if got := s.call(t, fn, listRoles); got["error"] != nil {
			t.Errorf("%s ListRoles, not through the endpoint: %v", fn, got)
		}
	}
	if _, err := net.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(vpce),
		PolicyDocument: aws.String(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"iam:GetRole","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	denied(s.call(t, "in-a", getRole), "in-a", "iam:GetRole", "with an explicit deny in a VPC endpoint policy")

	// Without private DNS the service's hostname does not lead to the
	// endpoint: the call leaves through NAT, with no keys and no gate.
	if _, err := net.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(vpce), PrivateDnsEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	denied(s.call(t, "in-a", getRole), "in-a", "iam:GetRole", "because no identity-based policy allows the iam:GetRole action")
	if got := s.call(t, "in-a", listRoles); got["error"] != nil {
		t.Errorf("in-a ListRoles, not through the endpoint: %v", got)
	}

	// Without the endpoint the calls from VPC A carry no keys either.
	if _, err := net.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{vpce}}); err != nil {
		t.Fatal(err)
	}
	denied(s.call(t, "in-a", getRole), "in-a", "iam:GetRole", "because no identity-based policy allows the iam:GetRole action")
}
