package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

const (
	fnAccount   = "123456789012"
	fnTrust     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	fnBasicExec = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	fnSQSExec   = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
)

// fnZip is a deployment package holding handler.py with the given source.
func fnZip(t testing.TB, source string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("handler.py")
	if err == nil {
		_, err = io.WriteString(w, source)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fnHandler echoes its event and logs a line; an event {"fail": true}
// makes it raise.
const fnHandler = `import json

def handler(event, context):
    print("got event", json.dumps(event))
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail")
    return {"echo": event, "function": context.function_name}
`

// fnRole creates a role Lambda may assume with managed policies attached
// and returns its ARN.
func fnRole(t testing.TB, cfg aws.Config, name string, managed ...string) string {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(fnTrust)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	for _, arn := range managed {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("AttachRolePolicy %s: %v", arn, err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// fnCreate creates a python3.11 function running fnHandler, with changes
// applied to its input, and waits until it is Active.
func fnCreate(t testing.TB, cfg aws.Config, name, role string, change ...func(*lambda.CreateFunctionInput)) {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: fnZip(t, fnHandler)},
	}
	for _, f := range change {
		f(in)
	}
	c := lambda.NewFromConfig(cfg)
	if _, err := c.CreateFunction(context.Background(), in); err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	w := lambda.NewFunctionActiveV2Waiter(c, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 2*time.Minute); err != nil {
		t.Fatalf("function-active-v2 %s: %v", name, err)
	}
}

// TestConsoleFunctionsList walks the functions list: every function of
// the account over several ListFunctions pages, and the search box that
// filters them by name as one types.
func TestConsoleFunctionsList(t *testing.T) {
	b := newBrowser(t)
	role := fnRole(t, b.root, "list-fn", fnBasicExec)
	for _, n := range []string{"orders-api", "orders-sync", "billing"} {
		fnCreate(t, b.root, n, role)
	}
	// 50 more, so that the list takes a second page (ListFunctions gives
	// 50 a page).
	c := lambda.NewFromConfig(b.root)
	for i := range 50 {
		name := fmt.Sprintf("batch-%02d", i)
		if _, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
			Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: fnZip(t, fnHandler)},
		}); err != nil {
			t.Fatalf("CreateFunction %s: %v", name, err)
		}
	}
	b.signInRoot(t)
	b.open(t, "/functions")
	b.waitText(t, "h1", "Functions")
	b.waitText(t, "main table", "batch-00")
	b.waitText(t, ".count", "50+ functions")
	b.click(t, "button.load-more")
	b.waitText(t, ".count", "53 functions")
	b.waitText(t, "main table", "orders-sync")
	b.shot(t, "functions-list")

	// Keyboard alone: "/" focuses the search box, typing filters as one
	// types, Tab reaches the first function and Enter opens it.
	b.run(t, "press /", chromedp.KeyEvent("/"))
	if got := eval[string](t, b, `document.activeElement.id`); got != "function-search" {
		t.Fatalf("after /, the focus is on %q", got)
	}
	// (The protocol's char event of "/" still reaches the box: empty it.)
	b.fill(t, "#function-search", "")
	b.run(t, "type a search", chromedp.KeyEvent("ORDERS"))
	b.waitText(t, ".count", "2 of 53 functions match")
	if got := b.text(t, "main table"); strings.Contains(got, "billing") || !strings.Contains(got, "orders-api") {
		t.Fatalf("filtered list = %q", got)
	}
	if got := eval[string](t, b, `location.search`); got != "?search=ORDERS" {
		t.Errorf("the URL keeps the search as %q", got)
	}
	b.shot(t, "functions-list-search")
	b.run(t, "open the first match", chromedp.KeyEvent("\t"), chromedp.KeyEvent("\r"))
	b.waitText(t, "h1", "orders-api")
}

// TestConsoleFunctionsConfiguration reads a function's configuration
// (hidden environment values, role link, tracing), downloads its code,
// and lists its versions and weighted aliases.
func TestConsoleFunctionsConfiguration(t *testing.T) {
	b := newBrowser(t)
	role := fnRole(t, b.root, "conf-fn", fnBasicExec, "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess")
	fnCreate(t, b.root, "conf", role, func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(256)
		in.Timeout = aws.Int32(7)
		in.Description = aws.String("configuration page")
		in.Environment = &lambdatypes.Environment{Variables: map[string]string{"TABLE": "orders", "API_SECRET": "s3cr3t-value"}}
		in.TracingConfig = &lambdatypes.TracingConfig{Mode: lambdatypes.TracingModeActive}
		in.Tags = map[string]string{"team": "payments"}
	})
	ctx := context.Background()
	c := lambda.NewFromConfig(b.root)
	for _, d := range []string{"first", "second"} {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("conf"), Description: aws.String(d)}); err != nil {
			t.Fatal(err)
		}
		w := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
			o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
		})
		if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("conf")}, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("conf"), Description: aws.String("version " + d)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("conf"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}}}); err != nil {
		t.Fatal(err)
	}

	b.signInRoot(t)
	b.open(t, "/functions/conf")
	b.waitText(t, "h1", "conf")
	b.waitText(t, "[role=tabpanel]", "python3.11")
	panel := b.text(t, "[role=tabpanel]")
	for _, want := range []string{"handler.handler", "256 MB", "0 min 7 sec", "Active", "x86_64", "API_SECRET", "TABLE", "payments",
		"arn:aws:lambda:us-east-1:" + fnAccount + ":function:conf", "/aws/lambda/conf", "not connected to a VPC"} {
		if !strings.Contains(panel, want) {
			t.Errorf("configuration lacks %q:\n%s", want, panel)
		}
	}
	if strings.Contains(panel, "s3cr3t-value") {
		t.Fatalf("an environment value is shown before Show values:\n%s", panel)
	}
	b.waitText(t, `a[href="/console/roles/conf-fn"]`, "conf-fn")
	b.shot(t, "functions-configuration")
	b.click(t, "button.env-toggle")
	b.waitText(t, "[role=tabpanel]", "s3cr3t-value")

	// The code download link (GetFunction's Code.Location) downloads the
	// package the function was created with.
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatalf("Browser.setDownloadBehavior: %v", err)
	}
	b.click(t, "a.code-download")
	zipBytes := fnWaitDownload(t, filepath.Join(dir, "conf.zip"))
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "handler.py" {
		t.Fatalf("downloaded code: %v %v", err, zr)
	}

	b.open(t, "/functions/conf?tab=versions")
	b.waitText(t, "[role=tabpanel]", "version second")
	if got := b.text(t, "[role=tabpanel]"); !strings.Contains(got, "$LATEST") || !strings.Contains(got, "version first") {
		t.Fatalf("versions = %q", got)
	}
	b.shot(t, "functions-versions")
	b.open(t, "/functions/conf?tab=aliases")
	b.waitText(t, "[role=tabpanel]", "1: 90%, 2: 10%")
	b.waitText(t, "[role=tabpanel]", "live")
	b.shot(t, "functions-aliases")
}

// fnWaitDownload waits for a downloaded file and returns its content.
func fnWaitDownload(t testing.TB, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			return b
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			t.Fatalf("no download at %s (%v; the directory holds %v)", path, err, entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsoleFunctionsPermissions shows the execution role, the Resource
// summary with a service chosen from its drop-down, and the function's
// resource-based policy.
func TestConsoleFunctionsPermissions(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	const table = "arn:aws:dynamodb:us-east-1:" + fnAccount + ":table/orders"
	role := fnRole(t, b.root, "perm-fn", fnBasicExec)
	if _, err := iam.NewFromConfig(b.root).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("perm-fn"), PolicyName: aws.String("orders"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"ReadOrders","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"` + table + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	fnCreate(t, b.root, "perm", role)
	if _, err := lambda.NewFromConfig(b.root).AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("perm"), StatementId: aws.String("s3-invoke"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"), SourceAccount: aws.String(fnAccount)}); err != nil {
		t.Fatal(err)
	}

	b.signInRoot(t)
	b.open(t, "/functions/perm?tab=permissions")
	b.waitText(t, "[role=tabpanel]", "Resource summary")
	b.waitText(t, "[role=tabpanel]", "s3-invoke")
	panel := b.text(t, "[role=tabpanel]")
	for _, want := range []string{"perm-fn", "AWSLambdaBasicExecutionRole", "orders", "Amazon DynamoDB", "CloudWatch Logs", "s3.amazonaws.com", "lambda:InvokeFunction"} {
		if !strings.Contains(panel, want) {
			t.Errorf("permissions lack %q:\n%s", want, panel)
		}
	}
	b.shot(t, "functions-permissions")
	b.fill(t, "#summary-service", "dynamodb")
	b.waitText(t, ".service-detail", "dynamodb:GetItem")
	detail := b.text(t, ".service-detail")
	for _, want := range []string{"dynamodb:Query", table, "Read", "ReadOrders"} {
		if !strings.Contains(detail, want) {
			t.Errorf("dynamodb detail lacks %q:\n%s", want, detail)
		}
	}
	b.shot(t, "functions-permissions-dynamodb")
	// The chosen service is in the URL: the link opens on it.
	b.open(t, "/functions/perm?tab=permissions&service=logs")
	b.waitText(t, ".service-detail", "logs:PutLogEvents")
}

// TestConsoleFunctionsTest saves a test event, invokes the function from
// the Test tab and reads the result, the log tail and the REPORT line; a
// failing event shows the function error.
func TestConsoleFunctionsTest(t *testing.T) {
	b := newBrowser(t)
	role := fnRole(t, b.root, "test-fn", fnBasicExec)
	fnCreate(t, b.root, "tester", role)

	b.signInRoot(t)
	b.open(t, "/functions/tester?tab=test")
	b.waitText(t, "[role=tabpanel]", "Test event")
	b.fill(t, "#event-name", "greeting")
	b.fill(t, "#event-json", `{"hello": "console"}`)
	b.click(t, "button.save-event")
	b.waitText(t, "#saved-event", "greeting")
	b.click(t, "button.test-invoke")
	b.waitText(t, ".report-line", "Billed Duration")
	out := b.text(t, ".test-result")
	for _, want := range []string{"Executing function: succeeded", "Status code 200", `"hello": "console"`, `"function": "tester"`, "got event", "Max memory used", "128 MB"} {
		if !strings.Contains(out, want) {
			t.Errorf("result lacks %q:\n%s", want, out)
		}
	}
	b.shot(t, "functions-test")

	// Saved events are kept per account and function in localStorage.
	if got := eval[string](t, b, `localStorage.getItem("rolecall:events:`+fnAccount+`:tester")`); got != `{"greeting":"{\"hello\": \"console\"}"}` {
		t.Errorf("localStorage holds %q", got)
	}
	// The saved event survives a reload of the page.
	b.open(t, "/functions/tester?tab=test&event=greeting")
	b.waitText(t, "#saved-event", "greeting")
	if got := eval[string](t, b, `document.querySelector("#event-json").value`); got != `{"hello": "console"}` {
		t.Fatalf("saved event = %q", got)
	}
	// Choosing a saved event names it in the URL.
	b.fill(t, "#saved-event", "")
	b.fill(t, "#saved-event", "greeting")
	if got := eval[string](t, b, `location.search`); got != "?tab=test&event=greeting" {
		t.Errorf("URL query = %q", got)
	}

	b.fill(t, "#event-json", `{"fail": true}`)
	b.click(t, "button.test-invoke")
	b.waitText(t, ".test-status", "Executing function: failed")
	b.waitText(t, ".test-status", "Function error: Unhandled")
	b.waitText(t, ".payload", "asked to fail")
	b.waitText(t, ".report-line", "Billed Duration")
	b.shot(t, "functions-test-failed")

	// Bad JSON is refused before any call.
	b.fill(t, "#event-json", `{"broken"`)
	b.click(t, "button.test-invoke")
	b.waitText(t, "[role=tabpanel] .note", "There is an error in your JSON event")
}

// TestConsoleFunctionsMonitor invokes a function and reads its Monitor
// tab: figures, the charts and the recent invocations from the log group.
func TestConsoleFunctionsMonitor(t *testing.T) {
	b := newBrowser(t)
	role := fnRole(t, b.root, "mon-fn", fnBasicExec)
	// Its logs go to a group of its own (LoggingConfig), where the tab
	// looks for the recent invocations.
	fnCreate(t, b.root, "watched", role, func(in *lambda.CreateFunctionInput) {
		in.LoggingConfig = &lambdatypes.LoggingConfig{LogGroup: aws.String("/custom/watched"), LogFormat: lambdatypes.LogFormatText}
	})
	c := lambda.NewFromConfig(b.root)
	for i := range 3 {
		payload := `{"n": 1}`
		if i == 2 {
			payload = `{"fail": true}`
		}
		if _, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("watched"), Payload: []byte(payload)}); err != nil {
			t.Fatal(err)
		}
	}
	b.signInRoot(t)
	// The log group gets the REPORT lines shortly after the invocations.
	deadline := time.Now().Add(20 * time.Second)
	for {
		b.open(t, "/functions/watched?tab=monitor")
		b.waitText(t, "[role=tabpanel]", "Recent invocations")
		if eval[int](t, b, `document.querySelectorAll(".recent-invocations tbody tr").length`) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the monitor never showed three invocations:\n%s", b.mainText())
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.waitText(t, ".recent-invocations", "Billed duration")
	b.waitText(t, "[role=tabpanel] .note", "Log group /custom/watched")
	b.waitText(t, ".figures", "Invocations")
	b.waitText(t, "figure.chart", "Invocations and errors")
	if got := b.text(t, ".figures"); !strings.Contains(got, "Invocations\n3") || !strings.Contains(got, "Errors\n1") {
		t.Errorf("figures = %q", got)
	}
	// The chart draws both series and says what it shows.
	if got := eval[string](t, b, `document.querySelector("figure.chart svg").getAttribute("aria-label")`); got != "Invocations and errors: Invocations up to 3, Errors up to 1" {
		t.Errorf("chart label = %q", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll("figure.chart polyline").length`); n < 2 {
		t.Errorf("%d lines drawn", n)
	}
	b.shot(t, "functions-monitor")

	// A function never invoked shows the empty state.
	fnCreate(t, b.root, "idle", role)
	b.open(t, "/functions/idle?tab=monitor")
	b.waitText(t, "[role=tabpanel]", "No invocations in the last 3 hours")
	b.waitText(t, ".recent-invocations", "No invocations logged in /aws/lambda/idle")
	b.shot(t, "functions-monitor-empty")
}

// TestConsoleFunctionsTriggers lists an SQS event source mapping with its
// state and last processing result.
func TestConsoleFunctionsTriggers(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	role := fnRole(t, b.root, "trig-fn", fnBasicExec, fnSQSExec)
	fnCreate(t, b.root, "consumer", role)
	q, err := sqs.NewFromConfig(b.root).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:sqs:us-east-1:" + fnAccount + ":jobs"
	lc := lambda.NewFromConfig(b.root)
	m, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("consumer"), EventSourceArn: aws.String(arn), BatchSize: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(b.root).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(`{"job": 1}`)}); err != nil {
		t.Fatal(err)
	}
	// The mapping polls the queue, invokes the function and reports OK.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: m.UUID})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(got.LastProcessingResult) == "OK" && aws.ToString(got.State) == "Enabled" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mapping is %s, last result %q", aws.ToString(got.State), aws.ToString(got.LastProcessingResult))
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.signInRoot(t)
	b.open(t, "/functions/consumer?tab=triggers")
	b.waitText(t, "[role=tabpanel]", arn)
	b.waitText(t, "[role=tabpanel] td", aws.ToString(m.UUID))
	cells := eval[[]string](t, b, `[...document.querySelectorAll("[role=tabpanel] tbody td")].map(td => td.innerText)`)
	if len(cells) != 7 || cells[1] != "Enabled" || cells[2] != "OK" || cells[4] != "7" {
		t.Fatalf("mapping row = %q", cells)
	}
	b.shot(t, "functions-triggers")
}

// TestConsoleFunctionsRestricted: a user allowed lambda:ListFunctions only
// sees the list and, on the function's tabs, AccessDenied with AWS's
// message.
func TestConsoleFunctionsRestricted(t *testing.T) {
	b := newBrowser(t)
	role := fnRole(t, b.root, "r-fn", fnBasicExec)
	fnCreate(t, b.root, "private", role)
	id, secret := b.user(t, "lister", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:ListFunctions","Resource":"*"}]}`)
	b.signIn(t, id, secret, "")
	b.open(t, "/functions")
	b.waitText(t, "main table", "private")
	b.click(t, `main table a[href="/console/functions/private"]`)
	user := "arn:aws:iam::" + fnAccount + ":user/lister"
	b.waitText(t, ".error", "User: "+user+" is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:"+fnAccount+":function:private")
	b.waitText(t, ".error-code", "AccessDenied")
	b.shot(t, "functions-restricted")
	for tab, action := range map[string]string{"versions": "lambda:ListVersionsByFunction", "aliases": "lambda:ListAliases", "permissions": "lambda:GetFunctionConfiguration",
		"triggers": "lambda:ListEventSourceMappings", "monitor": "cloudwatch:GetMetricData"} {
		b.open(t, "/functions/private?tab="+tab)
		b.waitText(t, ".error", "is not authorized to perform: "+action)
	}
	b.open(t, "/functions/private?tab=test")
	b.click(t, "button.test-invoke")
	b.waitText(t, ".error", "is not authorized to perform: lambda:InvokeFunction")

	// A user who may read the configuration but not GetFunction sees the
	// configuration, and the refusal where the code's link would be.
	id, secret = b.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:ListFunctions","lambda:GetFunctionConfiguration"],"Resource":"*"}]}`)
	b.click(t, "#signout")
	b.signIn(t, id, secret, "")
	b.open(t, "/functions/private")
	b.waitText(t, "[role=tabpanel]", "python3.11")
	b.waitText(t, "[role=tabpanel] .error", "User: arn:aws:iam::"+fnAccount+":user/reader is not authorized to perform: lambda:GetFunction")
	b.shot(t, "functions-restricted-configuration")
}
