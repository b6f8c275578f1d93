package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestS3UnservedSubresources: a request naming a sub-resource that rolecall
// does not serve (?cors, ?website, ?legal-hold, ?attributes, ?versions) is
// refused with S3's NotImplemented and changes nothing; it is never run as
// the operation of the same path without it (DeleteBucket, PutObject,
// GetObject, ListObjects).
func TestS3UnservedSubresources(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	b := aws.String("subresource-bucket")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("data")}); err != nil {
		t.Fatal(err)
	}

	_, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: b, Key: aws.String("k"),
		LegalHold: &s3types.ObjectLockLegalHold{Status: s3types.ObjectLockLegalHoldStatusOn}})
	wantCode(t, err, "NotImplemented")
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: aws.String("k"),
		ObjectAttributes: []s3types.ObjectAttributes{s3types.ObjectAttributesEtag}})
	wantCode(t, err, "NotImplemented")
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: b, Key: aws.String("k")})
	wantCode(t, err, "NotImplemented")
	_, err = c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b})
	wantCode(t, err, "NotImplemented")
	_, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b})
	wantCode(t, err, "NotImplemented")
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	wantCode(t, err, "NotImplemented")

	// The object is what was put, and the bucket still holds it.
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(got.Body)
	if cerr := got.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil || string(body) != "data" {
		t.Fatalf("object after PutObjectLegalHold: %q, %v", body, err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	// The bucket is empty now: DeleteBucketCors must not delete it.
	_, err = c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: b})
	wantCode(t, err, "NotImplemented")
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b}); err != nil {
		t.Fatalf("HeadBucket after DeleteBucketCors: %v", err)
	}
}

// TestS3SignatureV2PresignRefused: a URL presigned with Signature Version 2
// (boto3's generate_presigned_url without signature_version "s3v4") gets
// S3's InvalidRequest naming AWS4-HMAC-SHA256, not the AccessDenied of an
// unsigned request.
func TestS3SignatureV2PresignRefused(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	b := aws.String("sigv2-bucket")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	creds, err := srv.RootConfig().Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u := srv.Endpoint() + "/sigv2-bucket/k?AWSAccessKeyId=" + creds.AccessKeyID + "&Signature=c2lnbmF0dXJl&Expires=4102444800"
	resp, err := http.DefaultClient.Do(mustRequest(t, u))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>InvalidRequest</Code>") ||
		!strings.Contains(string(body), "Please use AWS4-HMAC-SHA256.") {
		t.Fatalf("SigV2 presigned GET: %d %s", resp.StatusCode, body)
	}
}

// TestS3MissingKeyNeedsListBucket: a key that does not exist is NoSuchKey
// (404) only to a caller allowed s3:ListBucket on the bucket; to one allowed
// s3:GetObject alone, and to an anonymous caller let in by a public bucket
// policy, it is AccessDenied (403), as in S3.
func TestS3MissingKeyNeedsListBucket(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := s3Client(srv.RootConfig())
	b := aws.String("missing-key-bucket")
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	getOnly := s3Client(newUser(t, srv, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::missing-key-bucket/*"}]}`))
	lister := s3Client(newUser(t, srv, "lister", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::missing-key-bucket","arn:aws:s3:::missing-key-bucket/*"]}]}`))
	missing := aws.String("nothing-here")
	_, err := getOnly.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: missing})
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "s3:ListBucket") {
		t.Fatalf("GetObject of a missing key without s3:ListBucket: %v", err)
	}
	_, err = getOnly.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: missing})
	if !strings.Contains(err.Error(), "StatusCode: 403") {
		t.Fatalf("HeadObject of a missing key without s3:ListBucket: %v", err)
	}
	_, err = lister.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: missing})
	wantCode(t, err, "NoSuchKey")
	_, err = lister.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: missing})
	if !strings.Contains(err.Error(), "StatusCode: 404") {
		t.Fatalf("HeadObject of a missing key with s3:ListBucket: %v", err)
	}
	_, err = root.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: missing})
	wantCode(t, err, "NoSuchKey")

	// Anonymous, through a public-read policy: 403 for a missing key, 200 for a present one.
	if _, err := root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::missing-key-bucket/*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("present"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{"present": 200, "nothing-here": 403} {
		resp, err := http.Get(srv.Endpoint() + "/missing-key-bucket/" + key)
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.Body.Close(); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != want {
			t.Errorf("anonymous GET %s: %d, want %d", key, resp.StatusCode, want)
		}
	}
}
