package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestConsoleFunctionsQualifiedPath opens a function by an alias's
// qualified ARN, as Lambda's FunctionName allows: the versions and aliases
// are the function's, the Resource summary its role's, the Monitor the
// alias's metrics (dimension Resource) and the saved test events the
// function's.
func TestConsoleFunctionsQualifiedPath(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	role := fnRole(t, b.root, "qual-fn", fnBasicExec)
	fnCreate(t, b.root, "qual", role)
	c := lambda.NewFromConfig(b.root)
	for range 2 {
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("qual")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("qual"), Description: aws.String(time.Now().String())}); err != nil {
			t.Fatal(err)
		}
		w := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
			o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
		})
		if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("qual")}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("qual"), Name: aws.String("prod"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	// Two invocations of the alias and one of $LATEST.
	for _, fn := range []string{"qual:prod", "qual:prod", "qual"} {
		if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	versions, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("qual")})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:" + fnAccount + ":function:qual:prod"

	b.signInRoot(t)
	b.open(t, "/functions/"+arn+"?tab=versions")
	b.waitText(t, "[role=tabpanel]", "Code SHA-256")
	if got := b.text(t, "main h1"); got != "qual:prod" {
		t.Errorf("the heading of the alias's ARN is %q", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll("[role=tabpanel] tbody tr").length`); n != len(versions.Versions) {
		t.Errorf("%d versions shown, ListVersionsByFunction has %d:\n%s", n, len(versions.Versions), b.mainText())
	}
	b.open(t, "/functions/qual:prod?tab=aliases")
	b.waitText(t, "[role=tabpanel]", "Alias ARN")
	b.waitText(t, "[role=tabpanel] tbody", "prod")

	b.open(t, "/functions/qual:prod?tab=permissions")
	b.waitText(t, "[role=tabpanel]", "Resource summary")
	b.waitText(t, "[role=tabpanel]", "qual-fn")

	// The alias's own metrics: two invocations, not the function's three.
	deadline := time.Now().Add(20 * time.Second)
	for {
		b.open(t, "/functions/"+arn+"?tab=monitor")
		b.waitText(t, ".figures", "Invocations")
		if strings.Contains(b.text(t, ".figures"), "Invocations\n2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the alias's monitor never showed its two invocations:\n%s", b.mainText())
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.waitText(t, "[role=tabpanel] .note", "Log group /aws/lambda/qual")
	// The chart's axis is in UTC and says so; the invocations' times name
	// their zone too, so that the two can be read together.
	for deadline := time.Now().Add(20 * time.Second); ; {
		b.waitText(t, ".recent-invocations", "Recent invocations")
		if eval[int](t, b, `document.querySelectorAll(".recent-invocations tbody td code").length`) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no invocation logged:\n%s", b.mainText())
		}
		time.Sleep(500 * time.Millisecond)
		b.open(t, "/functions/"+arn+"?tab=monitor")
	}
	zoned := `(() => { const z = new Intl.DateTimeFormat(undefined, {timeZoneName: "short"}).formatToParts(new Date()).find(p => p.type === "timeZoneName").value;
		return document.querySelector(".recent-invocations tbody td").textContent.includes(z); })()`
	if !eval[bool](t, b, zoned) {
		t.Errorf("the recent invocations' times name no time zone: %q", b.text(t, ".recent-invocations tbody td"))
	}

	// A saved event is the function's, whichever way the page names it.
	b.open(t, "/functions/"+arn+"?tab=test")
	b.waitText(t, "[role=tabpanel]", "Test event")
	b.fill(t, "#event-name", "shared")
	b.click(t, "button.save-event")
	b.waitText(t, "#saved-event", "shared")
	if got := eval[string](t, b, `localStorage.getItem("rolecall:events:`+fnAccount+`:qual")`); !strings.Contains(got, `"shared"`) {
		t.Errorf("localStorage of qual holds %q", got)
	}
	b.open(t, "/functions/qual?tab=test")
	b.waitText(t, "#saved-event", "shared")
}

// TestConsoleFunctionsInvokeFaults invokes functions that fail in the ways
// Lambda reports: a throttled function (reserved concurrency 0) shows
// AWS's TooManyRequestsException, a function that times out fails with
// Sandbox.Timedout and its REPORT line, a payload that is not JSON is
// shown as it is, and a log in UTF-8 reads as written.
func TestConsoleFunctionsInvokeFaults(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	role := fnRole(t, b.root, "faults-fn", fnBasicExec)
	fnCreate(t, b.root, "throttled", role)
	c := lambda.NewFromConfig(b.root)
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("throttled"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	fnCreate(t, b.root, "slow", role, func(in *lambda.CreateFunctionInput) {
		in.Timeout = aws.Int32(1)
		in.Code = &lambdatypes.FunctionCode{ZipFile: fnZip(t, "import json, time\ndef handler(event, context):\n    print('naïve café ☕ 日本語')\n    print(json.dumps(event, ensure_ascii=False))\n    if event.get('sleep'):\n        time.sleep(5)\n    if event.get('big'):\n        return 'x' * (7 * 1024 * 1024)\n    return 'plain text, not JSON'\n")}
	})

	b.signInRoot(t)
	b.open(t, "/functions/throttled?tab=test")
	b.waitText(t, "[role=tabpanel]", "Test event")
	b.click(t, "button.test-invoke")
	b.waitText(t, ".test-result .error-code", "TooManyRequestsException")

	b.open(t, "/functions/slow?tab=test")
	b.waitText(t, "[role=tabpanel]", "Test event")
	b.fill(t, "#event-json", `{}`)
	b.click(t, "button.test-invoke")
	b.waitText(t, ".report-line", "Billed Duration")
	b.waitText(t, ".log-tail", "naïve café ☕ 日本語")
	b.waitText(t, ".payload", "plain text, not JSON")

	// An event in UTF-8 is signed and sent as written.
	b.fill(t, "#event-json", `{"name": "Zoë 日本 🎉"}`)
	b.click(t, "button.test-invoke")
	b.waitText(t, ".log-tail", `{"name": "Zoë 日本 🎉"}`)

	// A response over Lambda's 6 MB is refused as Lambda refuses it.
	b.fill(t, "#event-json", `{"big": true}`)
	b.click(t, "button.test-invoke")
	b.waitText(t, ".payload", "Function.ResponseSizeTooLarge")
	b.waitText(t, ".test-status", "Executing function: failed")

	b.fill(t, "#event-json", `{"sleep": true}`)
	b.click(t, "button.test-invoke")
	b.waitText(t, ".test-status", "Executing function: failed")
	b.waitText(t, ".payload", "Sandbox.Timedout")
	b.waitText(t, ".report-line", "Billed Duration: 10")
}

// TestConsoleFunctionsEncryptedEnvironment shows a function whose
// variables are encrypted with a customer managed key: its key, the
// variables to a caller who may decrypt them, and to one who may not
// Lambda's Environment.Error (AWS's code and message), never "No
// environment variables".
func TestConsoleFunctionsEncryptedEnvironment(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	key, err := kms.NewFromConfig(b.root).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("env")})
	if err != nil {
		t.Fatal(err)
	}
	keyArn := aws.ToString(key.KeyMetadata.Arn)
	role := fnRole(t, b.root, "sealed-fn", fnBasicExec)
	fnCreate(t, b.root, "sealed", role, func(in *lambda.CreateFunctionInput) {
		in.KMSKeyArn = aws.String(keyArn)
		in.Environment = &lambdatypes.Environment{Variables: map[string]string{"DB_PASSWORD": "hunter2"}}
	})

	b.signInRoot(t)
	b.open(t, "/functions/sealed")
	b.waitText(t, "[role=tabpanel]", "DB_PASSWORD")
	b.waitText(t, "[role=tabpanel]", keyArn)

	id, secret := b.user(t, "no-decrypt", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:Get*","lambda:List*"],"Resource":"*"}]}`)
	got, err := lambda.NewFromConfig(b.root, func(o *lambda.Options) {
		o.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, ""))
	}).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("sealed")})
	if err != nil || got.Environment == nil || got.Environment.Error == nil {
		t.Fatalf("GetFunctionConfiguration as no-decrypt: %v %+v", err, got)
	}
	b.click(t, "#signout")
	b.signIn(t, id, secret, "")
	b.open(t, "/functions/sealed")
	b.waitText(t, "[role=tabpanel]", "Environment variables")
	b.waitText(t, "[role=tabpanel] .error-code", aws.ToString(got.Environment.Error.ErrorCode))
	b.waitText(t, "[role=tabpanel] .error", aws.ToString(got.Environment.Error.Message))
	if strings.Contains(b.mainText(), "No environment variables") {
		t.Errorf("the page says the function has no variables:\n%s", b.mainText())
	}
}

// TestConsoleFunctionsDeletedRole opens the Permissions tab of a function
// whose execution role was deleted: the role it names is shown, with
// the summary's error (the role cannot be found) where the Resource
// summary would be.
func TestConsoleFunctionsDeletedRole(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	role := fnRole(t, b.root, "gone-fn")
	fnCreate(t, b.root, "orphan", role)
	if _, err := iam.NewFromConfig(b.root).DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("gone-fn")}); err != nil {
		t.Fatal(err)
	}
	b.signInRoot(t)
	b.open(t, "/functions/orphan?tab=permissions")
	b.waitText(t, "[role=tabpanel] .error", "The role with name gone-fn cannot be found.")
	b.waitText(t, "[role=tabpanel]", role)
	b.waitText(t, "[role=tabpanel]", "Resource-based policy statements")
	b.open(t, "/functions/orphan")
	b.waitText(t, "[role=tabpanel]", role)
}

// TestConsoleFunctionsTriggersStates lists a disabled mapping and one
// whose role lost its SQS permissions, each as GetEventSourceMapping
// answers: state, last processing result and transition reason.
func TestConsoleFunctionsTriggersStates(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	role := fnRole(t, b.root, "states-fn", fnBasicExec, fnSQSExec)
	fnCreate(t, b.root, "states", role)
	sc := sqs.NewFromConfig(b.root)
	lc := lambda.NewFromConfig(b.root)
	var uuids []string
	for i, name := range []string{"paused", "broken"} {
		q, err := sc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(`{}`)}); err != nil {
			t.Fatal(err)
		}
		m, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("states"),
			EventSourceArn: aws.String("arn:aws:sqs:us-east-1:" + fnAccount + ":" + name), Enabled: aws.Bool(i == 1)})
		if err != nil {
			t.Fatal(err)
		}
		uuids = append(uuids, aws.ToString(m.UUID))
	}
	if _, err := iam.NewFromConfig(b.root).DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("states-fn"), PolicyArn: aws.String(fnSQSExec)}); err != nil {
		t.Fatal(err)
	}
	// Wait until the broken mapping has polled and failed.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuids[1])})
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(aws.ToString(got.LastProcessingResult), "PROBLEM") || aws.ToString(got.State) == "Disabled" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the broken mapping is %s, last result %q", aws.ToString(got.State), aws.ToString(got.LastProcessingResult))
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.signInRoot(t)
	b.open(t, "/functions/states?tab=triggers")
	for _, id := range uuids {
		b.waitText(t, "[role=tabpanel] tbody", id)
	}
	rows := eval[[][]string](t, b, `[...document.querySelectorAll("[role=tabpanel] tbody tr")].map(tr => [...tr.querySelectorAll("td")].map(td => td.innerText))`)
	for _, id := range uuids {
		got, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		or := func(s *string) string {
			if aws.ToString(s) == "" {
				return "-"
			}
			return aws.ToString(s)
		}
		want := []string{aws.ToString(got.EventSourceArn), or(got.State), or(got.LastProcessingResult), or(got.StateTransitionReason)}
		found := false
		for _, r := range rows {
			if len(r) == 7 && r[6] == id {
				found = true
				if strings.Join(r[:4], "|") != strings.Join(want, "|") {
					t.Errorf("mapping %s shows %q, GetEventSourceMapping says %q", id, r[:4], want)
				}
			}
		}
		if !found {
			t.Errorf("mapping %s is not listed: %q", id, rows)
		}
	}
	b.shot(t, "functions-triggers-states")
}
