package esm_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// BenchmarkSQSMapping measures an SQS mapping end to end: 500 messages
// per iteration sent at once (SendMessageBatch, ten at a time) to a
// queue feeding a Python function, BatchSize 10, no batching window.
// It reports the throughput (messages handled per second, from the first
// send to the last message handled) and the latency from SendMessage to
// the handler (the message's SentTimestamp to the handler's clock), p50
// and p99, in milliseconds.
//
//	go test -run '^$' -bench BenchmarkSQSMapping -benchtime 1x ./internal/service/lambda/esm
func BenchmarkSQSMapping(b *testing.B) {
	s := newSQSSuite(b)
	url, arn := s.queue(b, "bench", map[string]string{"VisibilityTimeout": "30"})
	role := s.role(b, "bench-fn", basicExecRole, sqsExecRole)
	s.function(b, "bench-fn", role, 10, nil)
	s.mapping(b, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("bench-fn"), EventSourceArn: aws.String(arn), BatchSize: aws.Int32(10)})
	// A first message warms the function up.
	s.send(b, url, "", "warm-up")
	s.waitRecords(b, "bench-fn", func(rs []handled) bool { return len(rs) == 1 })

	n := 500 * b.N
	var bodies []string
	for i := range n {
		bodies = append(bodies, fmt.Sprintf("m%d", i))
	}
	b.ResetTimer()
	start := time.Now()
	s.send(b, url, "", bodies...)
	rs := s.waitRecordsFor(b, "bench-fn", 5*time.Minute, func(rs []handled) bool { return len(countBodies(rs)) >= n+1 })
	b.StopTimer()
	var lags []int64
	var last int64
	for _, r := range rs {
		if r.Body == "warm-up" {
			continue
		}
		lags = append(lags, r.Lag)
		last = max(last, r.At)
	}
	slices.Sort(lags)
	took := time.UnixMilli(last).Sub(start)
	b.ReportMetric(float64(len(lags))/took.Seconds(), "msgs/s")
	b.ReportMetric(float64(lags[len(lags)/2]), "p50-ms")
	b.ReportMetric(float64(lags[len(lags)*99/100]), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
