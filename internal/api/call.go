package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"time"
)

// Protocol is an AWS wire protocol, chosen per request: the router asks each
// protocol whether it recognizes the request, and the one that does decodes
// the request's input and writes its answer. A service may answer several
// (SQS: awsJson1_0 and awsQuery; Kinesis: awsJson1_1 and CBOR).
type Protocol interface {
	// Name is the protocol's Smithy name ("awsQuery", "awsJson1_1", ...).
	Name() string
	// Detect reports whether r is written in this protocol. REST protocols,
	// which are chosen by the service a request is for, detect nothing.
	Detect(r *http.Request) bool
	// Route names the operation an RPC request asks for: its X-Amz-Target
	// prefix and operation, or (prefix "") the query Action; params are the
	// request's parameters (the query protocol's form merged with the URL
	// query, the URL query otherwise). body is the request's payload. REST
	// protocols, which route by method and path, return the URL query only.
	Route(r *http.Request, body []byte) (prefix, operation string, params url.Values)
	// Decode decodes the call's input into v, a pointer to a struct.
	Decode(c *Call, v any) error
	// Parameters returns the call's input members as CloudTrail's
	// requestParameters show them (names with a lower-case first letter,
	// secrets and code left out), or nil.
	Parameters(c *Call) map[string]any
	// WriteResult writes a handler's output.
	WriteResult(w http.ResponseWriter, c *Call, v any)
	// WriteError writes e as this protocol spells it. c.Service and
	// c.Operation may be nil.
	WriteError(w http.ResponseWriter, c *Call, e *Error)
}

// Call is one authenticated request as a handler sees it.
type Call struct {
	Context context.Context
	HTTP    *http.Request
	// Body is the request payload as a stream, decoded from aws-chunked
	// framing. Its signature (payload hash, chunk signatures, trailing
	// checksum) is verified as it is read: data is authentic only once Body
	// has returned io.EOF, and a mismatch is returned as an error by Read,
	// so a handler reads Body to the end before it commits anything.
	Body io.Reader
	// Protocol is the protocol the request was written in.
	Protocol Protocol
	// Params are the query-protocol parameters (form body and URL query
	// merged), or the URL query for REST and JSON protocols.
	Params url.Values
	// PathParams are the captured REST path segments, unescaped.
	PathParams map[string]string
	// Input is the typed input of an in-process call (Internal.Input).
	Input     any
	Service   *Service
	Operation *Operation
	// OperationName is the operation the client asked for, even when the
	// service or the operation is unknown.
	OperationName string
	Principal     *Principal
	Account       string // the account the request acts in
	Region        string
	RequestID     string
	SourceIP      string
	UserAgent     string
	Time          time.Time
	// Environment is set when the request arrived on a listener bound to an
	// execution environment.
	Environment *EnvironmentBinding
	// SourceARN and SourceAccount are set on a service principal's
	// in-process call (Internal.SourceARN): aws:SourceArn and
	// aws:SourceAccount.
	SourceARN     string
	SourceAccount string
	// AuthorizeOnly is set on an in-process call that stops once it is
	// authorized (Internal.AuthorizeOnly).
	AuthorizeOnly bool
	// Authorize checks an additional action (iam:PassRole from
	// lambda:CreateFunction, ...) for the caller with the full evaluation
	// logic, records the decision, and returns AWS's AccessDenied on denial.
	Authorize func(action string, res Resource, keys map[string][]string) error
	// Trail lets a handler fill in what the CloudTrail record shows.
	Trail TrailDetails
	// Decisions are the authorization decisions the call made, in order.
	Decisions []Decision

	payload     []byte
	payloadRead bool
	payloadErr  error

	validated   bool
	validateErr *Error
}

// Validate runs the service's input validation (Service.Validate) once and
// returns its answer: the gateway calls it before authorization, and a
// handler called directly gets the same answer.
func (c *Call) Validate() *Error {
	if c.validated {
		return c.validateErr
	}
	c.validated = true
	if c.Service != nil && c.Service.Validate != nil {
		c.validateErr = c.Service.Validate(c)
	}
	return c.validateErr
}

// Payload reads the whole body (verified) and returns it; later calls return
// the same bytes. A body over the service's MaxBody is refused with
// RequestEntityTooLarge.
func (c *Call) Payload() ([]byte, error) {
	if c.payloadRead {
		return c.payload, c.payloadErr
	}
	c.payloadRead = true
	if c.Body == nil {
		return nil, nil
	}
	limit := int64(DefaultMaxBody)
	if c.Service != nil && c.Service.MaxBody > 0 {
		limit = c.Service.MaxBody
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(c.Body, limit+1))
	switch {
	case err != nil:
		c.payloadErr = err
	case n > limit:
		c.payloadErr = Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Request must be smaller than %d bytes.", limit)
	default:
		c.payload = buf.Bytes()
	}
	// Later reads of Body see the same payload.
	c.Body = bytes.NewReader(c.payload)
	return c.payload, c.payloadErr
}

// SetPayload replaces the body with b (handlers that rewrite their input).
func (c *Call) SetPayload(b []byte) {
	c.payload, c.payloadRead, c.payloadErr = b, true, nil
	c.Body = bytes.NewReader(b)
}

// Decode decodes the call's input into v, a pointer to a struct: an
// in-process call's typed Input is copied, anything else is decoded by the
// request's protocol.
func (c *Call) Decode(v any) error {
	if c.Input != nil {
		dst, src := reflect.ValueOf(v), reflect.ValueOf(c.Input)
		if dst.Kind() != reflect.Pointer || dst.IsNil() {
			return fmt.Errorf("api: Decode into %T", v)
		}
		if src.Kind() == reflect.Pointer {
			src = src.Elem()
		}
		if !src.Type().AssignableTo(dst.Elem().Type()) {
			return fmt.Errorf("api: %s input is %T, not %s", c.OperationName, c.Input, dst.Elem().Type())
		}
		dst.Elem().Set(src)
		return nil
	}
	if c.Protocol == nil {
		return errors.New("api: Decode without a protocol")
	}
	return c.Protocol.Decode(c, v)
}
