package esm

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/service/sqs"
)

func TestSQSRecordShape(t *testing.T) {
	q, err := parseSQSQueue("arn:aws:sqs:us-east-2:123456789012:my-queue")
	if err != nil {
		t.Fatal(err)
	}
	if q.URL != "https://sqs.us-east-2.amazonaws.com/123456789012/my-queue" || q.fifo() {
		t.Fatalf("queue = %+v", q)
	}
	s := "myValue"
	m := sqs.Message{
		MessageId: "059f36b4", ReceiptHandle: "AQEB", Body: "Test message.", MD5OfBody: "e4e68fb7",
		Attributes: sqs.Attributes{
			"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183", "SenderId": "AIDAIENQZJOLO23YVJ4VO",
			"ApproximateFirstReceiveTimestamp": "1545082649185",
		},
		MessageAttributes:      sqs.MessageAttributes{"myAttribute": {DataType: "String", StringValue: &s}, "bin": {DataType: "Binary", BinaryValue: []byte("hi")}},
		MD5OfMessageAttributes: "abc",
	}
	got, err := json.Marshal(sqsRecordOf(q, m))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"messageId":"059f36b4","receiptHandle":"AQEB","body":"Test message.",` +
		`"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"},` +
		`"messageAttributes":{"bin":{"binaryValue":"aGk=","stringListValues":[],"binaryListValues":[],"dataType":"Binary"},` +
		`"myAttribute":{"stringValue":"myValue","stringListValues":[],"binaryListValues":[],"dataType":"String"}},` +
		`"md5OfMessageAttributes":"abc","md5OfBody":"e4e68fb7","eventSource":"aws:sqs",` +
		`"eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:my-queue","awsRegion":"us-east-2"}`
	if string(got) != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}

	// A FIFO message without attributes: the FIFO attributes in AWS's
	// order, messageAttributes {} and md5OfMessageAttributes null.
	fq, err := parseSQSQueue("arn:aws:sqs:us-east-2:123456789012:fifo.fifo")
	if err != nil {
		t.Fatal(err)
	}
	m = sqs.Message{MessageId: "11d6", ReceiptHandle: "AQEBBX", Body: "Test message.", MD5OfBody: "e4e6",
		Attributes: sqs.Attributes{
			"ApproximateReceiveCount": "1", "SentTimestamp": "1573251510774", "SequenceNumber": "18849496460467696128",
			"MessageGroupId": "1", "SenderId": "AIDAIO23YVJENQZJOL4VO", "MessageDeduplicationId": "1",
			"ApproximateFirstReceiveTimestamp": "1573251510774",
		}}
	got, err = json.Marshal(sqsRecordOf(fq, m))
	if err != nil {
		t.Fatal(err)
	}
	want = `{"messageId":"11d6","receiptHandle":"AQEBBX","body":"Test message.",` +
		`"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1573251510774","SequenceNumber":"18849496460467696128",` +
		`"MessageGroupId":"1","SenderId":"AIDAIO23YVJENQZJOL4VO","MessageDeduplicationId":"1","ApproximateFirstReceiveTimestamp":"1573251510774"},` +
		`"messageAttributes":{},"md5OfMessageAttributes":null,"md5OfBody":"e4e6","eventSource":"aws:sqs",` +
		`"eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:fifo.fifo","awsRegion":"us-east-2"}`
	if string(got) != want {
		t.Errorf("FIFO record\n got %s\nwant %s", got, want)
	}
	if !fq.fifo() {
		t.Error("fifo() = false for a .fifo queue")
	}
	for _, bad := range []string{"", "arn:aws:sqs:us-east-1:123456789012", "arn:aws:kinesis:us-east-1:123456789012:s", "arn:aws:sqs::123456789012:q"} {
		if _, err := parseSQSQueue(bad); err == nil {
			t.Errorf("parseSQSQueue(%q) succeeded", bad)
		}
	}
}

func TestBatchItemFailures(t *testing.T) {
	inBatch := func(id string) bool { return id == "a" || id == "b" }
	for _, c := range []struct {
		payload string
		failed  []string
		ok      bool
	}{
		{``, nil, true},
		{`null`, nil, true},
		{`{}`, nil, true},
		{`{"batchItemFailures":null}`, nil, true},
		{`{"batchItemFailures":[]}`, nil, true},
		{`{"batchItemFailures":[{"itemIdentifier":"b"}]}`, []string{"b"}, true},
		{`{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"b"}]}`, []string{"a", "b"}, true},
		{`{"batchItemFailures":[{"itemIdentifier":""}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":null}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifer":"a"}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":"zz"}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":7}]}`, nil, false},
		{`{"batchItemFailures":[null]}`, nil, false},
		{`{"batchItemFailures":"a"}`, nil, false},
		{`"done"`, nil, false},
		{`not json`, nil, false},
	} {
		failed, ok := batchItemFailures([]byte(c.payload), inBatch)
		if ok != c.ok || !slices.Equal(failed, c.failed) {
			t.Errorf("batchItemFailures(%s) = %v, %v; want %v, %v", c.payload, failed, ok, c.failed, c.ok)
		}
	}
}

func TestSucceededKeepsFIFOGroupsInOrder(t *testing.T) {
	msg := func(id, group string) sqsPending {
		return sqsPending{msg: sqs.Message{MessageId: id, Attributes: sqs.Attributes{"MessageGroupId": group}}}
	}
	batch := []sqsPending{msg("1", "g"), msg("2", "h"), msg("3", "g"), msg("4", "g"), msg("5", "h")}
	failed := map[string]bool{"3": true}
	ids := func(ms []sqs.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.MessageId)
		}
		return out
	}
	if got := ids(succeeded(batch, failed, true)); !slices.Equal(got, []string{"1", "2", "5"}) {
		t.Errorf("FIFO succeeded = %v, want [1 2 5]", got)
	}
	if got := ids(succeeded(batch, failed, false)); !slices.Equal(got, []string{"1", "2", "4", "5"}) {
		t.Errorf("standard succeeded = %v, want [1 2 4 5]", got)
	}
	if got := ids(succeeded(batch, nil, true)); len(got) != 5 {
		t.Errorf("no failures: succeeded = %v", got)
	}
}
