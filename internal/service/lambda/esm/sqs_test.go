package esm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/rolecall/rolecall/internal/store"
)

// TestSQSMappingDeliversAndDeadLetters: a mapping is refused while the
// role lacks sqs:ReceiveMessage and accepted once
// AWSLambdaSQSQueueExecutionRole is attached; sent messages arrive in
// batches of at most BatchSize, gathered within the batching window;
// the queue drains; a failing message lands in the dead-letter queue
// after maxReceiveCount receives.
func TestSQSMappingDeliversAndDeadLetters(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	ctx := context.Background()
	_, dlqARN := s.queue(t, "orders-dlq", nil)
	url, arn := s.queue(t, "orders", map[string]string{"VisibilityTimeout": "3", "RedrivePolicy": redrivePolicy(dlqARN, 2)})
	role := s.role(t, "orders-fn", basicExecRole)
	s.function(t, "orders-fn", role, 3, nil)

	in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("orders-fn"), EventSourceArn: aws.String(arn),
		BatchSize: aws.Int32(5), MaximumBatchingWindowInSeconds: aws.Int32(1)}
	_, err := s.lambda.CreateEventSourceMapping(ctx, in)
	if msg := errText(err); !strings.Contains(msg, "InvalidParameterValueException") ||
		!strings.Contains(msg, "The provided execution role does not have permissions to call ReceiveMessage on SQS") {
		t.Fatalf("CreateEventSourceMapping without sqs:ReceiveMessage: %s", msg)
	}
	s.attach(t, "orders-fn", sqsExecRole)
	uuid := s.mapping(t, in)

	var want []string
	for i := range 12 {
		want = append(want, fmt.Sprintf("order %d", i))
	}
	s.send(t, url, "", want...)
	s.waitRecords(t, "orders-fn", func(rs []handled) bool {
		n := countBodies(rs)
		for _, b := range want {
			if n[b] == 0 {
				return false
			}
		}
		return true
	})
	// A failing message alone in its batch, so that no other comes back
	// with it.
	s.send(t, url, "", "fail")
	rs := s.waitRecords(t, "orders-fn", func(rs []handled) bool { return countBodies(rs)["fail"] >= 2 })
	for _, r := range rs {
		if r.Batch > 5 || r.Source != "aws:sqs" || r.ARN != arn {
			t.Errorf("handled %+v: batch over 5, or not from %s", r, arn)
		}
	}
	if n := countBodies(rs); n["fail"] > 2 {
		t.Errorf("the failing message was delivered %d times, past maxReceiveCount 2", n["fail"])
	}
	// The window gathers a burst into full batches.
	full := 0
	for _, r := range rs {
		if r.Batch == 5 {
			full++
		}
	}
	if full == 0 {
		t.Errorf("no batch of 5 within a 1 s window: %+v", rs)
	}

	dlq := s.sqsURL(t, "orders-dlq")
	deadline := time.Now().Add(deliveryTimeout)
	for {
		out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 1 && aws.ToString(out.Messages[0].Body) == "fail" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failing message is not in the dead-letter queue")
		}
	}
	s.waitDrained(t, url)
	// What succeeded was deleted, not delivered again.
	for b, n := range countBodies(s.records(t, "orders-fn")) {
		if b != "fail" && n != 1 {
			t.Errorf("%q delivered %d times", b, n)
		}
	}
	if _, err := s.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(uuid)}); err != nil {
		t.Fatal(err)
	}
}

// TestSQSMappingChecks: a queue whose visibility timeout is less than the
// function's timeout, a missing queue, and a role that may receive but
// not delete are refused with Lambda's messages.
func TestSQSMappingChecks(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	ctx := context.Background()
	_, arn := s.queue(t, "short", map[string]string{"VisibilityTimeout": "30"})
	role := s.role(t, "slow-fn", basicExecRole, sqsExecRole)
	s.function(t, "slow-fn", role, 60, nil)
	for _, c := range []struct{ arn, want string }{
		{arn, "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"},
		{"arn:aws:sqs:us-east-1:" + account + ":nope", "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist."},
	} {
		_, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("slow-fn"), EventSourceArn: aws.String(c.arn)})
		if msg := errText(err); !strings.Contains(msg, "InvalidParameterValueException") || !strings.Contains(msg, c.want) {
			t.Errorf("CreateEventSourceMapping %s: %s, want %q", c.arn, msg, c.want)
		}
	}

	_, arn = s.queue(t, "receive-only", nil)
	role = s.role(t, "recv-fn", basicExecRole)
	s.putRolePolicy(t, "recv-fn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:GetQueueAttributes"],"Resource":"*"}]}`)
	s.function(t, "recv-fn", role, 3, nil)
	_, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("recv-fn"), EventSourceArn: aws.String(arn)})
	if msg := errText(err); !strings.Contains(msg, "The provided execution role does not have permissions to call DeleteMessage on SQS") {
		t.Errorf("CreateEventSourceMapping without sqs:DeleteMessage: %s", msg)
	}
}

// TestSQSMappingPartialBatchFailures: with ReportBatchItemFailures the
// messages the function names come back and the others are deleted.
func TestSQSMappingPartialBatchFailures(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	_, dlqARN := s.queue(t, "partial-dlq", nil)
	url, arn := s.queue(t, "partial", map[string]string{"VisibilityTimeout": "3", "RedrivePolicy": redrivePolicy(dlqARN, 2)})
	role := s.role(t, "partial-fn", basicExecRole, sqsExecRole)
	s.function(t, "partial-fn", role, 3, map[string]string{"PARTIAL": "1"})
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("partial-fn"), EventSourceArn: aws.String(arn),
		BatchSize: aws.Int32(10), MaximumBatchingWindowInSeconds: aws.Int32(1),
		FunctionResponseTypes: []lambdatypes.FunctionResponseType{lambdatypes.FunctionResponseTypeReportBatchItemFailures}})
	s.send(t, url, "", "a", "fail", "b", "c")
	s.waitRecords(t, "partial-fn", func(rs []handled) bool { return countBodies(rs)["fail"] >= 2 })
	s.waitDrained(t, url)
	rs := s.records(t, "partial-fn")
	n := countBodies(rs)
	if n["a"] != 1 || n["b"] != 1 || n["c"] != 1 || n["fail"] != 2 {
		t.Errorf("deliveries %v: want a, b, c once and fail twice", n)
	}
	for _, r := range rs {
		if r.Body == "fail" && r.Count == "2" {
			return
		}
	}
	t.Errorf("the failed message did not come back with ApproximateReceiveCount 2: %+v", rs)
}

// TestSQSMappingFIFO: a FIFO queue's messages reach the function in order
// within each message group.
func TestSQSMappingFIFO(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	url, arn := s.queue(t, "jobs.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "3"})
	role := s.role(t, "jobs-fn", basicExecRole, sqsExecRole)
	s.function(t, "jobs-fn", role, 3, nil)
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("jobs-fn"), EventSourceArn: aws.String(arn), BatchSize: aws.Int32(3)})
	groups := map[string][]string{}
	for _, g := range []string{"g1", "g2"} {
		for i := range 9 {
			groups[g] = append(groups[g], fmt.Sprintf("%s-%d", g, i))
		}
	}
	s.send(t, url, "g1", groups["g1"]...)
	s.send(t, url, "g2", groups["g2"]...)
	rs := s.waitRecords(t, "jobs-fn", func(rs []handled) bool { return len(rs) >= 18 })
	s.waitDrained(t, url)
	got := map[string][]string{}
	for _, r := range rs {
		got[r.Group] = append(got[r.Group], r.Body)
	}
	for g, want := range groups {
		if strings.Join(got[g], ",") != strings.Join(want, ",") {
			t.Errorf("group %s in order %v, want %v", g, got[g], want)
		}
	}
}

// TestSQSMappingFilters: messages that match no filter are deleted
// without being delivered.
func TestSQSMappingFilters(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	url, arn := s.queue(t, "filtered", map[string]string{"VisibilityTimeout": "3"})
	role := s.role(t, "filtered-fn", basicExecRole, sqsExecRole)
	s.function(t, "filtered-fn", role, 3, nil)
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("filtered-fn"), EventSourceArn: aws.String(arn),
		FilterCriteria: &lambdatypes.FilterCriteria{Filters: []lambdatypes.Filter{{Pattern: aws.String(`{"body":{"kind":["order"]}}`)}}}})
	s.send(t, url, "", `{"kind":"order","n":1}`, `{"kind":"refund","n":2}`, "plain text", `{"kind":"order","n":3}`)
	s.waitRecords(t, "filtered-fn", func(rs []handled) bool { return len(rs) >= 2 })
	s.waitDrained(t, url)
	n := countBodies(s.records(t, "filtered-fn"))
	if len(n) != 2 || n[`{"kind":"order","n":1}`] != 1 || n[`{"kind":"order","n":3}`] != 1 {
		t.Errorf("delivered %v, want the two orders once", n)
	}
}

// TestSQSMappingPermissionLostAndBack: detaching the role's SQS policy
// from a running mapping makes its reads fail as the role (AccessDenied,
// in the trail as a data event of the role's session invoked by
// lambda.amazonaws.com) and the mapping report the problem; once the
// policy is back every message sent meanwhile is delivered.
func TestSQSMappingPermissionLostAndBack(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	ctx := context.Background()
	url, arn := s.queue(t, "revoked", map[string]string{"VisibilityTimeout": "3"})
	role := s.role(t, "revoked-fn", basicExecRole, sqsExecRole)
	s.function(t, "revoked-fn", role, 3, nil)
	uuid := s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("revoked-fn"), EventSourceArn: aws.String(arn)})
	s.send(t, url, "", "before")
	s.waitRecords(t, "revoked-fn", func(rs []handled) bool { return countBodies(rs)["before"] == 1 })

	s.detach(t, "revoked-fn", sqsExecRole)
	out := s.waitMapping(t, uuid, func(m *lambda.GetEventSourceMappingOutput) bool {
		return strings.HasPrefix(aws.ToString(m.LastProcessingResult), "PROBLEM: ")
	})
	if got, want := aws.ToString(out.LastProcessingResult), "PROBLEM: The provided execution role does not have permissions to call ReceiveMessage on SQS"; got != want {
		t.Errorf("LastProcessingResult %q, want %q", got, want)
	}
	var during []string
	for i := range 5 {
		during = append(during, fmt.Sprintf("during %d", i))
	}
	s.send(t, url, "", during...)

	// The trail holds a denied ReceiveMessage of the role's session,
	// made by Lambda.
	deadline := time.Now().Add(deliveryTimeout)
	for {
		if err := s.srv.Recorder().Flush(ctx); err != nil {
			t.Fatal(err)
		}
		evs, _, err := s.srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: "ReceiveMessage", PrincipalARN: role, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs {
			var rec struct {
				ErrorCode     string `json:"errorCode"`
				EventCategory string `json:"eventCategory"`
				UserIdentity  struct {
					Type      string `json:"type"`
					ARN       string `json:"arn"`
					InvokedBy string `json:"invokedBy"`
				} `json:"userIdentity"`
			}
			if err := json.Unmarshal(e.Record, &rec); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(rec.ErrorCode, "AccessDenied") && rec.EventCategory == "Data" && rec.UserIdentity.Type == "AssumedRole" &&
				rec.UserIdentity.InvokedBy == "lambda.amazonaws.com" &&
				rec.UserIdentity.ARN == "arn:aws:sts::"+account+":assumed-role/revoked-fn/revoked-fn" {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no denied ReceiveMessage of the role invoked by Lambda among %d events", len(evs))
		}
		time.Sleep(100 * time.Millisecond)
	}

	s.attach(t, "revoked-fn", sqsExecRole)
	s.waitRecords(t, "revoked-fn", func(rs []handled) bool {
		n := countBodies(rs)
		for _, b := range during {
			if n[b] == 0 {
				return false
			}
		}
		return true
	})
	s.waitDrained(t, url)
	s.waitMapping(t, uuid, func(m *lambda.GetEventSourceMappingOutput) bool { return aws.ToString(m.LastProcessingResult) == "OK" })
}

// TestSQSMappingDeleteDenied: a role that may receive but no longer
// delete gets its messages delivered again and again (at least once), the
// mapping reports the denied DeleteMessage, and the queue drains once the
// permission is back.
func TestSQSMappingDeleteDenied(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	url, arn := s.queue(t, "undeletable", map[string]string{"VisibilityTimeout": "3"})
	role := s.role(t, "undeletable-fn", basicExecRole)
	all := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes"],"Resource":"*"}]}`
	s.putRolePolicy(t, "undeletable-fn", all)
	s.function(t, "undeletable-fn", role, 3, nil)
	uuid := s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("undeletable-fn"), EventSourceArn: aws.String(arn)})
	s.putRolePolicy(t, "undeletable-fn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:GetQueueAttributes"],"Resource":"*"}]}`)
	s.send(t, url, "", "again")
	s.waitRecords(t, "undeletable-fn", func(rs []handled) bool { return countBodies(rs)["again"] >= 2 })
	s.waitMapping(t, uuid, func(m *lambda.GetEventSourceMappingOutput) bool {
		return aws.ToString(m.LastProcessingResult) == "PROBLEM: The provided execution role does not have permissions to call DeleteMessage on SQS"
	})
	s.putRolePolicy(t, "undeletable-fn", all)
	s.waitDrained(t, url)
}

// TestSQSMappingThrottled: while the function may not run (reserved
// concurrency 0) its messages stay in the queue; they are delivered once
// it may run again.
func TestSQSMappingThrottled(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	ctx := context.Background()
	url, arn := s.queue(t, "throttled", map[string]string{"VisibilityTimeout": "3"})
	role := s.role(t, "throttled-fn", basicExecRole, sqsExecRole)
	s.function(t, "throttled-fn", role, 3, nil)
	if _, err := s.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("throttled-fn"),
		ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	uuid := s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("throttled-fn"), EventSourceArn: aws.String(arn)})
	s.send(t, url, "", "held")
	// The message is received, tried and left: it is in flight or
	// visible again, never delivered, never deleted.
	time.Sleep(4 * time.Second)
	if v, f := s.counts(t, url); v == "0" && f == "0" {
		t.Fatal("the message of a throttled function left the queue")
	}
	if rs := s.records(t, "throttled-fn"); len(rs) != 0 {
		t.Fatalf("a throttled function got %+v", rs)
	}
	// A throttle is no failure of the function or of the mapping.
	m, err := s.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
	if err != nil || strings.HasPrefix(aws.ToString(m.LastProcessingResult), "PROBLEM") {
		t.Fatalf("GetEventSourceMapping while throttled: %v, last result %q", err, aws.ToString(m.LastProcessingResult))
	}
	if _, err := s.lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("throttled-fn")}); err != nil {
		t.Fatal(err)
	}
	s.waitRecords(t, "throttled-fn", func(rs []handled) bool { return countBodies(rs)["held"] >= 1 })
	s.waitDrained(t, url)
}

// sqsURL is the URL of a queue.
func (s *sqsSuite) sqsURL(t testing.TB, name string) string {
	t.Helper()
	out, err := s.sqs.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}
