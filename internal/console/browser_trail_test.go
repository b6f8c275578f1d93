package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rolecall/rolecall/internal/store"
)

// trailFunctionCode is a function that describes the DynamoDB table its
// event names and returns the error code of the call ("" when allowed).
const trailFunctionCode = `import boto3

def handler(event, context):
    try:
        boto3.client("dynamodb").describe_table(TableName=event["table"])
        return {"code": ""}
    except Exception as e:
        return {"code": getattr(e, "response", {}).get("Error", {}).get("Code", str(e))}
`

// trailDeniedFunction makes, as root, a python3.11 function whose role has
// only AWSLambdaBasicExecutionRole, and invokes it so that it is denied
// dynamodb:DescribeTable on the table "orders".
func trailDeniedFunction(t *testing.T, b *browser) {
	t.Helper()
	ctx := context.Background()
	role := fnRole(t, b.root, "orders-reader", fnBasicExec)
	fnCreate(t, b.root, "orders-report", role, func(in *lambda.CreateFunctionInput) {
		in.Code = &lambdatypes.FunctionCode{ZipFile: fnZip(t, trailFunctionCode)}
		in.Timeout = aws.Int32(30)
	})
	if _, err := dynamodb.NewFromConfig(b.root).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("orders"),
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: dbtypes.KeyTypeHash}},
		BillingMode:          dbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	if code := trailInvoke(t, b); code != "AccessDeniedException" {
		t.Fatalf("the function's DescribeTable answered %q, want AccessDeniedException", code)
	}
}

// trailInvoke invokes the function of trailDeniedFunction and returns the
// error code its DescribeTable call was answered.
func trailInvoke(t *testing.T, b *browser) string {
	t.Helper()
	out, err := lambda.NewFromConfig(b.root).Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("orders-report"), Payload: []byte(`{"table":"orders"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var res struct{ Code string }
	if err := json.Unmarshal(out.Payload, &res); err != nil || out.FunctionError != nil {
		t.Fatalf("the function answered %s (%v)", out.Payload, err)
	}
	return res.Code
}

// TestConsoleTrail walks the event history as root: a function's denied
// call is found by its event name, marked as a denial, and opens into its
// event and explanation; the filters are in the URL; pages go forward
// and back through NextToken.
func TestConsoleTrail(t *testing.T) {
	b := newBrowser(t)
	trailDeniedFunction(t, b)
	// A second denial, in another second (the access rows a fix's "also
	// allows" lists are kept per second).
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	if code := trailInvoke(t, b); code != "AccessDeniedException" {
		t.Fatalf("the function's second DescribeTable answered %q", code)
	}
	// More ListRoles events than a page holds.
	ic := iam.NewFromConfig(b.root)
	for range 53 {
		if _, err := ic.ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	b.signInRoot(t)

	// The whole history, then a search with the form: the URL names it.
	b.open(t, "/trail")
	b.waitText(t, "main h1", "Event history")
	b.waitText(t, "main table", "ListRoles")
	if h1 := b.text(t, "main h1"); h1 != "Event history" {
		t.Errorf("the page's heading is %q", h1)
	}
	// By keyboard: "/" goes to the search box, Enter searches.
	b.run(t, "/", trailKeyDown('/'))
	if name := eval[string](t, b, "document.activeElement.name"); name != "value" {
		t.Errorf(`"/" focuses %q, want the value field`, name)
	}
	b.run(t, "DescribeTable Enter", chromedp.KeyEvent("DescribeTable"), chromedp.KeyEvent("\r"))
	b.waitText(t, "main table", "DescribeTable")
	if got := eval[string](t, b, "location.pathname + location.search"); got != "/console/trail?attribute=EventName&value=DescribeTable" {
		t.Errorf("after the keyboard search the URL is %s", got)
	}
	b.fill(t, `select[name="attribute"]`, "EventSource")
	b.fill(t, `input[name="value"]`, "dynamodb.amazonaws.com")
	b.fill(t, `select[name="range"]`, "24h")
	b.click(t, `form[role="search"] button[type="submit"]`)
	b.waitText(t, "main table", "DescribeTable")
	if got := eval[string](t, b, "location.pathname + location.search"); got != "/console/trail?attribute=EventSource&value=dynamodb.amazonaws.com&range=24h" {
		t.Errorf("after the search the URL is %s", got)
	}
	// CreateTable (allowed) and the two DescribeTable (denied) of the source.
	b.waitText(t, "main table", "CreateTable")
	if n, d := eval[int](t, b, `document.querySelectorAll("main tbody tr").length`), eval[int](t, b, `document.querySelectorAll("main tbody tr.denied").length`); n != 3 || d != 2 {
		t.Errorf("the search shows %d events, %d denied; want dynamodb.amazonaws.com's 3, 2 denied", n, d)
	}
	// The denial is marked, with the function's session as its user.
	// (the record's errorCode is AccessDenied, as CloudTrail records it;
	// the function was answered AccessDeniedException)
	b.waitText(t, "main tr.denied", "AccessDenied")
	b.waitText(t, "main tr.denied .badge", "Denied")
	b.waitText(t, "main tr.denied", "orders-report")
	b.waitText(t, "main tr.denied", "dynamodb.amazonaws.com")
	b.shot(t, "trail-list")

	// The shared link opens the same search.
	b.open(t, "/trail?attribute=EventName&value=DescribeTable")
	b.waitText(t, "main tr.denied", "DescribeTable")
	if v := eval[string](t, b, `document.querySelector('input[name="value"]').value`); v != "DescribeTable" {
		t.Errorf("the shared link's value field holds %q", v)
	}

	// Pages: 50, then the rest, then back.
	b.open(t, "/trail?attribute=EventName&value=ListRoles")
	b.waitText(t, ".trail-count", "Page 1: 50 events")
	first := eval[string](t, b, `document.querySelector("main tbody tr a").href`)
	b.click(t, `button[aria-label="Next page"]`)
	b.waitText(t, ".trail-count", "Page 2: 3 events")
	if dis := eval[bool](t, b, `document.querySelector('button[aria-label="Next page"]').disabled`); !dis {
		t.Error("Next is enabled on the last page")
	}
	b.click(t, `button[aria-label="Previous page"]`)
	b.waitText(t, ".trail-count", "Page 1: 50 events")
	if again := eval[string](t, b, `document.querySelector("main tbody tr a").href`); again != first {
		t.Errorf("Previous shows a page starting with %s, want %s", again, first)
	}

	// A custom range in the future has no events; one ending before it
	// starts is refused with CloudTrail's error.
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	b.open(t, "/trail?range=custom&start="+future)
	b.waitText(t, "main .empty", "No events match these filters.")
	b.open(t, fmt.Sprintf("/trail?range=custom&start=%s&end=%s", future, time.Now().UTC().Format(time.RFC3339)))
	b.waitText(t, ".error-code", "InvalidTimeRangeException")
	// A custom range chosen in the form: local times in, UTC in the URL.
	b.open(t, "/trail")
	b.fill(t, `select[name="range"]`, "custom")
	b.fill(t, `input[name="start"]`, "2020-01-01T00:00:00")
	b.click(t, `form[role="search"] button[type="submit"]`)
	b.waitText(t, ".trail-count", "Page 1: 50 events")
	want := "/console/trail?range=custom&start=" + url.QueryEscape(eval[string](t, b, `new Date("2020-01-01T00:00:00").toISOString()`))
	if got := eval[string](t, b, "location.pathname + location.search"); got != want {
		t.Errorf("the custom range's URL is %s, want %s", got, want)
	}
	if v := eval[string](t, b, `document.querySelector('input[name="start"]').value`); v != "2020-01-01T00:00" { // (the browser leaves out :00 seconds)
		t.Errorf("the start field shows %q after the search", v)
	}
	// An event ID that is not in the history.
	b.open(t, "/trail/00000000-0000-4000-8000-000000000000")
	b.waitText(t, ".error", "EventNotFound: No event with ID 00000000-0000-4000-8000-000000000000 is in the trail of this account.")

	// The denial's event page: key fields, the record, the explanation.
	b.open(t, "/trail?attribute=EventName&value=DescribeTable")
	b.click(t, "main tr.denied a.explain")
	b.waitText(t, "main h1", "DescribeTable")
	b.waitText(t, "main .kv", "arn:aws:sts::123456789012:assumed-role/orders-reader/orders-report")
	b.waitText(t, "main .denial", "AccessDenied: User: arn:aws:sts::123456789012:assumed-role/orders-reader/orders-report is not authorized")
	b.waitText(t, `pre[aria-label="CloudTrail record"]`, `"errorCode": "AccessDenied"`)
	b.waitText(t, "main .verdict", "Denied because no identity-based policy allows the dynamodb:DescribeTable action")
	b.waitText(t, "main table", "aws:PrincipalArn")
	b.waitText(t, "main .policy h4", "AWSLambdaBasicExecutionRole")
	if !strings.HasPrefix(eval[string](t, b, "location.pathname"), "/console/trail/") {
		t.Errorf("the event page is at %s", eval[string](t, b, "location.pathname"))
	}
	// The fix: the statement to add, scoped to the request, and what
	// else it allows; applied after a confirmation, as root.
	b.waitText(t, "main .fix h4", "orders-reader")
	b.waitText(t, `pre[aria-label="Statement to add"]`, `"dynamodb:DescribeTable"`)
	b.waitText(t, `pre[aria-label="Statement to add"]`, `"arn:aws:dynamodb:us-east-1:123456789012:table/orders"`)
	b.waitText(t, "main .fix .kv", "iam:PutRolePolicy on role orders-reader")
	b.waitText(t, "main .fix .also-allows", "dynamodb:DescribeTable")
	// The other denial is among the requests the fix also allows.
	b.waitText(t, "main .fix .also-allows caption", "Other recorded requests it would allow")
	other := eval[string](t, b, `document.querySelector("main .fix .also-allows tbody a").getAttribute("href")`)
	if here := eval[string](t, b, "location.pathname"); !strings.HasPrefix(other, "/console/trail/") || other == here {
		t.Errorf("the fix's other request links to %q (this event is %s)", other, here)
	}
	b.shot(t, "trail-event-denied")
	b.click(t, "main .fix button.apply-fix")
	b.waitText(t, "main .fix .confirm", "This calls iam:PutRolePolicy on role orders-reader as you")
	if focused := eval[string](t, b, "document.activeElement.textContent"); focused != "Yes, call iam:PutRolePolicy" {
		t.Errorf("the confirmation focuses %q", focused)
	}
	b.click(t, "main .fix button.confirm-fix")
	b.waitText(t, "main .applied", "Applied with iam:PutRolePolicy on role orders-reader.")
	b.waitText(t, "main .now-allowed", "With the policies as they are now, this request would be allowed.")
	b.waitText(t, "main .verdict", "Allowed")
	b.shot(t, "trail-event-fixed")

	// The role has the statement, and the function's call now passes.
	ctx := context.Background()
	names, err := ic.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("orders-reader")})
	if err != nil || len(names.PolicyNames) != 1 {
		t.Fatalf("the role's inline policies after the fix: %v (%v)", names, err)
	}
	if code := trailInvoke(t, b); code != "" {
		t.Errorf("after the fix the function's DescribeTable answered %q", code)
	}
	// The fix was made as root, through the signed client: it is in the trail.
	b.open(t, "/trail?attribute=EventName&value=PutRolePolicy")
	b.waitText(t, "main tbody tr", "root")
}

// TestConsoleTrailRestricted signs in as a user who may not call
// cloudtrail:LookupEvents: the event history shows AWS's refusal.
func TestConsoleTrailRestricted(t *testing.T) {
	b := newBrowser(t)
	id, secret := b.user(t, "auditor", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	b.signIn(t, id, secret, "")
	b.open(t, "/trail")
	b.waitText(t, ".error-code", "AccessDeniedException")
	b.waitText(t, ".error", "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: cloudtrail:LookupEvents")
	b.shot(t, "trail-access-denied")
	b.open(t, "/trail/0f3c2f57-9d5a-4a47-b0a4-7c8c1f1d2e11")
	b.waitText(t, ".error", "is not authorized to perform: cloudtrail:LookupEvents")

	// A user who may read the trail but not simulate the denied user's
	// policies sees the event, and AWS's refusal where the explanation
	// would be.
	id, secret = b.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}`)
	b.click(t, "#signout")
	b.signIn(t, id, secret, "")
	b.open(t, "/trail?attribute=Username&value=auditor")
	b.waitText(t, "main tr.denied", "LookupEvents")
	b.click(t, "main tr.denied a.explain")
	b.waitText(t, "main h1", "LookupEvents")
	b.waitText(t, "main .card .error", "User: arn:aws:iam::123456789012:user/reader is not authorized to perform: iam:SimulatePrincipalPolicy on resource: arn:aws:iam::123456789012:user/auditor")
	b.waitText(t, `pre[aria-label="CloudTrail record"]`, `"userName": "auditor"`)
	b.shot(t, "trail-explanation-denied")
}

// TestConsoleTrailExplicitDeny follows a user's explicitly denied call to
// the statement that denies it, highlighted in its policy, and removes
// that statement with the fix.
func TestConsoleTrailExplicitDeny(t *testing.T) {
	b := newBrowser(t)
	id, secret := b.user(t, "blocked", `{"Version":"2012-10-17","Statement":[`+
		`{"Sid":"Everything","Effect":"Allow","Action":"iam:*","Resource":"*"},`+
		`{"Sid":"NoUserListing","Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}`)
	ctx := context.Background()
	_, err := iam.NewFromConfig(b.srv.Config(id, secret, "")).ListUsers(ctx, &iam.ListUsersInput{})
	if err == nil || !strings.Contains(err.Error(), "explicit deny") {
		t.Fatalf("ListUsers as blocked: %v, want an explicit deny", err)
	}
	b.signInRoot(t)
	b.open(t, "/trail?attribute=Username&value=blocked")
	b.waitText(t, "main tr.denied", "ListUsers")
	b.click(t, "main tr.denied a.explain")
	b.waitText(t, "main .verdict", "Denied with an explicit deny in an identity-based policy.")
	b.waitText(t, "main .verdict-lines", `The statement "NoUserListing" of the identity-based policy console denies iam:ListUsers`)
	// The deny is highlighted in its policy, and only it.
	b.waitText(t, "main .policy pre mark.decisive", `"Sid": "NoUserListing"`)
	if n := eval[int](t, b, `document.querySelectorAll("main mark.decisive").length`); n != 1 {
		t.Errorf("%d statements are highlighted, want the deny", n)
	}
	if marked := eval[string](t, b, `document.querySelector("main mark.decisive").textContent`); strings.Contains(marked, "Everything") {
		t.Errorf("the highlight covers the allow too: %s", marked)
	}
	b.waitText(t, `pre[aria-label="Statement to remove"]`, `"NoUserListing"`)
	b.waitText(t, "main .fix .kv", "iam:PutUserPolicy on user blocked")
	b.shot(t, "trail-event-explicit-deny")

	// Cancel leaves the policy as it is; then apply.
	b.click(t, "main .fix button.apply-fix")
	b.click(t, "main .fix .confirm button:not(.confirm-fix)")
	if hidden := eval[bool](t, b, `document.querySelector("main .fix .confirm").hidden`); !hidden {
		t.Error("Cancel left the confirmation open")
	}
	// By keyboard: Enter on the button opens the confirmation, whose
	// button has the focus; Enter applies.
	eval[bool](t, b, `(document.querySelector("main .fix button.apply-fix").focus(), true)`)
	b.run(t, "Enter", chromedp.KeyEvent("\r"))
	b.waitText(t, "main .fix .confirm", "This calls iam:PutUserPolicy on user blocked as you")
	b.run(t, "Enter", chromedp.KeyEvent("\r"))
	b.waitText(t, "main .now-allowed", "this request would be allowed")
	if _, err := iam.NewFromConfig(b.srv.Config(id, secret, "")).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers as blocked after the fix: %v", err)
	}
}

// TestConsoleTrailBucketPolicy follows a call a bucket policy denies
// explicitly to its fix, which the console applies with S3's
// PutBucketPolicy.
func TestConsoleTrailBucketPolicy(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	pathStyle := func(o *s3.Options) { o.UsePathStyle = true }
	root := s3.NewFromConfig(b.root, pathStyle)
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("audit-logs")}); err != nil {
		t.Fatal(err)
	}
	id, secret := b.user(t, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("audit-logs"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"RootReadsTags","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetBucketTagging","Resource":"arn:aws:s3:::audit-logs"},` +
		`{"Sid":"NoPolicyReading","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/carol"},"Action":"s3:GetBucketPolicy","Resource":"arn:aws:s3:::audit-logs"}]}`)}); err != nil {
		t.Fatal(err)
	}
	carol := s3.NewFromConfig(b.srv.Config(id, secret, ""), pathStyle)
	if _, err := carol.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("audit-logs")}); err == nil {
		t.Fatal("carol read the bucket's policy")
	}

	b.signInRoot(t)
	b.open(t, "/trail?attribute=EventName&value=GetBucketPolicy")
	b.click(t, "main tr.denied a.explain")
	b.waitText(t, "main .verdict", "Denied with an explicit deny in a resource-based policy.")
	b.waitText(t, "main .policy h4", "Resource-based policy")
	b.waitText(t, "main .policy pre mark.decisive", `"Sid": "NoPolicyReading"`)
	b.waitText(t, "main .fix .kv", "s3:PutBucketPolicy on bucket audit-logs")
	b.shot(t, "trail-event-bucket-policy")
	b.click(t, "main .fix button.apply-fix")
	b.click(t, "main .fix button.confirm-fix")
	b.waitText(t, "main .applied", "Applied with s3:PutBucketPolicy on bucket audit-logs.")
	b.shot(t, "trail-event-bucket-policy-applied")

	// The bucket keeps its other statement; carol reads the policy now.
	out, err := carol.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("audit-logs")})
	if err != nil {
		t.Fatalf("carol's GetBucketPolicy after the fix: %v", err)
	}
	if p := aws.ToString(out.Policy); !strings.Contains(p, "RootReadsTags") || strings.Contains(p, "NoPolicyReading") {
		t.Errorf("the bucket's policy after the fix: %s", p)
	}
}

// trailKeyDown presses and releases a key without the char event that
// types it: the page cancels the key on keydown, as a browser then types
// nothing, but a synthesized char event types it all the same.
func trailKeyDown(key rune) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, k := range kb.Encode(key) {
			if k.Type == kb.KeyChar {
				continue
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *k); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkConsoleTrail loads the event history of an account with
// 100,000 events in Chromium, signed in as root: the whole history's
// first page, and a page filtered by user name over the last 24 hours. It
// reports, from navigation start, when the page showed its 50 rows
// (ready-ms, filtered-ready-ms), and how long the LookupEvents call took
// as the browser timed it (lookup-ms, filtered-lookup-ms).
//
//	go test -run '^$' -bench ConsoleTrail -benchtime 20x ./internal/console
func BenchmarkConsoleTrail(b *testing.B) {
	br := newBrowser(b)
	trailSeed(b, br, 100_000)
	r := br.srv.Root()
	br.signIn(b, r.AccessKeyID, r.SecretAccessKey, "")
	const lookup = `performance.getEntriesByType("resource").filter(e => e.initiatorType === "fetch").at(-1).duration`
	var ready, took, fready, ftook float64
	b.ResetTimer()
	for b.Loop() {
		br.open(b, "/trail")
		br.waitText(b, ".trail-count", "Page 1: 50 events")
		ready += eval[float64](b, br, `performance.now()`)
		took += eval[float64](b, br, lookup)
		br.open(b, "/trail?attribute=Username&value=user-7&range=24h")
		br.waitText(b, ".trail-count", "Page 1: 50 events")
		fready += eval[float64](b, br, `performance.now()`)
		ftook += eval[float64](b, br, lookup)
	}
	n := float64(b.N)
	b.ReportMetric(ready/n, "ready-ms")
	b.ReportMetric(took/n, "lookup-ms")
	b.ReportMetric(fready/n, "filtered-ready-ms")
	b.ReportMetric(ftook/n, "filtered-lookup-ms")
}

// trailSeed stores n management events of the account straight into the
// server's store: 20 event names, 50 users, one every 6 seconds back from
// now, each with a CloudTrail record of a typical size.
func trailSeed(b *testing.B, br *browser, n int) {
	b.Helper()
	st := br.srv.Recorder().Store()
	names := []string{"GetRole", "ListRoles", "PutRolePolicy", "GetFunction", "Invoke", "ListFunctions", "CreateLogStream", "PutLogEvents",
		"DescribeTable", "GetCallerIdentity", "AssumeRole", "ListPolicies", "GetPolicyVersion", "ListBuckets", "GetBucketPolicy",
		"SendMessage", "ReceiveMessage", "Decrypt", "LookupEvents", "UpdateFunctionCode"}
	now := time.Now()
	const batch = 5000
	for start := 0; start < n; start += batch {
		evs := make([]store.Event, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			name, user := names[i%len(names)], fmt.Sprintf("user-%d", i%50)
			at := now.Add(-time.Duration(i) * 6 * time.Second)
			id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			rec, err := json.Marshal(map[string]any{
				"eventVersion": "1.11", "eventTime": at.UTC().Format(time.RFC3339), "eventSource": "iam.amazonaws.com", "eventName": name,
				"awsRegion": "us-east-1", "sourceIPAddress": "127.0.0.1", "userAgent": "aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26",
				"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/" + user, "accountId": "123456789012",
					"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": user},
				"requestParameters": map[string]any{"roleName": "role-" + user}, "responseElements": nil,
				"requestID": id, "eventID": id, "readOnly": true, "eventType": "AwsApiCall", "managementEvent": true,
				"recipientAccountId": "123456789012", "eventCategory": "Management",
			})
			if err != nil {
				b.Fatal(err)
			}
			evs = append(evs, store.Event{ID: id, Time: at, Name: name, Source: "iam.amazonaws.com", Username: user,
				AccessKeyID: "AKIAIOSFODNN7EXAMPLE", ReadOnly: true, PrincipalARN: "arn:aws:iam::123456789012:user/" + user,
				Category: store.CategoryManagement, Account: "123456789012", Record: rec,
				Resources: []store.EventResource{{Type: "AWS::IAM::Role", Name: "role-" + user}}})
		}
		if err := st.AppendEvents(context.Background(), evs); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConsoleTrailKeyPolicy follows a call a KMS key policy denies
// explicitly to its fix, which the console applies with KMS's
// PutKeyPolicy.
func TestConsoleTrailKeyPolicy(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	id, secret := b.user(t, "dave", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)
	key, err := kms.NewFromConfig(b.root).CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"NotDave","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/dave"},"Action":"kms:DescribeKey","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	dave := kms.NewFromConfig(b.srv.Config(id, secret, ""))
	if _, err := dave.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyMetadata.KeyId}); err == nil {
		t.Fatal("dave described the key")
	}

	b.signInRoot(t)
	b.open(t, "/trail?attribute=Username&value=dave")
	b.click(t, "main tr.denied a.explain")
	b.waitText(t, "main .verdict", "Denied with an explicit deny in a resource-based policy.")
	b.waitText(t, "main .policy pre mark.decisive", `"Sid": "NotDave"`)
	b.waitText(t, "main .fix .kv", "kms:PutKeyPolicy on "+aws.ToString(key.KeyMetadata.Arn))
	b.click(t, "main .fix button.apply-fix")
	b.click(t, "main .fix button.confirm-fix")
	b.waitText(t, "main .applied", "Applied with kms:PutKeyPolicy")
	if _, err := dave.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Errorf("dave's DescribeKey after the fix: %v", err)
	}
}

// TestConsoleTrailDataEvents finds a denied s3:GetObject, a data event
// that CloudTrail's event history leaves out, among the data events, and
// follows its explanation to the fix.
func TestConsoleTrailDataEvents(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	pathStyle := func(o *s3.Options) { o.UsePathStyle = true }
	root := s3.NewFromConfig(b.root, pathStyle)
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("reports")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("reports"), Key: aws.String("q4.csv"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	id, secret := b.user(t, "dana", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)
	dana := s3.NewFromConfig(b.srv.Config(id, secret, ""), pathStyle)
	if _, err := dana.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String("q4.csv")}); err == nil {
		t.Fatal("dana read the object")
	}

	b.signInRoot(t)
	// The event history has no GetObject; the data events have it.
	b.open(t, "/trail?attribute=EventName&value=GetObject")
	b.waitText(t, "main", "No events match these filters.")
	b.fill(t, `select[name="events"]`, "data")
	b.click(t, `form.trail-filters button[type="submit"]`)
	b.waitText(t, "main tr.denied", "GetObject")
	if q := eval[string](t, b, "location.search"); !strings.Contains(q, "events=data") {
		t.Errorf("the URL does not keep the category: %s", q)
	}
	b.shot(t, "trail-data-events")
	b.click(t, "main tr.denied a.explain")
	b.waitText(t, "main .verdict", "s3:GetObject")
	b.waitText(t, "main .fix", "arn:aws:s3:::reports/q4.csv")
	b.click(t, "main .fix button.apply-fix")
	b.click(t, "main .fix button.confirm-fix")
	b.waitText(t, "main .applied", "Applied with")
	out, err := dana.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String("q4.csv")})
	if err != nil {
		t.Fatalf("dana's GetObject after the fix: %v", err)
	}
	out.Body.Close()
}
