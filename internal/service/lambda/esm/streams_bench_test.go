package esm_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// latencyHandler logs, per invocation, how long ago each record was put
// (its data is the put time in Unix nanoseconds), in microseconds.
const latencyHandler = `import base64, time

def handler(event, context):
    now = time.time_ns()
    lat = [str((now - int(base64.b64decode(r["kinesis"]["data"]))) // 1000) for r in event["Records"]]
    print("L " + ",".join(lat))
    return {}
`

// BenchmarkKinesisToFunction measures a Kinesis mapping (one shard,
// BatchSize 100): records/s from the first PutRecords of 1000 records to
// the last one handled, and the latency from PutRecord to the handler of
// records put one by one (p50, p99).
//
//	go test -run '^$' -bench KinesisToFunction -benchtime 3x ./internal/service/lambda/esm
func BenchmarkKinesisToFunction(b *testing.B) {
	s := newStreamSuite(b)
	ctx := context.Background()
	logs := cloudwatchlogs.NewFromConfig(s.srv.RootConfig())
	arn := s.stream(b, "bench", 1)
	role := s.role(b, "bench-role", kinesisPolicy, streamsBasic)
	s.createFunction(b, &lambda.CreateFunctionInput{
		FunctionName: aws.String("bench"), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("index.handler"), Timeout: aws.Int32(30),
		Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(b, latencyHandler)},
	})
	s.mapping(b, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("bench"), EventSourceArn: aws.String(arn),
		StartingPosition: lambdatypes.EventSourcePositionLatest, BatchSize: aws.Int32(100)})
	total := 0
	waitFor := func(n int) []int64 {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			lat := latencies(b, logs)
			if len(lat) >= n {
				return lat
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d records handled, want %d", len(lat), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Warm the function up.
	s.put(b, arn, [2]string{"k", strconv.FormatInt(time.Now().UnixNano(), 10)})
	total++
	waitFor(total)

	b.ResetTimer()
	var busy time.Duration
	var lat []int64
	for range b.N {
		// Throughput: 1000 records in two PutRecords calls.
		start := time.Now()
		for range 2 {
			var entries []ktypes.PutRecordsRequestEntry
			for i := range 500 {
				entries = append(entries, ktypes.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint(i)),
					Data: []byte(strconv.FormatInt(time.Now().UnixNano(), 10))})
			}
			if _, err := s.kinesis.PutRecords(ctx, &kinesis.PutRecordsInput{StreamARN: aws.String(arn), Records: entries}); err != nil {
				b.Fatal(err)
			}
		}
		total += 1000
		waitFor(total)
		busy += time.Since(start)
		// Latency: 50 records one by one, 50 ms apart.
		before := total
		for range 50 {
			s.put(b, arn, [2]string{"k", strconv.FormatInt(time.Now().UnixNano(), 10)})
			time.Sleep(50 * time.Millisecond)
		}
		total += 50
		all := waitFor(total)
		lat = append(lat, all[before:]...)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(1000*b.N)/busy.Seconds(), "records/s")
	b.ReportMetric(float64(lat[len(lat)/2])/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1000, "p99-ms")
}

// latencies reads the latencies (µs) the latency handler logged, in the
// order logged.
func latencies(b *testing.B, logs *cloudwatchlogs.Client) []int64 {
	var out []int64
	p := cloudwatchlogs.NewFilterLogEventsPaginator(logs, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/bench")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			if strings.Contains(err.Error(), "ResourceNotFound") {
				return nil
			}
			b.Fatal(err)
		}
		for _, e := range page.Events {
			msg := strings.TrimSpace(aws.ToString(e.Message))
			if !strings.HasPrefix(msg, "L ") {
				continue
			}
			for _, f := range strings.Split(msg[2:], ",") {
				n, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					b.Fatalf("log line %q: %v", msg, err)
				}
				out = append(out, n)
			}
		}
	}
	return out
}
