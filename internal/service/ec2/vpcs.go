package ec2

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// dhcpOptions is the ID every VPC reports for the default DHCP options.
const dhcpOptions = "dopt-0a1b2c3d4e5f60718"

// parseCIDR reads an IPv4 CIDR block given as parameter param whose
// prefix must be /16 to /28, and which must name its network address.
// bad is the error for a block outside those bounds.
func parseCIDR(s, param string, bad func() *api.Error) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return netip.Prefix{}, invalidValue(s, param, "This is not a valid CIDR block.")
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return netip.Prefix{}, bad()
	}
	return p, nil
}

type cidrAssociation struct {
	CidrBlock     string `xml:"cidrBlock"`
	AssociationID string `xml:"associationId"`
	State         string `xml:"cidrBlockState>state"`
}

type vpcItem struct {
	VpcID           string            `xml:"vpcId"`
	OwnerID         string            `xml:"ownerId"`
	State           string            `xml:"state"`
	CidrBlock       string            `xml:"cidrBlock"`
	CidrAssociation []cidrAssociation `xml:"cidrBlockAssociationSet>item"`
	DhcpOptionsID   string            `xml:"dhcpOptionsId"`
	InstanceTenancy string            `xml:"instanceTenancy"`
	IsDefault       bool              `xml:"isDefault"`
	Tags            []tag             `xml:"tagSet>item,omitempty"`
}

func vpcOf(r *resource) vpcItem {
	return vpcItem{
		VpcID: r.ID, OwnerID: r.Account, State: "available", CidrBlock: r.CIDR,
		CidrAssociation: []cidrAssociation{{CidrBlock: r.CIDR, AssociationID: "vpc-cidr-assoc-" + r.ID[4:], State: "associated"}},
		DhcpOptionsID:   dhcpOptions, InstanceTenancy: "default", Tags: tagSet(r.Tags),
	}
}

type createVpcResponse struct {
	Vpc vpcItem `xml:"vpc"`
}

// createVpc makes a VPC with its default security group and main route table.
func (e *EC2) createVpc(c *api.Call) (any, error) {
	s := c.Params.Get("CidrBlock")
	if s == "" {
		return nil, missing("CidrBlock")
	}
	p, err := parseCIDR(s, "cidrBlock", func() *api.Error {
		return api.Errorf(400, "InvalidVpc.Range", "The CIDR '%s' is invalid.", s)
	})
	if err != nil {
		return nil, err
	}
	if t := c.Params.Get("InstanceTenancy"); t != "" && t != "default" {
		return nil, invalidValue(t, "instanceTenancy", "Only the default tenancy is offered.")
	}
	tags, err := tagSpecifications(c, "vpc")
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	region := e.region(c)
	vpc := &resource{ID: newID("vpc"), Account: c.Account, Region: region, CIDR: p.String(), Tags: tags, Created: now}
	sg := &resource{ID: newID("sg"), Account: c.Account, Region: region, VPC: vpc.ID, Created: now,
		Name: "default", Description: "default VPC security group", Default: true,
		Egress: []rule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}}
	sg.Ingress = []rule{{Protocol: "-1", Groups: []string{sg.ID}}}
	rtb := &resource{ID: newID("rtb"), Account: c.Account, Region: region, VPC: vpc.ID, Created: now, Default: true}
	_, err = e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		for _, r := range []*resource{vpc, sg, rtb} {
			if err := put(c.Context, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ec2: creating a VPC: %w", err)
	}
	return &createVpcResponse{Vpc: vpcOf(vpc)}, nil
}

type describeVpcsResponse struct {
	Vpcs      []vpcItem `xml:"vpcSet>item"`
	NextToken string    `xml:"nextToken,omitempty"`
}

var vpcFilters = map[string]func(*resource) []string{
	"vpc-id":                            func(r *resource) []string { return []string{r.ID} },
	"cidr":                              func(r *resource) []string { return []string{r.CIDR} },
	"cidr-block-association.cidr-block": func(r *resource) []string { return []string{r.CIDR} },
	"owner-id":                          func(r *resource) []string { return []string{r.Account} },
	"state":                             func(*resource) []string { return []string{"available"} },
	"is-default":                        func(*resource) []string { return []string{"false"} },
	"dhcp-options-id":                   func(*resource) []string { return []string{dhcpOptions} },
}

func (e *EC2) describeVpcs(c *api.Call) (any, error) {
	rs, next, err := e.describe(c, "vpc", indexed(c.Params, "VpcId"), vpcFilters)
	if err != nil {
		return nil, err
	}
	out := &describeVpcsResponse{Vpcs: []vpcItem{}, NextToken: next}
	for _, r := range rs {
		out.Vpcs = append(out.Vpcs, vpcOf(r))
	}
	return out, nil
}

// deleteVpc deletes a VPC that holds nothing but its default security
// group and main route table.
func (e *EC2) deleteVpc(c *api.Call) (any, error) {
	id := c.Params.Get("VpcId")
	if id == "" {
		return nil, missing("VpcId")
	}
	region := e.region(c)
	_, err := e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		vpc, err := get(c.Context, tx, c.Account, region, id)
		if err != nil || kindOf(id) != "vpc" {
			return notFound(id)
		}
		var owned []*resource
		for _, k := range []string{"subnet", "sg", "rtb", "vpce", "eni"} {
			rs, err := e.list(c.Context, tx, c.Account, region, k)
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r.VPC != id {
					continue
				}
				if !r.Default {
					return api.Errorf(400, "DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted.", id)
				}
				owned = append(owned, r)
			}
		}
		for _, r := range append(owned, vpc) {
			if err := del(c.Context, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &returnResponse{Return: true}, nil
}

// zones are the region's availability zones, by letter.
var zones = []string{"a", "b", "c"}

// zoneID is the zone's AZ ID ("use1-az1" for us-east-1a).
func zoneID(region string, n int) string {
	var b strings.Builder
	for i, part := range strings.Split(region, "-") {
		switch {
		case i == 0:
			b.WriteString(part)
		case part != "" && part[0] >= '0' && part[0] <= '9':
			b.WriteString(part)
		case part != "":
			b.WriteByte(part[0])
		}
	}
	return b.String() + "-az" + strconv.Itoa(n+1)
}

type zoneItem struct {
	ZoneName           string `xml:"zoneName"`
	ZoneID             string `xml:"zoneId"`
	State              string `xml:"zoneState"`
	OptInStatus        string `xml:"optInStatus"`
	RegionName         string `xml:"regionName"`
	GroupName          string `xml:"groupName"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
	ZoneType           string `xml:"zoneType"`
}

type describeZonesResponse struct {
	Zones []zoneItem `xml:"availabilityZoneInfo>item"`
}

func (e *EC2) describeAvailabilityZones(c *api.Call) (any, error) {
	region := e.region(c)
	names := indexed(c.Params, "ZoneName")
	fs := filters(c.Params)
	out := &describeZonesResponse{Zones: []zoneItem{}}
	for n, z := range zones {
		it := zoneItem{ZoneName: region + z, ZoneID: zoneID(region, n), State: "available", OptInStatus: "opt-in-not-required",
			RegionName: region, GroupName: region, NetworkBorderGroup: region, ZoneType: "availability-zone"}
		if len(names) > 0 && !containsGlob(names, it.ZoneName) {
			continue
		}
		ok := true
		for _, f := range fs {
			var have string
			switch f.Name {
			case "zone-name":
				have = it.ZoneName
			case "zone-id":
				have = it.ZoneID
			case "region-name":
				have = region
			case "state":
				have = it.State
			case "zone-type":
				have = it.ZoneType
			default:
				return nil, api.Errorf(400, "InvalidParameterValue", "The filter '%s' is invalid", f.Name)
			}
			ok = ok && containsGlob(f.Values, have)
		}
		if ok {
			out.Zones = append(out.Zones, it)
		}
	}
	for _, name := range names {
		if !strings.ContainsAny(name, "*?") && !strings.HasPrefix(name, region) || len(name) != len(region)+1 {
			return nil, api.Errorf(400, "InvalidParameterValue", "Invalid availability zone: [%s]", name)
		}
	}
	return out, nil
}

// zoneOf checks a subnet's AvailabilityZone (or AvailabilityZoneId) and
// returns its zone's name; the first zone when neither is given.
func (e *EC2) zoneOf(c *api.Call) (string, error) {
	region := e.region(c)
	name, id := c.Params.Get("AvailabilityZone"), c.Params.Get("AvailabilityZoneId")
	if name == "" && id == "" {
		return region + zones[0], nil
	}
	var all []string
	for n, z := range zones {
		if name == region+z || name == "" && id == zoneID(region, n) {
			return region + z, nil
		}
		all = append(all, region+z)
	}
	if name == "" {
		return "", invalidValue(id, "availabilityZoneId", "")
	}
	return "", api.Errorf(400, "InvalidParameterValue", "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s.", name, strings.Join(all, ", "))
}

type subnetItem struct {
	SubnetID         string `xml:"subnetId"`
	SubnetArn        string `xml:"subnetArn"`
	State            string `xml:"state"`
	VpcID            string `xml:"vpcId"`
	OwnerID          string `xml:"ownerId"`
	CidrBlock        string `xml:"cidrBlock"`
	AvailableIPs     int    `xml:"availableIpAddressCount"`
	AvailabilityZone string `xml:"availabilityZone"`
	ZoneID           string `xml:"availabilityZoneId"`
	DefaultForAz     bool   `xml:"defaultForAz"`
	MapPublicIP      bool   `xml:"mapPublicIpOnLaunch"`
	Tags             []tag  `xml:"tagSet>item,omitempty"`
}

func subnetOf(r *resource) subnetItem {
	p := netip.MustParsePrefix(r.CIDR)
	zid := ""
	for n, z := range zones {
		if r.Zone == r.Region+z {
			zid = zoneID(r.Region, n)
		}
	}
	return subnetItem{
		SubnetID: r.ID, SubnetArn: "arn:aws:ec2:" + r.Region + ":" + r.Account + ":subnet/" + r.ID,
		State: "available", VpcID: r.VPC, OwnerID: r.Account, CidrBlock: r.CIDR,
		AvailableIPs: 1<<(32-p.Bits()) - 5, AvailabilityZone: r.Zone, ZoneID: zid, Tags: tagSet(r.Tags),
	}
}

type createSubnetResponse struct {
	Subnet subnetItem `xml:"subnet"`
}

// createSubnet makes a subnet whose block lies inside its VPC's and
// overlaps none of the VPC's other subnets.
func (e *EC2) createSubnet(c *api.Call) (any, error) {
	vpcID, s := c.Params.Get("VpcId"), c.Params.Get("CidrBlock")
	switch {
	case vpcID == "":
		return nil, missing("VpcId")
	case s == "":
		return nil, missing("CidrBlock")
	}
	p, err := parseCIDR(s, "cidrBlock", func() *api.Error {
		return api.Errorf(400, "InvalidSubnet.Range", "The CIDR '%s' is invalid.", s)
	})
	if err != nil {
		return nil, err
	}
	zone, err := e.zoneOf(c)
	if err != nil {
		return nil, err
	}
	tags, err := tagSpecifications(c, "subnet")
	if err != nil {
		return nil, err
	}
	region := e.region(c)
	sub := &resource{ID: newID("subnet"), Account: c.Account, Region: region, VPC: vpcID, CIDR: p.String(), Zone: zone, Tags: tags, Created: e.now().UTC()}
	_, err = e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		vpc, err := get(c.Context, tx, c.Account, region, vpcID)
		if err != nil || kindOf(vpcID) != "vpc" {
			return notFound(vpcID)
		}
		outer := netip.MustParsePrefix(vpc.CIDR)
		if p.Bits() < outer.Bits() || !outer.Contains(p.Addr()) {
			return api.Errorf(400, "InvalidSubnet.Range", "The CIDR '%s' is invalid.", s)
		}
		others, err := e.list(c.Context, tx, c.Account, region, "subnet")
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.VPC == vpcID && netip.MustParsePrefix(o.CIDR).Overlaps(p) {
				return api.Errorf(400, "InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", s)
			}
		}
		return put(c.Context, tx, sub)
	})
	if err != nil {
		return nil, err
	}
	return &createSubnetResponse{Subnet: subnetOf(sub)}, nil
}

type describeSubnetsResponse struct {
	Subnets   []subnetItem `xml:"subnetSet>item"`
	NextToken string       `xml:"nextToken,omitempty"`
}

var subnetFilters = map[string]func(*resource) []string{
	"subnet-id":         func(r *resource) []string { return []string{r.ID} },
	"vpc-id":            func(r *resource) []string { return []string{r.VPC} },
	"cidr-block":        func(r *resource) []string { return []string{r.CIDR} },
	"cidr":              func(r *resource) []string { return []string{r.CIDR} },
	"availability-zone": func(r *resource) []string { return []string{r.Zone} },
	"owner-id":          func(r *resource) []string { return []string{r.Account} },
	"state":             func(*resource) []string { return []string{"available"} },
	"default-for-az":    func(*resource) []string { return []string{"false"} },
}

func (e *EC2) describeSubnets(c *api.Call) (any, error) {
	rs, next, err := e.describe(c, "subnet", indexed(c.Params, "SubnetId"), subnetFilters)
	if err != nil {
		return nil, err
	}
	out := &describeSubnetsResponse{Subnets: []subnetItem{}, NextToken: next}
	for _, r := range rs {
		out.Subnets = append(out.Subnets, subnetOf(r))
	}
	return out, nil
}

// deleteSubnet deletes a subnet no network interface or endpoint uses.
func (e *EC2) deleteSubnet(c *api.Call) (any, error) {
	id := c.Params.Get("SubnetId")
	if id == "" {
		return nil, missing("SubnetId")
	}
	region := e.region(c)
	_, err := e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		sub, err := get(c.Context, tx, c.Account, region, id)
		if err != nil || kindOf(id) != "subnet" {
			return notFound(id)
		}
		for _, k := range []string{"eni", "vpce"} {
			rs, err := e.list(c.Context, tx, c.Account, region, k)
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r.Subnet == id || contains(r.Subnets, id) {
					return api.Errorf(400, "DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id)
				}
			}
		}
		return del(c.Context, tx, sub)
	})
	if err != nil {
		return nil, err
	}
	return &returnResponse{Return: true}, nil
}

type routeTableItem struct {
	RouteTableID string            `xml:"routeTableId"`
	VpcID        string            `xml:"vpcId"`
	OwnerID      string            `xml:"ownerId"`
	Routes       []routeItem       `xml:"routeSet>item"`
	Associations []associationItem `xml:"associationSet>item"`
	Tags         []tag             `xml:"tagSet>item,omitempty"`
}

type routeItem struct {
	Destination string `xml:"destinationCidrBlock,omitempty"`
	PrefixList  string `xml:"destinationPrefixListId,omitempty"`
	GatewayID   string `xml:"gatewayId"`
	State       string `xml:"state"`
	Origin      string `xml:"origin"`
}

type associationItem struct {
	Main          bool   `xml:"main"`
	AssociationID string `xml:"routeTableAssociationId"`
	RouteTableID  string `xml:"routeTableId"`
	State         string `xml:"associationState>state"`
}

type describeRouteTablesResponse struct {
	RouteTables []routeTableItem `xml:"routeTableSet>item"`
	NextToken   string           `xml:"nextToken,omitempty"`
}

var routeTableFilters = map[string]func(*resource) []string{
	"route-table-id":   func(r *resource) []string { return []string{r.ID} },
	"vpc-id":           func(r *resource) []string { return []string{r.VPC} },
	"association.main": func(r *resource) []string { return []string{strconv.FormatBool(r.Default)} },
}

// describeRouteTables shows each VPC's main route table: its local route,
// and a route to each gateway endpoint associated with it.
func (e *EC2) describeRouteTables(c *api.Call) (any, error) {
	rs, next, err := e.describe(c, "rtb", indexed(c.Params, "RouteTableId"), routeTableFilters)
	if err != nil {
		return nil, err
	}
	vpcs, err := e.list(c.Context, e.cfg.Store, c.Account, e.region(c), "vpc")
	if err != nil {
		return nil, err
	}
	endpoints, err := e.list(c.Context, e.cfg.Store, c.Account, e.region(c), "vpce")
	if err != nil {
		return nil, err
	}
	out := &describeRouteTablesResponse{RouteTables: []routeTableItem{}, NextToken: next}
	for _, r := range rs {
		it := routeTableItem{RouteTableID: r.ID, VpcID: r.VPC, OwnerID: r.Account, Tags: tagSet(r.Tags)}
		for _, v := range vpcs {
			if v.ID == r.VPC {
				it.Routes = append(it.Routes, routeItem{Destination: v.CIDR, GatewayID: "local", State: "active", Origin: "CreateRouteTable"})
			}
		}
		for _, ep := range endpoints {
			if contains(ep.RouteTables, r.ID) {
				it.Routes = append(it.Routes, routeItem{PrefixList: "pl-" + ep.ID[5:13], GatewayID: ep.ID, State: "active", Origin: "CreateRoute"})
			}
		}
		if r.Default {
			it.Associations = []associationItem{{Main: true, AssociationID: "rtbassoc-" + r.ID[4:], RouteTableID: r.ID, State: "associated"}}
		}
		out.RouteTables = append(out.RouteTables, it)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
