package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestEC2VPCs: VPCs with their default security group and main route
// table, subnets inside them, security groups and their rules, tags, and
// EC2's own errors, through the Go SDK's EC2 client.
func TestEC2VPCs(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := ec2.NewFromConfig(srv.RootConfig())

	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("main")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(vpc.Vpc.VpcId)
	if len(id) != len("vpc-")+17 || aws.ToString(vpc.Vpc.CidrBlock) != "10.0.0.0/16" || vpc.Vpc.State != ec2types.VpcStateAvailable || len(vpc.Vpc.Tags) != 1 {
		t.Fatalf("CreateVpc: %+v", vpc.Vpc)
	}
	for _, cidr := range []string{"10.0.0.0/8", "10.0.0.0/29"} {
		_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
		if msg := apiError(t, err, "InvalidVpc.Range"); msg != "The CIDR '"+cidr+"' is invalid." {
			t.Errorf("CreateVpc %s: %q", cidr, msg)
		}
	}
	_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.300/16")})
	apiError(t, err, "InvalidParameterValue")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if msg := apiError(t, err, "InvalidAction"); msg != "The action DescribeInstances is not valid for this web service." {
		t.Errorf("an operation EC2 here does not serve: %q", msg)
	}
	other, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("172.16.0.0/20")})
	if err != nil {
		t.Fatal(err)
	}

	// Filters: tag:K, tag-key, cidr, vpc-id; an unknown VpcId.
	for _, f := range [][]ec2types.Filter{
		{{Name: aws.String("tag:Name"), Values: []string{"main"}}},
		{{Name: aws.String("tag-key"), Values: []string{"Name"}}},
		{{Name: aws.String("cidr"), Values: []string{"10.0.0.0/16"}}},
		{{Name: aws.String("vpc-id"), Values: []string{id}}},
	} {
		out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: f})
		if err != nil || len(out.Vpcs) != 1 || aws.ToString(out.Vpcs[0].VpcId) != id {
			t.Errorf("DescribeVpcs %s: %+v %v", aws.ToString(f[0].Name), out, err)
		}
	}
	all, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(all.Vpcs) != 2 {
		t.Fatalf("DescribeVpcs: %+v %v", all, err)
	}
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	if msg := apiError(t, err, "InvalidVpcID.NotFound"); msg != "The vpc ID 'vpc-0123456789abcdef0' does not exist" {
		t.Errorf("DescribeVpcs unknown: %q", msg)
	}

	// Subnets: inside the VPC's block, no overlap, a zone of the region.
	sub, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id), CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String("us-east-1b")})
	if err != nil || aws.ToString(sub.Subnet.AvailabilityZone) != "us-east-1b" || aws.ToInt32(sub.Subnet.AvailableIpAddressCount) != 251 {
		t.Fatalf("CreateSubnet: %+v %v", sub, err)
	}
	_, err = c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id), CidrBlock: aws.String("10.0.1.128/25")})
	if msg := apiError(t, err, "InvalidSubnet.Conflict"); msg != "The CIDR '10.0.1.128/25' conflicts with another subnet" {
		t.Errorf("overlapping subnet: %q", msg)
	}
	_, err = c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id), CidrBlock: aws.String("10.1.0.0/24")})
	apiError(t, err, "InvalidSubnet.Range")
	_, err = c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id), CidrBlock: aws.String("10.0.2.0/24"), AvailabilityZone: aws.String("eu-west-1a")})
	apiError(t, err, "InvalidParameterValue")
	subs, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{id}}}})
	if err != nil || len(subs.Subnets) != 1 {
		t.Fatalf("DescribeSubnets: %+v %v", subs, err)
	}
	zones, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil || len(zones.AvailabilityZones) == 0 || aws.ToString(zones.AvailabilityZones[0].ZoneName) != "us-east-1a" {
		t.Fatalf("DescribeAvailabilityZones: %+v %v", zones, err)
	}

	// Security groups: the VPC's default one, a new one with its rules.
	groups, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{id}}}})
	if err != nil || len(groups.SecurityGroups) != 1 || aws.ToString(groups.SecurityGroups[0].GroupName) != "default" {
		t.Fatalf("default security group: %+v %v", groups, err)
	}
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web servers"), VpcId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("again"), VpcId: aws.String(id)})
	apiError(t, err, "InvalidGroup.Duplicate")
	perm := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}}}
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{perm}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{perm}})
	apiError(t, err, "InvalidPermission.Duplicate")
	got, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(sg.GroupId)}})
	if err != nil || len(got.SecurityGroups) != 1 || len(got.SecurityGroups[0].IpPermissions) != 1 ||
		aws.ToInt32(got.SecurityGroups[0].IpPermissions[0].FromPort) != 443 || len(got.SecurityGroups[0].IpPermissionsEgress) != 1 {
		t.Fatalf("DescribeSecurityGroups: %+v %v", got, err)
	}

	if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{perm}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{perm}})
	apiError(t, err, "InvalidPermission.NotFound")
	got, _ = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(sg.GroupId)}})
	if len(got.SecurityGroups[0].IpPermissions) != 0 {
		t.Errorf("rules after revoking: %+v", got.SecurityGroups[0].IpPermissions)
	}

	// Tags.
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(sub.Subnet.SubnetId)}, Tags: []ec2types.Tag{{Key: aws.String("tier"), Value: aws.String("private")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{{Name: aws.String("key"), Values: []string{"tier"}}}})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].ResourceId) != aws.ToString(sub.Subnet.SubnetId) || tags.Tags[0].ResourceType != ec2types.ResourceTypeSubnet {
		t.Fatalf("DescribeTags: %+v %v", tags, err)
	}
	if _, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{aws.ToString(sub.Subnet.SubnetId)}, Tags: []ec2types.Tag{{Key: aws.String("tier")}}}); err != nil {
		t.Fatal(err)
	}
	if tags, _ := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{{Name: aws.String("key"), Values: []string{"tier"}}}}); len(tags.Tags) != 0 {
		t.Errorf("DeleteTags left %+v", tags.Tags)
	}

	// DeleteVpc waits for the subnets and groups to go; the default group
	// and main route table go with it.
	_, err = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
	if msg := apiError(t, err, "DependencyViolation"); !strings.Contains(msg, id) {
		t.Errorf("DeleteVpc with subnets: %q", msg)
	}
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: groups.SecurityGroups[0].GroupId})
	apiError(t, err, "CannotDelete")
	for _, step := range []func() error{
		func() error {
			_, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sub.Subnet.SubnetId})
			return err
		},
		func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId})
			return err
		},
		func() error { _, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)}); return err },
		func() error { _, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: other.Vpc.VpcId}); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); err != nil || len(out.SecurityGroups) != 0 {
		t.Errorf("security groups left: %+v %v", out, err)
	}
}

// TestEC2Endpoints: interface endpoints with a network interface in each
// subnet, their policies checked as resource policies, ModifyVpcEndpoint,
// DeleteVpcEndpoints' unsuccessful items, and the services offered.
func TestEC2Endpoints(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := ec2.NewFromConfig(srv.RootConfig())
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	services, err := c.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{})
	if err != nil || !slices.Contains(services.ServiceNames, "com.amazonaws.us-east-1.sts") {
		t.Fatalf("DescribeVpcEndpointServices: %+v %v", services, err)
	}
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc.Vpc.VpcId, ServiceName: aws.String("com.amazonaws.us-east-1.nosuch"), VpcEndpointType: ec2types.VpcEndpointTypeInterface})
	apiError(t, err, "InvalidServiceName")
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc.Vpc.VpcId, ServiceName: aws.String("com.amazonaws.us-east-1.sts"), VpcEndpointType: ec2types.VpcEndpointTypeGateway})
	apiError(t, err, "InvalidParameter")
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc.Vpc.VpcId, ServiceName: aws.String("com.amazonaws.us-east-1.sts"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	apiError(t, err, "MalformedPolicyDocument")

	ep, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc.Vpc.VpcId, ServiceName: aws.String("com.amazonaws.us-east-1.sts"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{aws.ToString(sub.Subnet.SubnetId)}})
	if err != nil {
		t.Fatal(err)
	}
	e := ep.VpcEndpoint
	if !strings.HasPrefix(aws.ToString(e.VpcEndpointId), "vpce-") || !strings.Contains(aws.ToString(e.PolicyDocument), `"Principal":"*"`) ||
		len(e.NetworkInterfaceIds) != 1 || !aws.ToBool(e.PrivateDnsEnabled) || len(e.Groups) != 1 {
		t.Fatalf("CreateVpcEndpoint: %+v", e)
	}
	enis, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: e.NetworkInterfaceIds})
	if err != nil || len(enis.NetworkInterfaces) != 1 || enis.NetworkInterfaces[0].InterfaceType != ec2types.NetworkInterfaceTypeVpcEndpoint {
		t.Fatalf("endpoint's interface: %+v %v", enis, err)
	}
	_, err = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sub.Subnet.SubnetId})
	apiError(t, err, "DependencyViolation")

	doc := `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:GetCallerIdentity","Resource":"*"}]}`
	if _, err := c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: e.VpcEndpointId, PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(e.VpcEndpointId)}})
	if err != nil || len(got.VpcEndpoints) != 1 || aws.ToString(got.VpcEndpoints[0].PolicyDocument) != doc {
		t.Fatalf("DescribeVpcEndpoints: %+v %v", got, err)
	}
	if _, err := c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: e.VpcEndpointId, ResetPolicy: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	got, _ = c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if len(got.VpcEndpoints) != 1 || aws.ToString(got.VpcEndpoints[0].PolicyDocument) != `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}` {
		t.Fatalf("ResetPolicy: %+v", got.VpcEndpoints)
	}
	_, err = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: vpc.Vpc.VpcId})
	apiError(t, err, "DependencyViolation")

	del, err := c.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(e.VpcEndpointId), "vpce-0123456789abcdef0"}})
	if err != nil || len(del.Unsuccessful) != 1 || aws.ToString(del.Unsuccessful[0].ResourceId) != "vpce-0123456789abcdef0" ||
		aws.ToString(del.Unsuccessful[0].Error.Code) != "InvalidVpcEndpointId.NotFound" {
		t.Fatalf("DeleteVpcEndpoints: %+v %v", del, err)
	}
	if enis, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{}); err != nil || len(enis.NetworkInterfaces) != 0 {
		t.Errorf("interfaces left: %+v %v", enis, err)
	}
}

// TestEC2Authorization: EC2 actions are authorized on their resources'
// ARNs, with ec2:Vpc and tag keys, and refused with UnauthorizedOperation
// in EC2's words; DryRun answers DryRunOperation once authorized.
func TestEC2Authorization(t *testing.T) {
	t.Parallel()
	s := newLambdaSuite(t)
	ctx := context.Background()
	root := ec2.NewFromConfig(s.srv.RootConfig())
	vpc, err := root.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcARN := "arn:aws:ec2:us-east-1:" + account + ":vpc/" + aws.ToString(vpc.Vpc.VpcId)
	user := ec2.NewFromConfig(s.user(t, "netops", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ec2:Describe*","ec2:CreateSubnet"],"Resource":"*"},
		{"Effect":"Allow","Action":"ec2:CreateVpc","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"net"}}},
		{"Effect":"Deny","Action":"ec2:CreateSubnet","Resource":"*","Condition":{"ArnEquals":{"ec2:Vpc":"`+vpcARN+`"}}}]}`))

	if _, err := user.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = user.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	msg := apiError(t, err, "UnauthorizedOperation")
	want := "You are not authorized to perform this operation. User: arn:aws:iam::" + account + ":user/netops is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:us-east-1:" + account + ":vpc/* because no identity-based policy allows the ec2:CreateVpc action"
	if msg != want {
		t.Errorf("CreateVpc without the tag:\n got %q\nwant %q", msg, want)
	}
	tagged := &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("net")}}}}}
	tagged.DryRun = aws.Bool(true)
	_, err = user.CreateVpc(ctx, tagged)
	apiError(t, err, "DryRunOperation")
	tagged.DryRun = nil
	mine, err := user.CreateVpc(ctx, tagged)
	if err != nil {
		t.Fatalf("CreateVpc with the tag: %v", err)
	}
	if _, err := user.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: mine.Vpc.VpcId, CidrBlock: aws.String("10.1.0.0/24")}); err != nil {
		t.Fatalf("CreateSubnet in its own VPC: %v", err)
	}
	_, err = user.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.0.0/24")})
	if msg := apiError(t, err, "UnauthorizedOperation"); !strings.Contains(msg, "with an explicit deny in an identity-based policy") {
		t.Errorf("CreateSubnet in the denied VPC: %q", msg)
	}
	rec := s.waitTrail(t, "CreateVpc", func(r *trailRecord) bool { return r.ErrorCode == "" })
	if rec.EventSource != "ec2.amazonaws.com" {
		t.Errorf("trail: %+v", rec)
	}
}
