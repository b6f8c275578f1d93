package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLambdaPythonUncaughtError: the python runtime reports a handler's
// uncaught exception as Lambda's does (awslambdaric): the stack trace
// begins at the function's own code, with none of the runtime's frames,
// in the invoke's answer and in the logs; with LogFormat JSON the log
// record is exactly {"timestamp": "YYYY-MM-DDTHH:MM:SS", "level": "ERROR",
// "errorMessage", "errorType", "requestId", "stackTrace"}, in that order,
// and an ApplicationLogLevel of ERROR keeps it.
func TestLambdaPythonUncaughtError(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "uncaught-role", lambdaTrust, basicExecRole)
	const name = "uncaught"
	s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("app.handler"), Code: &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"app.py": `
def handler(event, context):
    raise ValueError("boom")
`})},
		LoggingConfig: &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatJson, ApplicationLogLevel: lambdatypes.ApplicationLogLevelError}})

	out, err := s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), LogType: lambdatypes.LogTypeTail})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" {
		t.Fatalf("invoke: %v %v", out, err)
	}
	var payload map[string]any
	if err := json.Unmarshal(out.Payload, &payload); err != nil {
		t.Fatalf("payload %s: %v", out.Payload, err)
	}
	trace, _ := payload["stackTrace"].([]any)
	if len(trace) != 1 || !strings.HasPrefix(trace[0].(string), `  File "`) || !strings.Contains(trace[0].(string), `/app.py", line 3, in handler`) {
		t.Errorf("stackTrace %q, want the one frame of app.py", trace)
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	var record string
	for _, line := range strings.Split(string(tail), "\n") {
		if strings.Contains(line, `"stackTrace"`) {
			record = line
		}
	}
	keys := regexp.MustCompile(`"(\w+)": `).FindAllStringSubmatch(record, -1)
	var got []string
	for _, k := range keys {
		got = append(got, k[1])
	}
	if want := "timestamp level errorMessage errorType requestId stackTrace"; strings.Join(got, " ") != want {
		t.Errorf("error record keys %v, want %s: %s", got, want, record)
	}
	var rec struct {
		Timestamp, Level, ErrorMessage, ErrorType, RequestID string
		StackTrace                                           []string
	}
	if err := json.Unmarshal([]byte(record), &rec); err != nil {
		t.Fatalf("error record %q: %v", record, err)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`).MatchString(rec.Timestamp) || rec.Level != "ERROR" ||
		rec.ErrorMessage != "boom" || rec.ErrorType != "ValueError" || rec.RequestID != payload["requestId"] ||
		len(rec.StackTrace) != 1 || !strings.Contains(rec.StackTrace[0], "/app.py") {
		t.Errorf("error record %+v", rec)
	}
	s.waitLogs(t, "/aws/lambda/"+name, `"errorType": "ValueError"`)
}
