package lambda

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

func TestCreateFunction(t *testing.T) {
	h := newHarness(t)
	code := zipOf(t, map[string]string{"index.mjs": "export const handler = async (e) => e;"})
	out := h.must("CreateFunction", req{body: map[string]any{
		"FunctionName": "foo", "Runtime": nodeRT(t), "Role": testRole, "Handler": "index.handler",
		"Code":        map[string]any{"ZipFile": code},
		"Environment": map[string]any{"Variables": map[string]string{"AB": "1"}},
		"VpcConfig":   map[string]any{"SubnetIds": []string{"subnet-2", "subnet-1"}, "SecurityGroupIds": []string{"sg-1"}},
	}}).(*FunctionConfiguration)
	sum := sha256.Sum256(code)
	if out.CodeSha256 != base64.StdEncoding.EncodeToString(sum[:]) || out.CodeSize != int64(len(code)) {
		t.Errorf("code = %s %d", out.CodeSha256, out.CodeSize)
	}
	if out.State != "Pending" || out.StateReasonCode != "Creating" || out.LastUpdateStatus != "InProgress" {
		t.Errorf("state = %s/%s/%s", out.State, out.StateReasonCode, out.LastUpdateStatus)
	}
	if out.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:foo" || out.Version != "$LATEST" ||
		out.Timeout != 3 || out.MemorySize != 128 || out.TracingConfig.Mode != "PassThrough" ||
		out.LoggingConfig.LogGroup != "/aws/lambda/foo" || out.PackageType != "Zip" || out.EphemeralStorage.Size != 512 {
		t.Errorf("configuration = %+v", out)
	}
	if _, err := time.Parse(lastModifiedLayout, out.LastModified); err != nil || !strings.HasSuffix(out.LastModified, "+0000") {
		t.Errorf("LastModified = %q", out.LastModified)
	}
	if out.VpcConfig == nil || !strings.HasPrefix(out.VpcConfig.VpcId, "vpc-") {
		t.Fatalf("VpcConfig = %+v", out.VpcConfig)
	}
	// The role was checked by assuming it as Lambda, named after the function.
	if len(h.fc.assumed) != 1 || h.fc.assumed[0].Principal.ARN != "lambda.amazonaws.com" ||
		h.fc.assumed[0].Params.Get("RoleSessionName") != "foo" {
		t.Errorf("assumed = %+v", h.fc.assumed)
	}
	// Invoking while Pending is refused.
	_, err := h.do("Invoke", req{path: fn("foo")})
	wantError(t, err, "ResourceConflictException", 409, "The operation cannot be performed at this time. The function is currently in the following state: Pending")

	active := h.waitActive("foo")
	if active.RevisionId != out.RevisionId {
		t.Errorf("revision changed on settling")
	}

	// The same subnets, in another order, name the same VPC.
	h.create("bar", map[string]any{"VpcConfig": map[string]any{"SubnetIds": []string{"subnet-1", "subnet-2"}}})
	bar := h.must("GetFunction", req{path: fn("bar")}).(*GetFunctionOutput)
	if bar.Configuration.VpcConfig.VpcId != out.VpcConfig.VpcId {
		t.Errorf("VpcId %s != %s", bar.Configuration.VpcConfig.VpcId, out.VpcConfig.VpcId)
	}

	_, err = h.do("CreateFunction", req{body: map[string]any{
		"FunctionName": "foo", "Runtime": nodeRT(t), "Role": testRole, "Handler": "index.handler",
		"Code": map[string]any{"ZipFile": code}}})
	wantError(t, err, "ResourceConflictException", 409, "Function already exist: foo")
}

func TestCreateFunctionErrors(t *testing.T) {
	h := newHarness(t)
	code := zipOf(t, map[string]string{"index.mjs": "x"})
	base := func() map[string]any {
		return map[string]any{"FunctionName": "f1", "Runtime": nodeRT(t), "Role": testRole,
			"Handler": "index.handler", "Code": map[string]any{"ZipFile": code}}
	}
	with := func(k string, v any) map[string]any {
		b := base()
		b[k] = v
		return b
	}
	h.fc.noAssume["arn:aws:iam::123456789012:role/untrusted"] = true
	cases := []struct {
		name   string
		body   map[string]any
		deny   string
		code   string
		status int
		msg    string
	}{
		{"malformed role", with("Role", "lambda-ex"), "", "ValidationException", 400,
			"1 validation error detected: Value 'lambda-ex' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"},
		{"cross-account role", with("Role", "arn:aws:iam::210987654321:role/r"), "", "AccessDeniedException", 403,
			"Cross-account pass role is not allowed."},
		{"no PassRole", base(), "iam:PassRole", "AccessDeniedException", 403,
			"User: arn:aws:iam::123456789012:root is not authorized to perform: iam:PassRole on resource: " + testRole + " because no identity-based policy allows the iam:PassRole action"},
		{"role not trusting Lambda", with("Role", "arn:aws:iam::123456789012:role/untrusted"), "", "InvalidParameterValueException", 400,
			"The role defined for the function cannot be assumed by Lambda."},
		{"reserved variables", with("Environment", json.RawMessage(`{"Variables":{"AWS_REGION":"x","OK":"1","AWS_ACCESS_KEY_ID":"y","AWS_SECRET_ACCESS_KEY":"z"}}`)), "",
			"InvalidParameterValueException", 400,
			"Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"},
		{"timeout", with("Timeout", 901), "", "ValidationException", 400,
			"1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"memory", with("MemorySize", 64), "", "ValidationException", 400,
			"1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"},
		{"bad name", with("FunctionName", "bad name"), "", "ValidationException", 400, ""},
		{"long name", with("FunctionName", strings.Repeat("a", 65)), "", "ValidationException", 400, ""},
		{"runtime", with("Runtime", "cobol"), "", "ValidationException", 400, ""},
		{"no code", with("Code", map[string]any{}), "", "InvalidParameterValueException", 400, "Please provide a source for function code."},
		{"bad zip", with("Code", map[string]any{"ZipFile": []byte("not a zip")}), "", "InvalidParameterValueException", 400,
			"Could not unzip uploaded file. Please check your file, then try to upload again."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.deny = map[string]bool{tc.deny: tc.deny != ""}
			_, err := h.do("CreateFunction", req{body: tc.body})
			wantError(t, err, tc.code, tc.status, tc.msg)
		})
	}
	if _, err := h.do("GetFunction", req{path: fn("f1")}); err == nil {
		t.Fatal("a refused function exists")
	}
}

func TestFunctionNames(t *testing.T) {
	h := newHarness(t)
	h.create("named", nil)
	for _, name := range []string{
		"named",
		"arn:aws:lambda:us-east-1:123456789012:function:named",
		"123456789012:function:named",
		"named:$LATEST",
	} {
		if _, err := h.do("GetFunction", req{path: fn(name)}); err != nil {
			t.Errorf("GetFunction(%s): %v", name, err)
		}
	}
	_, err := h.do("GetFunction", req{path: fn("foo")})
	wantError(t, err, "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:foo")
	if se := err.(interface{ Error() string }); !strings.Contains(se.Error(), "Function not found") {
		t.Error(se)
	}
	_, err = h.do("GetFunction", req{path: fn("named:1"), query: url.Values{"Qualifier": {"2"}}})
	wantError(t, err, "InvalidParameterValueException", 400, "The derived qualifier from the function name does not match the specified qualifier.")
	_, err = h.do("GetFunction", req{path: fn("a:b:c:d:e")})
	wantError(t, err, "ValidationException", 400, "")
}

func TestGetFunctionCodeLocation(t *testing.T) {
	h := newHarness(t)
	h.create("dl", nil)
	out := h.must("GetFunction", req{path: fn("dl")}).(*GetFunctionOutput)
	if out.Code.RepositoryType != "S3" || !strings.HasPrefix(out.Code.Location, "http://127.0.0.1:4566/_code/") {
		t.Fatalf("Code = %+v", out.Code)
	}
	u, _ := url.Parse(out.Code.Location)
	srv := httptest.NewServer(h.l.CodeHandler())
	defer srv.Close()
	get := func(path, rawQuery string) (int, []byte) {
		resp, err := http.Get(srv.URL + path + "?" + rawQuery)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, body := get(u.Path, u.RawQuery)
	if status != 200 || string(body) != string(nodeZip(t)) {
		t.Fatalf("download = %d, %d bytes", status, len(body))
	}
	if status, _ := get(u.Path, strings.Replace(u.RawQuery, "Signature=", "Signature=0", 1)); status != 403 {
		t.Errorf("tampered signature: %d", status)
	}
	q := u.Query()
	q.Set("Expires", "1")
	if status, _ := get(u.Path, q.Encode()); status != 403 {
		t.Errorf("changed expiry: %d", status)
	}
}

func TestUpdateFunction(t *testing.T) {
	h := newHarness(t)
	before := h.create("upd", nil)
	// Active tracing needs a role that may send trace segments.
	h.fc.noXRay[testRole] = true
	_, err := h.do("UpdateFunctionConfiguration", req{path: fn("upd"), body: map[string]any{"TracingConfig": map[string]string{"Mode": "Active"}}})
	wantError(t, err, "InvalidParameterValueException", 400, "The provided execution role does not have permissions to call PutTraceSegments on XRAY")
	delete(h.fc.noXRay, testRole)
	out := h.must("UpdateFunctionConfiguration", req{path: fn("upd"), body: map[string]any{
		"Timeout": 10, "MemorySize": 256, "Description": "d", "Environment": map[string]any{"Variables": map[string]string{"KEY": "v"}},
		"TracingConfig": map[string]string{"Mode": "Active"},
	}}).(*FunctionConfiguration)
	if out.RevisionId == before.RevisionId || out.LastUpdateStatus != "InProgress" || out.Timeout != 10 ||
		out.MemorySize != 256 || out.Environment.Variables["KEY"] != "v" || out.TracingConfig.Mode != "Active" {
		t.Errorf("updated = %+v", out)
	}
	_, err = h.do("UpdateFunctionConfiguration", req{path: fn("upd"), body: map[string]any{"Timeout": 5}})
	wantError(t, err, "ResourceConflictException", 409, "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:upd")
	h.waitActive("upd")

	_, err = h.do("UpdateFunctionConfiguration", req{path: fn("upd"), body: map[string]any{"Timeout": 5, "RevisionId": before.RevisionId}})
	wantError(t, err, "PreconditionFailedException", 412, "")

	h.fc.noAssume["arn:aws:iam::123456789012:role/other"] = true
	_, err = h.do("UpdateFunctionConfiguration", req{path: fn("upd"), body: map[string]any{"Role": "arn:aws:iam::123456789012:role/other"}})
	wantError(t, err, "InvalidParameterValueException", 400, "The role defined for the function cannot be assumed by Lambda.")
	h.deny["iam:PassRole"] = true
	_, err = h.do("UpdateFunctionConfiguration", req{path: fn("upd"), body: map[string]any{"Role": testRole}})
	wantError(t, err, "AccessDeniedException", 403, "")
	delete(h.deny, "iam:PassRole")

	code := zipOf(t, map[string]string{"index.mjs": "export const handler = async () => 2;"})
	out = h.must("UpdateFunctionCode", req{path: fn("upd"), body: map[string]any{"ZipFile": code, "Publish": true}}).(*FunctionConfiguration)
	sum := sha256.Sum256(code)
	if out.Version != "1" || out.CodeSha256 != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("UpdateFunctionCode = %s %s", out.Version, out.CodeSha256)
	}
}

func TestVersionsAndAliases(t *testing.T) {
	h := newHarness(t)
	h.create("ver", nil)
	v1 := h.must("PublishVersion", req{path: fn("ver"), body: map[string]any{"Description": "first"}}).(*FunctionConfiguration)
	if v1.Version != "1" || v1.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:ver:1" || v1.Description != "first" {
		t.Fatalf("v1 = %+v", v1)
	}
	// Nothing changed: the same version again.
	if again := h.must("PublishVersion", req{path: fn("ver")}).(*FunctionConfiguration); again.Version != "1" {
		t.Errorf("republished as %s", again.Version)
	}
	h.must("UpdateFunctionConfiguration", req{path: fn("ver"), body: map[string]any{"Timeout": 7}})
	h.waitActive("ver")
	v2 := h.must("PublishVersion", req{path: fn("ver")}).(*FunctionConfiguration)
	if v2.Version != "2" || v2.Timeout != 7 {
		t.Fatalf("v2 = %+v", v2)
	}
	list := h.must("ListVersionsByFunction", req{path: fn("ver")}).(*ListVersionsOutput)
	if len(list.Versions) != 3 || list.Versions[0].Version != "$LATEST" || list.Versions[2].Version != "2" {
		t.Errorf("versions = %d", len(list.Versions))
	}
	got := h.must("GetFunctionConfiguration", req{path: fn("ver"), query: url.Values{"Qualifier": {"1"}}}).(*FunctionConfiguration)
	if got.Timeout != 3 {
		t.Errorf("version 1 timeout = %d", got.Timeout)
	}

	a := h.must("CreateAlias", req{path: fn("ver"), body: map[string]any{"Name": "live", "FunctionVersion": "1"}}).(*AliasConfiguration)
	if a.AliasArn != "arn:aws:lambda:us-east-1:123456789012:function:ver:live" || a.RevisionId == "" {
		t.Errorf("alias = %+v", a)
	}
	_, err := h.do("CreateAlias", req{path: fn("ver"), body: map[string]any{"Name": "live", "FunctionVersion": "1"}})
	wantError(t, err, "ResourceConflictException", 409, "Alias already exists: arn:aws:lambda:us-east-1:123456789012:function:ver:live")
	_, err = h.do("CreateAlias", req{path: fn("ver"), body: map[string]any{"Name": "x", "FunctionVersion": "9"}})
	wantError(t, err, "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:ver:9")
	got = h.must("GetFunctionConfiguration", req{path: fn("ver:live")}).(*FunctionConfiguration)
	if got.Version != "1" {
		t.Errorf("alias resolves to %s", got.Version)
	}
	h.must("UpdateAlias", req{path: map[string]string{"FunctionName": "ver", "Name": "live"}, body: map[string]any{"FunctionVersion": "2"}})
	got = h.must("GetFunctionConfiguration", req{path: fn("ver"), query: url.Values{"Qualifier": {"live"}}}).(*FunctionConfiguration)
	if got.Version != "2" {
		t.Errorf("updated alias resolves to %s", got.Version)
	}
	aliases := h.must("ListAliases", req{path: fn("ver")}).(*ListAliasesOutput)
	if len(aliases.Aliases) != 1 {
		t.Errorf("aliases = %d", len(aliases.Aliases))
	}
	_, err = h.do("DeleteFunction", req{path: fn("ver"), query: url.Values{"Qualifier": {"2"}}})
	wantError(t, err, "ResourceConflictException", 409, "")
	h.must("DeleteFunction", req{path: fn("ver"), query: url.Values{"Qualifier": {"1"}}})
	_, err = h.do("GetFunction", req{path: fn("ver:1")})
	wantError(t, err, "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:ver:1")
	h.must("DeleteAlias", req{path: map[string]string{"FunctionName": "ver", "Name": "live"}})
	_, err = h.do("GetAlias", req{path: map[string]string{"FunctionName": "ver", "Name": "live"}})
	wantError(t, err, "ResourceNotFoundException", 404, "Alias not found: arn:aws:lambda:us-east-1:123456789012:function:ver:live")

	h.must("DeleteFunction", req{path: fn("ver")})
	_, err = h.do("GetFunction", req{path: fn("ver")})
	wantError(t, err, "ResourceNotFoundException", 404, "")
	list2 := h.must("ListFunctions", req{}).(*ListFunctionsOutput)
	if len(list2.Functions) != 0 {
		t.Errorf("functions left: %d", len(list2.Functions))
	}
}

func TestListFunctionsPages(t *testing.T) {
	h := newHarness(t)
	for _, n := range []string{"a", "b", "c"} {
		h.create("fn-"+n, nil)
	}
	p1 := h.must("ListFunctions", req{query: url.Values{"MaxItems": {"2"}}}).(*ListFunctionsOutput)
	if len(p1.Functions) != 2 || p1.NextMarker == "" {
		t.Fatalf("page 1 = %d, %q", len(p1.Functions), p1.NextMarker)
	}
	p2 := h.must("ListFunctions", req{query: url.Values{"MaxItems": {"2"}, "Marker": {p1.NextMarker}}}).(*ListFunctionsOutput)
	if len(p2.Functions) != 1 || p2.NextMarker != "" || p2.Functions[0].FunctionName != "fn-c" {
		t.Fatalf("page 2 = %+v", p2)
	}
}

func TestPermissions(t *testing.T) {
	h := newHarness(t)
	h.create("pol", nil)
	_, err := h.do("GetPolicy", req{path: fn("pol")})
	wantError(t, err, "ResourceNotFoundException", 404, "The resource you requested does not exist.")

	out := h.must("AddPermission", req{path: fn("pol"), body: map[string]any{
		"StatementId": "s3", "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com",
		"SourceArn": "arn:aws:s3:::bucket", "SourceAccount": "123456789012",
	}}).(*AddPermissionOutput)
	wantStatement := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:pol","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}}`
	if out.Statement != wantStatement {
		t.Errorf("statement = %s", out.Statement)
	}
	h.must("AddPermission", req{path: fn("pol"), body: map[string]any{
		"StatementId": "acct", "Action": "lambda:InvokeFunction", "Principal": "210987654321"}})
	_, err = h.do("AddPermission", req{path: fn("pol"), body: map[string]any{
		"StatementId": "acct", "Action": "lambda:InvokeFunction", "Principal": "210987654321"}})
	wantError(t, err, "ResourceConflictException", 409, "The statement id (acct) provided already exists. Please choose a new statement id, or remove the existing statement.")

	pol := h.must("GetPolicy", req{path: fn("pol")}).(*GetPolicyOutput)
	want := `{"Version":"2012-10-17","Id":"default","Statement":[` + wantStatement +
		`,{"Sid":"acct","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:pol"}]}`
	if pol.Policy != want || pol.RevisionId == "" {
		t.Errorf("policy = %s", pol.Policy)
	}

	// The Invoke operation hands the parsed policy to the gateway.
	op := h.svc.Operations["Invoke"]
	c := h.call("Invoke", req{path: fn("pol")})
	res, err := op.Resource(c)
	if p := res.Policy; err != nil || p == nil || res.Mode != 0 || len(p.Statements()) != 2 {
		t.Fatalf("resource policy = %v %v %v", p, res.Mode, err)
	}
	if res.ARN != "arn:aws:lambda:us-east-1:123456789012:function:pol" {
		t.Errorf("resource = %s", res.ARN)
	}

	h.must("RemovePermission", req{path: map[string]string{"FunctionName": "pol", "StatementId": "s3"}})
	_, err = h.do("RemovePermission", req{path: map[string]string{"FunctionName": "pol", "StatementId": "s3"}})
	wantError(t, err, "ResourceNotFoundException", 404, "Statement s3 is not found in resource policy.")
	res, _ = op.Resource(c)
	if p := res.Policy; p == nil || len(p.Statements()) != 1 {
		t.Fatalf("after removal: %v", p)
	}
	_, err = h.do("AddPermission", req{path: fn("pol"), body: map[string]any{
		"StatementId": "bad", "Action": "lambda:InvokeFunction", "Principal": "not-a-principal"}})
	wantError(t, err, "InvalidParameterValueException", 400, "")
}

// TestModelConstraints covers the constraints the Lambda model checks
// before the handlers run, and those left to the handlers.
func TestModelConstraints(t *testing.T) {
	h := newHarness(t)
	h.create("m", nil)
	code := zipOf(t, map[string]string{"index.mjs": "x"})
	create := func(k string, v any) req {
		b := map[string]any{"FunctionName": "m2", "Runtime": nodeRT(t), "Role": testRole,
			"Handler": "index.handler", "Code": map[string]any{"ZipFile": code}}
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return req{body: b}
	}
	const pre = "1 validation error detected: "
	cases := []struct {
		name, op string
		r        req
		msg      string
	}{
		{"runtime", "CreateFunction", create("Runtime", "cobol"), pre + "Value 'cobol' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [nodejs, nodejs4.3, "},
		{"no role", "CreateFunction", create("Role", nil), pre + "Value null at 'role' failed to satisfy constraint: Member must not be null"},
		{"handler", "CreateFunction", create("Handler", "a b"), pre + "Value 'a b' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+"},
		{"description", "CreateFunction", create("Description", strings.Repeat("d", 257)), pre + "Value '" + strings.Repeat("d", 257) + "' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"architecture", "CreateFunction", create("Architectures", []string{"sparc"}), pre + "Value '[sparc]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]"},
		{"tracing", "CreateFunction", create("TracingConfig", map[string]any{"Mode": "On"}), pre + "Value 'On' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]"},
		{"variable name", "CreateFunction", create("Environment", map[string]any{"Variables": map[string]string{"1x": "v"}}), pre + "Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"},
		{"timeout below", "CreateFunction", create("Timeout", 0), pre + "Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"memory above", "CreateFunction", create("MemorySize", 10241), pre + "Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240"},
		{"function version", "ListFunctions", req{query: url.Values{"FunctionVersion": {"x"}}}, pre + "Value 'x' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]"},
		{"max items", "ListFunctions", req{query: url.Values{"MaxItems": {"0"}}}, pre + "Value '0' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000"},
		{"qualifier", "GetFunction", req{path: fn("m"), query: url.Values{"Qualifier": {"a b"}}}, pre + "Value 'a b' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"},
		{"action", "AddPermission", req{path: fn("m"), body: map[string]any{"StatementId": "s", "Action": "s3:GetObject", "Principal": "*"}},
			pre + "Value 's3:GetObject' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])"},
		{"principal", "AddPermission", req{path: fn("m"), body: map[string]any{"StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": "a b"}},
			pre + "Value 'a b' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+"},
		{"source account", "AddPermission", req{path: fn("m"), body: map[string]any{"StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": "*", "SourceAccount": "12"}},
			pre + "Value '12' at 'sourceAccount' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}"},
		{"concurrency", "PutFunctionConcurrency", req{path: fn("m"), body: map[string]any{"ReservedConcurrentExecutions": -1}},
			pre + "Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"no concurrency", "PutFunctionConcurrency", req{path: fn("m"), body: map[string]any{}},
			pre + "Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.do(tc.op, tc.r)
			e, ok := err.(*api.Error)
			if !ok || e.Code != "ValidationException" || e.Status != 400 || !strings.HasPrefix(e.Message, tc.msg) {
				t.Errorf("got %v\nwant ValidationException %s", err, tc.msg)
			}
		})
	}
	if _, err := h.do("GetFunction", req{path: fn("m2")}); err == nil {
		t.Error("a refused function exists")
	}
}

func TestTagsConcurrencySettings(t *testing.T) {
	h := newHarness(t)
	h.create("tagged", map[string]any{"Tags": map[string]string{"team": "a"}})
	arn := map[string]string{"Resource": "arn:aws:lambda:us-east-1:123456789012:function:tagged"}
	h.must("TagResource", req{path: arn, body: map[string]any{"Tags": map[string]string{"env": "dev"}}})
	tags := h.must("ListTags", req{path: arn}).(*ListTagsOutput)
	if len(tags.Tags) != 2 || tags.Tags["env"] != "dev" {
		t.Errorf("tags = %v", tags.Tags)
	}
	h.must("UntagResource", req{path: arn, query: url.Values{"tagKeys": {"team"}}})
	got := h.must("GetFunction", req{path: fn("tagged")}).(*GetFunctionOutput)
	if len(got.Tags) != 1 || got.Concurrency != nil {
		t.Errorf("GetFunction tags/concurrency = %v %v", got.Tags, got.Concurrency)
	}
	_, err := h.do("ListTags", req{path: map[string]string{"Resource": "arn:aws:lambda:us-east-1:123456789012:function:tagged:1"}})
	wantError(t, err, "InvalidParameterValueException", 400, "")

	h.must("PutFunctionConcurrency", req{path: fn("tagged"), body: map[string]any{"ReservedConcurrentExecutions": 100}})
	conc := h.must("GetFunctionConcurrency", req{path: fn("tagged")}).(*ConcurrencyOutput)
	if conc.ReservedConcurrentExecutions == nil || *conc.ReservedConcurrentExecutions != 100 {
		t.Errorf("concurrency = %v", conc.ReservedConcurrentExecutions)
	}
	_, err = h.do("PutFunctionConcurrency", req{path: fn("tagged"), body: map[string]any{"ReservedConcurrentExecutions": 901}})
	wantError(t, err, "InvalidParameterValueException", 400, "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")
	settings := h.must("GetAccountSettings", req{}).(*AccountSettingsOutput)
	if settings.AccountLimit.ConcurrentExecutions != 1000 || settings.AccountLimit.UnreservedConcurrentExecutions != 900 ||
		settings.AccountUsage.FunctionCount != 1 || settings.AccountUsage.TotalCodeSize == 0 {
		t.Errorf("settings = %+v", settings)
	}
	h.must("DeleteFunctionConcurrency", req{path: fn("tagged")})
	conc = h.must("GetFunctionConcurrency", req{path: fn("tagged")}).(*ConcurrencyOutput)
	if conc.ReservedConcurrentExecutions != nil {
		t.Errorf("concurrency after delete = %v", *conc.ReservedConcurrentExecutions)
	}
	b, _ := json.Marshal(conc)
	if string(b) != "{}" {
		t.Errorf("empty concurrency = %s", b)
	}
}

func TestRoutesAreUnique(t *testing.T) {
	h := newHarness(t)
	seen := map[string]bool{}
	for _, r := range h.svc.Routes {
		k := r.Method + " " + r.Path
		if seen[k] {
			t.Errorf("duplicate route %s", k)
		}
		seen[k] = true
		if h.svc.Operations[r.Operation] == nil {
			t.Errorf("route %s has no operation", k)
		}
	}
}
