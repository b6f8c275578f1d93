package sigv4

import (
	"fmt"
	"time"
)

// Kind classifies a verification failure. The caller renders it in the
// protocol of the service that was called; the doc comment of each kind
// names the error code AWS uses for query (IAM, STS), JSON (Lambda) and S3.
type Kind int

const (
	// MissingAuthentication: the request carries no signature at all.
	// Query: MissingAuthenticationToken (403); JSON:
	// MissingAuthenticationTokenException (403); S3: an anonymous request.
	MissingAuthentication Kind = iota + 1
	// IncompleteSignature: the Authorization header is malformed or lacks a
	// part. Query: IncompleteSignature (400); JSON:
	// IncompleteSignatureException (400); S3: AuthorizationHeaderMalformed (400).
	IncompleteSignature
	// AuthorizationQueryParameters: the presigned query parameters are
	// missing or malformed, or X-Amz-Expires is out of range. Query and JSON:
	// IncompleteSignature (400); S3: AuthorizationQueryParametersError (400).
	AuthorizationQueryParameters
	// MissingDate: neither X-Amz-Date nor Date is present or parseable.
	// Query and JSON: IncompleteSignature (400); S3: AccessDenied (403).
	MissingDate
	// SignatureDoesNotMatch: the signature or the credential scope is wrong.
	// Query: SignatureDoesNotMatch (403); JSON: InvalidSignatureException
	// (403); S3: SignatureDoesNotMatch (403).
	SignatureDoesNotMatch
	// SkewedTime: the request time is outside the allowed clock skew.
	// Query: SignatureDoesNotMatch (403); JSON: InvalidSignatureException
	// (403); S3: RequestTimeTooSkewed (403).
	SkewedTime
	// Expired: a presigned request of a service that honours X-Amz-Expires
	// (S3) is past X-Amz-Date + X-Amz-Expires. S3: AccessDenied (403)
	// "Request has expired". The presigned requests of other services end
	// with the clock skew instead (SkewedTime).
	Expired
	// HeadersNotSigned: S3 requires every x-amz-* header to be signed.
	// S3: AccessDenied (403).
	HeadersNotSigned
	// MissingContentSHA256: S3 requires x-amz-content-sha256 with header
	// authentication. S3: InvalidRequest (400).
	MissingContentSHA256
	// InvalidContentSHA256: x-amz-content-sha256 is neither a hex SHA-256
	// nor a known streaming or unsigned value. S3: InvalidArgument (400).
	InvalidContentSHA256
	// ContentSHA256Mismatch: the body does not hash to x-amz-content-sha256.
	// S3: XAmzContentSHA256Mismatch (400); others: SignatureDoesNotMatch.
	ContentSHA256Mismatch
	// ChunkSignatureMismatch: a chunk or trailer signature of an aws-chunked
	// body is wrong. S3: SignatureDoesNotMatch (403).
	ChunkSignatureMismatch
	// MalformedChunkedEncoding: an aws-chunked body cannot be decoded.
	// S3: InvalidRequest (400).
	MalformedChunkedEncoding
	// IncompleteBody: the body ended early or its decoded length differs
	// from x-amz-decoded-content-length. S3: IncompleteBody (400).
	IncompleteBody
	// MissingContentLength: an aws-chunked body lacks
	// x-amz-decoded-content-length. S3: MissingContentLength (411).
	MissingContentLength
	// BadDigest: a trailing checksum does not match the body.
	// S3: BadDigest (400).
	BadDigest
	// NotYetValid: a presigned request of a service that honours
	// X-Amz-Expires (S3) is dated more than the clock skew in the future.
	// S3: AccessDenied (403) "Request is not yet valid".
	NotYetValid
	// UnsupportedMechanism: the request is signed some other way than
	// SigV4: an Authorization header of another scheme ("AWS key:sig",
	// signature version 2), or signature version 2 query parameters
	// (AWSAccessKeyId and Signature). Query: IncompleteSignature (400);
	// JSON: IncompleteSignatureException (400); S3: InvalidRequest (400),
	// as in the regions that take only SigV4.
	UnsupportedMechanism
)

var kindNames = [...]string{
	MissingAuthentication:        "MissingAuthentication",
	UnsupportedMechanism:         "UnsupportedMechanism",
	IncompleteSignature:          "IncompleteSignature",
	AuthorizationQueryParameters: "AuthorizationQueryParameters",
	MissingDate:                  "MissingDate",
	SignatureDoesNotMatch:        "SignatureDoesNotMatch",
	SkewedTime:                   "SkewedTime",
	Expired:                      "Expired",
	HeadersNotSigned:             "HeadersNotSigned",
	MissingContentSHA256:         "MissingContentSHA256",
	InvalidContentSHA256:         "InvalidContentSHA256",
	ContentSHA256Mismatch:        "ContentSHA256Mismatch",
	ChunkSignatureMismatch:       "ChunkSignatureMismatch",
	MalformedChunkedEncoding:     "MalformedChunkedEncoding",
	IncompleteBody:               "IncompleteBody",
	MissingContentLength:         "MissingContentLength",
	BadDigest:                    "BadDigest",
	NotYetValid:                  "NotYetValid",
}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a verification failure. Message is AWS's text for the service in
// the credential scope (S3's wording when the scope names "s3"). The other
// fields carry what S3 error documents echo back; they are set where they
// apply and empty otherwise.
type Error struct {
	Kind    Kind
	Message string

	AccessKeyID       string        // SignatureDoesNotMatch
	SignatureProvided string        // SignatureDoesNotMatch
	StringToSign      string        // SignatureDoesNotMatch, ChunkSignatureMismatch
	CanonicalRequest  string        // SignatureDoesNotMatch
	RequestTime       time.Time     // SkewedTime, Expired, NotYetValid
	ServerTime        time.Time     // SkewedTime, Expired, NotYetValid
	MaxSkew           time.Duration // SkewedTime
	Expires           time.Duration // Expired, NotYetValid: X-Amz-Expires
	HeadersNotSigned  []string      // HeadersNotSigned
	ClientSHA256      string        // ContentSHA256Mismatch: the header's value
	ComputedSHA256    string        // ContentSHA256Mismatch: the body's hash
}

func (e *Error) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

// Is reports whether target is an *Error of the same Kind, so that
// errors.Is(err, &sigv4.Error{Kind: sigv4.Expired}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

func newError(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Messages shared by several code paths.
const (
	msgMissingAuth  = "Missing Authentication Token"
	msgMechanism    = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
	msgSigMismatch  = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgSigMismatch3 = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgExpired      = "Request has expired"
	msgNotYetValid  = "Request is not yet valid"
	msgTooSkewed3   = "The difference between the request time and the current time is too large."
	msgQueryParams3 = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgExpiresWeek  = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
	msgChunkSig     = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgIncomplete   = "The request body terminated unexpectedly"
	msgMissingLen   = "You must provide the Content-Length HTTP header."
	msgContentHash  = "The provided 'x-amz-content-sha256' header does not match what was computed."
)

// SignatureMismatch returns the SignatureDoesNotMatch error for a scope's
// service, for callers that reject a signature on grounds of their own.
func SignatureMismatch(service string) *Error {
	if service == "s3" {
		return newError(SignatureDoesNotMatch, msgSigMismatch3)
	}
	return newError(SignatureDoesNotMatch, msgSigMismatch)
}

// WrongService returns the error AWS gives when the credential scope names
// another service than the one called.
func WrongService(want string) *Error {
	return newError(SignatureDoesNotMatch, "Credential should be scoped to correct service: '"+want+"'. ")
}

func skewError(service string, req, now time.Time, window time.Duration) *Error {
	e := &Error{Kind: SkewedTime, RequestTime: req, ServerTime: now, MaxSkew: window}
	if service == "s3" {
		e.Message = msgTooSkewed3
		return e
	}
	mins := int(window / time.Minute)
	if req.Before(now) {
		e.Message = fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)",
			req.UTC().Format(longDateFormat), now.Add(-window).UTC().Format(longDateFormat),
			now.UTC().Format(longDateFormat), mins)
	} else {
		e.Message = fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %d min.)",
			req.UTC().Format(longDateFormat), now.Add(window).UTC().Format(longDateFormat),
			now.UTC().Format(longDateFormat), mins)
	}
	return e
}
