package esm_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamstypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestDynamoDBCheckpointPastRetention: a DynamoDB stream mapping
// disabled longer than the stream's 24 hours of retention, its
// checkpoint trimmed away, goes on from the trim horizon once enabled
// again: the records written since are delivered (those trimmed are
// lost, as in AWS) instead of the shard stalling on
// TrimmedDataAccessException.
func TestDynamoDBCheckpointPastRetention(t *testing.T) {
	t.Parallel()
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	s := streamSuiteOn(servertest.StartWith(t, servertest.Options{Now: now, SweepInterval: 50 * time.Millisecond}))
	ctx := context.Background()
	arn := s.table(t, "kept", true)
	role := s.role(t, "kept-role", dynamodbPolicy)
	s.sinkFunction(t, "kept", role, "")
	id := s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("kept"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(10)})
	put := func(pk, v string) {
		t.Helper()
		if _, err := s.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("kept"),
			Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "v": &ddbtypes.AttributeValueMemberS{Value: v}}}); err != nil {
			t.Fatal(err)
		}
	}
	enable := func(on bool, state string) {
		t.Helper()
		if _, err := s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(on)}); err != nil {
			t.Fatal(err)
		}
		s.waitMapping(t, id, func(m *lambda.GetEventSourceMappingOutput) bool { return aws.ToString(m.State) == state })
	}
	put("a", "a")
	s.waitDelivered(t, "kept", 1)
	enable(false, "Disabled")
	put("b", "b")
	// 25 hours pass while the mapping is disabled: the sweeper trims a
	// and b. (No client calls meanwhile: their signatures would be
	// skewed.)
	streams := dynamodbstreams.NewFromConfig(s.srv.RootConfig())
	held := func() int {
		t.Helper()
		desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn),
			ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: streamstypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		return len(recs.Records)
	}
	for try := 0; ; try++ {
		skew.Store(int64(25 * time.Hour))
		time.Sleep(time.Second)
		skew.Store(0)
		n := held()
		if n == 0 {
			break
		}
		if try == 10 {
			t.Fatalf("the stream still holds %d records after 25 hours", n)
		}
	}
	enable(true, "Enabled")
	put("c", "c")
	invs := s.waitDelivered(t, "kept", 2)
	if got, want := delivered(invs), []string{"INSERT:a", "INSERT:c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}
