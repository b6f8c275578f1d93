package esm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/service/sqs"
)

// The event Lambda sends a function for a batch of SQS messages, member
// by member in the order AWS's events have them ("Example standard queue
// message event" and "Example FIFO queue message event" in the Lambda
// Developer Guide, and events recorded from AWS):
//
//	{"Records":[{"messageId","receiptHandle","body","attributes":{...},
//	  "messageAttributes":{...},"md5OfMessageAttributes","md5OfBody",
//	  "eventSource":"aws:sqs","eventSourceARN","awsRegion"}]}
//
// md5OfMessageAttributes is null for a message without attributes.

// sqsEventRecord is one message of the event.
type sqsEventRecord struct {
	MessageID              string                         `json:"messageId"`
	ReceiptHandle          string                         `json:"receiptHandle"`
	Body                   string                         `json:"body"`
	Attributes             sqsEventAttributes             `json:"attributes"`
	MessageAttributes      map[string]sqsMessageAttribute `json:"messageAttributes"`
	MD5OfMessageAttributes *string                        `json:"md5OfMessageAttributes"`
	MD5OfBody              string                         `json:"md5OfBody"`
	EventSource            string                         `json:"eventSource"`
	EventSourceARN         string                         `json:"eventSourceARN"`
	AWSRegion              string                         `json:"awsRegion"`
}

// sqsEventAttributes are the message's system attributes; the FIFO ones
// (SequenceNumber, MessageGroupId, MessageDeduplicationId) only for a
// FIFO queue's message.
type sqsEventAttributes struct {
	ApproximateReceiveCount          string `json:"ApproximateReceiveCount"`
	AWSTraceHeader                   string `json:"AWSTraceHeader,omitempty"`
	SentTimestamp                    string `json:"SentTimestamp"`
	SequenceNumber                   string `json:"SequenceNumber,omitempty"`
	MessageGroupID                   string `json:"MessageGroupId,omitempty"`
	SenderID                         string `json:"SenderId"`
	MessageDeduplicationID           string `json:"MessageDeduplicationId,omitempty"`
	ApproximateFirstReceiveTimestamp string `json:"ApproximateFirstReceiveTimestamp"`
	DeadLetterQueueSourceArn         string `json:"DeadLetterQueueSourceArn,omitempty"`
}

// sqsMessageAttribute is a message attribute as the event has it: binary
// values in base64, both lists always present.
type sqsMessageAttribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// sqsRecordOf is the event record of a received message of q.
func sqsRecordOf(q sqsQueue, m sqs.Message) sqsEventRecord {
	a := m.Attributes
	r := sqsEventRecord{
		MessageID:     m.MessageId,
		ReceiptHandle: m.ReceiptHandle,
		Body:          m.Body,
		Attributes: sqsEventAttributes{
			ApproximateReceiveCount:          a["ApproximateReceiveCount"],
			AWSTraceHeader:                   a["AWSTraceHeader"],
			SentTimestamp:                    a["SentTimestamp"],
			SequenceNumber:                   a["SequenceNumber"],
			MessageGroupID:                   a["MessageGroupId"],
			SenderID:                         a["SenderId"],
			MessageDeduplicationID:           a["MessageDeduplicationId"],
			ApproximateFirstReceiveTimestamp: a["ApproximateFirstReceiveTimestamp"],
			DeadLetterQueueSourceArn:         a["DeadLetterQueueSourceArn"],
		},
		MessageAttributes: map[string]sqsMessageAttribute{},
		MD5OfBody:         m.MD5OfBody,
		EventSource:       "aws:sqs",
		EventSourceARN:    q.ARN,
		AWSRegion:         q.Region,
	}
	for name, v := range m.MessageAttributes {
		ma := sqsMessageAttribute{
			StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: v.DataType,
			StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues,
		}
		if ma.StringListValues == nil {
			ma.StringListValues = []string{}
		}
		if ma.BinaryListValues == nil {
			ma.BinaryListValues = [][]byte{}
		}
		r.MessageAttributes[name] = ma
	}
	if len(m.MessageAttributes) > 0 && m.MD5OfMessageAttributes != "" {
		md5 := m.MD5OfMessageAttributes
		r.MD5OfMessageAttributes = &md5
	}
	return r
}

// sqsRecordJSON is the event record of a received message of q, encoded
// as Lambda's events are: '<', '>' and '&' as they are, not as \u003c
// and the like, which would make a record of markup up to six times
// larger than the message and unable to fit the invocation limit.
func sqsRecordJSON(q sqsQueue, m sqs.Message) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sqsRecordOf(q, m)); err != nil {
		return nil, fmt.Errorf("esm: sqs: encode record: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// sqsPayload is the invocation payload of records, each already encoded
// (sqsRecordJSON) and copied as it is.
func sqsPayload(records []json.RawMessage) []byte {
	b := make([]byte, 0, sqsEventOverhead+len(records))
	b = append(b, `{"Records":[`...)
	for i, r := range records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, "]}"...)
}

// sqsEventOverhead is the size of the event around its records:
// {"Records":[]}.
const sqsEventOverhead = len(`{"Records":[]}`)

// batchItemFailures reads the answer of a function that reports batch
// item failures ({"batchItemFailures":[{"itemIdentifier":"<messageId>"}]})
// and returns the identifiers that failed. ok is false when Lambda treats
// the answer as a failure of the whole batch: not JSON, not an object, a
// batchItemFailures that is not a list, an item whose itemIdentifier is
// missing, null, empty, not a string or not a message of the batch. A
// null or empty answer, and a null or empty list, mean every message
// succeeded ("Implementing partial batch responses", Lambda Developer
// Guide: success and failure conditions).
func batchItemFailures(payload []byte, inBatch func(id string) bool) (failed []string, ok bool) {
	p := strings.TrimSpace(string(payload))
	if p == "" || p == "null" {
		return nil, true
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p), &resp); err != nil {
		return nil, false
	}
	raw, has := resp["batchItemFailures"]
	if !has || strings.TrimSpace(string(raw)) == "null" {
		return nil, true
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, false
	}
	for _, it := range items {
		var id string
		v, has := it["itemIdentifier"]
		if !has || json.Unmarshal(v, &id) != nil || id == "" || !inBatch(id) {
			return nil, false
		}
		failed = append(failed, id)
	}
	return failed, true
}
