package session

import (
	"encoding/binary"
	"errors"
	"time"
)

// The sealed form of Claims is a sequence of fields, each a one-byte field
// number, a uvarint length and that many bytes. Strings are stored as is,
// times as uvarint Unix seconds, true booleans as an empty field; list
// elements repeat their field. Decoders skip fields they do not know.
const (
	fAccessKeyID byte = iota + 1
	fSecretAccessKey
	fAccount
	fType
	fRoleARN
	fRoleName
	fRoleID
	fRolePath
	fSessionName
	fUserARN
	fUserName
	fUserID
	fIssued
	fExpires
	fPolicy
	fPolicyARN
	fTagKey // starts a tag
	fTagValue
	fTransitiveTagKey
	fSourceIdentity
	fIssuer
	fChained
	fEnvironment
	fSourceFunctionARN
)

// stringFields maps field numbers to the string members of Claims.
var stringFields = [...]struct {
	num byte
	get func(*Claims) *string
}{
	{fAccessKeyID, func(c *Claims) *string { return &c.AccessKeyID }},
	{fSecretAccessKey, func(c *Claims) *string { return &c.SecretAccessKey }},
	{fAccount, func(c *Claims) *string { return &c.Account }},
	{fType, func(c *Claims) *string { return &c.Type }},
	{fRoleARN, func(c *Claims) *string { return &c.RoleARN }},
	{fRoleName, func(c *Claims) *string { return &c.RoleName }},
	{fRoleID, func(c *Claims) *string { return &c.RoleID }},
	{fRolePath, func(c *Claims) *string { return &c.RolePath }},
	{fSessionName, func(c *Claims) *string { return &c.SessionName }},
	{fUserARN, func(c *Claims) *string { return &c.UserARN }},
	{fUserName, func(c *Claims) *string { return &c.UserName }},
	{fUserID, func(c *Claims) *string { return &c.UserID }},
	{fPolicy, func(c *Claims) *string { return &c.Policy }},
	{fSourceIdentity, func(c *Claims) *string { return &c.SourceIdentity }},
	{fIssuer, func(c *Claims) *string { return &c.Issuer }},
	{fEnvironment, func(c *Claims) *string { return &c.Environment }},
	{fSourceFunctionARN, func(c *Claims) *string { return &c.SourceFunctionARN }},
}

// stringField returns the string member for field number num, or nil.
func stringField(c *Claims, num byte) *string {
	for _, f := range stringFields {
		if f.num == num {
			return f.get(c)
		}
	}
	return nil
}

func appendField(b []byte, num byte, v string) []byte {
	b = append(b, num)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendTime(b []byte, num byte, t time.Time) []byte {
	var v [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(v[:], uint64(t.Unix()))
	return appendField(b, num, string(v[:n]))
}

// appendClaims appends the sealed form of c to b.
func appendClaims(b []byte, c *Claims) []byte {
	for _, f := range stringFields {
		if v := *f.get(c); v != "" {
			b = appendField(b, f.num, v)
		}
	}
	b = appendTime(b, fIssued, c.Issued)
	b = appendTime(b, fExpires, c.Expires)
	for _, a := range c.PolicyARNs {
		b = appendField(b, fPolicyARN, a)
	}
	for _, t := range c.Tags {
		b = appendField(b, fTagKey, t.Key)
		b = appendField(b, fTagValue, t.Value)
	}
	for _, k := range c.TransitiveTagKeys {
		b = appendField(b, fTransitiveTagKey, k)
	}
	if c.Chained {
		b = appendField(b, fChained, "")
	}
	return b
}

var errCorrupt = errors.New("session: corrupt claims")

// decodeClaims decodes the sealed form of claims. The strings of c share
// the memory of s.
func decodeClaims(s string, c *Claims) error {
	for len(s) > 0 {
		num := s[0]
		n, w := uvarint(s[1:])
		if w <= 0 || n > uint64(len(s)-1-w) {
			return errCorrupt
		}
		v := s[1+w : 1+w+int(n)]
		s = s[1+w+int(n):]
		switch num {
		case fIssued, fExpires:
			sec, w := uvarint(v)
			if w != len(v) {
				return errCorrupt
			}
			t := time.Unix(int64(sec), 0).UTC()
			if num == fIssued {
				c.Issued = t
			} else {
				c.Expires = t
			}
		case fPolicyARN:
			c.PolicyARNs = append(c.PolicyARNs, v)
		case fTagKey:
			c.Tags = append(c.Tags, Tag{Key: v})
		case fTagValue:
			if len(c.Tags) == 0 {
				return errCorrupt
			}
			c.Tags[len(c.Tags)-1].Value = v
		case fTransitiveTagKey:
			c.TransitiveTagKeys = append(c.TransitiveTagKeys, v)
		case fChained:
			c.Chained = true
		default:
			if p := stringField(c, num); p != nil {
				*p = v
			}
		}
	}
	return nil
}

// uvarint is binary.Uvarint for a string.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			return x | uint64(b)<<shift, i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	return 0, 0
}
