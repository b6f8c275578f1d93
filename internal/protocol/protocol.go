// Package protocol implements the AWS wire protocols a request may be written
// in — awsQuery, awsJson1_0, awsJson1_1, the CBOR form of the JSON protocols,
// Smithy RPC v2 CBOR, restJson1 and restXml — each as an api.Protocol chosen per request, not per
// service. It also knows, from the AWS service models, the protocols and
// operations of services rolecall does not serve, so that such a request is
// answered in its own protocol, naming the operation.
package protocol

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// Smithy names of the protocols.
const (
	NameQuery    = "awsQuery"
	NameJSON10   = "awsJson1_0"
	NameJSON11   = "awsJson1_1"
	NameCBOR     = "awsCbor1_1"
	NameRESTJSON = "restJson1"
	NameRESTXML  = "restXml"
)

// Set is the protocols in detection order. The zero value is not usable;
// use New.
type Set struct {
	byName map[string]api.Protocol
	rpc    []api.Protocol // detected from the request
}

// New returns the set of every protocol.
func New() *Set {
	s := &Set{byName: map[string]api.Protocol{}}
	for _, p := range []api.Protocol{
		rpcv2CBOR{},
		cborProtocol{},
		jsonProtocol{name: NameJSON10, contentType: "application/x-amz-json-1.0"},
		jsonProtocol{name: NameJSON11, contentType: "application/x-amz-json-1.1"},
		queryProtocol{},
		restJSON{},
		restXML{},
		ec2Protocol{},
	} {
		s.byName[p.Name()] = p
		if p.Name() != NameRESTJSON && p.Name() != NameRESTXML && p.Name() != NameEC2 {
			s.rpc = append(s.rpc, p)
		}
	}
	return s
}

// ByName returns the protocol of a Smithy name, or nil.
func (s *Set) ByName(name string) api.Protocol { return s.byName[name] }

// Detect returns the RPC protocol r is written in, or nil for a REST request.
func (s *Set) Detect(r *http.Request) api.Protocol {
	for _, p := range s.rpc {
		if p.Detect(r) {
			return p
		}
	}
	return nil
}

// status returns the operation's success status, or def.
func status(c *api.Call, def int) int {
	if c != nil && c.Operation != nil && c.Operation.SuccessStatus != 0 {
		return c.Operation.SuccessStatus
	}
	return def
}

// jsonCode maps a query-style code to the JSON protocols' spelling where AWS
// spells them differently.
var jsonCode = map[string]string{
	"AccessDenied":               "AccessDeniedException",
	"SignatureDoesNotMatch":      "InvalidSignatureException",
	"InvalidClientTokenId":       "UnrecognizedClientException",
	"ExpiredToken":               "ExpiredTokenException",
	"MissingAuthenticationToken": "MissingAuthenticationTokenException",
	"IncompleteSignature":        "IncompleteSignatureException",
	"InvalidAction":              "UnknownOperationException",
}

// jsonErrorCode returns the code e is rendered with in the JSON protocols,
// which spell some codes differently.
func jsonErrorCode(e *api.Error) string {
	if c, ok := jsonCode[e.Code]; ok {
		return c
	}
	return e.Code
}

func requestID(c *api.Call) string {
	if c == nil {
		return ""
	}
	return c.RequestID
}

func errorStatus(e *api.Error) int {
	if e.Status == 0 {
		return 400
	}
	return e.Status
}

func setErrorHeaders(w http.ResponseWriter, e *api.Error) {
	h := w.Header()
	for k, v := range e.Header {
		h.Set(k, v)
	}
}
