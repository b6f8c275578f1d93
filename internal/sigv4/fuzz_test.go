package sigv4

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// FuzzParse feeds Parse requests with arbitrary authentication fields. Parse
// must never panic, must fail only with an *Error, and what it accepts must
// be consistent and safe to hand to the Verifier.
func FuzzParse(f *testing.F) {
	const (
		cred  = "AKIAIOSFODNN7EXAMPLE/20240301/us-east-1/sts/aws4_request"
		date  = "20240301T123045Z"
		sig   = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
		heads = "content-type;host;x-amz-date"
	)
	// Seeds: each form Parse accepts, and each way it rejects a request.
	f.Add("AWS4-HMAC-SHA256 Credential="+cred+", SignedHeaders="+heads+", Signature="+sig, "", date, "", "")
	f.Add("AWS4-HMAC-SHA256 Credential="+cred+",SignedHeaders=host,Signature="+sig, "", "", "Fri, 01 Mar 2024 12:30:45 GMT", UnsignedPayload)
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240301/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="+sig, "list-type=2", date, "", StreamingPayloadTrailer)
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240301/us-east-1/s3/aws4_request,SignedHeaders=date,Signature="+sig, "", date, "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c", "", date, "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240301/us-east-1/sts/aws5_request,SignedHeaders=host,Signature=00", "", date, "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240302/us-east-1/sts/aws4_request,SignedHeaders=host,Signature=00", "", date, "", "")
	f.Add("AWS4-HMAC-SHA256 SignedHeaders", "", date, "", "")
	f.Add("AWS AKID:c2ln", "", "", "", "")
	f.Add("", "", "", "", "")
	presign := url.Values{
		"X-Amz-Algorithm":     {algorithm},
		"X-Amz-Credential":    {cred},
		"X-Amz-Date":          {date},
		"X-Amz-Expires":       {"900"},
		"X-Amz-SignedHeaders": {"host"},
		"X-Amz-Signature":     {sig},
	}
	f.Add("", presign.Encode(), "", "", "")
	f.Add("", presign.Encode()+"&X-Amz-Security-Token=tok&X-Amz-Content-Sha256="+UnsignedPayload, "", "", "")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+url.QueryEscape(cred)+"&X-Amz-Date=2024&X-Amz-Expires=-1", "", "", "")
	f.Add("", "X-Amz-Signature=%zz", "", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential="+cred, presign.Encode(), date, "", "")

	v := verifier(testTime)
	f.Fuzz(func(t *testing.T, auth, rawQuery, amzDate, httpDate, payloadHash string) {
		r := &http.Request{
			Method: "POST",
			URL:    &url.URL{Path: "/", RawQuery: rawQuery},
			Host:   "sts.us-east-1.amazonaws.com",
			Header: http.Header{},
		}
		for name, value := range map[string]string{
			"Authorization":        auth,
			"X-Amz-Date":           amzDate,
			"Date":                 httpDate,
			"X-Amz-Content-Sha256": payloadHash,
		} {
			if value != "" {
				r.Header.Set(name, value)
			}
		}
		s, err := Parse(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse failed with %T %v, want *Error", err, err)
			}
			if s != nil {
				t.Fatalf("Parse returned a signature with error %v", err)
			}
			return
		}
		if s.AccessKeyID == "" || s.Region == "" || s.Service == "" {
			t.Fatalf("accepted signature without access key or scope: %+v", s)
		}
		if want := s.Date.Format(shortDateFormat) + "/" + s.Region + "/" + s.Service + "/" + terminator; s.Scope() != want {
			t.Fatalf("scope %q, want %q", s.Scope(), want)
		}
		if !s.signs("host") {
			t.Fatalf("accepted signed headers %q without host", s.SignedHeaders)
		}
		if s.Expires < 0 || s.Expires > MaxExpires {
			t.Fatalf("accepted expiry %v", s.Expires)
		}
		// Whatever Parse accepts the Verifier must handle without panicking.
		if err := v.Verify(s, r, nil, testCreds.SecretAccessKey); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify failed with %T %v, want *Error", err, err)
			}
		}
	})
}

// chunkedModes are the payload hashes of the three aws-chunked forms.
var chunkedModes = [...]string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer}

// signedChunkedBody encodes chunks as a signed aws-chunked body whose chain
// starts at s's seed signature, with a signed trailer when trailer is not
// nil.
func signedChunkedBody(s *Signature, key *[32]byte, chunks [][]byte, trailer []string) []byte {
	c := &chunkedReader{s: s, key: key}
	copy(c.prev[:], s.Signature)
	sign := func(sts []byte) string {
		mac := hmacSHA256(key[:], sts)
		hex.Encode(c.prev[:], mac[:])
		return string(c.prev[:])
	}
	var b bytes.Buffer
	for _, data := range append(chunks, nil) {
		h := hashHex(data)
		sts := c.appendScope([]byte(chunkAlgorithm + "\n"))
		sts = append(append(sts, emptySHA256+"\n"...), h...)
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(data), sign(sts))
		if len(data) > 0 {
			b.Write(data)
			b.WriteString("\r\n")
		}
	}
	if trailer != nil {
		var canonical []byte
		for _, line := range trailer {
			b.WriteString(line + "\r\n")
			canonical = append(append(canonical, line...), '\n')
		}
		sts := c.appendScope([]byte(trailerAlgorithm + "\n"))
		sts = append(sts, hashHex(canonical)...)
		b.WriteString(trailerSigName + ":" + sign(sts) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// FuzzChunked decodes arbitrary aws-chunked bodies in each of the three
// forms. The reader must never panic, must fail only with an *Error, must
// never return more than the declared decoded length, and must return
// exactly that length when it reaches a clean end.
func FuzzChunked(f *testing.F) {
	s := &Signature{
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
		Service:     "s3",
		Region:      "us-east-1",
		Signature:   "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
		amzDate:     "20130524T000000Z",
		scope:       "20130524/us-east-1/s3/aws4_request",
	}
	key := deriveKey(testCreds.SecretAccessKey, "20130524", "us-east-1", "s3")

	data := []byte("0123456789abcdef0123456789abcdef0123456789")
	crc := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data)))
	chunks := [][]byte{data[:16], data[16:32], data[32:]}
	n := uint16(len(data))

	// Seeds: a valid body of each form, then broken ones.
	f.Add(uint8(0), n, "", signedChunkedBody(s, &key, chunks, nil))
	f.Add(uint8(1), n, "x-amz-checksum-crc32", signedChunkedBody(s, &key, chunks, []string{"x-amz-checksum-crc32:" + crc}))
	f.Add(uint8(2), n, "x-amz-checksum-crc32", unsignedTrailerBody(data, 16, "x-amz-checksum-crc32:"+crc+"\r\n"))
	f.Add(uint8(2), n, "", unsignedTrailerBody(data, 7, ""))
	f.Add(uint8(1), n, "x-amz-checksum-crc32", signedChunkedBody(s, &key, chunks, []string{"x-amz-checksum-crc32:AAAAAA=="}))
	f.Add(uint8(2), n, "x-amz-checksum-sha256", unsignedTrailerBody(data, 16, "x-amz-checksum-crc32:"+crc+"\r\n"))
	f.Add(uint8(2), n, "x-amz-checksum-md5", unsignedTrailerBody(data, 16, ""))
	f.Add(uint8(0), n-1, "", signedChunkedBody(s, &key, chunks, nil))
	f.Add(uint8(0), n, "", []byte("zz;chunk-signature=00\r\n"))
	f.Add(uint8(0), n, "", []byte("400\r\n"))
	f.Add(uint8(2), n, "", []byte("10\r\n0123456789abcdef\n\n"))
	f.Add(uint8(2), uint16(0), "", []byte("0\r\n\r\n"))
	f.Add(uint8(1), uint16(0), "x-amz-checksum-crc32c,x-amz-checksum-sha1", []byte("0\r\n\r\n"))

	f.Fuzz(func(t *testing.T, mode uint8, decodedLen uint16, trailerHeader string, body []byte) {
		s := *s
		s.PayloadHash = chunkedModes[int(mode)%len(chunkedModes)]
		r := &http.Request{Header: http.Header{}}
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(int(decodedLen)))
		r.Header.Set("X-Amz-Trailer", trailerHeader)
		cr, err := newChunkedReader(&s, r, bytes.NewReader(body), &key)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("newChunkedReader failed with %T %v, want *Error", err, err)
			}
			return
		}
		got, err := io.ReadAll(cr)
		if len(got) > int(decodedLen) {
			t.Fatalf("decoded %d bytes, more than the declared %d", len(got), decodedLen)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("read failed with %T %v, want *Error", err, err)
			}
			return
		}
		if len(got) != int(decodedLen) {
			t.Fatalf("decoded %d bytes at a clean end, want %d", len(got), decodedLen)
		}
		// A clean end is sticky.
		if n, err := cr.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("read after the end = %d, %v", n, err)
		}
	})
}
