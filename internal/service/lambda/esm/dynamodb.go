package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb"
)

// dynamodbSource reads DynamoDB streams: one unit per shard, read with
// GetShardIterator and GetRecords of DynamoDB Streams as the execution
// role. AWS: "Using Lambda with Amazon DynamoDB" (Lambda Developer
// Guide).
type dynamodbSource struct{}

// dynamodbMaxRead is the most records a DynamoDB Streams GetRecords
// call returns.
const dynamodbMaxRead = 1000

// Check describes the stream and checks that the role may read it, as
// CreateEventSourceMapping does: a role that may not is
// InvalidParameterValueException "Cannot access stream ...".
func (dynamodbSource) Check(ctx context.Context, w *Worker, fn Function) error {
	p, err := w.Principal(ctx)
	if err != nil {
		return err
	}
	arn := w.Mapping.EventSourceArn
	call := func(op string, in any, authorizeOnly bool) (any, error) {
		out, err := w.Invoker.Invoke(ctx, api.Internal{Principal: p, Service: "dynamodb", Operation: op,
			Input: in, Region: arnRegion(arn), AuthorizeOnly: authorizeOnly})
		if err != nil {
			return nil, streamCheckError(arn, err)
		}
		return out, nil
	}
	out, err := call("DescribeStream", &dynamodb.DescribeStreamInput{StreamArn: arn}, false)
	if err != nil {
		return err
	}
	if _, err := call("ListStreams", &dynamodb.ListStreamsInput{}, true); err != nil {
		return err
	}
	desc, _ := out.(*dynamodb.DescribeStreamOutput)
	if desc == nil || len(desc.StreamDescription.Shards) == 0 {
		return fmt.Errorf("esm: DescribeStream %s: no shards", arn)
	}
	out, err = call("GetShardIterator", &dynamodb.GetShardIteratorInput{StreamArn: arn,
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON"}, false)
	if err != nil {
		return err
	}
	it, _ := out.(*dynamodb.GetShardIteratorOutput)
	if it == nil {
		return fmt.Errorf("esm: GetShardIterator %s: no iterator", arn)
	}
	if _, err := call("GetRecords", &dynamodb.GetRecordsInput{ShardIterator: it.ShardIterator}, true); err != nil {
		return err
	}
	return checkOnFailure(ctx, w, p)
}

// Units lists the stream's shards (DescribeStream as the role).
func (dynamodbSource) Units(ctx context.Context, w *Worker) ([]string, error) {
	p, err := w.Principal(ctx)
	if err != nil {
		return nil, err
	}
	arn := w.Mapping.EventSourceArn
	var ids []string
	in := &dynamodb.DescribeStreamInput{StreamArn: arn}
	for {
		out, err := api.Invoke[*dynamodb.DescribeStreamOutput](ctx, w.Invoker, api.Internal{Principal: p,
			Service: "dynamodb", Operation: "DescribeStream", Input: in, Region: arnRegion(arn)})
		if err != nil {
			return nil, fmt.Errorf("esm: DescribeStream %s: %w", arn, err)
		}
		for _, s := range out.StreamDescription.Shards {
			ids = append(ids, s.ShardId)
		}
		last := out.StreamDescription.LastEvaluatedShardId
		if last == "" {
			return ids, nil
		}
		in = &dynamodb.DescribeStreamInput{StreamArn: arn, ExclusiveStartShardId: last}
	}
}

// Poll reads the shard w.Unit.
func (dynamodbSource) Poll(ctx context.Context, w *Worker) error {
	f, err := compileFilters(w.Mapping.FilterCriteria)
	if err != nil {
		return err
	}
	r := dynamodbReader{f: f}
	mp := w.Mapping
	switch {
	case mp.StartingPosition == "LATEST" && !createdAt(mp).IsZero():
		// The records written after the mapping was created, the same
		// ones whenever polling starts: the stream from its trim
		// horizon, older records skipped (DynamoDB Streams has no
		// AT_TIMESTAMP; its times are whole seconds).
		r.notBefore = createdAt(mp).Truncate(time.Second)
	case mp.StartingPosition == "AT_TIMESTAMP" && mp.StartingPositionTimestamp != nil:
		r.notBefore = mp.StartingPositionTimestamp.Truncate(time.Second)
	}
	return pollShard(ctx, w, r)
}

// dynamodbReader is the shardReader of DynamoDB Streams.
type dynamodbReader struct {
	f *filters
	// notBefore, when set, skips the records created before it.
	notBefore time.Time
}

func (dynamodbReader) maxRead() int      { return dynamodbMaxRead }
func (dynamodbReader) batchInfo() string { return "DDBStreamBatchInfo" }

func (dynamodbReader) expired(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && (ae.Code == "ExpiredIteratorException" || ae.Code == "TrimmedDataAccessException")
}

func (r dynamodbReader) iterator(ctx context.Context, w *Worker, p *api.Principal, after string) (string, error) {
	mp := w.Mapping
	in := &dynamodb.GetShardIteratorInput{StreamArn: mp.EventSourceArn, ShardId: w.Unit, ShardIteratorType: "TRIM_HORIZON"}
	switch {
	case after != "":
		in.ShardIteratorType, in.SequenceNumber = "AFTER_SEQUENCE_NUMBER", after
	case mp.StartingPosition == "LATEST" && r.notBefore.IsZero():
		in.ShardIteratorType = "LATEST"
	}
	out, err := api.Invoke[*dynamodb.GetShardIteratorOutput](ctx, w.Invoker, api.Internal{Principal: p,
		Service: "dynamodb", Operation: "GetShardIterator", Input: in, Region: arnRegion(mp.EventSourceArn)})
	var ae *api.Error
	if after != "" && errors.As(err, &ae) && ae.Code == "TrimmedDataAccessException" {
		// The checkpoint is past the stream's 24 hours of retention
		// (a mapping disabled that long): the records after it that
		// are left start at the trim horizon, as Kinesis clamps an
		// iterator behind its trim horizon to it.
		in.ShardIteratorType, in.SequenceNumber = "TRIM_HORIZON", ""
		out, err = api.Invoke[*dynamodb.GetShardIteratorOutput](ctx, w.Invoker, api.Internal{Principal: p,
			Service: "dynamodb", Operation: "GetShardIterator", Input: in, Region: arnRegion(mp.EventSourceArn)})
	}
	if err != nil {
		return "", err
	}
	return out.ShardIterator, nil
}

// dynamodbEventRecord is a record of Lambda's DynamoDB event: the stream
// record with the stream's ARN, and userIdentity's members in lower
// case.
type dynamodbEventRecord struct {
	EventID        string                 `json:"eventID"`
	EventName      string                 `json:"eventName"`
	EventVersion   string                 `json:"eventVersion"`
	EventSource    string                 `json:"eventSource"`
	AwsRegion      string                 `json:"awsRegion"`
	Dynamodb       dynamodb.StreamRecord  `json:"dynamodb"`
	EventSourceARN string                 `json:"eventSourceARN"`
	UserIdentity   *dynamodbEventIdentity `json:"userIdentity,omitempty"`
}

// dynamodbEventIdentity names the service that deleted an item (Time to
// Live).
type dynamodbEventIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
}

func (r dynamodbReader) read(ctx context.Context, w *Worker, p *api.Principal, iterator string, limit int) ([]streamRecord, string, error) {
	arn := w.Mapping.EventSourceArn
	out, err := api.Invoke[*dynamodb.GetRecordsOutput](ctx, w.Invoker, api.Internal{Principal: p,
		Service: "dynamodb", Operation: "GetRecords", Region: arnRegion(arn),
		Input: &dynamodb.GetRecordsInput{ShardIterator: iterator, Limit: &limit}})
	if err != nil {
		return nil, "", err
	}
	recs := make([]streamRecord, 0, len(out.Records))
	for _, d := range out.Records {
		ev := dynamodbEventRecord{EventID: d.EventID, EventName: d.EventName, EventVersion: d.EventVersion,
			EventSource: d.EventSource, AwsRegion: d.AwsRegion, Dynamodb: d.Dynamodb, EventSourceARN: arn}
		if u := d.UserIdentity; u != nil {
			ev.UserIdentity = &dynamodbEventIdentity{Type: u.Type, PrincipalID: u.PrincipalId}
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, "", fmt.Errorf("esm: dynamodb event: %w", err)
		}
		created := time.Unix(0, int64(d.Dynamodb.ApproximateCreationDateTime*float64(time.Second)))
		keep := r.notBefore.IsZero() || !created.Before(r.notBefore)
		if keep && r.f != nil {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, "", fmt.Errorf("esm: dynamodb event: %w", err)
			}
			keep = r.f.matches(m, "", nil)
		}
		recs = append(recs, streamRecord{seq: d.Dynamodb.SequenceNumber, key: string(d.Dynamodb.Keys),
			arrival: created, event: b, keep: keep})
	}
	return recs, out.NextShardIterator, nil
}
