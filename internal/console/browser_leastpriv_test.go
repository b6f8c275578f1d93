package console_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// lpHandler reads the object the event names as the function's role, and
// asks DynamoDB for a table the role may not describe: one allowed call
// and one refused.
const lpHandler = `import boto3
from botocore.config import Config

def handler(event, context):
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
    body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
    try:
        boto3.client("dynamodb").describe_table(TableName="lp-orders")
        refused = ""
    except Exception as e:
        refused = getattr(e, "response", {}).get("Error", {}).get("Code", str(e))
    return {"bytes": len(body), "refused": refused}
`

// lpFunction makes, as root, the bucket lp-data with reports/q4.csv, the
// role lp-fn (trusting Lambda, with AmazonS3FullAccess and
// AWSLambdaBasicExecutionRole) and the python3.11 function lp-fn, and
// invokes it once.
func lpFunction(t *testing.T, b *browser) {
	t.Helper()
	ctx := context.Background()
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	s3c := s3.NewFromConfig(b.root, func(o *s3.Options) { o.UsePathStyle = true })
	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lp-data")})
	check("CreateBucket", err)
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lp-data"), Key: aws.String("reports/q4.csv"), Body: strings.NewReader("month,total\n")})
	check("PutObject", err)

	role := fnRole(t, b.root, "lp-fn", "arn:aws:iam::aws:policy/AmazonS3FullAccess", fnBasicExec)
	fnCreate(t, b.root, "lp-fn", role, func(in *lambda.CreateFunctionInput) {
		in.Code = &lambdatypes.FunctionCode{ZipFile: fnZip(t, lpHandler)}
		in.Timeout = aws.Int32(30)
	})
	lc := lambda.NewFromConfig(b.root)
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("lp-fn"), Payload: []byte(`{"bucket":"lp-data","key":"reports/q4.csv"}`)})
	check("Invoke", err)
	var got struct {
		Bytes   int    `json:"bytes"`
		Refused string `json:"refused"`
	}
	if out.FunctionError != nil || json.Unmarshal(out.Payload, &got) != nil || got.Bytes != 12 || got.Refused != "AccessDeniedException" {
		t.Fatalf("lp-fn answered %s (error %v)", out.Payload, aws.ToString(out.FunctionError))
	}
}

// textareaValue is the value of the textarea matching selector.
func textareaValue(t *testing.T, b *browser, selector string) string {
	t.Helper()
	sel, _ := json.Marshal(selector)
	return eval[string](t, b, `document.querySelector(`+string(sel)+`).value`)
}

// TestConsoleLeastPrivilegeGenerateAndApply: a function whose role has
// AmazonS3FullAccess reads one object; on the least-privilege page root
// sees what the role did not use and what it was refused, generates a
// policy naming s3:GetObject on that object, edits it, replays the
// traffic against it replacing AmazonS3FullAccess (the edit shows as the
// one newly allowed request, with its statement), and applies it: the
// role then has the new policy attached and not AmazonS3FullAccess.
func TestConsoleLeastPrivilegeGenerateAndApply(t *testing.T) {
	b := newBrowser(t)
	lpFunction(t, b)
	b.signInRoot(t)
	b.open(t, "/least-privilege?role=lp-fn&since=1h")
	b.waitText(t, "main h1", "Least privilege")

	// Compare.
	b.waitText(t, "#lp-role", "lp-fn")
	b.waitText(t, "main section", "Granted but unused")
	b.waitText(t, "details.lp-service summary", "Amazon S3 (s3): ")
	b.waitText(t, "main table", "arn:aws:s3:::lp-data/reports/q4.csv") // s3:GetObject used on less than "*"
	b.waitText(t, "main table", "dynamodb:DescribeTable")              // used but missing
	b.waitText(t, "main table", "arn:aws:dynamodb:us-east-1:123456789012:table/lp-orders")
	b.shot(t, "leastpriv-compare")
	// Granted by AmazonS3FullAccess, not used: in the service's drop-down.
	toggleS3 := `[...document.querySelectorAll("details.lp-service summary")].find(s => s.textContent.includes("(s3):")).click() ?? true`
	eval[bool](t, b, toggleS3)
	b.waitText(t, "details.lp-service[open] table", "s3:PutObject")
	eval[bool](t, b, toggleS3)

	// Generate.
	b.click(t, "#lp-generate")
	b.waitText(t, ".lp-status", "succeeded")
	b.waitText(t, ".lp-status", "Created the access role rolecall-access-analyzer")
	doc := textareaValue(t, b, "#lp-policy-1")
	if !strings.Contains(doc, `"s3:GetObject"`) || !strings.Contains(doc, `"arn:aws:s3:::lp-data/reports/q4.csv"`) {
		t.Fatalf("the generated policy does not grant s3:GetObject on the object read:\n%s", doc)
	}
	if strings.Contains(doc, "dynamodb") {
		t.Errorf("the generated policy grants the refused call:\n%s", doc)
	}
	// The log group's literal ":*" is written ${*}, and the page says what
	// that means.
	if strings.Contains(doc, "${*}") {
		b.waitText(t, ".lp-escapes", "stand for a literal *")
	} else if n := eval[int](t, b, `document.querySelectorAll(".lp-escapes").length`); n != 0 {
		t.Errorf("the page explains escapes the policy does not hold")
	}
	if active := eval[string](t, b, `document.activeElement.id`); active != "lp-policy-1" {
		t.Errorf("after generation the focus is on %q, want the editor", active)
	}
	b.shot(t, "leastpriv-generated")

	// Edit: add the missing DescribeTable, then replay replacing
	// AmazonS3FullAccess.
	var policy struct {
		Version   string
		Statement []any
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		t.Fatalf("the editor holds no policy: %v\n%s", err, doc)
	}
	policy.Statement = append(policy.Statement, map[string]any{"Sid": "Orders", "Effect": "Allow", "Action": "dynamodb:DescribeTable",
		"Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/lp-orders"})
	edited, err := json.MarshalIndent(policy, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// What is not a policy is refused before any call.
	b.fill(t, "#lp-policy-1", `{"Version": "2012-10-17", "Statement": [`)
	b.click(t, "#lp-replay")
	b.waitText(t, ".lp-result .error", "The policy is not valid JSON")
	b.fill(t, "#lp-policy-1", string(edited))
	b.waitText(t, ".lp-current", "AmazonS3FullAccess")
	b.click(t, `.lp-current input[value="arn:aws:iam::aws:policy/AmazonS3FullAccess"]`)
	b.click(t, "#lp-replay")
	b.waitText(t, ".lp-replay", "Requests replayed")
	replay := b.text(t, ".lp-replay")
	for _, want := range []string{"Newly denied\n0", "Newly allowed\n1", "dynamodb:DescribeTable", "ImplicitDeny → Allow", "Allow Orders of arn:aws:iam::123456789012:policy/lp-fn-least-privilege"} {
		if !strings.Contains(replay, want) {
			t.Errorf("the replay does not show %q:\n%s", want, replay)
		}
	}
	b.shot(t, "leastpriv-replay")

	// Apply, after confirming.
	b.click(t, "#lp-apply")
	b.waitText(t, ".lp-confirm", "Create the customer managed policy lp-fn-least-privilege")
	b.waitText(t, ".lp-confirm", "Detach arn:aws:iam::aws:policy/AmazonS3FullAccess from lp-fn")
	b.shot(t, "leastpriv-confirm")
	b.click(t, "#lp-confirm")
	b.waitText(t, ".lp-applied", "Applied")
	arn := "arn:aws:iam::123456789012:policy/lp-fn-least-privilege"
	if href := eval[string](t, b, `document.querySelector(".lp-applied a").getAttribute("href")`); href != "/console/policies/"+url.PathEscape(arn) && href != "/console/policies/"+url.QueryEscape(arn) {
		t.Errorf("the applied policy links to %s", href)
	}
	b.waitText(t, ".lp-applied a", "lp-fn")
	b.shot(t, "leastpriv-applied")

	ctx := context.Background()
	ic := iam.NewFromConfig(b.root)
	att, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("lp-fn")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range att.AttachedPolicies {
		names = append(names, aws.ToString(p.PolicyArn))
	}
	if strings.Join(names, " ") != "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole "+arn {
		t.Errorf("the role's attached policies are %v", names)
	}
	v, err := ic.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	applied, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
	if err != nil || !strings.Contains(applied, "arn:aws:s3:::lp-data/reports/q4.csv") || !strings.Contains(applied, "dynamodb:DescribeTable") {
		t.Errorf("the policy applied is %s (%v)", applied, err)
	}

	// The function still reads its object, under the new policy alone,
	// and may now describe the table (which does not exist).
	out, err := lambda.NewFromConfig(b.root).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("lp-fn"), Payload: []byte(`{"bucket":"lp-data","key":"reports/q4.csv"}`)})
	if err != nil || out.FunctionError != nil || !strings.Contains(string(out.Payload), `"refused": "ResourceNotFoundException"`) {
		t.Errorf("lp-fn after apply: %v %s", err, out.Payload)
	}
}

// TestConsoleLeastPrivilegeFeature: the link a function's configuration
// gives (/least-privilege?role=R&feature=tracing) opens the feature form
// filled in, showing the statement it adds; adding it makes and attaches
// the role's feature policy, and an event source needs its ARN.
func TestConsoleLeastPrivilegeFeature(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(b.root)
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("lp-feat"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	b.signInRoot(t)
	b.open(t, "/least-privilege?role=lp-feat&feature=tracing")
	b.waitText(t, ".lp-preview", "xray:PutTraceSegments")
	if active := eval[string](t, b, `document.activeElement.id`); active != "lp-feature" {
		t.Errorf("the feature link leaves the focus on %q, want the feature select", active)
	}
	b.click(t, "#lp-feature-add")
	b.waitText(t, "main [role=status]", "Added the permissions to arn:aws:iam::123456789012:policy/service-role/AWSLambdaFeaturePermissions-lp-feat (version v1)")
	b.shot(t, "leastpriv-feature")

	// An event source: the ARN is asked for, previewed and added.
	b.fill(t, "#lp-feature", "event-source")
	b.waitText(t, ".lp-preview", "Give the event source's arn")
	queue := "arn:aws:sqs:us-east-1:123456789012:lp-jobs"
	b.fill(t, "#lp-feature-arn", queue)
	b.waitText(t, ".lp-preview", "sqs:ReceiveMessage")
	b.click(t, "#lp-feature-add")
	b.waitText(t, "main [role=status]", "(version v2)")
	// A resource of another account is refused with the API's message.
	b.fill(t, "#lp-feature-arn", "arn:aws:sqs:us-east-1:999999999999:theirs")
	b.waitText(t, ".lp-preview .error", "ValidationException")
	b.waitText(t, ".lp-preview .error", "is not in the account 123456789012")

	att, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("lp-feat")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "AWSLambdaFeaturePermissions-lp-feat" {
		t.Fatalf("the role's attached policies: %+v %v", att, err)
	}
	v, err := ic.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: att.AttachedPolicies[0].PolicyArn, VersionId: aws.String("v2")})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document)); !strings.Contains(d, queue) || !strings.Contains(d, "xray:PutTraceSegments") {
		t.Errorf("the feature policy is %s", d)
	}
}

// TestConsoleLeastPrivilegeRestricted: a user who may list and read
// roles but not read the trail sees the role chosen and AWS's refusals,
// with its message, where the compare and the generation are refused.
func TestConsoleLeastPrivilegeRestricted(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	if _, err := iam.NewFromConfig(b.root).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("lp-other"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	id, secret := b.user(t, "lp-viewer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","iam:GetRole"],"Resource":"*"}]}`)
	b.signIn(t, id, secret, "")
	b.open(t, "/least-privilege?role=lp-other&since=7d")
	b.waitText(t, "#lp-role", "lp-other")
	b.waitText(t, "main .error", "User: arn:aws:iam::123456789012:user/lp-viewer is not authorized to perform: cloudtrail:LookupEvents")
	b.waitText(t, "main .error-code", "AccessDenied")
	b.click(t, "#lp-generate")
	b.waitText(t, "main .error", "User: arn:aws:iam::123456789012:user/lp-viewer is not authorized to perform: cloudtrail:DescribeTrails")
	b.shot(t, "leastpriv-denied")

	// Without iam:ListRoles a role's name can still be typed.
	id, secret = b.user(t, "lp-nobody", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`)
	b.click(t, "#signout")
	b.signIn(t, id, secret, "")
	b.open(t, "/least-privilege")
	b.waitText(t, ".lp-role .error", "is not authorized to perform: iam:ListRoles")
	b.fill(t, "#lp-role", "lp-other")
	b.click(t, "#lp-show")
	b.waitText(t, ".lp-range", "Role lp-other, Last 24 hours")
	if q := eval[string](t, b, "location.search"); q != "?role=lp-other&since=24h" {
		t.Errorf("the page's URL query is %s", q)
	}
}
