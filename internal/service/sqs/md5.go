package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"maps"
	"slices"
	"strings"
)

// Transport types of the message attribute digest.
const (
	transportString byte = 1
	transportBinary byte = 2
)

// md5Hex is the MD5 digest of s in hex (MD5OfMessageBody).
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is SQS's digest of message attributes
// (MD5OfMessageAttributes, MD5OfMessageSystemAttributes), as the SQS
// Developer Guide documents it: for each attribute in name order, its name,
// its data type, a byte giving the transport type (1 for String and
// Number, 2 for Binary), and its value, each of the three strings preceded
// by its length as 4 big-endian bytes. "" for no attributes.
func md5OfAttributes(attrs MessageAttributes) string {
	if len(attrs) == 0 {
		return ""
	}
	h := md5.New()
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		a := attrs[name]
		writeField(h, []byte(name))
		writeField(h, []byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			h.Write([]byte{transportBinary})
			writeField(h, a.BinaryValue)
		} else {
			h.Write([]byte{transportString})
			var s string
			if a.StringValue != nil {
				s = *a.StringValue
			}
			writeField(h, []byte(s))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeField(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}
