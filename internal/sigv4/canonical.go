package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const upperhex = "0123456789ABCDEF"

// uriMode selects how the canonical URI is formed.
type uriMode int

const (
	uriNormalized uriMode = iota // remove dot segments, then encode again (non-S3)
	uriEncoded                   // encode again without normalizing (non-S3 fallback)
	uriRaw                       // the path as sent (S3)
	uriReencoded                 // the path re-encoded once (S3 fallback)
)

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// appendEncoded appends s URI-encoded: every byte but the unreserved ones
// (and '/' when keepSlash) as %XX.
func appendEncoded(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || c == '/' && keepSlash {
			b = append(b, c)
		} else {
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return b
}

// requestPath returns the path of r as it was sent on the wire.
func requestPath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u[0] == '/' {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// appendURI appends the canonical URI of path in the given mode.
func appendURI(b []byte, path string, mode uriMode) []byte {
	if path == "" {
		path = "/"
	}
	switch mode {
	case uriRaw:
		return append(b, path...)
	case uriReencoded:
		for i := 0; i < len(path); i++ {
			c := path[i]
			if c == '%' && i+2 < len(path) && ishex(path[i+1]) && ishex(path[i+2]) {
				c = unhex(path[i+1])<<4 | unhex(path[i+2])
				i += 2
				if unreserved(c) {
					b = append(b, c)
				} else {
					b = append(b, '%', upperhex[c>>4], upperhex[c&15])
				}
				continue
			}
			b = appendEncoded(b, path[i:i+1], true)
		}
		return b
	case uriNormalized:
		path = normalizePath(path)
	}
	return appendEncoded(b, path, true)
}

// normalizePath removes empty and dot segments (RFC 3986 §5.2.4 plus the
// collapsing of repeated slashes AWS services expect).
func normalizePath(p string) string {
	if !needsNormalizing(p) {
		return p
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	n := "/" + strings.Join(out, "/")
	if len(out) > 0 && strings.HasSuffix(p, "/") {
		n += "/"
	}
	return n
}

func needsNormalizing(p string) bool {
	if p == "" || p[0] != '/' {
		return true
	}
	return strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
		strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
}

// queryPair is one canonical (encoded) query parameter.
type queryPair struct{ k, v string }

// canonicalComponent returns a query key or value in canonical encoding,
// without allocating when it already is.
func canonicalComponent(s string) string {
	ok := true
	for i := 0; i < len(s) && ok; i++ {
		c := s[i]
		switch {
		case unreserved(c):
		case c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) &&
			!unreserved(unhex(s[i+1])<<4|unhex(s[i+2])):
			i += 2
		default:
			ok = false
		}
	}
	if ok {
		return s
	}
	d, err := url.QueryUnescape(s)
	if err != nil {
		d = s
	}
	return string(appendEncoded(nil, d, false))
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// appendQuery appends the canonical query string of a raw query, leaving
// out X-Amz-Signature when presigned.
func appendQuery(b []byte, raw string, presigned bool) []byte {
	if raw == "" {
		return b
	}
	var stack [16]queryPair
	pairs := stack[:0]
	for seg := range strings.SplitSeq(raw, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k = canonicalComponent(k)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, queryPair{k, canonicalComponent(v)})
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	for i, p := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.k...)
		b = append(b, '=')
		b = append(b, p.v...)
	}
	return b
}

// appendTrimmed appends v with leading and trailing spaces removed and
// inner runs of spaces collapsed to one.
func appendTrimmed(b []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return b
}

// headerValues returns the values of the header with the lower-case name.
func headerValues(r *http.Request, name string) []string {
	var stack [64]byte
	key := stack[:0]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		key = append(key, c)
		upper = c == '-'
	}
	if v, ok := r.Header[string(key)]; ok {
		return v
	}
	for k, v := range r.Header {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// appendHeaders appends the canonical headers block: name:value lines for
// each signed header, in the order signed.
func (s *Signature) appendHeaders(b []byte, r *http.Request) []byte {
	for _, name := range s.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		switch name {
		case "host":
			h := r.Host
			if h == "" {
				h = r.URL.Host
			}
			b = appendTrimmed(b, h)
		case "content-length":
			if v := headerValues(r, name); v != nil {
				b = appendTrimmed(b, v[0])
			} else if r.ContentLength >= 0 {
				b = strconv.AppendInt(b, r.ContentLength, 10)
			}
		case "transfer-encoding":
			if v := headerValues(r, name); v != nil {
				b = appendTrimmed(b, strings.Join(v, ","))
			} else {
				b = append(b, strings.Join(r.TransferEncoding, ",")...)
			}
		default:
			for i, v := range headerValues(r, name) {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTrimmed(b, v)
			}
		}
		b = append(b, '\n')
	}
	return b
}

// appendCanonicalRequest appends the canonical request of r.
func (s *Signature) appendCanonicalRequest(b []byte, r *http.Request, mode uriMode, payloadHash []byte) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendURI(b, requestPath(r), mode)
	b = append(b, '\n')
	b = appendQuery(b, r.URL.RawQuery, s.Presigned)
	b = append(b, '\n')
	b = s.appendHeaders(b, r)
	b = append(b, '\n')
	b = append(b, s.signedHeaders...)
	b = append(b, '\n')
	return append(b, payloadHash...)
}

// appendStringToSign appends the string to sign for a canonical request.
func (s *Signature) appendStringToSign(b, canonical []byte) []byte {
	h := sha256.Sum256(canonical)
	b = append(b, algorithm+"\n"...)
	b = append(b, s.amzDate...)
	b = append(b, '\n')
	b = append(b, s.scope...)
	b = append(b, '\n')
	return hex.AppendEncode(b, h[:])
}

// sign returns the hex signature of a canonical request.
func (s *Signature) sign(key *[32]byte, canonical []byte) [64]byte {
	var stack [256]byte
	mac := hmacSHA256(key[:], s.appendStringToSign(stack[:0], canonical))
	var out [64]byte
	hex.Encode(out[:], mac[:])
	return out
}

// equalHex compares a computed hex signature with the one sent, in
// constant time.
func equalHex(computed *[64]byte, sent string) bool {
	if len(sent) != len(computed) {
		return false
	}
	var d byte
	for i := range computed {
		d |= computed[i] ^ sent[i]
	}
	return d == 0
}
