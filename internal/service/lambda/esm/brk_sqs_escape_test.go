package esm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// lengthHandler logs each body's length and its first character.
const lengthHandler = `import json

def handler(event, context):
    for r in event["Records"]:
        b = r["body"]
        print("RECORD " + json.dumps({"id": r["messageId"], "body": "%s%d" % (b[:1], len(b)), "batch": len(event["Records"])}))
    return {}
`

// TestBrkSQSLargeMarkupMessage: a message of SQS's largest size made of
// '<' (an XML document is mostly markup) is delivered: Lambda's event
// carries the body as JSON text with '<', '>' and '&' as they are, so
// the record stays under the 6 MB invocation limit. Escaped as \u003c
// it would be six times as large and never fit.
func TestBrkSQSLargeMarkupMessage(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	ctx := context.Background()
	url, arn := s.queue(t, "markup", map[string]string{"VisibilityTimeout": "5"})
	role := s.role(t, "markup-fn", basicExecRole, sqsExecRole)
	s.createFunction(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String("markup-fn"), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("index.handler"), Timeout: aws.Int32(5), MemorySize: aws.Int32(512),
		Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(t, lengthHandler)},
	})
	body := strings.Repeat("<", 1<<20)
	if _, err := s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	uuid := s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("markup-fn"), EventSourceArn: aws.String(arn),
		BatchSize: aws.Int32(1)})
	s.waitDrained(t, url)
	rs := s.records(t, "markup-fn")
	if len(rs) != 1 || rs[0].Body != "<1048576" {
		t.Errorf("function got %+v, want one body of 1048576 '<'", rs)
	}
	out := s.waitMapping(t, uuid, func(*lambda.GetEventSourceMappingOutput) bool { return true })
	if got := aws.ToString(out.LastProcessingResult); got != "OK" {
		t.Errorf("LastProcessingResult %q, want OK", got)
	}
}
