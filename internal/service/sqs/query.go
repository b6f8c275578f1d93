package sqs

// The query protocol's forms of SQS's inputs and outputs. SQS's lists and
// maps are flattened: a list is Name.1, Name.2, ... (AttributeName.1); a
// map is Name.N.Name and Name.N.Value (Attribute.1.Name), tags
// Tag.N.Key and Tag.N.Value; a list of structures is
// SendMessageBatchRequestEntry.N.Field. Answers are the same, as XML
// elements repeated under the singular name.

import (
	"encoding/base64"
	"encoding/xml"
	"maps"
	"net/url"
	"slices"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
)

// form reads flattened query parameters under a prefix.
type form struct {
	p      url.Values
	prefix string
}

func (f form) has(name string) bool { _, ok := f.p[f.prefix+name]; return ok }

func (f form) str(name string) string { return f.p.Get(f.prefix + name) }

// strp returns a pointer to the value of name, nil when it is absent.
func (f form) strp(name string) *string {
	if !f.has(name) {
		return nil
	}
	s := f.str(name)
	return &s
}

// int32p returns the integer value of name, nil when it is absent.
func (f form) int32p(name string) (*int32, error) {
	if !f.has(name) {
		return nil, nil
	}
	s := f.str(name)
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, invalidParameter("Value %s for parameter %s is invalid. Reason: Must be an integer.", s, name)
	}
	v := int32(n)
	return &v, nil
}

// item returns the form of the nth item of a flattened list of
// structures, and whether it is present.
func (f form) item(name string, n int) (form, bool) {
	sub := form{p: f.p, prefix: f.prefix + name + "." + strconv.Itoa(n) + "."}
	for k := range f.p {
		if len(k) > len(sub.prefix) && k[:len(sub.prefix)] == sub.prefix {
			return sub, true
		}
	}
	return sub, false
}

// list returns the flattened list name.1, name.2, ...
func (f form) list(name string) []string {
	var out []string
	for n := 1; ; n++ {
		k := f.prefix + name + "." + strconv.Itoa(n)
		if _, ok := f.p[k]; !ok {
			return out
		}
		out = append(out, f.p.Get(k))
	}
}

// strMap returns the flattened map name.N.<key>, name.N.<value>.
func (f form) strMap(name, key, value string) map[string]string {
	var m map[string]string
	for n := 1; ; n++ {
		it, ok := f.item(name, n)
		if !ok {
			return m
		}
		if m == nil {
			m = map[string]string{}
		}
		m[it.str(key)] = it.str(value)
	}
}

// messageAttributes returns the flattened message attributes name.N.Name,
// name.N.Value.DataType, ...
func (f form) messageAttributes(name string) (MessageAttributes, error) {
	var m MessageAttributes
	for n := 1; ; n++ {
		it, ok := f.item(name, n)
		if !ok {
			return m, nil
		}
		v := form{p: f.p, prefix: it.prefix + "Value."}
		a := MessageAttributeValue{DataType: v.str("DataType"), StringValue: v.strp("StringValue")}
		if v.has("BinaryValue") {
			b, err := base64.StdEncoding.DecodeString(v.str("BinaryValue"))
			if err != nil {
				return nil, invalidParameter("The message attribute '%s' has an invalid binary value.", it.str("Name"))
			}
			a.BinaryValue = b
		}
		if m == nil {
			m = MessageAttributes{}
		}
		m[it.str("Name")] = a
	}
}

// decodeQuery decodes query parameters into the input v.
func decodeQuery(p url.Values, v any) error {
	f := form{p: p}
	var err error
	switch in := v.(type) {
	case *createQueueInput:
		in.QueueName = f.str("QueueName")
		in.Attributes = f.strMap("Attribute", "Name", "Value")
		in.Tags = f.strMap("Tag", "Key", "Value")
	case *getQueueURLInput:
		in.QueueName, in.QueueOwnerAWSAccountId = f.str("QueueName"), f.str("QueueOwnerAWSAccountId")
	case *listQueuesInput:
		in.QueueNamePrefix, in.NextToken = f.str("QueueNamePrefix"), f.str("NextToken")
		in.MaxResults, err = f.int32p("MaxResults")
	case *listDeadLetterSourceQueuesInput:
		in.QueueUrl, in.NextToken = f.str("QueueUrl"), f.str("NextToken")
		in.MaxResults, err = f.int32p("MaxResults")
	case *queueInput:
		in.QueueUrl = f.str("QueueUrl")
	case *addPermissionInput:
		in.QueueUrl, in.Label = f.str("QueueUrl"), f.str("Label")
		in.AWSAccountIds, in.Actions = f.list("AWSAccountId"), f.list("ActionName")
	case *removePermissionInput:
		in.QueueUrl, in.Label = f.str("QueueUrl"), f.str("Label")
	case *GetQueueAttributesInput:
		in.QueueUrl, in.AttributeNames = f.str("QueueUrl"), f.list("AttributeName")
	case *setQueueAttributesInput:
		in.QueueUrl, in.Attributes = f.str("QueueUrl"), f.strMap("Attribute", "Name", "Value")
	case *tagQueueInput:
		in.QueueUrl, in.Tags = f.str("QueueUrl"), f.strMap("Tag", "Key", "Value")
	case *untagQueueInput:
		in.QueueUrl, in.TagKeys = f.str("QueueUrl"), f.list("TagKey")
	case *SendMessageInput:
		in.QueueUrl = f.str("QueueUrl")
		var e SendMessageBatchRequestEntry
		if err = e.fromForm(f); err == nil {
			in.MessageBody, in.DelaySeconds, in.MessageAttributes = e.MessageBody, e.DelaySeconds, e.MessageAttributes
			in.MessageSystemAttributes, in.MessageDeduplicationId, in.MessageGroupId = e.MessageSystemAttributes, e.MessageDeduplicationId, e.MessageGroupId
		}
	case *SendMessageBatchInput:
		in.QueueUrl = f.str("QueueUrl")
		for n := 1; err == nil; n++ {
			it, ok := f.item("SendMessageBatchRequestEntry", n)
			if !ok {
				break
			}
			var e SendMessageBatchRequestEntry
			err = e.fromForm(it)
			in.Entries = append(in.Entries, e)
		}
	case *ReceiveMessageInput:
		in.QueueUrl, in.ReceiveRequestAttemptId = f.str("QueueUrl"), f.str("ReceiveRequestAttemptId")
		in.AttributeNames = f.list("AttributeName")
		in.MessageSystemAttributeNames = f.list("MessageSystemAttributeName")
		in.MessageAttributeNames = f.list("MessageAttributeName")
		if in.MaxNumberOfMessages, err = f.int32p("MaxNumberOfMessages"); err != nil {
			return err
		}
		if in.VisibilityTimeout, err = f.int32p("VisibilityTimeout"); err != nil {
			return err
		}
		in.WaitTimeSeconds, err = f.int32p("WaitTimeSeconds")
	case *DeleteMessageInput:
		in.QueueUrl, in.ReceiptHandle = f.str("QueueUrl"), f.str("ReceiptHandle")
	case *DeleteMessageBatchInput:
		in.QueueUrl = f.str("QueueUrl")
		for n := 1; ; n++ {
			it, ok := f.item("DeleteMessageBatchRequestEntry", n)
			if !ok {
				break
			}
			in.Entries = append(in.Entries, DeleteMessageBatchRequestEntry{Id: it.str("Id"), ReceiptHandle: it.str("ReceiptHandle")})
		}
	case *ChangeMessageVisibilityInput:
		in.QueueUrl, in.ReceiptHandle = f.str("QueueUrl"), f.str("ReceiptHandle")
		in.VisibilityTimeout, err = f.int32p("VisibilityTimeout")
	case *ChangeMessageVisibilityBatchInput:
		in.QueueUrl = f.str("QueueUrl")
		for n := 1; err == nil; n++ {
			it, ok := f.item("ChangeMessageVisibilityBatchRequestEntry", n)
			if !ok {
				break
			}
			e := ChangeMessageVisibilityBatchRequestEntry{Id: it.str("Id"), ReceiptHandle: it.str("ReceiptHandle")}
			e.VisibilityTimeout, err = it.int32p("VisibilityTimeout")
			in.Entries = append(in.Entries, e)
		}
	default:
		return api.InternalFailure(nil)
	}
	return err
}

func (e *SendMessageBatchRequestEntry) fromForm(f form) error {
	var err error
	e.Id, e.MessageBody = f.str("Id"), f.str("MessageBody")
	e.MessageDeduplicationId, e.MessageGroupId = f.str("MessageDeduplicationId"), f.str("MessageGroupId")
	if e.DelaySeconds, err = f.int32p("DelaySeconds"); err != nil {
		return err
	}
	if e.MessageAttributes, err = f.messageAttributes("MessageAttribute"); err != nil {
		return err
	}
	e.MessageSystemAttributes, err = f.messageAttributes("MessageSystemAttribute")
	return err
}

// MarshalXML writes the attributes as the query protocol's flattened map:
// one <start><Name/><Value/></start> per attribute, in name order.
func (a Attributes) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalMap(e, start, a, "Name", "Value")
}

// MarshalXML writes the tags as the query protocol's flattened map: one
// <start><Key/><Value/></start> per tag, in key order.
func (t Tags) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalMap(e, start, t, "Key", "Value")
}

func marshalMap(e *xml.Encoder, start xml.StartElement, m map[string]string, key, value string) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := e.EncodeToken(start); err != nil {
			return err
		}
		if err := e.EncodeElement(k, xml.StartElement{Name: xml.Name{Local: key}}); err != nil {
			return err
		}
		if err := e.EncodeElement(m[k], xml.StartElement{Name: xml.Name{Local: value}}); err != nil {
			return err
		}
		if err := e.EncodeToken(start.End()); err != nil {
			return err
		}
	}
	return nil
}

// xmlAttributeValue is a message attribute value as the query protocol
// writes it: binary values in base64.
type xmlAttributeValue struct {
	StringValue *string `xml:"StringValue,omitempty"`
	BinaryValue string  `xml:"BinaryValue,omitempty"`
	DataType    string  `xml:"DataType"`
}

// MarshalXML writes the message attributes as the query protocol's
// flattened map: <start><Name/><Value>...</Value></start> per attribute.
func (m MessageAttributes) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		a := m[k]
		entry := struct {
			Name  string            `xml:"Name"`
			Value xmlAttributeValue `xml:"Value"`
		}{Name: k, Value: xmlAttributeValue{StringValue: a.StringValue, DataType: a.DataType}}
		if a.BinaryValue != nil {
			entry.Value.BinaryValue = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		if err := e.EncodeElement(entry, start); err != nil {
			return err
		}
	}
	return nil
}
