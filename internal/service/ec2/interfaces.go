package ec2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Interface types.
const (
	typeInterface = "interface"
	typeLambda    = "lambda"
	typeEndpoint  = "vpc_endpoint"
)

// lambdaRequester is the requester of the network interfaces Lambda manages.
const lambdaRequester = "lambda.amazonaws.com"

type groupRef struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type interfaceItem struct {
	NetworkInterfaceID string     `xml:"networkInterfaceId"`
	SubnetID           string     `xml:"subnetId"`
	VpcID              string     `xml:"vpcId"`
	AvailabilityZone   string     `xml:"availabilityZone"`
	Description        string     `xml:"description"`
	OwnerID            string     `xml:"ownerId"`
	RequesterID        string     `xml:"requesterId,omitempty"`
	RequesterManaged   bool       `xml:"requesterManaged"`
	Status             string     `xml:"status"`
	MacAddress         string     `xml:"macAddress"`
	PrivateIPAddress   string     `xml:"privateIpAddress"`
	SourceDestCheck    bool       `xml:"sourceDestCheck"`
	InterfaceType      string     `xml:"interfaceType"`
	Groups             []groupRef `xml:"groupSet>item"`
	Tags               []tag      `xml:"tagSet>item,omitempty"`
}

// interfaceOf renders an interface; names gives the groups' names.
func interfaceOf(r *resource, names map[string]string) interfaceItem {
	sum := sha256.Sum256([]byte(r.ID))
	mac := hex.EncodeToString(sum[:5])
	it := interfaceItem{
		NetworkInterfaceID: r.ID, SubnetID: r.Subnet, VpcID: r.VPC, AvailabilityZone: r.Zone,
		Description: r.Description, OwnerID: r.Account, RequesterID: r.RequesterID, RequesterManaged: r.Managed,
		Status: "in-use", MacAddress: "0e:" + mac[0:2] + ":" + mac[2:4] + ":" + mac[4:6] + ":" + mac[6:8] + ":" + mac[8:10],
		PrivateIPAddress: r.IP, SourceDestCheck: true, InterfaceType: r.InterfaceType, Tags: tagSet(r.Tags),
	}
	if r.InterfaceType == typeInterface {
		it.Status = "available"
	}
	for _, g := range r.Groups {
		it.Groups = append(it.Groups, groupRef{GroupID: g, GroupName: names[g]})
	}
	return it
}

// newInterface makes an interface in subnet with groups, checking that they
// exist in the subnet's VPC, and gives it the subnet's next free address.
func (e *EC2) newInterface(ctx context.Context, tx store.Tx, account, region, subnet string, groups []string) (*resource, error) {
	sub, err := get(ctx, tx, account, region, subnet)
	if err != nil || kindOf(subnet) != "subnet" {
		return nil, notFound(subnet)
	}
	for _, g := range groups {
		sg, err := get(ctx, tx, account, region, g)
		if err != nil || kindOf(g) != "sg" {
			return nil, notFound(g)
		}
		if sg.VPC != sub.VPC {
			return nil, api.Errorf(400, "InvalidParameter", "Security group %s and subnet %s belong to different networks.", g, subnet)
		}
	}
	if len(groups) == 0 {
		all, err := e.list(ctx, tx, account, region, "sg")
		if err != nil {
			return nil, err
		}
		for _, g := range all {
			if g.VPC == sub.VPC && g.Default {
				groups = []string{g.ID}
			}
		}
	}
	enis, err := e.list(ctx, tx, account, region, "eni")
	if err != nil {
		return nil, err
	}
	used := map[netip.Addr]bool{}
	for _, x := range enis {
		if a, err := netip.ParseAddr(x.IP); err == nil {
			used[a] = true
		}
	}
	p := netip.MustParsePrefix(sub.CIDR)
	a := p.Addr()
	for range 4 { // AWS reserves the first four addresses
		a = a.Next()
	}
	for used[a] {
		a = a.Next()
	}
	if !p.Contains(a) {
		return nil, api.Errorf(400, "InsufficientFreeAddressesInSubnet", "The specified subnet does not have enough free addresses to satisfy the request.")
	}
	return &resource{ID: newID("eni"), Account: account, Region: region, VPC: sub.VPC, Subnet: subnet, Zone: sub.Zone,
		Groups: slices.Clone(groups), IP: a.String(), Created: e.now().UTC()}, nil
}

type createInterfaceResponse struct {
	NetworkInterface interfaceItem `xml:"networkInterface"`
}

func (e *EC2) createNetworkInterface(c *api.Call) (any, error) {
	subnet := c.Params.Get("SubnetId")
	if subnet == "" {
		return nil, missing("SubnetId")
	}
	tags, err := tagSpecifications(c, "network-interface")
	if err != nil {
		return nil, err
	}
	region := e.region(c)
	var eni *resource
	var names map[string]string
	_, err = e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if names, err = e.groupNames(c.Context, tx, c.Account, region); err != nil {
			return err
		}
		if eni, err = idempotent(c, tx, region, func(r *resource) bool { return r.Subnet == subnet }); err != nil || eni != nil {
			return err
		}
		r, err := e.newInterface(c.Context, tx, c.Account, region, subnet, indexed(c.Params, "SecurityGroupId"))
		if err != nil {
			return err
		}
		r.Description, r.InterfaceType, r.Tags = c.Params.Get("Description"), typeInterface, tags
		eni = r
		if err := keepToken(c, tx, region, r.ID); err != nil {
			return err
		}
		return put(c.Context, tx, r)
	})
	if err != nil {
		return nil, err
	}
	return &createInterfaceResponse{NetworkInterface: interfaceOf(eni, names)}, nil
}

func (e *EC2) groupNames(ctx context.Context, r store.Reader, account, region string) (map[string]string, error) {
	groups, err := e.list(ctx, r, account, region, "sg")
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	return names, nil
}

type describeInterfacesResponse struct {
	Interfaces []interfaceItem `xml:"networkInterfaceSet>item"`
	NextToken  string          `xml:"nextToken,omitempty"`
}

var interfaceFilters = map[string]func(*resource) []string{
	"network-interface-id":         func(r *resource) []string { return []string{r.ID} },
	"subnet-id":                    func(r *resource) []string { return []string{r.Subnet} },
	"vpc-id":                       func(r *resource) []string { return []string{r.VPC} },
	"interface-type":               func(r *resource) []string { return []string{r.InterfaceType} },
	"requester-id":                 func(r *resource) []string { return []string{r.RequesterID} },
	"requester-managed":            func(r *resource) []string { return []string{fmt.Sprint(r.Managed)} },
	"description":                  func(r *resource) []string { return []string{r.Description} },
	"group-id":                     func(r *resource) []string { return r.Groups },
	"availability-zone":            func(r *resource) []string { return []string{r.Zone} },
	"private-ip-address":           func(r *resource) []string { return []string{r.IP} },
	"addresses.private-ip-address": func(r *resource) []string { return []string{r.IP} },
}

func (e *EC2) describeNetworkInterfaces(c *api.Call) (any, error) {
	rs, next, err := e.describe(c, "eni", indexed(c.Params, "NetworkInterfaceId"), interfaceFilters)
	if err != nil {
		return nil, err
	}
	names, err := e.groupNames(c.Context, e.cfg.Store, c.Account, e.region(c))
	if err != nil {
		return nil, err
	}
	out := &describeInterfacesResponse{Interfaces: []interfaceItem{}, NextToken: next}
	for _, r := range rs {
		out.Interfaces = append(out.Interfaces, interfaceOf(r, names))
	}
	return out, nil
}

// deleteNetworkInterface deletes an interface of the account's own; one a
// service manages (Lambda's, an endpoint's) is in use.
func (e *EC2) deleteNetworkInterface(c *api.Call) (any, error) {
	id := c.Params.Get("NetworkInterfaceId")
	if id == "" {
		return nil, missing("NetworkInterfaceId")
	}
	region := e.region(c)
	_, err := e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		r, err := get(c.Context, tx, c.Account, region, id)
		if err != nil || kindOf(id) != "eni" {
			return notFound(id)
		}
		if r.Managed {
			return api.Errorf(400, "InvalidNetworkInterface.InUse", "Interface: [%s] in use.", id)
		}
		return del(c.Context, tx, r)
	})
	if err != nil {
		return nil, err
	}
	return &returnResponse{Return: true}, nil
}

// FunctionVPC returns the VPC that subnets and security groups of a Lambda
// function's VpcConfig belong to, in account and region. A subnet or group
// that does not exist is an *api.Error with EC2's code and message
// (InvalidSubnetID.NotFound, InvalidGroup.NotFound), and so is a set that
// spans VPCs (InvalidParameter); Lambda reports them in its own words.
func (e *EC2) FunctionVPC(ctx context.Context, account, region string, subnets, groups []string) (string, error) {
	vpc := ""
	for _, id := range subnets {
		r, err := get(ctx, e.cfg.Store, account, region, id)
		if err != nil {
			return "", err
		}
		if kindOf(id) != "subnet" {
			return "", notFound(id)
		}
		if vpc != "" && r.VPC != vpc {
			return "", api.Errorf(400, "InvalidParameter", "Subnets %s belong to different VPCs.", strings.Join(subnets, ", "))
		}
		vpc = r.VPC
	}
	for _, id := range groups {
		r, err := get(ctx, e.cfg.Store, account, region, id)
		if err != nil || kindOf(id) != "sg" {
			return "", api.Errorf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist", id)
		}
		if vpc != "" && r.VPC != vpc {
			return "", api.Errorf(400, "InvalidParameter", "Security group %s does not belong to VPC %s.", id, vpc)
		}
	}
	return vpc, nil
}

// functionName is the name in a function's ARN, qualified or not.
func functionName(arn string) string {
	_, name, _ := strings.Cut(arn, ":function:")
	name, _, _ = strings.Cut(name, ":")
	return name
}

// AttachFunction keeps the Lambda-managed network interfaces of a function
// (its ARN: unqualified for $LATEST, qualified for a published version):
// one per subnet for each set of security groups, shared by the functions
// with the same subnet and groups, as Lambda's Hyperplane interfaces are. With no subnets the function is detached, and
// an interface no function uses any more is deleted.
func (e *EC2) AttachFunction(ctx context.Context, account, region, function string, subnets, groups []string) error {
	groups = slices.Sorted(slices.Values(groups))
	groups = slices.Compact(groups)
	_, err := e.cfg.Store.Update(ctx, func(tx store.Tx) error {
		enis, err := e.list(ctx, tx, account, region, "eni")
		if err != nil {
			return err
		}
		want := map[string]bool{}
		for _, s := range subnets {
			want[s] = true
		}
		for _, r := range enis {
			if r.InterfaceType != typeLambda {
				continue
			}
			keep := want[r.Subnet] && slices.Equal(r.Groups, groups)
			if keep {
				delete(want, r.Subnet)
				if !contains(r.Users, function) {
					r.Users = append(r.Users, function)
					if err := put(ctx, tx, r); err != nil {
						return err
					}
				}
				continue
			}
			if i := slices.Index(r.Users, function); i >= 0 {
				r.Users = slices.Delete(r.Users, i, i+1)
				if len(r.Users) == 0 {
					err = del(ctx, tx, r)
				} else {
					err = put(ctx, tx, r)
				}
				if err != nil {
					return err
				}
			}
		}
		for _, s := range subnets {
			if !want[s] {
				continue
			}
			delete(want, s)
			r, err := e.newInterface(ctx, tx, account, region, s, groups)
			if err != nil {
				return err
			}
			r.Groups = groups
			r.InterfaceType, r.Managed, r.RequesterID = typeLambda, true, lambdaRequester
			r.Description = "AWS Lambda VPC ENI-" + functionName(function) + "-" + r.ID[4:]
			r.Users = []string{function}
			if err := put(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ec2: network interfaces of %s: %w", function, err)
	}
	return nil
}
