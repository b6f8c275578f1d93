package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// rolesFixture is what the roles and policies tests find in the account.
type rolesFixture struct {
	account   string
	readArn   string // customer managed policy app-read, versions v1 and v2
	boundArn  string // customer managed policy app-boundary, app-role's boundary
	viewerKey string // an IAM user who may list and read roles but not their inline policies
	viewerSec string
}

const (
	basicExecution = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	appTrust       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCOUNT:root"},"Action":"sts:AssumeRole"}]}`
	readV1      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	readV2      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}`
	boundaryDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","logs:*","sqs:*"],"Resource":"*"}]}`
	// guardDoc is app-role's inline policy: a deny the simulator must
	// name, and an allow that needs a context value.
	guardDoc = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"NoDeletes","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"},` +
		`{"Sid":"QueueFromVpc","Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-0abc"}}}]}`
	viewerDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","iam:GetRole","iam:ListAttachedRolePolicies",` +
		`"iam:ListRolePolicies","iam:ListRoleTags","sts:AssumeRole"],"Resource":"*"}]}`
	// makerDoc lets a user make roles but not attach policies to them.
	makerDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateRole","iam:GetRole","iam:GetPolicy","iam:ListPolicies",` +
		`"iam:ListAttachedRolePolicies","iam:ListRolePolicies"],"Resource":"*"}]}`
	// oddRole has every character a role name may have besides letters
	// and digits, which its console path must carry.
	oddRole = "odd+name=x,y.z@q_1-2"
	// bulkRoles is how many more roles the account has, so that the role
	// list takes more than one page.
	bulkRoles = 50
)

// setUpRoles makes app-role (Lambda's trust and the account's, an inline
// policy, two attached policies, a boundary, tags, assumed once by the
// viewer), other-role, bulk roles, and the viewer user.
func setUpRoles(t *testing.T, b *browser) rolesFixture {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(b.root)
	who, err := sts.NewFromConfig(b.root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	f := rolesFixture{account: aws.ToString(who.Account)}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	trust := strings.ReplaceAll(appTrust, "ACCOUNT", f.account)
	read, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("app-read"), PolicyDocument: aws.String(readV1), Description: aws.String("Reads the app's objects")})
	must(read, err)
	f.readArn = aws.ToString(read.Policy.Arn)
	must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: read.Policy.Arn, PolicyDocument: aws.String(readV2), SetAsDefault: true}))
	bound, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("app-boundary"), PolicyDocument: aws.String(boundaryDoc)})
	must(bound, err)
	f.boundArn = aws.ToString(bound.Policy.Arn)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("app-role"),
		AssumeRolePolicyDocument: aws.String(trust),
		Description:              aws.String("Runs the app function"),
		PermissionsBoundary:      bound.Policy.Arn,
		Tags:                     []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}},
	}))
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app-role"), PolicyName: aws.String("guard"), PolicyDocument: aws.String(guardDoc)}))
	for _, arn := range []string{f.readArn, basicExecution} {
		must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app-role"), PolicyArn: aws.String(arn)}))
	}
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other-role"), AssumeRolePolicyDocument: aws.String(trust)}))
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(oddRole), AssumeRolePolicyDocument: aws.String(trust)}))
	for i := range bulkRoles {
		must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("bulk-%02d", i)), AssumeRolePolicyDocument: aws.String(trust)}))
	}
	f.viewerKey, f.viewerSec = b.user(t, "viewer", viewerDoc)
	// The viewer assumes app-role once, so that it has been used.
	must(sts.NewFromConfig(b.srv.Config(f.viewerKey, f.viewerSec, "")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + f.account + ":role/app-role"), RoleSessionName: aws.String("check"),
	}))
	return f
}

// rolesEval evaluates a JavaScript expression in the page and decodes
// its value, as JSON, into out.
func rolesEval(t *testing.T, b *browser, expr string, out any) {
	t.Helper()
	s := eval[string](t, b, "JSON.stringify("+expr+")")
	if err := json.Unmarshal([]byte(s), out); err != nil {
		t.Fatalf("evaluate %s: %v (%s)", expr, err, s)
	}
}

// rolesShot checks that the page shows no stray "null", "undefined" or
// "[object …]" (a value rendered as text by mistake), then takes its
// screenshots.
func rolesShot(t *testing.T, b *browser, name string) {
	t.Helper()
	var lines []string
	rolesEval(t, b, `document.querySelector("main").innerText.split("\n").map(l => l.trim())`, &lines)
	for _, l := range lines {
		if l == "null" || l == "undefined" || strings.Contains(l, "[object ") || strings.Contains(l, "NaN") {
			t.Errorf("%s: the page shows %q", name, l)
		}
	}
	b.shot(t, name)
	b.run(t, "phone width", chromedp.EmulateViewport(390, 844))
	var wide int
	rolesEval(t, b, "document.documentElement.scrollWidth", &wide)
	b.run(t, "laptop width", chromedp.EmulateViewport(1280, 800))
	if wide > 390 {
		t.Errorf("%s: at 390 px wide the page is %d px wide", name, wide)
	}
}

// consolePolicyPath is a managed policy's console path, its ARN encoded
// as encodeURIComponent does.
func consolePolicyPath(arn string) string {
	return "/policies/" + strings.NewReplacer(":", "%3A", "/", "%2F").Replace(arn)
}

// TestConsoleRoles walks the roles and policies pages as root and as a
// restricted user: the role list and search, a role's tabs, the policy
// list, a policy's versions and diff, the simulator with the decisive
// statement highlighted, the Create role wizard and Create default role.
func TestConsoleRoles(t *testing.T) {
	b := newBrowser(t)
	f := setUpRoles(t, b)
	b.signInRoot(t)
	region := b.srv.Region()

	t.Run("list", func(t *testing.T) {
		b.open(t, "/roles")
		b.waitText(t, "main h1", "Roles")
		b.waitText(t, "main table", "app-role")
		// A page of ListRoles at a time: app-role, bulk-00 … bulk-47.
		b.waitText(t, "main caption", "50 roles")
		b.waitText(t, "main table", "Runs the app function")
		// Last used comes from GetRole, row by row.
		b.waitText(t, "main table tr", "("+region+")")
		rolesShot(t, b, "roles-list")
		b.click(t, "main p button")
		b.waitText(t, "main caption", fmt.Sprintf("%d roles", bulkRoles+3))
		var focused string
		rolesEval(t, b, "document.activeElement.textContent", &focused)
		if focused != "bulk-49" {
			t.Errorf("after Load more the focus is on %q, want the first new role, bulk-49", focused)
		}
		b.waitText(t, "main table", "other-role")
		b.click(t, `main a[href="/console/roles/odd%2Bname%3Dx%2Cy.z%40q_1-2"]`)
		b.waitText(t, "main h1", oddRole)
		b.waitText(t, "main dl", "arn:aws:iam::"+f.account+":role/"+oddRole)
		b.open(t, "/roles")

		b.fill(t, `input[name="q"]`, "app")
		b.run(t, "search", chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), kb.Enter))
		b.waitText(t, "main caption", `1 role matching "app"`)
		var got struct {
			Search string
			Rows   []string
		}
		rolesEval(t, b, `({Search: location.search, Rows: [...document.querySelectorAll("main tbody tr")].map(r => r.innerText)})`, &got)
		if got.Search != "?q=app" || len(got.Rows) != 1 || !strings.HasPrefix(got.Rows[0], "app-role") {
			t.Errorf("searching app: %+v, want app-role alone at ?q=app", got)
		}
		rolesShot(t, b, "roles-search")
	})

	t.Run("role", func(t *testing.T) {
		b.open(t, "/roles")
		b.click(t, `main a[href="/console/roles/app-role"]`)
		b.waitText(t, "main h1", "app-role")
		b.waitText(t, "main dl", "arn:aws:iam::"+f.account+":role/app-role")
		b.waitText(t, "main dl", "Runs the app function")
		b.waitText(t, "main dl", "app-boundary")
		// Permissions: attached policies linking to their pages, the
		// inline policy's document, the boundary.
		b.waitText(t, "#tabpanel table", "app-read")
		b.waitText(t, "#tabpanel table", "AWSLambdaBasicExecutionRole")
		b.waitText(t, "#tabpanel .inline-policy h3", "guard")
		b.waitText(t, `#tabpanel pre[aria-label="Inline policy guard"]`, `"Sid": "NoDeletes"`)
		b.waitText(t, "#tabpanel", "Permissions boundary")
		b.waitText(t, "#tabpanel dl", f.boundArn)
		var hrefs []string
		rolesEval(t, b, `[...document.querySelectorAll("main a")].map(a => a.getAttribute("href"))`, &hrefs)
		for _, want := range []string{
			"/console/simulator?role=app-role", "/console/least-privilege?role=app-role",
			"/console" + consolePolicyPath(f.readArn), "/console" + consolePolicyPath(basicExecution), "/console" + consolePolicyPath(f.boundArn),
		} {
			if !slices.Contains(hrefs, want) {
				t.Errorf("the role's page has no link to %s; links: %v", want, hrefs)
			}
		}
		rolesShot(t, b, "role-permissions")

		b.open(t, "/roles/app-role?tab=trust")
		b.waitText(t, "#tabpanel table", "lambda.amazonaws.com")
		var trusted []string
		rolesEval(t, b, `[...document.querySelectorAll("#tabpanel tbody tr")].map(r => r.innerText.replace(/\s+/g, " ").trim())`, &trusted)
		if want := []string{"Allow AWS service lambda.amazonaws.com sts:AssumeRole None",
			"Allow AWS account or principal arn:aws:iam::" + f.account + ":root sts:AssumeRole None"}; !slices.Equal(trusted, want) {
			t.Errorf("trusted entities %q, want %q", trusted, want)
		}
		b.waitText(t, `#tabpanel pre[aria-label="Trust policy"]`, `"Service": "lambda.amazonaws.com"`)
		b.waitText(t, `#tabpanel pre[aria-label="Trust policy"]`, `"AWS": "arn:aws:iam::`+f.account+`:root"`)
		rolesShot(t, b, "role-trust")
		b.open(t, "/roles/app-role?tab=tags")
		b.waitText(t, "#tabpanel table", "payments")
		b.open(t, "/roles/app-role?tab=lastused")
		b.waitText(t, "#tabpanel dl", region)
		rolesShot(t, b, "role-lastused")
		// The tabs are reachable by keyboard: ArrowRight from Tags goes to Last used.
		b.open(t, "/roles/app-role?tab=tags")
		b.run(t, "arrow to the next tab", chromedp.Focus(chromedp.CSS("#tab-tags")), chromedp.KeyEvent(kb.ArrowRight))
		b.waitText(t, "#tabpanel", "Last used")
		var search string
		rolesEval(t, b, "location.search", &search)
		if search != "?tab=lastused" {
			t.Errorf("after ArrowRight the URL says %s, want ?tab=lastused", search)
		}

		// Following a policy link opens the policy.
		b.open(t, "/roles/app-role")
		b.click(t, `#tabpanel a[href="/console`+consolePolicyPath(f.readArn)+`"]`)
		b.waitText(t, "main h1", "app-read")
	})

	t.Run("policies", func(t *testing.T) {
		b.open(t, "/policies")
		b.waitText(t, "main table", "app-read")
		b.waitText(t, "main table", "app-boundary")
		var text string
		rolesEval(t, b, `document.querySelector("main").innerText`, &text)
		if strings.Contains(text, "AWSLambdaBasicExecutionRole") {
			t.Errorf("the customer managed list shows AWS managed policies:\n%s", text)
		}
		rolesShot(t, b, "policies-list")
		// The type toggle and the search keep to the URL.
		rolesEval(t, b, `(() => { const s = document.querySelector('select[name="scope"]'); s.value = "AWS"; s.dispatchEvent(new Event("change")); return true })()`, new(bool))
		b.waitText(t, "main caption", "policies")
		b.fill(t, `input[name="q"]`, "LambdaBasicExec")
		b.run(t, "search", chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), kb.Enter))
		b.waitText(t, "main caption", `1 policy matching "LambdaBasicExec"`)
		b.waitText(t, "main table", "AWSLambdaBasicExecutionRole")
		var search string
		rolesEval(t, b, "location.search", &search)
		if search != "?scope=AWS&q=LambdaBasicExec" {
			t.Errorf("the search is at %s, want ?scope=AWS&q=LambdaBasicExec", search)
		}

		// The default version's document.
		b.open(t, consolePolicyPath(f.readArn))
		b.waitText(t, "main h1", "app-read")
		b.waitText(t, "main dl", "Reads the app's objects")
		b.waitText(t, `#tabpanel pre[aria-label="Policy document"]`, `"s3:PutObject"`)
		b.waitText(t, "#tabpanel h2", "v2, default")
		rolesShot(t, b, "policy-document")

		// Versions and the diff between them.
		b.open(t, consolePolicyPath(f.readArn)+"?tab=versions")
		b.waitText(t, "#tabpanel table", "v1")
		b.click(t, "#tabpanel tbody tr:nth-child(2) details summary")
		b.waitText(t, `pre[aria-label="Policy document v1"]`, `"Action": "s3:GetObject"`)
		b.waitText(t, ".diff-summary", "v1 → v2: 4 lines added, 1 removed, in 1 change.")
		b.waitText(t, ".diff-removed", `"Action": "s3:GetObject",`)
		b.waitText(t, ".diff-added", `"s3:PutObject"`)
		var lines []string
		rolesEval(t, b, `[...document.querySelectorAll(".diff-line")].filter(l => !l.classList.contains("diff-same")).map(l => l.innerText.replace(/\s+/g, " ").trim())`, &lines)
		want := []string{`6 - Removed: "Action": "s3:GetObject",`, `6 + Added: "Action": [`, `7 + Added: "s3:GetObject",`, `8 + Added: "s3:PutObject"`, `9 + Added: ],`}
		if !slices.Equal(lines, want) {
			t.Errorf("changed lines:\n%q\nwant\n%q", lines, want)
		}
		rolesEval(t, b, "location.search", &search)
		if search != "?tab=versions&from=v1&to=v2" {
			t.Errorf("the diff is at %s, want ?tab=versions&from=v1&to=v2", search)
		}
		// Keyboard: "Next change" focuses the change; n keeps going.
		b.run(t, "next change", chromedp.Focus(chromedp.CSS("button.next-change")), chromedp.KeyEvent(kb.Enter))
		var focused string
		rolesEval(t, b, `document.activeElement.className + " " + document.activeElement.innerText`, &focused)
		if !strings.Contains(focused, "diff-removed") || !strings.Contains(focused, `"s3:GetObject"`) {
			t.Errorf("Next change focused %q, want the removed line", focused)
		}
		b.run(t, "n", chromedp.KeyEvent("n"))
		b.waitText(t, "main", "Change 1 of 1")
		rolesShot(t, b, "policy-versions-diff")
		// The same versions compare to nothing.
		b.open(t, consolePolicyPath(f.readArn)+"?tab=versions&from=v2&to=v2")
		b.waitText(t, ".diff-summary", "v2 and v2 are the same.")

		// An AWS managed policy has one version here.
		b.open(t, consolePolicyPath(basicExecution)+"?tab=versions")
		b.waitText(t, "main dl", "AWS managed")
		b.waitText(t, "#tabpanel", "The policy has one version: there is nothing to compare yet.")

		b.open(t, consolePolicyPath(f.readArn)+"?tab=entities")
		b.waitText(t, "#tabpanel table", "app-role")
		rolesShot(t, b, "policy-entities")
	})

	t.Run("simulator", func(t *testing.T) {
		b.open(t, "/roles/app-role")
		b.click(t, `main a[href="/console/simulator?role=app-role"]`)
		b.waitText(t, "main h1", "Policy simulator")
		b.fill(t, `textarea[name="actions"]`, "s3:GetObject, s3:DeleteObject\ndynamodb:GetItem sqs:SendMessage")
		b.fill(t, `textarea[name="resources"]`, "arn:aws:s3:::bucket/key")
		b.click(t, `form.sim-form button[type="submit"]`)
		b.waitText(t, "main h2", "Results for arn:aws:iam::"+f.account+":role/app-role")
		b.waitText(t, "main section", "1 of 4 requests allowed.")
		var rows [][]string
		rolesEval(t, b, `[...document.querySelectorAll(".sim-result")].map(r => [".sim-action", ".sim-resource", ".badge", ".sim-why", ".sim-missing"].map(c => (r.querySelector(c)?.innerText || "").replace(/\s+/g, " ").trim()))`, &rows)
		want := [][]string{
			{"s3:GetObject", "arn:aws:s3:::bucket/key", "Allowed"},
			{"s3:DeleteObject", "arn:aws:s3:::bucket/key", "Explicitly denied"},
			{"dynamodb:GetItem", "arn:aws:s3:::bucket/key", "Implicitly denied"},
			{"sqs:SendMessage", "arn:aws:s3:::bucket/key", "Implicitly denied"},
		}
		if len(rows) != len(want) {
			t.Fatalf("simulator rows %q, want %d", rows, len(want))
		}
		for i, w := range want {
			if !slices.Equal(rows[i][:3], w) {
				t.Errorf("row %d: %q, want %q", i, rows[i][:3], w)
			}
		}
		if !strings.Contains(rows[0][3], "app-read customer managed policy") || !strings.Contains(rows[0][3], "app-boundary permissions boundary") {
			t.Errorf("s3:GetObject's decisive statements %q, want app-read's", rows[0][3])
		}
		if !strings.Contains(rows[1][3], "Denied by: guard inline policy (line 1)") {
			t.Errorf("s3:DeleteObject's decisive statements %q, want the inline policy guard", rows[1][3])
		}
		// An implicit deny says which kind of policy has no allow.
		if !strings.Contains(rows[2][3], "The permissions boundary does not allow it.") {
			t.Errorf("dynamodb:GetItem's explanation %q, want the boundary's", rows[2][3])
		}
		if !strings.Contains(rows[3][3], "No identity-based policy allows it.") {
			t.Errorf("sqs:SendMessage's explanation %q, want no identity-based allow", rows[3][3])
		}
		if !strings.Contains(rows[3][4], "aws:SourceVpc") {
			t.Errorf("sqs:SendMessage's missing context %q, want aws:SourceVpc", rows[3][4])
		}
		// The URL names the simulation, for sharing.
		var search string
		rolesEval(t, b, "location.search", &search)
		q, _ := url.ParseQuery(strings.TrimPrefix(search, "?"))
		if q.Get("role") != "app-role" || !strings.Contains(q.Get("actions"), "sqs:SendMessage") {
			t.Errorf("the simulation's URL is %s", search)
		}
		// Opening the deny shows its statement highlighted in its policy.
		b.run(t, "open the deny", chromedp.Focus(chromedp.CSS(".sim-result:nth-child(2) details summary")), chromedp.KeyEvent(kb.Enter))
		b.waitText(t, ".sim-result:nth-child(2) mark.statement", `"Sid": "NoDeletes"`)
		var mark string
		rolesEval(t, b, `document.querySelector(".sim-result:nth-child(2) mark.statement").innerText`, &mark)
		if !strings.Contains(mark, `"Effect": "Deny"`) || strings.Contains(mark, "QueueFromVpc") || !strings.HasPrefix(mark, "{") || !strings.HasSuffix(mark, "}") {
			t.Errorf("the highlighted statement is %q, want NoDeletes alone", mark)
		}
		rolesShot(t, b, "simulator")
		// The context value the allow needs, given, makes it allowed.
		b.fill(t, `textarea[name="actions"]`, "sqs:SendMessage")
		b.fill(t, `textarea[name="context"]`, "aws:SourceVpc=vpc-0abc")
		b.click(t, `form.sim-form button[type="submit"]`)
		b.waitText(t, "main section", "1 of 1 request allowed.")
		b.waitText(t, ".sim-result .sim-why", "guard inline policy")
		// A shared link runs the simulation again; the allow highlights
		// app-read's statement.
		b.open(t, "/simulator"+search)
		b.waitText(t, ".sim-results", "Allowed")
		b.click(t, ".sim-result:nth-child(1) details summary")
		b.waitText(t, ".sim-result:nth-child(1) mark.statement", `"s3:PutObject"`)

		// A user is simulated too, with its inline policy's statement.
		b.open(t, "/simulator?user=viewer&actions=iam:ListRoles,iam:GetRolePolicy")
		b.waitText(t, ".sim-result:nth-child(1) .badge", "Allowed")
		b.waitText(t, ".sim-result:nth-child(2) .badge", "Implicitly denied")
		b.waitText(t, ".sim-result:nth-child(2) .sim-why", "No identity-based policy allows it.")
		b.click(t, ".sim-result:nth-child(1) details summary")
		b.waitText(t, ".sim-result:nth-child(1) summary", "console inline policy")
		b.waitText(t, ".sim-result:nth-child(1) mark.statement", `"iam:ListRoles"`)
		if got := eval[string](t, b, `document.querySelector('select[name="kind"]').value`); got != "user" {
			t.Errorf("principal type %q, want user", got)
		}
	})

	t.Run("create role", func(t *testing.T) {
		b.open(t, "/roles")
		b.click(t, `main a[href="/console/roles/new"]`)
		b.waitText(t, "main h1", "Create role")
		// The policies the Lambda documentation names come first.
		for _, name := range []string{"AWSLambdaBasicExecutionRole", "AWSXRayDaemonWriteAccess", "AWSLambdaSQSQueueExecutionRole",
			"AWSLambdaKinesisExecutionRole", "AWSLambdaDynamoDBExecutionRole", "AWSLambdaVPCAccessExecutionRole", "AWSLambdaMSKExecutionRole"} {
			b.waitText(t, `ul[aria-label="Policies for Lambda features"]`, name)
		}
		b.waitText(t, `ul[aria-label="Policies for Lambda features"]`, "Read messages from an Amazon SQS queue and write to CloudWatch Logs.")
		b.click(t, `input[type="checkbox"][value="`+basicExecution+`"]`)
		b.fill(t, `input[name="policy-search"]`, "AmazonS3ReadOnly")
		b.run(t, "search policies", chromedp.SendKeys(chromedp.CSS(`input[name="policy-search"]`), kb.Enter))
		b.waitText(t, `ul[aria-label="Matching policies"]`, "AmazonS3ReadOnlyAccess")
		b.click(t, `ul[aria-label="Matching policies"] input[value="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]`)
		b.waitText(t, "main", "2 policies chosen: AWSLambdaBasicExecutionRole, AmazonS3ReadOnlyAccess.")
		b.waitText(t, "form.wizard dl", "AWSLambdaBasicExecutionRole, AmazonS3ReadOnlyAccess")
		b.fill(t, `input[name="role-name"]`, "made-in-console")
		b.fill(t, `textarea[name="description"]`, "Made by the wizard")
		b.click(t, "#add-tag")
		b.fill(t, `input[name="tag-key"]`, "owner")
		b.fill(t, `input[name="tag-value"]`, "console")
		b.click(t, "#use-boundary")
		b.fill(t, `input[name="boundary"]`, f.boundArn)
		rolesShot(t, b, "roles-create")
		b.click(t, `form.wizard > button[type="submit"]`)
		b.waitText(t, "main h1", "made-in-console")
		b.waitText(t, "#tabpanel table", "AmazonS3ReadOnlyAccess")

		ctx := context.Background()
		c := iam.NewFromConfig(b.root)
		role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("made-in-console")})
		if err != nil {
			t.Fatal(err)
		}
		trust, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
		if trust != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}` {
			t.Errorf("trust policy %s", trust)
		}
		if aws.ToString(role.Role.Description) != "Made by the wizard" || role.Role.PermissionsBoundary == nil ||
			aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn) != f.boundArn ||
			len(role.Role.Tags) != 1 || aws.ToString(role.Role.Tags[0].Key) != "owner" || aws.ToString(role.Role.Tags[0].Value) != "console" {
			t.Errorf("role %+v", role.Role)
		}
		att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("made-in-console")})
		if err != nil {
			t.Fatal(err)
		}
		var arns []string
		for _, p := range att.AttachedPolicies {
			arns = append(arns, aws.ToString(p.PolicyArn))
		}
		slices.Sort(arns)
		if !slices.Equal(arns, []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", basicExecution}) {
			t.Errorf("attached %v", arns)
		}

		// A name IAM refuses gets IAM's error, and nothing is made.
		b.open(t, "/roles/new")
		b.fill(t, `input[name="role-name"]`, "made-in-console")
		b.click(t, `form.wizard > button[type="submit"]`)
		b.waitText(t, ".error", "EntityAlreadyExists")
	})

	t.Run("default role", func(t *testing.T) {
		b.open(t, "/roles/new?tab=default")
		b.fill(t, `input[name="function-name"]`, "fresh-fn")
		b.click(t, `#tabpanel form button[type="submit"]`)
		b.waitText(t, "main dl", "fresh-fn-role-")
		b.waitText(t, `pre[aria-label="Policy document"]`, "/aws/lambda/fresh-fn:*")
		rolesShot(t, b, "roles-default-role")
		name := b.text(t, "main dl a")
		role, err := iam.NewFromConfig(b.root).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
		if err != nil {
			t.Fatalf("the created role %q: %v", name, err)
		}
		if aws.ToString(role.Role.Path) != "/service-role/" {
			t.Errorf("default role path %s", aws.ToString(role.Role.Path))
		}
		b.click(t, "main dl a")
		b.waitText(t, "main h1", name)
		b.waitText(t, "#tabpanel table", "AWSLambdaBasicExecutionRole-")
	})

	t.Run("restricted", func(t *testing.T) {
		b.click(t, "#signout")
		b.signIn(t, f.viewerKey, f.viewerSec, "")
		// The viewer may list roles and read them.
		b.open(t, "/roles")
		b.waitText(t, "main table", "app-role")
		b.waitText(t, "main table tr", "("+region+")")
		b.open(t, "/roles/app-role")
		b.waitText(t, "#tabpanel table", "app-read") // ListAttachedRolePolicies is allowed
		b.waitText(t, "#tabpanel .inline-policy .error", "AccessDenied")
		b.waitText(t, "#tabpanel .inline-policy .error",
			"User: arn:aws:iam::"+f.account+":user/viewer is not authorized to perform: iam:GetRolePolicy")
		rolesShot(t, b, "roles-restricted")
		b.open(t, "/policies")
		b.waitText(t, "main .error", "User: arn:aws:iam::"+f.account+":user/viewer is not authorized to perform: iam:ListPolicies")
		b.open(t, "/roles/new?tab=default")
		b.fill(t, `input[name="function-name"]`, "fresh-fn")
		b.click(t, `#tabpanel form button[type="submit"]`)
		b.waitText(t, "main .error", "AccessDeniedException")
		b.waitText(t, "main .error", "iam:CreateRole")

		// A user who may create roles but not attach policies gets a role
		// without them, is told so, and is shown the way to it.
		b.click(t, "#signout")
		key, secret := b.user(t, "maker", makerDoc)
		b.signIn(t, key, secret, "")
		b.open(t, "/roles/new")
		b.click(t, `input[type="checkbox"][value="`+basicExecution+`"]`)
		b.fill(t, `input[name="role-name"]`, "half-made")
		b.click(t, `form.wizard > button[type="submit"]`)
		b.waitText(t, "main .error", "User: arn:aws:iam::"+f.account+":user/maker is not authorized to perform: iam:AttachRolePolicy")
		b.waitText(t, "main", "The role was created, but not every policy could be attached")
		rolesShot(t, b, "roles-create-partial")
		b.click(t, `main a[href="/console/roles/half-made"]`)
		b.waitText(t, "main h1", "half-made")
		b.waitText(t, "#tabpanel", "No managed policies are attached.")
	})
}
