package esm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestFunctionArnConditionOfAnotherSpelling names a function a Deny on
// lambda:FunctionArn protects by an ARN of another partition, which
// resolves to the same function: CreateEventSourceMapping and
// UpdateEventSourceMapping are denied, as for the function's own ARN, and
// nothing is created or moved.
func TestFunctionArnConditionOfAnotherSpelling(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "spell-role", basicExecRole, sqsExecRole)
	s.function(t, "open", role)
	s.function(t, "secret", role)
	secret := "arn:aws:lambda:us-east-1:" + account + ":function:secret"
	user := s.user(t, "speller", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["lambda:CreateEventSourceMapping","lambda:UpdateEventSourceMapping","lambda:ListEventSourceMappings"],"Resource":"*"},
		{"Effect":"Deny","Action":["lambda:CreateEventSourceMapping","lambda:UpdateEventSourceMapping"],"Resource":"*",
		 "Condition":{"ArnEquals":{"lambda:FunctionArn":"`+secret+`"}}}]}`)
	other := strings.Replace(secret, "arn:aws:", "arn:aws-cn:", 1)

	for i, name := range []string{"secret", secret, other} {
		_, err := user.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(name), EventSourceArn: aws.String(s.queue(t, "spell-"+string(rune('a'+i)), nil))})
		if code, status, msg := apiError(t, err); code != "AccessDeniedException" || status != 403 || !strings.Contains(msg, "explicit deny") {
			t.Errorf("create for %s: %s %d %q", name, code, status, msg)
		}
	}
	list, err := s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.EventSourceMappings); n != 0 {
		t.Fatalf("denied creates left %d mappings", n)
	}

	mp, err := user.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("open"), EventSourceArn: aws.String(s.queue(t, "spell-open", nil))})
	if err != nil {
		t.Fatalf("create for the open function: %v", err)
	}
	s.waitState(t, aws.ToString(mp.UUID), "Enabled")
	_, err = user.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: mp.UUID, FunctionName: aws.String(other)})
	if code, status, _ := apiError(t, err); code != "AccessDeniedException" || status != 403 {
		t.Errorf("update towards %s: %v", other, err)
	}
	got := s.waitState(t, aws.ToString(mp.UUID), "Enabled")
	if aws.ToString(got.FunctionArn) != aws.ToString(mp.FunctionArn) {
		t.Errorf("a denied update moved the mapping to %s", aws.ToString(got.FunctionArn))
	}
}
