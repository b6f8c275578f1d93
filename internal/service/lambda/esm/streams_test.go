package esm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

// values is "<prefix>0".."<prefix>n-1" on one partition key each of keys.
func values(prefix string, n int, keys ...string) [][2]string {
	var out [][2]string
	for i := range n {
		out = append(out, [2]string{keys[i%len(keys)], fmt.Sprintf("%s%d", prefix, i)})
	}
	return out
}

func valuesOf(recs [][2]string) []string {
	var vs []string
	for _, r := range recs {
		vs = append(vs, r[1])
	}
	return vs
}

// TestKinesisInOrder: records put on a one-shard stream reach the function
// once each, in order, in batches of at most BatchSize, in Lambda's
// Kinesis event shape; LastProcessingResult is OK.
func TestKinesisInOrder(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	arn := s.stream(t, "ordered", 1)
	role := s.role(t, "ordered-role", kinesisPolicy, streamsBasic)
	s.sinkFunction(t, "ordered", role, "")
	recs := values("r", 25, "a", "b", "c")
	seqs := s.put(t, arn, recs...)
	id := s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("ordered"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(10)})
	invs := s.waitDelivered(t, "ordered", len(recs))
	if got, want := delivered(invs), valuesOf(recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	for _, inv := range invs {
		if len(inv.got) > 10 {
			t.Errorf("a batch of %d records, BatchSize 10", len(inv.got))
		}
	}
	first := invs[0].first
	k, _ := first["kinesis"].(map[string]any)
	want := map[string]any{"eventSource": "aws:kinesis", "eventVersion": "1.0", "eventName": "aws:kinesis:record",
		"eventID": "shardId-000000000000:" + seqs[0], "invokeIdentityArn": role, "awsRegion": "us-east-1", "eventSourceARN": arn}
	for f, v := range want {
		if first[f] != v {
			t.Errorf("record %s = %v, want %v", f, first[f], v)
		}
	}
	if k["kinesisSchemaVersion"] != "1.0" || k["partitionKey"] != "a" || k["sequenceNumber"] != seqs[0] || k["data"] != "cjA=" {
		t.Errorf("kinesis member %v", k)
	}
	if ts, ok := k["approximateArrivalTimestamp"].(float64); !ok || time.Since(time.Unix(int64(ts), 0)) > time.Hour {
		t.Errorf("approximateArrivalTimestamp %v", k["approximateArrivalTimestamp"])
	}
	s.waitMapping(t, id, func(m *lambda.GetEventSourceMappingOutput) bool { return aws.ToString(m.LastProcessingResult) == "OK" })
}

// TestDynamoDBStreamInOrder: a table's changes (insert, modify, remove)
// reach the function in order, in Lambda's DynamoDB event shape.
func TestDynamoDBStreamInOrder(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	ctx := context.Background()
	arn := s.table(t, "items", true)
	role := s.role(t, "items-role", dynamodbPolicy)
	s.sinkFunction(t, "items", role, "")
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("items"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionLatest, BatchSize: aws.Int32(3)})
	var want []string
	for i := range 4 {
		pk := &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("k%d", i)}
		for _, v := range []string{"one", "two"} {
			if _, err := s.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"),
				Item: map[string]ddbtypes.AttributeValue{"pk": pk, "v": &ddbtypes.AttributeValueMemberS{Value: v}}}); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, "INSERT:one", "MODIFY:two")
	}
	if _, err := s.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("items"),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "k0"}}}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "REMOVE:two")
	invs := s.waitDelivered(t, "items", len(want))
	if got := delivered(invs); !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	first := invs[0].first
	if first["eventSource"] != "aws:dynamodb" || first["eventName"] != "INSERT" || first["eventSourceARN"] != arn || first["awsRegion"] != "us-east-1" {
		t.Errorf("record %v", first)
	}
	d, _ := first["dynamodb"].(map[string]any)
	if d["StreamViewType"] != "NEW_AND_OLD_IMAGES" || d["Keys"] == nil || d["NewImage"] == nil || d["SequenceNumber"] == nil {
		t.Errorf("dynamodb member %v", d)
	}
}

// TestKinesisPoisonBisected: a record the function always fails on is
// bisected down to itself, retried MaximumRetryAttempts times and sent to
// the on-failure queue with its batch info; every other record reaches
// the function once, in order.
func TestKinesisPoisonBisected(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	arn := s.stream(t, "poisoned", 1)
	url, qarn := s.queue(t, "poison-dlq")
	role := s.role(t, "poisoned-role", kinesisPolicy, streamsBasic)
	s.attach(t, "poisoned-role", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
	fn := s.sinkFunction(t, "poisoned", role, "raise")
	recs := values("r", 8, "a")
	recs[5][1] = "poison"
	seqs := s.put(t, arn, recs...)
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("poisoned"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(8),
		BisectBatchOnFunctionError: aws.Bool(true), MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(qarn)}}})
	docs := s.receive(t, url, 1)
	want := slices.Delete(valuesOf(recs), 5, 6)
	invs := s.waitDelivered(t, "poisoned", len(want))
	if got := delivered(invs); !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	doc := docs[0]
	rc, _ := doc["requestContext"].(map[string]any)
	info, _ := doc["KinesisBatchInfo"].(map[string]any)
	if rc["condition"] != "RetryAttemptsExhausted" || rc["functionArn"] != fn || rc["approximateInvokeCount"] != 2.0 {
		t.Errorf("requestContext %v", rc)
	}
	if resp, _ := doc["responseContext"].(map[string]any); resp["functionError"] != "Unhandled" || resp["statusCode"] != 200.0 {
		t.Errorf("responseContext %v", resp)
	}
	if info["shardId"] != "shardId-000000000000" || info["startSequenceNumber"] != seqs[5] || info["endSequenceNumber"] != seqs[5] ||
		info["batchSize"] != 1.0 || info["streamArn"] != arn || doc["version"] != "1.0" {
		t.Errorf("on-failure record %v", doc)
	}
}

// TestKinesisRetryLimitWithoutBisect: without bisection the whole batch
// holding a poison record is given up after MaximumRetryAttempts, sent
// to the destination, and the records after it still arrive.
func TestKinesisRetryLimitWithoutBisect(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	arn := s.stream(t, "limited", 1)
	url, qarn := s.queue(t, "limited-dlq")
	role := s.role(t, "limited-role", kinesisPolicy, streamsBasic)
	s.attach(t, "limited-role", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
	s.sinkFunction(t, "limited", role, "raise")
	recs := values("r", 4, "a")
	recs[1][1] = "poison"
	seqs := s.put(t, arn, recs...)
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("limited"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(2), MaximumRetryAttempts: aws.Int32(2),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(qarn)}}})
	doc := s.receive(t, url, 1)[0]
	if got := delivered(s.waitDelivered(t, "limited", 2)); !reflect.DeepEqual(got, []string{"r2", "r3"}) {
		t.Fatalf("delivered %v, want the second batch", got)
	}
	rc, _ := doc["requestContext"].(map[string]any)
	info, _ := doc["KinesisBatchInfo"].(map[string]any)
	if rc["approximateInvokeCount"] != 3.0 || info["startSequenceNumber"] != seqs[0] || info["endSequenceNumber"] != seqs[1] || info["batchSize"] != 2.0 {
		t.Errorf("on-failure record %v", doc)
	}
}

// TestKinesisReportBatchItemFailures: a batch item failure checkpoints
// before the failed record and retries from it: every record reaches the
// function once, in order, and the retry starts at the failed record.
func TestKinesisReportBatchItemFailures(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	arn := s.stream(t, "partial", 1)
	role := s.role(t, "partial-role", kinesisPolicy, streamsBasic)
	s.sinkFunction(t, "partial", role, "report")
	recs := values("r", 6, "a")
	recs[3][1] = "flaky"
	s.put(t, arn, recs...)
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("partial"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(6),
		FunctionResponseTypes: []lambdatypes.FunctionResponseType{lambdatypes.FunctionResponseTypeReportBatchItemFailures}})
	invs := s.waitDelivered(t, "partial", len(recs))
	if got := delivered(invs); !reflect.DeepEqual(got, valuesOf(recs)) {
		t.Fatalf("delivered %v, want %v", got, valuesOf(recs))
	}
	if len(invs) != 2 || len(invs[0].got) != 3 || invs[1].got[0][1] != "flaky" {
		t.Fatalf("invocations %v, want r0..r2 then flaky..r5", invs)
	}
}

// TestParallelizationFactorKeepsKeysInOrder: with ParallelizationFactor
// 4 the records of each partition key still arrive in order.
func TestParallelizationFactorKeepsKeysInOrder(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	arn := s.stream(t, "parallel", 1)
	role := s.role(t, "parallel-role", kinesisPolicy, streamsBasic)
	s.sinkFunction(t, "parallel", role, "")
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}
	recs := values("r", 64, keys...)
	s.put(t, arn, recs...)
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("parallel"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(4), ParallelizationFactor: aws.Int32(4)})
	invs := s.waitDelivered(t, "parallel", len(recs))
	perKey := map[string][]string{}
	n := 0
	for _, inv := range invs {
		for _, g := range inv.got {
			perKey[g[0]] = append(perKey[g[0]], g[1])
			n++
		}
	}
	if n != len(recs) {
		t.Fatalf("%d records delivered, want %d", n, len(recs))
	}
	for i, k := range keys {
		var want []string
		for j := i; j < len(recs); j += len(keys) {
			want = append(want, recs[j][1])
		}
		if !reflect.DeepEqual(perKey[k], want) {
			t.Errorf("key %s: %v, want %v", k, perKey[k], want)
		}
	}
}

// TestStreamMappingNeedsReadPermissions: a role that may not read the
// stream is refused at create with Lambda's message; with the AWS
// managed execution role policy it is accepted. An on-failure queue
// the role may not send to is refused too.
func TestStreamMappingNeedsReadPermissions(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	ctx := context.Background()
	karn := s.stream(t, "guarded", 1)
	darn := s.table(t, "guarded", true)
	_, qarn := s.queue(t, "guarded-dlq")
	role := s.role(t, "guarded-role", streamsBasic)
	s.sinkFunction(t, "guarded", role, "")
	cases := []struct {
		arn, policy, msg string
	}{
		{karn, kinesisPolicy, "Cannot access stream " + karn + ". Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."},
		{darn, dynamodbPolicy, "Cannot access stream " + darn + ". Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."},
	}
	for _, c := range cases {
		in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("guarded"), EventSourceArn: aws.String(c.arn),
			StartingPosition: lambdatypes.EventSourcePositionTrimHorizon}
		_, err := s.lambda.CreateEventSourceMapping(ctx, in)
		if code, msg := errorOf(t, err); code != "InvalidParameterValueException" || msg != c.msg {
			t.Errorf("without %s: %s %q", c.policy, code, msg)
		}
		s.attach(t, "guarded-role", c.policy)
		in.DestinationConfig = &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(qarn)}}
		_, err = s.lambda.CreateEventSourceMapping(ctx, in)
		if code, msg := errorOf(t, err); code != "InvalidParameterValueException" || msg != "The provided execution role does not have permissions to call SendMessage on SQS" {
			t.Errorf("on-failure queue without sqs:SendMessage: %s %q", code, msg)
		}
		in.DestinationConfig = nil
		if _, err := s.lambda.CreateEventSourceMapping(ctx, in); err != nil {
			t.Errorf("with %s: %v", c.policy, err)
		}
	}
	_, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("guarded"),
		EventSourceArn: aws.String(strings.Replace(karn, "guarded", "missing", 1)), StartingPosition: lambdatypes.EventSourcePositionTrimHorizon})
	if code, _ := errorOf(t, err); code != "InvalidParameterValueException" {
		t.Errorf("a missing stream: %v", err)
	}
}

// TestKinesisCheckpointSurvivesRestart: records delivered before a
// restart are not delivered again, and those put while the server was
// down arrive after it: nothing lost, nothing repeated.
func TestKinesisCheckpointSurvivesRestart(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	arn := s.stream(t, "durable", 1)
	role := s.role(t, "durable-role", kinesisPolicy, streamsBasic)
	s.sinkFunction(t, "durable", role, "")
	first := values("a", 10, "k")
	s.put(t, arn, first...)
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("durable"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(5)})
	s.waitDelivered(t, "durable", len(first))
	time.Sleep(500 * time.Millisecond) // the last batch's checkpoint commits after the invocation
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	b := streamSuiteOn(servertest.StartWith(t, servertest.Options{DataDir: s.srv.DataDir}))
	second := values("b", 10, "k")
	b.put(t, arn, second...)
	want := append(valuesOf(first), valuesOf(second)...)
	if got := delivered(b.waitDelivered(t, "durable", len(want))); !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	time.Sleep(2 * time.Second)
	if got := delivered(b.sink(t, "durable")); len(got) != len(want) {
		t.Fatalf("delivered %d records after the restart, want %d: %v", len(got), len(want), got)
	}
}

// TestKinesisRecordAge: records older than MaximumRecordAgeInSeconds are
// not sent to the function but to the on-failure queue
// (RecordAgeExceeded); newer ones are delivered.
func TestKinesisRecordAge(t *testing.T) {
	t.Parallel()
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	s := streamSuiteOn(servertest.StartWith(t, servertest.Options{Now: now}))
	arn := s.stream(t, "aged", 1)
	url, qarn := s.queue(t, "aged-dlq")
	role := s.role(t, "aged-role", kinesisPolicy, streamsBasic)
	s.attach(t, "aged-role", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
	s.sinkFunction(t, "aged", role, "")
	old := values("old", 3, "a")
	seqs := s.put(t, arn, old...)
	skew.Store(int64(2 * time.Minute))
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("aged"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, MaximumRecordAgeInSeconds: aws.Int32(60),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(qarn)}}})
	doc := s.receive(t, url, 1)[0]
	rc, _ := doc["requestContext"].(map[string]any)
	info, _ := doc["KinesisBatchInfo"].(map[string]any)
	if rc["condition"] != "RecordAgeExceeded" || rc["approximateInvokeCount"] != 0.0 || info["startSequenceNumber"] != seqs[0] ||
		info["endSequenceNumber"] != seqs[2] || info["batchSize"] != 3.0 {
		t.Errorf("on-failure record %v", doc)
	}
	fresh := values("new", 2, "a")
	s.put(t, arn, fresh...)
	if got := delivered(s.waitDelivered(t, "aged", 2)); !reflect.DeepEqual(got, valuesOf(fresh)) {
		t.Fatalf("delivered %v, want only the fresh records", got)
	}
}

// TestKinesisReadPermissionLostAndBack: with kinesis:GetRecords taken
// from the role the mapping reports the problem and the denied reads are
// in the trail as the role's, invoked by lambda.amazonaws.com; once the
// permission is back every record put meanwhile arrives, once, in order.
func TestKinesisReadPermissionLostAndBack(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	ctx := context.Background()
	arn := s.stream(t, "revoked", 1)
	role := s.role(t, "revoked-role", kinesisPolicy, streamsBasic)
	s.sinkFunction(t, "revoked", role, "")
	id := s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("revoked"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionLatest})
	before := values("a", 3, "k")
	s.put(t, arn, before...)
	s.waitDelivered(t, "revoked", len(before))
	s.detach(t, "revoked-role", kinesisPolicy)
	during := values("b", 3, "k")
	s.put(t, arn, during...)
	m := s.waitMapping(t, id, func(m *lambda.GetEventSourceMappingOutput) bool {
		return strings.HasPrefix(aws.ToString(m.LastProcessingResult), "PROBLEM:")
	})
	if r := aws.ToString(m.LastProcessingResult); !strings.HasPrefix(r, "PROBLEM: User: arn:aws:sts::123456789012:assumed-role/revoked-role/") ||
		!strings.Contains(r, " is not authorized to perform: kinesis:Get") || !strings.Contains(r, " on resource: "+arn) {
		t.Errorf("LastProcessingResult %q", r)
	}
	// The denied reads are data events of the role's session, invoked by
	// Lambda (data events are not in LookupEvents: read the trail's store).
	deadline := time.Now().Add(deliveryTimeout)
	for found := false; !found; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no denied GetRecords or GetShardIterator of the role in the trail")
		}
		if err := s.srv.Recorder().Flush(ctx); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"GetRecords", "GetShardIterator"} {
			evs, _, err := s.srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: name,
				Category: store.CategoryData, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				var r struct {
					ErrorCode    string `json:"errorCode"`
					EventSource  string `json:"eventSource"`
					UserIdentity struct {
						ARN       string `json:"arn"`
						InvokedBy string `json:"invokedBy"`
					} `json:"userIdentity"`
				}
				if err := json.Unmarshal(e.Record, &r); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(r.ErrorCode, "AccessDenied") && r.UserIdentity.InvokedBy == "lambda.amazonaws.com" &&
					r.EventSource == "kinesis.amazonaws.com" && strings.Contains(r.UserIdentity.ARN, ":assumed-role/revoked-role/") {
					found = true
				}
			}
		}
	}
	if got := delivered(s.sink(t, "revoked")); len(got) != len(before) {
		t.Fatalf("delivered %v while the role could not read", got)
	}
	s.attach(t, "revoked-role", kinesisPolicy)
	after := values("c", 3, "k")
	s.put(t, arn, after...)
	want := append(append(valuesOf(before), valuesOf(during)...), valuesOf(after)...)
	if got := delivered(s.waitDelivered(t, "revoked", len(want))); !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	s.waitMapping(t, id, func(m *lambda.GetEventSourceMappingOutput) bool { return aws.ToString(m.LastProcessingResult) == "OK" })
}

// TestDynamoDBPoisonToDestination: on a table's stream a change the
// function always fails on is bisected down to itself and given up at
// once (MaximumRetryAttempts 0): its DDBStreamBatchInfo goes to the
// on-failure queue and the other changes arrive in order.
func TestDynamoDBPoisonToDestination(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	ctx := context.Background()
	arn := s.table(t, "orders", true)
	url, qarn := s.queue(t, "orders-dlq")
	role := s.role(t, "orders-role", dynamodbPolicy, streamsBasic)
	s.attach(t, "orders-role", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
	s.sinkFunction(t, "orders", role, "raise")
	for i, v := range []string{"a", "b", "poison", "c"} {
		if _, err := s.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"),
			Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprint("k", i)}, "v": &ddbtypes.AttributeValueMemberS{Value: v}}}); err != nil {
			t.Fatal(err)
		}
	}
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("orders"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(4),
		BisectBatchOnFunctionError: aws.Bool(true), MaximumRetryAttempts: aws.Int32(0),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(qarn)}}})
	doc := s.receive(t, url, 1)[0]
	if got := delivered(s.waitDelivered(t, "orders", 3)); !reflect.DeepEqual(got, []string{"INSERT:a", "INSERT:b", "INSERT:c"}) {
		t.Fatalf("delivered %v", got)
	}
	rc, _ := doc["requestContext"].(map[string]any)
	info, _ := doc["DDBStreamBatchInfo"].(map[string]any)
	if rc["condition"] != "RetryAttemptsExhausted" || info["batchSize"] != 1.0 || info["streamArn"] != arn ||
		info["startSequenceNumber"] != info["endSequenceNumber"] || info["shardId"] == nil {
		t.Errorf("on-failure record %v", doc)
	}
}

// TestKinesisFilterCriteria: records the mapping's filters drop are not
// delivered (and are checkpointed past); the others are, in order.
func TestKinesisFilterCriteria(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	arn := s.stream(t, "filtered", 1)
	role := s.role(t, "filtered-role", kinesisPolicy, streamsBasic)
	s.sinkFunction(t, "filtered", role, "")
	s.put(t, arn, [2]string{"a", `{"kind":"keep","n":1}`}, [2]string{"a", `{"kind":"drop","n":2}`}, [2]string{"a", "not json"},
		[2]string{"a", `{"kind":"keep","n":3}`})
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("filtered"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon,
		FilterCriteria:   &lambdatypes.FilterCriteria{Filters: []lambdatypes.Filter{{Pattern: aws.String(`{"data":{"kind":["keep"]}}`)}}}})
	want := []string{`{"kind":"keep","n":1}`, `{"kind":"keep","n":3}`}
	if got := delivered(s.waitDelivered(t, "filtered", 2)); !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}

// TestKinesisStartingPositions: LATEST is the records put after the
// mapping was created, those put before its poller starts included;
// AT_TIMESTAMP is the records that arrived at or after the timestamp.
func TestKinesisStartingPositions(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	ctx := context.Background()
	arn := s.stream(t, "positions", 1)
	role := s.role(t, "positions-role", kinesisPolicy, streamsBasic)
	s.sinkFunction(t, "latest", role, "")
	s.sinkFunction(t, "stamped", role, "")
	s.put(t, arn, [2]string{"k", "before"})
	time.Sleep(50 * time.Millisecond) // arrival times are in milliseconds
	at := time.Now()
	time.Sleep(50 * time.Millisecond)
	out, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("latest"),
		EventSourceArn: aws.String(arn), StartingPosition: lambdatypes.EventSourcePositionLatest})
	if err != nil {
		t.Fatal(err)
	}
	s.put(t, arn, [2]string{"k", "after"}) // before the mapping is Enabled and polled
	s.waitMapping(t, aws.ToString(out.UUID), func(m *lambda.GetEventSourceMappingOutput) bool { return aws.ToString(m.State) == "Enabled" })
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("stamped"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionAtTimestamp, StartingPositionTimestamp: aws.Time(at)})
	for _, fn := range []string{"latest", "stamped"} {
		if got := delivered(s.waitDelivered(t, fn, 1)); !reflect.DeepEqual(got, []string{"after"}) {
			t.Errorf("%s: delivered %v, want [after]", fn, got)
		}
	}
}

// TestKinesisThrottleNotCounted: while the function is throttled
// (reserved concurrency 0) the batch is retried without counting towards
// MaximumRetryAttempts: nothing is given up, and once the function may
// run again every record arrives.
func TestKinesisThrottleNotCounted(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	ctx := context.Background()
	arn := s.stream(t, "throttled", 1)
	url, qarn := s.queue(t, "throttled-dlq")
	role := s.role(t, "throttled-role", kinesisPolicy, streamsBasic)
	s.attach(t, "throttled-role", "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
	s.sinkFunction(t, "throttled", role, "")
	if _, err := s.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("throttled"),
		ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	recs := values("r", 3, "k")
	s.put(t, arn, recs...)
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("throttled"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, MaximumRetryAttempts: aws.Int32(0),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(qarn)}}})
	time.Sleep(3 * time.Second) // several throttled attempts
	out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 0 {
		t.Fatalf("a throttled batch was given up: %s", aws.ToString(out.Messages[0].Body))
	}
	if got := delivered(s.sink(t, "throttled")); len(got) != 0 {
		t.Fatalf("delivered %v to a function with reserved concurrency 0", got)
	}
	if _, err := s.lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("throttled")}); err != nil {
		t.Fatal(err)
	}
	if got := delivered(s.waitDelivered(t, "throttled", len(recs))); !reflect.DeepEqual(got, valuesOf(recs)) {
		t.Fatalf("delivered %v", got)
	}
}

// TestKinesisBatchingWindow: with MaximumBatchingWindowInSeconds the
// poller gathers the records that arrive within the window into one
// batch.
func TestKinesisBatchingWindow(t *testing.T) {
	t.Parallel()
	s := newStreamSuite(t)
	arn := s.stream(t, "windowed", 1)
	role := s.role(t, "windowed-role", kinesisPolicy, streamsBasic)
	s.sinkFunction(t, "windowed", role, "")
	s.mapping(t, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("windowed"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionLatest, MaximumBatchingWindowInSeconds: aws.Int32(3)})
	recs := values("r", 5, "k")
	for _, r := range recs {
		s.put(t, arn, r)
		time.Sleep(100 * time.Millisecond)
	}
	invs := s.waitDelivered(t, "windowed", len(recs))
	if len(invs) != 1 || !reflect.DeepEqual(delivered(invs), valuesOf(recs)) {
		t.Fatalf("invocations %v, want one batch of %v", invs, valuesOf(recs))
	}
}
