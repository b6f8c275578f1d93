package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"
)

// hostileHTML is an object that, served as a page of the console's
// origin, would read the tab's signed-in credentials.
const hostileHTML = `<!doctype html><title>x</title><script>
window.__pwned = 'ran';
try { window.__pwned = 'read:' + JSON.stringify(sessionStorage) + JSON.stringify(localStorage); } catch (e) {}
</script>`

// TestConsoleAttackSameOriginObjectCannotReadCredentials: an S3 object
// (or any other API answer) shares the console's origin; opened in the
// signed-in tab (a presigned link someone sent) it must not run scripts
// with that origin, which would read the credentials in sessionStorage.
func TestConsoleAttackSameOriginObjectCannotReadCredentials(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(b.root, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("hostile-pages")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hostile-pages"), Key: aws.String("page.html"),
		ContentType: aws.String("text/html"), Body: strings.NewReader(hostileHTML)}); err != nil {
		t.Fatal(err)
	}
	signed, err := s3.NewPresignClient(s3c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("hostile-pages"), Key: aws.String("page.html")},
		s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	b.signInRoot(t)
	if n := eval[int](t, b, `sessionStorage.length`); n == 0 {
		t.Fatal("the signed-in console keeps nothing in sessionStorage; the test reads nothing")
	}
	b.run(t, "open the object", chromedp.Navigate(signed.URL), chromedp.WaitReady(chromedp.CSS("title")))
	if got := eval[string](t, b, `String(window.__pwned)`); got != "undefined" {
		t.Fatalf("a page served from the API ran its script with the console's origin: %.200s", got)
	}
}
