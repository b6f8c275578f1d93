package esm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const (
	account       = "123456789012"
	basicExecRole = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	sqsExecRole   = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
	lambdaTrust   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	// deliveryTimeout bounds the waits for what pollers do. It is long:
	// under -race on a loaded machine a poller that met a failure may be
	// backing off for up to a minute before it reads again.
	deliveryTimeout = 3 * time.Minute
)

// sqsHandler prints one line per record it gets (RECORD {...}) and fails
// on a body "fail": by raising, or, with PARTIAL set, by reporting the
// message as a batch item failure. A batch whose first body starts with
// "sleep" takes a second.
const sqsHandler = `import json, os, time

def handler(event, context):
    records = event["Records"]
    if records[0]["body"].startswith("sleep"):
        time.sleep(1)
    now = int(time.time() * 1000)
    failed = []
    for r in records:
        a = r["attributes"]
        print("RECORD " + json.dumps({"id": r["messageId"], "body": r["body"], "batch": len(records),
            "group": a.get("MessageGroupId", ""), "count": a["ApproximateReceiveCount"],
            "lag": now - int(a["SentTimestamp"]), "at": now, "source": r["eventSource"], "arn": r["eventSourceARN"]}))
        if r["body"] == "fail":
            failed.append({"itemIdentifier": r["messageId"]})
    if failed and not os.environ.get("PARTIAL"):
        raise Exception("a message failed")
    return {"batchItemFailures": failed}
`

// sqsSuite is one rolecall with root clients.
type sqsSuite struct{ *suite }

func newSQSSuite(t testing.TB) *sqsSuite { return &sqsSuite{newSuite(t)} }

// function creates the Python handler and waits until it is Active.
func (s *sqsSuite) function(t testing.TB, name, role string, timeout int32, env map[string]string) string {
	t.Helper()
	in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(t, sqsHandler)}, Timeout: aws.Int32(timeout)}
	if env != nil {
		in.Environment = &lambdatypes.Environment{Variables: env}
	}
	return s.createFunction(t, in)
}

// queue creates a queue with attributes and returns its URL and ARN.
func (s *sqsSuite) queue(t testing.TB, name string, attrs map[string]string) (string, string) {
	t.Helper()
	out, err := s.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl), "arn:aws:sqs:us-east-1:" + account + ":" + name
}

// redrive is a RedrivePolicy to dlqARN.
func redrivePolicy(dlqARN string, maxReceives int) string {
	return fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, dlqARN, maxReceives)
}

// send sends bodies, ten at a time (with group for a FIFO queue).
func (s *sqsSuite) send(t testing.TB, url, group string, bodies ...string) {
	t.Helper()
	for i := 0; i < len(bodies); i += 10 {
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(url)}
		for j, b := range bodies[i:min(i+10, len(bodies))] {
			e := sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(j)), MessageBody: aws.String(b)}
			if group != "" {
				e.MessageGroupId = aws.String(group)
				e.MessageDeduplicationId = aws.String(fmt.Sprintf("%s-%d", group, i+j))
			}
			in.Entries = append(in.Entries, e)
		}
		out, err := s.sqs.SendMessageBatch(context.Background(), in)
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %v %v", err, out)
		}
	}
}

// handled is what the handler printed of a record.
type handled struct {
	ID     string `json:"id"`
	Body   string `json:"body"`
	Batch  int    `json:"batch"`
	Group  string `json:"group"`
	Count  string `json:"count"`
	Lag    int64  `json:"lag"` // ms from SendMessage to the handler
	At     int64  `json:"at"`  // ms since the epoch, when the handler got it
	Source string `json:"source"`
	ARN    string `json:"arn"`
}

// records returns what the function's log shows of the records it got,
// in the order it got them.
func (s *sqsSuite) records(t testing.TB, function string) []handled {
	t.Helper()
	var out []handled
	type line struct {
		at  int64
		seq int
		r   handled
	}
	var lines []line
	p := cloudwatchlogs.NewFilterLogEventsPaginator(s.logs, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String("/aws/lambda/" + function), FilterPattern: aws.String(`"RECORD"`)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			if strings.Contains(err.Error(), "ResourceNotFoundException") {
				return nil
			}
			t.Fatalf("FilterLogEvents: %v", err)
		}
		for _, e := range page.Events {
			msg := aws.ToString(e.Message)
			i := strings.Index(msg, "RECORD ")
			if i < 0 {
				continue
			}
			var r handled
			if err := json.Unmarshal([]byte(strings.TrimSpace(msg[i+len("RECORD "):])), &r); err != nil {
				t.Fatalf("log line %q: %v", msg, err)
			}
			lines = append(lines, line{at: aws.ToInt64(e.Timestamp), seq: len(lines), r: r})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at < lines[j].at })
	for _, l := range lines {
		out = append(out, l.r)
	}
	return out
}

// waitRecords polls the function's log until done says it shows enough.
func (s *sqsSuite) waitRecords(t testing.TB, function string, done func([]handled) bool) []handled {
	t.Helper()
	return s.waitRecordsFor(t, function, deliveryTimeout, done)
}

// waitRecordsFor is waitRecords waiting up to timeout.
func (s *sqsSuite) waitRecordsFor(t testing.TB, function string, timeout time.Duration, done func([]handled) bool) []handled {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		rs := s.records(t, function)
		if done(rs) {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("function %s: log shows %d records: %+v", function, len(rs), rs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// bodies counts the records of each body.
func countBodies(rs []handled) map[string]int {
	n := map[string]int{}
	for _, r := range rs {
		n[r.Body]++
	}
	return n
}

// counts returns the queue's visible and in-flight messages.
func (s *sqsSuite) counts(t testing.TB, url string) (visible, inFlight string) {
	t.Helper()
	out, err := s.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]
}

// waitDrained polls until the queue has no message, visible or in flight.
func (s *sqsSuite) waitDrained(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(deliveryTimeout)
	for {
		v, f := s.counts(t, url)
		if v == "0" && f == "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s: %s visible, %s in flight", url, v, f)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lambdaError returns err's code and message.
func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func (s *sqsSuite) putRolePolicy(t testing.TB, role, doc string) {
	t.Helper()
	if _, err := s.iam.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{
		RoleName: aws.String(role), PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
}
