package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/runtime"
)

// zipSource is a deployment package of the given files (name -> content).
func zipSource(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hostRuntime is the Lambda runtime the host's python3 or node runs
// (python3.Y, nodejsN.x). The test is skipped when there is no such
// interpreter, or when AWS no longer lets functions be created with its
// runtime.
func hostRuntime(t testing.TB, bin string) lambdatypes.Runtime {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s is not installed", bin)
	}
	probe := []string{"-c", "import sys; print('python%d.%d' % sys.version_info[:2])"}
	if bin == "node" {
		probe = []string{"-e", "console.log('nodejs' + process.versions.node.split('.')[0] + '.x')"}
	}
	out, err := exec.Command(path, probe...).Output()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rt := strings.TrimSpace(string(out))
	if err := runtime.CheckLifecycle(rt, runtime.OpCreate, time.Now()); err != nil {
		t.Skipf("the host's %s runs %s: %v", bin, rt, err)
	}
	return lambdatypes.Runtime(rt)
}

const pythonSDKHandler = `import os
import boto3

def handler(event, context):
    sts = boto3.client("sts")
    return {"arn": sts.get_caller_identity()["Arn"], "home": os.path.expanduser("~"), "boto3": boto3.__version__}
`

const nodeESMHandler = `import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import os from "node:os";

export const handler = async () => {
  const id = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  return { arn: id.Arn, home: os.homedir() };
};
`

const nodeCJSHandler = `const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const os = require("node:os");

exports.handler = async () => {
  const id = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  return { arn: id.Arn, home: os.homedir() };
};
`

// TestRuntimeSDK: the SDK that Lambda's runtimes ship is importable: boto3
// in a one-file python function, @aws-sdk/client-sts from .mjs, .js
// (CommonJS) and .cjs handlers, each calling GetCallerIdentity through
// AWS_ENDPOINT_URL as the execution role. Home directories resolve under
// the environment's own uid.
func TestRuntimeSDK(t *testing.T) {
	s := newLambdaSuite(t)
	role := s.role(t, "sdk-role", lambdaTrust, basicExecRole)
	cases := []struct {
		name, bin, handler string
		files              map[string]string
	}{
		{"sdk-python", "python3", "app.handler", map[string]string{"app.py": pythonSDKHandler}},
		{"sdk-node-mjs", "node", "index.handler", map[string]string{"index.mjs": nodeESMHandler}},
		{"sdk-node-js", "node", "index.handler", map[string]string{"index.js": nodeCJSHandler}},
		{"sdk-node-cjs", "node", "app.handler", map[string]string{"app.cjs": nodeCJSHandler}},
		{"sdk-node-esm-js", "node", "index.handler", map[string]string{"index.js": nodeESMHandler, "package.json": `{"type":"module"}`}},
		// A client beyond the base set: installed because the code imports it.
		{"sdk-node-kms", "node", "index.handler", map[string]string{"index.mjs": `import { KMSClient } from "@aws-sdk/client-kms";
` + nodeESMHandler + `export const kms = new KMSClient({});
`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := hostRuntime(t, tc.bin)
			s.create(t, &lambda.CreateFunctionInput{
				FunctionName: aws.String(tc.name),
				Role:         aws.String(role),
				Runtime:      rt,
				Handler:      aws.String(tc.handler),
				Code:         &lambdatypes.FunctionCode{ZipFile: zipSource(t, tc.files)},
				Timeout:      aws.Int32(30),
			})
			got := s.call(t, tc.name, map[string]any{})
			if got["arn"] != assumedRoleARN("sdk-role", tc.name) {
				t.Errorf("GetCallerIdentity in %s = %v", rt, got)
			}
			if home := str(got["home"]); home == "" || home == "~" || home == os.Getenv("HOME") {
				t.Errorf("home directory in %s = %q", rt, home)
			}
		})
	}
}

// TestRuntimeRefusals: runtimes AWS has retired are refused with AWS's
// message, at CreateFunction and UpdateFunctionConfiguration; runtimes
// rolecall cannot run, and those whose interpreter version the host lacks,
// are refused saying what is missing and how to provide it; an interpreter
// named by ROLECALL_RUNTIME_<ID> runs its runtime when its version is right.
func TestRuntimeRefusals(t *testing.T) {
	bin := t.TempDir()
	// Functions' users must reach the interpreters.
	for d := bin; d != filepath.Clean(os.TempDir()) && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fake := func(name, execPath, version string) string {
		p := filepath.Join(bin, name)
		script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n%%s' '%s' '%s'\n", execPath, version)
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wrong := fake("python-wrong", filepath.Join(bin, "python-wrong"), "3.11.9")
	node22 := fake("node22", filepath.Join(bin, "node22"), "22.3.0")
	t.Setenv(runtime.EnvName("python3.13"), wrong)
	t.Setenv(runtime.EnvName("nodejs22.x"), node22)
	// No interpreters on PATH, and no npm to install Node with: only go,
	// which builds the example functions.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	t.Setenv("PATH", filepath.Dir(goBin))

	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "refused-rt-role", lambdaTrust)
	create := func(name string, rt lambdatypes.Runtime) error {
		_, err := s.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name),
			Role:         aws.String(role),
			Runtime:      rt,
			Handler:      aws.String("app.handler"),
			Code:         &lambdatypes.FunctionCode{ZipFile: zipSource(t, map[string]string{"app.py": "def handler(e, c):\n    return e\n"})},
		})
		return err
	}
	retired := map[lambdatypes.Runtime]string{
		"python2.7":  "python3.14",
		"python3.7":  "python3.14",
		"python3.8":  "python3.14",
		"nodejs16.x": "nodejs24.x",
		"nodejs12.x": "nodejs24.x",
		"java8":      "java25",
		"go1.x":      "provided.al2023",
		"dotnet6":    "dotnet10",
		"ruby2.7":    "ruby3.4",
	}
	for rt, next := range retired {
		want := fmt.Sprintf("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (%s) while creating or updating functions.", rt, next)
		if msg := apiError(t, create("retired", rt), "InvalidParameterValueException"); msg != want {
			t.Errorf("%s: %q", rt, msg)
		}
	}
	for _, rt := range []lambdatypes.Runtime{"java21", "java17", "dotnet8", "ruby3.3", "ruby3.4"} {
		msg := apiError(t, create("unrunnable", rt), "InvalidParameterValueException")
		if !strings.HasPrefix(msg, "The runtime parameter of "+string(rt)+" is not supported by rolecall") || !strings.Contains(msg, "provided.al2023") {
			t.Errorf("%s: %q", rt, msg)
		}
	}
	msg := apiError(t, create("missing", "python3.15"), "InvalidParameterValueException")
	if !strings.HasPrefix(msg, "The runtime parameter of python3.15 cannot run on this host: it needs Python 3.15") ||
		!strings.Contains(msg, "ROLECALL_RUNTIME_PYTHON3_15") {
		t.Errorf("python3.15 without its interpreter: %q", msg)
	}
	msg = apiError(t, create("wrong", "python3.13"), "InvalidParameterValueException")
	if !strings.Contains(msg, "it needs Python 3.13, and ROLECALL_RUNTIME_PYTHON3_13 names "+wrong+" (3.11.9)") {
		t.Errorf("python3.13 on a 3.11 interpreter: %q", msg)
	}
	msg = apiError(t, create("node26", "nodejs26.x"), "InvalidParameterValueException")
	if !strings.HasPrefix(msg, "The runtime parameter of nodejs26.x cannot run on this host: it needs Node.js 26") ||
		!strings.Contains(msg, "ROLECALL_RUNTIME_NODEJS26_X") || !strings.Contains(msg, "npm") {
		t.Errorf("nodejs26.x without its interpreter: %q", msg)
	}
	for _, name := range []string{"retired", "unrunnable", "missing", "wrong", "node26"} {
		_, err := s.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		apiError(t, err, "ResourceNotFoundException")
	}

	// The override of the right version is taken.
	if err := create("node22", "nodejs22.x"); err != nil {
		t.Fatalf("nodejs22.x on %s: %v", node22, err)
	}
	// Updates: to a retired runtime, and to one without its interpreter.
	s.create(t, goFunction(t, "updated", role))
	for rt, want := range map[lambdatypes.Runtime]string{
		"python3.7":  "The runtime parameter of python3.7 is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (python3.14) while creating or updating functions.",
		"python3.15": "The runtime parameter of python3.15 cannot run on this host: it needs Python 3.15",
	} {
		_, err := s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("updated"), Runtime: rt, Handler: aws.String("app.handler")})
		if msg := apiError(t, err, "InvalidParameterValueException"); !strings.HasPrefix(msg, want) {
			t.Errorf("update to %s: %q", rt, msg)
		}
	}
	out, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("updated")})
	if err != nil || out.Runtime != lambdatypes.RuntimeProvidedal2023 {
		t.Errorf("after refused updates: %v %v", out.Runtime, err)
	}
}

// TestRuntimeInstallFailure: a function whose runtime's SDK cannot be
// installed (here the runtime cache cannot be made) ends Failed, with
// StateReasonCode InvalidRuntime and a reason that says what failed, not
// Active.
func TestRuntimeInstallFailure(t *testing.T) {
	t.Setenv("ROLECALL_RUNTIME_CACHE", "/dev/null/rolecall-cache")
	rt := hostRuntime(t, "node")
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "install-role", lambdaTrust)
	if _, err := s.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("no-sdk"),
		Role:         aws.String(role),
		Runtime:      rt,
		Handler:      aws.String("index.handler"),
		Code:         &lambdatypes.FunctionCode{ZipFile: zipSource(t, map[string]string{"index.mjs": nodeESMHandler})},
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("no-sdk")})
		if err != nil {
			t.Fatal(err)
		}
		if out.State == lambdatypes.StateFailed {
			if out.StateReasonCode != lambdatypes.StateReasonCodeInvalidRuntime ||
				!strings.Contains(aws.ToString(out.StateReason), "/dev/null/rolecall-cache") {
				t.Errorf("StateReasonCode %s, StateReason %q", out.StateReasonCode, aws.ToString(out.StateReason))
			}
			if out.LastUpdateStatus != lambdatypes.LastUpdateStatusFailed {
				t.Errorf("LastUpdateStatus %s", out.LastUpdateStatus)
			}
			return
		}
		if out.State != lambdatypes.StatePending || time.Now().After(deadline) {
			t.Fatalf("State %s (%s), want Pending then Failed", out.State, aws.ToString(out.StateReason))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRuntimeNodeFromRegistry: nodejs22.x without a host Node 22 runs on
// Node 22 installed from the npm registry into the runtime cache while the
// function is Pending, with the SDK.
func TestRuntimeNodeFromRegistry(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	s := newLambdaSuite(t)
	role := s.role(t, "node22-role", lambdaTrust)
	s.create(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String("node22"),
		Role:         aws.String(role),
		Runtime:      lambdatypes.RuntimeNodejs22x,
		Handler:      aws.String("index.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: zipSource(t, map[string]string{"index.mjs": strings.Replace(nodeESMHandler,
			"return { arn: id.Arn, home: os.homedir() };", "return { arn: id.Arn, node: process.versions.node };", 1)})},
		Timeout: aws.Int32(30),
	})
	got := s.call(t, "node22", map[string]any{})
	if !strings.HasPrefix(str(got["node"]), "22.") || got["arn"] != assumedRoleARN("node22-role", "node22") {
		t.Errorf("nodejs22.x: %v", got)
	}
}

// TestRuntimePythonCopied: python3.12, whose only interpreter is pyenv's
// under a home the functions' users cannot reach, runs on a copy of that
// interpreter's tree in the runtime cache, with boto3.
func TestRuntimePythonCopied(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	found, _ := filepath.Glob(filepath.Join(home, ".pyenv", "versions", "3.12.*", "bin", "python3.12"))
	if len(found) == 0 || os.Geteuid() != 0 {
		t.Skip("needs root and a pyenv Python 3.12 in root's home")
	}
	if st, err := os.Stat(home); err != nil || st.Mode().Perm()&0o001 != 0 {
		t.Skipf("%s is reachable by other users: the interpreter is used in place", home)
	}
	s := newLambdaSuite(t)
	role := s.role(t, "py312-role", lambdaTrust)
	s.create(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String("py312"),
		Role:         aws.String(role),
		Runtime:      lambdatypes.RuntimePython312,
		Handler:      aws.String("app.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: zipSource(t, map[string]string{"app.py": pythonSDKHandler +
			"\nimport sys\n_h = handler\ndef handler(event, context):\n    out = _h(event, context)\n    out['python'] = '%d.%d' % sys.version_info[:2]\n    return out\n"})},
		Timeout: aws.Int32(30),
	})
	got := s.call(t, "py312", map[string]any{})
	if got["python"] != "3.12" || got["arn"] != assumedRoleARN("py312-role", "py312") {
		t.Errorf("python3.12: %v", got)
	}
}
