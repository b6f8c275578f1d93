package runtime

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func interpConfig(t *testing.T, runtime, handler, dir string) *Config {
	t.Helper()
	bin := "python3"
	if strings.HasPrefix(runtime, "nodejs") {
		bin = "node"
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Skipf("%s is not installed: skipping the %s runtime test", bin, runtime)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := goConfig("fn-" + strings.ReplaceAll(runtime, ".", "-"))
	cfg.Runtime, cfg.Handler, cfg.CodeDir = runtime, handler, abs
	return cfg
}

func pythonConfig(t *testing.T) *Config {
	return interpConfig(t, hostRuntime(t, "python3"), "handler.handler", "../../examples/functions/python")
}

func nodeConfig(t *testing.T) *Config {
	return interpConfig(t, hostRuntime(t, "node"), "index.handler", "../../examples/functions/node")
}

// hostRuntime is the runtime that the host's python3 or node runs:
// python3.Y or nodejsN.x.
func hostRuntime(t *testing.T, bin string) string {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s is not installed: skipping", bin)
	}
	probe := probes["python"]
	if bin == "node" {
		probe = probes["nodejs"]
	}
	in := &interpreters{}
	it, ok := in.probe(t.Context(), path, probe)
	if !ok {
		t.Fatalf("%s does not answer", path)
	}
	if bin == "node" {
		return fmt.Sprintf("nodejs%d.x", it.version.major)
	}
	return fmt.Sprintf("python%d.%d", it.version.major, it.version.minor)
}

func TestPython(t *testing.T) {
	cfg := pythonConfig(t)
	m, h := newManager(t, Options{})
	res := invoke(t, m, cfg, "py", map[string]any{"action": "echo", "n": 7})
	if !res.ColdStart || decode[map[string]any](t, res)["n"] != float64(7) {
		t.Fatalf("cold: %+v\n%s", res, res.Log)
	}
	checkLog(t, res, true)
	res = invoke(t, m, cfg, "py", map[string]any{"action": "context"})
	if res.ColdStart {
		t.Fatal("second invoke not warm")
	}
	checkLog(t, res, false)
	ctx := decode[map[string]any](t, res)
	info := h.started[0]
	if ctx["aws_request_id"] != res.RequestID || ctx["function_name"] != cfg.FunctionName ||
		ctx["memory_limit_in_mb"] != "128" || ctx["invoked_function_arn"] != cfg.FunctionARN ||
		ctx["log_stream_name"] != info.LogStream || ctx["log_group_name"] != "/aws/lambda/"+cfg.FunctionName {
		t.Errorf("context %v", ctx)
	}
	if ms, _ := ctx["remaining_ms"].(float64); ms <= 0 || ms > 3000 {
		t.Errorf("remaining time %v", ctx["remaining_ms"])
	}
	res = invoke(t, m, cfg, "py", map[string]any{"action": "env"})
	env := decode[map[string]any](t, res)
	if env["AWS_EXECUTION_ENV"] != "AWS_Lambda_"+cfg.Runtime || env["_HANDLER"] != "handler.handler" ||
		env["AWS_ACCESS_KEY_ID"] != "ASIATESTKEY"+info.ID[:8] {
		t.Errorf("env %v", env)
	}
	res = invoke(t, m, cfg, "py", map[string]any{"action": "error", "message": "bad input"})
	perr := decode[map[string]any](t, res)
	if res.FunctionError != FunctionErrorUnhandled || perr["errorType"] != "ValueError" || perr["errorMessage"] != "bad input" {
		t.Errorf("error payload %s", res.Payload)
	}
	if st, ok := perr["stackTrace"].([]any); !ok || len(st) == 0 {
		t.Errorf("no stack trace: %s", res.Payload)
	}
	if !strings.Contains(string(res.Log), "[ERROR] ValueError: bad input") {
		t.Errorf("log:\n%s", res.Log)
	}
	res = invoke(t, m, cfg, "py", map[string]any{"action": "print", "lines": []string{"out", "err"}})
	if !strings.Contains(string(res.Log), "out\nerr\n") {
		t.Errorf("log:\n%s", res.Log)
	}
	if started, _ := h.counts(); started != 1 {
		t.Errorf("%d environments", started)
	}
}

func TestPythonImportError(t *testing.T) {
	cfg := pythonConfig(t)
	cfg.Handler = "missing.handler"
	m, _ := newManager(t, Options{})
	res := invoke(t, m, cfg, "pymissing", map[string]any{})
	p := decode[map[string]any](t, res)
	if res.FunctionError != FunctionErrorUnhandled || p["errorType"] != "Runtime.ImportModuleError" ||
		!strings.HasPrefix(p["errorMessage"].(string), "Unable to import module 'missing'") {
		t.Fatalf("payload %s", res.Payload)
	}
}

func TestPythonTimeoutKillsChild(t *testing.T) {
	cfg := pythonConfig(t)
	cfg.Timeout = time.Second
	m, h := newManager(t, Options{})
	res := invoke(t, m, cfg, "pyslow", map[string]any{"action": "spawn", "ms": 10000})
	if !strings.Contains(string(res.Payload), "Task timed out after 1.00 seconds") {
		t.Fatalf("payload %s", res.Payload)
	}
	mm := regexp.MustCompile(`child (\d+)`).FindSubmatch(res.Log)
	if mm == nil {
		t.Fatalf("log:\n%s", res.Log)
	}
	var pid int
	fmt.Sscan(string(mm[1]), &pid)
	waitFor(t, 3*time.Second, "child to die", func() bool { return processGone(h.started[0].UID, pid) })
}

func TestNode(t *testing.T) {
	cfg := nodeConfig(t)
	m, h := newManager(t, Options{})
	res := invoke(t, m, cfg, "node", map[string]any{"action": "echo", "n": 7})
	if !res.ColdStart || decode[map[string]any](t, res)["n"] != float64(7) {
		t.Fatalf("cold: %+v\n%s", res, res.Log)
	}
	checkLog(t, res, true)
	res = invoke(t, m, cfg, "node", map[string]any{"action": "context"})
	if res.ColdStart {
		t.Fatal("second invoke not warm")
	}
	ctx := decode[map[string]any](t, res)
	if ctx["awsRequestId"] != res.RequestID || ctx["functionName"] != cfg.FunctionName ||
		ctx["invokedFunctionArn"] != cfg.FunctionARN || ctx["memoryLimitInMB"] != "128" ||
		ctx["logStreamName"] != h.started[0].LogStream {
		t.Errorf("context %v", ctx)
	}
	if ms, _ := ctx["remainingMs"].(float64); ms <= 0 || ms > 3000 {
		t.Errorf("remaining time %v", ctx["remainingMs"])
	}
	res = invoke(t, m, cfg, "node", map[string]any{"action": "error", "message": "bad input"})
	p := decode[map[string]any](t, res)
	if res.FunctionError != FunctionErrorUnhandled || p["errorType"] != "TypeError" || p["errorMessage"] != "bad input" {
		t.Errorf("error payload %s", res.Payload)
	}
	if !regexp.MustCompile(`\d{4}-\d\d-\d\dT[\d:.]+Z\t` + res.RequestID + `\tERROR\tInvoke Error \t\{`).Match(res.Log) {
		t.Errorf("log:\n%s", res.Log)
	}
	res = invoke(t, m, cfg, "node", map[string]any{"action": "env"})
	env := decode[map[string]any](t, res)
	if env["AWS_EXECUTION_ENV"] != "AWS_Lambda_"+cfg.Runtime || env["TZ"] != ":UTC" {
		t.Errorf("env %v", env)
	}
	if _, ok := env["HOME"]; ok {
		t.Error("HOME leaked")
	}
}

func TestNodeCallbackHandler(t *testing.T) {
	cfg := nodeConfig(t)
	cfg.Handler = "callback.handler"
	m, _ := newManager(t, Options{})
	res := invoke(t, m, cfg, "nodecb", map[string]any{"k": "v"})
	p := decode[map[string]any](t, res)
	if p["requestId"] != res.RequestID || p["event"].(map[string]any)["k"] != "v" {
		t.Fatalf("payload %s\n%s", res.Payload, res.Log)
	}
	res = invoke(t, m, cfg, "nodecb", map[string]any{"fail": "nope"})
	if res.FunctionError != FunctionErrorUnhandled || !strings.Contains(string(res.Payload), `"errorMessage":"nope"`) {
		t.Fatalf("payload %s", res.Payload)
	}
}

func TestNodeModuleAndInitError(t *testing.T) {
	cfg := nodeConfig(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.mjs"), []byte(`export const run = async (e) => ({ mjs: true, got: e });`), 0o644)
	cfg.CodeDir, cfg.Handler = dir, "app.run"
	m, _ := newManager(t, Options{})
	res := invoke(t, m, cfg, "nodemjs", map[string]any{"a": 1})
	if p := decode[map[string]any](t, res); p["mjs"] != true {
		t.Fatalf("payload %s\n%s", res.Payload, res.Log)
	}
	cfg.Handler = "nofile.run"
	res = invoke(t, m, cfg, "nodemissing", map[string]any{})
	if p := decode[map[string]any](t, res); p["errorType"] != "Runtime.ImportModuleError" {
		t.Fatalf("payload %s", res.Payload)
	}
}
