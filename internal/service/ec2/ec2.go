// Package ec2 is a minimal Amazon EC2 for VPCs (ec2Query, API version
// 2016-11-15): VPCs with their default security group and main route
// table, subnets, security groups and their rules (stored and shown; no
// packet is filtered), tags, availability zones, network interfaces (those
// Lambda keeps for VPC functions among them) and VPC endpoints with their
// endpoint policies, kept in the store. It answers gateway.Endpoints: the
// endpoint a call from a VPC reaches a service through.
package ec2

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Namespace is the XML namespace of EC2's responses.
const Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// Store tables.
const (
	// resourcesTable holds every resource: ACCOUNT|REGION|ID → resource.
	resourcesTable = "ec2_resources"
	// endpointsTable indexes endpoints: VPCID|SERVICENAME → ACCOUNT|REGION|ID.
	endpointsTable = "ec2_endpoint_index"
	// tokensTable keeps the client tokens of idempotent requests:
	// ACCOUNT|REGION|OPERATION|TOKEN → the ID of the resource made.
	tokensTable = "ec2_client_tokens"
)

// idempotent returns the resource an earlier request of op with the same
// ClientToken made, nil when there was none. same reports whether that
// resource matches this request's parameters; one that does not is EC2's
// IdempotentParameterMismatch.
func idempotent(c *api.Call, tx store.Tx, region string, same func(*resource) bool) (*resource, error) {
	token := c.Params.Get("ClientToken")
	if token == "" {
		return nil, nil
	}
	id, err := tx.Get(c.Context, tokensTable, key(c.Account, region, c.OperationName+"|"+token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r, err := get(c.Context, tx, c.Account, region, string(id))
	var gone *api.Error
	if err != nil && !errors.As(err, &gone) {
		return nil, err
	}
	if gone != nil || !same(r) {
		return nil, api.Errorf(400, "IdempotentParameterMismatch", "The client token you have provided is associated with a resource that is already deleted or has different parameters. Please use a different client token.")
	}
	return r, nil
}

// keepToken records the resource a request with a ClientToken made.
func keepToken(c *api.Call, tx store.Tx, region, id string) error {
	token := c.Params.Get("ClientToken")
	if token == "" {
		return nil
	}
	return tx.Put(c.Context, tokensTable, key(c.Account, region, c.OperationName+"|"+token), []byte(id))
}

// Config configures EC2.
type Config struct {
	Account, Region string
	Store           store.Store
	// Endpoints is the gateway's view of the endpoints (NewEndpoints over
	// Store), which EC2 tells of its own changes at once.
	Endpoints *Endpoints
	// Services returns the signing names of the services an endpoint may
	// be created for ("sts", "s3", ...), which DescribeVpcEndpointServices
	// lists: the services the server serves.
	Services func() []string
	Now      func() time.Time
}

// EC2 is the EC2 service.
type EC2 struct {
	cfg       Config
	now       func() time.Time
	endpoints *Endpoints
}

// New returns EC2 over cfg.Store; without cfg.Endpoints it makes its own
// (NewEndpoints with no Feed).
func New(cfg Config) *EC2 {
	e := &EC2{cfg: cfg, now: cfg.Now, endpoints: cfg.Endpoints}
	if e.now == nil {
		e.now = time.Now
	}
	if e.endpoints == nil {
		e.endpoints = NewEndpoints(cfg.Store, nil)
	}
	return e
}

// Service returns the operation table.
func (e *EC2) Service() *api.Service {
	ops := []*api.Operation{
		{Name: "CreateVpc", Action: "ec2:CreateVpc", Resource: e.newResource("vpc"), Conditions: requestTags("vpc"), Handle: e.createVpc},
		{Name: "DescribeVpcs", Action: "ec2:DescribeVpcs", ReadOnly: true, Handle: e.describeVpcs},
		{Name: "DeleteVpc", Action: "ec2:DeleteVpc", Resource: e.named("VpcId"), Conditions: e.vpcKey, Handle: e.deleteVpc},
		{Name: "CreateSubnet", Action: "ec2:CreateSubnet", Resource: e.newResource("subnet"), Conditions: requestTags("subnet"),
			Also: []api.Check{{Action: "ec2:CreateSubnet", Resource: e.named("VpcId"), Conditions: e.vpcKey}}, Handle: e.createSubnet},
		{Name: "DescribeSubnets", Action: "ec2:DescribeSubnets", ReadOnly: true, Handle: e.describeSubnets},
		{Name: "DeleteSubnet", Action: "ec2:DeleteSubnet", Resource: e.named("SubnetId"), Conditions: e.vpcKey, Handle: e.deleteSubnet},
		{Name: "CreateSecurityGroup", Action: "ec2:CreateSecurityGroup", Resource: e.newResource("security-group"), Conditions: requestTags("security-group"),
			Also: []api.Check{{Action: "ec2:CreateSecurityGroup", Resource: e.named("VpcId"), Conditions: e.vpcKey}}, Handle: e.createSecurityGroup},
		{Name: "DescribeSecurityGroups", Action: "ec2:DescribeSecurityGroups", ReadOnly: true, Handle: e.describeSecurityGroups},
		{Name: "DeleteSecurityGroup", Action: "ec2:DeleteSecurityGroup", Resource: e.named("GroupId"), Conditions: e.vpcKey, Handle: e.deleteSecurityGroup},
		{Name: "AuthorizeSecurityGroupIngress", Action: "ec2:AuthorizeSecurityGroupIngress", Resource: e.named("GroupId"), Conditions: e.vpcKey, Handle: e.authorizeIngress},
		{Name: "AuthorizeSecurityGroupEgress", Action: "ec2:AuthorizeSecurityGroupEgress", Resource: e.named("GroupId"), Conditions: e.vpcKey, Handle: e.authorizeEgress},
		{Name: "RevokeSecurityGroupIngress", Action: "ec2:RevokeSecurityGroupIngress", Resource: e.named("GroupId"), Conditions: e.vpcKey, Handle: e.revokeIngress},
		{Name: "RevokeSecurityGroupEgress", Action: "ec2:RevokeSecurityGroupEgress", Resource: e.named("GroupId"), Conditions: e.vpcKey, Handle: e.revokeEgress},
		{Name: "DescribeRouteTables", Action: "ec2:DescribeRouteTables", ReadOnly: true, Handle: e.describeRouteTables},
		{Name: "CreateTags", Action: "ec2:CreateTags", Resource: e.named("ResourceId.1"), Conditions: e.tagKeys, Handle: e.createTags},
		{Name: "DeleteTags", Action: "ec2:DeleteTags", Resource: e.named("ResourceId.1"), Conditions: e.tagKeys, Handle: e.deleteTags},
		{Name: "DescribeTags", Action: "ec2:DescribeTags", ReadOnly: true, Handle: e.describeTags},
		{Name: "DescribeAvailabilityZones", Action: "ec2:DescribeAvailabilityZones", ReadOnly: true, Handle: e.describeAvailabilityZones},
		{Name: "CreateNetworkInterface", Action: "ec2:CreateNetworkInterface", Resource: e.newResource("network-interface"), Conditions: requestTags("network-interface"),
			Also: []api.Check{{Action: "ec2:CreateNetworkInterface", Resource: e.named("SubnetId"), Conditions: e.vpcKey}}, Handle: e.createNetworkInterface},
		{Name: "DescribeNetworkInterfaces", Action: "ec2:DescribeNetworkInterfaces", ReadOnly: true, Handle: e.describeNetworkInterfaces},
		{Name: "DeleteNetworkInterface", Action: "ec2:DeleteNetworkInterface", Resource: e.named("NetworkInterfaceId"), Conditions: e.vpcKey, Handle: e.deleteNetworkInterface},
		{Name: "CreateVpcEndpoint", Action: "ec2:CreateVpcEndpoint", Resource: e.newResource("vpc-endpoint"), Conditions: requestTags("vpc-endpoint"),
			Also: []api.Check{{Action: "ec2:CreateVpcEndpoint", Resource: e.named("VpcId"), Conditions: e.vpcKey}}, Handle: e.createVpcEndpoint},
		{Name: "DescribeVpcEndpoints", Action: "ec2:DescribeVpcEndpoints", ReadOnly: true, Handle: e.describeVpcEndpoints},
		{Name: "ModifyVpcEndpoint", Action: "ec2:ModifyVpcEndpoint", Resource: e.named("VpcEndpointId"), Conditions: e.vpcKey, Handle: e.modifyVpcEndpoint},
		{Name: "DeleteVpcEndpoints", Action: "ec2:DeleteVpcEndpoints", Resource: e.named("VpcEndpointId.1"), Conditions: e.vpcKey, Handle: e.deleteVpcEndpoints},
		{Name: "DescribeVpcEndpointServices", Action: "ec2:DescribeVpcEndpointServices", ReadOnly: true, Handle: e.describeVpcEndpointServices},
	}
	for _, op := range ops {
		op.Handle = dryRun(op.Handle)
		if lists, ok := eachResource[op.Name]; ok {
			op.Handle = e.authorizeEach(op, lists, op.Handle)
		}
	}
	return api.NewService(api.Service{
		Name:         "ec2",
		EventSource:  "ec2.amazonaws.com",
		Protocols:    []string{"ec2Query"},
		XMLNamespace: Namespace,
		APIVersion:   "2016-11-15",
		Validate:     checkParameters,
	}, ops...)
}

// accepted are the parameters (their first part: "Filter" of
// "Filter.1.Name") each operation honours besides Action, Version and
// DryRun. A parameter of EC2's model that is not among them (IPv6 blocks,
// IPAM pools, Outposts, ...) is refused rather than ignored.
var accepted = map[string][]string{
	"CreateVpc":                     {"CidrBlock", "TagSpecification", "InstanceTenancy"},
	"DescribeVpcs":                  {"Filter", "VpcId", "NextToken", "MaxResults"},
	"DeleteVpc":                     {"VpcId"},
	"CreateSubnet":                  {"TagSpecification", "AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "VpcId"},
	"DescribeSubnets":               {"Filter", "SubnetId", "NextToken", "MaxResults"},
	"DeleteSubnet":                  {"SubnetId"},
	"CreateSecurityGroup":           {"GroupDescription", "GroupName", "VpcId", "TagSpecification"},
	"DescribeSecurityGroups":        {"GroupId", "GroupName", "NextToken", "MaxResults", "Filter"},
	"DeleteSecurityGroup":           {"GroupId", "GroupName"},
	"AuthorizeSecurityGroupIngress": {"CidrIp", "FromPort", "GroupId", "IpPermissions", "IpProtocol", "ToPort"},
	"AuthorizeSecurityGroupEgress":  {"GroupId", "IpPermissions"},
	"RevokeSecurityGroupIngress":    {"CidrIp", "FromPort", "GroupId", "IpPermissions", "IpProtocol", "ToPort"},
	"RevokeSecurityGroupEgress":     {"GroupId", "IpPermissions"},
	"DescribeRouteTables":           {"Filter", "RouteTableId", "NextToken", "MaxResults"},
	"CreateTags":                    {"ResourceId", "Tag"},
	"DeleteTags":                    {"ResourceId", "Tag"},
	"DescribeTags":                  {"Filter", "MaxResults", "NextToken"},
	"DescribeAvailabilityZones":     {"ZoneName", "Filter", "AllAvailabilityZones"},
	"CreateNetworkInterface":        {"TagSpecification", "ClientToken", "SubnetId", "Description", "SecurityGroupId"},
	"DescribeNetworkInterfaces":     {"NextToken", "MaxResults", "NetworkInterfaceId", "Filter"},
	"DeleteNetworkInterface":        {"NetworkInterfaceId"},
	"CreateVpcEndpoint":             {"VpcEndpointType", "VpcId", "ServiceName", "PolicyDocument", "RouteTableId", "SubnetId", "SecurityGroupId", "ClientToken", "PrivateDnsEnabled", "TagSpecification", "IpAddressType"},
	"DescribeVpcEndpoints":          {"VpcEndpointId", "Filter", "MaxResults", "NextToken"},
	"ModifyVpcEndpoint":             {"VpcEndpointId", "PolicyDocument", "ResetPolicy", "AddRouteTableId", "RemoveRouteTableId", "AddSubnetId", "RemoveSubnetId", "AddSecurityGroupId", "RemoveSecurityGroupId", "PrivateDnsEnabled"},
	"DeleteVpcEndpoints":            {"VpcEndpointId"},
	"DescribeVpcEndpointServices":   {"ServiceName", "Filter", "MaxResults", "NextToken"},
}

// checkParameters refuses a parameter the operation does not honour.
func checkParameters(c *api.Call) *api.Error {
	ok := accepted[c.OperationName]
	for k := range c.Params {
		top, _, _ := strings.Cut(k, ".")
		switch {
		case top == "Action" || top == "Version" || top == "DryRun" || strings.HasPrefix(top, "X-Amz-"):
		case slices.Contains(ok, top):
		default:
			return api.Errorf(400, "UnsupportedOperation", "The parameter %s is not supported by this EC2 (VPCs, subnets, security groups and endpoints only).", top)
		}
	}
	if v := c.Params.Get("IpAddressType"); v != "" && v != "ipv4" {
		return invalidValue(v, "IpAddressType", "Only ipv4 is supported.")
	}
	return nil
}

// page applies MaxResults (5 to 1000) and NextToken (the last ID of the
// previous page) to rs, in ID order, and returns the next token.
func page(c *api.Call, rs []*resource, ids bool) ([]*resource, string, error) {
	max, token := c.Params.Get("MaxResults"), c.Params.Get("NextToken")
	if max != "" && ids {
		return nil, "", api.Errorf(400, "InvalidParameterCombination", "The parameter ids cannot be used with the parameter maxResults")
	}
	if token != "" {
		i := sort.Search(len(rs), func(i int) bool { return rs[i].ID > token })
		rs = rs[i:]
	}
	if max == "" {
		return rs, "", nil
	}
	n, err := strconv.Atoi(max)
	if err != nil || n < 5 || n > 1000 {
		return nil, "", invalidValue(max, "MaxResults", "Expecting a value between 5 and 1000.")
	}
	if len(rs) <= n {
		return rs, "", nil
	}
	return rs[:n], rs[n-1].ID, nil
}

// pageIndex pages a list of n items whose order is stable by position:
// NextToken is the index the page starts at. It returns the page's bounds
// and the next token.
func pageIndex(c *api.Call, n int) (from, to int, next string, err error) {
	if t := c.Params.Get("NextToken"); t != "" {
		if from, err = strconv.Atoi(t); err != nil || from < 0 || from > n {
			return 0, 0, "", api.Errorf(400, "InvalidNextToken", "The token '%s' is invalid.", t)
		}
	}
	to = n
	if max := c.Params.Get("MaxResults"); max != "" {
		m, err := strconv.Atoi(max)
		if err != nil || m < 5 || m > 1000 {
			return 0, 0, "", invalidValue(max, "MaxResults", "Expecting a value between 5 and 1000.")
		}
		if from+m < n {
			to, next = from+m, strconv.Itoa(from+m)
		}
	}
	return from, to, next, nil
}

// dryRun answers a DryRun request, which reaches the handler only once
// it is authorized, with EC2's DryRunOperation.
func dryRun(h func(c *api.Call) (any, error)) func(c *api.Call) (any, error) {
	return func(c *api.Call) (any, error) {
		if strings.EqualFold(c.Params.Get("DryRun"), "true") {
			return nil, api.Errorf(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
		}
		return h(c)
	}
}

// kinds maps an ID prefix to the resource type in ARNs and tag
// specifications, and to the resource's NotFound error.
var kinds = map[string]struct{ arnType, notFound, noun string }{
	"vpc":    {"vpc", "InvalidVpcID.NotFound", "vpc ID"},
	"subnet": {"subnet", "InvalidSubnetID.NotFound", "subnet ID"},
	"sg":     {"security-group", "InvalidGroup.NotFound", "security group"},
	"rtb":    {"route-table", "InvalidRouteTableID.NotFound", "routeTable ID"},
	"eni":    {"network-interface", "InvalidNetworkInterfaceID.NotFound", "networkInterface ID"},
	"vpce":   {"vpc-endpoint", "InvalidVpcEndpointId.NotFound", "Vpc Endpoint Id"},
}

// kindOf returns the ID prefix of id ("vpc" for "vpc-0a1b..."), "" when
// it names no kind EC2 keeps.
func kindOf(id string) string {
	p, rest, ok := strings.Cut(id, "-")
	if !ok || rest == "" {
		return ""
	}
	if _, known := kinds[p]; !known {
		return ""
	}
	return p
}

// notFound is EC2's answer for an ID that names nothing.
func notFound(id string) *api.Error {
	k, ok := kinds[kindOf(id)]
	if !ok {
		return api.Errorf(400, "InvalidID", "The ID '%s' is not valid", id)
	}
	if kindOf(id) == "vpce" {
		return api.Errorf(400, k.notFound, "The Vpc Endpoint Id '%s' does not exist", id)
	}
	if kindOf(id) == "sg" {
		return api.Errorf(400, k.notFound, "The security group '%s' does not exist", id)
	}
	return api.Errorf(400, k.notFound, "The %s '%s' does not exist", k.noun, id)
}

func missing(name string) *api.Error {
	return api.Errorf(400, "MissingParameter", "The request must contain the parameter %s", name)
}

func invalidValue(value, param, why string) *api.Error {
	return api.Errorf(400, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. %s", value, param, why)
}

// newID returns prefix + "-" + 17 hex digits, as EC2's IDs are.
func newID(prefix string) string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])[:17]
}

// arn returns the ARN of an EC2 resource.
func (e *EC2) arn(c *api.Call, id string) string {
	return "arn:aws:ec2:" + e.region(c) + ":" + c.Account + ":" + kinds[kindOf(id)].arnType + "/" + id
}

func (e *EC2) region(c *api.Call) string {
	if c.Region != "" {
		return c.Region
	}
	return e.cfg.Region
}

// resource is one stored EC2 resource; which fields are set depends on its
// kind (its ID's prefix).
type resource struct {
	ID      string            `json:"id"`
	Account string            `json:"account"`
	Region  string            `json:"region"`
	Tags    map[string]string `json:"tags,omitempty"`
	Created time.Time         `json:"created"`
	VPC     string            `json:"vpc,omitempty"`
	CIDR    string            `json:"cidr,omitempty"`
	// Subnets and network interfaces.
	Zone   string `json:"zone,omitempty"`
	Subnet string `json:"subnet,omitempty"`
	// Security groups.
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Ingress     []rule   `json:"ingress,omitempty"`
	Egress      []rule   `json:"egress,omitempty"`
	Default     bool     `json:"default,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	// VPC endpoints.
	Service     string   `json:"service,omitempty"`
	Type        string   `json:"type,omitempty"`
	Policy      string   `json:"policy,omitempty"`
	RouteTables []string `json:"routeTables,omitempty"`
	Subnets     []string `json:"subnets,omitempty"`
	PrivateDNS  bool     `json:"privateDns,omitempty"`
	Interfaces  []string `json:"interfaces,omitempty"`
	// Network interfaces.
	InterfaceType string   `json:"interfaceType,omitempty"`
	RequesterID   string   `json:"requesterId,omitempty"`
	Managed       bool     `json:"managed,omitempty"`
	IP            string   `json:"ip,omitempty"`
	Users         []string `json:"users,omitempty"` // the functions using a Lambda ENI
}

func key(account, region, id string) string { return account + "|" + region + "|" + id }

func get(ctx context.Context, r store.Reader, account, region, id string) (*resource, error) {
	if kindOf(id) == "" {
		return nil, notFound(id)
	}
	b, err := r.Get(ctx, resourcesTable, key(account, region, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("ec2: reading %s: %w", id, err)
	}
	var res resource
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("ec2: decoding %s: %w", id, err)
	}
	return &res, nil
}

func put(ctx context.Context, tx store.Tx, r *resource) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Put(ctx, resourcesTable, key(r.Account, r.Region, r.ID), b)
}

func del(ctx context.Context, tx store.Tx, r *resource) error {
	return tx.Delete(ctx, resourcesTable, key(r.Account, r.Region, r.ID))
}

// list returns the account's resources of a kind in the region, in ID order.
func (e *EC2) list(ctx context.Context, r store.Reader, account, region, kind string) ([]*resource, error) {
	items, err := r.List(ctx, resourcesTable, key(account, region, kind+"-"), "", 0)
	if err != nil {
		return nil, fmt.Errorf("ec2: listing %ss: %w", kind, err)
	}
	out := make([]*resource, 0, len(items))
	for _, it := range items {
		var res resource
		if err := json.Unmarshal(it.Value, &res); err != nil {
			return nil, fmt.Errorf("ec2: decoding %s: %w", it.Key, err)
		}
		out = append(out, &res)
	}
	return out, nil
}

// newResource is the resource of a Create operation: TYPE/* (the new
// resource has no ID yet).
func (e *EC2) newResource(arnType string) func(c *api.Call) (api.Resource, error) {
	return func(c *api.Call) (api.Resource, error) {
		return api.Resource{ARN: "arn:aws:ec2:" + e.region(c) + ":" + c.Account + ":" + arnType + "/*"}, nil
	}
}

// named is the existing resource the parameter param names, with its tags;
// a resource that does not exist is authorized by its ARN alone (the
// handler answers NotFound).
func (e *EC2) named(param string) func(c *api.Call) (api.Resource, error) {
	return func(c *api.Call) (api.Resource, error) {
		id := c.Params.Get(param)
		if kindOf(id) == "" {
			return api.Resource{}, nil
		}
		res := api.Resource{ARN: e.arn(c, id)}
		if r, err := get(c.Context, e.cfg.Store, c.Account, e.region(c), id); err == nil {
			res.Tags = r.Tags
		}
		return res, nil
	}
}

// keyMap collects condition keys for api.Call.Authorize.
type keyMap map[string][]string

func (k keyMap) Set(key string, values ...string) { k[key] = values }

// eachResource are the operations that name further resources in lists
// (Name.1, Name.2, ...), by the lists and the index each starts from: the
// gateway authorizes the operation's own resource (ResourceId.1 for
// CreateTags) and its Also checks, the lists authorize the rest.
var eachResource = map[string][]listed{
	"CreateTags":         {{"ResourceId", 2, true}},
	"DeleteTags":         {{"ResourceId", 2, true}},
	"DeleteVpcEndpoints": {{"VpcEndpointId", 2, false}},
	"CreateVpcEndpoint":  {{"RouteTableId", 1, false}, {"SubnetId", 1, false}, {"SecurityGroupId", 1, false}},
	"ModifyVpcEndpoint": {{"AddRouteTableId", 1, false}, {"RemoveRouteTableId", 1, false},
		{"AddSecurityGroupId", 1, false}, {"RemoveSecurityGroupId", 1, false}},
}

// listed is a list parameter of resource IDs, authorized from index from
// with the request's tags (tags: CreateTags, DeleteTags) and ec2:Vpc.
type listed struct {
	param string
	from  int
	tags  bool
}

// authorizeEach makes h authorize op's action on every resource that the
// lists name, before it runs (a DryRun too): EC2
// authorizes each resource a request names, so a caller allowed on one
// cannot act on others by listing them. A refusal is AWS's AccessDenied
// and nothing changes.
func (e *EC2) authorizeEach(op *api.Operation, lists []listed, h func(c *api.Call) (any, error)) func(c *api.Call) (any, error) {
	return func(c *api.Call) (any, error) {
		for _, l := range lists {
			n := len(indexed(c.Params, l.param))
			if n >= l.from && c.Authorize == nil {
				return nil, fmt.Errorf("ec2: %s: no authorizer for %s", op.Action, l.param)
			}
			for i := l.from; i <= n; i++ {
				res, err := e.named(l.param + "." + strconv.Itoa(i))(c)
				if err != nil {
					return nil, err
				}
				keys := keyMap{}
				if l.tags {
					e.tagKeys(c, res, keys)
				} else {
					e.vpcKey(c, res, keys)
				}
				if err := c.Authorize(op.Action, res, keys); err != nil {
					return nil, err
				}
			}
		}
		return h(c)
	}
}

// vpcKey sets ec2:Vpc for a resource inside a VPC (or the VPC itself).
func (e *EC2) vpcKey(c *api.Call, res api.Resource, keys api.Keys) {
	id := res.ARN[strings.LastIndexByte(res.ARN, '/')+1:]
	switch kindOf(id) {
	case "":
		return
	case "vpc":
		keys.Set("ec2:Vpc", res.ARN)
		return
	}
	if r, err := get(c.Context, e.cfg.Store, c.Account, e.region(c), id); err == nil && r.VPC != "" {
		keys.Set("ec2:Vpc", e.arn(c, r.VPC))
	}
	if kindOf(id) == "subnet" {
		keys.Set("ec2:Subnet", res.ARN)
	}
}

// requestTags sets aws:RequestTag/* and aws:TagKeys from the tag
// specification for arnType.
func requestTags(arnType string) func(c *api.Call, _ api.Resource, keys api.Keys) {
	return func(c *api.Call, _ api.Resource, keys api.Keys) {
		tags, err := tagSpecifications(c, arnType)
		if err != nil || len(tags) == 0 {
			return
		}
		setRequestTags(tags, keys)
	}
}

func setRequestTags(tags map[string]string, keys api.Keys) {
	names := make([]string, 0, len(tags))
	for k, v := range tags {
		keys.Set("aws:RequestTag/"+k, v)
		names = append(names, k)
	}
	sort.Strings(names)
	keys.Set("aws:TagKeys", names...)
}

// tagKeys sets the keys of CreateTags and DeleteTags.
func (e *EC2) tagKeys(c *api.Call, res api.Resource, keys api.Keys) {
	tags, _ := tagList(c.Params, "Tag")
	m := map[string]string{}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	if len(m) > 0 {
		setRequestTags(m, keys)
	}
	e.vpcKey(c, res, keys)
}

// indexed returns the values of Name.1, Name.2, ... in order.
func indexed(params map[string][]string, name string) []string {
	var out []string
	for n := 1; ; n++ {
		v, ok := params[name+"."+strconv.Itoa(n)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// filter is one Filter.N of a Describe request.
type filter struct {
	Name   string
	Values []string
}

func filters(params map[string][]string) []filter {
	var out []filter
	for n := 1; ; n++ {
		p := "Filter." + strconv.Itoa(n)
		name, ok := params[p+".Name"]
		if !ok {
			return out
		}
		out = append(out, filter{Name: name[0], Values: indexed(params, p+".Value")})
	}
}

// match reports whether r passes every filter; fields gives the values
// of r for each filter name its kind supports, and a filter name it does
// not support is EC2's InvalidParameterValue.
func match(fs []filter, r *resource, fields map[string]func(*resource) []string) (bool, error) {
	for _, f := range fs {
		var have []string
		switch {
		case strings.HasPrefix(f.Name, "tag:"):
			if v, ok := r.Tags[f.Name[4:]]; ok {
				have = []string{v}
			}
		case f.Name == "tag-key":
			for k := range r.Tags {
				have = append(have, k)
			}
		case f.Name == "tag-value":
			for _, v := range r.Tags {
				have = append(have, v)
			}
		default:
			get, ok := fields[f.Name]
			if !ok {
				return false, api.Errorf(400, "InvalidParameterValue", "The filter '%s' is invalid", f.Name)
			}
			have = get(r)
		}
		if !slices.ContainsFunc(f.Values, func(want string) bool {
			return slices.ContainsFunc(have, func(h string) bool { return globMatch(want, h) })
		}) {
			return false, nil
		}
	}
	return true, nil
}

// globMatch matches EC2's filter wildcards: * any run, ? one character.
func globMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		}
	}
	return s == ""
}

// describe lists the resources of kind that ids (all when empty) name and
// the filters pass, a page of them with the next page's token; an ID that
// names nothing is the kind's NotFound.
func (e *EC2) describe(c *api.Call, kind string, ids []string, fields map[string]func(*resource) []string) ([]*resource, string, error) {
	fs := filters(c.Params)
	all, err := e.list(c.Context, e.cfg.Store, c.Account, e.region(c), kind)
	if err != nil {
		return nil, "", err
	}
	byID := map[string]*resource{}
	for _, r := range all {
		byID[r.ID] = r
	}
	var out []*resource
	if len(ids) > 0 {
		for _, id := range ids {
			r, ok := byID[id]
			if !ok {
				return nil, "", notFound(id)
			}
			out = append(out, r)
		}
	} else {
		out = all
	}
	kept := out[:0:0]
	for _, r := range out {
		ok, err := match(fs, r, fields)
		if err != nil {
			return nil, "", err
		}
		if ok {
			kept = append(kept, r)
		}
	}
	return page(c, kept, len(ids) > 0)
}
