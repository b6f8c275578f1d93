package s3

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

// maxObjectSize is the largest PutObject body and upload part: 5 GiB.
const maxObjectSize = 5 << 30

// objectOps returns the operations on objects and multipart uploads.
func (s *S3) objectOps() []*api.Operation {
	obj := "/{Bucket}/{Key+}"
	return []*api.Operation{
		{Name: "PutObject", Action: "s3:PutObject", Category: api.Data, Streaming: true, MaxBody: maxObjectSize,
			HTTP:     api.HTTP{Method: "PUT", Path: obj},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.putObject},
		{Name: "CopyObject", Action: "s3:PutObject", Category: api.Data,
			HTTP:     api.HTTP{Method: "PUT", Path: obj, Header: []string{"x-amz-copy-source"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.copyObject,
			Also: []api.Check{{Action: "s3:GetObject", Resource: s.copySourceResource, Conditions: s.copySourceConditions}}},
		{Name: "GetObject", Action: "s3:GetObject", Category: api.Data, ReadOnly: true,
			HTTP:     api.HTTP{Method: "GET", Path: obj},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.getObjectOp},
		{Name: "HeadObject", Action: "s3:GetObject", Category: api.Data, ReadOnly: true,
			HTTP:     api.HTTP{Method: "HEAD", Path: obj},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.headObject},
		{Name: "DeleteObject", Action: "s3:DeleteObject", Category: api.Data, SuccessStatus: 204,
			HTTP:     api.HTTP{Method: "DELETE", Path: obj},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.deleteObject},
		// Each key of a DeleteObjects is authorized as s3:DeleteObject.
		{Name: "DeleteObjects", Category: api.Data, Streaming: true,
			HTTP:     api.HTTP{Method: "POST", Path: "/{Bucket}", Query: []string{"delete"}},
			Resource: s.bucketResource, Handle: s.deleteObjects},
		{Name: "ListObjectsV2", Action: "s3:ListBucket", ReadOnly: true, Category: api.Data,
			HTTP:     api.HTTP{Method: "GET", Path: "/{Bucket}", Query: []string{"list-type=2"}},
			Resource: s.bucketResource, Conditions: s.bucketConditions, Handle: s.listObjectsV2},
		{Name: "ListObjects", Action: "s3:ListBucket", ReadOnly: true, Category: api.Data,
			HTTP:     api.HTTP{Method: "GET", Path: "/{Bucket}"},
			Resource: s.bucketResource, Conditions: s.bucketConditions, Handle: s.listObjectsV1},
		{Name: "PutObjectTagging", Action: "s3:PutObjectTagging", Category: api.Data,
			HTTP:     api.HTTP{Method: "PUT", Path: obj, Query: []string{"tagging"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.putObjectTagging},
		{Name: "GetObjectTagging", Action: "s3:GetObjectTagging", Category: api.Data, ReadOnly: true,
			HTTP:     api.HTTP{Method: "GET", Path: obj, Query: []string{"tagging"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.getObjectTagging},
		{Name: "DeleteObjectTagging", Action: "s3:DeleteObjectTagging", Category: api.Data, SuccessStatus: 204,
			HTTP:     api.HTTP{Method: "DELETE", Path: obj, Query: []string{"tagging"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.deleteObjectTagging},
		{Name: "CreateMultipartUpload", Action: "s3:PutObject", Category: api.Data,
			HTTP:     api.HTTP{Method: "POST", Path: obj, Query: []string{"uploads"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.createMultipartUpload},
		{Name: "UploadPart", Action: "s3:PutObject", Category: api.Data, Streaming: true, MaxBody: maxObjectSize,
			HTTP:     api.HTTP{Method: "PUT", Path: obj, Query: []string{"partNumber", "uploadId"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.uploadPart},
		{Name: "UploadPartCopy", Action: "s3:PutObject", Category: api.Data,
			HTTP:     api.HTTP{Method: "PUT", Path: obj, Query: []string{"partNumber", "uploadId"}, Header: []string{"x-amz-copy-source"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.uploadPartCopy,
			Also: []api.Check{{Action: "s3:GetObject", Resource: s.copySourceResource, Conditions: s.copySourceConditions}}},
		{Name: "CompleteMultipartUpload", Action: "s3:PutObject", Category: api.Data, Streaming: true,
			HTTP:     api.HTTP{Method: "POST", Path: obj, Query: []string{"uploadId"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.completeMultipartUpload},
		{Name: "AbortMultipartUpload", Action: "s3:AbortMultipartUpload", Category: api.Data, SuccessStatus: 204,
			HTTP:     api.HTTP{Method: "DELETE", Path: obj, Query: []string{"uploadId"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.abortMultipartUpload},
		{Name: "ListParts", Action: "s3:ListMultipartUploadParts", Category: api.Data, ReadOnly: true,
			HTTP:     api.HTTP{Method: "GET", Path: obj, Query: []string{"uploadId"}},
			Resource: s.objectResource, Conditions: s.objectConditions, Handle: s.listParts},
		{Name: "ListMultipartUploads", Action: "s3:ListBucketMultipartUploads", Category: api.Data, ReadOnly: true,
			HTTP:     api.HTTP{Method: "GET", Path: "/{Bucket}", Query: []string{"uploads"}},
			Resource: s.bucketResource, Handle: s.listMultipartUploads},
	}
}

// putObject is PutObject: the body is streamed into a blob, hashed on the
// way, checked against its declared Content-MD5 and checksum, and only then
// recorded.
func (s *S3) putObject(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := refuseUnsupported(c.HTTP.Header); err != nil {
		return nil, err
	}
	stored, meta, err := requestHeaders(c.HTTP.Header)
	if err != nil {
		return nil, err
	}
	sse, err := parseSSE(c.HTTP.Header)
	if err != nil {
		return nil, err
	}
	var tags []tag
	if v := c.HTTP.Header.Get("x-amz-tagging"); v != "" {
		if tags, err = parseTagging(v); err != nil {
			return nil, err
		}
		if err := s.authorizeObject(c, "s3:PutObjectTagging", bucket, key); err != nil {
			return nil, err
		}
	}
	bc, e := parseBodyCheck(c.HTTP.Header)
	if e != nil {
		return nil, e
	}
	if err := s.writableBucket(c, bucket); err != nil {
		return nil, err
	}
	d := newDigests(bc.algo)
	body, env, iv, err := s.sealBody(c, sse, bucket, key, nil, io.TeeReader(c.Body, d))
	if err != nil {
		return nil, err
	}
	ref, err := blob.Put(c.Context, s.cfg.Store, body)
	if err != nil {
		return nil, err
	}
	if e := d.check(bc); e != nil {
		s.dropBlob(c.Context, ref.ID)
		return nil, e
	}
	o := &object{Key: key, Size: ref.Size, ETag: d.etag(), LastModified: s.now().UTC().Truncate(time.Second),
		Owner: s.objectOwner(c, bucket), Headers: stored, Meta: meta, Tags: tags, Checksum: d.value(),
		Blobs: []bodyPart{{ID: ref.ID, Size: ref.Size, IV: iv}}, SSE: sse.Algorithm, KMS: env}
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
	h := http.Header{}
	h.Set("ETag", o.ETag)
	if bc.algo != nil {
		o.Checksum.header(h)
	}
	sseHeaders(h, o.SSE, o.KMS)
	return &api.Raw{Header: h, NoBody: true}, nil
}

// loadObject reads the call's object, failing with NoSuchBucket or NoSuchKey.
func (s *S3) loadObject(c *api.Call, bucket, key string) (*object, error) {
	if err := requireBucket(c.Context, s.cfg.Store, bucket); err != nil {
		return nil, err
	}
	o, err := getObject(c.Context, s.cfg.Store, bucket, key)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, s.missingKey(c, bucket, key)
	}
	return o, nil
}

// missingKey is S3's answer for an object that does not exist: NoSuchKey
// (404) to a caller allowed s3:ListBucket on the bucket, AccessDenied (403)
// to any other, who learns nothing of which keys exist (S3 API Reference,
// GetObject and HeadObject, "Permissions").
func (s *S3) missingKey(c *api.Call, bucket, key string) error {
	if c.Authorize != nil {
		if err := s.authorizeBucket(c, "s3:ListBucket", bucket); err != nil {
			return err
		}
	}
	return errNoSuchKey(key)
}

// responseOverrides are the GetObject query parameters that set a header of
// the response.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func (s *S3) getObjectOp(c *api.Call) (any, error) { return s.readObject(c, false) }

func (s *S3) headObject(c *api.Call) (any, error) { return s.readObject(c, true) }

// readObject is GetObject and HeadObject: conditional headers first, then
// the range, then the body streamed from its blobs.
// A key that does not exist is NoSuchKey only to a caller that may list
// the bucket (see missingKey).
func (s *S3) readObject(c *api.Call, head bool) (any, error) {
	bucket, key := pathParams(c)
	o, err := s.loadObject(c, bucket, key)
	if err != nil {
		return nil, err
	}
	s.trailBucket(c, bucket)
	h := objectHeaders(o)
	if status := preconditions(c.HTTP.Header, o.ETag, o.LastModified); status != 0 {
		if status == http.StatusPreconditionFailed {
			return nil, preconditionFailed(c.HTTP.Header)
		}
		nm := http.Header{}
		for _, k := range []string{"ETag", "Last-Modified"} {
			nm.Set(k, h.Get(k))
		}
		return &api.Raw{Status: http.StatusNotModified, Header: nm, NoBody: true}, nil
	}
	for q, name := range responseOverrides {
		if v := query(c, q); v != "" {
			h.Set(name, v)
		}
	}
	off, n, partial, err := parseRange(header(c, "Range"), o.Size)
	if err != nil {
		return nil, err
	}
	if v := query(c, "partNumber"); v != "" {
		if off, n, partial, err = partRange(c, o, v); err != nil {
			return nil, err
		}
		h.Set("x-amz-mp-parts-count", strconv.Itoa(len(o.Blobs)))
	}
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", "bytes "+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+n-1, 10)+"/"+strconv.FormatInt(o.Size, 10))
	} else if header(c, "x-amz-checksum-mode") == "ENABLED" {
		o.Checksum.header(h)
	}
	if head {
		h.Set("Content-Length", strconv.FormatInt(n, 10))
		return &api.Raw{Status: status, Header: h, NoBody: true}, nil
	}
	var dataKey []byte
	if o.KMS != nil {
		if dataKey, err = s.openDataKey(c, o.KMS, bucket, key); err != nil {
			return nil, err
		}
	}
	body, err := s.bodyReader(c.Context, o, off, n, dataKey)
	if err != nil {
		return nil, err
	}
	return &api.Raw{Status: status, Header: h, Stream: body, Length: n}, nil
}

// partRange is the byte range of part v of an object (GetObject and
// HeadObject with partNumber): a part of a multipart upload, or the whole
// of an object stored in one piece as part 1.
func partRange(c *api.Call, o *object, v string) (off, n int64, partial bool, err error) {
	if header(c, "Range") != "" {
		return 0, 0, false, api.Errorf(400, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
	}
	num, perr := strconv.Atoi(v)
	if perr != nil || num < 1 || num > 10000 {
		return 0, 0, false, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
	}
	if num > len(o.Blobs) {
		return 0, 0, false, api.Errorf(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable")
	}
	if len(o.Blobs) == 1 {
		return 0, o.Size, false, nil
	}
	for _, p := range o.Blobs[:num-1] {
		off += p.Size
	}
	return off, o.Blobs[num-1].Size, true, nil
}

// deleteObject is DeleteObject: idempotent, 204 whether or not the key
// existed.
func (s *S3) deleteObject(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	if err := requireBucket(c.Context, s.cfg.Store, bucket); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		return deleteObjectRecord(c, tx, bucket, key)
	}); err != nil {
		return nil, err
	}
	s.trailBucket(c, bucket)
	return &api.Raw{Status: http.StatusNoContent, NoBody: true}, nil
}

// deleteObjectRecord deletes an object and its body within tx; a missing
// object is not an error.
func deleteObjectRecord(c *api.Call, tx store.Tx, bucket, key string) error {
	o, err := getObject(c.Context, tx, bucket, key)
	if err != nil {
		return err
	}
	if c.HTTP != nil && c.Operation != nil && c.Operation.Name == "DeleteObject" && c.HTTP.Header.Get("If-Match") != "" {
		if err := writeConditions(http.Header{"If-Match": {c.HTTP.Header.Get("If-Match")}}, o, key); err != nil {
			return err
		}
	}
	if o == nil {
		return nil
	}
	if err := deleteBlobs(c.Context, tx, o.Blobs); err != nil {
		return err
	}
	return tx.Delete(c.Context, objectsTable, objectKey(bucket, key))
}

// trailBucket lists the bucket among the trail record's resources, after
// the object, as CloudTrail's data events do.
func (s *S3) trailBucket(c *api.Call, bucket string) {
	c.Trail.Resources = append(c.Trail.Resources, api.TrailResource{ARN: "arn:aws:s3:::" + bucket, AccountID: s.cfg.Account, Type: "AWS::S3::Bucket"})
}
