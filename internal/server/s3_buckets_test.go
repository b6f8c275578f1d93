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
	t.Parallel()
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

// TestS3CreateBucketRules: S3's naming rules and location constraints.
func TestS3CreateBucketRules(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	for _, name := range []string{"ab", strings.Repeat("a", 64), "Upper-case", "under_score", "-leading", "trailing-",
		"two..dots", "192.168.5.4", "xn--punycode", "sthree-x", "name-s3alias", "name--ol-s3", "x.mrap"} {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		if apiCode(err) != "InvalidBucketName" {
			t.Errorf("CreateBucket %q: %v, want InvalidBucketName", name, err)
		}
	}
	for _, name := range []string{"abc", strings.Repeat("a", 63), "my.dotted.bucket", "a-1-b"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("CreateBucket %q: %v", name, err)
		}
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("east-named"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}})
	wantCode(t, err, "InvalidLocationConstraint")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("west-from-east"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}})
	wantCode(t, err, "IllegalLocationConstraintException")

	west := s3Client(srv.RootConfig(), func(o *s3.Options) { o.Region = "eu-west-1" })
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("west-unspecified")})
	wantCode(t, err, "IllegalLocationConstraintException")
	if !strings.Contains(err.Error(), "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.") {
		t.Errorf("message: %v", err)
	}
	if _, err := west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("west-bucket"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	loc, err := west.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("west-bucket")})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Fatalf("GetBucketLocation: %v %q", err, loc.LocationConstraint)
	}
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("west-bucket"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}})
	wantCode(t, err, "BucketAlreadyOwnedByYou")
	head, err := west.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("west-bucket")})
	if err != nil || aws.ToString(head.BucketRegion) != "eu-west-1" {
		t.Fatalf("HeadBucket: %v", err)
	}
	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String("eu-west-1")})
	if err != nil || len(list.Buckets) != 1 || aws.ToString(list.Buckets[0].Name) != "west-bucket" {
		t.Fatalf("ListBuckets in eu-west-1: %v %+v", err, list.Buckets)
	}
	page, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2)})
	if err != nil || len(page.Buckets) != 2 || page.ContinuationToken == nil {
		t.Fatalf("ListBuckets page: %v %+v", err, page)
	}
	next, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(10), ContinuationToken: page.ContinuationToken})
	if err != nil || len(next.Buckets) != 3 || next.ContinuationToken != nil {
		t.Fatalf("ListBuckets next page: %v %+v", err, next)
	}
}

const publicReadPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::%s"}]}`

// TestS3BucketPolicy: S3's checks of a bucket policy, BlockPublicPolicy,
// the policy status, and anonymous access only where a policy grants "*"
// and RestrictPublicBuckets does not block it.
func TestS3BucketPolicy(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	for _, b := range []string{"public-bucket", "private-bucket"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	put := func(doc string) error {
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("public-bucket"), Policy: aws.String(doc)})
		return err
	}
	for _, tc := range []struct{ doc, message string }{
		{`not json`, "Policies must be valid JSON and the first byte must be '{'"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::public-bucket/*"}]}`, "Invalid principal in policy"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*"}]}`, "Policy has invalid resource"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"iam:GetUser","Resource":"arn:aws:s3:::public-bucket"}]}`, "Policy has invalid action"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::public-bucket/*"}]}`, "Missing required field Principal"},
	} {
		err := put(tc.doc)
		if apiCode(err) != "MalformedPolicy" || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("PutBucketPolicy %s: %v, want MalformedPolicy %q", tc.doc, err, tc.message)
		}
	}
	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("public-bucket")})
	wantCode(t, err, "NoSuchBucketPolicy")
	public := strings.ReplaceAll(publicReadPolicy, "%s", "public-bucket")
	err = put(public)
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), `because public policies are blocked by the BlockPublicPolicy block public access setting.`) {
		t.Fatalf("message: %v", err)
	}
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("public-bucket")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("public-bucket")})
	wantCode(t, err, "NoSuchPublicAccessBlockConfiguration")
	if err := put(public); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("public-bucket")})
	if err != nil || aws.ToString(got.Policy) != public {
		t.Fatalf("GetBucketPolicy: %v %q", err, aws.ToString(got.Policy))
	}
	st, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("public-bucket")})
	if err != nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("GetBucketPolicyStatus: %v", err)
	}

	// Anonymous: the public bucket answers, the private one refuses.
	if code, body, _ := rawDo(t, "GET", srv.Endpoint()+"/public-bucket?location"); code != 403 || !strings.Contains(body, "<Message>Access Denied</Message>") {
		t.Fatalf("anonymous GetBucketLocation (not granted): %d %s", code, body)
	}
	if code, _, h := rawDo(t, "HEAD", srv.Endpoint()+"/public-bucket"); code != 200 || h.Get("x-amz-bucket-region") != "us-east-1" {
		t.Fatalf("anonymous HeadBucket of the public bucket: %d", code)
	}
	code, body, h := rawDo(t, "GET", srv.Endpoint()+"/private-bucket?tagging")
	if code != 403 || !strings.Contains(body, "<Code>AccessDenied</Code><Message>Access Denied</Message>") ||
		!strings.Contains(body, "<HostId>") || h.Get("x-amz-id-2") == "" || h.Get("x-amz-request-id") == "" {
		t.Fatalf("anonymous GetBucketTagging of the private bucket: %d %s %v", code, body, h)
	}
	// RestrictPublicBuckets: the public policy no longer serves outsiders.
	if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("public-bucket"),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{RestrictPublicBuckets: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := rawDo(t, "HEAD", srv.Endpoint()+"/public-bucket"); code != 403 {
		t.Fatalf("anonymous HeadBucket with RestrictPublicBuckets: %d", code)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("public-bucket")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("public-bucket")})
	wantCode(t, err, "NoSuchBucketPolicy")
}

// TestS3WrongRegion: a request signed for another region than the
// bucket's is told the bucket's region.
func TestS3WrongRegion(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	west := s3Client(srv.RootConfig(), func(o *s3.Options) { o.Region = "eu-west-1" })
	if _, err := west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("far-bucket"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	east := s3Client(srv.RootConfig())
	_, err := east.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("far-bucket")})
	wantCode(t, err, "AuthorizationHeaderMalformed")
	if !strings.Contains(err.Error(), "the region 'us-east-1' is wrong; expecting 'eu-west-1'") {
		t.Fatalf("message: %v", err)
	}
	if loc, err := east.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("far-bucket")}); err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Fatalf("GetBucketLocation from us-east-1: %v", err)
	}
	_, err = west.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("far-bucket")})
	wantCode(t, err, "NoSuchTagSet")
}

// TestS3DeleteBucketWithUploadInProgress: objects keep a bucket; a
// multipart upload in progress does not, and goes with it.
func TestS3DeleteBucketWithUploadInProgress(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	b := aws.String("busy-bucket")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("a//b/../c"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})
	wantCode(t, err, "BucketNotEmpty")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("a//b/../c")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); err != nil {
		t.Fatalf("DeleteBucket with an upload in progress: %v", err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
	if err != nil || len(list.Uploads) != 0 {
		t.Fatalf("uploads of the bucket made again: %v %+v", err, list.Uploads)
	}
}

// TestS3ExpectedBucketOwner: x-amz-expected-bucket-owner naming another
// account is refused.
func TestS3ExpectedBucketOwner(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	b := aws.String("owned-bucket")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b, ExpectedBucketOwner: aws.String("123456789012")}); err != nil {
		t.Fatalf("the owner expected: %v", err)
	}
	_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b, ExpectedBucketOwner: aws.String("111122223333")})
	wantCode(t, err, "AccessDenied")
}
