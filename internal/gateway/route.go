package gateway

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/protocol"
)

// router finds the protocol, service and operation of a request from what
// AWS's own front ends dispatch on: the protocol the request is written in,
// then X-Amz-Target, the query Action and Version, or for REST the service
// (SigV4 scope, virtual host) and its own route table. The SigV4 scope is
// checked against the result by the caller, never trusted alone.
type router struct {
	protocols *protocol.Set
	known     *protocol.Known
	byName    map[string]*api.Service
	// named are all the services of each signing name, in the order
	// registered, for in-process calls, which name an operation.
	named     map[string][]*api.Service
	byTarget  map[string]*api.Service
	byVersion map[string]*api.Service
	rest      map[*api.Service][]restRoute
	// anonymousREST are the REST services that take unsigned requests,
	// which carry no scope to name their service.
	anonymousREST []*api.Service
}

type restRoute struct {
	pattern protocol.Pattern
	op      string
}

func newRouter(protocols *protocol.Set, known *protocol.Known, services []*api.Service) *router {
	rt := &router{
		protocols: protocols,
		known:     known,
		byName:    map[string]*api.Service{},
		named:     map[string][]*api.Service{},
		byTarget:  map[string]*api.Service{},
		byVersion: map[string]*api.Service{},
		rest:      map[*api.Service][]restRoute{},
	}
	for _, s := range services {
		// Services that share a signing name (DynamoDB and DynamoDB
		// Streams) are told apart by their target prefix; the first
		// registered answers for the name.
		if _, ok := rt.byName[s.Name]; !ok {
			rt.byName[s.Name] = s
		}
		rt.named[s.Name] = append(rt.named[s.Name], s)
		if s.TargetPrefix != "" {
			rt.byTarget[s.TargetPrefix] = s
			// Clients differ in how much of a namespaced prefix they send:
			// "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101" or
			// just "CloudTrail_20131101".
			if i := strings.LastIndexByte(s.TargetPrefix, '.'); i >= 0 {
				rt.byTarget[s.TargetPrefix[i+1:]] = s
			}
		}
		if s.APIVersion != "" && (slices.Contains(s.Protocols, protocol.NameQuery) || slices.Contains(s.Protocols, protocol.NameEC2)) {
			rt.byVersion[s.APIVersion] = s
		}
		if len(s.Routes) > 0 {
			routes := make([]restRoute, 0, len(s.Routes))
			for _, r := range s.Routes {
				routes = append(routes, restRoute{pattern: protocol.Compile(r.Method, r.Path, r.Query...).WithHeaders(r.Header...), op: r.Operation})
			}
			sort.SliceStable(routes, func(i, j int) bool {
				return routes[i].pattern.Specificity() > routes[j].pattern.Specificity()
			})
			rt.rest[s] = routes
			if s.Anonymous {
				rt.anonymousREST = append(rt.anonymousREST, s)
			}
		}
	}
	return rt
}

// routed is the outcome of routing.
type routed struct {
	proto   api.Protocol
	svc     *api.Service // nil when rolecall does not serve the service
	svcName string       // the service asked for, served or not
	opName  string       // the operation the client asked for, even when unknown
	op      *api.Operation
	params  url.Values
	// pathParams are the captured REST path segments.
	pathParams map[string]string
}

// route resolves r. p is the RPC protocol r was detected to speak (nil for
// REST), body its payload (RPC requests only), scope the SigV4 credential
// scope's service ("" for an unsigned request).
func (rt *router) route(r *http.Request, p api.Protocol, body []byte, scope string) routed {
	var out routed
	if p != nil {
		out = rt.routeRPC(r, p, body, scope)
	} else {
		out = rt.routeREST(r, scope)
	}
	if len(out.opName) > maxOperationName {
		// No operation has so long a name: the request is answered and
		// recorded as unknown, naming no more than the bound of it.
		out.opName, out.op = out.opName[:maxOperationName], nil
	}
	return out
}

// routeHead resolves r from its headers alone, before its body is read: as
// route does, except that a query request (which names its operation in
// the body) is taken to be for the service of its credential scope until
// routeBody reads it.
func (rt *router) routeHead(r *http.Request, p api.Protocol, scope string) routed {
	if p == nil || !bodyRouted(p) {
		return rt.route(r, p, nil, scope)
	}
	out := routed{proto: p, svcName: scope, svc: rt.byName[scope]}
	if out.svc != nil {
		if out.proto = rt.speaks(out.svc, p); out.proto == nil {
			out.proto = p
		}
	}
	return out
}

// bodyRouted reports whether requests in protocol p name their operation
// in the body (the query protocol).
func bodyRouted(p api.Protocol) bool { return p.Name() == protocol.NameQuery }

// maxOperationName bounds the operation name a request gives (an Action
// or X-Amz-Target may run to the body or header limit) as it is echoed in
// the answer and recorded as the event name; AWS's longest are under 100.
const maxOperationName = 128

func (rt *router) routeRPC(r *http.Request, p api.Protocol, body []byte, scope string) routed {
	prefix, name, params := p.Route(r, body)
	out := routed{proto: p, opName: name, params: params, svcName: scope}
	if prefix != "" {
		// X-Amz-Target names the service.
		out.svc = rt.byTarget[prefix]
		if known, _, ok := rt.known.ServiceByTarget(prefix); ok {
			out.svcName = known
		}
	} else {
		// The query protocol's Version names the service; a client that
		// sends none means the service it signed for.
		version := params.Get("Version")
		out.svc = rt.byVersion[version]
		if out.svc == nil {
			out.svc = rt.byName[scope]
		}
		if known, ok := rt.known.ServiceByVersion(version); ok {
			out.svcName = known
		}
	}
	if out.svc != nil {
		out.svcName = out.svc.Name
		out.proto = rt.speaks(out.svc, p)
	}
	if out.svc != nil && out.proto != nil {
		out.op = out.svc.Operations[out.opName]
	}
	if out.proto == nil {
		// The service does not answer this protocol: no operation of it
		// is served in it.
		out.proto = p
	}
	return out
}

// speaks returns the protocol svc answers a request detected as p in: p
// itself, or for a JSON request without a JSON content type, the service's
// own JSON version, or for a query request to EC2, ec2Query. Nil when svc does not answer p.
func (rt *router) speaks(svc *api.Service, p api.Protocol) api.Protocol {
	if slices.Contains(svc.Protocols, p.Name()) {
		return p
	}
	if p.Name() == protocol.NameJSON11 && slices.Contains(svc.Protocols, protocol.NameJSON10) {
		return rt.protocols.ByName(protocol.NameJSON10)
	}
	// EC2's variant of the query protocol is written as awsQuery.
	if p.Name() == protocol.NameQuery && slices.Contains(svc.Protocols, protocol.NameEC2) {
		return rt.protocols.ByName(protocol.NameEC2)
	}
	return nil
}

func (rt *router) routeREST(r *http.Request, scope string) routed {
	path := r.URL.EscapedPath()
	query := r.URL.Query()
	out := routed{params: query, svcName: scope}
	svc := rt.byName[scope]
	if svc == nil && scope == "" {
		svc, path = rt.unsignedREST(r, path, query)
	} else if svc != nil {
		path = virtualHostPath(svc, r.Host, path)
	}
	if svc == nil {
		proto := protocol.NameRESTJSON
		if name, ok := rt.known.DefaultProtocol(scope); ok {
			proto = name
		}
		out.proto = rt.protocols.ByName(proto)
		if out.proto == nil {
			out.proto = rt.protocols.ByName(protocol.NameRESTJSON)
		}
		out.opName = rt.known.RESTOperation(scope, r.Method, path, query)
		return out
	}
	out.svc, out.svcName = svc, svc.Name
	out.proto = rt.protocols.ByName(svc.Protocols[0])
	for _, route := range rt.rest[svc] {
		if route.pattern.Method != r.Method || !route.pattern.MatchHeader(r.Header) {
			continue
		}
		if pp, ok := route.pattern.MatchPath(path, query); ok {
			// A sub-resource the route does not name makes the request
			// another operation of the model: refused when not served,
			// never run as the route's (DELETE /{Bucket}?cors is not DeleteBucket).
			if name := rt.known.RESTOperationAbove(svc.Name, r.Method, path, query, route.pattern.Specificity()); name != "" && svc.Operations[name] == nil {
				out.opName = name
				return out
			}
			out.opName, out.op, out.pathParams = route.op, svc.Operations[route.op], pp
			return out
		}
	}
	out.opName = rt.known.RESTOperation(svc.Name, r.Method, path, query)
	return out
}

// unsignedREST finds the anonymous REST service an unsigned request is for:
// by virtual host, then by its route table. A path-style request that one
// of the signed REST services' routes takes (Lambda's
// "/2015-03-31/functions", which S3 would read as a bucket and a key) is
// for that service, as it would be at its own endpoint in AWS: nil.
func (rt *router) unsignedREST(r *http.Request, path string, query url.Values) (*api.Service, string) {
	for _, s := range rt.anonymousREST {
		if p := virtualHostPath(s, r.Host, path); p != path {
			return s, p
		}
	}
	for s, routes := range rt.rest {
		if s.Anonymous {
			continue
		}
		for _, route := range routes {
			if _, ok := route.pattern.MatchPath(path, query); ok && route.pattern.Method == r.Method {
				return nil, path
			}
		}
	}
	for _, s := range rt.anonymousREST {
		for _, route := range rt.rest[s] {
			if _, ok := route.pattern.MatchPath(path, query); ok {
				return s, path
			}
		}
	}
	return nil, path
}

// virtualHostPath maps a virtual-host-style request ("bucket.localhost/key")
// to its path-style form ("/bucket/key") for a service with Hosts.
func virtualHostPath(svc *api.Service, host, path string) string {
	if len(svc.Hosts) == 0 {
		return path
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	// The longest suffix that matches: "b.s3.localhost" is bucket "b"
	// under "s3.localhost", not "b.s3" under "localhost".
	best := ""
	for _, suffix := range svc.Hosts {
		label, ok := strings.CutSuffix(host, "."+suffix)
		if ok && label != "" && (best == "" || len(label) < len(best)) {
			best = label
		}
	}
	if best != "" {
		return "/" + url.PathEscape(best) + path
	}
	return path
}

// operation finds an in-process call's service and operation: the first
// service of the signing name that has the operation (DynamoDB Streams'
// GetRecords under "dynamodb"), else the name's first service.
func (rt *router) operation(service, name string) (*api.Service, *api.Operation) {
	for _, s := range rt.named[service] {
		if op := s.Operations[name]; op != nil {
			return s, op
		}
	}
	return rt.byName[service], nil
}
