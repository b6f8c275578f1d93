package esm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/sqs"
)

// sqsSource reads an Amazon SQS queue as Lambda's pollers do: long polls
// of ReceiveMessage as the function's execution role, batches of up to
// BatchSize messages gathered for up to MaximumBatchingWindowInSeconds,
// the messages of a successful batch deleted with DeleteMessageBatch, the
// others left to come back after their visibility timeout (and to the
// queue's dead-letter queue after its maxReceiveCount, SQS's own redrive).
// ("Using Lambda with Amazon SQS", Lambda Developer Guide.)
type sqsSource struct{}

// sqsUnit is the one unit of work of a queue: its pollers share it.
const sqsUnit = "queue"

// sqsQueue is the queue a mapping reads.
type sqsQueue struct {
	ARN, Region, Account, Name string
	// URL is the queue's URL, built from its ARN: the execution role
	// needs no sqs:GetQueueUrl (AWSLambdaSQSQueueExecutionRole has none).
	URL string
}

// fifo reports whether the queue is a FIFO queue: SQS requires their
// names to end in ".fifo".
func (q sqsQueue) fifo() bool { return strings.HasSuffix(q.Name, ".fifo") }

// parseSQSQueue reads a queue ARN (arn:aws:sqs:region:account:name).
func parseSQSQueue(arn string) (sqsQueue, error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return sqsQueue{}, fmt.Errorf("esm: sqs: not a queue ARN: %q", arn)
	}
	q := sqsQueue{ARN: arn, Region: parts[3], Account: parts[4], Name: parts[5]}
	q.URL = "https://sqs." + q.Region + ".amazonaws.com/" + q.Account + "/" + q.Name
	return q, nil
}

// sqsCall calls SQS in-process as the execution role, in the queue's
// region.
func sqsCall[Out any](ctx context.Context, w *Worker, q sqsQueue, op string, in any, authorizeOnly bool) (Out, error) {
	var zero Out
	p, err := w.Principal(ctx)
	if err != nil {
		return zero, err
	}
	return api.Invoke[Out](ctx, w.Invoker, api.Internal{
		Principal: p, Service: "sqs", Operation: op, Input: in, Region: q.Region, AuthorizeOnly: authorizeOnly,
	})
}

// sqsDenied reports whether err is an authorization failure of the source's
// service (AccessDenied, 403).
func sqsDenied(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && (ae.Status == 403 || strings.Contains(ae.Code, "AccessDenied"))
}

// sqsErrorCodes are the codes Lambda quotes of SQS's errors (the query
// protocol's, as SQS's awsQueryError traits name them).
var sqsErrorCodes = map[string]string{
	"QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
}

// sqsFailure is Lambda's wording of an SQS error other than a denial:
// "Error occurred while ReceiveMessage. SQS Error Code:
// AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The
// specified queue does not exist." It reports false for errors that are
// not SQS's own.
func sqsFailure(op string, err error) (string, bool) {
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status >= 500 {
		return "", false
	}
	code := ae.Code
	if c, ok := sqsErrorCodes[code]; ok {
		code = c
	}
	return fmt.Sprintf("Error occurred while %s. SQS Error Code: %s. SQS Error Message: %s", op, code, ae.Message), true
}

// noPermission is Lambda's message for a role that may not call op on
// SQS (no trailing period).
func noPermission(op string) string {
	return "The provided execution role does not have permissions to call " + op + " on SQS"
}

// Check applies CreateEventSourceMapping's checks of a queue: it is in
// Lambda's Region, the role may call sqs:ReceiveMessage and
// sqs:DeleteMessage on it (authorized without being called) and
// GetQueueAttributes (called), the queue exists, and its visibility
// timeout is not less than the function's timeout. Errors are
// InvalidParameterValueException with Lambda's messages.
func (sqsSource) Check(ctx context.Context, w *Worker, fn Function) error {
	q, err := parseSQSQueue(w.Mapping.EventSourceArn)
	if err != nil {
		return errInvalidParam("%s", err.Error())
	}
	for _, op := range []struct {
		name string
		in   any
	}{
		{"ReceiveMessage", &sqs.ReceiveMessageInput{QueueUrl: q.URL}},
		{"DeleteMessage", &sqs.DeleteMessageInput{QueueUrl: q.URL, ReceiptHandle: "check"}},
	} {
		if _, err := sqsCall[any](ctx, w, q, op.name, op.in, true); err != nil {
			return checkError("ReceiveMessage", op.name, err)
		}
	}
	out, err := sqsCall[*sqs.GetQueueAttributesOutput](ctx, w, q, "GetQueueAttributes", &sqs.GetQueueAttributesInput{
		QueueUrl: q.URL, AttributeNames: []string{"VisibilityTimeout", "FifoQueue", "RedrivePolicy"},
	}, false)
	if err != nil {
		return checkError("ReceiveMessage", "GetQueueAttributes", err)
	}
	vt, err := strconv.Atoi(out.Attributes["VisibilityTimeout"])
	if err != nil {
		return fmt.Errorf("esm: sqs: queue %s: VisibilityTimeout %q: %w", q.ARN, out.Attributes["VisibilityTimeout"], err)
	}
	if vt < fn.Timeout {
		return errInvalidParam("Queue visibility timeout: %d seconds is less than Function timeout: %d seconds", vt, fn.Timeout)
	}
	return nil
}

// checkError turns the error of Check's call op into Lambda's: a denial
// names op; SQS's errors are quoted as errors of the read (Lambda names
// ReceiveMessage for a missing queue, whichever call found it missing).
func checkError(read, op string, err error) error {
	if isRoleError(err) {
		return err
	}
	if sqsDenied(err) {
		return errInvalidParam("%s", noPermission(op))
	}
	if msg, ok := sqsFailure(read, err); ok {
		return errInvalidParam("%s", msg)
	}
	return err
}

// Units is the queue's one unit.
func (sqsSource) Units(ctx context.Context, w *Worker) ([]string, error) {
	return []string{sqsUnit}, nil
}

// Poll runs the queue's pollers until ctx ends (sqs_poll.go).
func (sqsSource) Poll(ctx context.Context, w *Worker) error {
	q, err := parseSQSQueue(w.Mapping.EventSourceArn)
	if err != nil {
		return err
	}
	p, err := newSQSPoller(ctx, w, q)
	if err != nil {
		return err
	}
	return p.run(ctx)
}
