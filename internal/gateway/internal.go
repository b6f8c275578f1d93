package gateway

import (
	"context"
	"net/url"

	"github.com/rolecall/rolecall/internal/api"
)

var _ api.Invoker = (*Gateway)(nil)

// Invoke runs an in-process call (api.Invoker): it enters at step 3 with
// the principal given and is authorized, handled and recorded like any
// other call. The result is the handler's own output value.
func (g *Gateway) Invoke(ctx context.Context, in api.Internal) (any, error) {
	svc, op := g.router.operation(in.Service, in.Operation)
	var proto api.Protocol
	if svc != nil {
		proto = g.protocols.ByName(svc.Protocols[0])
	} else if in.AuthorizeOnly && in.Action != "" {
		svc, op = foreignCheck(in)
	}
	region := in.Region
	if region == "" {
		region = g.cfg.Region
	}
	account := in.Principal.Account
	if account == "" {
		account = g.cfg.Account
	}
	src := in.Principal.InvokedBy
	if src == "" && in.Principal.Type == api.AWSService {
		src = in.Principal.ARN
	}
	params := in.Params
	if params == nil {
		params = url.Values{}
	}
	c := &api.Call{
		Context:       ctx,
		Protocol:      proto,
		Params:        params,
		PathParams:    in.PathParams,
		Input:         in.Input,
		Service:       svc,
		Operation:     op,
		OperationName: in.Operation,
		Principal:     in.Principal,
		Account:       account,
		Region:        region,
		RequestID:     newRequestID(),
		SourceIP:      src,
		UserAgent:     src,
		Time:          g.now(),
		Environment:   in.Environment,
		SourceARN:     in.SourceARN,
		SourceAccount: in.SourceAccount,
		AuthorizeOnly: in.AuthorizeOnly,
	}
	if proto == nil {
		proto = g.protocols.ByName("awsJson1_1")
		c.Protocol = proto
	}
	out, e := g.dispatch(c, in.Service, nil)
	if e != nil {
		return nil, e
	}
	return out, nil
}

// foreignCheck is the service and operation of an AuthorizeOnly call to a
// service rolecall does not serve: in.Action on in.Resource.
func foreignCheck(in api.Internal) (*api.Service, *api.Operation) {
	res := in.Resource
	op := &api.Operation{
		Name:   in.Operation,
		Action: in.Action,
		Handle: func(*api.Call) (any, error) { return nil, nil },
	}
	if res.ARN != "" {
		op.Resource = func(*api.Call) (api.Resource, error) { return res, nil }
	}
	svc := api.NewService(api.Service{Name: in.Service, EventSource: in.Service + ".amazonaws.com"}, op)
	return svc, svc.Operations[in.Operation]
}
