package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// consoleCall makes a signed call of rolecall's own API (signing name
// "rolecall") and decodes a 2xx answer into out. It returns the status
// and, for an error, the error code and message.
func consoleCall(t testing.TB, cfg aws.Config, endpoint, method, path string, in, out any) (int, string, string) {
	t.Helper()
	ctx := context.Background()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "rolecall", cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), e.Message
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, "", ""
}

// pythonZip is a deployment package whose handler returns {"ok": true}.
func pythonZip(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("handler.py")
	if err == nil {
		_, err = io.WriteString(w, "def handler(event, context):\n    return {\"ok\": True}\n")
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pythonFunction(t testing.TB, name, role string) *lambda.CreateFunctionInput {
	return &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(t)},
	}
}

type summaryOut struct {
	FunctionArn string `json:"functionArn"`
	RoleArn     string `json:"roleArn"`
	Policies    []struct {
		Name string `json:"policyName"`
		ARN  string `json:"policyArn"`
		Type string `json:"policyType"`
	} `json:"policies"`
	Services []struct {
		Service       string         `json:"service"`
		Name          string         `json:"name"`
		ActionCount   int            `json:"actionCount"`
		AccessLevels  map[string]int `json:"accessLevels"`
		ResourceCount int            `json:"resourceCount"`
		ByAction      []struct {
			Action     string   `json:"action"`
			Access     string   `json:"accessLevel"`
			Resources  []string `json:"resources"`
			Statements []struct {
				Policy string `json:"policy"`
				Sid    string `json:"sid"`
			} `json:"statements"`
		} `json:"byAction"`
		ByResource []struct {
			Resource string `json:"resource"`
			Actions  []struct {
				Action string `json:"action"`
			} `json:"actions"`
		} `json:"byResource"`
	} `json:"services"`
}

func TestConsoleResourceSummary(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	const table = "arn:aws:dynamodb:us-east-1:" + account + ":table/orders"
	roleARN := s.role(t, "summary-fn", lambdaTrust, basicExecRole, "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess")
	s.putRolePolicy(t, "summary-fn", "orders", `{"Version":"2012-10-17","Statement":[{"Sid":"ReadOrders","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"`+table+`"},{"Effect":"Deny","Action":"dynamodb:Query","Resource":"*"}]}`)
	s.create(t, pythonFunction(t, "summary", roleARN))

	var out summaryOut
	if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/functions/summary/resource-summary", nil, &out); st != 200 {
		t.Fatalf("GetResourceSummary: %d %s %s", st, code, msg)
	}
	if out.RoleArn != roleARN || out.FunctionArn != functionARN("summary") || len(out.Policies) != 3 {
		t.Fatalf("summary = %+v", out)
	}
	// Without ?service=, the drop-down: each service with its counts.
	var services []string
	for _, sv := range out.Services {
		services = append(services, sv.Service)
		if sv.ActionCount == 0 || sv.Name == "" || len(sv.ByAction) != 0 || len(sv.ByResource) != 0 {
			t.Errorf("%s: count %d, %d actions, name %q", sv.Service, sv.ActionCount, len(sv.ByAction), sv.Name)
		}
	}
	if !slices.Equal(services, []string{"dynamodb", "logs", "xray"}) {
		t.Fatalf("services = %v", services)
	}
	if d := out.Services[0]; d.ActionCount != 1 || d.ResourceCount != 1 || d.AccessLevels["Read"] != 1 || len(d.AccessLevels) != 1 {
		t.Fatalf("dynamodb counts = %+v", d)
	}
	var detail summaryOut
	if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/functions/summary/resource-summary?service=dynamodb", nil, &detail); st != 200 || len(detail.Services) != 1 {
		t.Fatalf("service=dynamodb: %d %s %s %+v", st, code, msg, detail.Services)
	}
	ddb := detail.Services[0]
	// Query is denied by the explicit deny; GetItem remains, on the table.
	if len(ddb.ByAction) != 1 || ddb.ByAction[0].Action != "dynamodb:GetItem" || ddb.ByAction[0].Access != "Read" ||
		!slices.Equal(ddb.ByAction[0].Resources, []string{table}) || ddb.ByAction[0].Statements[0].Policy != "orders" || ddb.ByAction[0].Statements[0].Sid != "ReadOrders" {
		t.Fatalf("dynamodb = %+v", ddb)
	}
	if len(ddb.ByResource) != 1 || ddb.ByResource[0].Resource != table || ddb.ByResource[0].Actions[0].Action != "dynamodb:GetItem" {
		t.Fatalf("dynamodb by resource = %+v", ddb.ByResource)
	}

	// One service, as the console's drop-down shows it.
	var one summaryOut
	if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/functions/summary/resource-summary?service=logs", nil, &one); st != 200 || len(one.Services) != 1 || one.Services[0].Service != "logs" {
		t.Fatalf("service=logs: %d %s %s %+v", st, code, msg, one.Services)
	}
	if st, code, _ := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/functions/summary/resource-summary?servce=logs", nil, nil); st != 400 || code != "ValidationException" {
		t.Fatalf("unknown query parameter: %d %s", st, code)
	}
	if st, code, _ := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/functions/summary/resource-summary?service=teleport", nil, nil); st != 400 || code != "ValidationException" {
		t.Fatalf("unknown service: %d %s", st, code)
	}
	var empty summaryOut
	if st, _, _ := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/functions/summary/resource-summary?service=s3", nil, &empty); st != 200 || len(empty.Services) != 0 {
		t.Fatalf("service=s3, which the role does not reach: %d %+v", st, empty.Services)
	}
	if st, code, _ := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/functions/nope/resource-summary", nil, nil); st != 404 || code != "ResourceNotFoundException" {
		t.Fatalf("missing function: %d %s", st, code)
	}

	// A caller who may read the function but not the role's policies
	// through IAM cannot read them here either.
	restricted := s.user(t, "viewer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:GetFunctionConfiguration","iam:GetRole","iam:ListRolePolicies","iam:ListAttachedRolePolicies"],"Resource":"*"}]}`)
	st, code, msg := consoleCall(t, restricted, s.srv.Endpoint(), http.MethodGet, "/v1/functions/summary/resource-summary", nil, nil)
	if st != 403 || code != "AccessDeniedException" || !strings.Contains(msg, "iam:GetRolePolicy") {
		t.Fatalf("restricted caller: %d %s %s", st, code, msg)
	}
	none := s.user(t, "nobody", "")
	st, code, msg = consoleCall(t, none, s.srv.Endpoint(), http.MethodGet, "/v1/functions/summary/resource-summary", nil, nil)
	if st != 403 || code != "AccessDeniedException" || !strings.Contains(msg, "lambda:GetFunctionConfiguration") {
		t.Fatalf("caller without permissions: %d %s %s", st, code, msg)
	}
	_ = ctx
}

func TestConsoleDefaultRole(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	var d struct {
		RoleName, RoleArn, PolicyName, PolicyArn string
	}
	if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/functions/fresh/default-role", nil, &d); st != 201 {
		t.Fatalf("CreateDefaultRole: %d %s %s", st, code, msg)
	}
	if !strings.HasPrefix(d.RoleName, "fresh-role-") || len(d.RoleName) != len("fresh-role-")+8 || !strings.HasPrefix(d.PolicyName, "AWSLambdaBasicExecutionRole-") ||
		d.RoleArn != "arn:aws:iam::"+account+":role/service-role/"+d.RoleName || d.PolicyArn != "arn:aws:iam::"+account+":policy/service-role/"+d.PolicyName {
		t.Fatalf("default role = %+v", d)
	}
	att, err := s.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(d.RoleName)})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != d.PolicyArn {
		t.Fatalf("attached = %+v, %v", att, err)
	}
	pv, err := s.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(d.PolicyArn), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.PathUnescape(aws.ToString(pv.PolicyVersion.Document))
	if !strings.Contains(doc, "arn:aws:logs:us-east-1:"+account+":log-group:/aws/lambda/fresh:*") || !strings.Contains(doc, `"arn:aws:logs:us-east-1:`+account+`:*"`) {
		t.Fatalf("policy = %s", doc)
	}

	// Each IAM call is the caller's own, in the trail.
	for _, name := range []string{"CreateRole", "CreatePolicy", "AttachRolePolicy"} {
		s.waitTrail(t, name, func(r *trailRecord) bool {
			return r.UserIdentity.Type == "Root" && r.ErrorCode == "" && (strings.Contains(r.raw, d.RoleName+`"`) || strings.Contains(r.raw, d.PolicyName))
		})
	}
	s.waitTrail(t, "CreateDefaultRole", func(r *trailRecord) bool { return r.UserIdentity.Type == "Root" })

	// The role is usable by the new function: it runs and writes its logs.
	s.create(t, pythonFunction(t, "fresh", d.RoleArn))
	out, err := invoke(s.lambda, "fresh", map[string]any{})
	if err != nil || out.FunctionError != nil || !strings.Contains(string(out.Payload), `"ok": true`) {
		t.Fatalf("Invoke: %v %+v %s", err, out, out.Payload)
	}
	s.waitLogs(t, "/aws/lambda/fresh", "START")

	// A caller who may create roles but not policies changes nothing.
	creator := s.user(t, "creator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy"],"Resource":"*"}]}`)
	st, code, msg := consoleCall(t, creator, s.srv.Endpoint(), http.MethodPost, "/v1/functions/other/default-role", nil, nil)
	if st != 403 || code != "AccessDeniedException" || !strings.Contains(msg, "iam:CreatePolicy") {
		t.Fatalf("restricted creator: %d %s %s", st, code, msg)
	}
	roles, err := s.iam.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/service-role/")})
	if err != nil || len(roles.Roles) != 1 {
		t.Fatalf("roles after a refused call: %+v %v", roles, err)
	}
}

func TestConsoleFeaturePermissions(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	s.role(t, "feature-fn", lambdaTrust, basicExecRole)
	type result struct {
		PolicyArn string `json:"policyArn"`
		VersionID string `json:"versionId"`
		Changed   bool   `json:"changed"`
		Attached  bool   `json:"attached"`
		Document  string `json:"policyDocument"`
	}
	add := func(feature, arn string) result {
		t.Helper()
		in := map[string]string{"feature": feature}
		if arn != "" {
			in["resourceArn"] = arn
		}
		var out result
		if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/roles/feature-fn/feature-permissions", in, &out); st != 200 {
			t.Fatalf("AddFeaturePermissions %s: %d %s %s", feature, st, code, msg)
		}
		return out
	}
	first := add("tracing", "")
	if !first.Changed || !first.Attached || first.VersionID != "v1" || first.PolicyArn != "arn:aws:iam::"+account+":policy/service-role/AWSLambdaFeaturePermissions-feature-fn" {
		t.Fatalf("first = %+v", first)
	}
	// Twice: one policy, no new version.
	again := add("tracing", "")
	if again.Changed || again.VersionID != "v1" {
		t.Fatalf("again = %+v", again)
	}
	queue := "arn:aws:sqs:us-east-1:" + account + ":jobs"
	q := add("event-source", queue)
	if !q.Changed || q.VersionID != "v2" || !strings.Contains(q.Document, queue) || !strings.Contains(q.Document, "xray:PutTraceSegments") {
		t.Fatalf("event source = %+v", q)
	}
	att, err := s.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("feature-fn")})
	if err != nil || len(att.AttachedPolicies) != 2 {
		t.Fatalf("attached = %+v %v", att, err)
	}
	// Past IAM's five versions, the oldest non-default one goes.
	add("vpc", "")
	add("kms", "arn:aws:kms:us-east-1:"+account+":key/1234abcd-12ab-34cd-56ef-1234567890ab")
	add("destination", "arn:aws:sns:us-east-1:"+account+":failures")
	last := add("event-source", "arn:aws:kinesis:us-east-1:"+account+":stream/clicks")
	if last.VersionID != "v6" {
		t.Fatalf("last = %+v", last)
	}
	vs, err := s.iam.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(last.PolicyArn)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vs.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"v2", "v3", "v4", "v5", "v6"}) {
		t.Fatalf("versions = %v", ids)
	}
	for _, bad := range []map[string]string{
		{"feature": "tracing", "resourceArn": queue},
		{"feature": "event-source", "resourceArn": "arn:aws:s3:::bucket"},
		{"feature": "teleport"},
	} {
		if st, code, _ := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/roles/feature-fn/feature-permissions", bad, nil); st != 400 || code != "ValidationException" {
			t.Errorf("%v: %d %s", bad, st, code)
		}
	}
	// A member the operation does not have, as the modelled REST-JSON
	// services answer it.
	extra := map[string]string{"feature": "kms", "extra": "x"}
	if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/roles/feature-fn/feature-permissions", extra, nil); st != 400 || code != "SerializationException" || !strings.Contains(msg, "Unrecognized member extra") {
		t.Errorf("%v: %d %s %s", extra, st, code, msg)
	}
	if st, code, _ := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/roles/nobody/feature-permissions", map[string]string{"feature": "tracing"}, nil); st != 404 || code != "ResourceNotFoundException" {
		t.Errorf("missing role: %d %s", st, code)
	}
	if _, err := s.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + account + ":policy/service-role/AWSLambdaFeaturePermissions-nobody")}); err == nil {
		t.Error("a policy was created for a missing role")
	}

	// A caller who may attach policies to the role but not write policies
	// is refused by IAM, in IAM's words, and nothing changes.
	s.role(t, "other-fn", lambdaTrust)
	attacher := s.user(t, "attacher", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:AttachRolePolicy","iam:ListAttachedRolePolicies","iam:GetPolicy"],"Resource":"*"}]}`)
	st, code, msg := consoleCall(t, attacher, s.srv.Endpoint(), http.MethodPost, "/v1/roles/other-fn/feature-permissions", map[string]string{"feature": "tracing"}, nil)
	if st != 403 || code != "AccessDeniedException" || !strings.Contains(msg, "iam:CreatePolicy") {
		t.Errorf("restricted caller: %d %s %s", st, code, msg)
	}
	other, err := s.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("other-fn")})
	if err != nil || len(other.AttachedPolicies) != 0 {
		t.Errorf("other-fn policies after a refused call: %+v %v", other, err)
	}
}

func TestConsolePolicyTemplates(t *testing.T) {
	s := newLambdaSuite(t)
	var list struct {
		Templates []struct {
			Name       string `json:"templateName"`
			Title      string `json:"title"`
			Parameters []struct {
				Name string `json:"name"`
			} `json:"parameters"`
		} `json:"templates"`
	}
	if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/policy-templates", nil, &list); st != 200 {
		t.Fatalf("ListPolicyTemplates: %d %s %s", st, code, msg)
	}
	var titles []string
	for _, tp := range list.Templates {
		titles = append(titles, tp.Title)
	}
	for _, want := range []string{"Basic Lambda@Edge permissions (for CloudFront trigger)", "Simple microservice permissions", "Amazon S3 object read-only permissions", "Amazon SQS poller permissions", "AWS KMS decryption permissions"} {
		if !slices.Contains(titles, want) {
			t.Errorf("no template %q in %v", want, titles)
		}
	}
	var got struct {
		Document string `json:"policyDocument"`
	}
	if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, "/v1/policy-templates/sqs-poller?functionName=worker", nil, &got); st != 200 {
		t.Fatalf("GetPolicyTemplate: %d %s %s", st, code, msg)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:DeleteMessage","sqs:ReceiveMessage"],"Resource":["arn:aws:sqs:*:*:*"]},{"Effect":"Allow","Action":["lambda:InvokeFunction"],"Resource":["arn:aws:lambda:us-east-1:` + account + `:function:worker*"]}]}`
	if got.Document != want {
		t.Fatalf("document = %s\nwant %s", got.Document, want)
	}
	// The document is a valid identity policy IAM accepts.
	if _, err := s.iam.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String("poller"), PolicyDocument: aws.String(got.Document)}); err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	for path, want := range map[string]int{
		"/v1/policy-templates/sqs-poller":                                       400, // a parameter missing
		"/v1/policy-templates/sqs-poller?functionName=worker&tableName=t":       400, // one it does not take
		"/v1/policy-templates/sqs-poller?functionName=" + url.QueryEscape(`x"`): 400,
		"/v1/policy-templates/no-such-template":                                 404,
	} {
		if st, _, _ := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, path, nil, nil); st != want {
			t.Errorf("%s: %d, want %d", path, st, want)
		}
	}
}
