package gateway

import (
	"context"
	"net/url"

	"github.com/rolecall/rolecall/internal/api"
)

// Internal is a call made inside rolecall on a principal's behalf: the Lambda
// service writing a function's logs as its execution role, or assuming the
// role as lambda.amazonaws.com. It enters at step 3 and is authorized,
// handled and recorded like any other call.
type Internal struct {
	Principal *api.Principal
	Service   string // signing name: "logs", "sts", ...
	Operation string
	Params    url.Values // query-protocol parameters
	Body      []byte     // JSON body
	Region    string
	// Environment, when set, gives the call the keys of an execution environment.
	Environment *api.EnvironmentBinding
}

// Invoke runs an internal call and returns the handler's output or AWS's error.
func (g *Gateway) Invoke(ctx context.Context, in Internal) (any, error) {
	svc := g.router.byName[in.Service]
	var op *api.Operation
	if svc != nil {
		op = svc.Operations[in.Operation]
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
	c := &api.Call{
		Context:     ctx,
		Body:        in.Body,
		Params:      in.Params,
		Service:     svc,
		Operation:   op,
		Principal:   in.Principal,
		Account:     account,
		Region:      region,
		RequestID:   newRequestID(),
		SourceIP:    src,
		UserAgent:   src,
		Time:        g.now(),
		Environment: in.Environment,
	}
	out, e := g.dispatch(c, in.Operation)
	if e != nil {
		return nil, e
	}
	return out, nil
}
