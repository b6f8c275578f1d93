package gateway

import (
	"errors"
	"strconv"
	"strings"
	"time"

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
		sigv4.UnsupportedMechanism:         {"IncompleteSignature", 400},
	}
	s3SignatureErrors = map[sigv4.Kind]sigError{
		sigv4.MissingAuthentication:        {"AccessDenied", 403},
		sigv4.IncompleteSignature:          {"AuthorizationHeaderMalformed", 400},
		sigv4.MissingDate:                  {"AuthorizationHeaderMalformed", 400},
		sigv4.AuthorizationQueryParameters: {"AuthorizationQueryParametersError", 400},
		sigv4.SkewedTime:                   {"RequestTimeTooSkewed", 403},
		sigv4.ContentSHA256Mismatch:        {"XAmzContentSHA256Mismatch", 400},
		sigv4.UnsupportedMechanism:         {"InvalidRequest", 400},
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
	if s3 {
		e.Fields = s3SignatureFields(se)
	}
	return e
}

// s3SignatureFields are the members S3's error documents echo for a
// SigV4 failure: the string to sign and canonical request (also as hex
// bytes) of SignatureDoesNotMatch, the times of an expired or skewed
// request.
func s3SignatureFields(se *sigv4.Error) map[string]any {
	f := map[string]any{}
	put := func(k, v string) {
		if v != "" {
			f[k] = v
		}
	}
	put("AWSAccessKeyId", se.AccessKeyID)
	put("SignatureProvided", se.SignatureProvided)
	put("StringToSign", se.StringToSign)
	put("CanonicalRequest", se.CanonicalRequest)
	if se.StringToSign != "" {
		put("StringToSignBytes", spacedHex(se.StringToSign))
	}
	if se.CanonicalRequest != "" {
		put("CanonicalRequestBytes", spacedHex(se.CanonicalRequest))
	}
	const s3Time = "2006-01-02T15:04:05Z"
	switch se.Kind {
	case sigv4.Expired:
		put("X-Amz-Expires", strconv.Itoa(int(se.Expires/time.Second)))
		put("Expires", se.RequestTime.Add(se.Expires).UTC().Format(s3Time))
		put("ServerTime", se.ServerTime.UTC().Format(s3Time))
	case sigv4.SkewedTime:
		put("RequestTime", se.RequestTime.UTC().Format("20060102T150405Z"))
		put("ServerTime", se.ServerTime.UTC().Format(s3Time))
		put("MaxAllowedSkewMilliseconds", strconv.FormatInt(se.MaxSkew.Milliseconds(), 10))
	}
	if len(f) == 0 {
		return nil
	}
	return f
}

// spacedHex spells s as S3's *Bytes members do: hex bytes, space-separated.
func spacedHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
	}
	return b.String()
}

// s3AuthError respells, for S3, the errors of resolving a request's
// credentials (the S3 API Reference's error codes): an unknown access key
// is InvalidAccessKeyId, a bad session token InvalidToken, an expired one
// ExpiredToken "The provided token has expired." Other services' errors
// are returned as they are.
func s3AuthError(svc *api.Service, sig *sigv4.Signature, e *api.Error) *api.Error {
	if svc == nil || svc.Name != "s3" || e == nil {
		return e
	}
	switch {
	case e.Code == "ExpiredToken":
		return &api.Error{Code: "ExpiredToken", Status: 400, Message: "The provided token has expired.",
			Fields: map[string]any{"Token-0": sig.SecurityToken}}
	case e.Code == "InvalidClientTokenId" && sig.SecurityToken != "":
		return &api.Error{Code: "InvalidToken", Status: 400, Message: "The provided token is malformed or otherwise invalid.",
			Fields: map[string]any{"Token-0": sig.SecurityToken}}
	case e.Code == "InvalidClientTokenId":
		return &api.Error{Code: "InvalidAccessKeyId", Status: 403, Message: "The AWS Access Key Id you provided does not exist in our records.",
			Fields: map[string]any{"AWSAccessKeyId": sig.AccessKeyID}}
	}
	return e
}
