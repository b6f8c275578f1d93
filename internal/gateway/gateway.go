// Package gateway is rolecall's front door: every request, from a client or
// from inside rolecall, is routed, authenticated (SigV4), given its request
// context, authorized by the policy engine, handled, recorded in the trail and
// answered in its service's protocol.
package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/protocol"
	"github.com/rolecall/rolecall/internal/sigv4"
	"github.com/rolecall/rolecall/internal/trail"
)

// MaxBodySize bounds a request body (Lambda zip uploads are the largest).
const MaxBodySize = 96 << 20

// Identities resolves long-term credentials and principals' policies (IAM).
type Identities interface {
	// LookupAccessKey returns the principal owning a long-term access key and its secret.
	LookupAccessKey(ctx context.Context, id string) (*api.Principal, string, error)
	// PolicySet returns the compiled policies of p, with the session policies given.
	PolicySet(ctx context.Context, p *api.Principal, session []policy.Named) (*policy.PolicySet, error)
}

// Sessions opens temporary credentials (STS session tokens).
type Sessions interface {
	// OpenSession verifies a session token presented with accessKeyID and returns
	// the principal and its secret. Errors are ErrExpiredToken or ErrInvalidToken.
	OpenSession(ctx context.Context, accessKeyID, token string, now time.Time) (*api.Principal, string, error)
}

// Errors a Sessions implementation returns.
var (
	ErrExpiredToken = errors.New("gateway: session token expired")
	ErrInvalidToken = errors.New("gateway: session token invalid")
)

// Config configures a Gateway.
type Config struct {
	Account    string
	Region     string
	Services   []*api.Service
	Identities Identities
	Sessions   Sessions
	Recorder   *trail.Recorder
	Logger     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Gateway serves AWS requests.
type Gateway struct {
	cfg      Config
	router   *router
	verifier *sigv4.Verifier
	now      func() time.Time
	log      *slog.Logger
	contexts sync.Pool
}

// New returns a Gateway.
func New(cfg Config) *Gateway {
	g := &Gateway{
		cfg:    cfg,
		router: newRouter(cfg.Services),
		now:    cfg.Now,
		log:    cfg.Logger,
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.verifier = &sigv4.Verifier{Keys: sigv4.NewSigningKeyCache(4096), Now: g.now}
	if g.log == nil {
		g.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g.contexts.New = func() any { return new(policy.Context) }
	return g
}

// ServeHTTP serves the main listener.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.serve(w, r, nil)
}

// Bound returns a handler for a listener bound to one execution environment:
// only the session issued to that environment is accepted there, and its
// requests carry the environment's condition keys.
func (g *Gateway) Bound(b *api.EnvironmentBinding) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { g.serve(w, r, b) })
}

func newRequestID() string { return uuid.NewString() }

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, binding *api.EnvironmentBinding) {
	now := g.now()
	reqID := newRequestID()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	if err != nil {
		protocol.WriteError(w, nil, reqID, api.Errorf(400, "InvalidRequest", "Could not read the request body."))
		return
	}
	if len(body) > MaxBodySize {
		protocol.WriteError(w, nil, reqID, api.Errorf(413, "RequestEntityTooLarge", "Request must be smaller than %d bytes.", MaxBodySize))
		return
	}

	sig, sigErr := sigv4.Parse(r)
	scope := ""
	if sig != nil {
		scope = sig.Service
	}
	rt := g.router.route(r, body, scope)
	svc := rt.svc
	if sigErr != nil {
		protocol.WriteError(w, svc, reqID, g.signatureError(svc, sigErr))
		return
	}
	if svc != nil && sig.Service != svc.Name {
		protocol.WriteError(w, svc, reqID, g.signatureError(svc, sigv4.WrongService(svc.Name)))
		return
	}

	principal, secret, authErr := g.authenticate(r.Context(), sig, now)
	if authErr != nil {
		protocol.WriteError(w, svc, reqID, authErr)
		return
	}
	if body, err = g.verify(sig, r, body, secret); err != nil {
		protocol.WriteError(w, svc, reqID, g.signatureError(svc, err))
		return
	}
	if binding != nil && principal.EnvironmentID != binding.ID {
		// Another environment's (or anyone else's) credentials on this
		// environment's listener: refused, so its keys cannot be borrowed.
		protocol.WriteError(w, svc, reqID, &api.Error{Code: "InvalidClientTokenId", Status: 403,
			Message: "The security token included in the request is invalid."})
		return
	}

	call := &api.Call{
		Context:     r.Context(),
		HTTP:        r,
		Body:        body,
		Params:      rt.params,
		PathParams:  rt.pathParams,
		Service:     svc,
		Operation:   rt.op,
		Principal:   principal,
		Account:     principal.Account,
		Region:      sig.Region,
		RequestID:   reqID,
		SourceIP:    sourceIP(r),
		UserAgent:   r.UserAgent(),
		Time:        now,
		Environment: binding,
	}
	if call.Account == "" {
		call.Account = g.cfg.Account
	}
	out, herr := g.dispatch(call, rt.opName)
	if herr != nil {
		protocol.WriteError(w, svc, reqID, herr)
		return
	}
	protocol.WriteResult(w, svc, rt.op, reqID, out)
}

// verify checks the request's signature and returns its payload, decoded
// from aws-chunked framing when the client streamed it.
func (g *Gateway) verify(sig *sigv4.Signature, r *http.Request, body []byte, secret string) ([]byte, error) {
	if !sig.Streaming() {
		return body, g.verifier.Verify(sig, r, body, secret)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rd, err := g.verifier.VerifyStream(sig, r, secret)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(rd)
}

// dispatch runs steps 3–6 for an authenticated call: unknown operations,
// authorization, the handler and the trail.
func (g *Gateway) dispatch(c *api.Call, opName string) (any, *api.Error) {
	if c.Service == nil || c.Operation == nil {
		e := unknownOperation(c.Service, opName)
		g.record(c, opName, e)
		return nil, e
	}
	opResource, rp, trust, ae := g.authorizeOperation(c)
	if ae != nil {
		g.record(c, opName, ae)
		return nil, ae
	}
	c.Authorize = func(action, resource string, keys map[string][]string) error {
		var p *policy.Policy
		t := false
		if resource == opResource {
			p, t = rp, trust
		}
		if e := g.authorize(c, action, resource, keys, p, t); e != nil {
			return e
		}
		return nil
	}
	out, err := c.Operation.Handle(c)
	var e *api.Error
	if err != nil {
		if !errors.As(err, &e) {
			// A client that went away is not a server failure.
			if c.Context.Err() == nil {
				g.log.Error("handler failed", "service", c.Service.Name, "operation", c.Operation.Name, "err", err)
			}
			e = api.InternalFailure(err)
		}
	}
	g.record(c, opName, e)
	if e != nil {
		return nil, e
	}
	return out, nil
}

func unknownOperation(svc *api.Service, name string) *api.Error {
	if svc == nil {
		return &api.Error{Code: "UnknownOperationException", Status: 404, Message: "The requested operation is not recognized by any service of this endpoint."}
	}
	switch svc.Protocol {
	case api.Query:
		return api.Errorf(400, "InvalidAction", "Could not find operation %s for version %s", name, svc.APIVersion)
	case api.RESTXML:
		return api.Errorf(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	case api.RESTJSON:
		return &api.Error{Code: "UnknownOperationException", Status: 404, Message: "Unknown operation " + name}
	default:
		return api.Errorf(400, "UnknownOperationException", "Unknown operation %s", name)
	}
}

func (g *Gateway) record(c *api.Call, opName string, e *api.Error) {
	if g.cfg.Recorder == nil {
		return
	}
	ent := trail.Entry{
		Time:      c.Time,
		Service:   c.Service,
		Operation: opName,
		Principal: c.Principal,
		SourceIP:  c.SourceIP,
		UserAgent: c.UserAgent,
		RequestID: c.RequestID,
		Region:    c.Region,
		Account:   c.Account,
		Details:   c.Trail,
	}
	if c.Operation != nil {
		ent.ReadOnly = c.Operation.ReadOnly
	}
	if c.Service != nil && c.Service.Global {
		ent.Region = "us-east-1"
	}
	if p := c.Principal; p != nil {
		ent.InvokedBy = p.InvokedBy
		if ent.InvokedBy == "" && p.Type == api.AWSService {
			ent.InvokedBy = p.ARN
		}
	}
	if e != nil {
		// CloudTrail names authorization failures AccessDenied in every protocol.
		ent.ErrorCode = e.Code
		ent.ErrorMessage = e.Message
	}
	g.cfg.Recorder.Record(ent)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// signatureError maps a SigV4 failure to the protocol's error.
func (g *Gateway) signatureError(svc *api.Service, err error) *api.Error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return api.InternalFailure(err)
	}
	s3 := svc != nil && svc.Protocol == api.RESTXML
	e := &api.Error{Message: se.Message, Status: 403}
	switch se.Kind {
	case sigv4.MissingAuthentication:
		e.Code = "MissingAuthenticationToken"
		if s3 {
			e.Code = "AccessDenied"
			e.Message = "Access Denied"
		}
	case sigv4.IncompleteSignature, sigv4.MissingDate, sigv4.AuthorizationQueryParameters:
		e.Code, e.Status = "IncompleteSignature", 400
		if s3 {
			if se.Kind == sigv4.AuthorizationQueryParameters {
				e.Code = "AuthorizationQueryParametersError"
			} else {
				e.Code = "AuthorizationHeaderMalformed"
			}
		}
	case sigv4.SkewedTime:
		e.Code = "SignatureDoesNotMatch"
		if s3 {
			e.Code = "RequestTimeTooSkewed"
		}
	case sigv4.Expired, sigv4.HeadersNotSigned:
		e.Code = "AccessDenied"
	case sigv4.ContentSHA256Mismatch:
		e.Code = "SignatureDoesNotMatch"
		if s3 {
			e.Code, e.Status = "XAmzContentSHA256Mismatch", 400
		}
	case sigv4.MissingContentSHA256, sigv4.MalformedChunkedEncoding:
		e.Code, e.Status = "InvalidRequest", 400
	case sigv4.InvalidContentSHA256:
		e.Code, e.Status = "InvalidArgument", 400
	case sigv4.IncompleteBody:
		e.Code, e.Status = "IncompleteBody", 400
	case sigv4.MissingContentLength:
		e.Code, e.Status = "MissingContentLength", 411
	case sigv4.BadDigest:
		e.Code, e.Status = "BadDigest", 400
	default:
		e.Code = "SignatureDoesNotMatch"
	}
	return e
}

// authenticate resolves the access key of a parsed signature to a principal and secret.
func (g *Gateway) authenticate(ctx context.Context, sig *sigv4.Signature, now time.Time) (*api.Principal, string, *api.Error) {
	invalid := &api.Error{Code: "InvalidClientTokenId", Status: 403, Message: "The security token included in the request is invalid."}
	if sig.SecurityToken != "" || strings.HasPrefix(sig.AccessKeyID, "ASIA") {
		if sig.SecurityToken == "" || g.cfg.Sessions == nil {
			return nil, "", invalid
		}
		p, secret, err := g.cfg.Sessions.OpenSession(ctx, sig.AccessKeyID, sig.SecurityToken, now)
		switch {
		case errors.Is(err, ErrExpiredToken):
			return nil, "", &api.Error{Code: "ExpiredToken", Status: 400, Message: "The security token included in the request is expired"}
		case err != nil:
			return nil, "", invalid
		}
		return p, secret, nil
	}
	p, secret, err := g.cfg.Identities.LookupAccessKey(ctx, sig.AccessKeyID)
	if err != nil {
		return nil, "", invalid
	}
	return p, secret, nil
}

// String describes the gateway for the start-up banner.
func (g *Gateway) String() string {
	names := make([]string, 0, len(g.cfg.Services))
	for _, s := range g.cfg.Services {
		names = append(names, s.Name)
	}
	return fmt.Sprintf("services: %s", strings.Join(names, ", "))
}
