package sqs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestRestart: messages sent, and messages received but not deleted,
// are there after a restart on the same data directory.
func TestRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := servertest.Start(t)
	c := client(a)
	u := createQueue(t, c, "durable", map[string]string{"VisibilityTimeout": "1"})
	for i := range 3 {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String(fmt.Sprint("m", i))}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive before the restart: %+v %v", got, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}

	b := servertest.StartWith(t, servertest.Options{DataDir: a.DataDir})
	cb := client(b)
	ub := b.Endpoint() + "/123456789012/durable"
	seen := map[string]bool{}
	for len(seen) < 3 {
		out, err := cb.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &ub, MaxNumberOfMessages: 10, WaitTimeSeconds: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			t.Fatalf("after the restart only %v came back", seen)
		}
		for _, m := range out.Messages {
			seen[aws.ToString(m.Body)] = true
			if _, err := cb.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &ub, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestNodes: receivers on two nodes sharing a PostgreSQL database never
// hold the same message within its visibility timeout, and a long poll
// on one node wakes for a message sent on the other.
func TestNodes(t *testing.T) {
	t.Parallel()
	nodes := servertest.Nodes(t, 2)
	ctx := context.Background()
	c0, c1 := client(nodes[0]), client(nodes[1])
	u := createQueue(t, c0, "shared", map[string]string{"VisibilityTimeout": "300"})
	path := "/123456789012/shared"

	// A long poll on node 1 gets what node 0 sends.
	done := make(chan *sqs.ReceiveMessageOutput, 1)
	go func() {
		u1 := nodes[1].Endpoint() + path
		out, err := c1.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u1, WaitTimeSeconds: 20})
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	time.Sleep(300 * time.Millisecond)
	if _, err := c0.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("wake")}); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-done:
		if out == nil || len(out.Messages) != 1 {
			t.Fatalf("long poll on the other node: %+v", out)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the long poll on the other node did not wake for the message")
	}

	const n = 60
	var entries []types.SendMessageBatchRequestEntry
	for i := range n {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(fmt.Sprint("m", i))})
		if len(entries) == 10 {
			if _, err := c0.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: entries}); err != nil {
				t.Fatal(err)
			}
			entries = nil
		}
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	for r := range 6 {
		node := nodes[r%2]
		c := client(node)
		ur := node.Endpoint() + path
		wg.Go(func() {
			for {
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &ur, MaxNumberOfMessages: int32(1 + r%5)})
				if err != nil {
					t.Error(err)
					return
				}
				if len(out.Messages) == 0 {
					return
				}
				mu.Lock()
				for _, m := range out.Messages {
					seen[aws.ToString(m.Body)]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d distinct messages received, want %d", len(seen), n)
	}
	for b, k := range seen {
		if k != 1 {
			t.Errorf("%s received %d times within its visibility timeout", b, k)
		}
	}
}

// clock is a settable clock for the server of a test.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// TestTimeouts: a message comes back when its visibility timeout passes
// without a delete, counting its receives, and is gone past the queue's
// retention period.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	s := servertest.StartWith(t, servertest.Options{Now: clk.Now})
	c := client(s)
	ctx := context.Background()
	u := createQueue(t, c, "timed", map[string]string{"MessageRetentionPeriod": "60", "VisibilityTimeout": "30"})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	receive := func() []types.Message {
		t.Helper()
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages
	}
	if got := receive(); len(got) != 1 {
		t.Fatalf("first receive: %+v", got)
	}
	clk.advance(29 * time.Second)
	if got := receive(); len(got) != 0 {
		t.Fatalf("received within the visibility timeout: %+v", got)
	}
	clk.advance(2 * time.Second)
	got := receive()
	if len(got) != 1 || got[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after the visibility timeout: %+v", got)
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	clk.advance(30 * time.Second)
	if got := receive(); len(got) != 0 {
		t.Fatalf("received past the retention period: %+v", got)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Fatalf("counts past retention: %v %v", attrs.Attributes, err)
	}
}
