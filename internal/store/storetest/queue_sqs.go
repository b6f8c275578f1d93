package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// putEntries puts entries in one transaction.
func putEntries(t *testing.T, st store.Store, q *queue.Queue, entries ...queue.Entry) []queue.Put {
	t.Helper()
	ctx := context.Background()
	var out []queue.Put
	_, err := st.Update(ctx, func(tx store.Tx) error {
		out = out[:0]
		for _, e := range entries {
			p, err := q.Put(ctx, tx, e)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	return out
}

func receiveWith(t *testing.T, q *queue.Queue, o queue.ReceiveOptions) []queue.Message {
	t.Helper()
	msgs, err := q.ReceiveWith(context.Background(), o)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return msgs
}

func bodies(msgs []queue.Message) string {
	var b []string
	for _, m := range msgs {
		b = append(b, string(m.Body))
	}
	return strings.Join(b, " ")
}

// testQueueLeases: a lease, unlike a receipt, outlives a change of
// visibility; counts by state; purge.
func testQueueLeases(t *testing.T, st store.Store) {
	ctx := context.Background()
	c := newClock()
	q := queue.New(st, "jobs", c.Now)
	putEntries(t, st, q, queue.Entry{Body: []byte("a"), Meta: json.RawMessage(`{"k":"v"}`)}, queue.Entry{Body: []byte("late"), Delay: time.Minute})
	m := receiveWith(t, q, queue.ReceiveOptions{Limit: 10, Visibility: time.Hour})
	if len(m) != 1 || string(m[0].Meta) != `{"k":"v"}` || m[0].Lease == "" || !m[0].FirstReceivedAt.Equal(c.Now()) {
		t.Fatalf("receive: %+v", m)
	}
	if s, err := q.Stats(ctx, st, 0); err != nil || s != (queue.Stats{InFlight: 1, Delayed: 1}) {
		t.Fatalf("Stats = %+v, %v", s, err)
	}
	// A limit bounds the visibility from the lease's receive.
	c.advance(30 * time.Second)
	if err := q.SetVisibility(ctx, m[0].ID, m[0].Lease, time.Hour, time.Hour); !errors.Is(err, queue.ErrVisibilityLimit) {
		t.Fatalf("SetVisibility past the limit: %v", err)
	}
	if err := q.SetVisibility(ctx, m[0].ID, m[0].Lease, 59*time.Minute, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := q.SetVisibility(ctx, m[0].ID, m[0].Lease, 0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := q.SetVisibility(ctx, m[0].ID, "other", 0, 0); !errors.Is(err, queue.ErrReceiptStale) {
		t.Fatalf("SetVisibility with another lease: %v", err)
	}
	if s, _ := q.Stats(ctx, st, 0); s != (queue.Stats{Visible: 1, Delayed: 1}) {
		t.Fatalf("Stats after SetVisibility = %+v", s)
	}
	// The lease still deletes the message.
	if err := q.DeleteLeased(ctx, m[0].ID, m[0].Lease); err != nil {
		t.Fatal(err)
	}
	if err := q.DeleteLeased(ctx, m[0].ID, m[0].Lease); !errors.Is(err, queue.ErrReceiptStale) {
		t.Fatalf("second DeleteLeased: %v", err)
	}
	wantLen(t, st, q, 1)
	c.advance(time.Minute)
	m = receiveWith(t, q, queue.ReceiveOptions{Limit: 10, Visibility: time.Hour})
	errs, err := q.DeleteLeasedBatch(ctx, []queue.Lease{{ID: m[0].ID, Lease: m[0].Lease}, {ID: m[0].ID, Lease: "old"}})
	if err != nil || errs[0] != nil || !errors.Is(errs[1], queue.ErrReceiptStale) {
		t.Fatalf("DeleteLeasedBatch: %v %v", errs, err)
	}
	wantLen(t, st, q, 0)
	putEntries(t, st, q, queue.Entry{Body: []byte("x")}, queue.Entry{Body: []byte("y")})
	if _, err := st.Update(ctx, func(tx store.Tx) error { return q.Purge(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	wantLen(t, st, q, 0)
	if got := receiveWith(t, q, queue.ReceiveOptions{Limit: 10}); len(got) != 0 {
		t.Fatalf("purged messages received: %+v", got)
	}
}

// testQueueFIFO: sequence numbers, deduplication within the window, order
// within a group, a group held while one of its messages is in flight.
func testQueueFIFO(t *testing.T, st store.Store) {
	c := newClock()
	q := queue.New(st, "orders", c.Now)
	fifo := queue.ReceiveOptions{Limit: 10, Visibility: time.Minute, FIFO: true}
	ps := putEntries(t, st, q,
		queue.Entry{Body: []byte("a1"), Group: "a", DedupID: "1"},
		queue.Entry{Body: []byte("b1"), Group: "b", DedupID: "2"},
		queue.Entry{Body: []byte("a2"), Group: "a", DedupID: "3"})
	if ps[0].Seq != 1 || ps[1].Seq != 2 || ps[2].Seq != 3 {
		t.Fatalf("sequence numbers %+v", ps)
	}
	dup := putEntries(t, st, q, queue.Entry{Body: []byte("again"), Group: "a", DedupID: "1"})[0]
	if !dup.Duplicate || dup.ID != ps[0].ID || dup.Seq != 1 {
		t.Fatalf("duplicate put: %+v", dup)
	}
	got := receiveWith(t, q, queue.ReceiveOptions{Limit: 1, Visibility: time.Minute, FIFO: true})
	if bodies(got) != "a1" {
		t.Fatalf("first receive %q", bodies(got))
	}
	if b := bodies(receiveWith(t, q, fifo)); b != "b1" {
		t.Fatalf("with a in flight: %q, want b1", b)
	}
	c.advance(time.Minute)
	if b := bodies(receiveWith(t, q, fifo)); b != "a1 a2 b1" {
		t.Fatalf("after the timeouts: %q, want a1 a2 b1", b)
	}
	c.advance(queue.DedupWindow)
	if p := putEntries(t, st, q, queue.Entry{Body: []byte("a3"), Group: "a", DedupID: "1"})[0]; p.Duplicate || p.Seq != 4 {
		t.Fatalf("put after the window: %+v", p)
	}
}

// testQueueDead: messages past retention are dropped; a message received
// MaxReceives times moves where Dead puts it, inside the receive.
func testQueueDead(t *testing.T, st store.Store) {
	ctx := context.Background()
	c := newClock()
	q := queue.New(st, "src", c.Now)
	dlq := queue.New(st, "dlq", c.Now)
	putEntries(t, st, q, queue.Entry{Body: []byte("old")})
	c.advance(time.Hour)
	putEntries(t, st, q, queue.Entry{Body: []byte("poison"), Meta: json.RawMessage(`{"m":1}`)})
	if s, _ := q.Stats(ctx, st, time.Hour); s != (queue.Stats{Visible: 1}) {
		t.Fatalf("Stats with retention = %+v", s)
	}
	keep := true
	o := queue.ReceiveOptions{Limit: 10, Retention: time.Hour, MaxReceives: 1,
		Dead: func(ctx context.Context, tx store.Tx, m queue.Message) (bool, error) {
			if keep {
				return false, nil
			}
			_, err := dlq.Put(ctx, tx, queue.Entry{Body: m.Body, Meta: m.Meta, ID: m.ID, SentAt: m.SentAt})
			return true, err
		}}
	if b := bodies(receiveWith(t, q, o)); b != "poison" {
		t.Fatalf("first receive %q, want the message within retention", b)
	}
	wantLen(t, st, q, 1)
	// Dead keeps it: it is received again.
	if got := receiveWith(t, q, o); len(got) != 1 || got[0].ReceiveCount != 2 {
		t.Fatalf("kept message: %+v", got)
	}
	keep = false
	if got := receiveWith(t, q, o); len(got) != 0 {
		t.Fatalf("moved message received: %+v", got)
	}
	wantLen(t, st, q, 0)
	moved := receiveWith(t, dlq, queue.ReceiveOptions{Limit: 10})
	if len(moved) != 1 || string(moved[0].Body) != "poison" || string(moved[0].Meta) != `{"m":1}` || moved[0].ReceiveCount != 1 {
		t.Fatalf("dead-letter queue: %+v", moved)
	}
}
