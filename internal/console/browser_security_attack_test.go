package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
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

// hostile is markup that sets window.__pwned if any page lets it run.
const hostile = `"><img src=x onerror="window.__pwned=1"><svg onload="window.__pwned=2"></svg>javascript:window.__pwned=3`

const hostileHandler = `import json
def handler(event, context):
    print('` + `<img src=x onerror="window.__pwned=4">` + `')
    return {"html": "<script>window.__pwned=5</script>", "event": event}
`

// TestConsoleAttackHostileDataDoesNotRun: markup in the data the server
// returns (a role's description, a policy's conditions, a
// function's description, environment, output and log, the trail's
// request parameters, a saved event's text and a shared link's query) is
// shown as text on every page, never run.
func TestConsoleAttackHostileDataDoesNotRun(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	c := iam.NewFromConfig(b.root)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("hostile-role"), AssumeRolePolicyDocument: aws.String(fnTrust),
		Description: aws.String(hostile), Tags: []iamtypes.Tag{{Key: aws.String("tagkey"), Value: aws.String("tag value")}}}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"S1","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/<img src=x onerror=window.__pwned=6>",` +
		`"Condition":{"StringEquals":{"aws:PrincipalTag/x":"` + strings.ReplaceAll(hostile, `"`, `\"`) + `"}}}]}`
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("hostile-policy"), PolicyDocument: aws.String(doc), Description: aws.String(hostile)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("hostile-role"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("hostile-role"), PolicyArn: aws.String(fnBasicExec)}); err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::" + fnAccount + ":role/hostile-role"
	fnCreate(t, b.root, "hostile-fn", role, func(in *lambda.CreateFunctionInput) {
		in.Code = &lambdatypes.FunctionCode{ZipFile: fnZip(t, hostileHandler)}
		in.Description = aws.String(hostile)
		in.Environment = &lambdatypes.Environment{Variables: map[string]string{"HOSTILE": hostile}}
	})

	b.signInRoot(t)
	pages := []struct{ path, text string }{
		{"/roles/hostile-role", "hostile-role"},
		{"/roles/hostile-role?tab=tags", "tagkey"},
		{"/roles/hostile-role?tab=trust", "lambda.amazonaws.com"},
		{consolePolicyPath(*pol.Policy.Arn), "hostile-policy"},
		{"/functions/hostile-fn?tab=configuration", "window.__pwned"},
		{"/functions/hostile-fn?tab=permissions", "hostile-role"},
		{"/roles?search=" + url.QueryEscape(hostile), "Roles"},
		{"/trail?attribute=EventName&value=" + url.QueryEscape(hostile), "Event history"},
	}
	for _, p := range pages {
		b.open(t, p.path)
		b.waitText(t, "main", p.text)
		if got := eval[string](t, b, `String(window.__pwned)`); got != "undefined" {
			t.Fatalf("%s ran the data's markup: window.__pwned = %s", p.path, got)
		}
		if n := eval[int](t, b, `document.querySelectorAll("main img, main svg[onload], main [onerror], main [onload], main a[href^='javascript' i]").length`); n != 0 {
			t.Errorf("%s made %d elements of the data's markup", p.path, n)
		}
	}

	b.open(t, "/functions/hostile-fn?tab=test")
	b.waitText(t, "[role=tabpanel]", "Test event")
	b.fill(t, "#event-json", `{"x": "<img src=x onerror=\"window.__pwned=7\">"}`)
	b.click(t, "button.test-invoke")
	b.waitText(t, ".report-line", "Billed Duration")
	b.waitText(t, ".test-result", "window.__pwned=4")
	if got := eval[string](t, b, `String(window.__pwned)`); got != "undefined" {
		t.Fatalf("the function's output ran: window.__pwned = %s", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll("main img, main script").length`); n != 0 {
		t.Errorf("the test result made %d elements of the function's output", n)
	}

	b.open(t, "/trail?attribute=EventName&value=Invoke&events=all")
	b.waitText(t, "main", "hostile-fn")
	if got := eval[string](t, b, `String(window.__pwned)`); got != "undefined" {
		t.Fatalf("the trail ran recorded parameters: window.__pwned = %s", got)
	}
	ev := eval[string](t, b, `document.querySelector('main a[href^="/console/trail/"]').getAttribute("href")`)
	b.open(t, strings.TrimPrefix(ev, "/console"))
	b.waitText(t, "main", "hostile-fn")
	if got := eval[string](t, b, `String(window.__pwned)`); got != "undefined" {
		t.Fatalf("the event page ran recorded parameters: window.__pwned = %s", got)
	}

	// The credentials stay in the tab's sessionStorage: not in
	// localStorage, the address, nor any URL the page fetched.
	r := b.srv.Root()
	leaks := eval[string](t, b, `JSON.stringify(localStorage) + location.href + performance.getEntries().map((e) => e.name).join(" ")`)
	for _, secret := range []string{r.AccessKeyID, r.SecretAccessKey} {
		if strings.Contains(leaks, secret) {
			t.Errorf("a credential is outside sessionStorage: %.300s", leaks)
		}
	}
}
