package dynamodb

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/store"
)

// TestStreamRetention: the sweeper trims records older than 24 hours; an
// iterator behind them gets TrimmedDataAccessException, a new one
// TRIM_HORIZON starts after them; a stream closed 24 hours ago is gone.
func TestStreamRetention(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "ddb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	d, err := New(Config{Account: "123456789012", Region: "us-east-1", Store: db, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	call := func(in any) *api.Call {
		return &api.Call{Context: ctx, Input: in, Account: "123456789012", Region: "us-east-1"}
	}
	created, err := d.createTable(call(&createTableInput{TableName: "old", BillingMode: "PAY_PER_REQUEST",
		AttributeDefinitions: []AttributeDefinition{{AttributeName: "pk", AttributeType: "S"}},
		KeySchema:            []KeyElement{{AttributeName: "pk", KeyType: "HASH"}},
		StreamSpecification:  &StreamSpec{StreamEnabled: true, StreamViewType: "KEYS_ONLY"}}))
	if err != nil {
		t.Fatal(err)
	}
	arn := created.(map[string]any)["TableDescription"].(*tableDescription).LatestStreamArn
	write := func(pk string) {
		tbl, err := d.freshTable(ctx, call(nil), "old")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			return d.recordChange(ctx, tx, nil, tbl, nil, attr.Item{"pk": attr.Str(pk)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	iterator := func(typ string) string {
		desc, err := d.describeStream(call(&DescribeStreamInput{StreamArn: arn}))
		if err != nil {
			t.Fatal(err)
		}
		out, err := d.getShardIterator(call(&GetShardIteratorInput{StreamArn: arn, ShardIteratorType: typ,
			ShardId: desc.(*DescribeStreamOutput).StreamDescription.Shards[0].ShardId}))
		if err != nil {
			t.Fatal(err)
		}
		return out.(*GetShardIteratorOutput).ShardIterator
	}
	list, err := d.listStreams(call(&ListStreamsInput{TableName: "old"}))
	if err != nil || len(list.(*ListStreamsOutput).Streams) != 1 || list.(*ListStreamsOutput).Streams[0].StreamArn != arn {
		t.Fatalf("ListStreams: %+v %v", list, err)
	}
	write("a")
	write("b")
	advance(23 * time.Hour)
	write("c")
	advance(2 * time.Hour) // a and b are 25 hours old, c 2 hours
	early := iterator("TRIM_HORIZON")
	if err := d.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = d.getRecords(call(&GetRecordsInput{ShardIterator: early}))
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != "TrimmedDataAccessException" {
		t.Errorf("GetRecords behind the trim horizon: %v", err)
	}
	desc, _ := d.describeStream(call(&DescribeStreamInput{StreamArn: arn}))
	shard := desc.(*DescribeStreamOutput).StreamDescription.Shards[0]
	_, err = d.getShardIterator(call(&GetShardIteratorInput{StreamArn: arn, ShardId: shard.ShardId,
		ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: sequenceNumber(1)}))
	if !errors.As(err, &ae) || ae.Code != "TrimmedDataAccessException" {
		t.Errorf("GetShardIterator at a trimmed record: %v", err)
	}
	if shard.SequenceNumberRange.StartingSequenceNumber != sequenceNumber(3) {
		t.Errorf("shard starts at %s", shard.SequenceNumberRange.StartingSequenceNumber)
	}
	out, err := d.getRecords(call(&GetRecordsInput{ShardIterator: iterator("TRIM_HORIZON")}))
	if err != nil {
		t.Fatal(err)
	}
	recs := out.(*GetRecordsOutput).Records
	if len(recs) != 1 || string(recs[0].Dynamodb.Keys) != `{"pk":{"S":"c"}}` {
		t.Errorf("records after the trim: %+v", recs)
	}

	if _, err := d.updateTable(call(&updateTableInput{TableName: "old", StreamSpecification: &StreamSpec{}})); err != nil {
		t.Fatal(err)
	}
	advance(25 * time.Hour)
	if err := d.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.describeStream(call(&DescribeStreamInput{StreamArn: arn})); !errors.As(err, &ae) || ae.Code != "ResourceNotFoundException" {
		t.Errorf("a stream closed 25 hours ago: %v", err)
	}
}
