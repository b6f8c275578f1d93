// Package sigv4 verifies and creates AWS Signature Version 4 signatures in
// the forms AWS clients send: the Authorization header, presigned query
// parameters, and the aws-chunked streaming payloads of S3 (signed chunks,
// unsigned chunks with a trailing checksum, and signed chunks with a signed
// trailer).
//
// Verification is split in two so that the caller can find the secret:
// Parse extracts the access key id and the credential scope without any
// secret, then a Verifier checks the request against the secret.
package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Values of the x-amz-content-sha256 header other than a hex SHA-256.
const (
	UnsignedPayload                 = "UNSIGNED-PAYLOAD"
	StreamingPayload                = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingPayloadTrailer         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// MaxExpires is the largest X-Amz-Expires a presigned request may carry
// (S3: "X-Amz-Expires must be less than a week").
const MaxExpires = 7 * 24 * time.Hour

// presignRule is how long a service accepts a presigned request.
type presignRule int

const (
	// presignWindow: the request is valid while X-Amz-Date is within the
	// clock-skew window of the server's time (15 minutes either side), as a
	// request signed in its headers; X-Amz-Expires, signed like any other
	// parameter, is not what ends it. STS works so: a GetCallerIdentity
	// presigned with X-Amz-Expires=60 (aws eks get-token, the EKS and Vault
	// authenticators) is accepted for 15 minutes.
	presignWindow presignRule = iota
	// presignExpires: X-Amz-Expires is required and the request is valid
	// from X-Amz-Date for that many seconds (S3, "Authenticating Requests:
	// Using Query Parameters"); a request dated more than the clock skew in
	// the future is not yet valid.
	presignExpires
)

// presignRules names the services whose presigned requests end with
// X-Amz-Expires; every other service follows presignWindow.
var presignRules = map[string]presignRule{
	"s3": presignExpires,
}

// usesExpires reports whether a presigned request of service ends at
// X-Amz-Date plus X-Amz-Expires (S3) rather than with the clock-skew window
// (STS and the other services).
func usesExpires(service string) bool {
	rule, ok := presignRules[service]
	if !ok {
		rule = presignWindow
	}
	return rule == presignExpires
}

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	longDateFormat  = "20060102T150405Z"
	shortDateFormat = "20060102"
)

// Signature holds the signature fields of a request, as sent by the client.
type Signature struct {
	AccessKeyID   string
	Date          time.Time // from X-Amz-Date (or Date), UTC
	Region        string    // credential scope
	Service       string    // credential scope
	SignedHeaders []string  // lower-case names, in the client's order
	Signature     string    // hex, as sent
	SecurityToken string    // X-Amz-Security-Token, header or query
	Presigned     bool      // query-string authentication
	// Expires is X-Amz-Expires (0 when absent): how long a presigned
	// request stays valid for the services that honour it (S3).
	Expires time.Duration
	// PayloadHash is the x-amz-content-sha256 header (or query parameter)
	// as sent, or "" when absent.
	PayloadHash string

	amzDate       string // the request time as signed (ISO 8601 basic)
	scope         string // date/region/service/aws4_request
	signedHeaders string // the SignedHeaders value as sent
}

// Streaming reports whether the payload is aws-chunked.
func (s *Signature) Streaming() bool {
	switch s.PayloadHash {
	case StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer:
		return true
	}
	return false
}

// Scope returns the credential scope, date/region/service/aws4_request.
func (s *Signature) Scope() string { return s.scope }

// Parse extracts the signature fields of r without verifying them, so that
// the caller can look up the secret of the access key id and check the
// scope's service and region. It fails with an *Error: MissingAuthentication
// when r is unsigned, or a kind that describes what is malformed.
func Parse(r *http.Request) (*Signature, error) {
	auth := headerValue(r.Header, "Authorization")
	presign := queryHasAuth(r.URL.RawQuery)
	switch {
	case auth != "" && presign:
		return nil, newError(AuthorizationQueryParameters, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case auth != "":
		return parseHeader(r, auth)
	case presign:
		return parseQuery(r)
	case queryHasV2Auth(r.URL.RawQuery):
		return nil, newError(UnsupportedMechanism, msgMechanism)
	}
	return nil, newError(MissingAuthentication, msgMissingAuth)
}

// queryHasV2Auth reports whether a raw query holds signature version 2
// parameters: AWSAccessKeyId and Signature.
func queryHasV2Auth(q string) bool {
	if !strings.Contains(q, "AWSAccessKeyId=") {
		return false
	}
	v, err := url.ParseQuery(q)
	return err != nil || v.Has("AWSAccessKeyId") && v.Has("Signature")
}

// queryHasAuth reports whether a raw query holds presigning parameters.
func queryHasAuth(q string) bool {
	return strings.Contains(q, "X-Amz-Algorithm=") ||
		strings.Contains(q, "X-Amz-Credential=") ||
		strings.Contains(q, "X-Amz-Signature=")
}

func parseHeader(r *http.Request, auth string) (*Signature, error) {
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != algorithm {
		return nil, newError(UnsupportedMechanism, msgMechanism)
	}
	var credential, signedHeaders, signature string
	var haveCred, haveSH, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, newError(IncompleteSignature, "'"+part+"' not a valid key=value pair (missing equal-sign) in Authorization header: '"+auth+"'.")
		}
		switch k {
		case "Credential":
			credential, haveCred = v, true
		case "SignedHeaders":
			signedHeaders, haveSH = v, true
		case "Signature":
			signature, haveSig = v, true
		}
	}
	s := &Signature{Signature: signature, signedHeaders: signedHeaders}
	if haveCred {
		if err := s.parseCredential(credential, false); err != nil {
			return nil, err
		}
	}
	for _, p := range [...]struct {
		ok   bool
		name string
	}{{haveCred, "Credential"}, {haveSH, "SignedHeaders"}, {haveSig, "Signature"}} {
		if !p.ok {
			if s.Service == "s3" {
				return nil, newError(IncompleteSignature, "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
			}
			return nil, newError(IncompleteSignature, "Authorization header requires '"+p.name+"' parameter. Authorization="+auth)
		}
	}
	s.SignedHeaders = strings.Split(signedHeaders, ";")
	if !s.signs("host") {
		if s.Service == "s3" {
			return nil, &Error{Kind: HeadersNotSigned, Message: "There were headers present in the request which were not signed", HeadersNotSigned: []string{"host"}}
		}
		return nil, newError(IncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}

	if d := headerValue(r.Header, "X-Amz-Date"); d != "" {
		if t, err := time.Parse(longDateFormat, d); err == nil {
			s.Date, s.amzDate = t, d
		}
	} else if d := headerValue(r.Header, "Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			s.Date = t.UTC()
			s.amzDate = s.Date.Format(longDateFormat)
		}
	}
	if s.amzDate == "" {
		if s.Service == "s3" {
			return nil, newError(MissingDate, "AWS authentication requires a valid Date or x-amz-date header")
		}
		return nil, newError(MissingDate, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization="+auth)
	}
	if sd := s.scope[:8]; sd != s.amzDate[:8] {
		if s.Service == "s3" {
			return nil, newError(IncompleteSignature, "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
		}
		return nil, newError(SignatureDoesNotMatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+sd+"' != '"+s.amzDate[:8]+"', from '"+s.amzDate+"'.")
	}
	s.SecurityToken = headerValue(r.Header, "X-Amz-Security-Token")
	s.PayloadHash = headerValue(r.Header, "X-Amz-Content-Sha256")
	return s, nil
}

// parseCredential fills the access key id and scope from a credential,
// AKID/YYYYMMDD/region/service/aws4_request.
func (s *Signature) parseCredential(c string, query bool) error {
	var parts []string
	if strings.Count(c, "/") == 4 {
		var p [5]string
		rest := c
		for i := range 4 {
			p[i], rest, _ = strings.Cut(rest, "/")
		}
		p[4] = rest
		parts = p[:]
	} else {
		parts = strings.Split(c, "/")
	}
	malformed := len(parts) != 5 || parts[0] == "" || len(parts[1]) != 8 || parts[2] == "" || parts[3] == ""
	if !malformed {
		if _, err := time.Parse(shortDateFormat, parts[1]); err != nil {
			malformed = true
		}
	}
	s3 := len(parts) > 3 && parts[3] == "s3"
	if malformed {
		const expect = "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
		switch {
		case s3 && query:
			return newError(AuthorizationQueryParameters, "Error parsing the X-Amz-Credential parameter; "+expect)
		case s3:
			return newError(IncompleteSignature, "The authorization header is malformed; "+expect)
		case len(parts) != 5:
			return newError(credentialKind(query), "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+c+"'")
		}
		return newError(credentialKind(query), "Invalid credential date '"+parts[1]+"'. The date must be in the format YYYYMMDD.")
	}
	if parts[4] != terminator {
		if s3 && query {
			return newError(AuthorizationQueryParameters, "Error parsing the X-Amz-Credential parameter; incorrect terminal \""+parts[4]+"\". This endpoint uses \"aws4_request\".")
		}
		if s3 {
			return newError(IncompleteSignature, "The authorization header is malformed; incorrect terminal \""+parts[4]+"\". This endpoint uses \"aws4_request\".")
		}
		return newError(SignatureDoesNotMatch, "Credential should be scoped with a valid terminator: 'aws4_request', not '"+parts[4]+"'. ")
	}
	if !validRegion(parts[2]) {
		// The Region is written into the ARNs of what the request makes: a
		// scope naming no Region is refused, as AWS refuses it.
		switch {
		case s3 && query:
			return newError(AuthorizationQueryParameters, "Error parsing the X-Amz-Credential parameter; the region '"+parts[2]+"' is wrong.")
		case s3:
			return newError(IncompleteSignature, "The authorization header is malformed; the region '"+parts[2]+"' is wrong.")
		}
		return newError(SignatureDoesNotMatch, "Credential should be scoped to a valid region. ")
	}
	s.AccessKeyID, s.Region, s.Service = parts[0], parts[2], parts[3]
	s.scope = c[len(parts[0])+1:]
	return nil
}

// validRegion reports whether r has the form of an AWS Region name: two
// lowercase letters, one or more lowercase words and a number, joined with
// hyphens ("us-east-1", "us-gov-west-1", "ap-southeast-2").
func validRegion(r string) bool {
	words := strings.Split(r, "-")
	if len(words) < 3 || len(words[0]) != 2 {
		return false
	}
	for i, w := range words {
		if w == "" {
			return false
		}
		last := i == len(words)-1
		for j := 0; j < len(w); j++ {
			ch := w[j]
			if last && (ch < '0' || ch > '9') || !last && (ch < 'a' || ch > 'z') {
				return false
			}
		}
	}
	return true
}

func credentialKind(query bool) Kind {
	if query {
		return AuthorizationQueryParameters
	}
	return IncompleteSignature
}

func parseQuery(r *http.Request) (*Signature, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, newError(AuthorizationQueryParameters, "The query string is malformed.")
	}
	s := &Signature{Presigned: true}
	if c := q.Get("X-Amz-Credential"); c != "" {
		if err := s.parseCredential(c, true); err != nil {
			return nil, err
		}
	}
	s3 := s.Service == "s3"
	expires := usesExpires(s.Service)
	for _, name := range [...]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"} {
		if q.Get(name) != "" || (name == "X-Amz-Expires" && !expires) {
			continue
		}
		if s3 {
			return nil, newError(AuthorizationQueryParameters, msgQueryParams3)
		}
		return nil, newError(AuthorizationQueryParameters, "AWS query-string parameters must include '"+name+"'. Re-examine the query-string parameters.")
	}
	if a := q.Get("X-Amz-Algorithm"); a != algorithm {
		return nil, newError(AuthorizationQueryParameters, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	d := q.Get("X-Amz-Date")
	t, err := time.Parse(longDateFormat, d)
	if err != nil {
		return nil, newError(AuthorizationQueryParameters, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	s.Date, s.amzDate = t, d
	if sd := s.scope[:8]; sd != d[:8] {
		if s3 {
			return nil, newError(AuthorizationQueryParameters, "Invalid credential date \""+sd+"\". This date is not the same as X-Amz-Date: \""+d[:8]+"\".")
		}
		return nil, newError(SignatureDoesNotMatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+sd+"' != '"+d[:8]+"', from '"+d+"'.")
	}
	if e := q.Get("X-Amz-Expires"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		switch {
		case err != nil:
			return nil, newError(AuthorizationQueryParameters, "X-Amz-Expires should be a number")
		case n < 0:
			return nil, newError(AuthorizationQueryParameters, "X-Amz-Expires must be non-negative")
		case n > int64(MaxExpires/time.Second):
			return nil, newError(AuthorizationQueryParameters, msgExpiresWeek)
		}
		s.Expires = time.Duration(n) * time.Second
	}
	s.signedHeaders = q.Get("X-Amz-SignedHeaders")
	s.SignedHeaders = strings.Split(s.signedHeaders, ";")
	if !s.signs("host") {
		if s3 {
			return nil, &Error{Kind: HeadersNotSigned, Message: "There were headers present in the request which were not signed", HeadersNotSigned: []string{"host"}}
		}
		return nil, newError(AuthorizationQueryParameters, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	s.Signature = q.Get("X-Amz-Signature")
	s.SecurityToken = q.Get("X-Amz-Security-Token")
	s.PayloadHash = headerValue(r.Header, "X-Amz-Content-Sha256")
	if s.PayloadHash == "" {
		s.PayloadHash = q.Get("X-Amz-Content-Sha256")
	}
	return s, nil
}

// signs reports whether name (lower case) is a signed header.
func (s *Signature) signs(name string) bool {
	for _, h := range s.SignedHeaders {
		if h == name {
			return true
		}
	}
	return false
}

// headerValue returns the first value of a header given in canonical form.
func headerValue(h http.Header, canonicalName string) string {
	if v := h[canonicalName]; len(v) > 0 {
		return v[0]
	}
	return ""
}
