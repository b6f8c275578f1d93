package s3

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

// TestCRC64NVME: the algorithm's check value ("123456789"), from the CRC
// catalogue's CRC-64/NVME entry.
func TestCRC64NVME(t *testing.T) {
	a, _ := algorithmNamed("crc64nvme")
	h := a.new()
	h.Write([]byte("123456789"))
	if got := binary.BigEndian.Uint64(h.Sum(nil)); got != 0xae8b14860a799888 {
		t.Fatalf("CRC-64/NVME check value %#x", got)
	}
}

// TestMultipartChecksum: a FULL_OBJECT CRC combined from the parts' CRCs
// is the CRC of the whole; a COMPOSITE checksum is the algorithm over the
// parts' binary checksums, with "-N".
func TestMultipartChecksum(t *testing.T) {
	data := make([]byte, 300_001)
	_, _ = rand.Read(data)
	cuts := [][]byte{data[:100_000], data[100_000:250_000], data[250_000:]}
	for _, a := range algorithms {
		var parts []partChecksum
		var concat []byte
		for _, p := range cuts {
			h := a.new()
			h.Write(p)
			sum := h.Sum(nil)
			parts = append(parts, partChecksum{sum: sum, size: int64(len(p))})
			concat = append(concat, sum...)
		}
		whole := a.new()
		whole.Write(data)
		if a.crc {
			got := multipartChecksum(a, fullObject, parts)
			if want := base64.StdEncoding.EncodeToString(whole.Sum(nil)); got.Value != want || got.Type != fullObject {
				t.Errorf("%s full object: %s, want %s", a.Name, got.Value, want)
			}
		}
		got := multipartChecksum(a, composite, parts)
		h := a.new()
		h.Write(concat)
		if want := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-3"; got.Value != want || !strings.HasSuffix(got.Value, "-3") {
			t.Errorf("%s composite: %s, want %s", a.Name, got.Value, want)
		}
	}
}

// TestParseRange: S3's single ranges; what it cannot parse is ignored.
func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		header        string
		off, n        int64
		partial, fail bool
	}{
		{"bytes=0-0", 0, 1, true, false},
		{"bytes=2-", 2, 8, true, false},
		{"bytes=-3", 7, 3, true, false},
		{"bytes=-30", 0, 10, true, false},
		{"bytes=5-100", 5, 5, true, false},
		{"bytes=10-", 0, 0, false, true},
		{"bytes=-0", 0, 0, false, true},
		{"bytes=0-1,3-4", 0, 10, false, false},
		{"bytes=5-2", 0, 10, false, false},
		{"items=0-1", 0, 10, false, false},
		{"", 0, 10, false, false},
	} {
		off, n, partial, err := parseRange(tc.header, 10)
		if (err != nil) != tc.fail || err == nil && (off != tc.off || n != tc.n || partial != tc.partial) {
			t.Errorf("%q: %d %d %v %v", tc.header, off, n, partial, err)
		}
	}
}
