package ec2

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// rule is one security group permission: a protocol ("-1" for all, "tcp",
// "udp", "icmp" or a number), a port range, and its sources or
// destinations. Rules are stored and shown; no traffic is filtered.
type rule struct {
	Protocol string   `json:"protocol"`
	From     *int     `json:"from,omitempty"`
	To       *int     `json:"to,omitempty"`
	CIDRs    []string `json:"cidrs,omitempty"`
	CIDRv6   []string `json:"cidrv6,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// same reports whether r and o cover the same protocol and ports.
func (r rule) same(o rule) bool {
	eq := func(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	return r.Protocol == o.Protocol && eq(r.From, o.From) && eq(r.To, o.To)
}

type groupItem struct {
	OwnerID     string           `xml:"ownerId"`
	GroupID     string           `xml:"groupId"`
	GroupName   string           `xml:"groupName"`
	Description string           `xml:"groupDescription"`
	VpcID       string           `xml:"vpcId"`
	GroupArn    string           `xml:"securityGroupArn"`
	Ingress     []permissionItem `xml:"ipPermissions>item"`
	Egress      []permissionItem `xml:"ipPermissionsEgress>item"`
	Tags        []tag            `xml:"tagSet>item,omitempty"`
}

type permissionItem struct {
	IPProtocol string     `xml:"ipProtocol"`
	FromPort   *int       `xml:"fromPort,omitempty"`
	ToPort     *int       `xml:"toPort,omitempty"`
	Groups     []pairItem `xml:"groups>item"`
	IPRanges   []cidrItem `xml:"ipRanges>item"`
	IPv6Ranges []v6Item   `xml:"ipv6Ranges>item"`
}

type pairItem struct {
	UserID  string `xml:"userId"`
	GroupID string `xml:"groupId"`
}

type cidrItem struct {
	CidrIP string `xml:"cidrIp"`
}

type v6Item struct {
	CidrIPv6 string `xml:"cidrIpv6"`
}

func groupOf(r *resource) groupItem {
	perms := func(rules []rule) []permissionItem {
		out := []permissionItem{}
		for _, ru := range rules {
			p := permissionItem{IPProtocol: ru.Protocol, FromPort: ru.From, ToPort: ru.To}
			for _, g := range ru.Groups {
				p.Groups = append(p.Groups, pairItem{UserID: r.Account, GroupID: g})
			}
			for _, c := range ru.CIDRs {
				p.IPRanges = append(p.IPRanges, cidrItem{c})
			}
			for _, c := range ru.CIDRv6 {
				p.IPv6Ranges = append(p.IPv6Ranges, v6Item{c})
			}
			out = append(out, p)
		}
		return out
	}
	return groupItem{
		OwnerID: r.Account, GroupID: r.ID, GroupName: r.Name, Description: r.Description, VpcID: r.VPC,
		GroupArn: "arn:aws:ec2:" + r.Region + ":" + r.Account + ":security-group/" + r.ID,
		Ingress:  perms(r.Ingress), Egress: perms(r.Egress), Tags: tagSet(r.Tags),
	}
}

type createGroupResponse struct {
	GroupID  string `xml:"groupId"`
	GroupArn string `xml:"securityGroupArn"`
	Tags     []tag  `xml:"tagSet>item,omitempty"`
	Return   bool   `xml:"return"`
}

// createSecurityGroup makes a group in a VPC (EC2-Classic's groups without
// one, and default VPCs, are not offered), allowing all egress.
func (e *EC2) createSecurityGroup(c *api.Call) (any, error) {
	name, desc, vpcID := c.Params.Get("GroupName"), c.Params.Get("GroupDescription"), c.Params.Get("VpcId")
	switch {
	case name == "":
		return nil, missing("GroupName")
	case desc == "":
		return nil, missing("GroupDescription")
	case vpcID == "":
		return nil, api.Errorf(400, "VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	case len(name) > 255 || len(desc) > 255:
		return nil, invalidValue(name, "groupName", "Length exceeds maximum of 255.")
	case name == "default":
		return nil, api.Errorf(400, "InvalidGroup.Reserved", "The security group 'default' is reserved")
	}
	if p := name; len(p) > 2 && (p[:3] == "sg-") {
		return nil, invalidValue(name, "groupName", "Group names may not be in the format sg-*.")
	}
	tags, err := tagSpecifications(c, "security-group")
	if err != nil {
		return nil, err
	}
	region := e.region(c)
	sg := &resource{ID: newID("sg"), Account: c.Account, Region: region, VPC: vpcID, Name: name, Description: desc,
		Tags: tags, Created: e.now().UTC(), Egress: []rule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}}
	_, err = e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if _, err := get(c.Context, tx, c.Account, region, vpcID); err != nil || kindOf(vpcID) != "vpc" {
			return notFound(vpcID)
		}
		groups, err := e.list(c.Context, tx, c.Account, region, "sg")
		if err != nil {
			return err
		}
		for _, g := range groups {
			if g.VPC == vpcID && g.Name == name {
				return api.Errorf(400, "InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
			}
		}
		return put(c.Context, tx, sg)
	})
	if err != nil {
		return nil, err
	}
	return &createGroupResponse{GroupID: sg.ID, GroupArn: e.arn(c, sg.ID), Tags: tagSet(tags), Return: true}, nil
}

type describeGroupsResponse struct {
	Groups    []groupItem `xml:"securityGroupInfo>item"`
	NextToken string      `xml:"nextToken,omitempty"`
}

var groupFilters = map[string]func(*resource) []string{
	"group-id":    func(r *resource) []string { return []string{r.ID} },
	"group-name":  func(r *resource) []string { return []string{r.Name} },
	"vpc-id":      func(r *resource) []string { return []string{r.VPC} },
	"description": func(r *resource) []string { return []string{r.Description} },
	"owner-id":    func(r *resource) []string { return []string{r.Account} },
}

func (e *EC2) describeSecurityGroups(c *api.Call) (any, error) {
	rs, next, err := e.describe(c, "sg", indexed(c.Params, "GroupId"), groupFilters)
	if err != nil {
		return nil, err
	}
	names := indexed(c.Params, "GroupName")
	out := &describeGroupsResponse{Groups: []groupItem{}, NextToken: next}
	found := map[string]bool{}
	for _, r := range rs {
		if len(names) > 0 && !contains(names, r.Name) {
			continue
		}
		found[r.Name] = true
		out.Groups = append(out.Groups, groupOf(r))
	}
	for _, n := range names {
		if !found[n] {
			return nil, api.Errorf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist", n)
		}
	}
	return out, nil
}

// deleteSecurityGroup deletes a group that is not its VPC's default, and
// that no network interface, endpoint or other group's rule uses.
func (e *EC2) deleteSecurityGroup(c *api.Call) (any, error) {
	id := c.Params.Get("GroupId")
	if id == "" {
		if c.Params.Get("GroupName") != "" {
			return nil, api.Errorf(400, "VPCIdNotSpecified", "No default VPC for this user")
		}
		return nil, missing("GroupId")
	}
	region := e.region(c)
	_, err := e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		sg, err := get(c.Context, tx, c.Account, region, id)
		if err != nil || kindOf(id) != "sg" {
			return notFound(id)
		}
		if sg.Default {
			return api.Errorf(400, "CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", id)
		}
		for _, k := range []string{"eni", "vpce", "sg"} {
			rs, err := e.list(c.Context, tx, c.Account, region, k)
			if err != nil {
				return err
			}
			for _, r := range rs {
				uses := contains(r.Groups, id)
				for _, ru := range append(slices.Clone(r.Ingress), r.Egress...) {
					uses = uses || r.ID != id && contains(ru.Groups, id)
				}
				if uses {
					return api.Errorf(400, "DependencyViolation", "resource %s has a dependent object", id)
				}
			}
		}
		return del(c.Context, tx, sg)
	})
	if err != nil {
		return nil, err
	}
	return &returnResponse{Return: true}, nil
}

// permissions reads IpPermissions.N, or the older top-level IpProtocol,
// FromPort, ToPort and CidrIp.
func permissions(c *api.Call) ([]rule, error) {
	var out []rule
	read := func(p string) (rule, bool, error) {
		proto := c.Params.Get(p + "IpProtocol")
		if proto == "" {
			return rule{}, false, nil
		}
		r := rule{Protocol: proto}
		switch proto {
		case "tcp", "udp", "icmp", "6", "17", "1":
			for _, port := range []struct {
				name string
				dst  **int
			}{{"FromPort", &r.From}, {"ToPort", &r.To}} {
				s := c.Params.Get(p + port.name)
				if s == "" {
					return rule{}, false, api.Errorf(400, "InvalidParameterValue", "Invalid value 'null' for %s. You must specify a %s when specifying a protocol.", port.name, port.name)
				}
				n, err := strconv.Atoi(s)
				if err != nil || n < -1 || n > 65535 {
					return rule{}, false, invalidValue(s, port.name, "")
				}
				*port.dst = &n
			}
		case "-1", "all":
			r.Protocol = "-1"
		default:
			if n, err := strconv.Atoi(proto); err != nil || n < 0 || n > 255 {
				return rule{}, false, api.Errorf(400, "InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", proto)
			}
		}
		cidrs := indexed(c.Params, p+"IpRanges")
		for n := 1; ; n++ {
			v := c.Params.Get(p + "IpRanges." + strconv.Itoa(n) + ".CidrIp")
			if v == "" {
				break
			}
			cidrs = append(cidrs, v)
		}
		if v := c.Params.Get(p + "CidrIp"); v != "" && p == "" {
			cidrs = append(cidrs, v)
		}
		for _, s := range cidrs {
			if pr, err := netip.ParsePrefix(s); err != nil || !pr.Addr().Is4() {
				return rule{}, false, invalidValue(s, "cidrIp", "CIDR block "+s+" is malformed")
			}
		}
		r.CIDRs = cidrs
		for n := 1; ; n++ {
			v := c.Params.Get(p + "Ipv6Ranges." + strconv.Itoa(n) + ".CidrIpv6")
			if v == "" {
				break
			}
			if pr, err := netip.ParsePrefix(v); err != nil || !pr.Addr().Is6() {
				return rule{}, false, invalidValue(v, "cidrIpv6", "CIDR block "+v+" is malformed")
			}
			r.CIDRv6 = append(r.CIDRv6, v)
		}
		for n := 1; ; n++ {
			v := c.Params.Get(p + "Groups." + strconv.Itoa(n) + ".GroupId")
			if v == "" {
				break
			}
			r.Groups = append(r.Groups, v)
		}
		if len(r.CIDRs)+len(r.CIDRv6)+len(r.Groups) == 0 {
			return rule{}, false, api.Errorf(400, "MissingParameter", "Either 'ipPermissions' or 'ipProtocol' (and 'fromPort', 'toPort', 'cidrIp' or a source group) must be specified")
		}
		return r, true, nil
	}
	for n := 1; ; n++ {
		r, ok, err := read("IpPermissions." + strconv.Itoa(n) + ".")
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		r, ok, err := read("")
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, missing("IpPermissions")
	}
	return out, nil
}

func (e *EC2) authorizeIngress(c *api.Call) (any, error) { return e.authorize(c, false) }
func (e *EC2) authorizeEgress(c *api.Call) (any, error)  { return e.authorize(c, true) }
func (e *EC2) revokeIngress(c *api.Call) (any, error)    { return e.revoke(c, false) }
func (e *EC2) revokeEgress(c *api.Call) (any, error)     { return e.revoke(c, true) }

// editRules applies edit to the ingress (or egress) rules of the call's
// security group, with the rules the call gives, in one transaction: the
// rules change all together or not at all.
func (e *EC2) editRules(c *api.Call, egress bool, edit func(tx store.Tx, region, id string, list *[]rule, rules []rule) error) (any, error) {
	id := c.Params.Get("GroupId")
	if id == "" {
		return nil, missing("GroupId")
	}
	rules, err := permissions(c)
	if err != nil {
		return nil, err
	}
	region := e.region(c)
	_, err = e.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		sg, err := get(c.Context, tx, c.Account, region, id)
		if err != nil || kindOf(id) != "sg" {
			return notFound(id)
		}
		list := &sg.Ingress
		if egress {
			list = &sg.Egress
		}
		if err := edit(tx, region, id, list, rules); err != nil {
			return err
		}
		return put(c.Context, tx, sg)
	})
	if err != nil {
		return nil, err
	}
	return &returnResponse{Return: true}, nil
}

// revoke removes rules from a group, all or none; a source the group's
// rule does not have is InvalidPermission.NotFound.
func (e *EC2) revoke(c *api.Call, egress bool) (any, error) {
	return e.editRules(c, egress, func(_ store.Tx, _, _ string, list *[]rule, rules []rule) error {
		for _, r := range rules {
			i := slices.IndexFunc(*list, r.same)
			if i < 0 {
				return revokeNotFound()
			}
			have := &(*list)[i]
			for _, src := range []struct{ drop, from *[]string }{{&r.CIDRs, &have.CIDRs}, {&r.CIDRv6, &have.CIDRv6}, {&r.Groups, &have.Groups}} {
				for _, x := range *src.drop {
					j := slices.Index(*src.from, x)
					if j < 0 {
						return revokeNotFound()
					}
					*src.from = slices.Delete(*src.from, j, j+1)
				}
			}
			if len(have.CIDRs)+len(have.CIDRv6)+len(have.Groups) == 0 {
				*list = slices.Delete(*list, i, i+1)
			}
		}
		return nil
	})
}

func revokeNotFound() error {
	return api.Errorf(400, "InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
}

// authorize adds rules to a group; a rule it already has is
// InvalidPermission.Duplicate and adds nothing.
func (e *EC2) authorize(c *api.Call, egress bool) (any, error) {
	return e.editRules(c, egress, func(tx store.Tx, region, id string, list *[]rule, rules []rule) error {
		for _, r := range rules {
			for _, g := range r.Groups {
				if _, err := get(c.Context, tx, c.Account, region, g); err != nil || kindOf(g) != "sg" {
					return notFound(g)
				}
			}
			i := slices.IndexFunc(*list, r.same)
			if i < 0 {
				*list = append(*list, rule{Protocol: r.Protocol, From: r.From, To: r.To})
				i = len(*list) - 1
			}
			have := &(*list)[i]
			for _, src := range []struct{ add, to *[]string }{{&r.CIDRs, &have.CIDRs}, {&r.CIDRv6, &have.CIDRv6}, {&r.Groups, &have.Groups}} {
				for _, x := range *src.add {
					if contains(*src.to, x) {
						return duplicate(id, r, x)
					}
					*src.to = append(*src.to, x)
				}
			}
		}
		return nil
	})
}

func duplicate(id string, r rule, source string) error {
	ports := "ALL"
	if r.From != nil {
		ports = fmt.Sprintf("%d", *r.From)
		if r.To != nil && *r.To != *r.From {
			ports += fmt.Sprintf("-%d", *r.To)
		}
	}
	return api.Errorf(400, "InvalidPermission.Duplicate",
		"the specified rule \"peer: %s, %s, %s, ALLOW\" already exists", source, protocolName(r.Protocol), ports)
}

func protocolName(p string) string {
	if n, ok := map[string]string{"-1": "ALL", "6": "TCP", "17": "UDP", "1": "ICMP", "tcp": "TCP", "udp": "UDP", "icmp": "ICMP"}[p]; ok {
		return n
	}
	return p
}
