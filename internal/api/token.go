package api

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"hash/fnv"
	"strconv"
	"strings"
)

// Page tokens continue a listing: the NextToken, Marker or NextMarker a
// service returns and the client hands back. A token is opaque to clients
// and names a position in the listing (the last key returned, an index),
// bound to the scope of the query it continues so that a token from one
// query cannot continue another.
//
// A token is the unpadded base64url encoding of
//
//	version (1 byte, 1) | fingerprint of the scope (8 bytes, FNV-1a 64, big-endian)
//	| position | CRC-32C of everything before (4 bytes, big-endian)
//
// The checksum is keyless on purpose. It catches a token that was cut,
// mangled or made up by hand; it does not stop a client that forges one,
// but a forged token only moves a listing the caller is already allowed to
// read to another position, so there is nothing to protect. An HMAC keyed by
// a secret of the process would break every token at a restart and between
// the nodes of a cluster, which clients do not expect of AWS's tokens.
const tokenVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// TokenScope returns the scope of a listing: the operation and the request
// parameters that select what is listed (filters, order, the parent
// resource), but not the page size or the token itself. Parts are quoted, so
// ("a,b") and ("a", "b") are different scopes.
func TokenScope(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(p))
	}
	return b.String()
}

// EncodeToken returns the token that continues the listing of scope at
// position.
func EncodeToken(scope, position string) string {
	b := make([]byte, 0, 1+8+len(position)+4)
	b = append(b, tokenVersion)
	b = binary.BigEndian.AppendUint64(b, fingerprint(scope))
	b = append(b, position...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeToken returns the position token continues. It reports false for a
// token that is not one EncodeToken made, is damaged, or was made for
// another scope; services answer that with their own invalid-token error.
func DecodeToken(scope, token string) (position string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 1+8+4 || b[0] != tokenVersion {
		return "", false
	}
	body, sum := b[:len(b)-4], b[len(b)-4:]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(sum) {
		return "", false
	}
	if binary.BigEndian.Uint64(body[1:9]) != fingerprint(scope) {
		return "", false
	}
	return string(body[9:]), true
}

func fingerprint(scope string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(scope))
	return h.Sum64()
}
