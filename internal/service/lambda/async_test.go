package lambda

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// offsetClock is a clock running offset ahead of the real one.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// another starts a second Lambda on the harness's database, as another
// node would, with its own log destination and clock (nil: time.Now).
func (h *harness) another(now func() time.Time) (*Lambda, *fakeCaller) {
	h.t.Helper()
	cfg := h.l.cfg
	cfg.Store = h.l.functions.Store
	fc := newFakeCaller()
	cfg.Invoker = fc
	cfg.Now = now
	l, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	l.Start()
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			h.t.Errorf("close: %v", err)
		}
	})
	return l, fc
}

// asyncQueueOf is a handle on the queue of asynchronous invocations of the
// harness's database.
func (h *harness) asyncQueueOf() (*queue.Queue, store.Store) {
	st := h.l.functions.Store
	return queue.New(st, asyncQueueName, nil), st
}

func queueLen(t *testing.T, q *queue.Queue, st store.Store) int {
	t.Helper()
	n, err := q.Len(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// An Event invocation accepted by a Lambda that shuts down while running
// it is given back to the queue; when the process that then takes it dies
// holding it, another Lambda on the same database runs it once its lease
// ends, and deletes it.
func TestEventRunsOnAnotherNode(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("later", map[string]any{"Timeout": 10})
	raw, st := h.asyncQueueOf()
	out, err := h.invoke("later", `{"action":"sleep","ms":1500}`, map[string]string{"X-Amz-Invocation-Type": "Event"})
	if err != nil || out.Status != http.StatusAccepted {
		t.Fatalf("Event: %v %v", out, err)
	}
	eventually(t, "the invocation leased", func() bool {
		at, ok, err := raw.NextVisible(context.Background())
		return err == nil && ok && at.After(time.Now().Add(receiveLease/2))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queueLen(t, raw, st); n != 1 {
		t.Fatalf("%d invocations queued after close, want 1", n)
	}
	// Given back at once, its interrupted attempt not counted.
	taken, err := raw.Receive(ctx, 10, time.Hour)
	if err != nil || len(taken) != 1 || taken[0].ReceiveCount != 1 {
		t.Fatalf("receive after close: %+v %v, want the invocation received once", taken, err)
	}
	// The receiver dies: the lease of an hour is left to expire.
	clock := &offsetClock{}
	_, fc := h.another(clock.Now)
	clock.advance(2 * time.Hour)
	eventually(t, "the invocation run by the other node", func() bool {
		return strings.Contains(fc.allLogs(), "END RequestId") && queueLen(t, raw, st) == 0
	})
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(fc.allLogs(), "START RequestId"); n != 1 {
		t.Errorf("%d runs on the other node, want 1", n)
	}
}

// Event invocations are shared by the Lambdas on one database: each runs
// on exactly one of them.
func TestEventRunsOnce(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("once", nil)
	_, fc := h.another(nil)
	raw, st := h.asyncQueueOf()
	const n = 30
	for i := range n {
		if _, err := h.invoke("once", fmt.Sprintf(`{"action":"print","lines":["event-%03d"]}`, i),
			map[string]string{"X-Amz-Invocation-Type": "Event"}); err != nil {
			t.Fatal(err)
		}
	}
	logs := func() string { return h.fc.allLogs() + fc.allLogs() }
	eventually(t, "every event run", func() bool {
		return strings.Count(logs(), "event-") >= n && queueLen(t, raw, st) == 0
	})
	time.Sleep(200 * time.Millisecond)
	all := logs()
	for i := range n {
		if c := strings.Count(all, fmt.Sprintf("event-%03d", i)); c != 1 {
			t.Errorf("event-%03d ran %d times, want once", i, c)
		}
	}
}

// A failing Event invocation is tried three times in all, after the
// retry delays, and then leaves the queue.
func TestEventRetriesLeaveTheQueue(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("fails", nil)
	raw, st := h.asyncQueueOf()
	if _, err := h.invoke("fails", `{"action":"error","message":"boom"}`, map[string]string{"X-Amz-Invocation-Type": "Event"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "three attempts and the queue emptied", func() bool {
		return strings.Count(h.fc.allLogs(), "START RequestId") == 3 && queueLen(t, raw, st) == 0
	})
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(h.fc.allLogs(), "START RequestId"); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

// A full queue throttles Event invocations.
func TestEventQueueFull(t *testing.T) {
	needNode(t)
	h := newHarness(t)
	h.create("full", nil)
	raw, st := h.asyncQueueOf()
	ctx := context.Background()
	_, err := st.Update(ctx, func(tx store.Tx) error {
		for range maxAsyncQueue {
			// Not due for an hour: the workers leave them alone.
			if _, err := raw.Send(ctx, tx, []byte(`{}`), time.Hour); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.invoke("full", `{}`, map[string]string{"X-Amz-Invocation-Type": "Event"})
	wantError(t, err, "TooManyRequestsException", http.StatusTooManyRequests, "Rate Exceeded.")
	if n := queueLen(t, raw, st); n != maxAsyncQueue {
		t.Errorf("%d queued, want %d", n, maxAsyncQueue)
	}
}
