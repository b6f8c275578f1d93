package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// pythonLogging logs at every level through the logging module, prints a
// line, and answers the log variables Lambda gave it.
const pythonLogging = `import logging, os

logger = logging.getLogger()

def handler(event, context):
    logger.debug("py-debug")
    logger.info("py-info")
    logger.warning("py-warn")
    logger.error("py-error")
    print("py-print")
    return {k: os.environ.get(k, "") for k in ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_GROUP_NAME")}
`

// nodeLogging logs through every console method.
const nodeLogging = `export const handler = async () => {
  console.trace("node-trace");
  console.debug("node-debug");
  console.log("node-log");
  console.info("node-info");
  console.warn("node-warn");
  console.error("node-error");
  return { format: process.env.AWS_LAMBDA_LOG_FORMAT, level: process.env.AWS_LAMBDA_LOG_LEVEL ?? "" };
};
`

// logRecords reads the messages of a log group as JSON objects; a line
// that is not one fails the test.
func logRecords(t *testing.T, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(text) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not a JSON object: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// TestLambdaLoggingConfig: LoggingConfig is answered as set and in effect
// as Lambda's advanced logging controls: JSON platform records and
// runtime lines, filtered by the application and system log levels, in the
// log group named.
func TestLambdaLoggingConfig(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "logging-role", lambdaTrust, basicExecRole)

	// Python, JSON, application level WARN, to a log group of its own.
	const py = "json-python"
	s.create(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String(py), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("handler.handler"),
		Code:    &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"handler.py": pythonLogging})},
		LoggingConfig: &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatJson,
			ApplicationLogLevel: lambdatypes.ApplicationLogLevelWarn, LogGroup: aws.String("/custom/json-python")},
	})
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(py)})
	if err != nil {
		t.Fatal(err)
	}
	if lc := cfg.LoggingConfig; lc.LogFormat != lambdatypes.LogFormatJson || lc.ApplicationLogLevel != lambdatypes.ApplicationLogLevelWarn ||
		lc.SystemLogLevel != lambdatypes.SystemLogLevelInfo || aws.ToString(lc.LogGroup) != "/custom/json-python" {
		t.Errorf("LoggingConfig = %+v", *lc)
	}
	out, err := invoke(s.lambda, py, map[string]any{})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("Invoke %s: %v %s", py, err, out.Payload)
	}
	var env map[string]string
	if err := json.Unmarshal(out.Payload, &env); err != nil {
		t.Fatal(err)
	}
	if env["AWS_LAMBDA_LOG_FORMAT"] != "JSON" || env["AWS_LAMBDA_LOG_LEVEL"] != "WARN" || env["AWS_LAMBDA_LOG_GROUP_NAME"] != "/custom/json-python" {
		t.Errorf("log variables = %v", env)
	}
	text := s.waitLogs(t, "/custom/json-python", `"platform.report"`, "py-error")
	var levels []string
	var report map[string]any
	for _, r := range logRecords(t, text) {
		switch r["type"] {
		case "platform.start":
			if rec, _ := r["record"].(map[string]any); rec["version"] != "$LATEST" || rec["requestId"] == "" {
				t.Errorf("platform.start = %v", r)
			}
		case "platform.report":
			report = r
		case nil:
			if r["requestId"] == nil || r["timestamp"] == nil || r["logger"] != "root" {
				t.Errorf("application record = %v", r)
			}
			levels = append(levels, str(r["level"])+":"+str(r["message"]))
		default:
			t.Errorf("unexpected record %v", r)
		}
	}
	if strings.Join(levels, ",") != "WARN:py-warn,ERROR:py-error" {
		t.Errorf("application records = %v, want WARN and ERROR only (print and lower levels filtered)", levels)
	}
	rec, _ := report["record"].(map[string]any)
	metrics, _ := rec["metrics"].(map[string]any)
	if rec["status"] != "success" || metrics["memorySizeMB"] != float64(128) || metrics["billedDurationMs"] == nil ||
		metrics["durationMs"] == nil || metrics["maxMemoryUsedMB"] == nil || metrics["initDurationMs"] == nil {
		t.Errorf("platform.report = %v", report)
	}
	if strings.Contains(text, "START RequestId") || strings.Contains(text, "REPORT RequestId") {
		t.Errorf("text platform lines in a JSON log:\n%s", text)
	}
	if s.logText(t, "/aws/lambda/"+py) != "" {
		t.Errorf("the default log group got logs of a function with a log group of its own")
	}
	// A level alone changes the level of a JSON function.
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(py),
		LoggingConfig: &lambdatypes.LoggingConfig{ApplicationLogLevel: lambdatypes.ApplicationLogLevelError}})
	cfg, _ = s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(py)})
	if lc := cfg.LoggingConfig; lc.LogFormat != lambdatypes.LogFormatJson || lc.ApplicationLogLevel != lambdatypes.ApplicationLogLevelError ||
		lc.SystemLogLevel != lambdatypes.SystemLogLevelInfo || aws.ToString(lc.LogGroup) != "/custom/json-python" {
		t.Errorf("LoggingConfig after a level update = %+v", *lc)
	}

	// Node, JSON, application level DEBUG, system level WARN: no
	// platform records, console.trace filtered.
	const node = "json-node"
	s.create(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String(node), Role: aws.String(role), Runtime: lambdatypes.RuntimeNodejs20x,
		Handler: aws.String("index.handler"),
		Code:    &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"index.mjs": nodeLogging})},
		LoggingConfig: &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatJson,
			ApplicationLogLevel: lambdatypes.ApplicationLogLevelDebug, SystemLogLevel: lambdatypes.SystemLogLevelWarn},
	})
	if got := s.call(t, node, map[string]any{}); got["format"] != "JSON" || got["level"] != "DEBUG" {
		t.Errorf("node log variables = %v", got)
	}
	text = s.waitLogs(t, "/aws/lambda/"+node, "node-error")
	levels = nil
	for _, r := range logRecords(t, text) {
		if r["type"] != nil {
			t.Errorf("platform record with SystemLogLevel WARN: %v", r)
			continue
		}
		if r["requestId"] == "" || r["timestamp"] == nil {
			t.Errorf("application record = %v", r)
		}
		levels = append(levels, str(r["level"])+":"+str(r["message"]))
	}
	if got := strings.Join(levels, ","); got != "DEBUG:node-debug,INFO:node-log,INFO:node-info,WARN:node-warn,ERROR:node-error" {
		t.Errorf("node application records = %s", got)
	}

	// Text: levels are refused; the defaults are answered.
	const text1 = "text-python"
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(text1), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("handler.handler"),
		Code:    &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"handler.py": pythonLogging})},
		LoggingConfig: &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatText,
			ApplicationLogLevel: lambdatypes.ApplicationLogLevelInfo},
	}
	const textLevels = `LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "JSON" and try again.`
	_, err = s.lambda.CreateFunction(ctx, in)
	wantStatus(t, "CreateFunction Text with a level", err, "InvalidParameterValueException", http.StatusBadRequest, textLevels)
	in.LoggingConfig = nil
	s.create(t, in)
	cfg, err = s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(text1)})
	if err != nil {
		t.Fatal(err)
	}
	if lc := cfg.LoggingConfig; lc.LogFormat != lambdatypes.LogFormatText || lc.ApplicationLogLevel != "" || lc.SystemLogLevel != "" ||
		aws.ToString(lc.LogGroup) != "/aws/lambda/"+text1 {
		t.Errorf("default LoggingConfig = %+v", *lc)
	}
	out, err = invoke(s.lambda, text1, map[string]any{})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("Invoke %s: %v", text1, err)
	}
	// Lambda's Python runtime logs through the root logger's handler as
	// [LEVEL]\ttime\trequest id\tmessage, at WARNING and above by default.
	text = s.waitLogs(t, "/aws/lambda/"+text1, "REPORT RequestId", "[WARNING]\t", "\tpy-warn\n", "[ERROR]\t", "py-print\n")
	if strings.Contains(text, "py-info") || strings.Contains(text, `"level"`) {
		t.Errorf("Text log:\n%s", text)
	}
	_, err = s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(text1),
		LoggingConfig: &lambdatypes.LoggingConfig{SystemLogLevel: lambdatypes.SystemLogLevelDebug}})
	wantStatus(t, "UpdateFunctionConfiguration of a Text function with a level", err, "InvalidParameterValueException", http.StatusBadRequest, textLevels)

	// JSON without levels is INFO and INFO; back to Text drops them.
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(text1),
		LoggingConfig: &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatJson}})
	cfg, _ = s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(text1)})
	if lc := cfg.LoggingConfig; lc.LogFormat != lambdatypes.LogFormatJson || lc.ApplicationLogLevel != lambdatypes.ApplicationLogLevelInfo ||
		lc.SystemLogLevel != lambdatypes.SystemLogLevelInfo {
		t.Errorf("JSON without levels: %+v", *lc)
	}
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(text1),
		LoggingConfig: &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatText}})
	cfg, _ = s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(text1)})
	if lc := cfg.LoggingConfig; lc.LogFormat != lambdatypes.LogFormatText || lc.ApplicationLogLevel != "" || lc.SystemLogLevel != "" {
		t.Errorf("back to Text: %+v", *lc)
	}
}
