package s3

import (
	"encoding/xml"
	"io"
	"net/http"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

// copyObjectResult is CopyObject's answer.
type copyObjectResult struct {
	XMLName           xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	ETag              string   `xml:"ETag"`
	LastModified      string   `xml:"LastModified"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	ChecksumCRC32     string   `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string   `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string   `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string   `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string   `xml:"ChecksumSHA256,omitempty"`
}

func (r *copyObjectResult) setChecksum(v *checksumValue) {
	if v == nil {
		return
	}
	r.ChecksumType = v.Type
	switch v.Algorithm {
	case "CRC32":
		r.ChecksumCRC32 = v.Value
	case "CRC32C":
		r.ChecksumCRC32C = v.Value
	case "CRC64NVME":
		r.ChecksumCRC64NVME = v.Value
	case "SHA1":
		r.ChecksumSHA1 = v.Value
	case "SHA256":
		r.ChecksumSHA256 = v.Value
	}
}

// copySourcePreconditions applies the x-amz-copy-source-if-* headers:
// any that fails is PreconditionFailed.
func copySourcePreconditions(h http.Header, o *object) error {
	ch := http.Header{}
	for _, name := range []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if v := h.Get("x-amz-copy-source-" + name); v != "" {
			ch.Set(name, v)
		}
	}
	if preconditions(ch, o.ETag, o.LastModified) != 0 {
		return &api.Error{Code: "PreconditionFailed", Status: http.StatusPreconditionFailed,
			Message: "At least one of the pre-conditions you specified did not hold"}
	}
	return nil
}

// readSource loads and checks the object a copy reads.
func (s *S3) readSource(c *api.Call) (*object, error) {
	bucket, key, err := copySource(c)
	if err != nil {
		return nil, err
	}
	o, err := s.loadObject(c, bucket, key)
	if err != nil {
		return nil, err
	}
	if err := copySourcePreconditions(c.HTTP.Header, o); err != nil {
		return nil, err
	}
	return o, nil
}

// copyTarget is where a copy writes: the destination's key and the
// encryption it gets (an upload's envelope for UploadPartCopy).
type copyTarget struct {
	bucket, key string
	sse         sseRequest
	env         *kmsEnvelope
}

// copyBody copies bytes [off, off+n) of src (decrypted, when it is
// SSE-KMS, with a key KMS decrypts for the caller) into a new pending blob
// encrypted as dst asks, hashing them with algo. It returns the blob, its
// digests, and the envelope and IV it is encrypted with.
func (s *S3) copyBody(c *api.Call, src *object, srcBucket, srcKey string, off, n int64, algo *algorithm, dst copyTarget) (blob.Ref, *digests, *kmsEnvelope, []byte, error) {
	var dataKey []byte
	if src.KMS != nil {
		var err error
		if dataKey, err = s.openDataKey(c, src.KMS, srcBucket, srcKey); err != nil {
			return blob.Ref{}, nil, nil, nil, err
		}
	}
	r, err := s.bodyReader(c.Context, src, off, n, dataKey)
	if err != nil {
		return blob.Ref{}, nil, nil, nil, err
	}
	defer func() { _ = r.Close() }()
	d := newDigests(algo)
	body, env, iv, err := s.sealBody(c, dst.sse, dst.bucket, dst.key, dst.env, io.TeeReader(io.LimitReader(r, n), d))
	if err != nil {
		return blob.Ref{}, nil, nil, nil, err
	}
	ref, err := blob.Put(c.Context, s.cfg.Store, body)
	return ref, d, env, iv, err
}

const selfCopy = "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."

// copyObject is CopyObject: the source's bytes into a new object, with the
// source's metadata and tags (directive COPY) or the request's (REPLACE).
func (s *S3) copyObject(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	h := c.HTTP.Header
	metaDirective, tagDirective := h.Get("x-amz-metadata-directive"), h.Get("x-amz-tagging-directive")
	for name, v := range map[string]string{"x-amz-metadata-directive": metaDirective, "x-amz-tagging-directive": tagDirective} {
		if v != "" && v != "COPY" && v != "REPLACE" {
			return nil, errInvalidArgument("Unknown "+map[bool]string{true: "metadata", false: "tagging"}[name == "x-amz-metadata-directive"]+" directive.", name, v)
		}
	}
	if err := refuseUnsupported(h); err != nil {
		return nil, err
	}
	sse, err := parseSSE(h)
	if err != nil {
		return nil, err
	}
	if err := s.writableBucket(c, bucket); err != nil {
		return nil, err
	}
	src, err := s.readSource(c)
	if err != nil {
		return nil, err
	}
	srcBucket, srcKey, _ := copySource(c)
	var algo *algorithm
	if name := h.Get("x-amz-checksum-algorithm"); name != "" {
		a, ok := algorithmNamed(name)
		if !ok {
			return nil, errInvalidArgument("Invalid value for x-amz-checksum-algorithm", "x-amz-checksum-algorithm", name)
		}
		algo = &a
	} else if src.Checksum != nil {
		a, _ := algorithmNamed(src.Checksum.Algorithm)
		algo = &a
	}
	if srcBucket == bucket && srcKey == key && metaDirective != "REPLACE" && h.Get("x-amz-server-side-encryption") == "" && algo != nil &&
		(src.Checksum == nil || algo.Name == src.Checksum.Algorithm) && h.Get("x-amz-storage-class") == "" {
		return nil, api.Errorf(400, "InvalidRequest", "%s", selfCopy)
	}
	o := &object{Key: key, Owner: s.objectOwner(c, bucket), Headers: src.Headers, Meta: src.Meta, Tags: src.Tags}
	if metaDirective == "REPLACE" {
		if o.Headers, o.Meta, err = requestHeaders(h); err != nil {
			return nil, err
		}
	}
	if tagDirective == "REPLACE" {
		o.Tags = nil
		if v := h.Get("x-amz-tagging"); v != "" {
			if o.Tags, err = parseTagging(v); err != nil {
				return nil, err
			}
		}
	}
	// The copy is encrypted as the request says, else as the bucket's
	// default (SSE-S3), whatever the source's encryption.
	ref, d, env, iv, err := s.copyBody(c, src, srcBucket, srcKey, 0, src.Size, algo, copyTarget{bucket: bucket, key: key, sse: sse})
	if err != nil {
		return nil, err
	}
	o.SSE, o.KMS = sse.Algorithm, env
	o.Size, o.ETag, o.Checksum = ref.Size, d.etag(), d.value()
	o.LastModified = s.now().UTC().Truncate(time.Second)
	o.Blobs = []bodyPart{{ID: ref.ID, Size: ref.Size, IV: iv}}
	if _, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if err := requireBucket(c.Context, tx, bucket); err != nil {
			return err
		}
		return putObjectRecord(c.Context, tx, bucket, o, true, c.HTTP.Header)
	}); err != nil {
		s.dropBlob(c.Context, ref.ID)
		return nil, err
	}
	s.trailBucket(c, bucket)
	res := &copyObjectResult{ETag: o.ETag, LastModified: s3Time(o.LastModified)}
	res.setChecksum(o.Checksum)
	return res, nil
}
