package esm_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// slowHandler logs each body as "start-<body>", takes four seconds, and
// logs it as "end-<body>".
const slowHandler = `import json, time

def handler(event, context):
    for r in event["Records"]:
        print("RECORD " + json.dumps({"id": r["messageId"], "body": "start-" + r["body"]}))
    time.sleep(4)
    for r in event["Records"]:
        print("RECORD " + json.dumps({"id": r["messageId"], "body": "end-" + r["body"]}))
    return {}
`

// TestBrkSQSDisabledMidBatch: disabling a mapping stops its polling, not
// the invocation it is running: Lambda lets a running function return
// (or time out), and the messages of a batch that succeeded are deleted,
// not delivered again once the mapping is enabled again.
func TestBrkSQSDisabledMidBatch(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	ctx := context.Background()
	url, arn := s.queue(t, "slow", map[string]string{"VisibilityTimeout": "15"})
	role := s.role(t, "slow-fn", basicExecRole, sqsExecRole)
	s.createFunction(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String("slow-fn"), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("index.handler"), Timeout: aws.Int32(10),
		Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(t, slowHandler)},
	})
	uuid := s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("slow-fn"), EventSourceArn: aws.String(arn),
		BatchSize: aws.Int32(1)})
	s.send(t, url, "", "a")
	// The batch is in flight: the function runs (its log shows it only
	// once it returns).
	for start := time.Now(); ; {
		if _, f := s.counts(t, url); f == "1" {
			break
		}
		if time.Since(start) > deliveryTimeout {
			t.Fatal("the message was never received")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if _, err := s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(uuid),
		Enabled: aws.Bool(false)}); err != nil {
		t.Fatalf("UpdateEventSourceMapping: %v", err)
	}
	s.waitMapping(t, uuid, func(m *lambda.GetEventSourceMappingOutput) bool { return aws.ToString(m.State) == "Disabled" })
	// Deleted well before its visibility timeout of 15 s ends.
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, f := s.counts(t, url)
		if v == "0" && f == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue: %s visible, %s in flight after the batch ran; log %+v", v, f, s.records(t, "slow-fn"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	n := countBodies(s.waitRecordsFor(t, "slow-fn", 5*time.Second, func(rs []handled) bool { return countBodies(rs)["end-a"] > 0 }))
	if n["start-a"] != 1 || n["end-a"] != 1 {
		t.Errorf("function ran %v, want a once, to its end", n)
	}
}
