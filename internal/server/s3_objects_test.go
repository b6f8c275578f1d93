package server_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

// s3Bucket starts rolecall and returns a root S3 client and a new bucket.
func s3Bucket(t *testing.T, name string) (*servertest.Server, *s3.Client, *string) {
	t.Helper()
	srv := servertest.Start(t)
	c := s3Client(srv.RootConfig())
	b := aws.String(name)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	return srv, c, b
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func quotedMD5(b []byte) string {
	s := md5.Sum(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

// TestS3ObjectRoundTrip: PutObject stores the body with its metadata and
// representation headers; GetObject and HeadObject return them with the
// MD5 ETag, Last-Modified and Accept-Ranges; DeleteObject is idempotent.
func TestS3ObjectRoundTrip(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "round-trip")
	ctx := context.Background()
	body := []byte("hello, object")
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("dir/hello.txt"), Body: bytes.NewReader(body),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"), ContentDisposition: aws.String("inline"),
		ContentLanguage: aws.String("en"), Metadata: map[string]string{"colour": "blue", "Mixed-Case": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.ETag) != quotedMD5(body) {
		t.Fatalf("ETag %s, want %s", aws.ToString(put.ETag), quotedMD5(body))
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	_ = get.Body.Close()
	if !bytes.Equal(got, body) || aws.ToString(get.ContentType) != "text/plain" || aws.ToString(get.CacheControl) != "max-age=60" ||
		aws.ToString(get.ContentDisposition) != "inline" || aws.ToString(get.ContentLanguage) != "en" ||
		get.Metadata["colour"] != "blue" || get.Metadata["mixed-case"] != "x" || aws.ToString(get.AcceptRanges) != "bytes" ||
		aws.ToInt64(get.ContentLength) != int64(len(body)) || get.LastModified == nil {
		t.Fatalf("GetObject: %q %+v", got, get)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("dir/hello.txt")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.ETag) != quotedMD5(body) || head.Metadata["colour"] != "blue" {
		t.Fatalf("HeadObject: %v %+v", err, head)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("missing")})
	if httpStatus(err) != 404 {
		t.Fatalf("HeadObject of a missing key: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("no-such-bucket-here"), Key: aws.String("k")})
	wantCode(t, err, "NoSuchBucket")
	for range 2 {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("dir/hello.txt")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/hello.txt")})
	wantCode(t, err, "NoSuchKey")
}

// TestS3ObjectKeys: keys with a trailing "/", "//", spaces, unicode, "+"
// and "%" round-trip exactly; a key over 1,024 bytes is KeyTooLongError.
func TestS3ObjectKeys(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "key-fidelity")
	ctx := context.Background()
	keys := []string{"folder/", "a//b", "//lead", "with space", "ünïcödé/日本", "plus+sign", "per%20cent", "q?x=1&y", "dots/../x", "trail//"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatalf("PutObject %q: %v", k, err)
		}
	}
	for _, k := range keys {
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(k)})
		if err != nil {
			t.Fatalf("GetObject %q: %v", k, err)
		}
		got, _ := io.ReadAll(get.Body)
		_ = get.Body.Close()
		if string(got) != k {
			t.Fatalf("GetObject %q: body %q", k, got)
		}
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range list.Contents {
		seen[aws.ToString(o.Key)] = true
	}
	for _, k := range keys {
		if !seen[k] {
			t.Errorf("ListObjectsV2 lacks %q: %v", k, seen)
		}
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x")})
	wantCode(t, err, "KeyTooLongError")
}

// TestS3ObjectRangesAndConditions: single ranges answer 206 with
// Content-Range, an unsatisfiable one 416 InvalidRange; If-Match and
// If-Unmodified-Since fail with 412, If-None-Match and If-Modified-Since
// answer 304, with S3's precedence.
func TestS3ObjectRangesAndConditions(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "ranges")
	ctx := context.Background()
	body := []byte("0123456789abcdefghij")
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("r"), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	for rng, want := range map[string]string{"bytes=0-3": "0123", "bytes=5-": "56789abcdefghij", "bytes=-4": "ghij", "bytes=18-100": "ij"} {
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("r"), Range: aws.String(rng)})
		if err != nil {
			t.Fatalf("%s: %v", rng, err)
		}
		got, _ := io.ReadAll(get.Body)
		_ = get.Body.Close()
		if string(got) != want || !strings.HasSuffix(aws.ToString(get.ContentRange), "/20") {
			t.Fatalf("%s: %q, Content-Range %q", rng, got, aws.ToString(get.ContentRange))
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("r"), Range: aws.String("bytes=20-")})
	if wantCode(t, err, "InvalidRange"); httpStatus(err) != 416 {
		t.Fatalf("status %d", httpStatus(err))
	}
	etag := aws.ToString(put.ETag)
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	cases := []struct {
		in   s3.GetObjectInput
		want int
	}{
		{s3.GetObjectInput{IfMatch: aws.String(etag)}, 200},
		{s3.GetObjectInput{IfMatch: aws.String(`"nope"`)}, 412},
		{s3.GetObjectInput{IfUnmodifiedSince: &past}, 412},
		// If-Match holds: If-Unmodified-Since is not consulted.
		{s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: &past}, 200},
		{s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, 304},
		{s3.GetObjectInput{IfModifiedSince: &future}, 304},
		// If-None-Match fails to match: If-Modified-Since is not consulted.
		{s3.GetObjectInput{IfNoneMatch: aws.String(`"other"`), IfModifiedSince: &future}, 200},
		// 412 before 304.
		{s3.GetObjectInput{IfMatch: aws.String(`"nope"`), IfNoneMatch: aws.String(etag)}, 412},
	}
	for i, tc := range cases {
		in := tc.in
		in.Bucket, in.Key = b, aws.String("r")
		out, err := c.GetObject(ctx, &in)
		status := 200
		if err != nil {
			status = httpStatus(err)
		} else {
			_ = out.Body.Close()
		}
		if status != tc.want {
			t.Errorf("case %d: status %d (%v), want %d", i, status, err, tc.want)
		}
		if tc.want == 412 {
			wantCode(t, err, "PreconditionFailed")
		}
	}
}

// TestS3ObjectChecksums: each algorithm's checksum is computed and
// returned with ChecksumMode ENABLED; a wrong checksum or Content-MD5 is
// BadDigest and stores nothing.
func TestS3ObjectChecksums(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "checksums")
	ctx := context.Background()
	body := []byte("The quick brown fox jumps over the lazy dog")
	for _, algo := range []s3types.ChecksumAlgorithm{s3types.ChecksumAlgorithmCrc32, s3types.ChecksumAlgorithmCrc32c,
		s3types.ChecksumAlgorithmCrc64nvme, s3types.ChecksumAlgorithmSha1, s3types.ChecksumAlgorithmSha256} {
		key := aws.String("sum-" + string(algo))
		put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: key, Body: bytes.NewReader(body), ChecksumAlgorithm: algo})
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: key, ChecksumMode: s3types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		sums := map[s3types.ChecksumAlgorithm][2]*string{
			s3types.ChecksumAlgorithmCrc32:     {put.ChecksumCRC32, head.ChecksumCRC32},
			s3types.ChecksumAlgorithmCrc32c:    {put.ChecksumCRC32C, head.ChecksumCRC32C},
			s3types.ChecksumAlgorithmCrc64nvme: {put.ChecksumCRC64NVME, head.ChecksumCRC64NVME},
			s3types.ChecksumAlgorithmSha1:      {put.ChecksumSHA1, head.ChecksumSHA1},
			s3types.ChecksumAlgorithmSha256:    {put.ChecksumSHA256, head.ChecksumSHA256},
		}[algo]
		if aws.ToString(sums[0]) == "" || aws.ToString(sums[0]) != aws.ToString(sums[1]) {
			t.Fatalf("%s: put %q, head %q", algo, aws.ToString(sums[0]), aws.ToString(sums[1]))
		}
		// The SDK validates the checksum of what GetObject returns.
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, ChecksumMode: s3types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(get.Body); err != nil {
			t.Fatalf("%s: GetObject body: %v", algo, err)
		}
		_ = get.Body.Close()
	}
	// Known values: CRC32 of the pangram is 0x414fa339.
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("known"), Body: bytes.NewReader(body), ChecksumCRC32: aws.String("QU+jOQ==")})
	if err != nil || aws.ToString(put.ChecksumCRC32) != "QU+jOQ==" {
		t.Fatalf("PutObject with the right CRC32: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("bad"), Body: bytes.NewReader(body), ChecksumCRC32: aws.String("AAAAAA==")})
	wantCode(t, err, "BadDigest")
	if !strings.Contains(err.Error(), "The CRC32 you specified did not match the calculated checksum.") {
		t.Fatalf("message: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("bad"), Body: bytes.NewReader(body), ContentMD5: aws.String("AAAAAAAAAAAAAAAAAAAAAA==")})
	wantCode(t, err, "BadDigest")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("bad")})
	if httpStatus(err) != 404 {
		t.Fatalf("an object refused for its digest was stored: %v", err)
	}
}

// TestS3ListObjects: prefix, delimiter and CommonPrefixes, max-keys with
// continuation tokens and start-after (V2), marker and NextMarker (V1),
// and encoding-type=url.
func TestS3ListObjects(t *testing.T) { testS3ListObjects(t, servertest.Start(t)) }

// TestS3ListObjectsPostgres: the same on PostgreSQL, whose keys sort as
// SQLite's do.
func TestS3ListObjectsPostgres(t *testing.T) {
	nodes := servertest.Nodes(t, 1)
	testS3ListObjects(t, nodes[0])
}

func testS3ListObjects(t *testing.T, srv *servertest.Server) {
	c := s3Client(srv.RootConfig())
	b := aws.String("listing")
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a.txt", "photos/2024/1.jpg", "photos/2024/2.jpg", "photos/2025/1.jpg", "photos/top.jpg", "z z.txt"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("photos/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "photos/top.jpg" || len(out.CommonPrefixes) != 2 ||
		aws.ToString(out.CommonPrefixes[0].Prefix) != "photos/2024/" || aws.ToInt32(out.KeyCount) != 3 {
		t.Fatalf("delimited listing: %+v", out)
	}
	var all []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: b, MaxKeys: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			all = append(all, aws.ToString(o.Key))
		}
	}
	if strings.Join(all, ",") != strings.Join(keys, ",") || pages != 3 {
		t.Fatalf("paged listing: %v in %d pages", all, pages)
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, StartAfter: aws.String("photos/2025/1.jpg")})
	if err != nil || len(out.Contents) != 2 || aws.ToString(out.Contents[0].Key) != "photos/top.jpg" {
		t.Fatalf("start-after: %v %+v", err, out)
	}
	// Delimited pages: a common prefix is counted once across pages.
	var seen []string
	p = s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			seen = append(seen, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			seen = append(seen, aws.ToString(cp.Prefix))
		}
	}
	if strings.Join(seen, ",") != "a.txt,photos/,z z.txt" {
		t.Fatalf("delimited pages: %v", seen)
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	if err != nil || !aws.ToBool(v1.IsTruncated) || aws.ToString(v1.NextMarker) != "photos/" {
		t.Fatalf("ListObjects: %v %+v", err, v1)
	}
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, Delimiter: aws.String("/"), Marker: v1.NextMarker})
	if err != nil || len(v1.Contents) != 1 || aws.ToString(v1.Contents[0].Key) != "z z.txt" {
		t.Fatalf("ListObjects from the marker: %v %+v", err, v1)
	}
	// encoding-type=url: the SDK decodes the keys again.
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, EncodingType: s3types.EncodingTypeUrl, Prefix: aws.String("z")})
	if err != nil || len(out.Contents) != 1 {
		t.Fatalf("encoding-type=url: %v %+v", err, out)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket-here")})
	wantCode(t, err, "NoSuchBucket")
}

// TestS3CopyAndTags: CopyObject copies metadata and tags (COPY) or takes
// the request's (REPLACE); a copy onto itself without changes is refused;
// object tags are put, read, limited and deleted.
func TestS3CopyAndTags(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "copies")
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("src key+1"), Body: strings.NewReader("payload"),
		Metadata: map[string]string{"m": "1"}, ContentType: aws.String("text/x"), Tagging: aws.String("team=blue&tier=1")}); err != nil {
		t.Fatal(err)
	}
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("dst"), CopySource: aws.String("copies/src%20key%2B1")})
	if err != nil || aws.ToString(cp.CopyObjectResult.ETag) != quotedMD5([]byte("payload")) {
		t.Fatalf("CopyObject: %v", err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("dst")})
	if err != nil || head.Metadata["m"] != "1" || aws.ToString(head.ContentType) != "text/x" || aws.ToInt32(head.TagCount) != 2 {
		t.Fatalf("copied object: %v %+v", err, head)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("dst2"), CopySource: aws.String("copies/dst"),
		MetadataDirective: s3types.MetadataDirectiveReplace, Metadata: map[string]string{"n": "2"},
		TaggingDirective: s3types.TaggingDirectiveReplace, Tagging: aws.String("k=v")}); err != nil {
		t.Fatal(err)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("dst2")})
	if err != nil || head.Metadata["m"] != "" || head.Metadata["n"] != "2" || aws.ToInt32(head.TagCount) != 1 {
		t.Fatalf("REPLACE copy: %v %+v", err, head)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("dst"), CopySource: aws.String("copies/dst")})
	wantCode(t, err, "InvalidRequest")
	if !strings.Contains(err.Error(), "trying to copy an object to itself") {
		t.Fatalf("self copy: %v", err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("x"), CopySource: aws.String("copies/missing")})
	wantCode(t, err, "NoSuchKey")

	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("dst")})
	if err != nil || len(tags.TagSet) != 2 || aws.ToString(tags.TagSet[0].Key) != "team" {
		t.Fatalf("GetObjectTagging: %v %+v", err, tags)
	}
	var eleven []s3types.Tag
	for i := range 11 {
		eleven = append(eleven, s3types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
	}
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("dst"), Tagging: &s3types.Tagging{TagSet: eleven}})
	wantCode(t, err, "InvalidTag")
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("dst"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}}})
	wantCode(t, err, "InvalidTag")
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("dst"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("only"), Value: aws.String("one")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: aws.String("dst")}); err != nil {
		t.Fatal(err)
	}
	tags, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("dst")})
	if err != nil || len(tags.TagSet) != 0 {
		t.Fatalf("tags after DeleteObjectTagging: %v %+v", err, tags)
	}
}

// TestS3DeleteObjects: keys deleted at once, per-key answers, Quiet mode.
func TestS3DeleteObjects(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "bulk-delete")
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
		{Key: aws.String("a")}, {Key: aws.String("never-was")}, {Key: aws.String("b"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")}}}})
	if err != nil || len(out.Deleted) != 2 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "NoSuchVersion" {
		t.Fatalf("DeleteObjects: %v %+v", err, out)
	}
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &s3types.Delete{Quiet: aws.Bool(true),
		Objects: []s3types.ObjectIdentifier{{Key: aws.String("b")}, {Key: aws.String("c")}}}})
	if err != nil || len(out.Deleted) != 0 || len(out.Errors) != 0 {
		t.Fatalf("quiet DeleteObjects: %v %+v", err, out)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("left after DeleteObjects: %v %+v", err, list)
	}
}

// TestS3Multipart: parts of at least 5 MiB but the last make an object
// whose ETag is the MD5 of the parts' MD5s with "-N" and whose composite
// checksum S3's way; order, missing parts and small parts are refused;
// ListParts, ListMultipartUploads and AbortMultipartUpload.
func TestS3Multipart(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "multipart")
	ctx := context.Background()
	key := aws.String("big/object")
	create, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: key, ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256,
		Metadata: map[string]string{"kind": "mp"}})
	if err != nil {
		t.Fatal(err)
	}
	id := create.UploadId
	part1 := bytes.Repeat([]byte("a"), 5<<20)
	part2 := []byte("tail")
	var done []s3types.CompletedPart
	for i, p := range [][]byte{part1, part2} {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: key, UploadId: id, PartNumber: aws.Int32(int32(i + 1)),
			Body: bytes.NewReader(p), ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		done = append(done, s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag, ChecksumSHA256: up.ChecksumSHA256})
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: key, UploadId: id})
	if err != nil || len(parts.Parts) != 2 || aws.ToInt64(parts.Parts[0].Size) != 5<<20 {
		t.Fatalf("ListParts: %v %+v", err, parts)
	}
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
	if err != nil || len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].UploadId) != aws.ToString(id) {
		t.Fatalf("ListMultipartUploads: %v %+v", err, ups)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: id,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{done[1], done[0]}}})
	wantCode(t, err, "InvalidPartOrder")
	bad := done[1]
	bad.ETag = aws.String(`"00000000000000000000000000000000"`)
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: id,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{done[0], bad}}})
	wantCode(t, err, "InvalidPart")
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: id,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	m1, m2 := md5.Sum(part1), md5.Sum(part2)
	all := md5.Sum(append(m1[:], m2[:]...))
	if want := `"` + hex.EncodeToString(all[:]) + `-2"`; aws.ToString(out.ETag) != want || !strings.HasSuffix(aws.ToString(out.ChecksumSHA256), "-2") {
		t.Fatalf("CompleteMultipartUpload: ETag %s (want %s), checksum %s", aws.ToString(out.ETag), want, aws.ToString(out.ChecksumSHA256))
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, Range: aws.String(fmt.Sprintf("bytes=%d-", 5<<20-2))})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	_ = get.Body.Close()
	if string(got) != "aatail" || get.Metadata["kind"] != "mp" {
		t.Fatalf("range across parts: %q %+v", got, get.Metadata)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: key, ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil || aws.ToString(head.ChecksumSHA256) != aws.ToString(out.ChecksumSHA256) || head.ChecksumType != s3types.ChecksumTypeComposite {
		t.Fatalf("HeadObject of the multipart object: %v %q %s", err, aws.ToString(head.ChecksumSHA256), head.ChecksumType)
	}
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(get.Body)
	_ = get.Body.Close()
	if string(got) != "tail" || aws.ToInt32(get.PartsCount) != 2 {
		t.Fatalf("part 2: %q, %d parts", got, aws.ToInt32(get.PartsCount))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, PartNumber: aws.Int32(3)})
	wantCode(t, err, "InvalidPartNumber")
	// Small parts and aborts.
	small, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("small")})
	if err != nil {
		t.Fatal(err)
	}
	var sp []s3types.CompletedPart
	for i := range 2 {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("small"), UploadId: small.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader("x")})
		if err != nil {
			t.Fatal(err)
		}
		sp = append(sp, s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: small.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: sp}})
	wantCode(t, err, "EntityTooSmall")
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: small.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: small.UploadId})
	wantCode(t, err, "NoSuchUpload")
}

// TestS3TransferManager: the Go SDK's transfer manager uploads 17 MiB in
// parts (with its default checksums) and downloads it in parts, byte for
// byte.
func TestS3TransferManager(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "manager")
	ctx := context.Background()
	data := make([]byte, 17<<20)
	for i := range data {
		data[i] = byte(i * 7 % 251)
	}
	tm := transfermanager.New(c, func(o *transfermanager.Options) { o.PartSizeBytes, o.MultipartUploadThreshold = 5<<20, 5<<20 })
	if _, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: b, Key: aws.String("blob.bin"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("blob.bin")})
	if err != nil || !strings.HasSuffix(aws.ToString(head.ETag), `-4"`) {
		t.Fatalf("uploaded in parts: %v %s", err, aws.ToString(head.ETag))
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "down"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tm.DownloadObject(ctx, &transfermanager.DownloadObjectInput{Bucket: b, Key: aws.String("blob.bin"), WriterAt: f}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("DownloadObject: %v, %d bytes, equal %v", err, len(got), bytes.Equal(got, data))
	}
}

// TestS3ObjectTrail: object operations are data events whose
// requestParameters name the bucket and key, listing the object and the
// bucket among their resources.
func TestS3ObjectTrail(t *testing.T) {
	srv, c, b := s3Bucket(t, "trail-objects")
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("dir/k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "ResourceName", Value: "arn:aws:s3:::trail-objects/dir/k", Limit: 10})
	if err != nil || len(evs) != 1 {
		t.Fatalf("QueryEvents: %v, %d events", err, len(evs))
	}
	var rec map[string]any
	if err := json.Unmarshal(evs[0].Record, &rec); err != nil {
		t.Fatal(err)
	}
	params, _ := rec["requestParameters"].(map[string]any)
	res, _ := rec["resources"].([]any)
	if rec["eventName"] != "PutObject" || rec["eventCategory"] != "Data" || params["bucketName"] != "trail-objects" || params["key"] != "dir/k" ||
		len(res) != 2 || res[0].(map[string]any)["type"] != "AWS::S3::Object" || res[1].(map[string]any)["type"] != "AWS::S3::Bucket" {
		t.Fatalf("PutObject record: %v", rec)
	}
}

// TestS3SSEKMS: an aws:kms object's body is encrypted with a data key KMS
// generates under alias/aws/s3 for the caller, and read back through
// KMS's Decrypt; the KMS calls are recorded as the caller's, invoked by
// s3.amazonaws.com, with the object's ARN as encryption context. A caller
// whose policies allow S3 but not KMS can neither write nor read such an
// object. Without KMS on the server, aws:kms is refused, never ignored.
func TestS3SSEKMS(t *testing.T) {
	srv, c, b := s3Bucket(t, "sse-kms")
	ctx := context.Background()
	body := []byte("secret body")
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: bytes.NewReader(body), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms})
	if code := apiCode(err); strings.HasPrefix(code, "KMS.") && strings.Contains(err.Error(), "Unknown") {
		t.Skipf("KMS is not served here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if put.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || !strings.HasPrefix(aws.ToString(put.SSEKMSKeyId), "arn:aws:kms:") {
		t.Fatalf("PutObject: %s %s", put.ServerSideEncryption, aws.ToString(put.SSEKMSKeyId))
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("k"), Range: aws.String("bytes=3-")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	_ = get.Body.Close()
	if string(got) != "ret body" || get.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms {
		t.Fatalf("GetObject: %q %s", got, get.ServerSideEncryption)
	}
	// The blob holds ciphertext.
	items, err := srv.Recorder().Store().List(ctx, "blob_chunks", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if bytes.Contains(it.Value, body) {
			t.Fatal("an SSE-KMS body is stored in the clear")
		}
	}
	if err := srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"GenerateDataKey", "Decrypt"} {
		evs, _, err := srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: op, Limit: 10})
		if err != nil || len(evs) == 0 {
			t.Fatalf("%s events: %v %d", op, err, len(evs))
		}
		var rec map[string]any
		if err := json.Unmarshal(evs[0].Record, &rec); err != nil {
			t.Fatal(err)
		}
		id, _ := rec["userIdentity"].(map[string]any)
		params, _ := rec["requestParameters"].(map[string]any)
		ec, _ := params["encryptionContext"].(map[string]any)
		if id["invokedBy"] != "s3.amazonaws.com" || ec["aws:s3:arn"] != "arn:aws:s3:::sse-kms/k" {
			t.Fatalf("%s record: %v", op, rec)
		}
	}
}

// TestS3ConditionalWrites: PutObject with If-None-Match "*" creates only,
// with If-Match replaces only the object with that ETag; DeleteObject
// with If-Match deletes only that version; what rolecall does not keep
// (another storage class) is refused, not ignored.
func TestS3ConditionalWrites(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "conditional-writes")
	ctx := context.Background()
	k := aws.String("k")
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("one"), IfNoneMatch: aws.String("*")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("two"), IfNoneMatch: aws.String("*")})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("two"), IfMatch: aws.String(`"0123"`)})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("other"), Body: strings.NewReader("two"), IfMatch: put.ETag})
	wantCode(t, err, "NoSuchKey")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("two"), IfMatch: put.ETag}); err != nil {
		t.Fatalf("PutObject If-Match the current ETag: %v", err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k, IfMatch: put.ETag})
	wantCode(t, err, "PreconditionFailed")
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	_ = get.Body.Close()
	if string(got) != "two" {
		t.Fatalf("after the refused writes: %q", got)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("cold"), Body: strings.NewReader("x"), StorageClass: s3types.StorageClassGlacier})
	wantCode(t, err, "NotImplemented")
}

// TestS3SSEKMSDenied: with a customer key whose policy delegates to IAM, a
// user whose policies allow S3 but not KMS can neither write an SSE-KMS
// object under it (nothing is stored) nor read one; KMS's denial reaches
// the caller as S3's AccessDenied.
func TestS3SSEKMSDenied(t *testing.T) {
	t.Parallel()
	srv, root, b := s3Bucket(t, "sse-kms-denied")
	ctx := context.Background()
	key := newKey(t, kms.NewFromConfig(srv.RootConfig()), nil)
	user := s3Client(newUser(t, srv, "s3only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`))
	_, err := user.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("u"), Body: strings.NewReader("x"),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: key.Arn})
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "kms:GenerateDataKey") {
		t.Fatalf("denial: %v", err)
	}
	if _, err := root.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("u")}); httpStatus(err) != 404 {
		t.Fatalf("an object refused by KMS was stored: %v", err)
	}
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("r"), Body: strings.NewReader("x"),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: key.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err = user.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("r")})
	wantCode(t, err, "AccessDenied")
	if head, err := user.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("r")}); err != nil || aws.ToString(head.SSEKMSKeyId) != aws.ToString(key.Arn) {
		t.Fatalf("HeadObject needs no KMS: %v", err)
	}
}
