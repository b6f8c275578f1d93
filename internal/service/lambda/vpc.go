package lambda

import (
	"context"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
)

// Networks is what Lambda asks of EC2 about the VpcConfig of a function
// (ec2.EC2 implements it).
type Networks interface {
	// FunctionVPC returns the VPC that subnets and security groups belong
	// to in account and region; one that does not exist, or a set that
	// spans VPCs, is an *api.Error with EC2's code and message.
	FunctionVPC(ctx context.Context, account, region string, subnets, groups []string) (string, error)
	// AttachFunction keeps the network interfaces of the function (its
	// unqualified ARN, or a version's qualified ARN) for these subnets and
	// groups; none detaches it.
	AttachFunction(ctx context.Context, account, region, function string, subnets, groups []string) error
}

// eniActions are the EC2 operations a function's execution role must be
// allowed to call for Lambda to connect it to a VPC, as
// AWSLambdaVPCAccessExecutionRole grants them.
var eniActions = []string{"CreateNetworkInterface", "DescribeNetworkInterfaces", "DeleteNetworkInterface"}

// checkVPC applies Lambda's rules for a VpcConfig given at CreateFunction
// or UpdateFunctionConfiguration: the execution role may call the ENI
// actions (Lambda asks EC2 as the role, with DryRun), and the subnets and
// security groups exist in one VPC, whose ID it sets in v. Without
// Networks, v keeps the VPC ID derived from its subnets.
func (l *Lambda) checkVPC(c *api.Call, role, fnName string, v *vpcConfig) error {
	if v == nil || l.cfg.Networks == nil {
		return nil
	}
	s, err := l.assumeRole(c.Context, c.Account, role, fnName, nil)
	if err != nil {
		var se *api.Error
		if errors.As(err, &se) {
			return errRoleCannotBeAssumed()
		}
		return fmt.Errorf("lambda: checking role %s: %w", role, err)
	}
	subnet := ""
	if len(v.SubnetIDs) > 0 {
		subnet = v.SubnetIDs[0]
	}
	p := s.principal(c.Account, role, fnName, "", l.now())
	if err := esm.CheckNetworkInterfaceActions(c.Context, l.cfg.Invoker, p, l.cfg.Region, subnet, eniActions); err != nil {
		return err
	}
	vpc, err := l.cfg.Networks.FunctionVPC(c.Context, c.Account, l.cfg.Region, v.SubnetIDs, v.SecurityGroupIDs)
	var se *api.Error
	switch {
	case errors.As(err, &se):
		call := "DescribeSubnets"
		if se.Code == "InvalidGroup.NotFound" {
			call = "DescribeSecurityGroups"
		}
		return errInvalidParam("Error occurred while %s. EC2 Error Code: %s. EC2 Error Message: %s", call, se.Code, se.Message)
	case err != nil:
		return fmt.Errorf("lambda: checking VpcConfig: %w", err)
	}
	v.VpcID = vpc
	return nil
}

// attachVPC keeps the network interfaces of the function's $LATEST for v
// (nil: none).
func (l *Lambda) attachVPC(ctx context.Context, ref fnRef, v *vpcConfig) error {
	return l.attachAs(ctx, ref, ref.arn(), v)
}

// attachVersion keeps the network interfaces of v when it is a published
// version in a VPC: a version keeps its VpcConfig, and the interfaces in
// use for it, until it is deleted, whatever later happens to $LATEST.
func (l *Lambda) attachVersion(ctx context.Context, ref fnRef, v *config) error {
	if v == nil || v.VPC == nil || v.Version == "" || v.Version == latest {
		return nil
	}
	return l.attachAs(ctx, ref, ref.arn()+":"+v.Version, v.VPC)
}

// detachVersions lets go of the network interfaces of the published
// versions of ref.
func (l *Lambda) detachVersions(ctx context.Context, ref fnRef, versions ...string) error {
	for _, n := range versions {
		if err := l.attachAs(ctx, ref, ref.arn()+":"+n, nil); err != nil {
			return err
		}
	}
	return nil
}

// attachAs keeps the network interfaces that user (the ARN of $LATEST or
// of a version) uses for v (nil: none).
func (l *Lambda) attachAs(ctx context.Context, ref fnRef, user string, v *vpcConfig) error {
	if l.cfg.Networks == nil {
		return nil
	}
	var subnets, groups []string
	if v != nil {
		subnets, groups = v.SubnetIDs, v.SecurityGroupIDs
	}
	if err := l.cfg.Networks.AttachFunction(ctx, ref.Account, l.cfg.Region, user, subnets, groups); err != nil {
		return fmt.Errorf("lambda: network interfaces of %s: %w", ref.Name, err)
	}
	return nil
}
