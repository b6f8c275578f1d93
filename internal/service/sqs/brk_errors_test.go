package sqs_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// wantStatus checks that err came with the HTTP status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("error %v, want HTTP status %d", err, status)
	}
}

// TestBrkErrorStatus: the errors whose awsQueryError trait gives a status
// other than 400 are answered with it in both protocols:
// ReceiptHandleIsInvalid and InvalidAddress 404, PurgeQueueInProgress 403.
func TestBrkErrorStatus(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "statuses", nil)

	_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: aws.String("forged")})
	wantAPIError(t, err, "ReceiptHandleIsInvalid", `The input receipt handle "forged" is not a valid receipt handle.`)
	wantStatus(t, err, 404)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("no-queue-here"), MessageBody: aws.String("x")})
	wantAPIError(t, err, "InvalidAddress", "The address no-queue-here is not valid for this endpoint.")
	wantStatus(t, err, 404)
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &u})
	wantAPIError(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress", "Only one PurgeQueue operation on statuses is allowed every 60 seconds.")
	wantStatus(t, err, 403)

	for _, tc := range []struct {
		form   url.Values
		status int
		code   string
	}{
		{url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {u}, "ReceiptHandle": {"forged"}}, 404, "ReceiptHandleIsInvalid"},
		{url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {"a/b/c"}}, 404, "InvalidAddress"},
		{url.Values{"Action": {"PurgeQueue"}, "QueueUrl": {u}}, 403, "AWS.SimpleQueueService.PurgeQueueInProgress"},
	} {
		st, body := queryPost(t, s, "/", tc.form)
		if st != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%s: %d %s, want %d %s", tc.form.Get("Action"), st, body, tc.status, tc.code)
		}
	}
}
