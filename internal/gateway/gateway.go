// Package gateway is rolecall's front door: every request, from a client or
// from inside rolecall, is routed, authenticated (SigV4, or anonymous where
// the service allows it), given its request context, authorized by the policy
// engine, handled, recorded in the trail and answered in the protocol it was
// written in.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/protocol"
	"github.com/rolecall/rolecall/internal/session"
	"github.com/rolecall/rolecall/internal/sigv4"
	"github.com/rolecall/rolecall/internal/trail"
)

// Identities resolves long-term credentials and principals' policies (IAM).
type Identities interface {
	// LookupAccessKey returns the principal owning a long-term access key
	// and its secret. An unknown or inactive key is an error that is
	// ErrUnknownAccessKey (InvalidClientTokenId); any other error (the
	// store unreachable) answers InternalFailure.
	LookupAccessKey(ctx context.Context, id string) (*api.Principal, string, error)
	// PolicySet returns the compiled policies of p, with the session policies given.
	PolicySet(ctx context.Context, p *api.Principal, session []policy.Named) (*policy.PolicySet, error)
}

// KeyUseRecorder is implemented by Identities that keep when a long-term
// access key was last used (IAM's GetAccessKeyLastUsed).
type KeyUseRecorder interface {
	RecordKeyUse(ctx context.Context, accessKeyID, service, region string, at time.Time) error
}

// Sessions opens temporary credentials (STS session tokens).
type Sessions interface {
	// OpenSession verifies a session token presented with accessKeyID and returns
	// the principal and its secret. Errors are ErrExpiredToken or
	// ErrInvalidToken; any other error (the store unreachable) answers
	// InternalFailure.
	OpenSession(ctx context.Context, accessKeyID, token string, now time.Time) (*api.Principal, string, error)
}

// Errors a Sessions implementation returns.
var (
	ErrExpiredToken = errors.New("gateway: session token expired")
	ErrInvalidToken = errors.New("gateway: session token invalid")
	// ErrUnknownAccessKey is the error of Identities.LookupAccessKey for an
	// access key that does not exist or is inactive.
	ErrUnknownAccessKey = errors.New("gateway: access key unknown or inactive")
)

// Config configures a Gateway.
type Config struct {
	Account    string
	Region     string
	Identities Identities
	Sessions   Sessions
	Recorder   *trail.Recorder
	// Organizations, when set, places accounts in an organization: its
	// SCPs and RCPs apply and its condition keys are set. Nil: no account
	// is in an organization.
	Organizations Organizations
	// Endpoints, when set, finds the VPC endpoint a call from a function
	// in a VPC goes through (aws:SourceVpc, aws:SourceVpce and the
	// endpoint policy). Nil: no VPC has endpoints, and calls from VPCs
	// carry neither key.
	Endpoints Endpoints
	Logger    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnRequest, when set, is called once each request from the network
	// (the main listener or an execution environment's) has been answered,
	// on the request's goroutine: the request log.
	OnRequest func(Request)
	// BodyMemory bounds the bytes of request bodies held in memory at
	// once over all requests; 0 means DefaultBodyMemory. A request waits
	// while others hold it.
	BodyMemory int64
	// BodyIdleTimeout is how long a request body may make no progress
	// before the request is answered RequestTimeout; 0 means
	// DefaultBodyIdleTimeout.
	BodyIdleTimeout time.Duration
}

// Request is a request the gateway answered, as the request log shows it.
type Request struct {
	Time time.Time // when it arrived
	// Principal is the caller's ARN, "anonymous" for an unsigned request
	// a service allows, "" when the request was not authenticated.
	Principal string
	Service   string // the name of the service asked for ("iam"), served or not; "" when not known
	Operation string // the operation's name ("CreateRole"), "" when not named
	Status    int    // the HTTP status answered
	ErrorCode string // AWS's error code, "" on success
	// Duration runs from arrival to the end of the answer.
	Duration  time.Duration
	RequestID string
}

// Gateway serves AWS requests. It is built in two phases: New makes it,
// then Register adds the services (which may hold the gateway as their
// api.Invoker), then it serves.
type Gateway struct {
	cfg       Config
	protocols *protocol.Set
	known     *protocol.Known
	router    *router
	services  []*api.Service
	verifier  *sigv4.Verifier
	now       func() time.Time
	log       *slog.Logger
	contexts  sync.Pool
	bodyMem   *bodyMemory
	bodyIdle  time.Duration
	// anonymousRPC is set when a service that takes unsigned requests
	// speaks an RPC protocol: an unsigned RPC request is then read to find
	// its service.
	anonymousRPC bool
}

// New returns a Gateway with no services.
func New(cfg Config) *Gateway {
	g := &Gateway{
		cfg:       cfg,
		protocols: protocol.New(),
		known:     protocol.NewKnown(),
		now:       cfg.Now,
		log:       cfg.Logger,
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.bodyMem = newBodyMemory(cfg.BodyMemory)
	g.bodyIdle = cfg.BodyIdleTimeout
	if g.bodyIdle <= 0 {
		g.bodyIdle = DefaultBodyIdleTimeout
	}
	g.verifier = &sigv4.Verifier{Keys: sigv4.NewSigningKeyCache(4096), Now: g.now}
	if g.log == nil {
		g.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g.contexts.New = func() any { return new(policy.Context) }
	g.router = newRouter(g.protocols, g.known, nil)
	return g
}

// Register adds services. It is called before the gateway serves.
func (g *Gateway) Register(services ...*api.Service) {
	g.services = append(g.services, services...)
	for _, s := range services {
		if s.Anonymous && len(s.Routes) == 0 {
			g.anonymousRPC = true
		}
	}
	g.router = newRouter(g.protocols, g.known, g.services)
}

// Services returns the signing names of the registered services, in the
// order they were first registered, each once.
func (g *Gateway) Services() []string {
	names := make([]string, 0, len(g.services))
	for _, s := range g.services {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	return names
}

// ServeHTTP serves the main listener.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.serveLogged(w, r, nil)
}

// Bound returns a handler for a listener bound to one execution environment:
// only the session issued to that environment is accepted there, and its
// requests carry the environment's condition keys.
func (g *Gateway) Bound(b *api.EnvironmentBinding) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { g.serveLogged(w, r, b) })
}

// serveLogged serves a request and, with Config.OnRequest set, reports it.
func (g *Gateway) serveLogged(w http.ResponseWriter, r *http.Request, binding *api.EnvironmentBinding) {
	if g.cfg.OnRequest == nil {
		_, _, _ = g.serve(w, r, binding) // answered already; only the request log reads the result
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	c, service, e := g.serve(sw, r, binding)
	req := Request{Time: c.Time, Service: service, Operation: c.OperationName, Status: sw.status, RequestID: c.RequestID}
	req.Duration = g.now().Sub(c.Time)
	if req.Status == 0 {
		req.Status = http.StatusOK // nothing written: net/http answers 200
	}
	if c.Principal != nil {
		req.Principal = c.Principal.ARN
	}
	if e != nil {
		req.ErrorCode = e.Code
	}
	g.cfg.OnRequest(req)
}

// statusWriter notes the status a handler answers.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string { return uuid.NewString() }

// maxRPCBody bounds the body of an RPC request, which is read whole (the
// query protocol names its operation in the body).
const maxRPCBody = api.DefaultMaxBody

// serve answers a request; it returns the call, the name of the service
// asked for (served or not; "" when not known) and the error answered, if
// any.
//
// Everything that can be judged without the body is judged before a byte
// of it is read: the signature's shape and scope, the request time, the
// signed headers, the access key (or the session token's seal) and the
// environment binding. Only then is the body read: whole for RPC requests
// and for signatures that need it (within the gateway's body memory),
// streamed and hashed on the way for the others.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, binding *api.EnvironmentBinding) (*api.Call, string, *api.Error) {
	c := &api.Call{
		Context:     r.Context(),
		HTTP:        r,
		RequestID:   newRequestID(),
		SourceIP:    sourceIP(r),
		UserAgent:   r.UserAgent(),
		Time:        g.now(),
		Environment: binding,
	}
	// The body is read through body, and only once the request has passed
	// every check that does not need it.
	body := &progressBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: g.bodyIdle, length: r.ContentLength}
	if r.Body == nil {
		body.ReadCloser = http.NoBody
	}
	r.Body = body
	defer body.finish()
	h := &held{m: g.bodyMem, declared: -1, body: body}
	defer h.release()

	p := g.protocols.Detect(r)
	sig, sigErr := sigv4.Parse(r)
	scope := ""
	if sig != nil {
		scope = sig.Service
	}
	// Route on what the headers say; a query request, which names its
	// operation in the body, is routed again once the body is read.
	rt := g.router.routeHead(r, p, scope)
	g.setRoute(c, rt)

	var secret string
	switch {
	case sigErr != nil && isMissingAuth(sigErr) && (p == nil && rt.svc != nil && rt.svc.Anonymous || p != nil && g.anonymousRPC):
		// Perhaps an anonymous call: the RPC service is known from the body.
		c.Principal = api.NewAnonymous()
	case sigErr != nil:
		return c, rt.svcName, g.writeError(w, c, g.signatureError(rt.svc, sigErr))
	case rt.svc != nil && sig.Service != rt.svc.Name:
		return c, rt.svcName, g.writeError(w, c, g.signatureError(rt.svc, sigv4.WrongService(rt.svc.Name)))
	default:
		var selectors []string
		if p != nil {
			// The content type chooses the RPC protocol (query, JSON 1.0
			// or 1.1, CBOR): it is signed like X-Amz-Target.
			selectors = rpcSelectors
		}
		if err := g.verifier.Precheck(sig, r, selectors...); err != nil {
			return c, rt.svcName, g.writeError(w, c, g.signatureError(rt.svc, err))
		}
		var authErr *api.Error
		c.Principal, secret, authErr = g.authenticate(r.Context(), sig, c.Time)
		if authErr != nil {
			return c, rt.svcName, g.writeError(w, c, s3AuthError(rt.svc, sig, authErr))
		}
		if binding != nil && c.Principal.EnvironmentID != binding.ID {
			// Another environment's (or anyone else's) credentials on this
			// environment's listener: refused, so its keys cannot be borrowed.
			c.Principal = nil // not authenticated here
			return c, rt.svcName, g.writeError(w, c, &api.Error{Code: "InvalidClientTokenId", Status: 403,
				Message: "The security token included in the request is invalid."})
		}
	}

	switch {
	case p != nil || sig != nil && sig.NeedsBody():
		// Read whole: the RPC body names the operation, and a signature
		// over a payload without a declared hash is checked on all of it.
		limit := int64(maxRPCBody)
		if p == nil {
			limit = maxBody(rt.svc)
		}
		payload, err := h.read(r.Context(), r.Body, r.ContentLength, limit)
		if err != nil {
			if sig == nil {
				c.Principal = nil
			}
			return c, rt.svcName, g.writeError(w, c, g.bodyError(c, err))
		}
		if p != nil && bodyRouted(p) {
			rt = g.router.route(r, p, payload, scope)
			g.setRoute(c, rt)
		}
		if sig != nil {
			if err := g.verifier.Verify(sig, r, payload, secret); err != nil {
				c.Principal = nil // the key's owner did not sign this
				return c, rt.svcName, g.writeError(w, c, g.signatureError(rt.svc, err))
			}
		}
		if p != nil {
			if sig == nil && (rt.svc == nil || !rt.svc.Anonymous) {
				c.Principal = nil
				return c, rt.svcName, g.writeError(w, c, g.signatureError(rt.svc, sigErr))
			}
			if sig != nil && rt.svc != nil && sig.Service != rt.svc.Name {
				c.Principal = nil
				return c, rt.svcName, g.writeError(w, c, g.signatureError(rt.svc, sigv4.WrongService(rt.svc.Name)))
			}
		}
		c.SetPayload(payload)
		h.whole = true
	case sig != nil:
		// A REST body streams, bounded by what the service reads, and is
		// checked against its declared hash as it is read.
		r.Body = http.MaxBytesReader(w, r.Body, streamLimit(rt))
		b, err := g.verifier.VerifyStream(sig, r, secret)
		if err != nil {
			c.Principal = nil // the key's owner did not sign this
			return c, rt.svcName, g.writeError(w, c, g.signatureError(rt.svc, err))
		}
		c.Body = b
		if !sig.Streaming() {
			h.declared = r.ContentLength
		}
	default:
		c.Body = http.MaxBytesReader(w, r.Body, streamLimit(rt))
		h.declared = r.ContentLength
	}
	c.Region = g.cfg.Region
	if sig != nil {
		c.Region = sig.Region
	}
	if e := refuseSessionToken(rt.svc, c.Principal); e != nil {
		return c, rt.svcName, g.writeError(w, c, e)
	}
	c.Account = c.Principal.Account
	if c.Account == "" {
		c.Account = g.cfg.Account
	}
	if sig != nil {
		g.recordKeyUse(c, sig)
	}
	out, herr := g.dispatch(c, rt.svcName, h)
	if herr != nil {
		return c, rt.svcName, g.writeError(w, c, herr)
	}
	c.Protocol.WriteResult(w, c, out)
	return c, rt.svcName, nil
}

// rpcSelectors are the headers besides x-amz-* that choose what an RPC
// request does, and so must be signed.
var rpcSelectors = []string{"Content-Type"}

// setRoute gives the call what routing found.
func (g *Gateway) setRoute(c *api.Call, rt routed) {
	c.Protocol, c.Service, c.Operation, c.OperationName = rt.proto, rt.svc, rt.op, rt.opName
	c.Params, c.PathParams = rt.params, rt.pathParams
}

// bodyError is the answer to a body that could not be read whole.
func (g *Gateway) bodyError(c *api.Call, err error) *api.Error {
	var e *api.Error
	switch {
	case errors.As(err, &e):
		return e
	case isTimeout(err):
		return requestTimeout(c.Service)
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return tooLarge(mb.Limit)
	}
	return api.Errorf(400, "InvalidRequest", "Could not read the request body.")
}

// maxBody is the most of a REST body that a service's handlers read; a
// service whose operations stream (S3) names a large MaxBody.
func maxBody(svc *api.Service) int64 {
	if svc != nil && svc.MaxBody > 0 {
		return svc.MaxBody
	}
	return api.DefaultMaxBody
}

// streamLimit is the most of a REST body a request may send: a streaming
// operation's own MaxBody (S3 PutObject's 5 GiB), else the service's.
func streamLimit(rt routed) int64 {
	if rt.op != nil && rt.op.Streaming && rt.op.MaxBody > 0 {
		return rt.op.MaxBody
	}
	return maxBody(rt.svc)
}

func isMissingAuth(err error) bool {
	var se *sigv4.Error
	return errors.As(err, &se) && se.Kind == sigv4.MissingAuthentication
}

// writeError answers e in the request's protocol, and returns it. An
// answer given before the request's body was read whole closes the
// connection after it: otherwise net/http, to keep the connection, would
// read up to 256 KB of the unread body before sending the answer, and a
// request refused on its headers would wait for its body (or the body
// idle timeout) to be answered.
func (g *Gateway) writeError(w http.ResponseWriter, c *api.Call, e *api.Error) *api.Error {
	if c.HTTP != nil {
		if b, ok := c.HTTP.Body.(*progressBody); ok && b.unread() {
			w.Header().Set("Connection", "close")
		}
	}
	p := c.Protocol
	if p == nil {
		p = g.protocols.ByName(protocol.NameJSON11)
	}
	p.WriteError(w, c, e)
	return e
}

// dispatch runs steps 3–6 for an authenticated call: unknown operations,
// authorization, the handler and the trail.
func (g *Gateway) dispatch(c *api.Call, svcName string, h *held) (any, *api.Error) {
	if c.Service == nil || c.Operation == nil {
		e := protocol.UnknownOperation(c.Protocol, c.Params.Get("Version"), c.OperationName)
		g.record(c, svcName, e)
		return nil, e
	}
	if !c.Operation.Streaming {
		// A request's body is read whole here, within the gateway's body
		// memory; an in-process call's (h nil) is in hand.
		var err error
		if h != nil {
			err = g.readPayload(c, h)
		} else {
			_, err = c.Payload()
		}
		if err != nil {
			e := g.asError(c, err)
			g.record(c, svcName, e)
			return nil, e
		}
	}
	// Input shapes are validated before authorization, as AWS does.
	if err := c.Validate(); err != nil {
		g.record(c, svcName, err)
		return nil, err
	}
	if err := g.authorizeOperation(c); err != nil {
		g.record(c, svcName, err)
		return nil, err
	}
	if c.AuthorizeOnly {
		g.record(c, svcName, nil)
		return nil, nil
	}
	out, err := handle(c)
	var e *api.Error
	if err != nil {
		e = g.asError(c, err)
	}
	if e == nil {
		fillTrail(c, out)
	}
	g.record(c, svcName, e)
	if e != nil {
		return nil, e
	}
	return out, nil
}

// handle runs the call's handler. A handler that panics fails the call
// with an internal error, answered and recorded like any other, instead of
// dropping the connection unanswered and unrecorded; the panic and its
// stack are logged through asError.
func handle(c *api.Call) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			out, err = nil, fmt.Errorf("gateway: %s:%s panicked: %v\n%s", c.Service.Name, c.Operation.Name, p, debug.Stack())
		}
	}()
	return c.Operation.Handle(c)
}

// readPayload reads a streamed body whole for an operation that is not
// streaming, within the gateway's body memory.
func (g *Gateway) readPayload(c *api.Call, h *held) error {
	if h.whole || c.Body == nil {
		return nil
	}
	b, err := h.read(c.Context, c.Body, h.declared, maxBody(c.Service))
	if err != nil {
		return err
	}
	c.SetPayload(b)
	return nil
}

// asError returns err as AWS's error: a signature failure met while reading
// a streamed body as the protocol's signature error, anything unknown as an
// internal failure (logged).
func (g *Gateway) asError(c *api.Call, err error) *api.Error {
	var e *api.Error
	if errors.As(err, &e) {
		return e
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return g.signatureError(c.Service, se)
	}
	if isTimeout(err) {
		return requestTimeout(c.Service)
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return api.Errorf(413, "RequestEntityTooLarge", "Request must be smaller than %d bytes.", mb.Limit)
	}
	// A client that went away is not a server failure.
	if c.Context.Err() == nil {
		name := ""
		if c.Service != nil {
			name = c.Service.Name
		}
		g.log.Error("handler failed", "service", name, "operation", c.OperationName, "err", err)
	}
	return api.InternalFailure(err)
}

func (g *Gateway) record(c *api.Call, svcName string, e *api.Error) {
	if g.cfg.Recorder == nil {
		return
	}
	ent := trail.Entry{
		Time:      c.Time,
		Service:   c.Service,
		Operation: c.OperationName,
		Principal: c.Principal,
		SourceIP:  c.SourceIP,
		UserAgent: c.UserAgent,
		RequestID: c.RequestID,
		Region:    c.Region,
		Account:   c.Account,
		Details:   c.Trail,
		Decisions: c.Decisions,
	}
	if c.Service == nil && svcName != "" {
		ent.EventSource = svcName + ".amazonaws.com"
	}
	if op := c.Operation; op != nil {
		ent.ReadOnly = op.ReadOnly
		ent.Category = op.Category
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
		case errors.Is(err, ErrInvalidToken):
			return nil, "", invalid
		case err != nil:
			// The credentials may be good: say so, so that the caller retries.
			g.log.Error("open session", "key", sig.AccessKeyID, "err", err)
			return nil, "", api.InternalFailure(err)
		}
		return p, secret, nil
	}
	p, secret, err := g.cfg.Identities.LookupAccessKey(ctx, sig.AccessKeyID)
	switch {
	case errors.Is(err, ErrUnknownAccessKey):
		return nil, "", invalid
	case err != nil:
		g.log.Error("look up access key", "key", sig.AccessKeyID, "err", err)
		return nil, "", api.InternalFailure(err)
	}
	return p, secret, nil
}

// mfaServices are the services that GetSessionToken's credentials reach
// only with MFA: "You cannot call any IAM API operations unless MFA
// authentication information is included in the request" (STS API
// Reference, GetSessionToken). rolecall has no MFA devices, so such
// credentials never carry MFA.
var mfaServices = map[string]bool{"iam": true}

// refuseSessionToken returns the error AWS answers when credentials from
// GetSessionToken without MFA call a service in mfaServices: IAM's
// InvalidClientTokenId, worded as IAM words it, or nil.
func refuseSessionToken(svc *api.Service, p *api.Principal) *api.Error {
	if svc == nil || !mfaServices[svc.Name] || p.Claims == nil || p.Claims.Type != session.SessionToken {
		return nil
	}
	return &api.Error{Code: "InvalidClientTokenId", Status: 403, Message: "The security token included in the request is invalid"}
}

// recordKeyUse notes the use of a long-term access key that signed a
// verified request. Like AWS's own tracking it is best effort: a failure
// to record it fails nothing.
func (g *Gateway) recordKeyUse(c *api.Call, sig *sigv4.Signature) {
	if t := c.Principal.Type; t != api.Root && t != api.IAMUser {
		return
	}
	if r, ok := g.cfg.Identities.(KeyUseRecorder); ok && c.Principal.AccessKeyID != "" {
		if err := r.RecordKeyUse(c.Context, c.Principal.AccessKeyID, sig.Service, c.Region, c.Time); err != nil {
			g.log.Warn("record access key use", "key", c.Principal.AccessKeyID, "err", err)
		}
	}
}

// String describes the gateway for the start-up banner.
func (g *Gateway) String() string {
	return fmt.Sprintf("services: %s", strings.Join(g.Services(), ", "))
}
