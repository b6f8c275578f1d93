package protocol

import (
	"net/url"
	"sort"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// knownService is what the AWS models say of a service: enough to answer a
// request rolecall does not serve in the service's own protocol.
type knownService struct {
	Name         string // signing name
	Protocols    []string
	TargetPrefix string
	APIVersion   string
	XMLNamespace string
	Operations   []knownOperation // REST services only
}

type knownOperation struct {
	Name, Method, URI string
}

// otherServices are common services without a model in the reference set.
var otherServices = []knownService{
	{Name: "sns", Protocols: []string{NameQuery}, APIVersion: "2010-03-31", XMLNamespace: "http://sns.amazonaws.com/doc/2010-03-31/"},
	{Name: "ssm", Protocols: []string{NameJSON11}, TargetPrefix: "AmazonSSM", APIVersion: "2014-11-06"},
	{Name: "secretsmanager", Protocols: []string{NameJSON11}, TargetPrefix: "secretsmanager", APIVersion: "2017-10-17"},
	{Name: "events", Protocols: []string{NameJSON11}, TargetPrefix: "AWSEvents", APIVersion: "2015-10-07"},
	{Name: "states", Protocols: []string{NameJSON10}, TargetPrefix: "AWSStepFunctions", APIVersion: "2016-11-23"},
	{Name: "ecr", Protocols: []string{NameJSON11}, TargetPrefix: "AmazonEC2ContainerRegistry_V20150921", APIVersion: "2015-09-21"},
	{Name: "cloudformation", Protocols: []string{NameQuery}, APIVersion: "2010-05-15", XMLNamespace: "http://cloudformation.amazonaws.com/doc/2010-05-15/"},
	{Name: "elasticloadbalancing", Protocols: []string{NameQuery}, APIVersion: "2015-12-01"},
	{Name: "monitoring", Protocols: []string{NameQuery}, APIVersion: "2010-08-01", XMLNamespace: "http://monitoring.amazonaws.com/doc/2010-08-01/"},
	{Name: "apigateway", Protocols: []string{NameRESTJSON}, APIVersion: "2015-07-09"},
}

// Known describes the services of the AWS models, and a few others, for
// requests that no served service takes.
type Known struct {
	byName    map[string]*knownService
	byTarget  map[string]*knownService
	byVersion map[string]*knownService
	ops       map[string][]compiledOp
}

type compiledOp struct {
	name    string
	pattern Pattern
}

// NewKnown indexes the known services.
func NewKnown() *Known {
	k := &Known{
		byName:    map[string]*knownService{},
		byTarget:  map[string]*knownService{},
		byVersion: map[string]*knownService{},
		ops:       map[string][]compiledOp{},
	}
	all := append(append([]knownService(nil), modelServices...), otherServices...)
	for i := range all {
		s := &all[i]
		if _, ok := k.byName[s.Name]; !ok {
			k.byName[s.Name] = s
		}
		if s.TargetPrefix != "" {
			k.byTarget[s.TargetPrefix] = s
			if j := strings.LastIndexByte(s.TargetPrefix, '.'); j >= 0 {
				k.byTarget[s.TargetPrefix[j+1:]] = s
			}
		}
		if s.APIVersion != "" && len(s.Protocols) > 0 && s.Protocols[0] == NameQuery {
			k.byVersion[s.APIVersion] = s
		}
		var ops []compiledOp
		for _, o := range s.Operations {
			ops = append(ops, compiledOp{name: o.Name, pattern: Compile(o.Method, o.URI)})
		}
		sort.SliceStable(ops, func(a, b int) bool { return ops[a].pattern.Specificity() > ops[b].pattern.Specificity() })
		if ops != nil {
			k.ops[s.Name] = ops
		}
	}
	return k
}

// ServiceByTarget returns the signing name and default protocol of the
// service an X-Amz-Target prefix belongs to.
func (k *Known) ServiceByTarget(prefix string) (name, protocol string, ok bool) {
	s := k.byTarget[prefix]
	if s == nil {
		return "", "", false
	}
	return s.Name, s.Protocols[0], true
}

// ServiceByVersion returns the signing name of the query service whose API
// version is v.
func (k *Known) ServiceByVersion(v string) (string, bool) {
	s := k.byVersion[v]
	if s == nil {
		return "", false
	}
	return s.Name, true
}

// DefaultProtocol returns a known service's default protocol.
func (k *Known) DefaultProtocol(name string) (string, bool) {
	s := k.byName[name]
	if s == nil || len(s.Protocols) == 0 {
		return "", false
	}
	return s.Protocols[0], true
}

// RESTOperation names the operation of a REST service a request is for,
// from the service's model, or "".
func (k *Known) RESTOperation(service, method, escapedPath string, query url.Values) string {
	return k.RESTOperationAbove(service, method, escapedPath, query, -1)
}

// RESTOperationAbove names the operation of a REST service's model that a
// request matches with a Specificity above min, or "". A served route
// matching a request may be less specific than the operation the request
// is for: GET /{Bucket}?website is S3's GetBucketWebsite, not the
// ListObjects that GET /{Bucket} serves, and DELETE /{Bucket}?cors is
// DeleteBucketCors, not DeleteBucket.
func (k *Known) RESTOperationAbove(service, method, escapedPath string, query url.Values, min int) string {
	for _, o := range k.ops[service] {
		if o.pattern.Specificity() <= min {
			break
		}
		if o.pattern.Method != method {
			continue
		}
		if _, ok := o.pattern.MatchPath(escapedPath, query); ok {
			return o.name
		}
	}
	return ""
}

// unknownOperations is each protocol's answer to an operation its service
// does not serve (or a service rolecall does not serve).
var unknownOperations = map[string]func(version, op string) *api.Error{
	NameQuery: func(version, op string) *api.Error {
		return api.Errorf(400, "InvalidAction", "Could not find operation %s for version %s", op, version)
	},
	NameEC2: func(_, op string) *api.Error {
		return api.Errorf(400, "InvalidAction", "The action %s is not valid for this web service.", op)
	},
	NameJSON10:    rpcUnknown,
	NameJSON11:    rpcUnknown,
	NameCBOR:      rpcUnknown,
	NameRPCv2CBOR: rpcUnknown,
	NameRESTJSON:  restUnknown,
	NameRESTXML: func(_, op string) *api.Error {
		if op == "" {
			return api.Errorf(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		}
		return api.Errorf(501, "NotImplemented", "A header or query you provided requested the %s operation, which is not implemented.", op)
	},
}

func rpcUnknown(_, op string) *api.Error {
	return api.Errorf(400, "UnknownOperationException", "Unknown operation %s", op)
}

func restUnknown(_, op string) *api.Error {
	if op == "" {
		return api.Errorf(404, "UnknownOperationException", "The requested operation is not recognized by the service.")
	}
	return api.Errorf(404, "UnknownOperationException", "Unknown operation %s", op)
}

// UnknownOperation is protocol p's error for an operation (op, possibly "")
// of API version version that is not served.
func UnknownOperation(p api.Protocol, version, op string) *api.Error {
	if f, ok := unknownOperations[p.Name()]; ok {
		return f(version, op)
	}
	return rpcUnknown(version, op)
}
