package s3

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

// minPartSize is the smallest part of a multipart upload but its last.
const minPartSize = 5 << 20

// upload is a multipart upload in progress (uploadsTable, bucket + "/" + ID).
type upload struct {
	ID        string            `json:"id"`
	Key       string            `json:"key"`
	Initiated time.Time         `json:"initiated"`
	Owner     string            `json:"owner"`               // the account that will own the object
	Initiator string            `json:"initiator,omitempty"` // Initiator's ID (initiator)
	Headers   map[string]string `json:"headers,omitempty"`
	Meta      map[string]string `json:"meta,omitempty"`
	Tags      []tag             `json:"tags,omitempty"`
	SSE       string            `json:"sse,omitempty"`
	KMS       *kmsEnvelope      `json:"kms,omitempty"`
	// Checksum is the algorithm named at creation ("" for none) and the type.
	Checksum     string `json:"checksum,omitempty"`
	ChecksumType string `json:"checksumType,omitempty"`
}

// part is an uploaded part (partsTable, upload ID + "/" + 5-digit number).
type part struct {
	Number       int       `json:"number"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	MD5          string    `json:"md5"` // hex
	Checksum     string    `json:"checksum"`
	Algorithm    string    `json:"algorithm"`
	Blob         string    `json:"blob"`
	IV           []byte    `json:"iv,omitempty"`
	LastModified time.Time `json:"lastModified"`
}

func noSuchUpload(id string) *api.Error {
	return s3Error(http.StatusNotFound, "NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", "UploadId", id)
}

func partKey(id string, n int) string { return fmt.Sprintf("%s/%05d", id, n) }

func (s *S3) getUpload(c *api.Call, r store.Reader, bucket, key, id string) (*upload, error) {
	b, err := r.Get(c.Context, uploadsTable, bucket+"/"+id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noSuchUpload(id)
	}
	if err != nil {
		return nil, fmt.Errorf("s3: upload %s: %w", id, err)
	}
	var u upload
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, fmt.Errorf("s3: upload %s: %w", id, err)
	}
	if u.Key != key {
		return nil, noSuchUpload(id)
	}
	return &u, nil
}

func listPartsOf(c *api.Call, r store.Reader, id string) ([]part, error) {
	items, err := r.List(c.Context, partsTable, id+"/", "", 0)
	if err != nil {
		return nil, fmt.Errorf("s3: parts of %s: %w", id, err)
	}
	parts := make([]part, 0, len(items))
	for _, it := range items {
		var p part
		if err := json.Unmarshal(it.Value, &p); err != nil {
			return nil, fmt.Errorf("s3: part %s: %w", it.Key, err)
		}
		parts = append(parts, p)
	}
	return parts, nil
}

type initiateResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (s *S3) createMultipartUpload(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	h := c.HTTP.Header
	if err := refuseUnsupported(h); err != nil {
		return nil, err
	}
	stored, meta, err := requestHeaders(h)
	if err != nil {
		return nil, err
	}
	sse, err := parseSSE(h)
	if err != nil {
		return nil, err
	}
	if err := s.writableBucket(c, bucket); err != nil {
		return nil, err
	}
	u := &upload{ID: newUploadID(), Key: key, Initiated: s.now().UTC(), Owner: s.objectOwner(c, bucket), Initiator: initiator(c), Headers: stored, Meta: meta, SSE: sse.Algorithm}
	if sse.Algorithm == sseKMS {
		if u.KMS, _, err = s.newDataKey(c, sse, bucket, key); err != nil {
			return nil, err
		}
	}
	if v := h.Get("x-amz-tagging"); v != "" {
		if u.Tags, err = parseTagging(v); err != nil {
			return nil, err
		}
	}
	if name := h.Get("x-amz-checksum-algorithm"); name != "" {
		a, ok := algorithmNamed(name)
		if !ok {
			return nil, errInvalidArgument("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]", "x-amz-checksum-algorithm", name)
		}
		u.Checksum, u.ChecksumType = a.Name, composite
		if a.Name == "CRC64NVME" {
			u.ChecksumType = fullObject
		}
		switch t := h.Get("x-amz-checksum-type"); {
		case t == "":
		case t == fullObject && a.crc, t == composite && a.Name != "CRC64NVME":
			u.ChecksumType = t
		default:
			return nil, api.Errorf(400, "InvalidRequest", "The %s checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(t), strings.ToLower(a.Name))
		}
	}
	if _, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if err := requireBucket(c.Context, tx, bucket); err != nil {
			return err
		}
		return store.PutJSON(c.Context, tx, uploadsTable, bucket+"/"+u.ID, u)
	}); err != nil {
		return nil, err
	}
	s.trailBucket(c, bucket)
	c.Trail.ResponseElements = map[string]any{"bucket": bucket, "key": key, "uploadId": u.ID}
	resp := &initiateResult{Bucket: bucket, Key: key, UploadID: u.ID}
	if u.Checksum != "" {
		c.Trail.ResponseElements["checksumAlgorithm"] = u.Checksum
	}
	return withHeaders(resp, u), nil
}

// withHeaders answers an initiate result with the checksum headers S3 adds.
func withHeaders(v *initiateResult, u *upload) any {
	if u.Checksum == "" && u.SSE == "" && u.KMS == nil {
		return v
	}
	body, err := xml.Marshal(v)
	if err != nil {
		return api.InternalFailure(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	if u.Checksum != "" {
		h.Set("x-amz-checksum-algorithm", u.Checksum)
		h.Set("x-amz-checksum-type", u.ChecksumType)
	}
	sseHeaders(h, u.SSE, u.KMS)
	return &api.Raw{Header: h, Body: append([]byte(xml.Header), body...)}
}

// initiator is the ID an upload's Initiator shows for the caller: its
// ARN for an IAM principal, its account's canonical user ID for a root user.
func initiator(c *api.Call) string {
	if c.Principal == nil || c.Principal.Type == api.Root {
		return canonicalID(c.Account)
	}
	return c.Principal.ARN
}

func newUploadID() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// partNumber reads the partNumber query parameter.
func partNumber(c *api.Call) (int, error) {
	v := c.Params.Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return 0, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
	}
	return n, nil
}

// uploadPart is UploadPart: the part is streamed into a blob and checked
// like a PutObject body, against the upload's checksum algorithm.
func (s *S3) uploadPart(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	n, err := partNumber(c)
	if err != nil {
		return nil, err
	}
	id := c.Params.Get("uploadId")
	bc, e := parseBodyCheck(c.HTTP.Header)
	if e != nil {
		return nil, e
	}
	u, err := s.getUpload(c, s.cfg.Store, bucket, key, id)
	if err != nil {
		return nil, err
	}
	algo := bc.algo
	if u.Checksum != "" {
		a, _ := algorithmNamed(u.Checksum)
		if algo != nil && algo.Name != a.Name {
			return nil, api.Errorf(400, "InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", strings.ToLower(a.Name), strings.ToLower(algo.Name))
		}
		algo = &a
	}
	d := newDigests(algo)
	body, _, iv, err := s.sealBody(c, sseRequest{Algorithm: u.SSE}, bucket, key, u.KMS, io.TeeReader(c.Body, d))
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
	p := part{Number: n, Size: ref.Size, ETag: d.etag(), MD5: hex.EncodeToString(d.md5.Sum(nil)),
		Checksum: d.value().Value, Algorithm: d.algo.Name, Blob: ref.ID, IV: iv, LastModified: s.now().UTC()}
	if err := s.storePart(c, bucket, key, id, p); err != nil {
		s.dropBlob(c.Context, ref.ID)
		return nil, err
	}
	s.trailBucket(c, bucket)
	h := http.Header{}
	h.Set("ETag", p.ETag)
	if u.Checksum != "" || bc.algo != nil {
		h.Set("x-amz-checksum-"+strings.ToLower(p.Algorithm), p.Checksum)
	}
	sseHeaders(h, u.SSE, u.KMS)
	return &api.Raw{Header: h, NoBody: true}, nil
}

// storePart records a part, committing its blob and deleting the blob of
// the part it replaces.
func (s *S3) storePart(c *api.Call, bucket, key, id string, p part) error {
	_, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if _, err := s.getUpload(c, tx, bucket, key, id); err != nil {
			return err
		}
		if b, err := tx.Get(c.Context, partsTable, partKey(id, p.Number)); err == nil {
			var old part
			if err := json.Unmarshal(b, &old); err != nil {
				return fmt.Errorf("s3: part %d: %w", p.Number, err)
			}
			if err := blob.Delete(c.Context, tx, old.Blob); err != nil {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := blob.Commit(c.Context, tx, p.Blob); err != nil {
			return fmt.Errorf("s3: commit part %d: %w", p.Number, err)
		}
		return store.PutJSON(c.Context, tx, partsTable, partKey(id, p.Number), p)
	})
	return err
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
}

// uploadPartCopy is UploadPartCopy: a part copied from an object, whole
// or the x-amz-copy-source-range "bytes=first-last".
func (s *S3) uploadPartCopy(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	n, err := partNumber(c)
	if err != nil {
		return nil, err
	}
	id := c.Params.Get("uploadId")
	u, err := s.getUpload(c, s.cfg.Store, bucket, key, id)
	if err != nil {
		return nil, err
	}
	src, err := s.readSource(c)
	if err != nil {
		return nil, err
	}
	off, size := int64(0), src.Size
	if v := header(c, "x-amz-copy-source-range"); v != "" {
		spec, _ := strings.CutPrefix(v, "bytes=")
		a, b, ok := strings.Cut(spec, "-")
		first, err1 := strconv.ParseInt(a, 10, 64)
		last, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || first < 0 || last < first {
			return nil, errInvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", v)
		}
		if last >= src.Size {
			return nil, errInvalidArgument("Range specified is not valid for source object of size: "+strconv.FormatInt(src.Size, 10), "x-amz-copy-source-range", v)
		}
		off, size = first, last-first+1
	}
	var algo *algorithm
	if u.Checksum != "" {
		a, _ := algorithmNamed(u.Checksum)
		algo = &a
	}
	srcBucket, srcKey, _ := copySource(c)
	ref, d, _, iv, err := s.copyBody(c, src, srcBucket, srcKey, off, size, algo, copyTarget{bucket: bucket, key: key, sse: sseRequest{Algorithm: u.SSE}, env: u.KMS})
	if err != nil {
		return nil, err
	}
	p := part{Number: n, Size: ref.Size, ETag: d.etag(), MD5: hex.EncodeToString(d.md5.Sum(nil)),
		Checksum: d.value().Value, Algorithm: d.algo.Name, Blob: ref.ID, IV: iv, LastModified: s.now().UTC()}
	if err := s.storePart(c, bucket, key, id, p); err != nil {
		s.dropBlob(c.Context, ref.ID)
		return nil, err
	}
	s.trailBucket(c, bucket)
	return &copyPartResult{ETag: p.ETag, LastModified: s3Time(p.LastModified)}, nil
}

// completeRequest is CompleteMultipartUpload's document.
type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber        int    `xml:"PartNumber"`
		ETag              string `xml:"ETag"`
		ChecksumCRC32     string `xml:"ChecksumCRC32"`
		ChecksumCRC32C    string `xml:"ChecksumCRC32C"`
		ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME"`
		ChecksumSHA1      string `xml:"ChecksumSHA1"`
		ChecksumSHA256    string `xml:"ChecksumSHA256"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	copyChecksums
}

// copyChecksums are the checksum members of a result.
type copyChecksums struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

func (cc *copyChecksums) set(v *checksumValue) {
	r := &copyObjectResult{}
	r.setChecksum(v)
	*cc = copyChecksums{r.ChecksumCRC32, r.ChecksumCRC32C, r.ChecksumCRC64NVME, r.ChecksumSHA1, r.ChecksumSHA256, r.ChecksumType}
}

// completeMultipartUpload is CompleteMultipartUpload: the listed parts, in
// ascending order, each but the last at least 5 MiB, become the object;
// the others are discarded.
func (s *S3) completeMultipartUpload(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	id := c.Params.Get("uploadId")
	var doc completeRequest
	if err := readXML(c, &doc); err != nil {
		return nil, err
	}
	if len(doc.Parts) == 0 {
		return nil, errMalformedXML()
	}
	var o *object
	_, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		o = nil
		u, err := s.getUpload(c, tx, bucket, key, id)
		if err != nil {
			return err
		}
		stored, err := listPartsOf(c, tx, id)
		if err != nil {
			return err
		}
		byNumber := map[int]part{}
		for _, p := range stored {
			byNumber[p.Number] = p
		}
		md5s := md5.New()
		var sums []partChecksum
		var blobs []bodyPart
		var size int64
		used := map[int]bool{}
		for i, rp := range doc.Parts {
			if i > 0 && rp.PartNumber <= doc.Parts[i-1].PartNumber {
				return api.Errorf(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.")
			}
		}
		for i, rp := range doc.Parts {
			p, ok := byNumber[rp.PartNumber]
			if !ok || strings.Trim(rp.ETag, `"`) != strings.Trim(p.ETag, `"`) {
				return &api.Error{Code: "InvalidPart", Status: 400,
					Message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
					Fields:  map[string]any{"PartNumber": strconv.Itoa(rp.PartNumber), "ETag": rp.ETag}}
			}
			if given := map[string]string{"CRC32": rp.ChecksumCRC32, "CRC32C": rp.ChecksumCRC32C, "CRC64NVME": rp.ChecksumCRC64NVME, "SHA1": rp.ChecksumSHA1, "SHA256": rp.ChecksumSHA256}[p.Algorithm]; given != "" && given != p.Checksum {
				return &api.Error{Code: "InvalidPart", Status: 400,
					Message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
					Fields:  map[string]any{"PartNumber": strconv.Itoa(rp.PartNumber), "ETag": rp.ETag}}
			} else if given == "" && u.ChecksumType == composite {
				return api.Errorf(400, "InvalidRequest", "The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.", strings.ToLower(u.Checksum), rp.PartNumber)
			}
			if i < len(doc.Parts)-1 && p.Size < minPartSize {
				return &api.Error{Code: "EntityTooSmall", Status: 400, Message: "Your proposed upload is smaller than the minimum allowed object size.",
					Fields: map[string]any{"ProposedSize": strconv.FormatInt(p.Size, 10), "MinSizeAllowed": strconv.Itoa(minPartSize), "PartNumber": strconv.Itoa(p.Number), "ETag": p.ETag}}
			}
			raw, _ := hex.DecodeString(p.MD5)
			md5s.Write(raw)
			sum, _ := base64.StdEncoding.DecodeString(p.Checksum)
			sums = append(sums, partChecksum{sum: sum, size: p.Size})
			blobs = append(blobs, bodyPart{ID: p.Blob, Size: p.Size, IV: p.IV})
			size += p.Size
			used[p.Number] = true
		}
		o = &object{Key: key, Size: size, ETag: fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(md5s.Sum(nil)), len(doc.Parts)),
			LastModified: s.now().UTC().Truncate(time.Second), Owner: u.Owner, Headers: u.Headers, Meta: u.Meta,
			Tags: u.Tags, Blobs: blobs, SSE: u.SSE, KMS: u.KMS}
		if u.Checksum != "" {
			a, _ := algorithmNamed(u.Checksum)
			o.Checksum = multipartChecksum(a, u.ChecksumType, sums)
		} else {
			o.Checksum = multipartChecksum(algorithms[2], fullObject, sums)
		}
		if err := checkCompleteChecksum(c.HTTP.Header, o.Checksum); err != nil {
			return err
		}
		for _, p := range stored {
			if !used[p.Number] {
				if err := blob.Delete(c.Context, tx, p.Blob); err != nil {
					return err
				}
			}
			if err := tx.Delete(c.Context, partsTable, partKey(id, p.Number)); err != nil {
				return err
			}
		}
		if err := tx.Delete(c.Context, uploadsTable, bucket+"/"+id); err != nil {
			return err
		}
		if err := requireBucket(c.Context, tx, bucket); err != nil {
			return err
		}
		return putObjectRecord(c.Context, tx, bucket, o, false, c.HTTP.Header)
	})
	if err != nil {
		return nil, err
	}
	s.trailBucket(c, bucket)
	res := &completeResult{Location: "http://" + c.HTTP.Host + "/" + bucket + "/" + key, Bucket: bucket, Key: key, ETag: o.ETag}
	res.set(o.Checksum)
	return res, nil
}

// abortMultipartUpload is AbortMultipartUpload: the upload and its parts go.
func (s *S3) abortMultipartUpload(c *api.Call) (any, error) {
	bucket, key := pathParams(c)
	id := c.Params.Get("uploadId")
	_, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if _, err := s.getUpload(c, tx, bucket, key, id); err != nil {
			return err
		}
		parts, err := listPartsOf(c, tx, id)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if err := blob.Delete(c.Context, tx, p.Blob); err != nil {
				return err
			}
			if err := tx.Delete(c.Context, partsTable, partKey(id, p.Number)); err != nil {
				return err
			}
		}
		return tx.Delete(c.Context, uploadsTable, bucket+"/"+id)
	})
	if err != nil {
		return nil, err
	}
	s.trailBucket(c, bucket)
	return &api.Raw{Status: http.StatusNoContent, NoBody: true}, nil
}

// checkCompleteChecksum checks the whole object's checksum a
// CompleteMultipartUpload may declare (x-amz-checksum-ALGO) against the one
// computed from the parts: another algorithm is InvalidRequest, another
// value BadDigest.
func checkCompleteChecksum(h http.Header, v *checksumValue) error {
	for _, a := range algorithms {
		want := h.Get(a.header)
		switch {
		case want == "":
		case a.Name != v.Algorithm:
			return api.Errorf(400, "InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", strings.ToLower(v.Algorithm), strings.ToLower(a.Name))
		case checksumBase(want) != checksumBase(v.Value):
			return api.Errorf(400, "BadDigest", "The %s you specified did not match the calculated checksum.", a.Name)
		}
	}
	if t := h.Get("x-amz-checksum-type"); t != "" && t != v.Type {
		return api.Errorf(400, "InvalidRequest", "The upload was created using the %s checksum mode. The complete request must use the same checksum mode.", strings.ToLower(v.Type))
	}
	return nil
}

// checksumBase is a checksum value without the "-N" of a composite one
// (base64 has no "-").
func checksumBase(v string) string {
	b, _, _ := strings.Cut(v, "-")
	return b
}
