package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// The console's page is the one thing under /console/ answered without a
// signature; a signed request there is S3's (a bucket named "console"),
// and an unsigned request of another method is refused as S3 refuses it.
func TestConsolePageRouting(t *testing.T) {
	srv := servertest.Start(t)
	for _, p := range []string{"/console/", "/console/roles/x"} {
		resp, err := http.Get(srv.Endpoint() + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `<meta name="rolecall-region" content="us-east-1">`) {
			t.Errorf("GET %s: %d\n%.200s", p, resp.StatusCode, b)
		}
	}

	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("console")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("console"), Key: aws.String("roles/x"), Body: strings.NewReader("object")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("console"), Key: aws.String("roles/x")})
	if err != nil {
		t.Fatalf("a signed GET under /console/ is S3's: %v", err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "object" {
		t.Errorf("GetObject console/roles/x = %q", b)
	}

	req, err := http.NewRequest(http.MethodPut, srv.Endpoint()+"/console/roles/x", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "AccessDenied") {
		t.Errorf("unsigned PUT under /console/: %d %s, want S3's 403 AccessDenied", resp.StatusCode, b)
	}
}
