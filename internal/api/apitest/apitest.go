// Package apitest runs a service's operations in tests the way the gateway
// runs them, without HTTP, signatures or policies: it builds the api.Call of
// a request (in the service's first protocol), asks the operation for its
// resource and condition keys, records the further actions the handler
// authorizes, and runs the handler.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/protocol"
)

// DefaultAccount and DefaultRegion are a new Fixture's account and region.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-east-1"
)

// Fixture runs the operations of one service.
type Fixture struct {
	T       testing.TB
	Service *api.Service
	// Account and Region are those a request acts in unless it names its own.
	Account, Region string
	// Principal is the caller of a request that names none; nil means the
	// root of the account the request acts in.
	Principal *api.Principal
	// Now is the time of a request that gives none; nil means time.Now.
	Now func() time.Time
	// Authorize decides the further actions a handler authorizes
	// (Call.Authorize), after they are recorded; nil allows them all.
	Authorize func(c *api.Call, action string, res api.Resource, keys map[string][]string) error

	proto api.Protocol
	n     atomic.Int64
}

// New returns a Fixture for svc, acting in DefaultAccount and DefaultRegion.
func New(t testing.TB, svc *api.Service) *Fixture {
	f := &Fixture{T: t, Service: svc, Account: DefaultAccount, Region: DefaultRegion}
	if len(svc.Protocols) > 0 {
		f.proto = protocol.New().ByName(svc.Protocols[0])
	}
	return f
}

// Request is one request of an operation. Zero fields take the Fixture's
// defaults.
type Request struct {
	// Params are the query parameters (the form of a query-protocol request).
	Params url.Values
	// PathParams are the captured REST path segments.
	PathParams map[string]string
	// Body is the payload; a JSON request body is JSON(v).
	Body   []byte
	Header http.Header
	// Input is the typed input of an in-process call.
	Input     any
	Principal *api.Principal
	// Account is the account the request acts in; "" means the principal's,
	// as the gateway does, or the Fixture's.
	Account string
	Region  string
	Time    time.Time
}

// Result is what running an operation produced.
type Result struct {
	Call     *api.Call
	Output   any
	Err      error
	Resource api.Resource
	// Keys are the service condition keys the operation set.
	Keys Keys
	// Checks are the further actions the handler authorized, in order.
	Checks []Check
}

// Check is one action a handler authorized through Call.Authorize.
type Check struct {
	Action   string
	Resource api.Resource
	Keys     map[string][]string
}

// Keys records condition keys; it is an api.Keys.
type Keys map[string][]string

// Set records a key's values.
func (k Keys) Set(key string, values ...string) { k[key] = values }

// Root returns the root principal of account.
func Root(account string) *api.Principal {
	return &api.Principal{Type: api.Root, Account: account, ARN: "arn:aws:iam::" + account + ":root", PrincipalID: account}
}

// JSON returns v marshalled, for a request body.
func JSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Decode round-trips out through JSON into v, as a JSON protocol encodes
// a handler's output, failing the test on error.
func (f *Fixture) Decode(out, v any) {
	f.T.Helper()
	b, err := json.Marshal(out)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		f.T.Fatalf("apitest: decode %T: %v", out, err)
	}
}

// Call returns the api.Call of a request of operation op, failing the test
// when the service has no such operation.
func (f *Fixture) Call(op string, r Request) *api.Call {
	f.T.Helper()
	o := f.Service.Operations[op]
	if o == nil {
		f.T.Fatalf("apitest: %s has no operation %s", f.Service.Name, op)
	}
	account := r.Account
	if account == "" && r.Principal != nil {
		account = r.Principal.Account
	}
	if account == "" {
		account = f.Account
	}
	p := r.Principal
	if p == nil {
		p = f.Principal
	}
	if p == nil {
		p = Root(account)
	}
	region := r.Region
	if region == "" {
		region = f.Region
	}
	now := r.Time
	if now.IsZero() && f.Now != nil {
		now = f.Now()
	}
	if now.IsZero() {
		now = time.Now()
	}
	params := r.Params
	if params == nil {
		params = url.Values{}
	}
	method := o.HTTP.Method
	if method == "" {
		method = http.MethodPost
	}
	hr := httptest.NewRequest(method, "/", bytes.NewReader(r.Body))
	for k, vs := range r.Header {
		hr.Header[k] = vs
	}
	return &api.Call{
		Context:       context.Background(),
		HTTP:          hr,
		Body:          bytes.NewReader(r.Body),
		Protocol:      f.proto,
		Params:        params,
		PathParams:    r.PathParams,
		Input:         r.Input,
		Service:       f.Service,
		Operation:     o,
		OperationName: op,
		Principal:     p,
		Account:       account,
		Region:        region,
		RequestID:     "apitest-" + strconv.FormatInt(f.n.Add(1), 10),
		SourceIP:      "127.0.0.1",
		UserAgent:     "apitest",
		Time:          now,
	}
}

// Run runs a request of operation op.
func (f *Fixture) Run(op string, r Request) Result {
	f.T.Helper()
	return f.Do(f.Call(op, r))
}

// Do runs c the way the gateway does after authentication: the operation's
// Resource, its Conditions into Keys, then Handle, with c.Authorize (unless
// set) recording each further check and asking the Fixture's Authorize.
func (f *Fixture) Do(c *api.Call) Result {
	res := Result{Call: c, Keys: Keys{}}
	if c.Authorize == nil {
		c.Authorize = func(action string, r api.Resource, keys map[string][]string) error {
			res.Checks = append(res.Checks, Check{Action: action, Resource: r, Keys: keys})
			if f.Authorize != nil {
				return f.Authorize(c, action, r, keys)
			}
			return nil
		}
	}
	o := c.Operation
	if o.Resource != nil {
		if res.Resource, res.Err = o.Resource(c); res.Err != nil {
			return res
		}
	}
	if o.Conditions != nil {
		o.Conditions(c, res.Resource, res.Keys)
	}
	res.Output, res.Err = o.Handle(c)
	return res
}
