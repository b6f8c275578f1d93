package runtime

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var reportRE = regexp.MustCompile(`^REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?$`)

func TestGoColdThenWarm(t *testing.T) {
	m, h := newManager(t, Options{})
	cfg := goConfig("echo")
	res := invoke(t, m, cfg, "echo:1", map[string]any{"action": "echo", "x": 1})
	if !res.ColdStart || res.InitDuration <= 0 || res.FunctionError != "" {
		t.Fatalf("cold: %+v\n%s", res, res.Log)
	}
	if got := decode[map[string]any](t, res); got["x"] != float64(1) {
		t.Fatalf("payload %s", res.Payload)
	}
	checkLog(t, res, true)
	res2 := invoke(t, m, cfg, "echo:1", map[string]any{"action": "echo"})
	if res2.ColdStart || res2.InitDuration != 0 {
		t.Fatalf("second invoke not warm: %+v", res2)
	}
	checkLog(t, res2, false)
	if started, _ := h.counts(); started != 1 {
		t.Fatalf("hooks started %d environments, want 1", started)
	}
	if res.RequestID == res2.RequestID {
		t.Fatal("request ids repeat")
	}
}

// checkLog checks the START, END and REPORT lines of an invocation log.
func checkLog(t *testing.T, res *Result, cold bool) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(res.Log), "\n"), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "START ") {
			start = i
		}
	}
	if start < 0 || lines[start] != "START RequestId: "+res.RequestID+" Version: $LATEST" {
		t.Fatalf("no START line:\n%s", res.Log)
	}
	n := len(lines)
	if n < 3 || lines[n-2] != "END RequestId: "+res.RequestID {
		t.Fatalf("END line wrong:\n%q", res.Log)
	}
	mm := reportRE.FindStringSubmatch(lines[n-1])
	if mm == nil || mm[1] != res.RequestID {
		t.Fatalf("REPORT line wrong: %q", lines[n-1])
	}
	if (mm[2] != "") != cold {
		t.Fatalf("Init Duration present=%v on cold=%v: %q", mm[2] != "", cold, lines[n-1])
	}
}

func TestGoEnvironment(t *testing.T) {
	t.Setenv("AWS_PROFILE", "leaked-profile")
	t.Setenv("SECRET_FROM_HOST", "leak")
	m, h := newManager(t, Options{})
	cfg := goConfig("envfn")
	cfg.Env = map[string]string{
		"MY_VAR":            "mine",
		"AWS_REGION":        "eu-west-1", // reserved: Lambda's value wins
		"AWS_ACCESS_KEY_ID": "AKIAOVERRIDE",
		"_LAMBDA_INTERNAL":  "x",
	}
	names := []string{"MY_VAR", "AWS_PROFILE", "SECRET_FROM_HOST", "HOME", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "_LAMBDA_INTERNAL", "TMPDIR"}
	res := invoke(t, m, cfg, "envfn", map[string]any{"action": "env", "names": append(names, defaultNames...)})
	env := decode[map[string]any](t, res)
	info := h.started[0]
	want := map[string]string{
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME":        "envfn",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/envfn",
		"AWS_LAMBDA_LOG_STREAM_NAME":      info.LogStream,
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"MY_VAR":                          "mine",
		"AWS_ACCESS_KEY_ID":               "ASIATESTKEY" + info.ID[:8],
		"AWS_SECRET_ACCESS_KEY":           "secret-" + info.ID,
		"AWS_SESSION_TOKEN":               "token-" + info.ID,
		"AWS_ENDPOINT_URL":                "http://127.0.0.1:1/bound/" + info.ID,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %v, want %q", k, env[k], v)
		}
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(info.LogStream) {
		t.Errorf("log stream %q", info.LogStream)
	}
	if env["HOME"] != env["TMPDIR"] || env["HOME"] == os.Getenv("HOME") {
		t.Errorf("HOME = %v, want the environment's own directory %v", env["HOME"], env["TMPDIR"])
	}
	for _, k := range []string{"AWS_PROFILE", "SECRET_FROM_HOST", "_LAMBDA_INTERNAL", "AWS_EXECUTION_ENV"} {
		if v, ok := env[k]; ok {
			t.Errorf("%s leaked into the function: %v", k, v)
		}
	}
	if api, _ := env["AWS_LAMBDA_RUNTIME_API"].(string); !strings.HasPrefix(api, "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", api)
	}
	if env["LAMBDA_TASK_ROOT"] != env["_cwd"] || env["LAMBDA_TASK_ROOT"] == "" {
		t.Errorf("task root %v, cwd %v", env["LAMBDA_TASK_ROOT"], env["_cwd"])
	}
	if env["_requestId"] != res.RequestID || env["_invokedArn"] != cfg.FunctionARN {
		t.Errorf("lambda context: %v %v", env["_requestId"], env["_invokedArn"])
	}
	uid := int(env["_uid"].(float64))
	if m.Isolation().Dropped != (uid != os.Geteuid()) || (os.Geteuid() == 0 && uid == 0) {
		t.Errorf("function uid %d, host uid %d, isolation %+v", uid, os.Geteuid(), m.Isolation())
	}
	if info.UID != uid && m.Isolation().Dropped {
		t.Errorf("EnvInfo.UID %d, function uid %d", info.UID, uid)
	}
	t.Logf("isolation: %s", m.Isolation().Detail)
}

var defaultNames = []string{
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV", "_HANDLER",
	"TZ", "LANG", "PATH", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
}

func TestGoFunctionError(t *testing.T) {
	m, _ := newManager(t, Options{})
	res := invoke(t, m, goConfig("errfn"), "errfn", map[string]any{"action": "error", "message": "boom"})
	got := decode[map[string]any](t, res)
	if res.FunctionError != FunctionErrorUnhandled || got["errorMessage"] != "boom" || got["errorType"] != "errorString" {
		t.Fatalf("%s %s", res.FunctionError, res.Payload)
	}
	// The environment survives a handled error.
	res = invoke(t, m, goConfig("errfn"), "errfn", map[string]any{"action": "echo"})
	if res.ColdStart || res.FunctionError != "" {
		t.Fatalf("after error: %+v", res)
	}
}

func TestGoOutputInLog(t *testing.T) {
	var mu syncEvents
	m, _ := newManager(t, Options{LogSink: mu.sink})
	cfg := goConfig("printer")
	res := invoke(t, m, cfg, "printer", map[string]any{"action": "print", "lines": []string{"one", "two", "three"}})
	checkLog(t, res, true)
	log := string(res.Log)
	for _, l := range []string{"one\n", "two\n", "three\n"} {
		if !strings.Contains(log, l) {
			t.Errorf("log lacks %q:\n%s", l, log)
		}
	}
	if strings.Index(log, "START") > strings.Index(log, "one") || strings.Index(log, "three") > strings.Index(log, "END") {
		t.Errorf("output outside START..END:\n%s", log)
	}
	evs := mu.get()
	var msgs []string
	for _, e := range evs {
		if e.group != "/aws/lambda/printer" || e.Time.IsZero() {
			t.Fatalf("event %+v", e)
		}
		msgs = append(msgs, e.Message)
	}
	if got := strings.Join(msgs, ""); got != log {
		t.Errorf("sink got\n%q\nresult log\n%q", got, log)
	}
}
