package kinesis_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

func client(s *servertest.Server) *kinesis.Client {
	return kinesis.NewFromConfig(s.RootConfig())
}

// create makes a provisioned stream of n shards and waits for it as the
// CLI's stream-exists waiter does.
func create(t *testing.T, c *kinesis.Client, name string, n int32) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(n)}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	w := kinesis.NewStreamExistsWaiter(c, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("wait stream-exists: %v", err)
	}
}

// code returns the AWS error code of err, failing the test without one.
func code(t *testing.T, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

func TestStreamLifecycle(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	create(t, c, "orders", 3)

	d, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("orders"), Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	sd := d.StreamDescription
	if sd.StreamStatus != types.StreamStatusActive || len(sd.Shards) != 2 || !*sd.HasMoreShards || *sd.RetentionPeriodHours != 24 ||
		*sd.StreamARN != "arn:aws:kinesis:"+s.Region()+":"+*mustAccount(t, s)+":stream/orders" || sd.StreamModeDetails.StreamMode != types.StreamModeProvisioned {
		t.Fatalf("DescribeStream = %+v", sd)
	}
	if *sd.Shards[0].HashKeyRange.StartingHashKey != "0" || *sd.Shards[0].HashKeyRange.EndingHashKey != "113427455640312821154458202477256070484" ||
		*sd.Shards[1].HashKeyRange.StartingHashKey != "113427455640312821154458202477256070485" {
		t.Fatalf("hash ranges = %+v %+v", sd.Shards[0].HashKeyRange, sd.Shards[1].HashKeyRange)
	}
	if seq := *sd.Shards[0].SequenceNumberRange.StartingSequenceNumber; len(seq) != 56 {
		t.Fatalf("StartingSequenceNumber %q", seq)
	}
	d, err = c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("orders"), ExclusiveStartShardId: sd.Shards[1].ShardId})
	if err != nil || len(d.StreamDescription.Shards) != 1 || *d.StreamDescription.Shards[0].ShardId != "shardId-000000000002" ||
		*d.StreamDescription.HasMoreShards || *d.StreamDescription.Shards[0].HashKeyRange.EndingHashKey != "340282366920938463463374607431768211455" {
		t.Fatalf("DescribeStream after shard 1: %v %+v", err, d)
	}

	// ListShards pages with NextToken, by StreamARN.
	ls, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamARN: sd.StreamARN, MaxResults: aws.Int32(2)})
	if err != nil || len(ls.Shards) != 2 || ls.NextToken == nil {
		t.Fatalf("ListShards: %v %+v", err, ls)
	}
	ls, err = c.ListShards(ctx, &kinesis.ListShardsInput{NextToken: ls.NextToken})
	if err != nil || len(ls.Shards) != 1 || ls.NextToken != nil || *ls.Shards[0].ShardId != "shardId-000000000002" {
		t.Fatalf("ListShards page 2: %v %+v", err, ls)
	}
	_, err = c.ListShards(ctx, &kinesis.ListShardsInput{NextToken: aws.String("x"), StreamName: aws.String("orders")})
	if cd, _ := code(t, err); cd != "InvalidArgumentException" {
		t.Fatalf("NextToken with StreamName: %v", err)
	}

	// On-demand streams start with four shards.
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("clicks"),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	sum, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("clicks")})
	if err != nil || *sum.StreamDescriptionSummary.OpenShardCount != 4 || sum.StreamDescriptionSummary.StreamModeDetails.StreamMode != types.StreamModeOnDemand {
		t.Fatalf("DescribeStreamSummary: %v %+v", err, sum)
	}

	// ListStreams pages.
	l1, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{Limit: aws.Int32(1)})
	if err != nil || len(l1.StreamNames) != 1 || l1.StreamNames[0] != "clicks" || !*l1.HasMoreStreams || len(l1.StreamSummaries) != 1 {
		t.Fatalf("ListStreams: %v %+v", err, l1)
	}
	l2, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{NextToken: l1.NextToken})
	if err != nil || len(l2.StreamNames) != 1 || l2.StreamNames[0] != "orders" || *l2.HasMoreStreams {
		t.Fatalf("ListStreams page 2: %v %+v", err, l2)
	}

	// Errors, worded as Kinesis words them.
	_, err = c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("orders"), ShardCount: aws.Int32(1)})
	if cd, msg := code(t, err); cd != "ResourceInUseException" || !strings.Contains(msg, "Stream orders under account") {
		t.Fatalf("CreateStream again: %v", err)
	}
	_, err = c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("big"), ShardCount: aws.Int32(300)})
	if cd, msg := code(t, err); cd != "LimitExceededException" || !strings.Contains(msg, "exceed the shard limit") {
		t.Fatalf("CreateStream 300 shards: %v", err)
	}
	_, err = c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("bad name"), ShardCount: aws.Int32(1)})
	if cd, msg := code(t, err); cd != "ValidationException" || !strings.Contains(msg, "1 validation error detected: Value 'bad name' at 'streamName'") {
		t.Fatalf("CreateStream bad name: %v", err)
	}
	_, err = c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("nope")})
	if cd, msg := code(t, err); cd != "ResourceNotFoundException" || msg != "Stream nope under account "+*mustAccount(t, s)+" not found." {
		t.Fatalf("DescribeStream missing: %v", err)
	}

	// Retention.
	if _, err := c.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("orders"), RetentionPeriodHours: aws.Int32(48)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DecreaseStreamRetentionPeriod(ctx, &kinesis.DecreaseStreamRetentionPeriodInput{StreamName: aws.String("orders"), RetentionPeriodHours: aws.Int32(72)})
	if cd, msg := code(t, err); cd != "InvalidArgumentException" || !strings.Contains(msg, "can not be longer than existing retention period (48 hours)") {
		t.Fatalf("Decrease to 72: %v", err)
	}
	_, err = c.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("orders"), RetentionPeriodHours: aws.Int32(9000)})
	if cd, msg := code(t, err); cd != "InvalidArgumentException" || !strings.Contains(msg, "Maximum allowed retention period is 8760 hours") {
		t.Fatalf("Increase to 9000: %v", err)
	}
	sum, err = c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("orders")})
	if err != nil || *sum.StreamDescriptionSummary.RetentionPeriodHours != 48 {
		t.Fatalf("retention: %v %+v", err, sum)
	}

	// Tags.
	if _, err := c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("orders"), Tags: map[string]string{"team": "a", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveTagsFromStream(ctx, &kinesis.RemoveTagsFromStreamInput{StreamName: aws.String("orders"), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tl, err := c.ListTagsForStream(ctx, &kinesis.ListTagsForStreamInput{StreamName: aws.String("orders")})
	if err != nil || len(tl.Tags) != 1 || *tl.Tags[0].Key != "team" || *tl.HasMoreTags {
		t.Fatalf("ListTagsForStream: %v %+v", err, tl)
	}
	tr, err := c.ListTagsForResource(ctx, &kinesis.ListTagsForResourceInput{ResourceARN: sd.StreamARN})
	if err != nil || len(tr.Tags) != 1 {
		t.Fatalf("ListTagsForResource: %v %+v", err, tr)
	}

	// Encryption and enhanced monitoring are recorded.
	if _, err := c.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("orders"), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}); err != nil {
		t.Fatal(err)
	}
	em, err := c.EnableEnhancedMonitoring(ctx, &kinesis.EnableEnhancedMonitoringInput{StreamName: aws.String("orders"), ShardLevelMetrics: []types.MetricsName{types.MetricsNameIncomingBytes}})
	if err != nil || len(em.DesiredShardLevelMetrics) != 1 || len(em.CurrentShardLevelMetrics) != 0 {
		t.Fatalf("EnableEnhancedMonitoring: %v %+v", err, em)
	}
	d, err = c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("orders")})
	if err != nil || d.StreamDescription.EncryptionType != types.EncryptionTypeKms || *d.StreamDescription.KeyId != "alias/aws/kinesis" ||
		len(d.StreamDescription.EnhancedMonitoring[0].ShardLevelMetrics) != 1 {
		t.Fatalf("DescribeStream after encryption: %v %+v", err, d)
	}
	if _, err := c.UpdateStreamMode(ctx, &kinesis.UpdateStreamModeInput{StreamARN: sd.StreamARN, StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	sum, err = c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("orders")})
	if err != nil || sum.StreamDescriptionSummary.StreamModeDetails.StreamMode != types.StreamModeOnDemand || *sum.StreamDescriptionSummary.OpenShardCount != 3 {
		t.Fatalf("after UpdateStreamMode: %v %+v", err, sum)
	}
	_, err = c.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String("orders"), TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling})
	if cd, _ := code(t, err); cd != "InvalidArgumentException" {
		t.Fatalf("UpdateShardCount: %v", err)
	}

	if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	w := kinesis.NewStreamNotExistsWaiter(c, func(o *kinesis.StreamNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("orders")}, 5*time.Second); err != nil {
		t.Fatalf("wait stream-not-exists: %v", err)
	}
}

func mustAccount(t *testing.T, s *servertest.Server) *string {
	t.Helper()
	return aws.String(accountOf(t, s))
}

// accountOf is the server's account, as STS names the root caller's.
func accountOf(t *testing.T, s *servertest.Server) string {
	t.Helper()
	id, err := sts.NewFromConfig(s.RootConfig()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return *id.Account
}

// shardOf is the shard of n a partition key goes to: the MD5 of the key as
// a 128-bit integer, in n even ranges.
func shardOf(key string, n int) string {
	sum := md5.Sum([]byte(key))
	h := new(big.Int).SetBytes(sum[:])
	step := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(int64(n)))
	i := min(int(new(big.Int).Div(h, step).Int64()), n-1)
	return fmt.Sprintf("shardId-%012d", i)
}

// readAll is the consumer loop users write: every shard from TRIM_HORIZON,
// GetRecords until caught up.
func readAll(t *testing.T, c *kinesis.Client, stream string) map[string][]types.Record {
	t.Helper()
	ctx := context.Background()
	out := map[string][]types.Record{}
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for range 1000 {
			r, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(7)})
			if err != nil {
				t.Fatal(err)
			}
			out[*sh.ShardId] = append(out[*sh.ShardId], r.Records...)
			iter = r.NextShardIterator
			if len(r.Records) == 0 && *r.MillisBehindLatest == 0 {
				break
			}
		}
	}
	return out
}

func TestConsumerLoop(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	create(t, c, "events", 4)
	var entries []types.PutRecordsRequestEntry
	for i := range 60 {
		entries = append(entries, types.PutRecordsRequestEntry{Data: []byte(fmt.Sprintf("event-%d", i)), PartitionKey: aws.String(fmt.Sprintf("user-%d", i%9))})
	}
	// An explicit hash key picks the shard whatever the partition key.
	entries = append(entries, types.PutRecordsRequestEntry{Data: []byte("explicit"), PartitionKey: aws.String("user-0"), ExplicitHashKey: aws.String("340282366920938463463374607431768211455")})
	pr, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("events"), Records: entries})
	if err != nil || *pr.FailedRecordCount != 0 || len(pr.Records) != len(entries) {
		t.Fatalf("PutRecords: %v %+v", err, pr)
	}
	for i, r := range pr.Records[:60] {
		if want := shardOf(fmt.Sprintf("user-%d", i%9), 4); *r.ShardId != want || len(*r.SequenceNumber) != 56 {
			t.Fatalf("record %d went to %s (%s), want %s", i, *r.ShardId, *r.SequenceNumber, want)
		}
	}
	if *pr.Records[60].ShardId != "shardId-000000000003" {
		t.Fatalf("explicit hash key went to %s", *pr.Records[60].ShardId)
	}
	one, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), PartitionKey: aws.String("user-1"), Data: []byte("last"),
		SequenceNumberForOrdering: pr.Records[1].SequenceNumber})
	if err != nil || *one.ShardId != *pr.Records[1].ShardId || *one.SequenceNumber <= *pr.Records[1].SequenceNumber {
		t.Fatalf("PutRecord: %v %+v", err, one)
	}

	got := readAll(t, c, "events")
	total := 0
	for shard, recs := range got {
		total += len(recs)
		for i, r := range recs {
			if i > 0 && *r.SequenceNumber <= *recs[i-1].SequenceNumber {
				t.Fatalf("%s: sequence numbers out of order: %s after %s", shard, *r.SequenceNumber, *recs[i-1].SequenceNumber)
			}
			if r.ApproximateArrivalTimestamp == nil || time.Since(*r.ApproximateArrivalTimestamp) > time.Minute {
				t.Fatalf("ApproximateArrivalTimestamp %v", r.ApproximateArrivalTimestamp)
			}
		}
	}
	if total != len(entries)+1 {
		t.Fatalf("read %d records, wrote %d", total, len(entries)+1)
	}
	// The records of one partition key come back in the order written.
	var user0 []string
	for _, r := range got[shardOf("user-0", 4)] {
		if *r.PartitionKey == "user-0" && string(r.Data) != "explicit" {
			user0 = append(user0, string(r.Data))
		}
	}
	if want := []string{"event-0", "event-9", "event-18", "event-27", "event-36", "event-45", "event-54"}; fmt.Sprint(user0) != fmt.Sprint(want) {
		t.Fatalf("user-0 records %v, want %v", user0, want)
	}
}

func TestIteratorTypes(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Now()}
	s := servertest.StartWith(t, servertest.Options{Now: clock.Now})
	c := client(s)
	ctx := context.Background()
	create(t, c, "ticks", 1)
	var seqs []string
	for i := range 5 {
		clock.Add(time.Second)
		r, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("ticks"), PartitionKey: aws.String("k"), Data: []byte{byte(i)}})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, *r.SequenceNumber)
	}
	first := func(in *kinesis.GetShardIteratorInput) []byte {
		t.Helper()
		in.StreamName, in.ShardId = aws.String("ticks"), aws.String("shardId-000000000000")
		it, err := c.GetShardIterator(ctx, in)
		if err != nil {
			t.Fatalf("GetShardIterator %s: %v", in.ShardIteratorType, err)
		}
		r, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		var data []byte
		for _, rec := range r.Records {
			data = append(data, rec.Data...)
		}
		return data
	}
	for _, tc := range []struct {
		in   kinesis.GetShardIteratorInput
		want []byte
	}{
		{kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon}, []byte{0, 1, 2, 3, 4}},
		{kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeLatest}, nil},
		{kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: &seqs[2]}, []byte{2, 3, 4}},
		{kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: &seqs[2]}, []byte{3, 4}},
		{kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(clock.Now().Add(-2500 * time.Millisecond))}, []byte{2, 3, 4}},
		{kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(clock.Now().Add(time.Hour))}, nil},
	} {
		if got := first(&tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: read %v, want %v", tc.in.ShardIteratorType, got, tc.want)
		}
	}

	_, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("ticks"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber})
	if cd, msg := code(t, err); cd != "InvalidArgumentException" || !strings.HasPrefix(msg, "Must either specify (1) AT_SEQUENCE_NUMBER") {
		t.Fatalf("AT_SEQUENCE_NUMBER without a number: %v", err)
	}
	_, err = c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("ticks"), ShardId: aws.String("shardId-000000000001"), ShardIteratorType: types.ShardIteratorTypeLatest})
	if cd, _ := code(t, err); cd != "ResourceNotFoundException" {
		t.Fatalf("missing shard: %v", err)
	}

	// Iterators are tamper-evident and expire after five minutes.
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("ticks"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(*it.ShardIterator)
	tampered[20] ^= 1
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(string(tampered))})
	if cd, _ := code(t, err); cd != "InvalidArgumentException" {
		t.Fatalf("tampered iterator: %v", err)
	}
	clock.Add(5*time.Minute + time.Second)
	_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if cd, msg := code(t, err); cd != "ExpiredIteratorException" || !strings.HasPrefix(msg, "Iterator expired. The iterator was created at time ") ||
		!strings.HasSuffix(msg, "which is further in the future than the tolerated delay of 300000 milliseconds.") {
		t.Fatalf("expired iterator: %v", err)
	}

}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestConcurrentWriters: writers racing on one shard each see their own
// records in the order they wrote them, and the shard's sequence numbers
// are unique and follow the order GetRecords returns them in.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	create(t, c, "race", 1)
	const writers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("race"), PartitionKey: aws.String(fmt.Sprint(w)),
					Data: []byte(fmt.Sprintf("%d/%d", w, i))}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	recs := readAll(t, c, "race")["shardId-000000000000"]
	if len(recs) != writers*each {
		t.Fatalf("read %d records", len(recs))
	}
	next := make([]int, writers)
	seen := map[string]bool{}
	for _, r := range recs {
		var w, i int
		if _, err := fmt.Sscanf(string(r.Data), "%d/%d", &w, &i); err != nil || i != next[w] {
			t.Fatalf("writer %d's record %d read where %d was due", w, i, next[w])
		}
		next[w]++
		if seen[*r.SequenceNumber] {
			t.Fatalf("sequence number %s twice", *r.SequenceNumber)
		}
		seen[*r.SequenceNumber] = true
	}
}

func TestRecordLimits(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	create(t, c, "limits", 1)
	_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("limits"), PartitionKey: aws.String("k"), Data: make([]byte, 1<<20+1)})
	if cd, msg := code(t, err); cd != "ValidationException" || msg != "1 validation error detected: Value at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576" {
		t.Fatalf("PutRecord 1 MiB + 1: %v", err)
	}
	entries := make([]types.PutRecordsRequestEntry, 501)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: []byte("x")}
	}
	_, err = c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("limits"), Records: entries})
	if cd, msg := code(t, err); cd != "ValidationException" || !strings.Contains(msg, "at 'records' failed to satisfy constraint: Member must have length less than or equal to 500") {
		t.Fatalf("PutRecords 501: %v", err)
	}
	big := make([]types.PutRecordsRequestEntry, 6)
	for i := range big {
		big[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: make([]byte, 1<<20-100)}
	}
	_, err = c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("limits"), Records: big})
	if cd, _ := code(t, err); cd != "InvalidArgumentException" {
		t.Fatalf("PutRecords 6 MiB: %v", err)
	}
	_, err = c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("limits"), PartitionKey: aws.String("k"), Data: []byte("x"),
		ExplicitHashKey: aws.String("340282366920938463463374607431768211456")})
	if cd, _ := code(t, err); cd != "InvalidArgumentException" {
		t.Fatalf("hash key 2^128: %v", err)
	}
	// Nothing was written by the refused calls.
	if n := len(readAll(t, c, "limits")["shardId-000000000000"]); n != 0 {
		t.Fatalf("%d records written by refused calls", n)
	}
}

func TestConsumers(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	create(t, c, "fan", 1)
	arn := "arn:aws:kinesis:" + s.Region() + ":" + accountOf(t, s) + ":stream/fan"
	reg, err := c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String("app")})
	if err != nil || !strings.HasPrefix(*reg.Consumer.ConsumerARN, arn+"/consumer/app:") {
		t.Fatalf("RegisterStreamConsumer: %v %+v", err, reg)
	}
	d, err := c.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{ConsumerARN: reg.Consumer.ConsumerARN})
	if err != nil || d.ConsumerDescription.ConsumerStatus != types.ConsumerStatusActive || *d.ConsumerDescription.StreamARN != arn {
		t.Fatalf("DescribeStreamConsumer: %v %+v", err, d)
	}
	_, err = c.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String("app")})
	if cd, _ := code(t, err); cd != "ResourceInUseException" {
		t.Fatalf("register twice: %v", err)
	}
	l, err := c.ListStreamConsumers(ctx, &kinesis.ListStreamConsumersInput{StreamARN: aws.String(arn)})
	if err != nil || len(l.Consumers) != 1 || *l.Consumers[0].ConsumerName != "app" {
		t.Fatalf("ListStreamConsumers: %v %+v", err, l)
	}
	_, err = c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("fan")})
	if cd, _ := code(t, err); cd != "ResourceInUseException" {
		t.Fatalf("DeleteStream with a consumer: %v", err)
	}
	if _, err := c.PutResourcePolicy(ctx, &kinesis.PutResourcePolicyInput{ResourceARN: reg.Consumer.ConsumerARN,
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountOf(t, s) + `:root"},"Action":"kinesis:SubscribeToShard","Resource":"` + *reg.Consumer.ConsumerARN + `"}]}`)}); err != nil {
		t.Fatalf("PutResourcePolicy on a consumer: %v", err)
	}
	// Enhanced fan-out's event stream is refused, by name.
	_, err = c.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{ConsumerARN: reg.Consumer.ConsumerARN, ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
	if cd, msg := code(t, err); cd != "InvalidArgumentException" || !strings.HasPrefix(msg, "SubscribeToShard is not supported by this endpoint") {
		t.Fatalf("SubscribeToShard: %v", err)
	}
	if _, err := c.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{ConsumerARN: reg.Consumer.ConsumerARN}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{StreamARN: aws.String(arn), ConsumerName: aws.String("app")})
	if cd, _ := code(t, err); cd != "ResourceNotFoundException" {
		t.Fatalf("after Deregister: %v", err)
	}
	if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("fan")}); err != nil {
		t.Fatal(err)
	}
}

// TestAccessDenied: a user without permission gets Kinesis's
// AccessDeniedException (HTTP 400); a stream's resource policy and tags
// take part in the decision.
func TestAccessDenied(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	create(t, c, "guarded", 1)
	if _, err := c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("guarded"), Tags: map[string]string{"team": "blue"}}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:kinesis:" + s.Region() + ":" + accountOf(t, s) + ":stream/guarded"
	uc := user(t, s, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kinesis:DescribeStream","kinesis:ListShards"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)
	if _, err := uc.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("guarded")}); err != nil {
		t.Fatalf("DescribeStream with a matching tag: %v", err)
	}
	_, err := uc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("guarded"), PartitionKey: aws.String("k"), Data: []byte("x")})
	var re interface{ HTTPStatusCode() int }
	if cd, msg := code(t, err); cd != "AccessDeniedException" || !errors.As(err, &re) || re.HTTPStatusCode() != 400 ||
		msg != "User: arn:aws:iam::"+accountOf(t, s)+":user/reader is not authorized to perform: kinesis:PutRecord on resource: "+arn+" because no identity-based policy allows the kinesis:PutRecord action" {
		t.Fatalf("PutRecord without permission: %v", err)
	}
	// The stream's policy grants the user PutRecord.
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountOf(t, s) + `:user/reader"},"Action":"kinesis:PutRecord","Resource":"` + arn + `"}]}`
	if _, err := c.PutResourcePolicy(ctx, &kinesis.PutResourcePolicyInput{ResourceARN: aws.String(arn), Policy: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetResourcePolicy(ctx, &kinesis.GetResourcePolicyInput{ResourceARN: aws.String(arn)})
	if err != nil || *gp.Policy != pol {
		t.Fatalf("GetResourcePolicy: %v %+v", err, gp)
	}
	if _, err := uc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("guarded"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
		t.Fatalf("PutRecord granted by the stream's policy: %v", err)
	}
	if _, err := c.DeleteResourcePolicy(ctx, &kinesis.DeleteResourcePolicyInput{ResourceARN: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = uc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("guarded"), PartitionKey: aws.String("k"), Data: []byte("x")})
	if cd, _ := code(t, err); cd != "AccessDeniedException" {
		t.Fatalf("PutRecord after DeleteResourcePolicy: %v", err)
	}
	_, err = c.PutResourcePolicy(ctx, &kinesis.PutResourcePolicyInput{ResourceARN: aws.String(arn), Policy: aws.String(`{"Statement":"nope"}`)})
	if cd, _ := code(t, err); cd != "InvalidArgumentException" {
		t.Fatalf("malformed policy: %v", err)
	}
	// The tag condition decides.
	if _, err := c.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: aws.String("guarded"), Tags: map[string]string{"team": "red"}}); err != nil {
		t.Fatal(err)
	}
	_, err = uc.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("guarded")})
	if cd, _ := code(t, err); cd != "AccessDeniedException" {
		t.Fatalf("DescribeStream with another tag: %v", err)
	}
}

// user creates an IAM user with an inline policy and returns a Kinesis
// client with its keys.
func user(t *testing.T, s *servertest.Server, name, doc string) *kinesis.Client {
	t.Helper()
	ctx := context.Background()
	iamc := awsiam.NewFromConfig(s.RootConfig())
	if _, err := iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	k, err := iamc.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return kinesis.NewFromConfig(s.Config(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, ""))
}

// TestTrail: record operations are data events, and no record data
// reaches the trail.
func TestTrail(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	c := client(s)
	ctx := context.Background()
	create(t, c, "audited", 1)
	if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("audited"), PartitionKey: aws.String("k"), Data: []byte("secret-payload")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("audited"), Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("k"), Data: []byte("secret-payload")}}}); err != nil {
		t.Fatal(err)
	}
	readAll(t, c, "audited")
	if err := s.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := s.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventSource", Value: "kinesis.amazonaws.com", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range evs {
		if bytes.Contains(e.Record, []byte("secret-payload")) || bytes.Contains(e.Record, []byte("c2VjcmV0LXBheWxvYWQ")) {
			t.Fatalf("record data in the trail: %s", e.Record)
		}
		var rec map[string]any
		if err := json.Unmarshal(e.Record, &rec); err != nil {
			t.Fatal(err)
		}
		seen[e.Name], _ = rec["eventCategory"].(string)
	}
	for _, op := range []string{"PutRecord", "PutRecords", "GetShardIterator", "GetRecords"} {
		if seen[op] != "Data" {
			t.Errorf("%s: eventCategory %q", op, seen[op])
		}
	}
	if seen["CreateStream"] != "Management" {
		t.Errorf("CreateStream: eventCategory %q", seen["CreateStream"])
	}
}

// TestTwoNodes: an iterator made by one node reads on another sharing the
// database.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	nodes := servertest.Nodes(t, 2)
	a, b := client(nodes[0]), client(nodes[1])
	ctx := context.Background()
	create(t, a, "shared", 1)
	if _, err := a.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("shared"), PartitionKey: aws.String("k"), Data: []byte("from a")}); err != nil {
		t.Fatal(err)
	}
	it, err := a.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("shared"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(r.Records) != 1 || string(r.Records[0].Data) != "from a" {
		t.Fatalf("GetRecords on the second node: %v %+v", err, r)
	}
	if _, err := b.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("shared"), PartitionKey: aws.String("k"), Data: []byte("from b")}); err != nil {
		t.Fatal(err)
	}
	r, err = a.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: r.NextShardIterator})
	if err != nil || len(r.Records) != 1 || string(r.Records[0].Data) != "from b" {
		t.Fatalf("GetRecords back on the first node: %v %+v", err, r)
	}
}
