package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// ownSTS is a function's own bundled @aws-sdk/client-sts, which must win
// over the runtime's (in Lambda the task root comes before the runtime's
// libraries).
var ownSTS = map[string]string{
	"node_modules/@aws-sdk/client-sts/package.json": `{"name":"@aws-sdk/client-sts","version":"0.0.0-own","main":"index.js"}`,
	"node_modules/@aws-sdk/client-sts/index.js":     `exports.own = "bundled"; exports.STSClient = class {};`,
}

func withFiles(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestRuntimeSDKPackages: a function that imports an @aws-sdk package the
// npm registry does not have becomes Active and fails at invoke with
// Runtime.ImportModuleError, as in Lambda, and leaves the SDK of the
// functions created after it whole; a function's own bundled @aws-sdk
// package wins over the runtime's, from CommonJS, ESM and a handler in a
// subfolder.
func TestRuntimeSDKPackages(t *testing.T) {
	rt := hostRuntime(t, "node")
	s := newLambdaSuite(t)
	role := s.role(t, "pkg-role", lambdaTrust, basicExecRole)
	create := func(name, handler string, files map[string]string) {
		t.Helper()
		s.create(t, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name),
			Role:         aws.String(role),
			Runtime:      rt,
			Handler:      aws.String(handler),
			Code:         &lambdatypes.FunctionCode{ZipFile: zipSource(t, files)},
			Timeout:      aws.Int32(30),
		})
	}

	create("absent-pkg", "index.handler", map[string]string{"index.js": `const x = require("@aws-sdk/client-rolecall-no-such-package");
exports.handler = async () => "loaded";
`})
	out, err := invoke(s.lambda, "absent-pkg", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var fe struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal(out.Payload, &fe); err != nil || aws.ToString(out.FunctionError) != "Unhandled" ||
		fe.ErrorType != "Runtime.ImportModuleError" || !strings.Contains(fe.ErrorMessage, "@aws-sdk/client-rolecall-no-such-package") {
		t.Errorf("invoke of a function importing a package npm lacks: %s %s", aws.ToString(out.FunctionError), out.Payload)
	}

	create("after-absent", "index.handler", map[string]string{"index.js": nodeCJSHandler})
	if got := s.call(t, "after-absent", map[string]any{}); got["arn"] != assumedRoleARN("pkg-role", "after-absent") {
		t.Errorf("a function created after one importing a package npm lacks: %v", got)
	}

	for _, tc := range []struct{ name, handler, file, code string }{
		{"own-cjs", "index.handler", "index.js", `const sts = require("@aws-sdk/client-sts"); exports.handler = async () => ({ own: sts.own || "runtime's" });`},
		{"own-esm", "index.handler", "index.mjs", `import * as sts from "@aws-sdk/client-sts"; export const handler = async () => ({ own: sts.own || sts.default?.own || "runtime's" });`},
		{"own-sub", "src/fn/app.handler", "src/fn/app.js", `const sts = require("@aws-sdk/client-sts"); exports.handler = async () => ({ own: sts.own || "runtime's" });`},
	} {
		create(tc.name, tc.handler, withFiles(ownSTS, map[string]string{tc.file: tc.code}))
		if got := s.call(t, tc.name, map[string]any{}); got["own"] != "bundled" {
			t.Errorf("%s: the function's own @aws-sdk/client-sts: %v", tc.name, got)
		}
	}
}

// TestRuntimeRegistryUnreachable: with the npm registry unreachable and
// an empty runtime cache, a nodejs20.x function ends Failed with npm's
// reason (it does not stay Pending for npm's default retries), and
// CreateFunction of nodejs22.x without a host Node 22 is refused at once,
// saying the registry could not be asked.
func TestRuntimeRegistryUnreachable(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	rt := hostRuntime(t, "node")
	t.Setenv("ROLECALL_RUNTIME_CACHE", t.TempDir())
	t.Setenv("npm_config_registry", "http://127.0.0.1:9/") // the discard port: connections are refused
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "offline-role", lambdaTrust)
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String("offline"),
		Role:         aws.String(role),
		Runtime:      rt,
		Handler:      aws.String("index.handler"),
		Code:         &lambdatypes.FunctionCode{ZipFile: zipSource(t, map[string]string{"index.js": nodeCJSHandler})},
	}
	if _, err := s.lambda.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	for {
		out, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("offline")})
		if err != nil {
			t.Fatal(err)
		}
		if out.State == lambdatypes.StateFailed {
			if reason := aws.ToString(out.StateReason); out.StateReasonCode != lambdatypes.StateReasonCodeInvalidRuntime ||
				!strings.Contains(reason, "ECONNREFUSED") {
				t.Errorf("StateReasonCode %s, StateReason %q", out.StateReasonCode, reason)
			}
			break
		}
		if out.State != lambdatypes.StatePending {
			t.Fatalf("State %s (%s), want Pending then Failed", out.State, aws.ToString(out.StateReason))
		}
		time.Sleep(100 * time.Millisecond)
	}

	if _, err := exec.LookPath("node22"); err == nil {
		return
	}
	in.FunctionName, in.Runtime = aws.String("offline22"), lambdatypes.RuntimeNodejs22x
	_, err := s.lambda.CreateFunction(ctx, in)
	var ipv *lambdatypes.InvalidParameterValueException
	if !errors.As(err, &ipv) || !strings.Contains(ipv.ErrorMessage(), "could not be asked") || !strings.Contains(ipv.ErrorMessage(), "ECONNREFUSED") {
		t.Errorf("CreateFunction nodejs22.x with the registry unreachable: %v", err)
	}
}
