package api

import (
	"fmt"
	"strings"
)

// HTTP is an operation's REST binding, the shape of Smithy's http trait:
// a method, a path pattern whose {Name} segments are captured into
// Call.PathParams (a trailing {Name+} captures the rest), and the query keys
// that must be present ("tagging", "x-id=GetObject"). The zero HTTP means
// the operation has no REST route.
type HTTP struct {
	Method string
	Path   string
	Query  []string
	// Header names request headers that must be present: they tell apart
	// operations bound to one method and path (S3 CopyObject's
	// x-amz-copy-source).
	Header []string
}

// NewService returns svc with its operation table built from ops: Operations
// by name, and a Route for every operation with an HTTP binding, in the
// order given. Like regexp.MustCompile it is meant for start-up: it panics
// on an operation without a name or handler, a name given twice, or two
// operations bound to the same method, path and query.
//
// A table is one literal of rows, each naming its handler by method value:
//
//	api.NewService(api.Service{Name: "lambda", Protocols: []string{"restJson1"}},
//		&api.Operation{Name: "GetFunction", Action: "lambda:GetFunction",
//			HTTP:     api.HTTP{Method: "GET", Path: "/2015-03-31/functions/{FunctionName}"},
//			Resource: l.functionResource, Handle: l.getFunction},
//	)
func NewService(svc Service, ops ...*Operation) *Service {
	s := svc
	s.Operations = make(map[string]*Operation, len(svc.Operations)+len(ops))
	for name, op := range svc.Operations {
		s.Operations[name] = op
	}
	s.Routes = append([]Route(nil), svc.Routes...)
	bound := make(map[string]string, len(ops))
	for _, op := range ops {
		switch {
		case op == nil || op.Name == "":
			panic(fmt.Sprintf("api: %s: an operation without a name", svc.Name))
		case op.Handle == nil:
			panic(fmt.Sprintf("api: %s.%s: no handler", svc.Name, op.Name))
		case s.Operations[op.Name] != nil:
			panic(fmt.Sprintf("api: %s.%s: operation declared twice", svc.Name, op.Name))
		}
		s.Operations[op.Name] = op
		h := op.HTTP
		if h.Method == "" && h.Path == "" {
			continue
		}
		if h.Method == "" || !strings.HasPrefix(h.Path, "/") {
			panic(fmt.Sprintf("api: %s.%s: HTTP binding %q %q", svc.Name, op.Name, h.Method, h.Path))
		}
		key := h.Method + " " + h.Path + "?" + strings.Join(h.Query, "&") + " " + strings.Join(h.Header, ",")
		if other, ok := bound[key]; ok {
			panic(fmt.Sprintf("api: %s.%s: route %s is %s's", svc.Name, op.Name, key, other))
		}
		bound[key] = op.Name
		s.Routes = append(s.Routes, Route{Method: h.Method, Path: h.Path, Query: h.Query, Header: h.Header, Operation: op.Name})
	}
	return &s
}
