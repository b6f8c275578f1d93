package sigv4

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The "Example: PUT Object" of the S3 chunked upload documentation: 65 KiB
// of 'a' in a 64 KiB chunk, a 1 KiB chunk and the final chunk.
var (
	exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	exampleSigs = []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
)

func exampleBody(sigs []string, trailer string) []byte {
	var b bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, sigs[i])
		b.Write(bytes.Repeat([]byte{'a'}, n))
		if n > 0 {
			b.WriteString("\r\n")
		}
	}
	b.WriteString(trailer)
	b.WriteString("\r\n")
	return b.Bytes()
}

func exampleRequest(body []byte) *http.Request {
	r, _ := http.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", StreamingPayload)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	return r
}

func TestChunkedAWSExample(t *testing.T) {
	body := exampleBody(exampleSigs, "")
	if len(body) != 66824 {
		t.Fatalf("body is %d bytes", len(body))
	}
	r := toServer(t, exampleRequest(body))
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Streaming() {
		t.Fatal("not streaming")
	}
	v := verifier(exampleTime)
	pr, err := v.VerifyStream(s, r, testCreds.SecretAccessKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(pr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte{'a'}, 66560)) {
		t.Fatalf("decoded %d bytes", len(got))
	}
	if err := v.Verify(s, r, body, testCreds.SecretAccessKey); err != nil {
		t.Fatal(err)
	}
}

func TestChunkedTamper(t *testing.T) {
	v := verifier(exampleTime)
	full := exampleBody(exampleSigs, "")
	// run sends body in a request whose headers are those of the full body.
	run := func(body []byte, edit func(*http.Request)) error {
		t.Helper()
		r := exampleRequest(full)
		if edit != nil {
			edit(r)
		}
		r = toServer(t, r)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s, err := Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := v.VerifyStream(s, r, testCreds.SecretAccessKey)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, pr)
		return err
	}
	body := exampleBody(exampleSigs, "")
	flipped := bytes.Clone(body)
	flipped[100] = 'b'
	e := wantKind(t, run(flipped, nil), ChunkSignatureMismatch)
	if !strings.HasPrefix(e.StringToSign, "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n4f232c43") {
		t.Fatalf("string to sign %q", e.StringToSign)
	}
	// Chunks swapped for one another: the chain breaks.
	sigs := []string{exampleSigs[1], exampleSigs[0], exampleSigs[2]}
	wantKind(t, run(exampleBody(sigs, ""), nil), ChunkSignatureMismatch)
	// A forged final chunk.
	sigs = []string{exampleSigs[0], exampleSigs[1], exampleSigs[0]}
	wantKind(t, run(exampleBody(sigs, ""), nil), ChunkSignatureMismatch)
	// Truncated bodies.
	for _, n := range []int{0, 10, 90, 40000, 65624, 65626, 66700, 66821} {
		err := run(body[:n], nil)
		wantKind(t, err, IncompleteBody)
	}
	wantKind(t, run(body, func(r *http.Request) { r.Header.Del("X-Amz-Decoded-Content-Length") }), SignatureDoesNotMatch)
	wantKind(t, run([]byte("zz;chunk-signature=00\r\n"), nil), MalformedChunkedEncoding)
	wantKind(t, run([]byte("400\r\n"), nil), MalformedChunkedEncoding)
}

// TestChunkedTrailerAWSExample checks the chunk and trailer signature chain
// of the S3 documentation's trailing-header example, from its seed.
func TestChunkedTrailerAWSExample(t *testing.T) {
	s := &Signature{
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
		Service:     "s3",
		Region:      "us-east-1",
		Signature:   "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
		PayloadHash: StreamingPayloadTrailer,
		amzDate:     "20130524T000000Z",
		scope:       "20130524/us-east-1/s3/aws4_request",
	}
	sigs := []string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	const trailerSig = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
	key := deriveKey(testCreds.SecretAccessKey, "20130524", "us-east-1", "s3")
	decode := func(body []byte) error {
		r, _ := http.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", nil)
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		cr, err := newChunkedReader(s, r, bytes.NewReader(body), &key)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(cr)
		if err == nil && len(got) != 66560 {
			t.Fatalf("decoded %d bytes", len(got))
		}
		return err
	}
	good := "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" + trailerSig + "\r\n"
	if err := decode(exampleBody(sigs, good)); err != nil {
		t.Fatal(err)
	}
	bad := "x-amz-checksum-crc32c:AAAAAA==\r\nx-amz-trailer-signature:" + trailerSig + "\r\n"
	wantKind(t, decode(exampleBody(sigs, bad)), ChunkSignatureMismatch)
	wantKind(t, decode(exampleBody(sigs, "x-amz-checksum-crc32c:sOO8/Q==\r\n")), ChunkSignatureMismatch)
}

func unsignedTrailerBody(data []byte, chunk int, trailer string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(chunk, len(data))
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\n" + trailer + "\r\n")
	return b.Bytes()
}

// TestUnsignedTrailer builds the body aws-sdk-go-v2 and botocore send by
// default for S3 uploads over HTTPS: unsigned chunks and a CRC32 trailer.
func TestUnsignedTrailer(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 5000)
	sum := crc32.ChecksumIEEE(data)
	crc := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum))
	send := func(body []byte, algo string) ([]byte, error) {
		r, _ := http.NewRequest("PUT", "http://localhost:4566/bucket/key", bytes.NewReader(body))
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Content-Sha256", StreamingUnsignedPayloadTrailer)
		r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
		r.Header.Set("X-Amz-Trailer", algo)
		r.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
		r.TransferEncoding = []string{"chunked"}
		r.ContentLength = -1
		if err := Sign(r, nil, tempCreds, "us-east-1", "s3", testTime); err != nil {
			t.Fatal(err)
		}
		sr := toServer(t, r)
		s, err := Parse(sr)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := verifier(testTime).VerifyStream(s, sr, tempCreds.SecretAccessKey)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(pr)
	}
	got, err := send(unsignedTrailerBody(data, 8192, "x-amz-checksum-crc32:"+crc+"\r\n"), "x-amz-checksum-crc32")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("decoded %d bytes, %v", len(got), err)
	}
	_, err = send(unsignedTrailerBody(data, 8192, "x-amz-checksum-crc32:AAAAAA==\r\n"), "x-amz-checksum-crc32")
	if e := wantKind(t, err, BadDigest); e.Message != "The CRC32 you specified did not match the calculated checksum." {
		t.Fatal(e.Message)
	}
	flipped := unsignedTrailerBody(data, 8192, "x-amz-checksum-crc32:"+crc+"\r\n")
	flipped[50] ^= 1
	_, err = send(flipped, "x-amz-checksum-crc32")
	wantKind(t, err, BadDigest)
	_, err = send(unsignedTrailerBody(data, 8192, ""), "x-amz-checksum-crc32")
	wantKind(t, err, MalformedChunkedEncoding)
	_, err = send(unsignedTrailerBody(data, 8192, "x-amz-checksum-crc32:"+crc+"\r\n"), "x-amz-checksum-md5")
	wantKind(t, err, MalformedChunkedEncoding)
	_, err = send(unsignedTrailerBody(data[:100], 8192, "x-amz-checksum-crc32:"+crc+"\r\n"), "x-amz-checksum-crc32")
	wantKind(t, err, IncompleteBody)
}

func TestChecksums(t *testing.T) {
	// Check values of the catalogue of CRC algorithms for "123456789".
	want := map[string]string{
		"x-amz-checksum-crc32":     "cbf43926",
		"x-amz-checksum-crc32c":    "e3069283",
		"x-amz-checksum-crc64nvme": "ae8b14860a799888",
		"x-amz-checksum-sha1":      "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
	}
	for name, w := range want {
		c, ok := checksumFor(name)
		if !ok {
			t.Fatal(name)
		}
		h := c.new()
		h.Write([]byte("123456789"))
		if got := hex.EncodeToString(h.Sum(nil)); got != w {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
}
