package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credentials are an access key and, for temporary credentials, a session
// token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// unsigned reports whether a header (lower case) is left unsigned, as the
// AWS SDKs do with hop-by-hop headers and those proxies rewrite.
func unsigned(name string) bool {
	switch name {
	case "authorization", "connection", "expect", "keep-alive", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
		"user-agent", "x-amzn-trace-id":
		return true
	}
	return false
}

// Sign signs r in the Authorization header form. It sets X-Amz-Date,
// X-Amz-Security-Token when the credentials carry a token, and, for S3,
// X-Amz-Content-Sha256. The payload hash is X-Amz-Content-Sha256 when r
// already has it, else the SHA-256 of body. All headers of r but hop-by-hop
// ones and User-Agent are signed, with Host and a positive Content-Length.
func Sign(r *http.Request, body []byte, creds Credentials, region, service string, now time.Time) error {
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return errors.New("sigv4: missing credentials")
	}
	s := newSignature(creds, region, service, now)
	r.Header.Set("X-Amz-Date", s.amzDate)
	if creds.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		h := sha256.Sum256(body)
		payload = hex.EncodeToString(h[:])
		if service == "s3" {
			r.Header.Set("X-Amz-Content-Sha256", payload)
		}
	}
	r.Header.Del("Authorization")

	names := []string{"host"}
	if r.ContentLength > 0 && r.Header.Get("Content-Length") == "" {
		names = append(names, "content-length")
	}
	for k := range r.Header {
		if k := strings.ToLower(k); !unsigned(k) && k != "host" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	s.SignedHeaders = slices.Compact(names)
	s.signedHeaders = strings.Join(s.SignedHeaders, ";")

	sig := s.signRequest(r, creds.SecretAccessKey, payload)
	r.Header.Set("Authorization", algorithm+" Credential="+creds.AccessKeyID+"/"+s.scope+
		", SignedHeaders="+s.signedHeaders+", Signature="+sig)
	return nil
}

// Presign returns rawURL presigned for method with query parameters that
// are valid for expires (at most MaxExpires) from now. Only the host is
// signed. The payload is UNSIGNED-PAYLOAD for S3 and empty for the other
// services, as the AWS SDKs presign.
func Presign(method, rawURL string, creds Credentials, region, service string, expires time.Duration, now time.Time) (string, error) {
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return "", errors.New("sigv4: missing credentials")
	}
	if expires < time.Second || expires > MaxExpires {
		return "", errors.New("sigv4: presign expiry must be between 1 second and 7 days")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	s := newSignature(creds, region, service, now)
	s.Presigned = true
	s.SignedHeaders, s.signedHeaders = []string{"host"}, "host"
	q := u.Query()
	q.Del("X-Amz-Signature")
	q.Set("X-Amz-Algorithm", algorithm)
	q.Set("X-Amz-Credential", creds.AccessKeyID+"/"+s.scope)
	q.Set("X-Amz-Date", s.amzDate)
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
	q.Set("X-Amz-SignedHeaders", s.signedHeaders)
	if creds.SessionToken != "" {
		q.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	// Send the query in canonical form, so that it is signed as sent.
	var raw []string
	for k, vs := range q {
		for _, v := range vs {
			raw = append(raw, string(appendEncoded(nil, k, false))+"="+string(appendEncoded(nil, v, false)))
		}
	}
	u.RawQuery = strings.Join(raw, "&")
	payload := emptySHA256
	if service == "s3" {
		payload = UnsignedPayload
	}
	r := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
	sig := s.signRequest(r, creds.SecretAccessKey, payload)
	u.RawQuery = string(appendQuery(nil, u.RawQuery, false)) + "&X-Amz-Signature=" + sig
	return u.String(), nil
}

func newSignature(creds Credentials, region, service string, now time.Time) *Signature {
	now = now.UTC()
	date := now.Format(longDateFormat)
	return &Signature{
		AccessKeyID: creds.AccessKeyID,
		Date:        now.Truncate(time.Second),
		Region:      region,
		Service:     service,
		amzDate:     date,
		scope:       date[:8] + "/" + region + "/" + service + "/" + terminator,
	}
}

// signRequest returns the hex signature of r.
func (s *Signature) signRequest(r *http.Request, secret, payload string) string {
	key := deriveKey(secret, s.scope[:8], s.Region, s.Service)
	mode := uriNormalized
	if s.Service == "s3" {
		mode = uriRaw
	}
	sig := s.sign(&key, s.appendCanonicalRequest(nil, r, mode, []byte(payload)))
	return string(sig[:])
}
