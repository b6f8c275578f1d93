package gateway

import (
	"errors"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// sigError is how a SigV4 failure is answered: code and status.
type sigError struct {
	code   string
	status int
}

// signatureErrors are the answers of the query and JSON services (the JSON
// protocols respell some codes); s3SignatureErrors are S3's where they differ.
var (
	signatureErrors = map[sigv4.Kind]sigError{
		sigv4.MissingAuthentication:        {"MissingAuthenticationToken", 403},
		sigv4.IncompleteSignature:          {"IncompleteSignature", 400},
		sigv4.MissingDate:                  {"IncompleteSignature", 400},
		sigv4.AuthorizationQueryParameters: {"IncompleteSignature", 400},
		sigv4.SkewedTime:                   {"SignatureDoesNotMatch", 403},
		sigv4.Expired:                      {"AccessDenied", 403},
		sigv4.NotYetValid:                  {"AccessDenied", 403},
		sigv4.HeadersNotSigned:             {"AccessDenied", 403},
		sigv4.ContentSHA256Mismatch:        {"SignatureDoesNotMatch", 403},
		sigv4.MissingContentSHA256:         {"InvalidRequest", 400},
		sigv4.MalformedChunkedEncoding:     {"InvalidRequest", 400},
		sigv4.InvalidContentSHA256:         {"InvalidArgument", 400},
		sigv4.IncompleteBody:               {"IncompleteBody", 400},
		sigv4.MissingContentLength:         {"MissingContentLength", 411},
		sigv4.BadDigest:                    {"BadDigest", 400},
	}
	s3SignatureErrors = map[sigv4.Kind]sigError{
		sigv4.MissingAuthentication:        {"AccessDenied", 403},
		sigv4.IncompleteSignature:          {"AuthorizationHeaderMalformed", 400},
		sigv4.MissingDate:                  {"AuthorizationHeaderMalformed", 400},
		sigv4.AuthorizationQueryParameters: {"AuthorizationQueryParametersError", 400},
		sigv4.SkewedTime:                   {"RequestTimeTooSkewed", 403},
		sigv4.ContentSHA256Mismatch:        {"XAmzContentSHA256Mismatch", 400},
	}
)

// signatureError maps a SigV4 failure to the service's error.
func (g *Gateway) signatureError(svc *api.Service, err error) *api.Error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return api.InternalFailure(err)
	}
	s3 := svc != nil && svc.Name == "s3"
	e := &api.Error{Code: "SignatureDoesNotMatch", Status: 403, Message: se.Message}
	if m, ok := signatureErrors[se.Kind]; ok {
		e.Code, e.Status = m.code, m.status
	}
	if m, ok := s3SignatureErrors[se.Kind]; ok && s3 {
		e.Code, e.Status = m.code, m.status
		if se.Kind == sigv4.MissingAuthentication {
			e.Message = "Access Denied"
		}
	}
	return e
}
