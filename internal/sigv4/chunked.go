package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// MaxChunkSize is the largest signed chunk accepted; a signed chunk is held
// in memory until its signature is checked.
const MaxChunkSize = 16 << 20

const (
	chunkAlgorithm   = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"
	trailerSigName   = "x-amz-trailer-signature"
	msgMalformedTrl  = "The request contained trailing data that was not well-formed or did not conform to our published schema."
	crc64NVMEPoly    = 0x9a6c9329ac4bc9b5 // CRC-64/NVME, reversed
)

// checksum names a trailing checksum algorithm.
type checksum struct {
	header string // x-amz-checksum-*
	label  string // as S3 names it in BadDigest messages
	new    func() hash.Hash
}

func checksumFor(header string) (checksum, bool) {
	switch header {
	case "x-amz-checksum-crc32":
		return checksum{header, "CRC32", func() hash.Hash { return crc32.NewIEEE() }}, true
	case "x-amz-checksum-crc32c":
		return checksum{header, "CRC32C", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }}, true
	case "x-amz-checksum-crc64nvme":
		return checksum{header, "CRC64NVME", func() hash.Hash { return crc64.New(crc64.MakeTable(crc64NVMEPoly)) }}, true
	case "x-amz-checksum-sha1":
		return checksum{header, "SHA1", sha1.New}, true
	case "x-amz-checksum-sha256":
		return checksum{header, "SHA256", sha256.New}, true
	}
	return checksum{}, false
}

// chunkedReader decodes an aws-chunked body and checks it as it goes.
type chunkedReader struct {
	br      *bufio.Reader
	s       *Signature
	key     *[32]byte
	signed  bool     // chunks carry signatures
	trailer bool     // trailing headers follow the last chunk
	prev    [64]byte // the previous signature, hex
	buf     []byte   // the current signed chunk
	pending []byte   // checked data not yet returned
	left    int64    // unread bytes of the current unsigned chunk
	want    int64    // x-amz-decoded-content-length
	total   int64
	sum     hash.Hash // the declared trailing checksum, if any
	algo    checksum
	err     error
}

func newChunkedReader(s *Signature, r *http.Request, body io.Reader, key *[32]byte) (*chunkedReader, error) {
	dl := headerValue(r.Header, "X-Amz-Decoded-Content-Length")
	if dl == "" {
		return nil, newError(MissingContentLength, msgMissingLen)
	}
	want, err := strconv.ParseInt(dl, 10, 64)
	if err != nil || want < 0 {
		return nil, newError(MalformedChunkedEncoding, "Invalid x-amz-decoded-content-length: "+dl)
	}
	c := &chunkedReader{
		br:      bufio.NewReaderSize(body, 4096),
		s:       s,
		key:     key,
		signed:  s.PayloadHash != StreamingUnsignedPayloadTrailer,
		trailer: s.PayloadHash != StreamingPayload,
		want:    want,
	}
	copy(c.prev[:], s.Signature)
	if c.trailer {
		for name := range strings.SplitSeq(headerValue(r.Header, "X-Amz-Trailer"), ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			algo, ok := checksumFor(name)
			if !ok || c.sum != nil {
				return nil, newError(MalformedChunkedEncoding, "The value specified in the x-amz-trailer header is not supported")
			}
			c.algo, c.sum = algo, algo.new()
		}
	}
	return c, nil
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil {
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		if c.left > 0 {
			n, err := c.br.Read(p[:min(int64(len(p)), c.left)])
			c.left -= int64(n)
			c.sumWrite(p[:n])
			if c.left == 0 {
				err = c.readCRLF()
			}
			if errors.Is(err, io.EOF) {
				err = newError(IncompleteBody, msgIncomplete)
			}
			c.err = err
			return n, nil
		}
		c.err = c.nextChunk()
	}
	return 0, c.err
}

func (c *chunkedReader) sumWrite(b []byte) {
	if c.sum != nil {
		c.sum.Write(b)
	}
}

// nextChunk reads a chunk header and, for a signed chunk, the checked data.
func (c *chunkedReader) nextChunk() error {
	line, err := c.readLine()
	if errors.Is(err, io.EOF) {
		return newError(IncompleteBody, msgIncomplete)
	}
	if err != nil {
		return err
	}
	sizeHex, ext, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
	if err != nil || size < 0 {
		return newError(MalformedChunkedEncoding, "Invalid chunk size: "+sizeHex)
	}
	var sig string
	if c.signed {
		var ok bool
		if sig, ok = strings.CutPrefix(ext, "chunk-signature="); !ok {
			return newError(MalformedChunkedEncoding, "Missing chunk-signature in aws-chunked body")
		}
		if size > MaxChunkSize {
			return newError(MalformedChunkedEncoding, "Chunk size exceeds "+strconv.Itoa(MaxChunkSize)+" bytes")
		}
	}
	if c.total+size > c.want {
		return newError(IncompleteBody, "The decoded body is longer than x-amz-decoded-content-length")
	}
	c.total += size
	if size == 0 {
		return c.finish(sig)
	}
	if !c.signed {
		c.left = size
		return nil
	}
	if int64(cap(c.buf)) < size {
		c.buf = make([]byte, size)
	}
	c.buf = c.buf[:size]
	if _, err := io.ReadFull(c.br, c.buf); err != nil {
		return newError(IncompleteBody, msgIncomplete)
	}
	if err := c.readCRLF(); err != nil {
		if errors.Is(err, io.EOF) {
			// The body ends right after the chunk's data: it is cut
			// short, not complete.
			return newError(IncompleteBody, msgIncomplete)
		}
		return err
	}
	if err := c.checkChunk(c.buf, sig); err != nil {
		return err
	}
	c.sumWrite(c.buf)
	c.pending = c.buf
	return nil
}

// checkChunk checks the signature of one chunk and advances the chain.
func (c *chunkedReader) checkChunk(data []byte, sig string) error {
	h := sha256.Sum256(data)
	var stack [320]byte
	b := append(stack[:0], chunkAlgorithm+"\n"...)
	b = c.appendScope(b)
	b = append(b, emptySHA256+"\n"...)
	b = hex.AppendEncode(b, h[:])
	return c.advance(b, sig)
}

func (c *chunkedReader) appendScope(b []byte) []byte {
	b = append(b, c.s.amzDate...)
	b = append(b, '\n')
	b = append(b, c.s.scope...)
	b = append(b, '\n')
	b = append(b, c.prev[:]...)
	return append(b, '\n')
}

// advance checks sig against the string to sign sts and makes it the
// previous signature.
func (c *chunkedReader) advance(sts []byte, sig string) error {
	mac := hmacSHA256(c.key[:], sts)
	var got [64]byte
	hex.Encode(got[:], mac[:])
	if !equalHex(&got, sig) {
		return &Error{Kind: ChunkSignatureMismatch, Message: msgChunkSig, StringToSign: string(sts),
			SignatureProvided: sig, AccessKeyID: c.s.AccessKeyID}
	}
	c.prev = got
	return nil
}

// finish handles the final zero-length chunk and the trailers.
func (c *chunkedReader) finish(sig string) error {
	if c.signed {
		if err := c.checkChunk(nil, sig); err != nil {
			return err
		}
	}
	if c.total != c.want {
		return newError(IncompleteBody, "You did not provide the number of bytes specified by the x-amz-decoded-content-length header")
	}
	if c.trailer {
		if err := c.readTrailers(); err != nil {
			return err
		}
	} else if err := c.readCRLF(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return io.EOF
}

func (c *chunkedReader) readTrailers() error {
	var canonical []byte
	var trailerSig, got string
	for {
		line, err := c.readLine()
		if errors.Is(err, io.EOF) || err == nil && line == "" {
			break
		}
		if err != nil {
			return err
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return newError(MalformedChunkedEncoding, msgMalformedTrl)
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == trailerSigName {
			trailerSig = value
			continue
		}
		canonical = append(append(append(append(canonical, name...), ':'), value...), '\n')
		if c.sum != nil && name == c.algo.header {
			got = value
		}
	}
	if c.signed {
		h := sha256.Sum256(canonical)
		var stack [320]byte
		b := append(stack[:0], trailerAlgorithm+"\n"...)
		b = c.appendScope(b)
		b = hex.AppendEncode(b, h[:])
		if err := c.advance(b, trailerSig); err != nil {
			return err
		}
	} else if trailerSig != "" {
		return newError(MalformedChunkedEncoding, msgMalformedTrl)
	}
	if c.sum == nil {
		return nil
	}
	if got == "" {
		return newError(MalformedChunkedEncoding, msgMalformedTrl)
	}
	if want := base64.StdEncoding.EncodeToString(c.sum.Sum(nil)); got != want {
		return newError(BadDigest, "The "+c.algo.label+" you specified did not match the calculated checksum.")
	}
	return nil
}

// readLine reads a CRLF-terminated line without its terminator.
func (c *chunkedReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", newError(MalformedChunkedEncoding, "Chunk header too long")
	case err == io.EOF && len(line) == 0:
		return "", io.EOF
	case err != nil:
		return "", newError(IncompleteBody, msgIncomplete)
	}
	line, ok := bytes.CutSuffix(line, []byte("\r\n"))
	if !ok {
		return "", newError(MalformedChunkedEncoding, "Chunk header lines must end with CRLF")
	}
	return string(line), nil
}

func (c *chunkedReader) readCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return newError(IncompleteBody, msgIncomplete)
	}
	if b != [2]byte{'\r', '\n'} {
		return newError(MalformedChunkedEncoding, "Chunk data must be followed by CRLF")
	}
	return nil
}
