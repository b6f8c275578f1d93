package dynamodb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/seqlog"
)

// A table's stream is one shard, a seqlog named after the table's ID and
// the stream's label: records are appended in the writing transaction, so
// a shard's records follow commit order (and so per key). Enabling a
// stream again starts a new stream with a new label; the old one stays
// readable, closed, as DynamoDB keeps it for 24 hours.

// streamsTable holds the streams: account/region/table/label → stream.
const streamsTable = "ddb_streams"

// streamRetention is how long a stream keeps its records.
const streamRetention = 24 * time.Hour

// stream is a stored stream.
type stream struct {
	ARN       string
	Label     string
	Table     string
	TableID   string
	Account   string
	Region    string
	ViewType  string
	KeySchema []KeyElement
	Created   time.Time
	ShardID   string
	// Closed is when the stream was disabled (or its table deleted); End
	// is then the position of its last record.
	Closed *time.Time      `json:",omitempty"`
	End    seqlog.Position `json:",omitempty"`
}

func streamKey(account, region, table, label string) string {
	return account + "/" + region + "/" + table + "/" + label
}

// log is the name of the stream's seqlog.
func (s *stream) log() string { return "ddb/" + s.TableID + "/" + s.Label }

// sequenceNumber renders a position as a stream sequence number: 21
// decimal digits that grow with the position.
func sequenceNumber(p seqlog.Position) string { return fmt.Sprintf("1%020d", p) }

// parseSequenceNumber reverses sequenceNumber.
func parseSequenceNumber(s string) (seqlog.Position, bool) {
	if len(s) != 21 || s[0] != '1' {
		return 0, false
	}
	var p int64
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return 0, false
		}
		p = p*10 + int64(r-'0')
	}
	return seqlog.Position(p), true
}

// streamOperations are DynamoDB Streams' operations.
func (d *DynamoDB) streamOperations() []*api.Operation {
	res := d.streamArnResource
	return []*api.Operation{
		{Name: "ListStreams", Action: "dynamodb:ListStreams", ReadOnly: true, Handle: d.listStreams},
		{Name: "DescribeStream", Action: "dynamodb:DescribeStream", ReadOnly: true, Resource: res, Handle: d.describeStream},
		{Name: "GetShardIterator", Action: "dynamodb:GetShardIterator", ReadOnly: true, Category: api.Data, Resource: res, Handle: d.getShardIterator},
		{Name: "GetRecords", Action: "dynamodb:GetRecords", ReadOnly: true, Category: api.Data, Resource: d.iteratorResource, Handle: d.getRecords},
	}
}

// openStream starts a new stream for t, in tx: a label later than any
// before it, and its record.
func (d *DynamoDB) openStream(ctx context.Context, tx store.Tx, t *Table) error {
	now := d.cfg.Now().UTC()
	label := now.Format("2006-01-02T15:04:05.000")
	if t.StreamLabel != "" {
		if prev, err := time.Parse("2006-01-02T15:04:05.000", t.StreamLabel); err == nil && !now.After(prev) {
			label = prev.Add(time.Millisecond).Format("2006-01-02T15:04:05.000")
		}
	}
	t.StreamLabel = label
	t.StreamARN = t.ARN + "/stream/" + label
	// A policy belongs to the stream it was attached to: the new stream
	// starts without one.
	t.StreamPolicy, t.StreamPolicyRevision = "", ""
	sum := sha256.Sum256([]byte(t.StreamARN))
	s := stream{ARN: t.StreamARN, Label: label, Table: t.Name, TableID: t.ID, Account: t.Account, Region: t.Region,
		ViewType: t.Stream.StreamViewType, KeySchema: t.KeySchema, Created: now,
		ShardID: fmt.Sprintf("shardId-%020d-%s", now.UnixMilli(), hex.EncodeToString(sum[:4]))}
	return store.PutJSON(ctx, tx, streamsTable, streamKey(t.Account, t.Region, t.Name, label), s)
}

// closeStream closes t's current stream, in tx: no record follows its
// last one.
func (d *DynamoDB) closeStream(ctx context.Context, tx store.Tx, t *Table) error {
	key := streamKey(t.Account, t.Region, t.Name, t.StreamLabel)
	var s stream
	if err := store.GetJSON(ctx, tx, streamsTable, key, &s); err != nil {
		return fmt.Errorf("dynamodb: stream of %s: %w", t.Name, err)
	}
	if s.Closed != nil {
		return nil
	}
	info, err := seqlog.Stat(ctx, tx, s.log())
	if err != nil {
		return err
	}
	now := d.cfg.Now().UTC()
	s.Closed, s.End = &now, info.Last
	return store.PutJSON(ctx, tx, streamsTable, key, s)
}

// recordChange appends the stream record of one item write to t's stream,
// in the writing transaction tx, when the table has a stream enabled:
// old is the item before (nil for an insert), new after (nil for a
// removal). Every item write calls it, so records follow commit order.
// A write that changes nothing (old and new equal) makes no record, as
// DynamoDB Streams writes none.
//
// It fails with errTableChanged when t is older than the table's record
// (an index was created or deleted, the stream enabled or disabled since
// t was read): the caller rolls back and retries with freshTable. It
// answers ResourceNotFoundException when the table was deleted.
func (d *DynamoDB) recordChange(ctx context.Context, tx store.Tx, c *api.Call, t *Table, old, new attr.Item) error {
	_ = c
	return d.appendRecord(ctx, tx, t, old, new, nil)
}

// appendRecord is recordChange, with the identity of the service that
// made the change (Time to Live), or nil.
func (d *DynamoDB) appendRecord(ctx context.Context, tx store.Tx, t *Table, old, new attr.Item, who *UserIdentity) error {
	if old == nil && new == nil {
		return nil
	}
	if old != nil && new != nil && attr.Equal(attr.Value{Type: attr.M, Map: old}, attr.Value{Type: attr.M, Map: new}) {
		return nil
	}
	// The table's record is read in the transaction: a write and an
	// UpdateTable that adds an index or enables the stream are ordered,
	// and a write made with an outdated record is retried.
	var cur Table
	err := store.GetJSON(ctx, tx, tablesTable, tableKey(t.Account, t.Region, t.Name), &cur)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return resourceNotFound(t.Name)
	case err != nil:
		return fmt.Errorf("dynamodb: table %s: %w", t.Name, err)
	case cur.ID != t.ID:
		return resourceNotFound(t.Name)
	case cur.Version != t.Version:
		return errTableChanged
	case cur.Stream == nil || !cur.Stream.StreamEnabled:
		return nil
	}
	r := Record{EventVersion: "1.1", EventSource: "aws:dynamodb", AwsRegion: cur.Region, UserIdentity: who}
	r.EventID = randomHex(16)
	switch {
	case old == nil:
		r.EventName = "INSERT"
	case new == nil:
		r.EventName = "REMOVE"
	default:
		r.EventName = "MODIFY"
	}
	view := cur.Stream.StreamViewType
	src := new
	if src == nil {
		src = old
	}
	keys := cur.keyOf(src)
	size := keys.Size()
	r.Dynamodb = StreamRecord{ApproximateCreationDateTime: float64(d.cfg.Now().Unix()), StreamViewType: view}
	var err1, err2, err3 error
	r.Dynamodb.Keys, err1 = json.Marshal(keys)
	if view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES" {
		if new != nil {
			size += new.Size()
			r.Dynamodb.NewImage, err2 = json.Marshal(new)
		}
	}
	if view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES" {
		if old != nil {
			size += old.Size()
			r.Dynamodb.OldImage, err3 = json.Marshal(old)
		}
	}
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("dynamodb: stream record: %w", err)
	}
	r.Dynamodb.SizeBytes = int64(size)
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("dynamodb: stream record: %w", err)
	}
	s := stream{TableID: cur.ID, Label: cur.StreamLabel}
	_, err = seqlog.Append(ctx, tx, s.log(), b)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// streamArnResource is the stream an operation's StreamArn names.
func (d *DynamoDB) streamArnResource(c *api.Call) (api.Resource, error) {
	var in struct{ StreamArn string }
	switch v := c.Input.(type) {
	case *DescribeStreamInput:
		in.StreamArn = v.StreamArn
	case *GetShardIteratorInput:
		in.StreamArn = v.StreamArn
	default:
		if err := decode(c, &in); err != nil {
			return api.Resource{}, err
		}
	}
	return d.streamResource(c, in.StreamArn)
}

// loadStream reads the stream arn names, or answers
// ResourceNotFoundException.
func (d *DynamoDB) loadStream(ctx context.Context, arn string) (*stream, error) {
	account, region, table, label, ok := parseStreamARN(arn)
	if !ok {
		return nil, validation("Invalid StreamArn")
	}
	var s stream
	err := store.GetJSON(ctx, d.cfg.Store, streamsTable, streamKey(account, region, table, label), &s)
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Stream: %s not found", arn)
	}
	if err != nil {
		return nil, fmt.Errorf("dynamodb: stream %s: %w", arn, err)
	}
	return &s, nil
}

// listStreams is ListStreams: the streams of the call's account and
// region (of one table with TableName), in table and label order.
func (d *DynamoDB) listStreams(c *api.Call) (any, error) {
	var in ListStreamsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100", *in.Limit)
		}
		limit = *in.Limit
	}
	prefix := c.Account + "/" + c.Region + "/"
	if in.TableName != "" {
		prefix += in.TableName + "/"
	}
	after := ""
	if in.ExclusiveStartStreamArn != "" {
		account, region, table, label, ok := parseStreamARN(in.ExclusiveStartStreamArn)
		if !ok {
			return nil, validation("Invalid ExclusiveStartStreamArn")
		}
		after = streamKey(account, region, table, label)
	}
	items, err := d.cfg.Store.List(c.Context, streamsTable, prefix, after, limit+1)
	if err != nil {
		return nil, err
	}
	out := &ListStreamsOutput{Streams: []StreamSummary{}}
	for i, it := range items {
		if i == limit {
			out.LastEvaluatedStreamArn = out.Streams[limit-1].StreamArn
			break
		}
		var s stream
		if err := json.Unmarshal(it.Value, &s); err != nil {
			return nil, fmt.Errorf("dynamodb: stream %s: %w", it.Key, err)
		}
		out.Streams = append(out.Streams, StreamSummary{StreamArn: s.ARN, TableName: s.Table, StreamLabel: s.Label})
	}
	return out, nil
}

// describeStream is DescribeStream.
func (d *DynamoDB) describeStream(c *api.Call) (any, error) {
	var in DescribeStreamInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s, err := d.loadStream(c.Context, in.StreamArn)
	if err != nil {
		return nil, err
	}
	info, err := seqlog.Stat(c.Context, d.cfg.Store, s.log())
	if err != nil {
		return nil, err
	}
	desc := StreamDescription{StreamArn: s.ARN, StreamLabel: s.Label, StreamStatus: "ENABLED", StreamViewType: s.ViewType,
		CreationRequestDateTime: epoch(s.Created), TableName: s.Table, KeySchema: s.KeySchema}
	shard := Shard{ShardId: s.ShardID, SequenceNumberRange: SequenceNumberRange{StartingSequenceNumber: sequenceNumber(info.Trimmed + 1)}}
	if s.Closed != nil {
		desc.StreamStatus = "DISABLED"
		shard.SequenceNumberRange.EndingSequenceNumber = sequenceNumber(s.End)
	}
	if in.ExclusiveStartShardId != s.ShardID {
		desc.Shards = []Shard{shard}
	} else {
		desc.Shards = []Shard{}
	}
	return &DescribeStreamOutput{StreamDescription: desc}, nil
}

// getShardIterator is GetShardIterator.
func (d *DynamoDB) getShardIterator(c *api.Call) (any, error) {
	var in GetShardIteratorInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s, err := d.loadStream(c.Context, in.StreamArn)
	if err != nil {
		return nil, err
	}
	if in.ShardId != s.ShardID {
		return nil, api.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Shard does not exist")
	}
	info, err := seqlog.Stat(c.Context, d.cfg.Store, s.log())
	if err != nil {
		return nil, err
	}
	var pos seqlog.Position
	switch in.ShardIteratorType {
	case "TRIM_HORIZON":
		pos = info.Trimmed
	case "LATEST":
		pos = info.Last
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		if in.SequenceNumber == "" {
			return nil, validation("SequenceNumber is required for ShardIteratorType %s", in.ShardIteratorType)
		}
		n, ok := parseSequenceNumber(in.SequenceNumber)
		if !ok || n < 1 || n > info.Last {
			return nil, validation("Invalid SequenceNumber %s for shard %s", in.SequenceNumber, s.ShardID)
		}
		if n <= info.Trimmed {
			return nil, trimmed()
		}
		pos = n - 1
		if in.ShardIteratorType == "AFTER_SEQUENCE_NUMBER" {
			pos = n
		}
	default:
		if in.SequenceNumber != "" {
			return nil, validation("SequenceNumber is only valid for AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER")
		}
		return nil, validation("1 validation error detected: Value '%s' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]", in.ShardIteratorType)
	}
	if in.SequenceNumber != "" && (in.ShardIteratorType == "TRIM_HORIZON" || in.ShardIteratorType == "LATEST") {
		return nil, validation("SequenceNumber is only valid for AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER")
	}
	it, err := d.sealIterator(c.Context, iterator{Stream: s.ARN, Shard: s.ShardID, After: pos, Issued: d.cfg.Now().UnixMilli()})
	if err != nil {
		return nil, err
	}
	return &GetShardIteratorOutput{ShardIterator: it}, nil
}

// trimmed is the answer for a read of records past retention.
func trimmed() *api.Error {
	return api.Errorf(400, "TrimmedDataAccessException", "The operation attempted to read past the oldest stream record in a shard.")
}

// iteratorResource is the stream a GetRecords iterator reads; a
// malformed or forged iterator is refused before authorization.
func (d *DynamoDB) iteratorResource(c *api.Call) (api.Resource, error) {
	var in GetRecordsInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	it, err := d.openIterator(c.Context, in.ShardIterator)
	if err != nil {
		return api.Resource{}, err
	}
	return d.streamResource(c, it.Stream)
}

// maxGetRecords bounds GetRecords' Limit; maxGetRecordsBytes the size of
// its records (1 MB, as DynamoDB Streams returns at most).
const (
	maxGetRecords      = 1000
	maxGetRecordsBytes = 1 << 20
)

// getRecords is GetRecords.
func (d *DynamoDB) getRecords(c *api.Call) (any, error) {
	var in GetRecordsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	limit := maxGetRecords
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > maxGetRecords {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to %d", *in.Limit, maxGetRecords)
		}
		limit = *in.Limit
	}
	it, err := d.openIterator(c.Context, in.ShardIterator)
	if err != nil {
		return nil, err
	}
	if d.cfg.Now().Sub(time.UnixMilli(it.Issued)) > iteratorLifetime {
		return nil, api.Errorf(400, "ExpiredIteratorException", "Iterator expired. The iterator was created at time %s while right now it's %s. The iterator expires 15 minutes after creation.",
			time.UnixMilli(it.Issued).UTC().Format(time.RFC1123), d.cfg.Now().UTC().Format(time.RFC1123))
	}
	s, err := d.loadStream(c.Context, it.Stream)
	if err != nil {
		return nil, err
	}
	recs, err := seqlog.Read(c.Context, d.cfg.Store, s.log(), it.After, limit)
	if errors.Is(err, seqlog.ErrTrimmed) {
		return nil, trimmed()
	}
	if err != nil {
		return nil, err
	}
	out := &GetRecordsOutput{Records: make([]Record, 0, len(recs))}
	next, size := it.After, int64(0)
	for _, rec := range recs {
		var r Record
		if err := json.Unmarshal(rec.Value, &r); err != nil {
			return nil, fmt.Errorf("dynamodb: stream record %s/%d: %w", s.ARN, rec.Position, err)
		}
		if size += r.Dynamodb.SizeBytes; size > maxGetRecordsBytes && len(out.Records) > 0 {
			break
		}
		r.Dynamodb.SequenceNumber = sequenceNumber(rec.Position)
		out.Records = append(out.Records, r)
		next = rec.Position
	}
	if s.Closed != nil && next >= s.End {
		return out, nil
	}
	it.After, it.Issued = next, d.cfg.Now().UnixMilli()
	if out.NextShardIterator, err = d.sealIterator(c.Context, it); err != nil {
		return nil, err
	}
	return out, nil
}
