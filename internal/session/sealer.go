package session

import (
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/crypt"
)

var (
	// ErrInvalid reports a token that is malformed, was tampered with, or
	// was issued for another access key ID.
	ErrInvalid = errors.New("session: invalid token")
	// ErrExpired reports a token past its expiry.
	ErrExpired = errors.New("session: token expired")
)

// tokenVersion is the first byte of every token, kept for format changes.
const tokenVersion byte = 1

// encoding is standard base64, strict so that every token has exactly one
// textual form.
var encoding = base64.StdEncoding.Strict()

// Sealer issues and opens session tokens with a server key.
// It is safe for concurrent use.
type Sealer struct {
	box *crypt.Box
}

// NewSealer returns a Sealer that seals with box.
func NewSealer(box *crypt.Box) *Sealer {
	return &Sealer{box: box}
}

// Issue seals c into a session token. The token is bound to c.AccessKeyID:
// it opens only together with that key ID. Times are kept to the second.
func (s *Sealer) Issue(c Claims) (string, error) {
	if c.AccessKeyID == "" {
		return "", errors.New("session: claims have no access key ID")
	}
	if !c.Expires.After(c.Issued) {
		return "", fmt.Errorf("session: expiry %v is not after issue time %v", c.Expires, c.Issued)
	}
	c.Issued = c.Issued.UTC().Truncate(time.Second)
	c.Expires = c.Expires.UTC().Truncate(time.Second)
	plain := appendClaims(make([]byte, 0, 512), &c)
	sealed := s.box.Seal(plain, additionalData(c.AccessKeyID))
	raw := make([]byte, 0, 1+len(sealed))
	raw = append(append(raw, tokenVersion), sealed...)
	return encoding.EncodeToString(raw), nil
}

// Open verifies token against accessKeyID and returns its claims. It returns
// ErrInvalid for anything not issued by this Sealer for that key ID, and
// ErrExpired, together with the claims, for a token expired at now.
func (s *Sealer) Open(accessKeyID, token string, now time.Time) (*Claims, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, ErrInvalid
	}
	raw, err := encoding.DecodeString(token)
	if err != nil || len(raw) < 1 || raw[0] != tokenVersion {
		return nil, ErrInvalid
	}
	plain, err := s.box.Open(raw[1:], additionalData(accessKeyID))
	if err != nil {
		return nil, ErrInvalid
	}
	c := new(Claims)
	if err := decodeClaims(string(plain), c); err != nil || c.AccessKeyID != accessKeyID {
		return nil, ErrInvalid
	}
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// maxTokenLen bounds the work done for a token before it is authenticated.
const maxTokenLen = 16 << 10

// additionalData binds a sealed token to its version and access key ID.
func additionalData(accessKeyID string) []byte {
	return []byte("rolecall session v1 " + accessKeyID)
}
