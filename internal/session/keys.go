package session

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Access key ID prefixes.
const (
	LongTermPrefix  = "AKIA" // an IAM user's or the root user's access key
	TemporaryPrefix = "ASIA" // temporary credentials issued by STS
)

// accountBias is added to half the account number in an access key ID, as in
// AWS's own key IDs (the "account from access key ID" encoding).
const accountBias = 1 << 39

// NewAccessKeyID returns a 20-character access key ID: prefix (AKIA or ASIA),
// then 16 base32 characters ([A-Z2-7]) that encode the account as AWS does,
// followed by random bits. Characters 5 to 12 are base32(account/2 + 2^39);
// the account's lowest bit is the top bit of the next byte. account must be
// a 12-digit account ID; NewAccessKeyID panics otherwise.
func NewAccessKeyID(prefix, account string) string {
	n, err := parseAccount(account)
	if err != nil {
		panic("session: " + err.Error())
	}
	var b [10]byte
	if _, err := rand.Read(b[5:]); err != nil {
		panic("session: no randomness: " + err.Error())
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], n/2+accountBias)
	copy(b[:5], v[3:])
	b[5] = b[5]&0x7f | byte(n&1)<<7
	return prefix + base32.StdEncoding.EncodeToString(b[:])
}

// AccountFromAccessKeyID decodes the account encoded in an access key ID.
func AccountFromAccessKeyID(id string) (string, error) {
	if len(id) < 4+16 {
		return "", fmt.Errorf("session: access key ID %q is too short", id)
	}
	var b [10]byte
	if _, err := base32.StdEncoding.Decode(b[:], []byte(id[4:20])); err != nil {
		return "", fmt.Errorf("session: access key ID %q: %w", id, err)
	}
	var v [8]byte
	copy(v[2:], b[:6])
	z := binary.BigEndian.Uint64(v[:])
	n := (z & 0x7fffffffff80) >> 7
	if z&(accountBias<<8) == 0 || n > 999999999999 {
		return "", fmt.Errorf("session: access key ID %q encodes no account", id)
	}
	return fmt.Sprintf("%012d", n), nil
}

func parseAccount(account string) (uint64, error) {
	if len(account) != 12 {
		return 0, fmt.Errorf("account ID %q is not 12 digits", account)
	}
	n, err := strconv.ParseUint(account, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("account ID %q is not 12 digits", account)
	}
	return n, nil
}

// NewSecret returns a 40-character secret access key.
func NewSecret() string {
	var b [30]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("session: no randomness: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b[:])
}
