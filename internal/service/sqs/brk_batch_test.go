package sqs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestBrkBatchTotal: a batch's total is bounded by SendMessageBatch's
// 1 MiB, not by the queue's MaximumMessageSize, which bounds each message:
// three messages each under a 1024-byte limit are sent, a fourth over it
// fails alone.
func TestBrkBatchTotal(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "small", map[string]string{"MaximumMessageSize": "1024"})
	body := strings.Repeat("x", 800)
	var entries []types.SendMessageBatchRequestEntry
	for _, id := range []string{"a", "b", "c"} {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)})
	}
	entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String("big"), MessageBody: aws.String(strings.Repeat("y", 1025))})
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: entries})
	if err != nil {
		t.Fatalf("SendMessageBatch: %v", err)
	}
	if len(out.Successful) != 3 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "big" ||
		aws.ToString(out.Failed[0].Code) != "InvalidParameterValue" {
		t.Fatalf("SendMessageBatch: %+v", out)
	}
}

// TestBrkAttributeSize: every value of a message attribute counts toward
// the message size, also one its type does not use (a String attribute's
// BinaryValue), which is kept and received: such a message is not a way
// around MaximumMessageSize.
func TestBrkAttributeSize(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "small", map[string]string{"MaximumMessageSize": "1024"})
	for _, a := range []types.MessageAttributeValue{
		{DataType: aws.String("String"), StringValue: aws.String("v"), BinaryValue: make([]byte, 2000)},
		{DataType: aws.String("Binary"), BinaryValue: []byte{1}, StringValue: aws.String(strings.Repeat("s", 2000))},
	} {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("m"),
			MessageAttributes: map[string]types.MessageAttributeValue{"a": a}})
		wantAPIError(t, err, "InvalidParameterValue", "Message must be shorter than 1024 bytes.")
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	if err != nil || len(got.Messages) != 0 {
		t.Fatalf("receive: %+v %v", got, err)
	}
}
