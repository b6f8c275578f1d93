package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestLambda runs functions end to end as their execution roles, on one
// server shared by independent subtests.
func TestLambda(t *testing.T) {
	s := newLambdaSuite(t)
	exampleZip(t, goExample) // build once, before the subtests race for it
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *lambdaSuite)
	}{
		{"ExecutionRole", testExecutionRole},
		{"Interpreters", testInterpreters},
		{"DeniedUntilPolicyAttached", testDeniedUntilPolicyAttached},
		{"NoLogsWithoutBasicExecutionRole", testNoLogsWithoutBasicExecution},
		{"CreateRefusals", testCreateRefusals},
		{"SourceFunctionArn", testSourceFunctionARN},
		{"ResourcePolicy", testResourcePolicy},
		{"Failures", testFailures},
		{"Throttling", testThrottling},
		{"UpdateReplacesEnvironments", testUpdateReplacesEnvironments},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, s)
		})
	}
}

// testExecutionRole follows the documented setup: the lambda-ex role, the
// basic execution policy, a Go function that runs as the role and whose
// output reaches CloudWatch Logs.
func testExecutionRole(t *testing.T, s *lambdaSuite) {
	ctx := context.Background()
	const name = "whoami-go"
	role := s.role(t, "lambda-ex", lambdaTrust, basicExecRole)
	arn := s.create(t, goFunction(t, name, role))
	if arn != functionARN(name) {
		t.Errorf("FunctionArn = %s", arn)
	}
	got := s.call(t, name, map[string]any{"action": "whoami"})
	if got["arn"] != assumedRoleARN("lambda-ex", name) || got["account"] != account {
		t.Errorf("GetCallerIdentity inside the function = %v", got)
	}
	if id := str(got["userId"]); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":"+name) {
		t.Errorf("UserId = %q", id)
	}

	out, err := invoke(s.lambda, name, map[string]any{"action": "print", "lines": []string{"hello from whoami-go", "to stderr"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil {
		t.Fatalf("print: %s", out.Payload)
	}
	if out.StatusCode != 200 || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("StatusCode %d, ExecutedVersion %s", out.StatusCode, aws.ToString(out.ExecutedVersion))
	}
	text := s.waitLogs(t, "/aws/lambda/"+name, "hello from whoami-go", "to stderr", "START RequestId: ", "END RequestId: ", "REPORT RequestId: ")
	if !strings.Contains(text, "Init Duration: ") {
		t.Errorf("no cold-start REPORT line in:\n%s", text)
	}
	streams, err := s.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/" + name)})
	if err != nil || len(streams.LogStreams) == 0 {
		t.Fatalf("DescribeLogStreams: %v", err)
	}
	if sn := aws.ToString(streams.LogStreams[0].LogStreamName); !strings.Contains(sn, "/[$LATEST]") {
		t.Errorf("log stream name %q", sn)
	}

	// Lambda assumed the role as itself, and wrote the logs as the role.
	s.waitTrail(t, "AssumeRole", func(r *trailRecord) bool {
		return r.RequestParameters["roleArn"] == role && r.ErrorCode == "" &&
			r.UserIdentity.Type == "AWSService" && r.UserIdentity.InvokedBy == "lambda.amazonaws.com" &&
			r.SourceIPAddress == "lambda.amazonaws.com"
	})
	s.waitTrail(t, "PutLogEvents", func(r *trailRecord) bool {
		return r.UserIdentity.ARN == assumedRoleARN("lambda-ex", name) && r.ErrorCode == "" &&
			r.UserIdentity.InvokedBy == "lambda.amazonaws.com"
	})

	// function-updated-v2 after a configuration change, which the next
	// invocation sees.
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name),
		Description:  aws.String("updated"),
		Environment:  &lambdatypes.Environment{Variables: map[string]string{"GREETING": "hi"}},
	})
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.State != lambdatypes.StateActive || cfg.LastUpdateStatus != lambdatypes.LastUpdateStatusSuccessful || aws.ToString(cfg.Description) != "updated" {
		t.Errorf("after update: State %s, LastUpdateStatus %s, Description %q", cfg.State, cfg.LastUpdateStatus, aws.ToString(cfg.Description))
	}
	env := s.call(t, name, map[string]any{"action": "env", "names": []string{"GREETING", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_LOG_GROUP_NAME"}})
	if env["GREETING"] != "hi" || env["AWS_LAMBDA_FUNCTION_NAME"] != name || env["AWS_LAMBDA_LOG_GROUP_NAME"] != "/aws/lambda/"+name {
		t.Errorf("environment after update: %v", env)
	}
}

// testInterpreters runs the Python and Node.js examples as their role.
func testInterpreters(t *testing.T, s *lambdaSuite) {
	role := s.role(t, "interp-role", lambdaTrust, basicExecRole)
	for _, rt := range []struct {
		example, bin, handler string
	}{
		{pythonExample, "python3", "handler.handler"},
		{nodeExample, "node", "index.handler"},
	} {
		t.Run(rt.example, func(t *testing.T) {
			name := "whoami-" + rt.example
			s.create(t, &lambda.CreateFunctionInput{
				FunctionName: aws.String(name),
				Role:         aws.String(role),
				Runtime:      hostRuntime(t, rt.bin),
				Handler:      aws.String(rt.handler),
				Code:         &lambdatypes.FunctionCode{ZipFile: exampleZip(t, rt.example)},
				Timeout:      aws.Int32(10),
			})
			got := s.call(t, name, map[string]any{"action": "whoami"})
			if got["arn"] != assumedRoleARN("interp-role", name) {
				t.Errorf("whoami = %v", got)
			}
			echo := s.call(t, name, map[string]any{"action": "echo", "n": 7.0})
			if echo["n"] != 7.0 {
				t.Errorf("echo = %v", echo)
			}
			s.call(t, name, map[string]any{"action": "print", "lines": []string{"printed by " + rt.example}})
			s.waitLogs(t, "/aws/lambda/"+name, "printed by "+rt.example, "REPORT RequestId: ")
		})
	}
}

// callAction asks the Go example to make one AWS call through its
// environment's endpoint; the result holds "output" or "error" and "message".
func callAction(service, op string, params map[string]string) map[string]any {
	return map[string]any{"action": "call", "service": service, "op": op, "params": params}
}

// testDeniedUntilPolicyAttached: a call the role does not allow is
// denied naming the session; after a policy is attached and the function
// updated, it succeeds.
func testDeniedUntilPolicyAttached(t *testing.T, s *lambdaSuite) {
	const name, roleName = "limited-fn", "limited"
	role := s.role(t, roleName, lambdaTrust, basicExecRole)
	s.create(t, goFunction(t, name, role))
	got := s.call(t, name, callAction("iam", "ListRoles", nil))
	if got["error"] != "AccessDenied" {
		t.Fatalf("iam:ListRoles without permission = %v", got)
	}
	want := "User: " + assumedRoleARN(roleName, name) + " is not authorized to perform: iam:ListRoles"
	if msg := str(got["message"]); !strings.HasPrefix(msg, want) {
		t.Errorf("message %q\nwant prefix %q", msg, want)
	}
	got = s.call(t, name, callAction("logs", "DescribeLogGroups", nil))
	if got["error"] != "AccessDeniedException" {
		t.Errorf("logs:DescribeLogGroups without permission = %v", got)
	}

	s.putRolePolicy(t, roleName, "list-roles", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name),
		Environment:  &lambdatypes.Environment{Variables: map[string]string{"POLICY": "list-roles"}},
	})
	got = s.call(t, name, callAction("iam", "ListRoles", nil))
	if got["error"] != nil || got["output"] == nil {
		t.Fatalf("iam:ListRoles after PutRolePolicy = %v", got)
	}
	if !strings.Contains(mustJSON(t, got), `"RoleName":"limited"`) {
		t.Errorf("ListRoles output lacks the role: %v", got)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testNoLogsWithoutBasicExecution: a role without logs permissions gets
// no logs; the trail shows Lambda's denied calls as the role.
func testNoLogsWithoutBasicExecution(t *testing.T, s *lambdaSuite) {
	ctx := context.Background()
	const name, roleName = "nologs-fn", "nologs"
	role := s.role(t, roleName, lambdaTrust)
	s.create(t, goFunction(t, name, role))
	out, err := invoke(s.lambda, name, map[string]any{"action": "print", "lines": []string{"never shipped"}}, func(in *lambda.InvokeInput) {
		in.LogType = lambdatypes.LogTypeTail
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil {
		t.Fatalf("Invoke: %s", out.Payload)
	}
	// The log tail comes back all the same: it does not go through Logs.
	if tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult)); !strings.Contains(string(tail), "never shipped") {
		t.Errorf("log tail %q", tail)
	}

	sessionARN := assumedRoleARN(roleName, name)
	for _, op := range []string{"CreateLogGroup", "CreateLogStream"} {
		r := s.waitTrail(t, op, func(r *trailRecord) bool { return r.UserIdentity.ARN == sessionARN })
		if r.ErrorCode != "AccessDenied" || r.UserIdentity.Type != "AssumedRole" ||
			r.UserIdentity.InvokedBy != "lambda.amazonaws.com" || r.EventSource != "logs.amazonaws.com" {
			t.Errorf("%s event: %s", op, r.raw)
		}
		if want := "User: " + sessionARN + " is not authorized to perform: logs:" + op; !strings.HasPrefix(r.ErrorMessage, want) {
			t.Errorf("%s errorMessage %q", op, r.ErrorMessage)
		}
	}
	s.waitTrail(t, "AssumeRole", func(r *trailRecord) bool {
		return r.RequestParameters["roleArn"] == role && r.UserIdentity.InvokedBy == "lambda.amazonaws.com" && r.ErrorCode == ""
	})
	groups, err := s.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.LogGroups) != 0 {
		t.Errorf("log groups: %v", groups.LogGroups)
	}
	if text := s.logText(t, "/aws/lambda/"+name); text != "" {
		t.Errorf("logs written without permission:\n%s", text)
	}
}

// testCreateRefusals: what CreateFunction refuses, with AWS's errors.
func testCreateRefusals(t *testing.T, s *lambdaSuite) {
	ctx := context.Background()
	lambdaRole := s.role(t, "refusals-role", lambdaTrust)
	ec2Role := s.role(t, "ec2-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)

	_, err := s.lambda.CreateFunction(ctx, goFunction(t, "refused-trust", ec2Role))
	if msg := apiError(t, err, "InvalidParameterValueException"); msg != "The role defined for the function cannot be assumed by Lambda." {
		t.Errorf("untrusted role: %q", msg)
	}
	_, err = s.lambda.CreateFunction(ctx, goFunction(t, "refused-missing", "arn:aws:iam::123456789012:role/no-such-role"))
	if msg := apiError(t, err, "InvalidParameterValueException"); msg != "The role defined for the function cannot be assumed by Lambda." {
		t.Errorf("missing role: %q", msg)
	}

	_, err = s.lambda.CreateFunction(ctx, goFunction(t, "refused-arn", "arn:aws:iam::123456789012:lambda-ex"))
	if msg := apiError(t, err, "ValidationException"); !strings.HasPrefix(msg, "1 validation error detected: Value 'arn:aws:iam::123456789012:lambda-ex' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: ") {
		t.Errorf("malformed role ARN: %q", msg)
	}

	in := goFunction(t, "refused-env", lambdaRole)
	in.Environment = &lambdatypes.Environment{Variables: map[string]string{"AWS_REGION": "eu-west-1", "OK": "1"}}
	_, err = s.lambda.CreateFunction(ctx, in)
	want := "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION"
	if msg := apiError(t, err, "InvalidParameterValueException"); msg != want {
		t.Errorf("reserved variable: %q", msg)
	}

	// lambda:* without iam:PassRole.
	deployer := lambda.NewFromConfig(s.user(t, "deployer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"*"}]}`))
	_, err = deployer.CreateFunction(ctx, goFunction(t, "refused-passrole", lambdaRole))
	msg := apiError(t, err, "AccessDeniedException")
	if want := "User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: iam:PassRole on resource: " + lambdaRole; !strings.HasPrefix(msg, want) {
		t.Errorf("PassRole: %q", msg)
	}
	for _, name := range []string{"refused-trust", "refused-missing", "refused-arn", "refused-env", "refused-passrole"} {
		_, err := s.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		apiError(t, err, "ResourceNotFoundException")
	}

	// With iam:PassRole for Lambda, the same user can.
	if _, err := s.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("deployer"), PolicyName: aws.String("pass"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + lambdaRole + `","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := deployer.CreateFunction(ctx, goFunction(t, "deployed", lambdaRole)); err != nil {
		t.Fatalf("CreateFunction with iam:PassRole: %v", err)
	}
	s.waitActive(t, "deployed")
}

// testSourceFunctionARN: a role shared by two functions, whose policy
// allows an action only for calls from the first function's environments.
func testSourceFunctionARN(t *testing.T, s *lambdaSuite) {
	ctx := context.Background()
	const roleName, first, second = "shared-role", "sfa-one", "sfa-two"
	role := s.role(t, roleName, lambdaTrust)
	s.putRolePolicy(t, roleName, "only-first", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*",
		"Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"`+functionARN(first)+`"}}}]}`)
	s.create(t, goFunction(t, first, role))
	s.create(t, goFunction(t, second, role))
	getRole := callAction("iam", "GetRole", map[string]string{"RoleName": roleName})

	got := s.call(t, first, getRole)
	if got["error"] != nil || !strings.Contains(mustJSON(t, got), `"RoleName":"shared-role"`) {
		t.Errorf("%s: iam:GetRole = %v", first, got)
	}
	got = s.call(t, second, getRole)
	if got["error"] != "AccessDenied" || !strings.HasPrefix(str(got["message"]), "User: "+assumedRoleARN(roleName, second)+" is not authorized to perform: iam:GetRole") {
		t.Errorf("%s: iam:GetRole = %v", second, got)
	}

	// The first function's credentials, used from outside its environment,
	// lack the condition key.
	creds := s.envCredentials(t, first)
	outside := s.config(creds)
	_, err := iam.NewFromConfig(outside).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	if msg := apiError(t, err, "AccessDenied"); !strings.HasPrefix(msg, "User: "+assumedRoleARN(roleName, first)+" is not authorized to perform: iam:GetRole") {
		t.Errorf("outside: %q", msg)
	}
	id, err := sts.NewFromConfig(outside).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the environment's credentials: %v", err)
	}
	if aws.ToString(id.Arn) != assumedRoleARN(roleName, first) {
		t.Errorf("GetCallerIdentity = %s", aws.ToString(id.Arn))
	}

	// Nor can the second function borrow the first one's bound endpoint.
	env := s.call(t, first, map[string]any{"action": "env", "names": []string{"AWS_ENDPOINT_URL"}})
	endpoint := str(env["AWS_ENDPOINT_URL"])
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || endpoint == s.srv.Endpoint() {
		t.Fatalf("AWS_ENDPOINT_URL = %q", endpoint)
	}
	other := s.config(s.envCredentials(t, second))
	other.BaseEndpoint = aws.String(endpoint)
	if _, err := iam.NewFromConfig(other).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)}); err == nil {
		t.Errorf("%s's credentials were accepted at %s's endpoint", second, first)
	}
	mine := s.config(creds)
	mine.BaseEndpoint = aws.String(endpoint)
	if _, err := iam.NewFromConfig(mine).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)}); err != nil {
		t.Errorf("%s's credentials at its own endpoint: %v", first, err)
	}
}

// testResourcePolicy: another principal may invoke a function when its
// resource-based policy says so.
func testResourcePolicy(t *testing.T, s *lambdaSuite) {
	ctx := context.Background()
	const name = "shared-fn"
	role := s.role(t, "rp-role", lambdaTrust)
	arn := s.create(t, goFunction(t, name, role))
	invoker := lambda.NewFromConfig(s.user(t, "invoker", ""))
	userARN := "arn:aws:iam::" + account + ":user/invoker"
	event := map[string]any{"action": "echo", "from": "invoker"}

	_, err := invoke(invoker, name, event)
	want := "User: " + userARN + " is not authorized to perform: lambda:InvokeFunction on resource: " + arn
	if msg := apiError(t, err, "AccessDeniedException"); !strings.HasPrefix(msg, want) {
		t.Errorf("before AddPermission: %q", msg)
	}
	_, err = s.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(name)})
	apiError(t, err, "ResourceNotFoundException")

	added, err := s.lambda.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(name),
		StatementId:  aws.String("allow-invoker"),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String(userARN),
	})
	if err != nil {
		t.Fatal(err)
	}
	var stmt struct {
		Sid       string
		Effect    string
		Principal struct{ AWS string }
		Action    string
		Resource  string
	}
	if err := json.Unmarshal([]byte(aws.ToString(added.Statement)), &stmt); err != nil {
		t.Fatalf("statement %s: %v", aws.ToString(added.Statement), err)
	}
	if stmt.Sid != "allow-invoker" || stmt.Effect != "Allow" || stmt.Principal.AWS != userARN || stmt.Action != "lambda:InvokeFunction" || stmt.Resource != arn {
		t.Errorf("AddPermission statement: %+v", stmt)
	}
	out, err := invoke(invoker, name, event)
	if err != nil {
		t.Fatalf("invoke allowed by the resource policy: %v", err)
	}
	if !strings.Contains(string(out.Payload), `"from":"invoker"`) {
		t.Errorf("payload %s", out.Payload)
	}
	// The policy grants only what it names.
	_, err = invoker.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	apiError(t, err, "AccessDeniedException")

	pol, err := s.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(pol.Policy); !strings.Contains(p, `"Sid":"allow-invoker"`) || !strings.Contains(p, userARN) || aws.ToString(pol.RevisionId) == "" {
		t.Errorf("GetPolicy = %s", p)
	}

	if _, err := s.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(name), StatementId: aws.String("allow-invoker")}); err != nil {
		t.Fatal(err)
	}
	_, err = invoke(invoker, name, event)
	apiError(t, err, "AccessDeniedException")
	_, err = s.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(name), StatementId: aws.String("allow-invoker")})
	apiError(t, err, "ResourceNotFoundException")
}

// functionError decodes a function error payload.
func functionError(t testing.TB, out *lambda.InvokeOutput) (errorType, errorMessage string) {
	t.Helper()
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("X-Amz-Function-Error = %q, want Unhandled", aws.ToString(out.FunctionError))
	}
	var p struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal(out.Payload, &p); err != nil {
		t.Fatalf("error payload %s: %v", out.Payload, err)
	}
	return p.ErrorType, p.ErrorMessage
}

// testFailures: timeouts, crashes, errors, and the other invocation types.
func testFailures(t *testing.T, s *lambdaSuite) {
	const name = "failures-fn"
	role := s.role(t, "failures-role", lambdaTrust, basicExecRole)
	in := goFunction(t, name, role)
	in.Timeout = aws.Int32(1)
	s.create(t, in)

	start := time.Now()
	// "hang" ignores the invocation's deadline, so the platform's timeout,
	// not the function's own context, ends the invocation.
	out, err := invoke(s.lambda, name, map[string]any{"action": "hang", "ms": 5000})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("timed-out invoke took %v", d)
	}
	if typ, msg := functionError(t, out); typ != "Sandbox.Timedout" || !strings.Contains(msg, "Task timed out after 1.00 seconds") {
		t.Errorf("timeout: %s %q", typ, msg)
	}
	if out.StatusCode != 200 {
		t.Errorf("timeout status %d", out.StatusCode)
	}

	out, err = invoke(s.lambda, name, map[string]any{"action": "crash"})
	if err != nil {
		t.Fatal(err)
	}
	if typ, msg := functionError(t, out); typ != "Runtime.ExitError" || !strings.Contains(msg, "Runtime exited with error: exit status 1") {
		t.Errorf("crash: %s %q", typ, msg)
	}

	out, err = invoke(s.lambda, name, map[string]any{"action": "error", "message": "handled badly"})
	if err != nil {
		t.Fatal(err)
	}
	if _, msg := functionError(t, out); msg != "handled badly" {
		t.Errorf("error message %q", msg)
	}

	// A new environment replaces the crashed one.
	if got := s.call(t, name, map[string]any{"action": "echo", "after": "crash"}); got["after"] != "crash" {
		t.Errorf("echo after crash = %v", got)
	}

	out, err = invoke(s.lambda, name, map[string]any{"action": "echo"}, func(in *lambda.InvokeInput) { in.InvocationType = lambdatypes.InvocationTypeDryRun })
	if err != nil {
		t.Fatalf("DryRun: %v", err)
	}
	if out.StatusCode != 204 || len(out.Payload) != 0 {
		t.Errorf("DryRun: status %d, payload %q", out.StatusCode, out.Payload)
	}

	out, err = invoke(s.lambda, name, map[string]any{"action": "print", "lines": []string{"tail marker"}}, func(in *lambda.InvokeInput) {
		in.LogType = lambdatypes.LogTypeTail
	})
	if err != nil {
		t.Fatal(err)
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatalf("X-Amz-Log-Result %q: %v", aws.ToString(out.LogResult), err)
	}
	for _, w := range []string{"START RequestId: ", "tail marker", "END RequestId: ", "REPORT RequestId: ", "Duration: "} {
		if !strings.Contains(string(tail), w) {
			t.Errorf("log tail lacks %q:\n%s", w, tail)
		}
	}

	out, err = invoke(s.lambda, name, map[string]any{"action": "print", "lines": []string{"async marker"}}, func(in *lambda.InvokeInput) {
		in.InvocationType = lambdatypes.InvocationTypeEvent
	})
	if err != nil {
		t.Fatalf("Event: %v", err)
	}
	if out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Errorf("Event: status %d, payload %q", out.StatusCode, out.Payload)
	}
	s.waitLogs(t, "/aws/lambda/"+name, "async marker", "Task timed out after 1.00 seconds", "crashing")
}

// testThrottling: reserved concurrency 1 and two concurrent invocations.
func testThrottling(t *testing.T, s *lambdaSuite) {
	ctx := context.Background()
	const name = "throttled-fn"
	role := s.role(t, "throttle-role", lambdaTrust)
	s.create(t, goFunction(t, name, role))
	if _, err := s.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			var out *lambda.InvokeOutput
			out, errs[i] = invoke(s.lambda, name, map[string]any{"action": "sleep", "ms": 1500})
			if errs[i] == nil && out.FunctionError != nil {
				errs[i] = errors.New(string(out.Payload))
			}
		})
	}
	wg.Wait()
	var ok, throttled int
	for _, err := range errs {
		var tm *lambdatypes.TooManyRequestsException
		switch {
		case err == nil:
			ok++
		case errors.As(err, &tm):
			throttled++
			if tm.Reason != lambdatypes.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded || aws.ToString(tm.Message) != "Rate Exceeded." {
				t.Errorf("throttle: reason %s, message %q", tm.Reason, aws.ToString(tm.Message))
			}
		default:
			t.Errorf("invoke: %v", err)
		}
	}
	if ok != 1 || throttled != 1 {
		t.Errorf("%d succeeded and %d were throttled, want 1 and 1", ok, throttled)
	}
	// Once the first is done, the next one runs.
	s.call(t, name, map[string]any{"action": "echo"})
}

// testUpdateReplacesEnvironments: updating code or configuration replaces
// the running environments, and revokes the old environments' sessions.
func testUpdateReplacesEnvironments(t *testing.T, s *lambdaSuite) {
	ctx := context.Background()
	const name, roleName = "rotated-fn", "rotated-role"
	role := s.role(t, roleName, lambdaTrust)
	s.create(t, goFunction(t, name, role))
	whoami := func(c credentials) error {
		out, err := sts.NewFromConfig(s.config(c)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil && aws.ToString(out.Arn) != assumedRoleARN(roleName, name) {
			t.Errorf("GetCallerIdentity = %s", aws.ToString(out.Arn))
		}
		return err
	}
	// waitRevoked waits until credentials are refused: the old environment
	// is stopped, and its session revoked, after the update returns.
	waitRevoked := func(c credentials) {
		t.Helper()
		deadline := time.Now().Add(pollTimeout)
		for {
			err := whoami(c)
			if err != nil {
				apiError(t, err, "InvalidClientTokenId")
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("credentials %s still accepted %v after the update", c.id, pollTimeout)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	c1 := s.envCredentials(t, name)
	if c := s.envCredentials(t, name); c != c1 {
		t.Errorf("a warm environment changed credentials: %s, then %s", c1.id, c.id)
	}
	if err := whoami(c1); err != nil {
		t.Fatalf("GetCallerIdentity with the running environment's credentials: %v", err)
	}

	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name),
		Environment:  &lambdatypes.Environment{Variables: map[string]string{"STAGE": "two"}},
	})
	c2 := s.envCredentials(t, name)
	if c2.id == c1.id || c2.token == c1.token {
		t.Errorf("configuration update kept the credentials %s", c1.id)
	}
	if got := s.call(t, name, map[string]any{"action": "env", "names": []string{"STAGE"}}); got["STAGE"] != "two" {
		t.Errorf("STAGE = %v", got["STAGE"])
	}
	waitRevoked(c1)
	if err := whoami(c2); err != nil {
		t.Fatalf("the new environment's credentials: %v", err)
	}

	if _, err := s.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: exampleZip(t, goExample)}); err != nil {
		t.Fatal(err)
	}
	s.waitUpdated(t, name)
	c3 := s.envCredentials(t, name)
	if c3.id == c2.id || c3.id == c1.id {
		t.Errorf("code update kept the credentials %s", c3.id)
	}
	waitRevoked(c2)
	if err := whoami(c3); err != nil {
		t.Fatalf("the newest environment's credentials: %v", err)
	}
}
