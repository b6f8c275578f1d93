package sqs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

func client(s *servertest.Server) *sqs.Client { return sqs.NewFromConfig(s.RootConfig()) }

func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// wantAPIError checks err is an API error with the code (the query code,
// as the SDK reports it) and a message containing msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error %s: %q, want %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// user creates an IAM user with an inline policy (none when doc is "")
// and returns a client with its keys and its ARN.
func user(t *testing.T, s *servertest.Server, name, doc string) (*sqs.Client, string) {
	t.Helper()
	cfg, arn := userConfig(t, s, name, doc)
	return sqs.NewFromConfig(cfg), arn
}

// userConfig creates an IAM user as user does and returns a
// configuration with its keys and its ARN.
func userConfig(t *testing.T, s *servertest.Server, name, doc string) (aws.Config, string) {
	t.Helper()
	ctx := context.Background()
	admin := iam.NewFromConfig(s.RootConfig())
	u, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if doc != "" {
		if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
			PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return s.Config(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""), aws.ToString(u.User.Arn)
}

func TestQueueLifecycle(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()

	u := createQueue(t, c, "orders", map[string]string{"VisibilityTimeout": "45"})
	if want := s.Endpoint() + "/123456789012/orders"; u != want {
		t.Fatalf("QueueUrl %s, want %s", u, want)
	}
	// The same attributes: the same queue; another value: QueueNameExists.
	if again := createQueue(t, c, "orders", map[string]string{"VisibilityTimeout": "45"}); again != u {
		t.Fatalf("second CreateQueue %s", again)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "60"}})
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) {
		t.Fatalf("CreateQueue with another value: %v", err)
	}
	wantAPIError(t, err, "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute VisibilityTimeout")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad name")})
	wantAPIError(t, err, "InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"DelaySeconds": "901"}})
	wantAPIError(t, err, "InvalidAttributeValue", "Invalid value for the parameter DelaySeconds.")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"KmsMasterKeyId": "alias/aws/sqs"}})
	wantAPIError(t, err, "InvalidParameterValue", "KmsMasterKeyId")

	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || aws.ToString(got.QueueUrl) != u {
		t.Fatalf("GetQueueUrl: %v %v", got, err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	var missing *types.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("GetQueueUrl of a missing queue: %v", err)
	}
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")

	for i := range 3 {
		createQueue(t, c, fmt.Sprintf("page-%d", i), nil)
	}
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("page-"), MaxResults: aws.Int32(2)})
	if err != nil || len(list.QueueUrls) != 2 || list.NextToken == nil {
		t.Fatalf("ListQueues page 1: %+v %v", list, err)
	}
	rest, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("page-"), MaxResults: aws.Int32(2), NextToken: list.NextToken})
	if err != nil || len(rest.QueueUrls) != 1 || rest.NextToken != nil || !strings.HasSuffix(rest.QueueUrls[0], "/page-2") {
		t.Fatalf("ListQueues page 2: %+v %v", rest, err)
	}

	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"VisibilityTimeout": "45", "DelaySeconds": "0", "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0",
		"QueueArn": "arn:aws:sqs:us-east-1:123456789012:orders", "ApproximateNumberOfMessages": "0",
		"ApproximateNumberOfMessagesNotVisible": "0", "ApproximateNumberOfMessagesDelayed": "0",
	} {
		if attrs.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	if attrs.Attributes["CreatedTimestamp"] == "" || attrs.Attributes["LastModifiedTimestamp"] == "" {
		t.Errorf("no timestamps: %v", attrs.Attributes)
	}
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Nope": "1"}})
	wantAPIError(t, err, "InvalidAttributeName", "Unknown Attribute Nope.")
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"DelaySeconds": "5"}}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &u, Tags: map[string]string{"team": "a", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: &u, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &u})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "a" {
		t.Fatalf("ListQueueTags: %+v %v", tags, err)
	}

	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &u})
	wantAPIError(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress", "Only one PurgeQueue operation on orders is allowed every 60 seconds.")

	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	wantAPIError(t, err, "AWS.SimpleQueueService.QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
}

func TestSendReceiveDelete(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "jobs", nil)

	// The SDK checks MD5OfMessageBody of both answers against its own
	// digest: a wrong one fails the call. (The attribute digest is checked
	// against published values in md5_test.go.)
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: &u, MessageBody: aws.String("hello ☃"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind":   {DataType: aws.String("String"), StringValue: aws.String("greeting")},
			"weight": {DataType: aws.String("Number.float"), StringValue: aws.String("1.5")},
			"blob":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
		},
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(sent.MD5OfMessageSystemAttributes) == "" || aws.ToString(sent.MessageId) == "" {
		t.Fatalf("SendMessage: %+v", sent)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: &u, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 {
		t.Fatalf("received %d messages", len(got.Messages))
	}
	m := got.Messages[0]
	if aws.ToString(m.Body) != "hello ☃" || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || len(m.MessageAttributes) != 3 {
		t.Fatalf("message %+v", m)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SenderId"] != "123456789012" ||
		m.Attributes["AWSTraceHeader"] != "Root=1-5759e988-bd862e3fe1be46a994272793" || m.Attributes["SentTimestamp"] == "" ||
		m.Attributes["ApproximateFirstReceiveTimestamp"] == "" {
		t.Errorf("system attributes %v", m.Attributes)
	}
	// Within its visibility timeout the message is not received again.
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	if err != nil || len(again.Messages) != 0 {
		t.Fatalf("received again: %+v %v", again, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Fatalf("in flight: %v %v", attrs, err)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 50000})
	wantAPIError(t, err, "InvalidParameterValue", "Value 50000 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.")
	// A prefix selects message attributes.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	got, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MessageAttributeNames: []string{"we.*", "kind"}})
	if err != nil || len(got.Messages) != 1 || len(got.Messages[0].MessageAttributes) != 1 {
		t.Fatalf("receive with names: %+v %v", got, err)
	}
	if _, ok := got.Messages[0].MessageAttributes["kind"]; !ok {
		t.Fatalf("attributes %v", got.Messages[0].MessageAttributes)
	}
	// The first receive's handle was replaced by the second's: it
	// deletes nothing.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: aws.String("garbage")})
	wantAPIError(t, err, "ReceiptHandleIsInvalid", `The input receipt handle "garbage" is not a valid receipt handle.`)
	attrs, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("after delete: %v %v", attrs.Attributes, err)
	}

	// Bad messages get SQS's own errors.
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x"), DelaySeconds: 901})
	wantAPIError(t, err, "InvalidParameterValue", "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
		"n": {DataType: aws.String("Number"), StringValue: aws.String("abc")}}})
	wantAPIError(t, err, "InvalidParameterValue", "Could not cast message attribute 'n' value to number.")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("bad \x01")})
	wantAPIError(t, err, "InvalidMessageContents", "Invalid characters found.")
}

func TestBatchesAndDelay(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "batch", nil)

	_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("1")}, {Id: aws.String("a"), MessageBody: aws.String("2")}}})
	wantAPIError(t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated.")
	var entries []types.SendMessageBatchRequestEntry
	for i := range 11 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String("x")})
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: entries})
	wantAPIError(t, err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent 11.")

	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("now"), MessageBody: aws.String("now"), MessageAttributes: map[string]types.MessageAttributeValue{
			"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}},
		{Id: aws.String("later"), MessageBody: aws.String("later"), DelaySeconds: 600},
		{Id: aws.String("bad"), MessageBody: aws.String("bad"), DelaySeconds: 1000},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "bad" ||
		aws.ToString(out.Failed[0].Code) != "InvalidParameterValue" || !out.Failed[0].SenderFault {
		t.Fatalf("SendMessageBatch: %+v", out)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "1" || attrs.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Fatalf("counts: %v %v", attrs.Attributes, err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 10})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "now" {
		t.Fatalf("receive: %+v %v", got, err)
	}
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &u, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("ok"), ReceiptHandle: got.Messages[0].ReceiptHandle},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("nope")},
	}})
	if err != nil || len(del.Successful) != 1 || len(del.Failed) != 1 || aws.ToString(del.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("DeleteMessageBatch: %+v %v", del, err)
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 11})
	wantAPIError(t, err, "InvalidParameterValue", "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
}

// TestConsumerLoop is the loop users write: receive with a long poll,
// handle, delete the batch. A long poll returns as soon as a message is
// sent, not at the end of its wait.
func TestConsumerLoop(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "work", map[string]string{"ReceiveMessageWaitTimeSeconds": "20"})

	const n = 25
	go func() {
		time.Sleep(200 * time.Millisecond) // the consumer is waiting by now
		for i := range n {
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String(fmt.Sprint("job ", i))}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	seen := map[string]bool{}
	// Each receive waits up to the queue's 20 s; the test allows 15 s for
	// all of them, so a poll that slept its whole wait fails it.
	lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for len(seen) < n {
		out, err := c.ReceiveMessage(lctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("receive after %d messages: %v", len(seen), err)
		}
		var del []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			seen[aws.ToString(m.Body)] = true
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if len(del) == 0 {
			continue
		}
		res, err := c.DeleteMessageBatch(lctx, &sqs.DeleteMessageBatchInput{QueueUrl: &u, Entries: del})
		if err != nil || len(res.Failed) != 0 {
			t.Fatalf("delete: %+v %v", res, err)
		}
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("after the loop: %v %v", attrs.Attributes, err)
	}
}
