package kinesis

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/api/apitest"
)

// TestIteratorRegion: a shard iterator reads in its stream's region only;
// in another it is invalid, so a policy that denies the stream's region
// (aws:RequestedRegion) cannot be passed by calling another region's
// endpoint with it.
func TestIteratorRegion(t *testing.T) {
	f, _, _ := fixture(t, 0)
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":1}`)}))
	it := must(t, f.Run("GetShardIterator", apitest.Request{Input: &GetShardIteratorInput{StreamName: "s", ShardId: shardID(0), ShardIteratorType: "TRIM_HORIZON"}})).(*GetShardIteratorOutput)
	must(t, f.Run("GetRecords", apitest.Request{Input: &GetRecordsInput{ShardIterator: it.ShardIterator}}))
	r := f.Run("GetRecords", apitest.Request{Region: "eu-west-1", Input: &GetRecordsInput{ShardIterator: it.ShardIterator}})
	var e *api.Error
	if !errors.As(r.Err, &e) || e.Code != "InvalidArgumentException" || e.Message != "Invalid ShardIterator." {
		t.Fatalf("GetRecords in another region: %v", r.Err)
	}
}

// TestRecreatedInTheSameMillisecond: a stream deleted and created again
// under its name at the same instant is a new incarnation: the old
// iterators and sequence numbers do not read it, and its sequence numbers
// are not the old ones.
func TestRecreatedInTheSameMillisecond(t *testing.T) {
	f, _, _ := fixture(t, 0) // the fixture's clock stands still
	put := func() string {
		out := must(t, f.Run("PutRecord", apitest.Request{Body: []byte(`{"StreamName":"s","PartitionKey":"k","Data":"eA=="}`)})).(*putRecordOutput)
		return out.SequenceNumber
	}
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":1}`)}))
	old := put()
	it := must(t, f.Run("GetShardIterator", apitest.Request{Input: &GetShardIteratorInput{StreamName: "s", ShardId: shardID(0), ShardIteratorType: "TRIM_HORIZON"}})).(*GetShardIteratorOutput)
	must(t, f.Run("DeleteStream", apitest.Request{Body: []byte(`{"StreamName":"s"}`)}))
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":1}`)}))
	if seq := put(); seq == old {
		t.Fatalf("the new stream's first record has the old one's sequence number %s", seq)
	}
	var e *api.Error
	r := f.Run("GetRecords", apitest.Request{Input: &GetRecordsInput{ShardIterator: it.ShardIterator}})
	if !errors.As(r.Err, &e) || e.Code != "ResourceNotFoundException" {
		t.Fatalf("an iterator of the deleted stream on the new one: %v %+v", r.Err, r.Output)
	}
	r = f.Run("GetShardIterator", apitest.Request{Input: &GetShardIteratorInput{StreamName: "s", ShardId: shardID(0), ShardIteratorType: "AT_SEQUENCE_NUMBER", StartingSequenceNumber: old}})
	if !errors.As(r.Err, &e) || e.Code != "InvalidArgumentException" {
		t.Fatalf("a sequence number of the deleted stream on the new one: %v", r.Err)
	}
}

// TestListShardsToken: ListShards' NextToken is sealed: one written by
// hand (here, one naming shard -5 of the stream) is refused.
func TestListShardsToken(t *testing.T) {
	f, _, _ := fixture(t, 0)
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":3}`)}))
	page := must(t, f.Run("ListShards", apitest.Request{Input: &ListShardsInput{StreamName: "s", MaxResults: ptr(1)}})).(*ListShardsOutput)
	next := must(t, f.Run("ListShards", apitest.Request{Input: &ListShardsInput{NextToken: page.NextToken, MaxResults: ptr(1)}})).(*ListShardsOutput)
	if len(next.Shards) != 1 || next.Shards[0].ShardId != shardID(1) {
		t.Fatalf("second page %+v", next)
	}
	created := must(t, f.Run("DescribeStreamSummary", apitest.Request{Input: &DescribeStreamSummaryInput{StreamName: "s"}})).(*DescribeStreamSummaryOutput).StreamDescriptionSummary.StreamCreationTimestamp
	forged, _ := jsonMarshal(shardsToken{Stream: "s", Account: apitest.DefaultAccount, Epoch: created.UnixMilli(), After: -5})
	r := f.Run("ListShards", apitest.Request{Input: &ListShardsInput{NextToken: base64.RawURLEncoding.EncodeToString(forged)}})
	var e *api.Error
	if !errors.As(r.Err, &e) || e.Code != "InvalidArgumentException" {
		t.Fatalf("a forged NextToken: %v %+v", r.Err, r.Output)
	}
}

func ptr(n int) *int { return &n }
