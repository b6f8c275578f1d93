package sqs

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// meta is what a stored message keeps besides its body.
type meta struct {
	Attrs  MessageAttributes `json:"a,omitempty"`
	Sys    MessageAttributes `json:"s,omitempty"`
	Sender string            `json:"p,omitempty"`
	Dedup  string            `json:"d,omitempty"`
	// Group is the MessageGroupId of a standard queue's message (a FIFO
	// queue's is the queue's own).
	Group string `json:"g,omitempty"`
	// Source is the queue a dead-letter move took the message from.
	Source string `json:"src,omitempty"`
}

// maxBatch bounds the entries of a batch request.
const maxBatch = 10

// maxBatchBytes bounds the total size of a SendMessageBatch's messages,
// whatever the queue's MaximumMessageSize ("the maximum total payload
// size ... 1 MiB", SendMessageBatch).
const maxBatchBytes = 1 << 20

// sendRequest is one message to send, checked.
type sendRequest struct {
	id    string // batch entry id
	entry queue.Entry
	out   SendMessageOutput
}

// checkMessage checks one message for the queue rec and returns what to
// put, with the digests of its answer.
func (s *SQS) checkMessage(c *api.Call, rec *queueRecord, e *SendMessageBatchRequestEntry) (*sendRequest, *api.Error) {
	if e.MessageBody == "" {
		return nil, missingParameter("MessageBody")
	}
	if !validBody(e.MessageBody) {
		return nil, sqsError(400, "InvalidMessageContents",
			"Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	size := len(e.MessageBody)
	n, aerr := checkAttributes(e.MessageAttributes)
	if aerr != nil {
		return nil, aerr
	}
	size += n
	if max := rec.int("MaximumMessageSize"); size > max {
		return nil, invalidParameter("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", max)
	}
	for name, a := range e.MessageSystemAttributes {
		if name != "AWSTraceHeader" {
			return nil, invalidParameter("Message system attribute name '%s' is invalid.", name)
		}
		if a.DataType != "String" || a.StringValue == nil || *a.StringValue == "" {
			return nil, invalidParameter("Message system attribute '%s' must contain a non-empty value of message system attribute type 'String'.", name)
		}
	}
	r := &sendRequest{id: e.Id}
	if e.DelaySeconds != nil {
		d := *e.DelaySeconds
		if rec.fifo() {
			return nil, invalidValue("DelaySeconds", d, "The request include parameter that is not valid for this queue type.")
		}
		if d < 0 || d > 900 {
			return nil, invalidValue("DelaySeconds", d, "DelaySeconds must be >= 0 and <= 900.")
		}
		r.entry.Delay = time.Duration(d) * time.Second
	} else {
		r.entry.Delay = rec.seconds("DelaySeconds")
	}
	m := meta{Attrs: e.MessageAttributes, Sys: e.MessageSystemAttributes, Sender: senderID(c.Principal)}
	if rec.fifo() {
		if e.MessageGroupId == "" {
			return nil, missingParameter("MessageGroupId")
		}
		if !validToken(e.MessageGroupId) {
			return nil, invalidValue("MessageGroupId", e.MessageGroupId, "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
		dedup := e.MessageDeduplicationId
		switch {
		case dedup != "" && !validToken(dedup):
			return nil, invalidValue("MessageDeduplicationId", dedup, "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		case dedup == "" && rec.Attrs["ContentBasedDeduplication"] != "true":
			return nil, invalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		case dedup == "":
			sum := sha256.Sum256([]byte(e.MessageBody))
			dedup = hex.EncodeToString(sum[:])
		}
		m.Dedup = dedup
		r.entry.DedupID = dedup
		if rec.Attrs["DeduplicationScope"] == "messageGroup" {
			r.entry.DedupID = e.MessageGroupId + "\x00" + dedup
		}
		r.entry.Group = e.MessageGroupId
	} else if e.MessageDeduplicationId != "" {
		return nil, invalidValue("MessageDeduplicationId", e.MessageDeduplicationId, "The request include parameter that is not valid for this queue type.")
	} else if e.MessageGroupId != "" {
		// A standard queue keeps the group of a fair queue's message and
		// reports it; it orders nothing.
		if !validToken(e.MessageGroupId) {
			return nil, invalidValue("MessageGroupId", e.MessageGroupId, "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
		m.Group = e.MessageGroupId
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, api.InternalFailure(err)
	}
	r.entry.Body, r.entry.Meta = []byte(e.MessageBody), b
	r.out = SendMessageOutput{
		MD5OfMessageBody:             md5Hex(e.MessageBody),
		MD5OfMessageAttributes:       md5OfAttributes(e.MessageAttributes),
		MD5OfMessageSystemAttributes: md5OfAttributes(e.MessageSystemAttributes),
	}
	return r, nil
}

// validBody reports whether every character of a body is one SQS takes.
func validBody(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// validToken reports whether s is a group or deduplication id: 1 to 128
// alphanumeric and punctuation characters.
func validToken(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

// checkAttributes checks message attributes and returns the bytes they
// count toward the message size.
func checkAttributes(attrs MessageAttributes) (int, *api.Error) {
	if len(attrs) > 10 {
		return 0, invalidParameter("Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	size := 0
	for name, a := range attrs {
		if !validAttributeName(name) {
			return 0, invalidParameter("Message (user) attribute name '%s' is invalid.", name)
		}
		if a.DataType == "" {
			return 0, invalidParameter("The message attribute '%s' must contain a non-empty attribute type.", name)
		}
		if len(a.StringListValues) > 0 || len(a.BinaryListValues) > 0 {
			return 0, invalidParameter("Message attribute list values in SendMessage operation are not supported.")
		}
		base, _, _ := strings.Cut(a.DataType, ".")
		switch base {
		case "String", "Number":
			if a.StringValue == nil || *a.StringValue == "" {
				return 0, invalidParameter("The message attribute '%s' must contain a non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
			}
			if base == "Number" && !isNumber(*a.StringValue) {
				return 0, invalidParameter("Could not cast message attribute '%s' value to number.", name)
			}
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return 0, invalidParameter("The message attribute '%s' must contain a non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
			}
		default:
			return 0, invalidParameter("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		// Every value given counts: one the type does not use is kept
		// and handed back too.
		size += len(name) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			size += len(*a.StringValue)
		}
	}
	return size, nil
}

func validAttributeName(name string) bool {
	if name == "" || len(name) > 256 || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, "..") {
		return false
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// isNumber reports whether s is a number SQS takes: an optional sign,
// digits with at most one decimal point, an optional exponent.
func isNumber(s string) bool {
	s = strings.TrimLeft(s, "+-")
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if hasExp {
		exp = strings.TrimLeft(exp, "+-")
		if exp == "" || strings.Trim(exp, "0123456789") != "" {
			return false
		}
	}
	ip, fp, _ := strings.Cut(mant, ".")
	return ip+fp != "" && strings.Trim(ip+fp, "0123456789") == ""
}

// senderID is the SenderId a principal's messages carry.
func senderID(p *api.Principal) string {
	if p == nil {
		return ""
	}
	switch p.Type {
	case api.Root:
		return p.Account
	case api.AWSService:
		return p.ARN
	}
	if p.PrincipalID != "" {
		return p.PrincipalID
	}
	return p.Account
}

// sequenceNumber is a FIFO message's SequenceNumber: 20 digits.
func sequenceNumber(seq int64) string {
	if seq == 0 {
		return ""
	}
	return fmt.Sprintf("1%019d", seq)
}

// put sends the checked messages in one transaction.
func (s *SQS) put(c *api.Call, rec *queueRecord, reqs []*sendRequest) error {
	q := s.messages(rec)
	_, err := s.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		cur, err := readQueue(c.Context, tx, rec.ref())
		if err != nil {
			return err
		}
		if cur == nil || cur.ID != rec.ID {
			return errNoQueue
		}
		for _, r := range reqs {
			p, err := q.Put(c.Context, tx, r.entry)
			if err != nil {
				return err
			}
			r.out.MessageId, r.out.SequenceNumber = p.ID, sequenceNumber(p.Seq)
		}
		return nil
	})
	if err != nil {
		return handlerError("send message", err)
	}
	s.waits.notify(queue.Table("sqs_" + rec.ID))
	return nil
}

// target is the queue a message operation names, existing.
func (s *SQS) target(c *api.Call, rawURL string) (*queueState, error) {
	ref, err := parseQueueURL(c, rawURL)
	if err != nil {
		return nil, err
	}
	return s.existing(c.Context, ref)
}

func (s *SQS) sendMessage(c *api.Call) (any, error) {
	var in SendMessageInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	c.Trail.RequestParameters = sendParameters(in.QueueUrl, nil)
	st, err := s.target(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	r, aerr := s.checkMessage(c, st.rec, &SendMessageBatchRequestEntry{
		MessageBody: in.MessageBody, DelaySeconds: in.DelaySeconds, MessageAttributes: in.MessageAttributes,
		MessageSystemAttributes: in.MessageSystemAttributes, MessageDeduplicationId: in.MessageDeduplicationId,
		MessageGroupId: in.MessageGroupId,
	})
	if aerr != nil {
		return nil, aerr
	}
	if err := s.put(c, st.rec, []*sendRequest{r}); err != nil {
		return nil, err
	}
	return &r.out, nil
}

// sendParameters is what the trail records of a send: never the bodies
// or attribute values.
func sendParameters(queueURL string, ids []string) map[string]any {
	m := map[string]any{"queueUrl": queueURL}
	if ids != nil {
		entries := make([]any, len(ids))
		for i, id := range ids {
			entries[i] = map[string]any{"id": id}
		}
		m["entries"] = entries
	}
	return m
}

// checkBatch checks the entry ids of a batch request.
func checkBatch(kind string, ids []string) error {
	if len(ids) == 0 {
		return batchError("EmptyBatchRequest", "There should be at least one %s in the request.", kind)
	}
	if len(ids) > maxBatch {
		return batchError("TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %d.", maxBatch, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !validEntryID(id) {
			return batchError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return batchError("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

func validEntryID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *SQS) sendMessageBatch(c *api.Call) (any, error) {
	var in SendMessageBatchInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = e.Id
		total += len(e.MessageBody)
		for name, a := range e.MessageAttributes {
			total += len(name) + len(a.DataType) + len(a.BinaryValue)
			if a.StringValue != nil {
				total += len(*a.StringValue)
			}
		}
	}
	c.Trail.RequestParameters = sendParameters(in.QueueUrl, ids)
	if err := checkBatch("SendMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	st, err := s.target(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if total > maxBatchBytes {
		return nil, batchError("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchBytes, total)
	}
	out := &SendMessageBatchOutput{Successful: []SendMessageBatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	var reqs []*sendRequest
	for i := range in.Entries {
		r, aerr := s.checkMessage(c, st.rec, &in.Entries[i])
		if aerr != nil {
			out.Failed = append(out.Failed, entryFailure(in.Entries[i].Id, aerr))
			continue
		}
		r.id = in.Entries[i].Id
		reqs = append(reqs, r)
	}
	if len(reqs) > 0 {
		if err := s.put(c, st.rec, reqs); err != nil {
			return nil, err
		}
	}
	for _, r := range reqs {
		out.Successful = append(out.Successful, SendMessageBatchResultEntry{Id: r.id, SendMessageOutput: r.out})
	}
	return out, nil
}

// receipt is a receipt handle's content.
type receipt struct {
	queueID, messageID, lease string
}

func (r receipt) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(r.queueID + " " + r.messageID + " " + r.lease))
}

// parseReceipt reads a receipt handle of the queue rec.
func parseReceipt(rec *queueRecord, handle string) (receipt, *api.Error) {
	b, err := base64.RawURLEncoding.DecodeString(handle)
	if err != nil {
		return receipt{}, receiptInvalid(handle)
	}
	parts := strings.Split(string(b), " ")
	if len(parts) != 3 || parts[0] != rec.ID || parts[1] == "" || parts[2] == "" {
		return receipt{}, receiptInvalid(handle)
	}
	return receipt{queueID: parts[0], messageID: parts[1], lease: parts[2]}, nil
}

func (s *SQS) deleteMessage(c *api.Call) (any, error) {
	var in DeleteMessageInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, missingParameter("ReceiptHandle")
	}
	st, err := s.target(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := s.deleteOne(c, st.rec, in.ReceiptHandle); err != nil {
		return nil, err
	}
	return nil, nil
}

// deleteOne deletes the message a receipt handle leases. A handle of an
// earlier receive deletes nothing and is no error: SQS documents that
// such a request succeeds without deleting the message.
func (s *SQS) deleteOne(c *api.Call, rec *queueRecord, handle string) error {
	r, aerr := parseReceipt(rec, handle)
	if aerr != nil {
		return aerr
	}
	err := s.messages(rec).DeleteLeased(c.Context, r.messageID, r.lease)
	if err != nil && !errors.Is(err, queue.ErrReceiptStale) {
		return errorf("delete message", err)
	}
	return nil
}

func (s *SQS) deleteMessageBatch(c *api.Call) (any, error) {
	var in DeleteMessageBatchInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatch("DeleteMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	st, err := s.target(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	out := &DeleteMessageBatchOutput{Successful: []BatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	var leases []queue.Lease
	var leaseIDs []string
	for _, e := range in.Entries {
		r, aerr := parseReceipt(st.rec, e.ReceiptHandle)
		if aerr != nil {
			out.Failed = append(out.Failed, entryFailure(e.Id, aerr))
			continue
		}
		leases = append(leases, queue.Lease{ID: r.messageID, Lease: r.lease})
		leaseIDs = append(leaseIDs, e.Id)
	}
	if len(leases) > 0 {
		// A handle of an earlier receive deletes nothing and is no error
		// (deleteOne): every parsed handle succeeds.
		if _, err := s.messages(st.rec).DeleteLeasedBatch(c.Context, leases); err != nil {
			return nil, errorf("delete message batch", err)
		}
	}
	for _, id := range leaseIDs {
		out.Successful = append(out.Successful, BatchResultEntry{Id: id})
	}
	return out, nil
}

func (s *SQS) changeMessageVisibility(c *api.Call) (any, error) {
	var in ChangeMessageVisibilityInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, missingParameter("ReceiptHandle")
	}
	if in.VisibilityTimeout == nil {
		return nil, missingParameter("VisibilityTimeout")
	}
	st, err := s.target(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := s.changeOne(c, st.rec, in.ReceiptHandle, *in.VisibilityTimeout); err != nil {
		return nil, err
	}
	return nil, nil
}

// maxVisibility bounds how long after a receive its message may stay
// hidden, however often its visibility is changed: "12 hours from the time
// that Amazon SQS receives the ReceiveMessage request. Extending the
// visibility timeout does not reset the 12-hour maximum" (SQS Developer
// Guide, Visibility timeout).
const maxVisibility = 12 * time.Hour

// changeOne changes the visibility timeout of the message a receipt
// handle leases.
func (s *SQS) changeOne(c *api.Call, rec *queueRecord, handle string, timeout int32) error {
	if timeout < 0 || timeout > 43200 {
		return invalidValue("VisibilityTimeout", timeout, "Must be between 0 and 43200, if provided.")
	}
	r, aerr := parseReceipt(rec, handle)
	if aerr != nil {
		return aerr
	}
	err := s.messages(rec).SetVisibility(c.Context, r.messageID, r.lease, time.Duration(timeout)*time.Second, maxVisibility)
	switch {
	case errors.Is(err, queue.ErrVisibilityLimit):
		return invalidValue("VisibilityTimeout", timeout, "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")
	case errors.Is(err, queue.ErrReceiptStale):
		return invalidParameter("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", handle)
	case err != nil:
		return errorf("change message visibility", err)
	}
	if timeout == 0 {
		s.waits.notify(queue.Table("sqs_" + rec.ID))
	}
	return nil
}

func (s *SQS) changeMessageVisibilityBatch(c *api.Call) (any, error) {
	var in ChangeMessageVisibilityBatchInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatch("ChangeMessageVisibilityBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	st, err := s.target(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	out := &ChangeMessageVisibilityBatchOutput{Successful: []BatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	for _, e := range in.Entries {
		var timeout int32
		if e.VisibilityTimeout != nil {
			timeout = *e.VisibilityTimeout
		}
		if err := s.changeOne(c, st.rec, e.ReceiptHandle, timeout); err != nil {
			var ae *api.Error
			if !errors.As(err, &ae) {
				return nil, err
			}
			out.Failed = append(out.Failed, entryFailure(e.Id, ae))
			continue
		}
		out.Successful = append(out.Successful, BatchResultEntry{Id: e.Id})
	}
	return out, nil
}
