package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// clock is a settable clock shared by the queue handles of a test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testQueue runs the conformance tests of package queue on the engine.
func testQueue(t *testing.T, e Engine) {
	t.Run("SendReceiveDelete", func(t *testing.T) { testQueueSendReceiveDelete(t, e.Open(t)) })
	t.Run("VisibilityExpires", func(t *testing.T) { testQueueVisibility(t, e.Open(t)) })
	t.Run("Delay", func(t *testing.T) { testQueueDelay(t, e.Open(t)) })
	t.Run("ChangeVisibilityAndReturn", func(t *testing.T) { testQueueChangeVisibility(t, e.Open(t)) })
	t.Run("ConcurrentReceivers", func(t *testing.T) { testQueueConcurrent(t, e) })
	t.Run("Leases", func(t *testing.T) { testQueueLeases(t, e.Open(t)) })
	t.Run("FIFO", func(t *testing.T) { testQueueFIFO(t, e.Open(t)) })
	t.Run("RetentionAndDeadLetters", func(t *testing.T) { testQueueDead(t, e.Open(t)) })
}

// send sends bodies in one transaction and returns their ids.
func send(t *testing.T, st store.Store, q *queue.Queue, delay time.Duration, bodies ...string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	_, err := st.Update(ctx, func(tx store.Tx) error {
		ids = ids[:0]
		for _, b := range bodies {
			id, err := q.Send(ctx, tx, []byte(b), delay)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return ids
}

func receive(t *testing.T, q *queue.Queue, limit int, visibility time.Duration) []queue.Message {
	t.Helper()
	msgs, err := q.Receive(context.Background(), limit, visibility)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return msgs
}

func wantLen(t *testing.T, st store.Store, q *queue.Queue, want int) {
	t.Helper()
	n, err := q.Len(context.Background(), st)
	if err != nil || n != want {
		t.Fatalf("Len = %d, %v; want %d", n, err, want)
	}
}

func testQueueSendReceiveDelete(t *testing.T, st store.Store) {
	ctx := context.Background()
	c := newClock()
	q := queue.New(st, "jobs", c.Now)
	if msgs := receive(t, q, 10, time.Minute); len(msgs) != 0 {
		t.Fatalf("empty queue received %d messages", len(msgs))
	}
	if _, ok, err := q.NextVisible(ctx); ok || err != nil {
		t.Fatalf("NextVisible of an empty queue: %v %v", ok, err)
	}
	// A Send whose transaction fails leaves no message.
	boom := errors.New("boom")
	_, err := st.Update(ctx, func(tx store.Tx) error {
		if _, err := q.Send(ctx, tx, []byte("lost"), 0); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed transaction: %v", err)
	}
	wantLen(t, st, q, 0)

	ids := send(t, st, q, 0, "one", "two")
	c.advance(time.Millisecond)
	ids = append(ids, send(t, st, q, 0, "three")...)
	wantLen(t, st, q, 3)
	other := queue.New(st, "other", c.Now)
	if msgs := receive(t, other, 10, time.Minute); len(msgs) != 0 {
		t.Fatalf("another queue received %d messages", len(msgs))
	}

	first := receive(t, q, 2, time.Minute)
	if len(first) != 2 || first[0].ID != ids[0] || first[1].ID != ids[1] ||
		string(first[0].Body) != "one" || string(first[1].Body) != "two" {
		t.Fatalf("first receive: %+v, want one and two", first)
	}
	for _, m := range first {
		if m.ReceiveCount != 1 || !m.SentAt.Equal(c.Now().Add(-time.Millisecond)) || m.Receipt == "" {
			t.Fatalf("first receive: %+v", m)
		}
	}
	rest := receive(t, q, 10, time.Minute)
	if len(rest) != 1 || rest[0].ID != ids[2] || string(rest[0].Body) != "three" {
		t.Fatalf("second receive: %+v, want three alone", rest)
	}
	if msgs := receive(t, q, 10, time.Minute); len(msgs) != 0 {
		t.Fatalf("received %d messages within their visibility timeout", len(msgs))
	}
	if err := q.Delete(ctx, first[0].Receipt); err != nil {
		t.Fatal(err)
	}
	wantLen(t, st, q, 2)
	if err := q.Delete(ctx, first[0].Receipt); !errors.Is(err, queue.ErrReceiptStale) {
		t.Fatalf("second Delete: %v, want ErrReceiptStale", err)
	}
	if err := q.Delete(ctx, "not a receipt"); !errors.Is(err, queue.ErrReceiptInvalid) {
		t.Fatalf("Delete of a malformed receipt: %v, want ErrReceiptInvalid", err)
	}
	wantLen(t, st, q, 2)
	for _, m := range []queue.Message{first[1], rest[0]} {
		if err := q.Delete(ctx, m.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	wantLen(t, st, q, 0)
	c.advance(time.Hour)
	if msgs := receive(t, q, 10, time.Minute); len(msgs) != 0 {
		t.Fatalf("deleted messages came back: %+v", msgs)
	}
}

func testQueueVisibility(t *testing.T, st store.Store) {
	ctx := context.Background()
	c := newClock()
	q := queue.New(st, "jobs", c.Now)
	id := send(t, st, q, 0, "body")[0]
	first := receive(t, q, 1, 30*time.Second)
	if len(first) != 1 {
		t.Fatalf("received %d", len(first))
	}
	if at, ok, err := q.NextVisible(ctx); err != nil || !ok || !at.Equal(c.Now().Add(30*time.Second)) {
		t.Fatalf("NextVisible = %v %v %v, want the end of the visibility timeout", at, ok, err)
	}
	c.advance(29 * time.Second)
	if msgs := receive(t, q, 1, 30*time.Second); len(msgs) != 0 {
		t.Fatalf("redelivered before the visibility timeout: %+v", msgs)
	}
	c.advance(time.Second)
	again := receive(t, q, 1, 30*time.Second)
	if len(again) != 1 || again[0].ID != id || again[0].ReceiveCount != 2 || string(again[0].Body) != "body" {
		t.Fatalf("redelivery: %+v, want %s with ReceiveCount 2", again, id)
	}
	// The first receiver's receipt no longer deletes the message.
	if err := q.Delete(ctx, first[0].Receipt); !errors.Is(err, queue.ErrReceiptStale) {
		t.Fatalf("Delete with the stale receipt: %v, want ErrReceiptStale", err)
	}
	if _, err := q.ChangeVisibility(ctx, first[0].Receipt, 0); !errors.Is(err, queue.ErrReceiptStale) {
		t.Fatalf("ChangeVisibility with the stale receipt: %v, want ErrReceiptStale", err)
	}
	if msgs := receive(t, q, 1, 30*time.Second); len(msgs) != 0 {
		t.Fatalf("a stale receipt changed the message: %+v", msgs)
	}
	wantLen(t, st, q, 1)
	if err := q.Delete(ctx, again[0].Receipt); err != nil {
		t.Fatal(err)
	}
	wantLen(t, st, q, 0)
}

func testQueueDelay(t *testing.T, st store.Store) {
	ctx := context.Background()
	c := newClock()
	q := queue.New(st, "jobs", c.Now)
	late := send(t, st, q, 10*time.Second, "late")[0]
	soon := send(t, st, q, 0, "soon")[0]
	got := receive(t, q, 10, time.Minute)
	if len(got) != 1 || got[0].ID != soon {
		t.Fatalf("receive before the delay: %+v, want only the undelayed message", got)
	}
	if at, ok, err := q.NextVisible(ctx); err != nil || !ok || !at.Equal(c.Now().Add(10*time.Second)) {
		t.Fatalf("NextVisible = %v %v %v, want the end of the delay", at, ok, err)
	}
	c.advance(10 * time.Second)
	got = receive(t, q, 10, time.Minute)
	if len(got) != 1 || got[0].ID != late || got[0].ReceiveCount != 1 {
		t.Fatalf("receive after the delay: %+v", got)
	}
	if _, err := st.Update(ctx, func(tx store.Tx) error {
		_, err := q.Send(ctx, tx, nil, -time.Second)
		return err
	}); err == nil {
		t.Fatal("negative delay accepted")
	}
}

func testQueueChangeVisibility(t *testing.T, st store.Store) {
	ctx := context.Background()
	c := newClock()
	q := queue.New(st, "jobs", c.Now)
	id := send(t, st, q, 0, "body")[0]
	m := receive(t, q, 1, time.Hour)[0]
	// Delay a retry by a minute.
	r, err := q.ChangeVisibility(ctx, m.Receipt, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.ChangeVisibility(ctx, m.Receipt, 0); !errors.Is(err, queue.ErrReceiptStale) {
		t.Fatalf("ChangeVisibility with the replaced receipt: %v, want ErrReceiptStale", err)
	}
	c.advance(59 * time.Second)
	if msgs := receive(t, q, 1, time.Hour); len(msgs) != 0 {
		t.Fatalf("received before the changed visibility: %+v", msgs)
	}
	c.advance(time.Second)
	m = receive(t, q, 1, time.Hour)[0]
	if m.ID != id || m.ReceiveCount != 2 {
		t.Fatalf("after ChangeVisibility: %+v", m)
	}
	if err := q.Delete(ctx, r); !errors.Is(err, queue.ErrReceiptStale) {
		t.Fatalf("Delete with the receipt of the previous receive: %v, want ErrReceiptStale", err)
	}
	// 0 makes it visible at once, counting the receive.
	if _, err := q.ChangeVisibility(ctx, m.Receipt, 0); err != nil {
		t.Fatal(err)
	}
	m = receive(t, q, 1, time.Hour)[0]
	if m.ReceiveCount != 3 {
		t.Fatalf("after ChangeVisibility 0: ReceiveCount %d, want 3", m.ReceiveCount)
	}
	// Return makes it visible at once, not counting the receive.
	if err := q.Return(ctx, m.Receipt); err != nil {
		t.Fatal(err)
	}
	if err := q.Return(ctx, m.Receipt); !errors.Is(err, queue.ErrReceiptStale) {
		t.Fatalf("second Return: %v, want ErrReceiptStale", err)
	}
	m = receive(t, q, 1, time.Hour)[0]
	if m.ReceiveCount != 3 {
		t.Fatalf("after Return: ReceiveCount %d, want 3", m.ReceiveCount)
	}
	wantLen(t, st, q, 1)
}

// testQueueConcurrent has receivers on two handles take messages at once:
// every message is received exactly once while none expires.
func testQueueConcurrent(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	handles := []store.Store{a, e.Reopen(t, a)}
	c := newClock()
	const n, receivers = 200, 6
	var bodies []string
	for i := range n {
		bodies = append(bodies, fmt.Sprint(i))
	}
	ids := send(t, a, queue.New(a, "jobs", c.Now), 0, bodies...)
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	for r := range receivers {
		q := queue.New(handles[r%2], "jobs", c.Now)
		wg.Go(func() {
			for {
				msgs, err := q.Receive(ctx, 1+r%4, time.Hour)
				if err != nil {
					t.Errorf("receive: %v", err)
					return
				}
				if len(msgs) == 0 {
					return
				}
				for _, m := range msgs {
					mu.Lock()
					seen[m.ID]++
					mu.Unlock()
					if m.ReceiveCount != 1 {
						t.Errorf("%s: ReceiveCount %d, want 1", m.ID, m.ReceiveCount)
					}
					if r%2 == 0 { // half the receivers delete what they handled
						if err := q.Delete(ctx, m.Receipt); err != nil {
							t.Errorf("delete: %v", err)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d distinct messages received, want %d", len(seen), n)
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s received %d times, want once", id, seen[id])
		}
	}
}
