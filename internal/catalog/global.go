package catalog

import (
	"strings"
	"sync"
)

// globals lists AWS's global condition context keys, from the IAM User
// Guide's "AWS global condition context keys". The service tables list
// only the tag keys among them, so the list is kept here.
var globals = [...]struct {
	name   string
	typ    KeyType
	scoped bool // supported only by the actions that list it
	desc   string
}{
	// Properties of the principal.
	{"aws:PrincipalArn", TypeARN, false, "Filters access by the ARN of the principal that made the request"},
	{"aws:PrincipalAccount", TypeString, false, "Filters access by the account to which the requesting principal belongs"},
	{"aws:PrincipalOrgPaths", TypeArrayOfString, false, "Filters access by the AWS Organizations paths of the requesting principal's account"},
	{"aws:PrincipalOrgID", TypeString, false, "Filters access by the organization of the requesting principal's account"},
	{"aws:PrincipalTag/${TagKey}", TypeString, false, "Filters access by a tag attached to the principal that made the request"},
	{"aws:PrincipalIsAWSService", TypeBool, false, "Filters access by whether the call is made by an AWS service principal"},
	{"aws:PrincipalServiceName", TypeString, false, "Filters access by the service principal name that made the request"},
	{"aws:PrincipalServiceNamesList", TypeArrayOfString, false, "Filters access by all the service principal names of the requesting service"},
	{"aws:PrincipalType", TypeString, false, "Filters access by the type of principal that made the request"},
	{"aws:userid", TypeString, false, "Filters access by the principal identifier of the requester"},
	{"aws:username", TypeString, false, "Filters access by the user name of the requester"},

	// Properties of a role session.
	{"aws:AssumedRoot", TypeBool, false, "Filters access by whether the request was made with root access assumed from a management or delegated administrator account"},
	{"aws:FederatedProvider", TypeString, false, "Filters access by the identity provider that issued the principal's credentials"},
	{"aws:TokenIssueTime", TypeDate, false, "Filters access by the time the temporary security credentials were issued"},
	{"aws:MultiFactorAuthAge", TypeNumeric, false, "Filters access by the seconds since the requester was authorized with MFA"},
	{"aws:MultiFactorAuthPresent", TypeBool, false, "Filters access by whether MFA was used to authorize the requester's credentials"},
	{"aws:Ec2InstanceSourceVpc", TypeString, false, "Filters access by the VPC to which EC2 instance role credentials were delivered"},
	{"aws:Ec2InstanceSourcePrivateIPv4", TypeIPAddress, false, "Filters access by the primary private IPv4 address of the EC2 instance whose role credentials were used"},
	{"aws:SourceIdentity", TypeString, false, "Filters access by the source identity set for the role session"},

	// Properties of the network.
	{"aws:SourceIp", TypeIPAddress, false, "Filters access by the requester's IP address"},
	{"aws:SourceVpc", TypeString, false, "Filters access by the VPC the request travelled through"},
	{"aws:SourceVpcArn", TypeARN, false, "Filters access by the ARN of the VPC the request travelled through"},
	{"aws:SourceVpce", TypeString, false, "Filters access by the VPC endpoint the request travelled through"},
	{"aws:VpcSourceIp", TypeIPAddress, false, "Filters access by the IP address from which a request was made through a VPC endpoint"},
	{"aws:VpceAccount", TypeString, false, "Filters access by the account that owns the VPC endpoint the request travelled through"},
	{"aws:VpceOrgID", TypeString, false, "Filters access by the organization that owns the VPC endpoint the request travelled through"},
	{"aws:VpceOrgPaths", TypeArrayOfString, false, "Filters access by the AWS Organizations paths of the VPC endpoint's owning account"},

	// Properties of the resource.
	{"aws:ResourceAccount", TypeString, false, "Filters access by the account that owns the resource"},
	{"aws:ResourceOrgID", TypeString, false, "Filters access by the organization of the account that owns the resource"},
	{"aws:ResourceOrgPaths", TypeArrayOfString, false, "Filters access by the AWS Organizations path of the account that owns the resource"},
	{"aws:ResourceTag/${TagKey}", TypeString, true, "Filters access by the tags associated with the resource"},

	// Properties of the request.
	{"aws:CalledVia", TypeArrayOfString, false, "Filters access by the services that made the request on the principal's behalf, in order"},
	{"aws:CalledViaFirst", TypeString, false, "Filters access by the first service in aws:CalledVia"},
	{"aws:CalledViaLast", TypeString, false, "Filters access by the last service in aws:CalledVia"},
	{"aws:ViaAWSService", TypeBool, false, "Filters access by whether an AWS service made the request on the principal's behalf"},
	{"aws:CurrentTime", TypeDate, false, "Filters access by the date and time of the request"},
	{"aws:EpochTime", TypeDate, false, "Filters access by the date and time of the request, in epoch or date form"},
	{"aws:referer", TypeString, false, "Filters access by the HTTP referer header of the request"},
	{"aws:RequestedRegion", TypeString, false, "Filters access by the Region the request was made to"},
	{"aws:RequestTag/${TagKey}", TypeString, true, "Filters access by the tags that are passed in the request"},
	{"aws:TagKeys", TypeArrayOfString, true, "Filters access by the tag keys that are passed in the request"},
	{"aws:SecureTransport", TypeBool, false, "Filters access by whether the request was sent over TLS"},
	{"aws:SourceAccount", TypeString, false, "Filters access by the account of the resource for which a service makes the request"},
	{"aws:SourceArn", TypeARN, false, "Filters access by the ARN of the resource for which a service makes the request"},
	{"aws:SourceOrgID", TypeString, false, "Filters access by the organization of the resource for which a service makes the request"},
	{"aws:SourceOrgPaths", TypeArrayOfString, false, "Filters access by the AWS Organizations path of the resource for which a service makes the request"},
	{"aws:UserAgent", TypeString, false, "Filters access by the requester's client application"},
}

// sessionKeys are service keys that AWS sets on every request a role
// session's credentials sign, whatever the service, because the session was
// created for a compute resource: the IAM User Guide lists them with the
// global keys as properties of the role session.
var sessionKeys = [...]string{
	"ec2:RoleDelivery",
	"ec2:SourceInstanceArn",
	"glue:CredentialIssuingService",
	"glue:RoleAssumedBy",
	"lambda:SourceFunctionArn",
	"ssm:SourceInstanceArn",
}

// everyAction reports whether a condition on key is evaluated for every
// action: key is an unscoped global key or a session key.
func everyAction(key string) bool {
	if g := lookupGlobal(key); g != nil {
		return !g.scoped
	}
	for _, k := range sessionKeys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// globalIndex is the global keys, indexed; built once, never modified.
type globalIndex struct {
	all       []*ConditionKey
	exact     map[string]*ConditionKey // untemplated, lower-cased
	templates []*ConditionKey
	byName    map[string]*ConditionKey // every key by lower-cased Name
}

var loadGlobals = sync.OnceValue(func() *globalIndex {
	g := &globalIndex{
		exact:  make(map[string]*ConditionKey),
		byName: make(map[string]*ConditionKey),
	}
	for _, e := range globals {
		k := newKey(e.name, e.typ, e.desc, true)
		k.scoped = e.scoped
		g.all = append(g.all, k)
		g.byName[lower(k.Name)] = k
		if k.Templated() {
			g.templates = append(g.templates, k)
		} else {
			g.exact[lower(k.Name)] = k
		}
	}
	return g
})

// lookupGlobal returns the global key name matches, or nil.
func lookupGlobal(name string) *ConditionKey {
	if len(name) < 4 || !strings.EqualFold(name[:4], "aws:") {
		return nil
	}
	g := loadGlobals()
	if k := lookup(g.exact, name); k != nil {
		return k
	}
	return matchTemplate(g.templates, name)
}

// globalKey returns the global key named exactly name (ignoring case,
// variables included), or nil.
func globalKey(name string) *ConditionKey { return loadGlobals().byName[lower(name)] }
