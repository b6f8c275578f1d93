package esm_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// bigFIFOHandler logs the first three characters of each body and fails
// a batch holding m00 received for the first time.
const bigFIFOHandler = `import json, time

def handler(event, context):
    now = int(time.time() * 1000)
    records = event["Records"]
    for r in records:
        a = r["attributes"]
        print("RECORD " + json.dumps({"id": r["messageId"], "body": r["body"][:3], "batch": len(records),
            "group": a.get("MessageGroupId", ""), "count": a["ApproximateReceiveCount"], "at": now}))
    for r in records:
        if r["body"].startswith("m00") and r["attributes"]["ApproximateReceiveCount"] == "1":
            raise Exception("m00 failed")
    return {}
`

// TestBrkSQSFIFOCarriedAfterFailure: ten messages of one FIFO group too
// large for one 6 MB invocation are received together; the first batch
// fails. The messages of the group received with it but left for the
// next batch must not be processed before the failed ones succeed: a
// FIFO group is processed in order (Lambda Developer Guide, "Using Lambda
// with Amazon SQS": FIFO queues keep the order within a message group).
func TestBrkSQSFIFOCarriedAfterFailure(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	ctx := context.Background()
	url, arn := s.queue(t, "big.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "5"})
	role := s.role(t, "big-fn", basicExecRole, sqsExecRole)
	s.createFunction(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String("big-fn"), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("index.handler"), Timeout: aws.Int32(5), MemorySize: aws.Int32(512),
		Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(t, bigFIFOHandler)},
	})
	// 900 000 bytes each: six fit in an invocation, ten do not.
	for i := range 10 {
		body := fmt.Sprintf("m%02d", i) + strings.Repeat("x", 900_000)
		if _, err := s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatalf("SendMessage %d: %v", i, err)
		}
	}
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("big-fn"), EventSourceArn: aws.String(arn),
		BatchSize: aws.Int32(10)})
	s.waitDrained(t, url)
	rs := s.records(t, "big-fn")
	// Every record before m00's second delivery belongs to the failed
	// first batch, which starts with m00.
	retried := false
	for _, r := range rs {
		if r.Body == "m00" && r.Count != "1" {
			retried = true
		}
		if !retried && r.Body >= "m06" {
			t.Fatalf("%s (receive %s) delivered before the failed m00 was retried: %+v", r.Body, r.Count, rs)
		}
	}
	if !retried {
		t.Errorf("m00 never retried: %+v", rs)
	}
}
