package sqs_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestBrkVisibilityTotal: a received message stays hidden at most 12
// hours from its receive, however its visibility is extended: an
// extension past that is refused with SQS's message and changes nothing,
// in a single change and in a batch. (The requests are signed at the
// server's clock, which the test moves.)
func TestBrkVisibilityTotal(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	s := servertest.StartWith(t, servertest.Options{Now: clk.Now})
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "long-task", nil)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, VisibilityTimeout: 3600})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %+v %v", got, err)
	}
	h := aws.ToString(got.Messages[0].ReceiptHandle)
	post := func(form url.Values) (int, string) {
		t.Helper()
		form.Set("QueueUrl", u)
		return queryPostAt(t, s, s.RootConfig(), form, clk.Now())
	}
	clk.advance(time.Hour)
	// 10 more hours from now end 11 hours after the receive: allowed.
	if st, body := post(url.Values{"Action": {"ChangeMessageVisibility"}, "ReceiptHandle": {h}, "VisibilityTimeout": {"36000"}}); st != 200 {
		t.Fatalf("extension within 12 hours: %d %s", st, body)
	}
	st, body := post(url.Values{"Action": {"ChangeMessageVisibility"}, "ReceiptHandle": {h}, "VisibilityTimeout": {"43200"}})
	if st != 400 || !strings.Contains(body, "<Code>InvalidParameterValue</Code><Message>Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]</Message>") {
		t.Fatalf("extension past 12 hours: %d %s", st, body)
	}
	st, body = post(url.Values{"Action": {"ChangeMessageVisibilityBatch"},
		"ChangeMessageVisibilityBatchRequestEntry.1.Id": {"a"}, "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle": {h},
		"ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout": {"39601"}})
	if st != 200 || !strings.Contains(body, "<BatchResultErrorEntry><Id>a</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>") {
		t.Fatalf("batch extension past 12 hours: %d %s", st, body)
	}
	// The refused changes left the 10 hours in place.
	receive := func() int {
		t.Helper()
		st, body := post(url.Values{"Action": {"ReceiveMessage"}})
		if st != 200 {
			t.Fatalf("receive: %d %s", st, body)
		}
		return strings.Count(body, "<Message>")
	}
	clk.advance(10*time.Hour - time.Minute)
	if n := receive(); n != 0 {
		t.Fatalf("%d received while hidden", n)
	}
	clk.advance(2 * time.Minute)
	if n := receive(); n != 1 {
		t.Fatalf("%d received after the extension", n)
	}
}
