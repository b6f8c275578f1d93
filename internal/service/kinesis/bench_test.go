package kinesis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// batch is 100 records of 100 bytes over 100 partition keys.
func batch() []types.PutRecordsRequestEntry {
	entries := make([]types.PutRecordsRequestEntry, 100)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint("key-", i)), Data: make([]byte, 100)}
	}
	return entries
}

// benchStream starts a server with a stream of the given shards. The
// benchmarks loop with b.Loop, so one server serves the whole run.
func benchStream(b *testing.B, shards int32) *kinesis.Client {
	b.Helper()
	s := servertest.Start(b)
	cfg := s.RootConfig()
	// Over loopback an answer can arrive while net/http's writer still
	// finishes the request body; the SDK then sometimes fails the read
	// with "use of closed network connection". Its retry absorbs that.
	cfg.RetryMaxAttempts = 3
	c := kinesis.NewFromConfig(cfg)
	if _, err := c.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String("bench"), ShardCount: aws.Int32(shards)}); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkPutRecords: PutRecords of 100 records through the gateway
// (SigV4, authorization, trail), one client.
func BenchmarkPutRecords(b *testing.B) {
	c := benchStream(b, 4)
	ctx := context.Background()
	entries := batch()
	n, start := 0, time.Now()
	for b.Loop() {
		if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("bench"), Records: entries}); err != nil {
			b.Fatal(err)
		}
		n += len(entries)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkGetRecords: GetRecords of 1000 records of 100 bytes through the
// gateway, one client.
func BenchmarkGetRecords(b *testing.B) {
	c := benchStream(b, 1)
	ctx := context.Background()
	entries := batch()
	for range 10 {
		if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("bench"), Records: entries}); err != nil {
			b.Fatal(err)
		}
	}
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("bench"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		b.Fatal(err)
	}
	n, start := 0, time.Now()
	for b.Loop() {
		r, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(1000)})
		if err != nil {
			b.Fatal(err)
		}
		n += len(r.Records)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
}
