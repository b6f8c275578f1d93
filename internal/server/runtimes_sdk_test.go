package server_test

import (
	"encoding/json"
	"strings"
	"testing"

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
