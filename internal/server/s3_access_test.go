package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// presignS3 presigns a request to S3 with X-Amz-Expires and returns its URL.
func presignS3(t *testing.T, creds aws.Credentials, method, rawURL string, expires int, signedAt time.Time) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(expires))
	u.RawQuery = q.Encode()
	r, err := http.NewRequest(method, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestS3SameAccountUserAndBucketPolicy: within the account a bucket policy
// grants on its own; what neither policy allows is refused with S3's
// AccessDenied naming the action, the quoted resource and the reason.
func TestS3SameAccountUserAndBucketPolicy(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := s3Client(srv.RootConfig())
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("team-bucket")}); err != nil {
		t.Fatal(err)
	}
	user := s3Client(newUser(t, srv, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetBucketLocation","Resource":"*"}]}`))
	if _, err := user.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("team-bucket")}); err != nil {
		t.Fatalf("allowed by the identity policy: %v", err)
	}
	// A bucket that does not exist: the identity policy allows, so NoSuchBucket.
	_, err := user.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("no-such-bucket")})
	wantCode(t, err, "NoSuchBucket")
	_, err = user.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("team-bucket")})
	wantCode(t, err, "AccessDenied")
	want := `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: s3:GetBucketTagging on resource: "arn:aws:s3:::team-bucket" because no identity-based policy allows the s3:GetBucketTagging action`
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("AccessDenied message: %v\nwant %s", err, want)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":"s3:GetBucketTagging","Resource":"arn:aws:s3:::team-bucket"},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:GetBucketLocation","Resource":"arn:aws:s3:::team-bucket","Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}}},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:GetBucketVersioning","Resource":"arn:aws:s3:::team-bucket","Condition":{"NumericGreaterThan":{"s3:signatureAge":"60000"}}}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("team-bucket"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	_, err = user.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("team-bucket")})
	wantCode(t, err, "NoSuchTagSet") // allowed by the bucket policy alone
	// s3:authType: the same user's presigned GetBucketLocation is denied.
	creds, err := user.Options().Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := send(t, mustRequest(t, presignS3(t, creds, "GET", srv.Endpoint()+"/team-bucket?location", 300, time.Now()))); code != 403 ||
		!strings.Contains(body, "with an explicit deny in a resource-based policy") {
		t.Fatalf("presigned GetBucketLocation: %d %s", code, body)
	}
	// s3:signatureAge: a URL signed two minutes ago is past the policy's minute.
	rootCreds := aws.Credentials{AccessKeyID: srv.Root().AccessKeyID, SecretAccessKey: srv.Root().SecretAccessKey}
	if code, body := send(t, mustRequest(t, presignS3(t, rootCreds, "GET", srv.Endpoint()+"/team-bucket?versioning", 300, time.Now().Add(-2*time.Minute)))); code != 403 {
		t.Fatalf("GetBucketVersioning signed two minutes ago: %d %s", code, body)
	}
	if code, body := send(t, mustRequest(t, presignS3(t, rootCreds, "GET", srv.Endpoint()+"/team-bucket?versioning", 300, time.Now()))); code != 200 {
		t.Fatalf("GetBucketVersioning signed now: %d %s", code, body)
	}
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestS3PresignedLimits: X-Amz-Expires is at most 604800; an expired URL
// is refused; a URL signed with temporary credentials stops working when
// their session expires, with S3's ExpiredToken.
func TestS3PresignedLimits(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	srv := servertest.StartWith(t, servertest.Options{Now: now})
	ctx := context.Background()
	if _, err := s3Client(srv.RootConfig()).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("presign-bucket")}); err != nil {
		t.Fatal(err)
	}
	root := aws.Credentials{AccessKeyID: srv.Root().AccessKeyID, SecretAccessKey: srv.Root().SecretAccessKey}
	target := srv.Endpoint() + "/presign-bucket?location"
	if code, body := send(t, mustRequest(t, presignS3(t, root, "GET", target, 604800, time.Now()))); code != 200 {
		t.Fatalf("X-Amz-Expires=604800: %d %s", code, body)
	}
	code, body := send(t, mustRequest(t, presignS3(t, root, "GET", target, 604801, time.Now())))
	if code != 400 || !strings.Contains(body, "<Code>AuthorizationQueryParametersError</Code>") ||
		!strings.Contains(body, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds") {
		t.Fatalf("X-Amz-Expires=604801: %d %s", code, body)
	}
	code, body = send(t, mustRequest(t, presignS3(t, root, "GET", target, 60, time.Now().Add(-2*time.Minute))))
	if code != 403 || !strings.Contains(body, "<Message>Request has expired</Message>") || !strings.Contains(body, "<X-Amz-Expires>60</X-Amz-Expires>") {
		t.Fatalf("expired: %d %s", code, body)
	}

	user := newUser(t, srv, "presigner", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucketLocation","sts:GetSessionToken"],"Resource":"*"}]}`)
	tok, err := sts.NewFromConfig(user).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	temp := aws.Credentials{AccessKeyID: aws.ToString(tok.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(tok.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(tok.Credentials.SessionToken)}
	u := presignS3(t, temp, "GET", target, 3600, time.Now())
	if code, body := send(t, mustRequest(t, u)); code != 200 {
		t.Fatalf("presigned with temporary credentials: %d %s", code, body)
	}
	offset.Store(int64(16 * time.Minute))
	code, body = send(t, mustRequest(t, u))
	if code != 400 || !strings.Contains(body, "<Code>ExpiredToken</Code><Message>The provided token has expired.</Message>") {
		t.Fatalf("after the session expired: %d %s", code, body)
	}
}

// TestS3SignatureDoesNotMatch: a wrong secret gets S3's error with the
// string to sign and canonical request echoed.
func TestS3SignatureDoesNotMatch(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	bad := aws.Credentials{AccessKeyID: srv.Root().AccessKeyID, SecretAccessKey: "wrong-secret"}
	code, body := send(t, mustRequest(t, presignS3(t, bad, "GET", srv.Endpoint()+"/any-bucket?location", 60, time.Now())))
	for _, want := range []string{"<Code>SignatureDoesNotMatch</Code>", "<StringToSign>AWS4-HMAC-SHA256\n", "<CanonicalRequest>GET\n/any-bucket\n",
		"<AWSAccessKeyId>" + srv.Root().AccessKeyID + "</AWSAccessKeyId>", "<SignatureProvided>", "<StringToSignBytes>41 57 53 34"} {
		if code != 403 || !strings.Contains(body, want) {
			t.Fatalf("%d %s\nwant %q", code, body, want)
		}
	}
	unknown := aws.Credentials{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: "x"}
	code, body = send(t, mustRequest(t, presignS3(t, unknown, "GET", srv.Endpoint()+"/any-bucket?location", 60, time.Now())))
	if code != 403 || !strings.Contains(body, "<Code>InvalidAccessKeyId</Code>") {
		t.Fatalf("unknown key: %d %s", code, body)
	}
}

// TestS3VirtualHostStyle: "bucket.localhost:PORT" and
// "bucket.s3.localhost:PORT" reach the bucket as "/bucket" does.
func TestS3VirtualHostStyle(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	addr := strings.TrimPrefix(srv.Endpoint(), "http://")
	_, port, _ := net.SplitHostPort(addr)
	dial := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	for _, host := range []string{"localhost", "s3.localhost"} {
		c := s3.NewFromConfig(srv.RootConfig(), func(o *s3.Options) {
			o.UsePathStyle = false
			o.BaseEndpoint = aws.String("http://" + host + ":" + port)
			o.HTTPClient = &http.Client{Transport: dial}
		})
		name := "vhost-" + strings.ReplaceAll(host, ".", "-")
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("%s: CreateBucket: %v", host, err)
		}
		if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &s3types.Tagging{
			TagSet: []s3types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}); err != nil {
			t.Fatalf("%s: PutBucketTagging: %v", host, err)
		}
		tags, err := s3Client(srv.RootConfig()).GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
		if err != nil || len(tags.TagSet) != 1 {
			t.Fatalf("%s: path-style GetBucketTagging: %v", host, err)
		}
	}
}

// TestS3PathsAreNotCleaned: a key holding "//" or ".." reaches S3 as sent,
// not redirected by the HTTP mux.
func TestS3PathsAreNotCleaned(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	for _, p := range []string{"/some-bucket//a?acl", "/some-bucket/a/../b?acl", "/some-bucket/./a?acl"} {
		code, body, h := rawDo(t, "GET", srv.Endpoint()+p)
		if code == http.StatusMovedPermanently || h.Get("Location") != "" || !strings.Contains(body, "<Error>") {
			t.Fatalf("GET %s: %d %v %s", p, code, h, body)
		}
	}
	if code, _, _ := rawDo(t, "GET", srv.Endpoint()+"/_rolecall/health"); code != 200 {
		t.Fatalf("health: %d", code)
	}
}

// TestS3BucketTrail: bucket operations are management events on an
// AWS::S3::Bucket resource, with bucketName and Host in requestParameters.
func TestS3BucketTrail(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	if _, err := s3Client(srv.RootConfig()).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}); err != nil {
		t.Fatal(err)
	}
	out, err := cloudtrail.NewFromConfig(srv.RootConfig()).LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
		AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateBucket")}}})
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("LookupEvents: %v %d", err, len(out.Events))
	}
	var rec struct {
		EventSource       string         `json:"eventSource"`
		EventCategory     string         `json:"eventCategory"`
		ReadOnly          bool           `json:"readOnly"`
		RequestParameters map[string]any `json:"requestParameters"`
		Resources         []struct {
			ARN, Type string
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Events[0].CloudTrailEvent)), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.EventSource != "s3.amazonaws.com" || rec.EventCategory != "Management" || rec.ReadOnly ||
		rec.RequestParameters["bucketName"] != "trail-bucket" || !strings.HasPrefix(rec.RequestParameters["Host"].(string), "127.0.0.1:") ||
		len(rec.Resources) != 1 || rec.Resources[0].ARN != "arn:aws:s3:::trail-bucket" || rec.Resources[0].Type != "AWS::S3::Bucket" {
		t.Fatalf("record: %+v", rec)
	}
}

// TestS3ObjectTagConditions: s3:ExistingObjectTag reads the stored
// object's tags and s3:RequestObjectTag the tags a write sets; anonymous
// callers reach only what the policy grants "*".
func TestS3ObjectTagConditions(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	root := s3Client(srv.RootConfig())
	b := aws.String("tagged-bucket")
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::tagged-bucket/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/visibility":"public"}}},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::tagged-bucket/*","Condition":{"StringEquals":{"s3:RequestObjectTag/visibility":"secret"}}}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	put := func(key, tagging string) error {
		_, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: strings.NewReader("body of " + key), Tagging: aws.String(tagging)})
		return err
	}
	if err := put("open.txt", "visibility=public"); err != nil {
		t.Fatal(err)
	}
	if err := put("closed.txt", "visibility=internal"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, put("hidden.txt", "visibility=secret"), "AccessDenied")
	anon := s3Client(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint()), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	out, err := anon.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("open.txt")})
	if err != nil {
		t.Fatalf("anonymous GetObject of the public-tagged object: %v", err)
	}
	out.Body.Close()
	_, err = anon.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("closed.txt")})
	wantCode(t, err, "AccessDenied")
}

// TestS3LocationConstraintKey: s3:locationconstraint is CreateBucket's
// location constraint.
func TestS3LocationConstraintKey(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	user := newUser(t, srv, "builder", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:CreateBucket","Resource":"*","Condition":{"StringEquals":{"s3:locationconstraint":"eu-west-1"}}}]}`)
	west := s3Client(user, func(o *s3.Options) { o.Region = "eu-west-1" })
	if _, err := west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("allowed-west"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	north := s3Client(user, func(o *s3.Options) { o.Region = "eu-north-1" })
	_, err := north.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("refused-north"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-north-1"}})
	wantCode(t, err, "AccessDenied")
}
