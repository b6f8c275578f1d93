package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/sqs"
)

// Limits of Lambda's SQS pollers.
const (
	// sqsDefaultConcurrency is how many batches a mapping without
	// ScalingConfig.MaximumConcurrency has in flight at once: Lambda's
	// SQS pollers start with five concurrent batches ("Understanding
	// polling and batching behavior", Lambda Developer Guide); rolecall
	// does not scale beyond them.
	sqsDefaultConcurrency = 5
	// sqsDefaultVisibility is SQS's default visibility timeout.
	sqsDefaultVisibility = 30 * time.Second
	// sqsMaxWait is ReceiveMessage's longest long poll (20 seconds).
	sqsMaxWait = 20 * time.Second
	// sqsReceiveMax is ReceiveMessage's largest MaxNumberOfMessages.
	sqsReceiveMax = 10
	// sqsDeleteMax is DeleteMessageBatch's largest number of entries.
	sqsDeleteMax = 10
	// payloadLimit is the largest synchronous invocation payload, 6 MB
	// (Lambda quotas): a batch stops growing before it.
	payloadLimit = 6 * 1024 * 1024
	// throttleBackoff is the first wait before a throttled batch is
	// invoked again; it doubles up to throttleBackoffMax.
	throttleBackoff    = 100 * time.Millisecond
	throttleBackoffMax = 5 * time.Second
	// sqsDeleteTimeout bounds the deletion of a batch's messages.
	sqsDeleteTimeout = 10 * time.Second
)

// errThrottledOut is returned by invoke when the function stayed
// throttled until the batch's messages became visible again.
var errThrottledOut = errors.New("esm: sqs: throttled until the visibility timeout ended")

// sqsPoller reads one queue for one mapping.
type sqsPoller struct {
	w           *Worker
	q           sqsQueue
	batchSize   int
	window      time.Duration
	visibility  time.Duration
	concurrency int
	// keep reports whether a record passes the mapping's filters (nil:
	// all pass).
	keep func(record []byte, body string) bool
}

// newSQSPoller prepares the polling of q with the mapping's settings.
func newSQSPoller(ctx context.Context, w *Worker, q sqsQueue) (*sqsPoller, error) {
	mp := w.Mapping
	p := &sqsPoller{w: w, q: q, batchSize: mp.BatchSize, concurrency: sqsDefaultConcurrency}
	if p.batchSize <= 0 {
		p.batchSize = 10
	}
	if s := mp.MaximumBatchingWindowInSeconds; s != nil {
		p.window = time.Duration(*s) * time.Second
	}
	if sc := mp.ScalingConfig; sc != nil && sc.MaximumConcurrency != nil && *sc.MaximumConcurrency > 0 {
		p.concurrency = *sc.MaximumConcurrency
	}
	keep, err := sqsFilter(mp.FilterCriteria)
	if err != nil {
		return nil, err
	}
	p.keep = keep
	p.visibility = p.queueVisibility(ctx)
	return p, nil
}

// queueVisibility is the queue's visibility timeout, how long a throttled
// batch is tried again. It is read as the role (GetQueueAttributes, which
// AWSLambdaSQSQueueExecutionRole allows); when that fails, SQS's default
// of 30 seconds is used: only the reads decide whether polling goes on,
// so that a role that lost its permissions fails on ReceiveMessage, as
// Lambda's pollers do.
func (p *sqsPoller) queueVisibility(ctx context.Context) time.Duration {
	out, err := sqsCall[*sqs.GetQueueAttributesOutput](ctx, p.w, p.q, "GetQueueAttributes",
		&sqs.GetQueueAttributesInput{QueueUrl: p.q.URL, AttributeNames: []string{"VisibilityTimeout"}}, false)
	if err == nil && out != nil {
		if vt, err := strconv.Atoi(out.Attributes["VisibilityTimeout"]); err == nil {
			return time.Duration(vt) * time.Second
		}
	}
	p.w.Log.Debug("esm: sqs: queue visibility timeout unknown, 30 s assumed", "queue", p.q.ARN, "err", err)
	return sqsDefaultVisibility
}

// run runs the pollers until ctx ends (nil) or one of them fails.
func (p *sqsPoller) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for range p.concurrency {
		g.Go(func() error { return p.loop(gctx) })
	}
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// sqsPending is a received message of a batch.
type sqsPending struct {
	msg      sqs.Message
	record   json.RawMessage
	received time.Time
}

// loop gathers batches and processes them, one at a time.
func (p *sqsPoller) loop(ctx context.Context) error {
	var carry []sqsPending
	for ctx.Err() == nil {
		var batch []sqsPending
		var err error
		batch, carry, err = p.gather(ctx, carry)
		if err != nil {
			return err
		}
		if len(batch) == 0 || ctx.Err() != nil {
			continue
		}
		left, err := p.process(ctx, batch)
		if err != nil {
			return err
		}
		if p.q.fifo() {
			carry = withoutGroupsOf(carry, left)
		}
	}
	return nil
}

// withoutGroupsOf returns the carried messages of FIFO groups none of
// whose messages were left to come back. A carried message follows the
// batch's messages of its group: were it processed before they come back,
// the group would lose its order. It is dropped, to come back after its
// visibility timeout behind them.
func withoutGroupsOf(carry []sqsPending, left []sqs.Message) []sqsPending {
	if len(left) == 0 {
		return carry
	}
	broken := map[string]bool{}
	for _, m := range left {
		broken[m.Attributes["MessageGroupId"]] = true
	}
	kept := carry[:0:0]
	for _, m := range carry {
		if !broken[m.msg.Attributes["MessageGroupId"]] {
			kept = append(kept, m)
		}
	}
	return kept
}

// gather receives a batch: up to BatchSize messages, waiting up to the
// batching window after the first, within the payload limit. Messages
// received beyond the payload limit are carried to the next batch.
func (p *sqsPoller) gather(ctx context.Context, carry []sqsPending) (batch, rest []sqsPending, err error) {
	size := sqsEventOverhead
	add := func(m sqsPending) bool {
		if len(batch) > 0 && size+len(m.record)+1 > payloadLimit {
			return false
		}
		size += len(m.record) + 1
		batch = append(batch, m)
		return true
	}
	for i, m := range carry {
		if len(batch) == p.batchSize || !add(m) {
			return batch, carry[i:], nil
		}
	}
	var deadline time.Time
	if len(batch) > 0 {
		deadline = time.Now().Add(p.window)
	}
	for len(batch) < p.batchSize && ctx.Err() == nil {
		wait := sqsMaxWait
		if !deadline.IsZero() {
			if wait = time.Until(deadline); wait <= 0 {
				break
			}
		}
		msgs, err := p.receive(ctx, min(sqsReceiveMax, p.batchSize-len(batch)), wait)
		if err != nil {
			return nil, nil, err
		}
		now := time.Now()
		for i, m := range msgs {
			rec, err := sqsRecordJSON(p.q, m)
			if err != nil {
				return nil, nil, err
			}
			pm := sqsPending{msg: m, record: rec, received: now}
			if !add(pm) {
				for _, m := range msgs[i:] {
					rec, err := sqsRecordJSON(p.q, m)
					if err != nil {
						return nil, nil, err
					}
					rest = append(rest, sqsPending{msg: m, record: rec, received: now})
				}
				return batch, rest, nil
			}
		}
		if len(batch) > 0 && deadline.IsZero() {
			if p.window <= 0 {
				break
			}
			deadline = now.Add(p.window)
		}
	}
	return batch, nil, nil
}

// receive long-polls ReceiveMessage for up to wait (at most 20 seconds).
// A wait cut short by the batching window, or by ctx, is no error.
func (p *sqsPoller) receive(ctx context.Context, max int, wait time.Duration) ([]sqs.Message, error) {
	wait = min(wait, sqsMaxWait)
	secs := int32(math.Ceil(wait.Seconds()))
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	n := int32(max)
	out, err := sqsCall[*sqs.ReceiveMessageOutput](cctx, p.w, p.q, "ReceiveMessage", &sqs.ReceiveMessageInput{
		QueueUrl: p.q.URL, AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"},
		MaxNumberOfMessages: &n, WaitTimeSeconds: &secs,
	}, false)
	if cctx.Err() != nil && out == nil {
		return nil, nil
	}
	if err != nil {
		return nil, p.fail(ctx, "ReceiveMessage", err)
	}
	if out == nil {
		return nil, nil
	}
	return out.Messages, nil
}

// process filters a batch, invokes the function with what passes, and
// deletes the messages that succeeded or were filtered out. It returns the
// messages left to come back (failed, or not tried).
func (p *sqsPoller) process(ctx context.Context, batch []sqsPending) (left []sqs.Message, err error) {
	var invoked []sqsPending
	var done []sqs.Message // to delete
	for _, m := range batch {
		if p.keep == nil || p.keep(m.record, m.msg.Body) {
			invoked = append(invoked, m)
		} else {
			done = append(done, m.msg)
		}
	}
	if len(invoked) > 0 {
		ok, err := p.invoke(ctx, invoked)
		if err != nil {
			return nil, err
		}
		succeeded := make(map[string]bool, len(ok))
		for _, m := range ok {
			succeeded[m.MessageId] = true
		}
		for _, m := range invoked {
			if !succeeded[m.msg.MessageId] {
				left = append(left, m.msg)
			}
		}
		done = append(done, ok...)
	}
	// The messages of a batch that ran are deleted even when the poller
	// stops meanwhile (the mapping disabled, updated or deleted), lest
	// they run again.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sqsDeleteTimeout)
	defer cancel()
	return left, p.delete(dctx, done)
}

// invoke runs the function with a batch and returns the messages that
// succeeded. A throttled invocation is tried again until the messages'
// visibility timeout ends; then they are left to come back, as Lambda
// does.
func (p *sqsPoller) invoke(ctx context.Context, batch []sqsPending) ([]sqs.Message, error) {
	records := make([]json.RawMessage, len(batch))
	for i, m := range batch {
		records[i] = m.record
	}
	payload := sqsPayload(records)
	visibleAt := batch[0].received.Add(p.visibility)
	backoff := throttleBackoff
	var res *Result
	var err error
	for {
		res, err = p.w.Invoke(ctx, payload)
		if !throttled(err) {
			break
		}
		if time.Now().Add(backoff).After(visibleAt) {
			p.w.Log.Info("esm: sqs: batch left to the queue", "queue", p.q.ARN, "messages", len(batch), "err", errThrottledOut)
			return nil, nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		case <-t.C:
		}
		backoff = min(2*backoff, throttleBackoffMax)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		p.w.Report("PROBLEM: " + problemOf(err))
		return nil, fmt.Errorf("esm: sqs: invoke %s: %w", p.w.Mapping.FunctionArn, err)
	}
	if res.FunctionError != "" {
		p.w.Report("PROBLEM: Function call failed")
		return nil, nil
	}
	var failed map[string]bool
	if p.w.Mapping.ReportsBatchItemFailures() {
		ids := map[string]bool{}
		for _, m := range batch {
			ids[m.msg.MessageId] = true
		}
		list, ok := batchItemFailures(res.Payload, func(id string) bool { return ids[id] })
		if !ok {
			p.w.Report("PROBLEM: Function call failed")
			return nil, nil
		}
		failed = map[string]bool{}
		for _, id := range list {
			failed[id] = true
		}
	}
	p.w.Report("OK")
	return succeeded(batch, failed, p.q.fifo()), nil
}

// succeeded returns the messages of batch not in failed. In a FIFO queue
// the messages of a group after its first failure fail too, so that the
// group keeps its order.
func succeeded(batch []sqsPending, failed map[string]bool, fifo bool) []sqs.Message {
	var ok []sqs.Message
	broken := map[string]bool{} // FIFO groups with a failure
	for _, m := range batch {
		group := m.msg.Attributes["MessageGroupId"]
		switch {
		case failed[m.msg.MessageId]:
			broken[group] = true
		case fifo && broken[group]:
		default:
			ok = append(ok, m.msg)
		}
	}
	return ok
}

// delete deletes msgs with DeleteMessageBatch, ten at a time. Entries
// SQS fails (a receipt handle gone stale) are logged: those messages come
// back, at least once.
func (p *sqsPoller) delete(ctx context.Context, msgs []sqs.Message) error {
	for len(msgs) > 0 {
		n := min(len(msgs), sqsDeleteMax)
		in := &sqs.DeleteMessageBatchInput{QueueUrl: p.q.URL}
		for i, m := range msgs[:n] {
			in.Entries = append(in.Entries, sqs.DeleteMessageBatchRequestEntry{Id: strconv.Itoa(i), ReceiptHandle: m.ReceiptHandle})
		}
		out, err := sqsCall[*sqs.DeleteMessageBatchOutput](ctx, p.w, p.q, "DeleteMessageBatch", in, false)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return p.fail(ctx, "DeleteMessage", err)
		}
		if out != nil {
			for _, f := range out.Failed {
				p.w.Log.Warn("esm: sqs: message not deleted", "queue", p.q.ARN, "code", f.Code, "message", f.Message)
			}
		}
		msgs = msgs[n:]
	}
	return nil
}

// fail reports the failure of the call op and returns it; when ctx ended
// it reports nothing and returns ctx's error.
func (p *sqsPoller) fail(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if isRoleError(err) {
		// The runner reports a role Lambda cannot assume.
		return err
	}
	var msg string
	switch {
	case sqsDenied(err):
		msg = noPermission(op)
	default:
		if m, ok := sqsFailure(op, err); ok {
			msg = m
		} else {
			msg = problemOf(err)
		}
	}
	p.w.Report("PROBLEM: " + msg)
	return fmt.Errorf("esm: sqs: %s %s: %w", op, p.q.ARN, err)
}

// problemOf is the text of an error for LastProcessingResult.
func problemOf(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return "Internal error"
}

// throttled reports whether err is the function's throttle (429).
func throttled(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests
}
