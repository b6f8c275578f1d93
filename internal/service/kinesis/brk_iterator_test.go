package kinesis

import (
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
