package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// router finds the service and operation a request is for, from what AWS's
// own front ends dispatch on: X-Amz-Target, the query Action and Version, or
// the REST method and path.
type router struct {
	byName    map[string]*api.Service
	byTarget  map[string]*api.Service
	byVersion map[string]*api.Service
	query     []*api.Service
	rest      []restRoute
}

type restRoute struct {
	svc      *api.Service
	method   string
	segments []string // literal, "{Name}" or "{Name+}"
	op       string
}

func newRouter(services []*api.Service) *router {
	rt := &router{
		byName:    map[string]*api.Service{},
		byTarget:  map[string]*api.Service{},
		byVersion: map[string]*api.Service{},
	}
	for _, s := range services {
		rt.byName[s.Name] = s
		switch s.Protocol {
		case api.JSON10, api.JSON11:
			rt.byTarget[s.TargetPrefix] = s
			// Clients differ in how much of a namespaced prefix they send:
			// "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101" or
			// just "CloudTrail_20131101".
			if i := strings.LastIndexByte(s.TargetPrefix, '.'); i >= 0 {
				rt.byTarget[s.TargetPrefix[i+1:]] = s
			}
		case api.Query:
			rt.query = append(rt.query, s)
			if s.APIVersion != "" {
				rt.byVersion[s.APIVersion] = s
			}
		case api.RESTJSON, api.RESTXML:
			for _, r := range s.Routes {
				path := r.Path
				if i := strings.IndexByte(path, '?'); i >= 0 {
					path = path[:i]
				}
				rt.rest = append(rt.rest, restRoute{
					svc:      s,
					method:   r.Method,
					segments: strings.Split(strings.Trim(path, "/"), "/"),
					op:       r.Operation,
				})
			}
		}
	}
	return rt
}

// routed is the outcome of routing.
type routed struct {
	svc        *api.Service
	opName     string // the operation the client asked for, even when unknown
	op         *api.Operation
	params     url.Values
	pathParams map[string]string
}

// route resolves r. scope is the SigV4 credential scope's service, used only
// to choose among services that share a dispatch form (query services without
// a Version parameter) and checked against the result by the caller.
func (rt *router) route(r *http.Request, body []byte, scope string) routed {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		i := strings.LastIndexByte(target, '.')
		if i < 0 {
			return routed{svc: rt.byName[scope], opName: target}
		}
		prefix, name := target[:i], target[i+1:]
		svc := rt.byTarget[prefix]
		if svc == nil {
			return routed{svc: rt.byName[scope], opName: name}
		}
		return routed{svc: svc, opName: name, op: svc.Operations[name], params: r.URL.Query()}
	}
	if params, ok := queryParams(r, body); ok {
		name := params.Get("Action")
		svc := rt.byVersion[params.Get("Version")]
		if svc == nil {
			svc = rt.byName[scope]
			if svc != nil && svc.Protocol != api.Query {
				svc = nil
			}
		}
		if svc == nil {
			return routed{opName: name, params: params}
		}
		return routed{svc: svc, opName: name, op: svc.Operations[name], params: params}
	}
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	var fallback routed
	for i := range rt.rest {
		rr := &rt.rest[i]
		pp, ok := matchSegments(rr.segments, segs)
		if !ok {
			continue
		}
		if rr.method != r.Method {
			if fallback.svc == nil {
				fallback = routed{svc: rr.svc}
			}
			continue
		}
		return routed{svc: rr.svc, opName: rr.op, op: rr.svc.Operations[rr.op], params: r.URL.Query(), pathParams: pp}
	}
	if fallback.svc == nil {
		fallback.svc = rt.byName[scope]
	}
	fallback.params = r.URL.Query()
	return fallback
}

// queryParams returns the query-protocol parameters when r is a query request.
func queryParams(r *http.Request, body []byte) (url.Values, bool) {
	ct := r.Header.Get("Content-Type")
	if r.Method == http.MethodPost && strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, false
		}
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok {
				form[k] = v
			}
		}
		return form, form.Get("Action") != ""
	}
	if r.Method == http.MethodGet && r.URL.Query().Get("Action") != "" {
		return r.URL.Query(), true
	}
	return nil, false
}

func matchSegments(pattern, segs []string) (map[string]string, bool) {
	var pp map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}") {
			if i >= len(segs) {
				return nil, false
			}
			v, err := url.PathUnescape(strings.Join(segs[i:], "/"))
			if err != nil || v == "" {
				return nil, false
			}
			if pp == nil {
				pp = map[string]string{}
			}
			pp[p[1:len(p)-2]] = v
			return pp, true
		}
		if i >= len(segs) {
			return nil, false
		}
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, false
			}
			if pp == nil {
				pp = map[string]string{}
			}
			pp[p[1:len(p)-1]] = v
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return pp, len(pattern) == len(segs)
}
