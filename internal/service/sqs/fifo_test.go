package sqs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

func TestFIFO(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()

	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"FifoQueue": "true"}})
	wantAPIError(t, err, "InvalidParameterValue", "must end with .fifo suffix")
	u := createQueue(t, c, "orders.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})

	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x")})
	wantAPIError(t, err, "MissingParameter", "The request must contain the parameter MessageGroupId.")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), DelaySeconds: 5})
	wantAPIError(t, err, "InvalidParameterValue", "Value 5 for parameter DelaySeconds is invalid.")

	// Two groups, three messages each, interleaved.
	var seqs []string
	for i := range 3 {
		for _, g := range []string{"a", "b"} {
			out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String(fmt.Sprintf("%s%d", g, i)), MessageGroupId: aws.String(g)})
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, aws.ToString(out.SequenceNumber))
		}
	}
	for i := 1; i < len(seqs); i++ {
		if len(seqs[i]) != 20 || seqs[i] <= seqs[i-1] {
			t.Fatalf("sequence numbers %v do not increase", seqs)
		}
	}
	// Content-based deduplication: the same body within 5 minutes is the
	// same message.
	dup, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("a0"), MessageGroupId: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(dup.SequenceNumber) != seqs[0] {
		t.Fatalf("duplicate got sequence number %s, want the first message's %s", aws.ToString(dup.SequenceNumber), seqs[0])
	}

	receive := func(n int32) []types.Message {
		t.Helper()
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: n,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages
	}
	bodies := func(ms []types.Message) string {
		var b []string
		for _, m := range ms {
			b = append(b, aws.ToString(m.Body))
		}
		return strings.Join(b, " ")
	}
	first := receive(2)
	if got := bodies(first); got != "a0 a1" {
		t.Fatalf("first receive %q, want a's first two in order", got)
	}
	if first[0].Attributes["MessageGroupId"] != "a" || first[0].Attributes["SequenceNumber"] != seqs[0] ||
		first[0].Attributes["MessageDeduplicationId"] == "" {
		t.Fatalf("attributes %v", first[0].Attributes)
	}
	// Group a has messages in flight: only b's come next.
	if got := bodies(receive(10)); got != "b0 b1 b2" {
		t.Fatalf("second receive %q, want group b alone", got)
	}
	if got := bodies(receive(10)); got != "" {
		t.Fatalf("third receive %q, want nothing while both groups are in flight", got)
	}
	// a0 comes back: a0 and a2 (after it) are delivered in order once a1
	// is handled.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	if got := bodies(receive(10)); got != "" {
		t.Fatalf("receive %q while a1 is in flight", got)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: first[1].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := bodies(receive(10)); got != "a0 a2" {
		t.Fatalf("receive %q, want a0 a2", got)
	}
}

func TestDeadLetterQueue(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()

	dlq := createQueue(t, c, "dead", nil)
	dlqARN := "arn:aws:sqs:us-east-1:123456789012:dead"
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"2"}`, dlqARN)
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src"), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:none","maxReceiveCount":2}`}})
	wantAPIError(t, err, "InvalidParameterValue", "Dead letter target does not exist.")
	src := createQueue(t, c, "src", map[string]string{"RedrivePolicy": redrive, "VisibilityTimeout": "0"})

	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &src, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy}})
	if err != nil || attrs.Attributes["RedrivePolicy"] != `{"deadLetterTargetArn":"`+dlqARN+`","maxReceiveCount":2}` {
		t.Fatalf("RedrivePolicy %v %v", attrs.Attributes, err)
	}
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String("poison"),
		MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("receive %d: %+v %v", i+1, out, err)
		}
	}
	// The third receive finds it received twice already: it moves.
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("third receive: %+v %v", out, err)
	}
	moved, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil || len(moved.Messages) != 1 {
		t.Fatalf("dead-letter receive: %+v %v", moved, err)
	}
	m := moved.Messages[0]
	if aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(m.Body) != "poison" ||
		aws.ToString(m.MessageAttributes["k"].StringValue) != "v" || m.Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:123456789012:src" {
		t.Fatalf("moved message %+v", m)
	}
	sources, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(sources.QueueUrls) != 1 || sources.QueueUrls[0] != src {
		t.Fatalf("ListDeadLetterSourceQueues: %+v %v", sources, err)
	}

	// A dead-letter queue whose RedriveAllowPolicy denies all takes no
	// source.
	closed := createQueue(t, c, "closed", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`})
	_ = closed
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src2"), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:closed","maxReceiveCount":1}`}})
	wantAPIError(t, err, "InvalidParameterValue", "is not allowed to use")
	createQueue(t, c, "byq", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:us-east-1:123456789012:src3"]}`})
	createQueue(t, c, "src3", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:byq","maxReceiveCount":1}`})
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src4"), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:byq","maxReceiveCount":1}`}})
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("a source byQueue does not name: %v", err)
	}
}

// TestReceiveRequestAttemptId: a FIFO receive retried with the same
// ReceiveRequestAttemptId gets the same messages and receipt handles.
func TestReceiveRequestAttemptId(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "retry.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for _, b := range []string{"one", "two"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String(b), MessageGroupId: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, ReceiveRequestAttemptId: aws.String("attempt-1")})
	if err != nil || len(first.Messages) != 1 {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, ReceiveRequestAttemptId: aws.String("attempt-1")})
	if err != nil || len(again.Messages) != 1 || aws.ToString(again.Messages[0].ReceiptHandle) != aws.ToString(first.Messages[0].ReceiptHandle) {
		t.Fatalf("retried attempt: %+v %v", again, err)
	}
	other, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, ReceiveRequestAttemptId: aws.String("attempt-2")})
	if err != nil || len(other.Messages) != 1 || aws.ToString(other.Messages[0].Body) == aws.ToString(first.Messages[0].Body) {
		t.Fatalf("another attempt: %+v %v", other, err)
	}
	std := createQueue(t, c, "plain", nil)
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &std, ReceiveRequestAttemptId: aws.String("a")})
	wantAPIError(t, err, "InvalidParameterValue", "The request include parameter that is not valid for this queue type.")
}
