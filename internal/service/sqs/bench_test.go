package sqs_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// BenchmarkSendReceiveDelete sends b.N messages through the gateway (JSON
// protocol, SigV4, authorization, the trail on) from 4 senders while 4
// consumers receive them in batches of up to 10 and delete each batch;
// it reports messages handled per second.
func BenchmarkSendReceiveDelete(b *testing.B) {
	s := servertest.Start(b)
	c := client(s)
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	u := out.QueueUrl
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		handled int
	)
	b.ResetTimer()
	start := time.Now()
	const senders, consumers = 4, 4
	for range consumers {
		wg.Go(func() {
			for {
				mu.Lock()
				done := handled >= b.N
				mu.Unlock()
				if done {
					return
				}
				got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					b.Error(err)
					return
				}
				if len(got.Messages) == 0 {
					continue
				}
				var del []types.DeleteMessageBatchRequestEntry
				for i, m := range got.Messages {
					del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: m.ReceiptHandle})
				}
				if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: u, Entries: del}); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				handled += len(got.Messages)
				mu.Unlock()
			}
		})
	}
	var next atomic.Int64
	for range senders {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: u, MessageBody: aws.String(`{"order":42}`)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
