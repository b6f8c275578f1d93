package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

func stS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func stN(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

// streamTable creates table name (pk S, sk N) with a stream of view type
// view and returns its stream ARN.
func streamTable(t testing.TB, c *dynamodb.Client, name string, view types.StreamViewType) string {
	t.Helper()
	in := keyTable(name)
	in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: view}
	out, err := c.CreateTable(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TableDescription.LatestStreamArn)
	if !strings.HasPrefix(arn, aws.ToString(out.TableDescription.TableArn)+"/stream/") || aws.ToString(out.TableDescription.LatestStreamLabel) == "" {
		t.Fatalf("CreateTable with a stream: %+v", out.TableDescription)
	}
	return arn
}

// readShard reads every record of the stream's only shard from
// TRIM_HORIZON, and reports whether the shard ended (no next iterator).
func readShard(t testing.TB, c *dynamodbstreams.Client, arn string) ([]stypes.Record, bool) {
	t.Helper()
	ctx := context.Background()
	desc, err := c.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil || len(desc.StreamDescription.Shards) != 1 {
		t.Fatalf("DescribeStream: %+v %v", desc, err)
	}
	it, err := c.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn),
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	var recs []stypes.Record
	next := it.ShardIterator
	for next != nil {
		out, err := c.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: next, Limit: aws.Int32(7)})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, out.Records...)
		if len(out.Records) == 0 {
			return recs, out.NextShardIterator == nil
		}
		next = out.NextShardIterator
	}
	return recs, true
}

func TestStreamViewTypes(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	streams := dynamodbstreams.NewFromConfig(srv.RootConfig())
	ctx := context.Background()

	for _, view := range []types.StreamViewType{types.StreamViewTypeKeysOnly, types.StreamViewTypeNewImage, types.StreamViewTypeOldImage, types.StreamViewTypeNewAndOldImages} {
		name := "v-" + strings.ToLower(strings.ReplaceAll(string(view), "_", "-"))
		arn := streamTable(t, client, name, view)
		key := map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1")}
		v1 := map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1"), "v": stN("1")}
		v2 := map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1"), "v": stN("2")}
		for _, it := range []map[string]types.AttributeValue{v1, v1, v2} { // the second Put changes nothing: no record
			if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: it}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(name), Key: key}); err != nil {
			t.Fatal(err)
		}
		recs, _ := readShard(t, streams, arn)
		var got []string
		prev := ""
		for _, r := range recs {
			d := r.Dynamodb
			seq := aws.ToString(d.SequenceNumber)
			if len(seq) < 21 || seq <= prev || d.StreamViewType != stypes.StreamViewType(view) || aws.ToString(r.EventSource) != "aws:dynamodb" ||
				aws.ToString(r.EventVersion) != "1.1" || aws.ToString(r.AwsRegion) != "us-east-1" || len(d.Keys) != 2 || aws.ToInt64(d.SizeBytes) <= 0 ||
				d.ApproximateCreationDateTime == nil || r.UserIdentity != nil {
				t.Errorf("%s: record %+v %+v", view, r, d)
			}
			prev = seq
			got = append(got, fmt.Sprintf("%s new=%s old=%s", r.EventName, image(d.NewImage), image(d.OldImage)))
		}
		want := map[types.StreamViewType][]string{
			types.StreamViewTypeKeysOnly:        {"INSERT new= old=", "MODIFY new= old=", "REMOVE new= old="},
			types.StreamViewTypeNewImage:        {"INSERT new=1 old=", "MODIFY new=2 old=", "REMOVE new= old="},
			types.StreamViewTypeOldImage:        {"INSERT new= old=", "MODIFY new= old=1", "REMOVE new= old=2"},
			types.StreamViewTypeNewAndOldImages: {"INSERT new=1 old=", "MODIFY new=2 old=1", "REMOVE new= old=2"},
		}[view]
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("%s: records %q, want %q", view, got, want)
		}
	}
}

// image renders an image's "v" attribute, or "" without an image.
func image(m map[string]stypes.AttributeValue) string {
	if m == nil {
		return ""
	}
	if n, ok := m["v"].(*stypes.AttributeValueMemberN); ok {
		return n.Value
	}
	return "?"
}

// TestStreamCommitOrder has concurrent writers increment counters; each
// key's records must show its counter rising by one, in the order its
// writes committed.
func TestStreamCommitOrder(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	streams := dynamodbstreams.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	arn := streamTable(t, client, "counters", types.StreamViewTypeNewAndOldImages)

	const keys, writers, increments = 3, 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range increments {
				_, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("counters"),
					Key:                       map[string]types.AttributeValue{"pk": stS(fmt.Sprintf("k%d", (w+i)%keys)), "sk": stN("0")},
					UpdateExpression:          aws.String("ADD v :one"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":one": stN("1")}})
				if err != nil {
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
	recs, _ := readShard(t, streams, arn)
	if len(recs) != writers*increments {
		t.Fatalf("%d records, want %d", len(recs), writers*increments)
	}
	last := map[string]int{}
	for _, r := range recs {
		k := r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value
		n, _ := strconv.Atoi(image(r.Dynamodb.NewImage))
		old := 0
		if r.Dynamodb.OldImage != nil {
			old, _ = strconv.Atoi(image(r.Dynamodb.OldImage))
		}
		if n != last[k]+1 || old != last[k] {
			t.Fatalf("key %s: record new=%d old=%d after %d", k, n, old, last[k])
		}
		last[k] = n
	}
}

func TestStreamDisableAndEnable(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	streams := dynamodbstreams.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	first := streamTable(t, client, "flip", types.StreamViewTypeKeysOnly)
	put := func(sk string) {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("flip"),
			Item: map[string]types.AttributeValue{"pk": stS("a"), "sk": stN(sk)}}); err != nil {
			t.Fatal(err)
		}
	}
	put("1")

	_, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("flip"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	if code, msg := apiError(err); code != "ValidationException" || msg != "Table already has an enabled stream: TableName: flip" {
		t.Errorf("enable twice: %s %s", code, msg)
	}
	_, err = client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("flip"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false), StreamViewType: types.StreamViewTypeKeysOnly}})
	if code, msg := apiError(err); code != "ValidationException" || msg != "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified" {
		t.Errorf("disable with a view type: %s %s", code, msg)
	}
	if _, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("flip"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	put("2") // no stream: no record
	recs, ended := readShard(t, streams, first)
	if len(recs) != 1 || !ended {
		t.Errorf("disabled stream: %d records, ended %v", len(recs), ended)
	}
	desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(first)})
	if err != nil || desc.StreamDescription.StreamStatus != stypes.StreamStatusDisabled ||
		desc.StreamDescription.Shards[0].SequenceNumberRange.EndingSequenceNumber == nil {
		t.Errorf("DescribeStream of a disabled stream: %+v %v", desc, err)
	}
	td, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("flip")})
	if err != nil || td.Table.StreamSpecification != nil || aws.ToString(td.Table.LatestStreamArn) != first {
		t.Errorf("DescribeTable after disabling: %+v %v", td, err)
	}
	_, err = client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("flip"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}})
	if code, msg := apiError(err); code != "ValidationException" || msg != "Table has no stream to disable: TableName: flip" {
		t.Errorf("disable twice: %s %s", code, msg)
	}

	up, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("flip"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	if err != nil {
		t.Fatal(err)
	}
	second := aws.ToString(up.TableDescription.LatestStreamArn)
	if second == first || second == "" {
		t.Fatalf("re-enabled stream %q, first %q", second, first)
	}
	put("3")
	recs, ended = readShard(t, streams, second)
	if len(recs) != 1 || ended || image(recs[0].Dynamodb.NewImage) != "?" {
		t.Errorf("second stream: %+v, ended %v", recs, ended)
	}
	list, err := streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("flip")})
	if err != nil || len(list.Streams) != 2 || aws.ToString(list.Streams[0].StreamArn) != first || aws.ToString(list.Streams[1].StreamArn) != second {
		t.Errorf("ListStreams: %+v %v", list, err)
	}
	page, err := streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(1)})
	if err != nil || len(page.Streams) != 1 || aws.ToString(page.LastEvaluatedStreamArn) != first {
		t.Errorf("ListStreams page: %+v %v", page, err)
	}
}

func TestShardIterators(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	streams := dynamodbstreams.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	arn := streamTable(t, client, "iters", types.StreamViewTypeKeysOnly)
	for i := range 3 {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("iters"),
			Item: map[string]types.AttributeValue{"pk": stS("a"), "sk": stN(strconv.Itoa(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := readShard(t, streams, arn)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	desc, _ := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	shard := desc.StreamDescription.Shards[0].ShardId
	if !strings.HasPrefix(aws.ToString(shard), "shardId-") {
		t.Errorf("ShardId %q", aws.ToString(shard))
	}
	read := func(typ stypes.ShardIteratorType, seq *string) (int, error) {
		it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: shard,
			ShardIteratorType: typ, SequenceNumber: seq})
		if err != nil {
			return 0, err
		}
		out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			return 0, err
		}
		return len(out.Records), nil
	}
	mid := recs[1].Dynamodb.SequenceNumber
	for _, tc := range []struct {
		typ  stypes.ShardIteratorType
		seq  *string
		want int
	}{
		{stypes.ShardIteratorTypeTrimHorizon, nil, 3},
		{stypes.ShardIteratorTypeLatest, nil, 0},
		{stypes.ShardIteratorTypeAtSequenceNumber, mid, 2},
		{stypes.ShardIteratorTypeAfterSequenceNumber, mid, 1},
	} {
		if n, err := read(tc.typ, tc.seq); err != nil || n != tc.want {
			t.Errorf("%s: %d records, %v; want %d", tc.typ, n, err, tc.want)
		}
	}
	_, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("forged.iterator")})
	if code, _ := apiError(err); code != "ValidationException" {
		t.Errorf("forged iterator: %v", err)
	}
	_, err = streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String("shardId-00000000000000000000-00000000"),
		ShardIteratorType: stypes.ShardIteratorTypeLatest})
	var missing *stypes.ResourceNotFoundException
	if !errors.As(err, &missing) {
		t.Errorf("unknown shard: %v", err)
	}
}

// TestShardIteratorExpires: an iterator is good for 15 minutes.
func TestShardIteratorExpires(t *testing.T) {
	t.Parallel()
	// The server's clock starts 8 minutes back and moves 16 minutes on:
	// the iterator is then 16 minutes old, and the client's signatures,
	// dated by the real clock, stay within the 15 minutes of skew allowed.
	var mu sync.Mutex
	now := time.Now().Add(-8 * time.Minute)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := servertest.StartWith(t, servertest.Options{Now: clock})
	client := dynamodb.NewFromConfig(srv.RootConfig())
	streams := dynamodbstreams.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	arn := streamTable(t, client, "expiry", types.StreamViewTypeKeysOnly)
	desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn),
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeLatest})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(16 * time.Minute)
	mu.Unlock()
	_, err = streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	var expired *stypes.ExpiredIteratorException
	if !errors.As(err, &expired) {
		t.Errorf("GetRecords with an iterator 16 minutes old: %v", err)
	}
}

// TestShardIteratorsAcrossNodes: an iterator one node issues reads on
// from another node sharing the database.
func TestShardIteratorsAcrossNodes(t *testing.T) {
	t.Parallel()
	nodes := servertest.Nodes(t, 2)
	a := dynamodb.NewFromConfig(nodes[0].RootConfig())
	sa := dynamodbstreams.NewFromConfig(nodes[0].RootConfig())
	sb := dynamodbstreams.NewFromConfig(nodes[1].RootConfig())
	ctx := context.Background()
	arn := streamTable(t, a, "shared", types.StreamViewTypeNewImage)
	desc, err := sa.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	it, err := sa.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn),
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := a.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shared"),
			Item: map[string]types.AttributeValue{"pk": stS("a"), "sk": stN(strconv.Itoa(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := sb.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(1)})
	if err != nil || len(out.Records) != 1 {
		t.Fatalf("GetRecords on the other node: %+v %v", out, err)
	}
	out, err = sa.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: out.NextShardIterator})
	if err != nil || len(out.Records) != 1 || out.Records[0].Dynamodb.Keys["sk"].(*stypes.AttributeValueMemberN).Value != "1" {
		t.Fatalf("GetRecords back on the first node: %+v %v", out, err)
	}
}

// BenchmarkStreamGetRecords reads a shard of 1000 records, 1000 at a time,
// over HTTP with the trail on: records/s.
func BenchmarkStreamGetRecords(b *testing.B) {
	srv := servertest.Start(b)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	streams := dynamodbstreams.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	arn := streamTable(b, client, "bench", types.StreamViewTypeNewAndOldImages)
	const n = 1000
	for i := range n {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"),
			Item: map[string]types.AttributeValue{"pk": stS(fmt.Sprint(i)), "sk": stN("0"), "payload": stS(strings.Repeat("x", 200))}}); err != nil {
			b.Fatal(err)
		}
	}
	desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn),
			ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			b.Fatal(err)
		}
		out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil || len(out.Records) != n {
			b.Fatalf("%d records, %v", len(out.Records), err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
