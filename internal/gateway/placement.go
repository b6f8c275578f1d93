package gateway

import (
	"context"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// Organizations tells the gateway where accounts stand in an organization
// (AWS Organizations), for the SCPs and RCPs that apply to a request and the
// aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:ResourceOrgID and
// aws:ResourceOrgPaths condition keys.
type Organizations interface {
	// Account returns where account stands in an organization; nil, nil
	// when it is in none. An error fails the request closed
	// (InternalFailure).
	Account(ctx context.Context, account string) (*OrgAccount, error)
}

// OrgAccount is an account's place in an organization.
type OrgAccount struct {
	// OrgID is the organization's ID ("o-exampleorgid").
	OrgID string
	// Paths is the account's path in the organization, as
	// aws:PrincipalOrgPaths and aws:ResourceOrgPaths give it:
	// "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/".
	Paths string
	// Management is set for the management account: SCPs and RCPs never
	// apply to it.
	Management bool
	// SCPs are the service control policies that apply to the account's
	// principals, a level per root, OU and the account; nil when none do.
	SCPs *policy.Gate
	// RCPs are the resource control policies that apply to the account's
	// resources; nil when none do.
	RCPs *policy.Gate
}

// Endpoints tells the gateway through which VPC endpoint a call made from
// a VPC reaches a service.
type Endpoints interface {
	// Endpoint returns the VPC endpoint through which a call made from vpc
	// reaches service (its signing name: "s3", "kms", ...) in region; nil,
	// nil when the VPC has none for it. An error fails the request closed.
	Endpoint(ctx context.Context, vpc, service, region string) (*VPCEndpoint, error)
}

// VPCEndpoint is a VPC endpoint a call came through.
type VPCEndpoint struct {
	ID  string // "vpce-0123456789abcdef0"
	VPC string // "vpc-12345678"
	// VPCARN is the VPC's ARN, aws:SourceVpcArn:
	// "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-12345678".
	VPCARN string
	// Policy is the endpoint policy; nil means full access.
	Policy *policy.Gate
}

// rcpServices are the services whose resources resource control policies
// govern (AWS Organizations, "List of AWS services that support RCPs").
var rcpServices = map[string]bool{
	"s3":             true,
	"sts":            true,
	"kms":            true,
	"sqs":            true,
	"secretsmanager": true,
}

// placement is where one check of a call stands: the organization of the
// principal's account and of the resource's account, and the VPC endpoint
// the call came through.
type placement struct {
	principalOrg *OrgAccount
	resourceOrg  *OrgAccount
	resourceAcct string
	endpoint     *VPCEndpoint
}

// place looks up the placement of a check.
func (g *Gateway) place(c *api.Call, ck check) (placement, error) {
	var pl placement
	ctx := c.Context
	if ck.res.ARN != "*" {
		pl.resourceAcct = resourceAccount(ck.res, c.Account)
	}
	if o := g.cfg.Organizations; o != nil {
		p := c.Principal
		if p.Account != "" && p.Type != api.AWSService && p.Type != api.Anonymous {
			org, err := o.Account(ctx, p.Account)
			if err != nil {
				return pl, fmt.Errorf("gateway: organization of account %s: %w", p.Account, err)
			}
			pl.principalOrg = org
		}
		if pl.resourceAcct != "" {
			org := pl.principalOrg
			if pl.resourceAcct != p.Account || org == nil && (p.Type == api.AWSService || p.Type == api.Anonymous) {
				var err error
				if org, err = o.Account(ctx, pl.resourceAcct); err != nil {
					return pl, fmt.Errorf("gateway: organization of account %s: %w", pl.resourceAcct, err)
				}
			}
			pl.resourceOrg = org
		}
	}
	// Only the environment's own calls leave from its VPC; those a service
	// makes for it (Lambda assuming the role as it starts) do not.
	if e, b := g.cfg.Endpoints, c.Environment; e != nil && b != nil && b.SourceVPC != "" && c.Service != nil &&
		c.Principal != nil && c.Principal.Type != api.AWSService {
		region := c.Region
		if region == "" {
			region = g.cfg.Region
		}
		ep, err := e.Endpoint(ctx, b.SourceVPC, c.Service.Name, region)
		if err != nil {
			return pl, fmt.Errorf("gateway: endpoint of %s for %s: %w", b.SourceVPC, c.Service.Name, err)
		}
		pl.endpoint = ep
	}
	return pl, nil
}

// gates returns the gates of the placement for action by the call's
// principal, appended to buf: the SCPs of the principal's account (for
// its root, users and role sessions, but not service-linked roles), the
// RCPs of the resource's account (for the services RCPs govern), and the
// policy of the VPC endpoint.
func (pl *placement) gates(p *api.Principal, action string, buf []*policy.Gate) []*policy.Gate {
	if o := pl.principalOrg; o != nil && !o.Management && o.SCPs != nil && scpBinds(p) {
		buf = append(buf, o.SCPs)
	}
	service, _, _ := strings.Cut(action, ":")
	if o := pl.resourceOrg; o != nil && !o.Management && o.RCPs != nil && rcpServices[strings.ToLower(service)] {
		buf = append(buf, o.RCPs)
	}
	if e := pl.endpoint; e != nil && e.Policy != nil {
		buf = append(buf, e.Policy)
	}
	return buf
}

// scpBinds reports whether the SCPs of p's account would apply to p: p is
// one SCPs bind, and its account is not an organization's management
// account.
func (pl *placement) scpBinds(p *api.Principal) bool {
	if o := pl.principalOrg; o != nil && o.Management {
		return false
	}
	return scpBinds(p)
}

// scpBinds reports whether SCPs apply to p: to an account's root user, IAM
// users and role sessions, but not to service-linked roles.
func scpBinds(p *api.Principal) bool {
	switch p.Type {
	case api.Root, api.IAMUser:
		return true
	case api.AssumedRole:
		return !strings.Contains(p.RoleARN, ":role/aws-service-role/")
	}
	return false
}

// setKeys sets the condition keys of the placement.
func (pl *placement) setKeys(ctx *policy.Context, c *api.Call) {
	if o := pl.principalOrg; o != nil {
		ctx.Set("aws:PrincipalOrgID", o.OrgID)
		ctx.SetMulti("aws:PrincipalOrgPaths", o.Paths)
	}
	if pl.resourceAcct != "" {
		ctx.Set("aws:ResourceAccount", pl.resourceAcct)
	}
	if o := pl.resourceOrg; o != nil {
		ctx.Set("aws:ResourceOrgID", o.OrgID)
		ctx.SetMulti("aws:ResourceOrgPaths", o.Paths)
	}
	if e := pl.endpoint; e != nil {
		// A call through a VPC endpoint comes from the VPC's private
		// addresses: aws:SourceIp is absent and aws:VpcSourceIp is set.
		ctx.Set("aws:SourceVpc", e.VPC)
		ctx.Set("aws:SourceVpce", e.ID)
		if e.VPCARN != "" {
			ctx.Set("aws:SourceVpcArn", e.VPCARN)
		}
		if c.SourceIP != "" {
			ctx.Delete("aws:SourceIp")
			ctx.Set("aws:VpcSourceIp", c.SourceIP)
		}
	}
}
