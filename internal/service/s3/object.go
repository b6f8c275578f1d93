package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

// This file holds the stored object, its headers and body, and the errors
// of object operations.

// maxKeyLength is the longest object key, in bytes of UTF-8.
const maxKeyLength = 1024

// maxMetadata is the most user metadata an object may carry: the sum of
// the lengths of the x-amz-meta-* names (without the prefix) and values.
const maxMetadata = 2 << 10

// object is a stored object (objectsTable, bucket + "/" + key).
type object struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"` // quoted
	LastModified time.Time `json:"lastModified"`
	Owner        string    `json:"owner"` // account that wrote it
	// Headers are the stored representation headers (Content-Type, ...)
	// by canonical name.
	Headers map[string]string `json:"headers,omitempty"`
	// Meta is the user metadata by lower-case name, without x-amz-meta-.
	Meta map[string]string `json:"meta,omitempty"`
	// Tags are the object's tags (access.go reads them for
	// s3:ExistingObjectTag).
	Tags     []tag          `json:"tags,omitempty"`
	Checksum *checksumValue `json:"checksum,omitempty"`
	// Blobs hold the body, in order: one for a PutObject, one per part for
	// a completed multipart upload.
	Blobs []bodyPart `json:"blobs"`
	// SSE is the server-side encryption ("AES256", "aws:kms"); KMS holds
	// the data key of an aws:kms object.
	SSE string       `json:"sse,omitempty"`
	KMS *kmsEnvelope `json:"kms,omitempty"`
}

// bodyPart is one blob of an object's body.
type bodyPart struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
	IV   []byte `json:"iv,omitempty"` // SSE-KMS: the CTR IV of the blob
}

// storedHeaders are the representation headers S3 keeps with an object
// and returns on GET and HEAD.
var storedHeaders = []string{"Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// defaultContentType is S3's Content-Type of an object stored without one.
const defaultContentType = "binary/octet-stream"

// tag is an object or bucket tag.
type tag struct {
	Key   string `json:"key" xml:"Key"`
	Value string `json:"value" xml:"Value"`
}

func objectKey(bucket, key string) string { return bucket + "/" + key }

// objectARN is an object's ARN.
func objectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }

// getObject reads an object; nil when there is none.
func getObject(ctx context.Context, r store.Reader, bucket, key string) (*object, error) {
	b, err := r.Get(ctx, objectsTable, objectKey(bucket, key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("s3: object %s/%s: %w", bucket, key, err)
	}
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("s3: object %s/%s: %w", bucket, key, err)
	}
	return &o, nil
}

// putObjectRecord stores o in bucket within tx, committing its pending
// blobs and deleting those of the object it replaces. h, when set, holds
// the write's conditional headers (writeConditions).
func putObjectRecord(ctx context.Context, tx store.Tx, bucket string, o *object, commit bool, h http.Header) error {
	old, err := getObject(ctx, tx, bucket, o.Key)
	if err != nil {
		return err
	}
	if h != nil {
		if err := writeConditions(h, old, o.Key); err != nil {
			return err
		}
	}
	if old != nil {
		if err := deleteBlobs(ctx, tx, old.Blobs); err != nil {
			return err
		}
	}
	if commit {
		for _, b := range o.Blobs {
			if err := blob.Commit(ctx, tx, b.ID); err != nil {
				return fmt.Errorf("s3: commit body of %s/%s: %w", bucket, o.Key, err)
			}
		}
	}
	return store.PutJSON(ctx, tx, objectsTable, objectKey(bucket, o.Key), o)
}

func deleteBlobs(ctx context.Context, tx store.Tx, parts []bodyPart) error {
	for _, b := range parts {
		if err := blob.Delete(ctx, tx, b.ID); err != nil {
			return fmt.Errorf("s3: delete body: %w", err)
		}
	}
	return nil
}

// dropBlob removes a pending blob whose transaction failed; Sweep removes
// it when this fails too.
func (s *S3) dropBlob(ctx context.Context, id string) {
	ctx = context.WithoutCancel(ctx)
	_, _ = s.cfg.Store.Update(ctx, func(tx store.Tx) error { return blob.Delete(ctx, tx, id) })
}

// requireBucket fails with NoSuchBucket when bucket does not exist.
func requireBucket(ctx context.Context, r store.Reader, bucket string) error {
	_, err := r.Get(ctx, bucketsTable, bucket)
	if errors.Is(err, store.ErrNotFound) {
		return errNoSuchBucket(bucket)
	}
	if err != nil {
		return fmt.Errorf("s3: bucket %s: %w", bucket, err)
	}
	return nil
}

// writableBucket checks, before a body is read, that bucket exists (its
// ACL rules are checked with its resource, access.go).
func (s *S3) writableBucket(c *api.Call, bucket string) error {
	_, err := s.loadBucket(c.Context, s.cfg.Store, bucket)
	return err
}

// bodyReader streams bytes [off, off+n) of an object's body, decrypted
// with dataKey when the object is SSE-KMS.
func (s *S3) bodyReader(ctx context.Context, o *object, off, n int64, dataKey []byte) (io.ReadCloser, error) {
	var readers []io.Reader
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			_ = c.Close()
		}
	}
	pos := int64(0)
	for _, p := range o.Blobs {
		start, end := pos, pos+p.Size
		pos = end
		if end <= off || start >= off+n {
			continue
		}
		// Reading starts at the chunk holding the range's first byte.
		skip := max(off-start, 0)
		r, err := blob.OpenAt(ctx, s.cfg.Store, p.ID, skip)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("s3: open body of %s: %w", o.Key, err)
		}
		closers = append(closers, r)
		var rd io.Reader = r
		if o.KMS != nil {
			if rd, err = ctrReader(dataKey, p.IV, skip, r); err != nil {
				closeAll()
				return nil, fmt.Errorf("s3: decrypt body of %s: %w", o.Key, err)
			}
		}
		start += skip
		if stop := off + n; stop < end {
			rd = io.LimitReader(rd, stop-start)
		} else {
			rd = io.LimitReader(rd, end-start+1) // read to EOF: the blob checks itself
		}
		readers = append(readers, rd)
	}
	return &multiBody{Reader: io.MultiReader(readers...), closers: closers}, nil
}

type multiBody struct {
	io.Reader
	closers []io.Closer
}

func (m *multiBody) Close() error {
	for _, c := range m.closers {
		_ = c.Close()
	}
	return nil
}

// objectHeaders are an object's headers on GET and HEAD.
func objectHeaders(o *object) http.Header {
	h := http.Header{}
	h.Set("ETag", o.ETag)
	h.Set("Last-Modified", o.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	for _, name := range storedHeaders {
		if v := o.Headers[name]; v != "" {
			h.Set(name, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", defaultContentType)
	}
	names := make([]string, 0, len(o.Meta))
	for k := range o.Meta {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		h["x-amz-meta-"+k] = []string{o.Meta[k]}
	}
	if len(o.Tags) > 0 {
		h.Set("x-amz-tagging-count", fmt.Sprint(len(o.Tags)))
	}
	sseHeaders(h, o.SSE, o.KMS)
	if len(o.Blobs) > 1 || o.Checksum != nil && o.Checksum.Type == composite {
		h.Set("x-amz-mp-parts-count", fmt.Sprint(len(o.Blobs)))
	}
	return h
}

// requestHeaders reads the representation headers and user metadata of a
// PutObject, CopyObject (REPLACE) or CreateMultipartUpload.
func requestHeaders(h http.Header) (map[string]string, map[string]string, error) {
	stored := map[string]string{}
	for _, name := range storedHeaders {
		v := h.Get(name)
		if name == "Content-Encoding" {
			// aws-chunked is the request's framing, not the object's.
			var keep []string
			for _, e := range strings.Split(v, ",") {
				if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
					keep = append(keep, e)
				}
			}
			v = strings.Join(keep, ",")
		}
		if v != "" {
			stored[name] = v
		}
	}
	meta := map[string]string{}
	size := 0
	for name, vs := range h {
		lower := strings.ToLower(name)
		if k, ok := strings.CutPrefix(lower, "x-amz-meta-"); ok && k != "" {
			v := strings.Join(vs, ",")
			meta[k] = v
			size += len(k) + len(v)
		}
	}
	if size > maxMetadata {
		return nil, nil, &api.Error{Code: "MetadataTooLarge", Status: 400,
			Message: "Your metadata headers exceed the maximum allowed metadata size.",
			Fields:  map[string]any{"Size": fmt.Sprint(size), "MaxSizeAllowed": fmt.Sprint(maxMetadata)}}
	}
	return stored, meta, nil
}

// unsupportedHeaders are the write headers of S3 features rolecall does not
// keep: a write naming them is refused (NotImplemented), not stored
// without them. STANDARD storage is what every object gets.
var unsupportedHeaders = []string{"x-amz-website-redirect-location", "x-amz-object-lock-mode",
	"x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold", "x-amz-request-payer"}

// refuseUnsupported refuses a write asking for what rolecall does not keep.
func refuseUnsupported(h http.Header) error {
	if sc := h.Get("x-amz-storage-class"); sc != "" && sc != "STANDARD" {
		return api.Errorf(501, "NotImplemented", "A header you provided implies functionality that is not implemented.")
	}
	for _, name := range unsupportedHeaders {
		if h.Get(name) != "" {
			return api.Errorf(501, "NotImplemented", "A header you provided implies functionality that is not implemented.")
		}
	}
	return nil
}

// checkKey refuses a key longer than S3 allows.
func checkKey(key string) error {
	if len(key) > maxKeyLength {
		return &api.Error{Code: "KeyTooLongError", Status: 400, Message: "Your key is too long",
			Fields: map[string]any{"Size": fmt.Sprint(len(key)), "MaxSizeAllowed": fmt.Sprint(maxKeyLength)}}
	}
	return nil
}

// pathParams returns the call's bucket and key.
func pathParams(c *api.Call) (string, string) {
	return c.PathParams["Bucket"], c.PathParams["Key"]
}

// s3Time is S3's time format in XML documents.
func s3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// query returns a query parameter.
func query(c *api.Call, name string) string {
	if c.HTTP == nil {
		return ""
	}
	return c.HTTP.URL.Query().Get(name)
}

// header returns a request header.
func header(c *api.Call, name string) string {
	if c.HTTP == nil {
		return ""
	}
	return c.HTTP.Header.Get(name)
}

// parseTagging parses the x-amz-tagging header (a URL query string) into
// tags in key order.
func parseTagging(v string) ([]tag, error) {
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, errInvalidTag("The TagValue you have provided is invalid")
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tags []tag
	for _, k := range keys {
		if len(q[k]) > 1 {
			return nil, errInvalidTag("Cannot provide multiple Tags with the same key")
		}
		tags = append(tags, tag{Key: k, Value: q[k][0]})
	}
	return tags, checkTags(tags)
}

// checkTags applies S3's limits on object tags.
func checkTags(tags []tag) error {
	if len(tags) > 10 {
		return errInvalidTag("Object tags cannot be greater than 10")
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		switch {
		case seen[t.Key]:
			return errInvalidTag("Cannot provide multiple Tags with the same key")
		case t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKey:
			return errInvalidTag("The TagKey you have provided is invalid")
		case utf8.RuneCountInString(t.Value) > maxTagValue:
			return errInvalidTag("The TagValue you have provided is invalid")
		}
		seen[t.Key] = true
	}
	return nil
}
