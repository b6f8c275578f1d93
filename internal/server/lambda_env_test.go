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

// TestLambdaEnvironmentLimit: Lambda measures Environment.Variables as the
// compact JSON object {"KEY":"value",...}, at most 4096 bytes, and names
// that string in its refusal ("String measured: {...}"): quotes, colons,
// commas and escapes count, in CreateFunction and
// UpdateFunctionConfiguration alike, and the variables of a function at
// the limit reach it.
func TestLambdaEnvironmentLimit(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "env-limit-role", lambdaTrust, basicExecRole)
	const frame = `{"XV":""}` // 9 bytes around the value
	atLimit := strings.Repeat("v", 4096-len(frame))
	pastLimit := atLimit + "v"
	refusal := func(vars map[string]string) string {
		b, err := json.Marshal(vars)
		if err != nil {
			t.Fatal(err)
		}
		return "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: " + string(b)
	}
	in := func(name, value string) *lambda.CreateFunctionInput {
		return &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
			Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"handler.py": envFunction})},
			Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": value}}}
	}

	_, err := s.lambda.CreateFunction(ctx, in("env-past", pastLimit))
	wantStatus(t, "CreateFunction of 4097 bytes", err, "InvalidParameterValueException", http.StatusBadRequest,
		refusal(map[string]string{"XV": pastLimit}))
	s.create(t, in("env-limit", atLimit))
	out, err := s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("env-limit")})
	if err != nil || out.FunctionError != nil || !strings.Contains(string(out.Payload), atLimit) {
		t.Fatalf("invoke at the limit: %v %v", out, err)
	}

	// A quote is two bytes in JSON: 4087 characters of which one is a
	// quote measure 4097.
	quoted := atLimit[1:] + `"`
	_, err = s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("env-limit"),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": quoted}}})
	wantStatus(t, "UpdateFunctionConfiguration with a quote", err, "InvalidParameterValueException", http.StatusBadRequest,
		refusal(map[string]string{"XV": quoted}))

	// Two variables whose names and values total 4088 bytes measure 4104.
	two := map[string]string{"XV": strings.Repeat("a", 2042), "YV": strings.Repeat("b", 2042)}
	_, err = s.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("env-limit"),
		Environment: &lambdatypes.Environment{Variables: two}})
	// The refusal names the variables in the order the request gave them.
	a, b := `"XV":"`+two["XV"]+`"`, `"YV":"`+two["YV"]+`"`
	msg := apiError(t, err, "InvalidParameterValueException")
	if prefix := strings.TrimSuffix(refusal(nil), "null"); msg != prefix+"{"+a+","+b+"}" && msg != prefix+"{"+b+","+a+"}" {
		t.Errorf("two variables of 4104 bytes: %.200q", msg)
	}
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("env-limit")})
	if err != nil || cfg.Environment.Variables["XV"] != atLimit || len(cfg.Environment.Variables) != 1 {
		t.Errorf("after refused updates: %v", err)
	}
}
