package sqs

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// systemAttributes are the message system attributes ReceiveMessage
// returns on request.
var systemAttributes = []string{
	"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
	"SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
}

// pollInterval bounds a long poll's wait between looks when no change
// feed tells it that a message arrived.
const pollInterval = time.Second

func (s *SQS) receiveMessage(c *api.Call) (any, error) {
	var in ReceiveMessageInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	limit := 1
	if in.MaxNumberOfMessages != nil {
		if n := *in.MaxNumberOfMessages; n < 1 || n > 10 {
			return nil, invalidValue("MaxNumberOfMessages", n, "Must be between 1 and 10, if provided.")
		}
		limit = int(*in.MaxNumberOfMessages)
	}
	if in.VisibilityTimeout != nil {
		if n := *in.VisibilityTimeout; n < 0 || n > 43200 {
			return nil, invalidValue("VisibilityTimeout", n, "Must be between 0 and 43200, if provided.")
		}
	}
	if in.WaitTimeSeconds != nil {
		if n := *in.WaitTimeSeconds; n < 0 || n > 20 {
			return nil, invalidValue("WaitTimeSeconds", n, "Must be >= 0 and <= 20, if provided.")
		}
	}
	want, err := wantedSystemAttributes(append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...))
	if err != nil {
		return nil, err
	}
	st, err := s.target(c, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	rec := st.rec
	attemptID := in.ReceiveRequestAttemptId
	if attemptID != "" {
		if !rec.fifo() {
			return nil, invalidValue("ReceiveRequestAttemptId", attemptID, "The request include parameter that is not valid for this queue type.")
		}
		if !validToken(attemptID) {
			return nil, invalidValue("ReceiveRequestAttemptId", attemptID, "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
		msgs, ok, err := s.repeatAttempt(c.Context, rec, attemptID)
		if err != nil {
			return nil, errorf("receive message", err)
		}
		if ok {
			return s.receivedAll(rec, msgs, want, in.MessageAttributeNames), nil
		}
	}
	opts := retention(rec)
	opts.Limit = limit
	opts.Visibility = rec.seconds("VisibilityTimeout")
	if in.VisibilityTimeout != nil {
		opts.Visibility = time.Duration(*in.VisibilityTimeout) * time.Second
	}
	var moved []string // the tables of dead-letter queues that got messages
	if rp := st.redrive; rp != nil {
		opts.MaxReceives = rp.MaxReceiveCount
		opts.Dead = func(ctx context.Context, tx store.Tx, m queue.Message) (bool, error) {
			t, ok, err := s.moveToDeadLetter(ctx, tx, rec, rp, m)
			if ok {
				moved = append(moved, t)
			}
			return ok, err
		}
	}
	wait := rec.seconds("ReceiveMessageWaitTimeSeconds")
	if in.WaitTimeSeconds != nil {
		wait = time.Duration(*in.WaitTimeSeconds) * time.Second
	}
	q := s.messages(rec)
	msgs, err := s.poll(c.Context, q, queue.Table("sqs_"+rec.ID), opts, wait, &moved)
	if err != nil {
		return nil, errorf("receive message", err)
	}
	if attemptID != "" && len(msgs) > 0 {
		if err := s.recordAttempt(c.Context, rec, attemptID, msgs); err != nil {
			return nil, errorf("receive message", err)
		}
	}
	return s.receivedAll(rec, msgs, want, in.MessageAttributeNames), nil
}

// receivedAll is ReceiveMessage's answer of msgs.
func (s *SQS) receivedAll(rec *queueRecord, msgs []queue.Message, want map[string]bool, attrNames []string) *ReceiveMessageOutput {
	out := &ReceiveMessageOutput{}
	for _, m := range msgs {
		out.Messages = append(out.Messages, s.received(rec, m, want, attrNames))
	}
	return out
}

// poll receives with opts, waiting up to wait for a message to arrive.
func (s *SQS) poll(ctx context.Context, q *queue.Queue, table string, opts queue.ReceiveOptions, wait time.Duration, moved *[]string) ([]queue.Message, error) {
	deadline := time.Now().Add(wait)
	w := s.waits.acquire(table)
	defer s.waits.release(table, w)
	for {
		woken := w.sig.C()
		*moved = (*moved)[:0]
		msgs, at, has, err := w.receive(ctx, q, opts, s.cfg.Now)
		if err != nil {
			if ctx.Err() != nil {
				// The caller stopped waiting (a poller's batching window, a
				// client that went away) while the store was read: the wait
				// is over, with nothing received, as when ctx ends below.
				return nil, nil
			}
			return nil, err
		}
		for _, t := range *moved {
			s.waits.notify(t)
		}
		now := time.Now()
		if len(msgs) > 0 || !now.Before(deadline) {
			return msgs, nil
		}
		next := deadline
		if s.cfg.Feed == nil {
			next = earliest(next, now.Add(pollInterval))
		}
		if has {
			// A message that becomes visible (a delay or a visibility
			// timeout ends) wakes the poll; one visible now that a receive
			// did not take (a FIFO group in flight) is looked at again a
			// poll interval later.
			at = at.Add(time.Millisecond)
			if !at.After(now) {
				at = now.Add(pollInterval)
			}
			next = earliest(next, at)
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		case <-woken:
		case <-t.C:
		}
		t.Stop()
	}
}

// moveToDeadLetter moves a message received too often from the queue
// rec to its dead-letter queue, inside tx, keeping its id, body,
// attributes and sent time. It reports false, and the message stays,
// when the dead-letter queue is gone or its RedriveAllowPolicy does not
// allow rec.
func (s *SQS) moveToDeadLetter(ctx context.Context, tx store.Tx, rec *queueRecord, rp *redrivePolicy, m queue.Message) (string, bool, error) {
	dref, ok := parseARN(rp.DeadLetterTargetArn)
	if !ok {
		return "", false, nil
	}
	dlq, err := readQueue(ctx, tx, dref)
	if err != nil || dlq == nil {
		return "", false, err
	}
	allow, err := parseRedriveAllow(dlq.Attrs["RedriveAllowPolicy"])
	if err != nil || !allow.allows(rec.ref(), dref) {
		return "", false, nil
	}
	var md meta
	if len(m.Meta) > 0 {
		if err := json.Unmarshal(m.Meta, &md); err != nil {
			return "", false, err
		}
	}
	md.Source = rec.ref().ARN()
	b, err := json.Marshal(md)
	if err != nil {
		return "", false, err
	}
	e := queue.Entry{Body: m.Body, Meta: b, ID: m.ID, SentAt: m.SentAt, Group: m.Group}
	if _, err := s.messages(dlq).Put(ctx, tx, e); err != nil {
		return "", false, err
	}
	return queue.Table("sqs_" + dlq.ID), true, nil
}

// wantedSystemAttributes returns the system attributes names asks for.
func wantedSystemAttributes(names []string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, n := range names {
		switch {
		case n == "All":
			for _, a := range systemAttributes {
				want[a] = true
			}
		case slices.Contains(systemAttributes, n):
			want[n] = true
		default:
			// A queue attribute is a valid name with nothing to return.
			if _, ok := settable[n]; !ok && !slices.Contains(computed, n) {
				return nil, invalidAttributeName(n)
			}
		}
	}
	return want, nil
}

// received is a message as ReceiveMessage answers it.
func (s *SQS) received(rec *queueRecord, m queue.Message, want map[string]bool, attrNames []string) Message {
	var md meta
	if len(m.Meta) > 0 {
		_ = json.Unmarshal(m.Meta, &md)
	}
	body := string(m.Body)
	out := Message{
		MessageId:     m.ID,
		ReceiptHandle: receipt{queueID: rec.ID, messageID: m.ID, lease: m.Lease}.String(),
		MD5OfBody:     md5Hex(body),
		Body:          body,
	}
	group := m.Group
	if group == "" {
		group = md.Group
	}
	sys := map[string]string{
		"SenderId":                 md.Sender,
		"SentTimestamp":            strconv.FormatInt(m.SentAt.UnixMilli(), 10),
		"ApproximateReceiveCount":  strconv.Itoa(m.ReceiveCount),
		"SequenceNumber":           sequenceNumber(m.Seq),
		"MessageDeduplicationId":   md.Dedup,
		"MessageGroupId":           group,
		"DeadLetterQueueSourceArn": md.Source,
	}
	if !m.FirstReceivedAt.IsZero() {
		sys["ApproximateFirstReceiveTimestamp"] = strconv.FormatInt(m.FirstReceivedAt.UnixMilli(), 10)
	}
	if th, ok := md.Sys["AWSTraceHeader"]; ok && th.StringValue != nil {
		sys["AWSTraceHeader"] = *th.StringValue
	}
	for n, v := range sys {
		if want[n] && v != "" {
			if out.Attributes == nil {
				out.Attributes = Attributes{}
			}
			out.Attributes[n] = v
		}
	}
	for name, a := range md.Attrs {
		if attributeWanted(name, attrNames) {
			if out.MessageAttributes == nil {
				out.MessageAttributes = MessageAttributes{}
			}
			out.MessageAttributes[name] = a
		}
	}
	out.MD5OfMessageAttributes = md5OfAttributes(out.MessageAttributes)
	return out
}

// attributeWanted reports whether MessageAttributeNames asks for the
// message attribute name: "All", ".*", a name, or a prefix "name.*".
func attributeWanted(name string, names []string) bool {
	for _, n := range names {
		switch {
		case n == "All" || n == ".*" || n == name:
			return true
		case strings.HasSuffix(n, ".*") && strings.HasPrefix(name, strings.TrimSuffix(n, "*")):
			return true
		}
	}
	return false
}

// waiters wake the long polls of a queue when a message may have
// arrived: at once for a send on this node, through the change feed for
// a send on another node sharing the database.
type waiters struct {
	feed *store.Feed
	mu   sync.Mutex
	m    map[string]*waiter // by message table
}

type waiter struct {
	sig   store.Signal
	n     int
	unsub func()
	// turn lets the receivers of a queue on this node look one at a
	// time: a send wakes them all, and the ones after the first find
	// the message taken by a read rather than by a writing transaction.
	turn sync.Mutex
}

// receive takes messages with opts, and returns when the first message
// left becomes visible and whether there is one.
func (w *waiter) receive(ctx context.Context, q *queue.Queue, opts queue.ReceiveOptions, now func() time.Time) ([]queue.Message, time.Time, bool, error) {
	w.turn.Lock()
	defer w.turn.Unlock()
	// A standard queue whose first message is not visible has none: a
	// read tells so without a writing transaction.
	at, has, err := q.NextVisible(ctx)
	if err != nil || !has || !opts.FIFO && at.After(now()) {
		return nil, at, has, err
	}
	msgs, err := q.ReceiveWith(ctx, opts)
	return msgs, at, has, err
}

func newWaiters(feed *store.Feed) *waiters {
	return &waiters{feed: feed, m: map[string]*waiter{}}
}

// acquire returns the waiter of table; release it when done.
func (ws *waiters) acquire(table string) *waiter {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ws.m[table]
	if w == nil {
		w = &waiter{}
		if ws.feed != nil {
			w.unsub = ws.feed.Subscribe([]string{table},
				func(store.Change) { w.sig.Notify() }, w.sig.Notify)
		}
		ws.m[table] = w
	}
	w.n++
	return w
}

func (ws *waiters) release(table string, w *waiter) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w.n--
	if w.n == 0 {
		delete(ws.m, table)
		if w.unsub != nil {
			w.unsub()
		}
	}
}

// notify wakes the long polls of table on this node.
func (ws *waiters) notify(table string) {
	ws.mu.Lock()
	w := ws.m[table]
	ws.mu.Unlock()
	if w != nil {
		w.sig.Notify()
	}
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
