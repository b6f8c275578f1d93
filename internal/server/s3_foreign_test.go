package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestS3ObjectChecksOnTheObjectsBucket: the further object actions a
// request needs (s3:DeleteObject for each key of a DeleteObjects,
// s3:PutObjectTagging for a PutObject with x-amz-tagging, s3:GetObject of a
// copy's source) are authorized on that object as S3 does: in its bucket's
// account, with its bucket's policy and the object's own tags. A principal
// of another account whose identity policies allow s3:* reaches only what
// the bucket policy grants it, and the owner's own deny holds.
func TestS3ObjectChecksOnTheObjectsBucket(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	owner, peer := newMember(t, f.orgs, "owner"), newMember(t, f.orgs, "peer")
	ownerS3, peerS3 := s3Client(f.session(owner)), s3Client(f.session(peer))
	const bucket, mine = "guarded-objects", "peer-own-bucket"
	for _, b := range []struct {
		c    *s3.Client
		name string
	}{{ownerS3, bucket}, {peerS3, mine}} {
		if _, err := b.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.name)}); err != nil {
			t.Fatal(err)
		}
	}
	put := func(c *s3.Client, key, tagging string) error {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("body of " + key)}
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		_, err := c.PutObject(ctx, in)
		return err
	}
	for _, k := range []string{"a", "keep/b"} {
		if err := put(ownerS3, k, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := put(ownerS3, "secret", "class=secret"); err != nil {
		t.Fatal(err)
	}
	peerARN := "arn:aws:iam::" + peer + ":root"
	doc := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":"` + peerARN + `"},"Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::` + bucket + `/*"},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/class":"secret"}}},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::` + bucket + `/keep/*"}]}`
	if _, err := ownerS3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	exists := func(key string) bool {
		t.Helper()
		_, err := ownerS3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil && httpStatus(err) != 404 {
			t.Fatal(err)
		}
		return err == nil
	}
	deleteAll := func(c *s3.Client, keys ...string) *s3.DeleteObjectsOutput {
		t.Helper()
		ids := make([]s3types.ObjectIdentifier, len(keys))
		for i, k := range keys {
			ids[i] = s3types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		return out
	}

	// DeleteObjects by another account the bucket policy does not let delete.
	out := deleteAll(peerS3, "a")
	if len(out.Deleted) != 0 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" || !exists("a") {
		t.Errorf("another account's DeleteObjects: %+v %+v; a exists: %v", out.Deleted, out.Errors, exists("a"))
	}
	// The owner's own deny on keep/* holds key by key.
	out = deleteAll(ownerS3, "keep/b")
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" || !exists("keep/b") {
		t.Errorf("DeleteObjects of a key the bucket policy denies: %+v %+v", out.Deleted, out.Errors)
	}

	// PutObject with tags: the bucket policy grants another account
	// s3:PutObject but not s3:PutObjectTagging.
	if err := put(peerS3, "untagged", ""); err != nil {
		t.Fatalf("another account's PutObject the policy grants: %v", err)
	}
	if err := put(peerS3, "tagged", "team=peer"); apiCode(err) != "AccessDenied" {
		t.Errorf("another account's PutObject with tags the policy does not grant: %v", err)
	}
	if exists("tagged") {
		t.Error("a refused tagged PutObject stored the object")
	}

	// The copy's source is read with the source object's tags.
	if _, err := peerS3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("secret")}); err == nil {
		t.Fatal("GetObject of a secret-tagged object allowed")
	}
	_, err := peerS3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(mine), Key: aws.String("stolen"), CopySource: aws.String(bucket + "/secret")})
	wantCode(t, err, "AccessDenied")
	if _, err := peerS3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(mine), Key: aws.String("copied"), CopySource: aws.String(bucket + "/a")}); err != nil {
		t.Errorf("copy of an object the policy lets read: %v", err)
	}
}

// TestS3SignatureVersion2Refused: S3 answers a request signed with
// signature version 2 (an "AWS key:signature" Authorization header, or a
// URL with AWSAccessKeyId, Signature and Expires as older clients presign)
// with 400 InvalidRequest, as regions that take only SigV4 do; the URL is
// never served as an anonymous request, not even from a public bucket.
func TestS3SignatureVersion2Refused(t *testing.T) {
	t.Parallel()
	srv, c, b := s3Bucket(t, "sigv2-bucket")
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::sigv2-bucket/*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	key := srv.Root().AccessKeyID
	const msg = "<Code>InvalidRequest</Code><Message>The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.</Message>"
	r := mustRequest(t, srv.Endpoint()+"/sigv2-bucket/k")
	r.Header.Set("Authorization", "AWS "+key+":frJIUN8DYpKDtOLCwo//yllqDzg=")
	if code, body := send(t, r); code != 400 || !strings.Contains(body, msg) {
		t.Errorf("SigV2 header: %d %s", code, body)
	}
	u := srv.Endpoint() + "/sigv2-bucket/k?AWSAccessKeyId=" + key + "&Signature=hl49Q7IcD8J%2F99QKbEO9KWVdr1M%3D&Expires=1796021080"
	if code, body := send(t, mustRequest(t, u)); code != 400 || !strings.Contains(body, msg) {
		t.Errorf("SigV2 query: %d %s", code, body)
	}
	if code, body := send(t, mustRequest(t, srv.Endpoint()+"/sigv2-bucket/k")); code != 200 || body != "v" {
		t.Errorf("anonymous GET of the public object: %d %s", code, body)
	}
}

// TestS3ObjectOwnerIsTheBucketOwner: under BucketOwnerEnforced (the
// default), an object another account writes through the bucket policy is
// the bucket owner's, who reads it; listings name owners by canonical
// user ID, as ListBuckets does.
func TestS3ObjectOwnerIsTheBucketOwner(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	owner, peer := newMember(t, f.orgs, "owner"), newMember(t, f.orgs, "peer")
	ownerS3, peerS3 := s3Client(f.session(owner)), s3Client(f.session(peer))
	b := aws.String("enforced-owner")
	if _, err := ownerS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + peer + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::enforced-owner/*"}]}`
	if _, err := ownerS3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if _, err := peerS3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("from-peer"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	up, err := peerS3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("parts")})
	if err != nil {
		t.Fatal(err)
	}
	buckets, err := ownerS3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	want := aws.ToString(buckets.Owner.ID)
	if len(want) != 64 {
		t.Fatalf("canonical ID: %q", want)
	}
	list, err := ownerS3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, FetchOwner: aws.Bool(true)})
	if err != nil || len(list.Contents) != 1 || list.Contents[0].Owner == nil {
		t.Fatalf("list: %v %+v", err, list)
	}
	if got := aws.ToString(list.Contents[0].Owner.ID); got != want {
		t.Errorf("owner of another account's object: %q, want the bucket owner's %q", got, want)
	}
	ups, err := ownerS3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
	if err != nil || len(ups.Uploads) != 1 {
		t.Fatalf("uploads: %v %+v", err, ups)
	}
	if got := aws.ToString(ups.Uploads[0].Owner.ID); got != want {
		t.Errorf("owner of another account's upload: %q, want %q", got, want)
	}
	if _, err := peerS3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("parts"), UploadId: up.UploadId}); apiCode(err) != "AccessDenied" {
		t.Errorf("abort by an account the policy does not let abort: %v", err)
	}
	out, err := ownerS3.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("from-peer")})
	if err != nil {
		t.Fatalf("the bucket owner reads another account's object: %v", err)
	}
	out.Body.Close()
}

// TestS3MissingKeyWithoutListBucket: a GetObject or HeadObject of a key
// that does not exist is 404 NoSuchKey only to a caller that may also
// list the bucket (s3:ListBucket); to any other, anonymous callers of a
// public-read bucket included, it is 403, as for a key it may not read.
func TestS3MissingKeyWithoutListBucket(t *testing.T) {
	t.Parallel()
	srv, root, b := s3Bucket(t, "no-enumeration")
	ctx := context.Background()
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("here"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::no-enumeration/*"}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	reader := s3Client(newUser(t, srv, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`))
	lister := s3Client(newUser(t, srv, "lister", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`))
	anon := s3Client(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint()), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	for _, tc := range []struct {
		name   string
		c      *s3.Client
		status int
	}{{"reader", reader, 403}, {"anonymous", anon, 403}, {"lister", lister, 404}, {"root", root, 404}} {
		_, err := tc.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("missing")})
		if got := httpStatus(err); got != tc.status {
			t.Errorf("%s: GetObject of a missing key: %d %v, want %d", tc.name, got, err, tc.status)
		}
		_, err = tc.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("missing")})
		if got := httpStatus(err); got != tc.status {
			t.Errorf("%s: HeadObject of a missing key: %d %v, want %d", tc.name, got, err, tc.status)
		}
		out, err := tc.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("here")})
		if err != nil {
			t.Errorf("%s: GetObject of a key it may read: %v", tc.name, err)
		} else {
			out.Body.Close()
		}
	}
}

// TestS3NoSuchBucketBeforeAccess: a bucket that does not exist is
// NoSuchBucket (404) to anyone, signed or not, whatever their policies; a
// bucket that exists but the caller may not reach is 403.
func TestS3NoSuchBucketBeforeAccess(t *testing.T) {
	t.Parallel()
	srv, root, b := s3Bucket(t, "exists-here")
	ctx := context.Background()
	nobody := s3Client(newUser(t, srv, "nobody", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`))
	anon := s3Client(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint()), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	for name, c := range map[string]*s3.Client{"no permissions": nobody, "anonymous": anon} {
		_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("never-made-bucket")})
		if got := httpStatus(err); got != 404 {
			t.Errorf("%s: HeadBucket of a bucket that does not exist: %v", name, err)
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("never-made-bucket"), Key: aws.String("k")})
		if apiCode(err) != "NoSuchBucket" {
			t.Errorf("%s: GetObject in a bucket that does not exist: %v", name, err)
		}
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
		if got := httpStatus(err); got != 403 {
			t.Errorf("%s: HeadBucket of a bucket it may not reach: %v", name, err)
		}
	}
	if _, err := root.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
}

// TestS3SourceExpectedBucketOwner: a copy whose source bucket is not
// owned by x-amz-source-expected-bucket-owner is refused, and nothing is
// written.
func TestS3SourceExpectedBucketOwner(t *testing.T) {
	t.Parallel()
	_, c, b := s3Bucket(t, "copy-owner-check")
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("src"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("dst"), CopySource: aws.String("copy-owner-check/src"),
		ExpectedSourceBucketOwner: aws.String("111122223333")})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("copy from a bucket another account is expected to own: %v", err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("dst")}); httpStatus(err) != 404 {
		t.Errorf("refused copy wrote its object: %v", err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("dst"), CopySource: aws.String("copy-owner-check/src"),
		ExpectedSourceBucketOwner: aws.String("123456789012"), ExpectedBucketOwner: aws.String("123456789012")}); err != nil {
		t.Errorf("copy with the right owners: %v", err)
	}
}
