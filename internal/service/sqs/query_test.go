package sqs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// queryPost posts a signed query-protocol form to path and returns the
// status and body.
func queryPost(t *testing.T, s *servertest.Server, path string, form url.Values) (int, string) {
	t.Helper()
	ctx := context.Background()
	form.Set("Version", "2012-11-05")
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := s.RootConfig().Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sqs", s.Region(), time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

type receiveResponse struct {
	Messages []struct {
		MessageId              string
		ReceiptHandle          string
		MD5OfBody              string
		Body                   string
		MD5OfMessageAttributes string
		Attributes             []struct{ Name, Value string } `xml:"Attribute"`
		MessageAttributes      []struct {
			Name  string
			Value struct{ DataType, StringValue, BinaryValue string }
		} `xml:"MessageAttribute"`
	} `xml:"ReceiveMessageResult>Message"`
}

// TestQueryProtocol speaks the query protocol as the AWS CLI does: the
// same queue and messages as the JSON protocol, XML answers in SQS's
// namespace with flattened lists and maps, and the query error codes.
func TestQueryProtocol(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()

	st, body := queryPost(t, s, "/", url.Values{"Action": {"CreateQueue"}, "QueueName": {"q"},
		"Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {"40"}, "Tag.1.Key": {"team"}, "Tag.1.Value": {"a"}})
	want := `<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>` + s.Endpoint() + `/123456789012/q</QueueUrl></CreateQueueResult>`
	if st != 200 || !strings.HasPrefix(body, want) {
		t.Fatalf("CreateQueue: %d %s", st, body)
	}
	u := s.Endpoint() + "/123456789012/q"

	st, body = queryPost(t, s, "/", url.Values{"Action": {"SendMessage"}, "QueueUrl": {u}, "MessageBody": {"hi <there>"},
		"MessageAttribute.1.Name": {"color"}, "MessageAttribute.1.Value.DataType": {"String"}, "MessageAttribute.1.Value.StringValue": {"red"},
		"MessageAttribute.2.Name": {"raw"}, "MessageAttribute.2.Value.DataType": {"Binary"}, "MessageAttribute.2.Value.BinaryValue": {"AAEC"}})
	if st != 200 || !strings.Contains(body, "<MD5OfMessageBody>") || !strings.Contains(body, "<MessageId>") {
		t.Fatalf("SendMessage: %d %s", st, body)
	}
	// The same message through the JSON protocol has the digest the SDK
	// checks: the query answer's must be the same.
	c := client(s)
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("hi <there>"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"color": {DataType: aws.String("String"), StringValue: aws.String("red")},
			"raw":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "<MD5OfMessageAttributes>"+aws.ToString(sent.MD5OfMessageAttributes)+"</MD5OfMessageAttributes>") {
		t.Fatalf("query MD5OfMessageAttributes differs from %s: %s", aws.ToString(sent.MD5OfMessageAttributes), body)
	}

	// A request posted to the queue's URL names the queue by its path.
	st, body = queryPost(t, s, "/123456789012/q", url.Values{"Action": {"ReceiveMessage"}, "MaxNumberOfMessages": {"10"},
		"AttributeName.1": {"All"}, "MessageAttributeName.1": {"All"}})
	var rr receiveResponse
	if err := xml.Unmarshal([]byte(body), &rr); st != 200 || err != nil || len(rr.Messages) != 2 {
		t.Fatalf("ReceiveMessage: %d %v %s", st, err, body)
	}
	m := rr.Messages[0]
	if m.Body != "hi <there>" || len(m.MessageAttributes) != 2 || m.MessageAttributes[0].Name != "color" ||
		m.MessageAttributes[1].Value.BinaryValue != "AAEC" || m.MD5OfMessageAttributes != aws.ToString(sent.MD5OfMessageAttributes) {
		t.Fatalf("message %+v", m)
	}
	found := false
	for _, a := range m.Attributes {
		found = found || a.Name == "ApproximateReceiveCount" && a.Value == "1"
	}
	if !found {
		t.Fatalf("attributes %+v", m.Attributes)
	}
	st, body = queryPost(t, s, "/", url.Values{"Action": {"DeleteMessageBatch"}, "QueueUrl": {u},
		"DeleteMessageBatchRequestEntry.1.Id": {"a"}, "DeleteMessageBatchRequestEntry.1.ReceiptHandle": {m.ReceiptHandle},
		"DeleteMessageBatchRequestEntry.2.Id": {"b"}, "DeleteMessageBatchRequestEntry.2.ReceiptHandle": {rr.Messages[1].ReceiptHandle}})
	if st != 200 || strings.Count(body, "<DeleteMessageBatchResultEntry><Id>") != 2 {
		t.Fatalf("DeleteMessageBatch: %d %s", st, body)
	}

	st, body = queryPost(t, s, "/", url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {u}, "AttributeName.1": {"VisibilityTimeout"}})
	if st != 200 || !strings.Contains(body, "<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>") {
		t.Fatalf("GetQueueAttributes: %d %s", st, body)
	}
	st, body = queryPost(t, s, "/", url.Values{"Action": {"ListQueueTags"}, "QueueUrl": {u}})
	if st != 200 || !strings.Contains(body, "<Tag><Key>team</Key><Value>a</Value></Tag>") {
		t.Fatalf("ListQueueTags: %d %s", st, body)
	}
	st, body = queryPost(t, s, "/", url.Values{"Action": {"ListQueues"}})
	if st != 200 || !strings.Contains(body, "<ListQueuesResult><QueueUrl>"+u+"</QueueUrl></ListQueuesResult>") {
		t.Fatalf("ListQueues: %d %s", st, body)
	}

	st, body = queryPost(t, s, "/", url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"missing"}})
	if st != 400 || !strings.Contains(body, "<Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist.</Message>") ||
		!strings.Contains(body, `<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>`) {
		t.Fatalf("GetQueueUrl of a missing queue: %d %s", st, body)
	}
	st, body = queryPost(t, s, "/", url.Values{"Action": {"ChangeMessageVisibility"}, "QueueUrl": {u}, "ReceiptHandle": {m.ReceiptHandle}, "VisibilityTimeout": {"50000"}})
	if st != 400 || !strings.Contains(body, "<Code>InvalidParameterValue</Code><Message>Value 50000 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.</Message>") {
		t.Fatalf("ChangeMessageVisibility: %d %s", st, body)
	}
}
