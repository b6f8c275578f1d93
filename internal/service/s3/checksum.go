package s3

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// This file holds S3's additional checksums (CRC32, CRC32C, CRC64NVME,
// SHA1, SHA256): the algorithms, what a request declares (a header, a
// trailer or x-amz-sdk-checksum-algorithm), and the whole-object and
// composite checksums of multipart uploads, as described in "Checking
// object integrity in Amazon S3" (S3 User Guide).

// crc64NVME is the CRC-64/NVME polynomial in reversed form, as hash/crc64
// takes it (normal form 0xad93d23594c93659).
const crc64NVME = 0x9a6c9329ac4bc9b5

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	nvmeTable  = crc64.MakeTable(crc64NVME)
)

// Checksum types (x-amz-checksum-type).
const (
	fullObject = "FULL_OBJECT"
	composite  = "COMPOSITE"
)

// algorithm is one checksum algorithm.
type algorithm struct {
	Name   string // "CRC32", as x-amz-sdk-checksum-algorithm names it
	header string // "x-amz-checksum-crc32"
	size   int    // digest length in bytes
	new    func() hash.Hash
	// crc marks the CRCs, whose whole-object checksum of a multipart
	// upload is computed from the parts' (combine).
	crc bool
}

var algorithms = []algorithm{
	{"CRC32", "x-amz-checksum-crc32", 4, func() hash.Hash { return crc32.NewIEEE() }, true},
	{"CRC32C", "x-amz-checksum-crc32c", 4, func() hash.Hash { return crc32.New(castagnoli) }, true},
	{"CRC64NVME", "x-amz-checksum-crc64nvme", 8, func() hash.Hash { return crc64.New(nvmeTable) }, true},
	{"SHA1", "x-amz-checksum-sha1", 20, sha1.New, false},
	{"SHA256", "x-amz-checksum-sha256", 32, sha256.New, false},
}

// algorithmNamed returns the algorithm of a name given in any case.
func algorithmNamed(name string) (algorithm, bool) {
	for _, a := range algorithms {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return algorithm{}, false
}

// checksumValue is a stored checksum: its algorithm, type and value
// (base64, with "-N" for a composite one of N parts).
type checksumValue struct {
	Algorithm string `json:"algorithm"`
	Type      string `json:"type"`
	Value     string `json:"value"`
}

// header sets the checksum's response headers.
func (v *checksumValue) header(h http.Header) {
	if v == nil {
		return
	}
	a, _ := algorithmNamed(v.Algorithm)
	h.Set(a.header, v.Value)
	h.Set("x-amz-checksum-type", v.Type)
}

// bodyCheck is what a request declares about its body: its Content-MD5,
// and the additional checksum to compute (declared by a header, whose
// value is then checked, or by a trailer, which the gateway checks).
type bodyCheck struct {
	md5  []byte // nil when not declared
	algo *algorithm
	want []byte // the header's value; nil for a trailer or none
}

// parseBodyCheck reads the checksum headers of a request, refusing those
// S3 refuses: an invalid Content-MD5 (InvalidDigest), an invalid or
// second x-amz-checksum-* header, or an x-amz-sdk-checksum-algorithm
// nothing backs.
func parseBodyCheck(h http.Header) (bodyCheck, *api.Error) {
	var bc bodyCheck
	if v := h.Get("Content-MD5"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != md5.Size {
			return bc, api.Errorf(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		bc.md5 = b
	}
	for _, a := range algorithms {
		v := h.Get(a.header)
		if v == "" {
			continue
		}
		if bc.algo != nil {
			return bc, api.Errorf(400, "InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != a.size {
			return bc, api.Errorf(400, "InvalidRequest", "Value for %s header is invalid.", a.header)
		}
		a := a
		bc.algo, bc.want = &a, b
	}
	if t := strings.ToLower(strings.TrimSpace(h.Get("X-Amz-Trailer"))); t != "" && bc.algo == nil {
		for _, a := range algorithms {
			if t == a.header {
				a := a
				bc.algo = &a
			}
		}
	}
	if name := h.Get("X-Amz-Sdk-Checksum-Algorithm"); name != "" {
		a, ok := algorithmNamed(name)
		switch {
		case !ok:
			return bc, api.Errorf(400, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		case bc.algo == nil:
			return bc, api.Errorf(400, "InvalidRequest", "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		case bc.algo.Name != a.Name:
			return bc, api.Errorf(400, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	return bc, nil
}

// digests hashes a body as it is read: its MD5 (the ETag) and one
// additional checksum.
type digests struct {
	md5  hash.Hash
	algo algorithm
	sum  hash.Hash
}

// newDigests hashes with algo, or CRC64NVME when the request declares none:
// S3 gives every new object a checksum.
func newDigests(algo *algorithm) *digests {
	a := algorithms[2]
	if algo != nil {
		a = *algo
	}
	return &digests{md5: md5.New(), algo: a, sum: a.new()}
}

func (d *digests) Write(p []byte) (int, error) {
	d.md5.Write(p)
	d.sum.Write(p)
	return len(p), nil
}

// check compares the digests with what the request declared: a wrong
// Content-MD5 or checksum is S3's BadDigest.
func (d *digests) check(bc bodyCheck) *api.Error {
	if bc.md5 != nil && string(d.md5.Sum(nil)) != string(bc.md5) {
		return api.Errorf(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
	}
	if bc.want != nil && string(d.sum.Sum(nil)) != string(bc.want) {
		return api.Errorf(400, "BadDigest", "The %s you specified did not match the calculated checksum.", d.algo.Name)
	}
	return nil
}

// etag is the body's ETag: its MD5 in hex, quoted.
func (d *digests) etag() string { return `"` + hex.EncodeToString(d.md5.Sum(nil)) + `"` }

// value is the body's checksum as a full-object value.
func (d *digests) value() *checksumValue {
	return &checksumValue{Algorithm: d.algo.Name, Type: fullObject, Value: base64.StdEncoding.EncodeToString(d.sum.Sum(nil))}
}

// partChecksum is one part's checksum and length, for the checksum of a
// completed multipart upload.
type partChecksum struct {
	sum  []byte
	size int64
}

// multipartChecksum returns the checksum of a multipart upload's object:
// COMPOSITE is the algorithm over the concatenated binary checksums of the
// parts, with "-N"; FULL_OBJECT (CRCs only) is the CRC of the whole
// object, combined from the parts' CRCs without reading the object again.
func multipartChecksum(a algorithm, typ string, parts []partChecksum) *checksumValue {
	v := &checksumValue{Algorithm: a.Name, Type: typ}
	if typ == composite {
		h := a.new()
		for _, p := range parts {
			h.Write(p.sum)
		}
		v.Value = base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
		return v
	}
	var acc []byte
	for i, p := range parts {
		if i == 0 {
			acc = p.sum
			continue
		}
		acc = combineCRC(a, acc, p.sum, p.size)
	}
	v.Value = base64.StdEncoding.EncodeToString(acc)
	return v
}

// zeros is a block of zero bytes for combineCRC.
var zeros [64 << 10]byte

// combineCRC returns the CRC of A‖B from crc(A), crc(B) and len(B). The
// CRCs S3 uses are affine in (initial value, data), so
// crc(A‖B) = crc_from(crc(A), 0ⁿ) ⊕ crc(B) ⊕ crc_from(0, 0ⁿ), n = len(B):
// two CRCs of zeros, which the hash packages compute at memory speed.
func combineCRC(a algorithm, crcA, crcB []byte, n int64) []byte {
	switch a.size {
	case 4:
		tab := crc32.IEEETable
		if a.Name == "CRC32C" {
			tab = castagnoli
		}
		x, y := binary.BigEndian.Uint32(crcA), uint32(0)
		for left := n; left > 0; {
			k := min(left, int64(len(zeros)))
			x, y = crc32.Update(x, tab, zeros[:k]), crc32.Update(y, tab, zeros[:k])
			left -= k
		}
		return binary.BigEndian.AppendUint32(nil, x^y^binary.BigEndian.Uint32(crcB))
	default:
		x, y := binary.BigEndian.Uint64(crcA), uint64(0)
		for left := n; left > 0; {
			k := min(left, int64(len(zeros)))
			x, y = crc64.Update(x, nvmeTable, zeros[:k]), crc64.Update(y, nvmeTable, zeros[:k])
			left -= k
		}
		return binary.BigEndian.AppendUint64(nil, x^y^binary.BigEndian.Uint64(crcB))
	}
}
