package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/sqs"
)

// The on-failure destination of a stream mapping: an SQS queue that
// receives an invocation record for each batch Lambda gives up on. AWS:
// "Retaining discarded batches for a Kinesis Data Streams event source
// in Lambda" (Lambda Developer Guide), whose record this is:
//
//	{"requestContext":{"requestId","functionArn","condition","approximateInvokeCount"},
//	 "responseContext":{"statusCode","executedVersion","functionError"},
//	 "version":"1.0","timestamp",
//	 "KinesisBatchInfo"|"DDBStreamBatchInfo":{"shardId","startSequenceNumber",
//	   "endSequenceNumber","approximateArrivalOfFirstRecord",
//	   "approximateArrivalOfLastRecord","batchSize","streamArn"}}

// failureRequestContext is an on-failure record's requestContext.
type failureRequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// failureResponseContext is the last invocation's answer.
type failureResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// streamBatchInfo names the records of a batch given up.
type streamBatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamArn                       string `json:"streamArn"`
}

// isoMillis is the time format of on-failure records.
const isoMillis = "2006-01-02T15:04:05.000Z"

// failureRecord is the on-failure invocation record of batch, given up
// for condition after invokes invocations, the last answered with last
// (nil when the function was not invoked).
func failureRecord(w *Worker, infoMember string, batch []streamRecord, condition string, last *Result, invokes int) []byte {
	rc := failureRequestContext{RequestID: uuid.NewString(), FunctionArn: w.Function.QualifiedARN,
		Condition: condition, ApproximateInvokeCount: invokes}
	doc := map[string]any{
		"requestContext": rc,
		"version":        "1.0",
		"timestamp":      w.Now().UTC().Format(isoMillis),
		infoMember: streamBatchInfo{
			ShardID:                         w.Unit,
			StartSequenceNumber:             batch[0].seq,
			EndSequenceNumber:               batch[len(batch)-1].seq,
			ApproximateArrivalOfFirstRecord: batch[0].arrival.UTC().Format(isoMillis),
			ApproximateArrivalOfLastRecord:  batch[len(batch)-1].arrival.UTC().Format(isoMillis),
			BatchSize:                       len(batch),
			StreamArn:                       w.Mapping.EventSourceArn,
		},
	}
	if last != nil {
		if last.RequestID != "" {
			rc.RequestID = last.RequestID
			doc["requestContext"] = rc
		}
		version := last.ExecutedVersion
		if version == "" {
			version = "$LATEST"
		}
		doc["responseContext"] = failureResponseContext{StatusCode: 200, ExecutedVersion: version, FunctionError: last.FunctionError}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("esm: on-failure record: %v", err)) // only strings and numbers
	}
	return b
}

// queueURL is the URL of an SQS queue ARN
// (arn:aws:sqs:region:account:name), and its region.
func queueURL(arn string) (url, region string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return "", "", false
	}
	return "https://sqs." + parts[3] + ".amazonaws.com/" + parts[4] + "/" + parts[5], parts[3], true
}

// checkOnFailure checks that the role may send to the mapping's
// on-failure queue, if any: Lambda's InvalidParameterValueException
// otherwise.
func checkOnFailure(ctx context.Context, w *Worker, p *api.Principal) error {
	d := w.Mapping.DestinationConfig
	if d == nil || d.OnFailure == nil || d.OnFailure.Destination == "" {
		return nil
	}
	url, region, ok := queueURL(d.OnFailure.Destination)
	if !ok {
		return errInvalidParam("The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=%s)) is invalid.", d.OnFailure.Destination)
	}
	_, err := w.Invoker.Invoke(ctx, api.Internal{Principal: p, Service: "sqs", Operation: "SendMessage", Region: region,
		Input: &sqs.SendMessageInput{QueueUrl: url, MessageBody: "{}"}, AuthorizeOnly: true})
	if err != nil {
		if refusedByPolicy(err) {
			return errInvalidParam("The provided execution role does not have permissions to call SendMessage on SQS")
		}
		return err
	}
	return nil
}

// sendOnFailure sends doc to the on-failure queue arn as the role.
func sendOnFailure(ctx context.Context, w *Worker, arn string, doc []byte) error {
	url, region, ok := queueURL(arn)
	if !ok {
		return fmt.Errorf("esm: on-failure destination %q is not an SQS queue ARN", arn)
	}
	p, err := w.Principal(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = api.Invoke[*sqs.SendMessageOutput](ctx, w.Invoker, api.Internal{Principal: p, Service: "sqs",
		Operation: "SendMessage", Region: region, Input: &sqs.SendMessageInput{QueueUrl: url, MessageBody: string(doc)}})
	if err != nil {
		return fmt.Errorf("esm: send to on-failure destination %s: %w", arn, err)
	}
	return nil
}
