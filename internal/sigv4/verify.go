package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultMaxSkew is the clock skew AWS allows between client and server.
const DefaultMaxSkew = 15 * time.Minute

// emptySHA256 is the hex SHA-256 of an empty payload.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Verifier checks signatures. Its fields are read-only once in use; a
// Verifier is safe for concurrent use. The zero value is usable.
type Verifier struct {
	// Keys caches derived signing keys; nil derives them on every call.
	Keys *SigningKeyCache
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is the allowed clock skew; 0 means DefaultMaxSkew.
	MaxSkew time.Duration
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) skew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// Verify checks the signature s of r, whose body the caller has read into
// body, against secret. It checks the request time, the signature, and the
// body against x-amz-content-sha256. An aws-chunked body is decoded and its
// chunk signatures and trailers are checked; callers that want the decoded
// payload use VerifyStream instead. Failures are *Error values.
func (v *Verifier) Verify(s *Signature, r *http.Request, body []byte, secret string) error {
	key, err := v.verifyRequest(s, r, body, true, secret)
	if err != nil {
		return err
	}
	switch {
	case s.Streaming():
		cr, err := newChunkedReader(s, r, bytes.NewReader(body), &key)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, cr)
		return err
	case isHexSHA256(s.PayloadHash):
		if h := sha256.Sum256(body); !equalFoldHex(h[:], s.PayloadHash) {
			return contentHashError(s.PayloadHash, h[:])
		}
	}
	return nil
}

// VerifyStream checks the signature s of r against secret and returns the
// payload, read from r.Body: decoded and checked chunk by chunk for an
// aws-chunked body (each chunk is returned only after its signature is
// checked; trailing checksums and the decoded length are checked at the
// end), or checked against x-amz-content-sha256 when it reaches EOF. The
// reader's errors are *Error values; data read is complete and authentic
// only once it returns io.EOF. When the payload hash is not declared the
// whole body is read to compute it.
func (v *Verifier) VerifyStream(s *Signature, r *http.Request, secret string) (io.Reader, error) {
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	if s.NeedsBody() {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		key, err := v.verifyRequest(s, r, b, true, secret)
		if err != nil {
			return nil, err
		}
		if s.Streaming() {
			return newChunkedReader(s, r, bytes.NewReader(b), &key)
		}
		return bytes.NewReader(b), nil
	}
	key, err := v.verifyRequest(s, r, nil, false, secret)
	if err != nil {
		return nil, err
	}
	switch {
	case s.Streaming():
		return newChunkedReader(s, r, body, &key)
	case isHexSHA256(s.PayloadHash):
		return &hashReader{r: body, h: sha256.New(), want: s.PayloadHash}, nil
	}
	return body, nil
}

// verifyRequest checks the time, the signed headers and the signature. It
// returns the signing key, which streaming payloads need.
func (v *Verifier) verifyRequest(s *Signature, r *http.Request, body []byte, haveBody bool, secret string) (key [32]byte, err error) {
	if err := v.checkTime(s); err != nil {
		return key, err
	}
	s3 := s.Service == "s3"
	if err := s.CheckSignedHeaders(r); err != nil {
		return key, err
	}

	// The payload hashes to try, the first being the one to report.
	var hashes [2][]byte
	var hh [64]byte
	n := 1
	switch p := s.PayloadHash; {
	case p == "" && s.Presigned && s3:
		hashes[0] = []byte(UnsignedPayload)
	case p == "" && s3:
		return key, newError(MissingContentSHA256, "Missing required header for this request: x-amz-content-sha256")
	case p == "" || !s3 && !s.signsPayload():
		// Services other than S3 hash the payload as sent, whatever the
		// request declares: a payload declared unsigned would let whoever
		// holds the signed headers send any body.
		if !haveBody {
			return key, newError(MissingContentSHA256, "Missing required header for this request: x-amz-content-sha256")
		}
		h := sha256.Sum256(body)
		hex.Encode(hh[:], h[:])
		hashes[0] = hh[:]
		if s.Presigned && len(body) == 0 {
			hashes[1], n = []byte(UnsignedPayload), 2
		}
	case p == UnsignedPayload || s.Streaming() || isHexSHA256(p):
		hashes[0] = append(hh[:0], p...)
	default:
		return key, newError(InvalidContentSHA256, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
	}

	// The canonical URI forms to try: the one clients are expected to
	// sign, then the other when it differs.
	path := requestPath(r)
	modes := [2]uriMode{uriNormalized, uriEncoded}
	if s3 {
		modes = [2]uriMode{uriRaw, uriReencoded}
	}
	m := 1
	if !s3 && needsNormalizing(path) || s3 && needsReencoding(path) {
		m = 2
	}

	key = v.Keys.Key(secret, s.scope[:8], s.Region, s.Service)
	var stack [1024]byte
	for i := range n {
		for j := range m {
			cr := s.appendCanonicalRequest(stack[:0], r, modes[j], hashes[i])
			if sig := s.sign(&key, cr); equalHex(&sig, s.Signature) {
				return key, nil
			}
		}
	}
	cr := s.appendCanonicalRequest(stack[:0], r, modes[0], hashes[0])
	e := SignatureMismatch(s.Service)
	e.AccessKeyID = s.AccessKeyID
	e.SignatureProvided = s.Signature
	e.CanonicalRequest = string(cr)
	e.StringToSign = string(s.appendStringToSign(nil, cr))
	return key, e
}

// NeedsBody reports whether the signature can be checked only with the
// whole body in hand (Verify): a service other than S3 hashes the payload
// as sent unless the request declares a hash that covers it.
func (s *Signature) NeedsBody() bool { return s.Service != "s3" && !s.signsPayload() }

// signsPayload reports whether the payload hash the request declares covers
// its body: a SHA-256 or a signed aws-chunked stream.
func (s *Signature) signsPayload() bool {
	switch s.PayloadHash {
	case "", UnsignedPayload, StreamingUnsignedPayloadTrailer:
		return false
	}
	return true
}

// needsReencoding reports whether an S3 path differs from its re-encoding.
func needsReencoding(p string) bool {
	var stack [256]byte
	return string(appendURI(stack[:0], p, uriReencoded)) != p
}

// checkTime checks the request time: within the clock skew of now for a
// signed header and for the presigned requests of most services, within
// X-Amz-Date to X-Amz-Date + X-Amz-Expires for S3's (see presignRule).
func (v *Verifier) checkTime(s *Signature) error {
	now, window := v.now(), v.skew()
	if s.Presigned && usesExpires(s.Service) {
		if s.Date.After(now.Add(window)) {
			return &Error{Kind: NotYetValid, Message: msgNotYetValid, RequestTime: s.Date, ServerTime: now, Expires: s.Expires}
		}
		if now.After(s.Date.Add(s.Expires)) {
			return &Error{Kind: Expired, Message: msgExpired, RequestTime: s.Date, ServerTime: now, Expires: s.Expires}
		}
		return nil
	}
	if s.Date.After(now.Add(window)) {
		return skewError(s.Service, s.Date, now, window)
	}
	if s.Date.Before(now.Add(-window)) {
		return skewError(s.Service, s.Date, now, window)
	}
	return nil
}

// Precheck makes the checks of Verify that need neither the secret nor
// the body: the request time and the signed headers (CheckSignedHeaders,
// with selectors). Callers run it, and look the access key up, before they
// read the body, so that a request refused on its headers costs no body.
func (v *Verifier) Precheck(s *Signature, r *http.Request, selectors ...string) error {
	if err := v.checkTime(s); err != nil {
		return err
	}
	return s.CheckSignedHeaders(r, selectors...)
}

// CheckSignedHeaders enforces that every header which chooses what a
// request does is signed, so that a captured request cannot be turned into
// another: every x-amz-* header present (X-Amz-Target names the operation
// of the JSON protocols; the others are the operation's input), and each of
// selectors (canonical names, such as "Content-Type" where it chooses the
// protocol) when present. Host is required by Parse.
//
// S3 answers AccessDenied "There were headers present in the request which
// were not signed" and lists them (HeadersNotSigned); the other services
// answer IncompleteSignature naming the first header, as they do for Host:
// "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
func (s *Signature) CheckSignedHeaders(r *http.Request, selectors ...string) error {
	var missing []string
	for k := range r.Header {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") || s.signsFold(k) {
			continue
		}
		missing = append(missing, k)
	}
	for _, k := range selectors {
		if _, ok := r.Header[k]; ok && !s.signsFold(k) {
			missing = append(missing, k)
		}
	}
	if missing == nil {
		return nil
	}
	slices.Sort(missing)
	if s.Service == "s3" {
		names := make([]string, len(missing))
		for i, k := range missing {
			names[i] = strings.ToLower(k)
		}
		return &Error{Kind: HeadersNotSigned, Message: "There were headers present in the request which were not signed", HeadersNotSigned: names}
	}
	kind := IncompleteSignature
	if s.Presigned {
		kind = AuthorizationQueryParameters
	}
	return &Error{Kind: kind, Message: "'" + missing[0] + "' must be a 'SignedHeader' in the AWS Authorization.", HeadersNotSigned: missing}
}

func (s *Signature) signsFold(name string) bool {
	for _, h := range s.SignedHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ishex(s[i]) {
			return false
		}
	}
	return true
}

// equalFoldHex compares a digest with a hex string of either case.
func equalFoldHex(sum []byte, s string) bool {
	if len(s) != 2*len(sum) {
		return false
	}
	for i, c := range sum {
		if unhex(s[2*i])<<4|unhex(s[2*i+1]) != c {
			return false
		}
	}
	return true
}

func contentHashError(client string, computed []byte) *Error {
	return &Error{Kind: ContentSHA256Mismatch, Message: msgContentHash,
		ClientSHA256: client, ComputedSHA256: hex.EncodeToString(computed)}
}

// hashReader passes a body through and checks its SHA-256 at EOF.
type hashReader struct {
	r    io.Reader
	h    hash.Hash
	want string
	err  error
}

func (h *hashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		if sum := h.h.Sum(nil); !equalFoldHex(sum, h.want) {
			err = contentHashError(h.want, sum)
		}
	}
	if err != nil {
		h.err = err
	}
	return n, err
}
