package kinesis

import (
	"errors"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/api/apitest"
)

// TestInProcessLimit: an in-process GetRecords is held to the model's
// bounds on Limit, which a request's check enforces: a Limit below 1 once
// read the shard over and over without end.
func TestInProcessLimit(t *testing.T) {
	f, _, _ := fixture(t, 0)
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":1}`)}))
	must(t, f.Run("PutRecord", apitest.Request{Body: []byte(`{"StreamName":"s","PartitionKey":"k","Data":"eA=="}`)}))
	it := must(t, f.Run("GetShardIterator", apitest.Request{Input: &GetShardIteratorInput{StreamName: "s", ShardId: shardID(0), ShardIteratorType: "TRIM_HORIZON"}})).(*GetShardIteratorOutput)
	for limit, msg := range map[int]string{
		-1:    "1 validation error detected: Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
		0:     "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
		10001: "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
	} {
		r := f.Run("GetRecords", apitest.Request{Input: &GetRecordsInput{ShardIterator: it.ShardIterator, Limit: &limit}})
		var e *api.Error
		if !errors.As(r.Err, &e) || e.Code != "ValidationException" || e.Message != msg {
			t.Errorf("Limit %d: %v", limit, r.Err)
		}
	}
}

// TestRetentionShortenedThenLengthened: records a shortened retention
// period put past retention stay gone when the period is lengthened
// again: DecreaseStreamRetentionPeriod "may result in lost data" (Kinesis
// API Reference), not in data hidden for a while.
func TestRetentionShortenedThenLengthened(t *testing.T) {
	f, clk, _ := fixture(t, 0)
	must(t, f.Run("CreateStream", apitest.Request{Body: []byte(`{"StreamName":"s","ShardCount":1}`)}))
	must(t, f.Run("IncreaseStreamRetentionPeriod", apitest.Request{Body: []byte(`{"StreamName":"s","RetentionPeriodHours":48}`)}))
	must(t, f.Run("PutRecord", apitest.Request{Body: []byte(`{"StreamName":"s","PartitionKey":"k","Data":"eA=="}`)}))
	clk.add(30 * time.Hour)
	read := func() int {
		it := must(t, f.Run("GetShardIterator", apitest.Request{Input: &GetShardIteratorInput{StreamName: "s", ShardId: shardID(0), ShardIteratorType: "TRIM_HORIZON"}})).(*GetShardIteratorOutput)
		return len(must(t, f.Run("GetRecords", apitest.Request{Input: &GetRecordsInput{ShardIterator: it.ShardIterator}})).(*GetRecordsOutput).Records)
	}
	if n := read(); n != 1 {
		t.Fatalf("within 48 hours: %d records", n)
	}
	must(t, f.Run("DecreaseStreamRetentionPeriod", apitest.Request{Body: []byte(`{"StreamName":"s","RetentionPeriodHours":24}`)}))
	if n := read(); n != 0 {
		t.Fatalf("past a 24-hour retention: %d records", n)
	}
	must(t, f.Run("IncreaseStreamRetentionPeriod", apitest.Request{Body: []byte(`{"StreamName":"s","RetentionPeriodHours":48}`)}))
	if n := read(); n != 0 {
		t.Fatalf("retention lengthened again: %d records came back", n)
	}
}
