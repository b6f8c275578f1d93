package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/kinesis"
)

// kinesisSource reads Kinesis data streams: one unit per shard, read with
// GetShardIterator and GetRecords as the execution role. AWS: "Using
// Lambda with Kinesis Data Streams" (Lambda Developer Guide).
type kinesisSource struct{}

// kinesisMaxRead is the most records a GetRecords call returns.
const kinesisMaxRead = 10000

// Check describes the stream, lists its shards and checks that the role
// may read it, as CreateEventSourceMapping does: a role that may not is
// InvalidParameterValueException "Cannot access stream ...".
func (kinesisSource) Check(ctx context.Context, w *Worker, fn Function) error {
	p, err := w.Principal(ctx)
	if err != nil {
		return err
	}
	arn := w.Mapping.EventSourceArn
	call := func(op string, in any, authorizeOnly bool) (any, error) {
		out, err := w.Invoker.Invoke(ctx, api.Internal{Principal: p, Service: "kinesis", Operation: op,
			Input: in, Region: arnRegion(arn), AuthorizeOnly: authorizeOnly})
		if err != nil {
			return nil, streamCheckError(arn, err)
		}
		return out, nil
	}
	out, err := call("DescribeStream", &kinesis.DescribeStreamInput{StreamARN: arn}, false)
	if err != nil {
		return err
	}
	desc, _ := out.(*kinesis.DescribeStreamOutput)
	if desc == nil || len(desc.StreamDescription.Shards) == 0 {
		return fmt.Errorf("esm: DescribeStream %s: no shards", arn)
	}
	if _, err := call("ListShards", &kinesis.ListShardsInput{StreamARN: arn}, false); err != nil {
		return err
	}
	if _, err := call("ListStreams", nil, true); err != nil {
		return err
	}
	out, err = call("GetShardIterator", &kinesis.GetShardIteratorInput{StreamARN: arn,
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON"}, false)
	if err != nil {
		return err
	}
	it, _ := out.(*kinesis.GetShardIteratorOutput)
	if it == nil {
		return fmt.Errorf("esm: GetShardIterator %s: no iterator", arn)
	}
	if _, err := call("GetRecords", &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, StreamARN: arn}, true); err != nil {
		return err
	}
	return checkOnFailure(ctx, w, p)
}

// Units lists the stream's shards (ListShards as the role).
func (kinesisSource) Units(ctx context.Context, w *Worker) ([]string, error) {
	p, err := w.Principal(ctx)
	if err != nil {
		return nil, err
	}
	arn := w.Mapping.EventSourceArn
	var ids []string
	in := &kinesis.ListShardsInput{StreamARN: arn}
	for {
		out, err := api.Invoke[*kinesis.ListShardsOutput](ctx, w.Invoker, api.Internal{Principal: p,
			Service: "kinesis", Operation: "ListShards", Input: in, Region: arnRegion(arn)})
		if err != nil {
			return nil, fmt.Errorf("esm: ListShards %s: %w", arn, err)
		}
		for _, s := range out.Shards {
			ids = append(ids, s.ShardId)
		}
		if out.NextToken == "" {
			return ids, nil
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

// Poll reads the shard w.Unit.
func (kinesisSource) Poll(ctx context.Context, w *Worker) error {
	f, err := compileFilters(w.Mapping.FilterCriteria)
	if err != nil {
		return err
	}
	return pollShard(ctx, w, kinesisReader{f: f})
}

// kinesisReader is the shardReader of Kinesis.
type kinesisReader struct{ f *filters }

func (kinesisReader) maxRead() int      { return kinesisMaxRead }
func (kinesisReader) batchInfo() string { return "KinesisBatchInfo" }

func (kinesisReader) expired(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Code == "ExpiredIteratorException"
}

func (kinesisReader) iterator(ctx context.Context, w *Worker, p *api.Principal, after string) (string, error) {
	mp := w.Mapping
	in := &kinesis.GetShardIteratorInput{StreamARN: mp.EventSourceArn, ShardId: w.Unit}
	switch {
	case after != "":
		in.ShardIteratorType, in.StartingSequenceNumber = "AFTER_SEQUENCE_NUMBER", after
	case mp.StartingPosition == "AT_TIMESTAMP" && mp.StartingPositionTimestamp != nil:
		in.ShardIteratorType, in.Timestamp = "AT_TIMESTAMP", &kinesis.Timestamp{Time: *mp.StartingPositionTimestamp}
	case mp.StartingPosition == "LATEST" && !createdAt(mp).IsZero():
		// The records that arrive after the mapping was created, the
		// same ones whenever polling starts.
		in.ShardIteratorType, in.Timestamp = "AT_TIMESTAMP", &kinesis.Timestamp{Time: createdAt(mp)}
	case mp.StartingPosition == "LATEST":
		in.ShardIteratorType = "LATEST"
	default:
		in.ShardIteratorType = "TRIM_HORIZON"
	}
	out, err := api.Invoke[*kinesis.GetShardIteratorOutput](ctx, w.Invoker, api.Internal{Principal: p,
		Service: "kinesis", Operation: "GetShardIterator", Input: in, Region: arnRegion(mp.EventSourceArn)})
	if err != nil {
		return "", err
	}
	return out.ShardIterator, nil
}

// kinesisEventRecord is a record of Lambda's Kinesis event.
type kinesisEventRecord struct {
	Kinesis           kinesisEventData `json:"kinesis"`
	EventSource       string           `json:"eventSource"`
	EventVersion      string           `json:"eventVersion"`
	EventID           string           `json:"eventID"`
	EventName         string           `json:"eventName"`
	InvokeIdentityArn string           `json:"invokeIdentityArn"`
	AwsRegion         string           `json:"awsRegion"`
	EventSourceARN    string           `json:"eventSourceARN"`
}

// kinesisEventData is a Kinesis event record's kinesis member; Data is
// base64 in JSON and ApproximateArrivalTimestamp epoch seconds.
type kinesisEventData struct {
	KinesisSchemaVersion        string            `json:"kinesisSchemaVersion"`
	PartitionKey                string            `json:"partitionKey"`
	SequenceNumber              string            `json:"sequenceNumber"`
	Data                        []byte            `json:"data"`
	ApproximateArrivalTimestamp kinesis.Timestamp `json:"approximateArrivalTimestamp"`
}

func (r kinesisReader) read(ctx context.Context, w *Worker, p *api.Principal, iterator string, limit int) ([]streamRecord, string, error) {
	arn := w.Mapping.EventSourceArn
	out, err := api.Invoke[*kinesis.GetRecordsOutput](ctx, w.Invoker, api.Internal{Principal: p,
		Service: "kinesis", Operation: "GetRecords", Region: arnRegion(arn),
		Input: &kinesis.GetRecordsInput{ShardIterator: iterator, Limit: &limit, StreamARN: arn}})
	if err != nil {
		return nil, "", err
	}
	recs := make([]streamRecord, 0, len(out.Records))
	for _, k := range out.Records {
		ev := kinesisEventRecord{
			Kinesis: kinesisEventData{KinesisSchemaVersion: "1.0", PartitionKey: k.PartitionKey,
				SequenceNumber: k.SequenceNumber, Data: k.Data, ApproximateArrivalTimestamp: k.ApproximateArrivalTimestamp},
			EventSource: "aws:kinesis", EventVersion: "1.0", EventID: w.Unit + ":" + k.SequenceNumber,
			EventName: "aws:kinesis:record", InvokeIdentityArn: w.Function.Role,
			AwsRegion: arnRegion(arn), EventSourceARN: arn,
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, "", fmt.Errorf("esm: kinesis event: %w", err)
		}
		keep := true
		if r.f != nil {
			var m map[string]any
			data, err := json.Marshal(ev.Kinesis)
			if err == nil {
				err = json.Unmarshal(data, &m)
			}
			if err != nil {
				return nil, "", fmt.Errorf("esm: kinesis event: %w", err)
			}
			keep = r.f.matches(m, "data", k.Data)
		}
		recs = append(recs, streamRecord{seq: k.SequenceNumber, key: k.PartitionKey,
			arrival: k.ApproximateArrivalTimestamp.Time, event: b, keep: keep})
	}
	return recs, out.NextShardIterator, nil
}
