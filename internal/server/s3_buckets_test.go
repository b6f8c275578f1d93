package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// s3Client returns a path-style S3 client for cfg.
func s3Client(cfg aws.Config, opts ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) { o.UsePathStyle = true }}, opts...)...)
}

// apiCode returns the AWS error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// TestS3BucketLifecycle: a bucket is created, reported with S3's defaults
// (public access blocked, BucketOwnerEnforced, SSE-S3, unversioned, the
// owner's full control), tagged, listed and deleted.
func TestS3BucketLifecycle(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	b := aws.String("lifecycle-bucket")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	// us-east-1 answers 200 to the owner creating it again.
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatalf("second CreateBucket in us-east-1: %v", err)
	}
	head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
	if err != nil || aws.ToString(head.BucketRegion) != "us-east-1" {
		t.Fatalf("HeadBucket: %v, region %q", err, aws.ToString(head.BucketRegion))
	}
	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(list.Buckets) != 1 || aws.ToString(list.Buckets[0].Name) != *b || list.Buckets[0].CreationDate == nil || list.Owner == nil || len(aws.ToString(list.Owner.ID)) != 64 {
		t.Fatalf("ListBuckets: %v %+v", err, list)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("GetBucketLocation: %v %q", err, loc.LocationConstraint)
	}
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	p := pab.PublicAccessBlockConfiguration
	if !aws.ToBool(p.BlockPublicAcls) || !aws.ToBool(p.IgnorePublicAcls) || !aws.ToBool(p.BlockPublicPolicy) || !aws.ToBool(p.RestrictPublicBuckets) {
		t.Fatalf("new bucket's public access block: %+v", p)
	}
	own, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b})
	if err != nil || own.OwnershipControls.Rules[0].ObjectOwnership != s3types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("GetBucketOwnershipControls: %v", err)
	}
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
		t.Fatalf("GetBucketEncryption: %v", err)
	}
	ver, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	if err != nil || ver.Status != "" {
		t.Fatalf("GetBucketVersioning: %v %q", err, ver.Status)
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b})
	if err != nil || len(acl.Grants) != 1 || acl.Grants[0].Permission != s3types.PermissionFullControl ||
		aws.ToString(acl.Grants[0].Grantee.ID) != aws.ToString(list.Owner.ID) || acl.Grants[0].Grantee.Type != s3types.TypeCanonicalUser {
		t.Fatalf("GetBucketAcl: %v %+v", err, acl)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl-bucket"), ACL: s3types.BucketCannedACLPublicRead}); apiCode(err) != "InvalidBucketAclWithObjectOwnership" {
		t.Fatalf("CreateBucket with public-read: %v", err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	wantCode(t, err, "NoSuchTagSet")
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &s3types.Tagging{TagSet: []s3types.Tag{
		{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("env"), Value: aws.String("dev")}}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	if err != nil || len(tags.TagSet) != 2 || aws.ToString(tags.TagSet[0].Key) != "env" {
		t.Fatalf("GetBucketTagging: %v %+v", err, tags)
	}
	if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	wantCode(t, err, "NoSuchTagSet")
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
	wantCode(t, err, "NotFound")
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	wantCode(t, err, "NoSuchBucket")
}

// rawGet sends an unsigned request and returns its status and body.
func rawDo(t *testing.T, method, url string) (int, string, http.Header) {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var _ = strings.Contains
