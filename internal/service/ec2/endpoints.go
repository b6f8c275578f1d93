package ec2

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// DefaultEndpointPolicy is the policy an endpoint created without one gets:
// full access.
const DefaultEndpointPolicy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// maxEndpointPolicy bounds an endpoint policy, in characters.
const maxEndpointPolicy = 20480

// Endpoint types.
const (
	typeGateway       = "Gateway"
	typeInterfaceVPCE = "Interface"
)

// gatewayServices are the services that also take gateway endpoints.
var gatewayServices = map[string]bool{"s3": true, "dynamodb": true}

// serviceName is "com.amazonaws.REGION.SERVICE".
func serviceName(region, service string) string { return "com.amazonaws." + region + "." + service }

// parseEndpointPolicy checks an endpoint policy as a resource-based policy
// (it must name principals).
func parseEndpointPolicy(doc string) (*policy.Policy, error) {
	if len(doc) > maxEndpointPolicy {
		return nil, api.Errorf(400, "InvalidParameter", "Policy document exceeds the maximum size of %d characters.", maxEndpointPolicy)
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return nil, api.Errorf(400, "MalformedPolicyDocument", "%s", pe.Message)
		}
		return nil, err
	}
	return p, nil
}

type dnsEntry struct {
	DNSName      string `xml:"dnsName"`
	HostedZoneID string `xml:"hostedZoneId,omitempty"`
}

type endpointItem struct {
	VpcEndpointID     string     `xml:"vpcEndpointId"`
	VpcEndpointType   string     `xml:"vpcEndpointType"`
	VpcID             string     `xml:"vpcId"`
	ServiceName       string     `xml:"serviceName"`
	State             string     `xml:"state"`
	PolicyDocument    string     `xml:"policyDocument"`
	RouteTableIDs     []string   `xml:"routeTableIdSet>item"`
	SubnetIDs         []string   `xml:"subnetIdSet>item"`
	Groups            []groupRef `xml:"groupSet>item"`
	IPAddressType     string     `xml:"ipAddressType"`
	PrivateDNSEnabled bool       `xml:"privateDnsEnabled"`
	RequesterManaged  bool       `xml:"requesterManaged"`
	InterfaceIDs      []string   `xml:"networkInterfaceIdSet>item"`
	DNSEntries        []dnsEntry `xml:"dnsEntrySet>item"`
	CreationTimestamp string     `xml:"creationTimestamp"`
	Tags              []tag      `xml:"tagSet>item,omitempty"`
	OwnerID           string     `xml:"ownerId"`
}

func endpointOf(r *resource, names map[string]string) endpointItem {
	it := endpointItem{
		VpcEndpointID: r.ID, VpcEndpointType: r.Type, VpcID: r.VPC, ServiceName: r.Service, State: "available",
		PolicyDocument: r.Policy, RouteTableIDs: r.RouteTables, SubnetIDs: r.Subnets, IPAddressType: "ipv4",
		PrivateDNSEnabled: r.PrivateDNS, InterfaceIDs: r.Interfaces,
		CreationTimestamp: r.Created.UTC().Format("2006-01-02T15:04:05.000Z"), Tags: tagSet(r.Tags), OwnerID: r.Account,
	}
	for _, g := range r.Groups {
		it.Groups = append(it.Groups, groupRef{GroupID: g, GroupName: names[g]})
	}
	if r.Type == typeInterfaceVPCE {
		svc := r.Service[strings.LastIndexByte(r.Service, '.')+1:]
		it.DNSEntries = append(it.DNSEntries, dnsEntry{DNSName: r.ID + "." + svc + "." + r.Region + ".vpce.amazonaws.com", HostedZoneID: "Z7HUB22UULQXV"})
		if r.PrivateDNS {
			it.DNSEntries = append(it.DNSEntries, dnsEntry{DNSName: svc + "." + r.Region + ".amazonaws.com"})
		}
	}
	return it
}

type createEndpointResponse struct {
	VpcEndpoint endpointItem `xml:"vpcEndpoint"`
	ClientToken string       `xml:"clientToken,omitempty"`
}

// services are the services endpoints may be made for.
func (e *EC2) services() []string {
	if e.cfg.Services == nil {
		return nil
	}
	return e.cfg.Services()
}

// endpointService returns the signing name of the service a ServiceName
// names in the call's region, or InvalidServiceName.
func (e *EC2) endpointService(c *api.Call, name string) (string, error) {
	prefix := "com.amazonaws." + e.region(c) + "."
	if svc, ok := strings.CutPrefix(name, prefix); ok && slices.Contains(e.services(), svc) {
		return svc, nil
	}
	return "", api.Errorf(400, "InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", name)
}

// createVpcEndpoint makes a gateway endpoint (s3, dynamodb: RouteTableId.N)
// or an interface endpoint (SubnetId.N, SecurityGroupId.N,
// PrivateDnsEnabled; a network interface in each subnet), one per service
// in a VPC.
func (e *EC2) createVpcEndpoint(c *api.Call) (any, error) {
	vpcID, name := c.Params.Get("VpcId"), c.Params.Get("ServiceName")
	switch {
	case vpcID == "":
		return nil, missing("VpcId")
	case name == "":
		return nil, missing("ServiceName")
	}
	svc, err := e.endpointService(c, name)
	if err != nil {
		return nil, err
	}
	typ := c.Params.Get("VpcEndpointType")
	switch typ {
	case "":
		typ = typeGateway
	case typeGateway, typeInterfaceVPCE:
	default:
		return nil, invalidValue(typ, "VpcEndpointType", "Valid values are Gateway and Interface.")
	}
	if typ == typeGateway && !gatewayServices[svc] {
		return nil, api.Errorf(400, "InvalidParameter", "The Vpc Endpoint Service '%s' does not support endpoint type Gateway.", name)
	}
	doc := c.Params.Get("PolicyDocument")
	if !c.Params.Has("PolicyDocument") {
		doc = DefaultEndpointPolicy
	}
	if _, err := parseEndpointPolicy(doc); err != nil {
		return nil, err
	}
	routeTables := indexed(c.Params, "RouteTableId")
	subnets := indexed(c.Params, "SubnetId")
	groups := indexed(c.Params, "SecurityGroupId")
	privateDNS := c.Params.Get("PrivateDnsEnabled")
	if typ == typeGateway && (len(subnets) > 0 || len(groups) > 0 || privateDNS == "true") {
		return nil, api.Errorf(400, "InvalidParameter", "Subnets, security groups and private DNS can only be given for Interface endpoints.")
	}
	if typ == typeInterfaceVPCE && len(routeTables) > 0 {
		return nil, api.Errorf(400, "InvalidParameter", "Route tables can only be given for Gateway endpoints.")
	}
	tags, err := tagSpecifications(c, "vpc-endpoint")
	if err != nil {
		return nil, err
	}
	region := e.region(c)
	ep := &resource{ID: newID("vpce"), Account: c.Account, Region: region, VPC: vpcID, Service: name, Type: typ,
		Policy: doc, RouteTables: routeTables, Subnets: subnets, Tags: tags, Created: e.now().UTC(),
		PrivateDNS: typ == typeInterfaceVPCE && privateDNS != "false"}
	var names map[string]string
	_, err = e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		earlier, err := idempotent(c, tx, region, func(r *resource) bool { return r.VPC == vpcID && r.Service == name && r.Type == typ })
		if err != nil {
			return err
		}
		if earlier != nil {
			ep = earlier
			names, err = e.groupNames(c.Context, tx, c.Account, region)
			return err
		}
		if _, err := get(c.Context, tx, c.Account, region, vpcID); err != nil || kindOf(vpcID) != "vpc" {
			return notFound(vpcID)
		}
		if _, err := tx.Get(c.Context, endpointsTable, vpcID+"|"+name); err == nil {
			return api.Errorf(400, "RouteAlreadyExists", "The VPC %s already has an endpoint for %s.", vpcID, name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		for _, id := range routeTables {
			rt, err := get(c.Context, tx, c.Account, region, id)
			if err != nil || kindOf(id) != "rtb" || rt.VPC != vpcID {
				return api.Errorf(400, "InvalidRouteTableId.NotFound", "The routeTable ID '%s' does not exist", id)
			}
		}
		ep.Interfaces, ep.Groups = nil, nil
		zones := map[string]bool{}
		for _, s := range subnets {
			eni, err := e.newInterface(c.Context, tx, c.Account, region, s, groups)
			if err != nil {
				return err
			}
			if eni.VPC != vpcID {
				return api.Errorf(400, "InvalidParameter", "The subnet ID '%s' does not belong to VPC '%s'.", s, vpcID)
			}
			if zones[eni.Zone] {
				return api.Errorf(400, "DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of %s. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.", s)
			}
			zones[eni.Zone] = true
			eni.InterfaceType, eni.Managed, eni.RequesterID = typeEndpoint, true, "amazon-aws"
			eni.Description = "VPC Endpoint Interface " + ep.ID
			ep.Interfaces = append(ep.Interfaces, eni.ID)
			ep.Groups = eni.Groups
			if err := put(c.Context, tx, eni); err != nil {
				return err
			}
		}
		if typ == typeInterfaceVPCE && len(subnets) == 0 && len(groups) > 0 {
			for _, g := range groups {
				if sg, err := get(c.Context, tx, c.Account, region, g); err != nil || kindOf(g) != "sg" || sg.VPC != vpcID {
					return notFound(g)
				}
			}
			ep.Groups = groups
		}
		if names, err = e.groupNames(c.Context, tx, c.Account, region); err != nil {
			return err
		}
		if err := tx.Put(c.Context, endpointsTable, vpcID+"|"+name, []byte(key(c.Account, region, ep.ID))); err != nil {
			return err
		}
		if err := keepToken(c, tx, region, ep.ID); err != nil {
			return err
		}
		return put(c.Context, tx, ep)
	})
	if err != nil {
		return nil, err
	}
	e.endpoints.clear()
	return &createEndpointResponse{VpcEndpoint: endpointOf(ep, names), ClientToken: c.Params.Get("ClientToken")}, nil
}

type describeEndpointsResponse struct {
	Endpoints []endpointItem `xml:"vpcEndpointSet>item"`
	NextToken string         `xml:"nextToken,omitempty"`
}

var endpointFilters = map[string]func(*resource) []string{
	"vpc-endpoint-id":    func(r *resource) []string { return []string{r.ID} },
	"vpc-id":             func(r *resource) []string { return []string{r.VPC} },
	"service-name":       func(r *resource) []string { return []string{r.Service} },
	"vpc-endpoint-type":  func(r *resource) []string { return []string{r.Type} },
	"vpc-endpoint-state": func(*resource) []string { return []string{"available"} },
}

func (e *EC2) describeVpcEndpoints(c *api.Call) (any, error) {
	rs, next, err := e.describe(c, "vpce", indexed(c.Params, "VpcEndpointId"), endpointFilters)
	if err != nil {
		return nil, err
	}
	names, err := e.groupNames(c.Context, e.cfg.Store, c.Account, e.region(c))
	if err != nil {
		return nil, err
	}
	out := &describeEndpointsResponse{Endpoints: []endpointItem{}, NextToken: next}
	for _, r := range rs {
		out.Endpoints = append(out.Endpoints, endpointOf(r, names))
	}
	return out, nil
}

// modifyVpcEndpoint changes an endpoint's policy (PolicyDocument, or
// ResetPolicy to the default), a gateway endpoint's route tables, an
// interface endpoint's security groups and private DNS. Adding or removing
// an interface endpoint's subnets is refused.
func (e *EC2) modifyVpcEndpoint(c *api.Call) (any, error) {
	id := c.Params.Get("VpcEndpointId")
	if id == "" {
		return nil, missing("VpcEndpointId")
	}
	if len(indexed(c.Params, "AddSubnetId"))+len(indexed(c.Params, "RemoveSubnetId")) > 0 {
		return nil, api.Errorf(400, "UnsupportedOperation", "Changing the subnets of an endpoint is not supported; delete it and create it again.")
	}
	reset := strings.EqualFold(c.Params.Get("ResetPolicy"), "true")
	doc, hasDoc := c.Params.Get("PolicyDocument"), c.Params.Has("PolicyDocument")
	if reset && hasDoc {
		return nil, api.Errorf(400, "InvalidParameterCombination", "ResetPolicy and PolicyDocument cannot be given together.")
	}
	if reset {
		doc, hasDoc = DefaultEndpointPolicy, true
	}
	if hasDoc {
		if _, err := parseEndpointPolicy(doc); err != nil {
			return nil, err
		}
	}
	addRT, removeRT := indexed(c.Params, "AddRouteTableId"), indexed(c.Params, "RemoveRouteTableId")
	addSG, removeSG := indexed(c.Params, "AddSecurityGroupId"), indexed(c.Params, "RemoveSecurityGroupId")
	region := e.region(c)
	_, err := e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		ep, err := get(c.Context, tx, c.Account, region, id)
		if err != nil || kindOf(id) != "vpce" {
			return notFound(id)
		}
		if ep.Type == typeGateway && len(addSG)+len(removeSG) > 0 || c.Params.Has("PrivateDnsEnabled") && ep.Type == typeGateway {
			return api.Errorf(400, "InvalidParameter", "Security groups and private DNS can only be changed for Interface endpoints.")
		}
		if ep.Type == typeInterfaceVPCE && len(addRT)+len(removeRT) > 0 {
			return api.Errorf(400, "InvalidParameter", "Route tables can only be changed for Gateway endpoints.")
		}
		if hasDoc {
			ep.Policy = doc
		}
		for _, rt := range addRT {
			r, err := get(c.Context, tx, c.Account, region, rt)
			if err != nil || kindOf(rt) != "rtb" || r.VPC != ep.VPC {
				return api.Errorf(400, "InvalidRouteTableId.NotFound", "The routeTable ID '%s' does not exist", rt)
			}
			if !contains(ep.RouteTables, rt) {
				ep.RouteTables = append(ep.RouteTables, rt)
			}
		}
		ep.RouteTables = slices.DeleteFunc(ep.RouteTables, func(s string) bool { return contains(removeRT, s) })
		for _, g := range addSG {
			sg, err := get(c.Context, tx, c.Account, region, g)
			if err != nil || kindOf(g) != "sg" || sg.VPC != ep.VPC {
				return notFound(g)
			}
			if !contains(ep.Groups, g) {
				ep.Groups = append(ep.Groups, g)
			}
		}
		ep.Groups = slices.DeleteFunc(ep.Groups, func(s string) bool { return contains(removeSG, s) })
		if v := c.Params.Get("PrivateDnsEnabled"); v != "" {
			ep.PrivateDNS = v == "true"
		}
		return put(c.Context, tx, ep)
	})
	if err != nil {
		return nil, err
	}
	e.endpoints.clear()
	return &returnResponse{Return: true}, nil
}

type unsuccessfulItem struct {
	Code       string `xml:"error>code"`
	Message    string `xml:"error>message"`
	ResourceID string `xml:"resourceId"`
}

type deleteEndpointsResponse struct {
	Unsuccessful []unsuccessfulItem `xml:"unsuccessful>item"`
}

// deleteVpcEndpoints deletes each endpoint it can, with its network
// interfaces, and lists the others as unsuccessful.
func (e *EC2) deleteVpcEndpoints(c *api.Call) (any, error) {
	ids := indexed(c.Params, "VpcEndpointId")
	if len(ids) == 0 {
		return nil, missing("VpcEndpointId")
	}
	region := e.region(c)
	out := &deleteEndpointsResponse{Unsuccessful: []unsuccessfulItem{}}
	for _, id := range ids {
		_, err := e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
			ep, err := get(c.Context, tx, c.Account, region, id)
			if err != nil || kindOf(id) != "vpce" {
				return notFound(id)
			}
			for _, eni := range ep.Interfaces {
				if err := tx.Delete(c.Context, resourcesTable, key(c.Account, region, eni)); err != nil {
					return err
				}
			}
			if err := tx.Delete(c.Context, endpointsTable, ep.VPC+"|"+ep.Service); err != nil {
				return err
			}
			return del(c.Context, tx, ep)
		})
		var ae *api.Error
		switch {
		case errors.As(err, &ae):
			out.Unsuccessful = append(out.Unsuccessful, unsuccessfulItem{Code: ae.Code, Message: ae.Message, ResourceID: id})
		case err != nil:
			return nil, fmt.Errorf("ec2: deleting %s: %w", id, err)
		}
	}
	e.endpoints.clear()
	return out, nil
}

type serviceDetail struct {
	ServiceName        string   `xml:"serviceName"`
	ServiceID          string   `xml:"serviceId"`
	ServiceTypes       []string `xml:"serviceType>item>serviceType"`
	AvailabilityZones  []string `xml:"availabilityZoneSet>item"`
	Owner              string   `xml:"owner"`
	BaseEndpointDNS    []string `xml:"baseEndpointDnsNameSet>item"`
	PrivateDNSName     string   `xml:"privateDnsName,omitempty"`
	PolicySupported    bool     `xml:"vpcEndpointPolicySupported"`
	AcceptanceRequired bool     `xml:"acceptanceRequired"`
	ManagesEndpoints   bool     `xml:"managesVpcEndpoints"`
	IPAddressTypes     []string `xml:"supportedIpAddressTypeSet>item"`
}

type describeServicesResponse struct {
	ServiceNames []string        `xml:"serviceNameSet>item"`
	Details      []serviceDetail `xml:"serviceDetailSet>item"`
	NextToken    string          `xml:"nextToken,omitempty"`
}

// describeVpcEndpointServices lists the services rolecall serves in the
// region, one detail per endpoint type each takes.
func (e *EC2) describeVpcEndpointServices(c *api.Call) (any, error) {
	region := e.region(c)
	asked := indexed(c.Params, "ServiceName")
	fs := filters(c.Params)
	var azs []string
	for _, z := range zones {
		azs = append(azs, region+z)
	}
	out := &describeServicesResponse{ServiceNames: []string{}, Details: []serviceDetail{}}
	services := slices.Sorted(slices.Values(e.services()))
	for _, svc := range services {
		name := serviceName(region, svc)
		if len(asked) > 0 && !contains(asked, name) {
			continue
		}
		types := []string{typeInterfaceVPCE}
		if gatewayServices[svc] {
			types = append(types, typeGateway)
		}
		for _, t := range types {
			d := serviceDetail{ServiceName: name, ServiceID: "vpce-svc-" + svc, ServiceTypes: []string{t}, AvailabilityZones: azs,
				Owner: "amazon", PolicySupported: true, IPAddressTypes: []string{"ipv4"}}
			if t == typeInterfaceVPCE {
				d.BaseEndpointDNS = []string{svc + "." + region + ".vpce.amazonaws.com"}
				d.PrivateDNSName = svc + "." + region + ".amazonaws.com"
			} else {
				d.BaseEndpointDNS = []string{svc + "." + region + ".amazonaws.com"}
			}
			ok := true
			for _, f := range fs {
				var have string
				switch f.Name {
				case "service-name":
					have = name
				case "service-type":
					have = t
				default:
					return nil, api.Errorf(400, "InvalidParameterValue", "The filter '%s' is invalid", f.Name)
				}
				ok = ok && containsGlob(f.Values, have)
			}
			if ok {
				out.Details = append(out.Details, d)
			}
		}
		if !contains(out.ServiceNames, name) && (len(out.Details) > 0 && out.Details[len(out.Details)-1].ServiceName == name) {
			out.ServiceNames = append(out.ServiceNames, name)
		}
	}
	for _, a := range asked {
		if !contains(out.ServiceNames, a) && len(fs) == 0 {
			return nil, api.Errorf(400, "InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", a)
		}
	}
	from, to, next, err := pageIndex(c, len(out.Details))
	if err != nil {
		return nil, err
	}
	out.Details, out.NextToken = out.Details[from:to], next
	names := out.ServiceNames[:0:0]
	for _, d := range out.Details {
		if !contains(names, d.ServiceName) {
			names = append(names, d.ServiceName)
		}
	}
	out.ServiceNames = names
	return out, nil
}

// carries reports whether the calls of the VPC's functions to the service
// go through the endpoint r, as they do in AWS: a gateway endpoint routes
// them when it is on the route table of their subnets (here every subnet
// has its VPC's main route table); an interface endpoint takes them when
// it has a network interface in a subnet and private DNS, so that the
// service's own hostname resolves to it. Otherwise they leave the VPC
// through its NAT and carry no aws:SourceVpc.
func (r *resource) carries() bool {
	if r.Type == typeGateway {
		return len(r.RouteTables) > 0
	}
	return len(r.Interfaces) > 0 && r.PrivateDNS
}

// Endpoints answers gateway.Endpoints from the store: the endpoint of a
// VPC for a service, with its policy compiled as a gate, cached (absences
// too) until an endpoint changes in this process or, through the Feed, in
// another one sharing the store. The zero value is not usable; use
// NewEndpoints.
type Endpoints struct {
	st  store.Store
	mu  sync.Mutex
	m   map[string]*gateway.VPCEndpoint
	gen uint64 // counts clears: a load that a clear overtook is not kept
}

// NewEndpoints returns the endpoints kept in st; feed (nil: none) brings
// the changes other processes make.
func NewEndpoints(st store.Store, feed *store.Feed) *Endpoints {
	x := &Endpoints{st: st, m: map[string]*gateway.VPCEndpoint{}}
	if feed != nil {
		feed.Subscribe([]string{resourcesTable, endpointsTable}, func(ch store.Change) {
			if ch.Table == endpointsTable || strings.Contains(ch.Key, "|vpce-") {
				x.clear()
			}
		}, x.clear)
	}
	return x
}

func (x *Endpoints) clear() {
	x.mu.Lock()
	clear(x.m)
	x.gen++
	x.mu.Unlock()
}

// Endpoint returns the endpoint through which a call made from vpc reaches
// service (a signing name: "s3", "sts", ...) in region, with its policy
// compiled as a gate (policy.SourceEndpoint); nil, nil when the VPC has
// none for it.
func (x *Endpoints) Endpoint(ctx context.Context, vpc, service, region string) (*gateway.VPCEndpoint, error) {
	k := vpc + "|" + serviceName(region, service)
	x.mu.Lock()
	ep, ok := x.m[k]
	gen := x.gen
	x.mu.Unlock()
	if ok {
		return ep, nil
	}
	ep, err := x.load(ctx, k)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	if x.gen == gen {
		x.m[k] = ep
	}
	x.mu.Unlock()
	return ep, nil
}

func (x *Endpoints) load(ctx context.Context, k string) (*gateway.VPCEndpoint, error) {
	ref, err := x.st.Get(ctx, endpointsTable, k)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ec2: endpoint of %s: %w", k, err)
	}
	parts := strings.SplitN(string(ref), "|", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("ec2: endpoint index %s: bad reference %q", k, ref)
	}
	r, err := get(ctx, x.st, parts[0], parts[1], parts[2])
	if err != nil {
		return nil, fmt.Errorf("ec2: endpoint of %s: %w", k, err)
	}
	if !r.carries() {
		return nil, nil
	}
	p, err := policy.Parse(r.Policy, policy.Resource)
	if err != nil {
		return nil, fmt.Errorf("ec2: policy of %s: %w", r.ID, err)
	}
	gate := policy.NewGate(policy.SourceEndpoint, [][]policy.Named{{{ID: r.ID, Policy: p}}})
	vpcARN := "arn:aws:ec2:" + r.Region + ":" + r.Account + ":vpc/" + r.VPC
	return &gateway.VPCEndpoint{ID: r.ID, VPC: r.VPC, VPCARN: vpcARN, Policy: gate}, nil
}
