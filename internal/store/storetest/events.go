package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// testConcurrentEvents appends events from many goroutines on two handles,
// all at one time, while a reader on each handle follows the trail as a
// tail does: it pages newest first down to the newest event it saw before.
// Events of one time are ordered by their sequence, so if an event could
// commit with a sequence below one a reader already saw, the reader would
// stop above it and never see it. Every event must be seen exactly once.
func testConcurrentEvents(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	b := e.Reopen(t, a)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	const (
		writers = 8
		batches = 20
	)
	var wg sync.WaitGroup
	for w := range writers {
		st := []store.Store{a, b}[w%2]
		wg.Go(func() {
			for i := range batches {
				var evs []store.Event
				for k := range 1 + i%3 {
					evs = append(evs, store.Event{
						ID: fmt.Sprintf("w%d-%d-%d", w, i, k), Time: at, Name: "GetRole", Source: "iam.amazonaws.com",
						Record: []byte(`{}`), Resources: []store.EventResource{{Type: "AWS::IAM::Role", Name: fmt.Sprintf("r%d", w)}},
					})
				}
				if err := st.AppendEvents(ctx, evs); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	want := 0
	for range writers {
		for i := range batches {
			want += 1 + i%3
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var readers sync.WaitGroup
	for _, st := range []store.Store{a, b} {
		readers.Go(func() {
			seen := map[string]bool{}
			newest := "" // the newest event seen: the tail's watermark
			finished := false
			for {
				select {
				case <-done:
					finished = true
				default:
				}
				// One pass: pages newest first until the watermark.
				q := store.EventQuery{Limit: 5}
				passNewest, added := "", 0
			pages:
				for {
					evs, next, err := st.QueryEvents(ctx, q)
					if err != nil {
						t.Error(err)
						return
					}
					for _, ev := range evs {
						if passNewest == "" {
							passNewest = ev.ID
						}
						if ev.ID == newest {
							break pages
						}
						if seen[ev.ID] {
							t.Errorf("event %s returned twice, above the watermark %s", ev.ID, newest)
							return
						}
						seen[ev.ID] = true
						added++
					}
					if next == "" {
						break
					}
					q.Cursor = next
				}
				if passNewest != "" {
					newest = passNewest
				}
				if added == 0 {
					if finished {
						break
					}
					time.Sleep(time.Millisecond)
				}
			}
			if len(seen) != want {
				t.Errorf("the tail saw %d events, want %d: events committed below its watermark", len(seen), want)
			}
		})
	}
	readers.Wait()
	// Paging the whole trail returns every event once.
	seen := map[string]bool{}
	q := store.EventQuery{Limit: 17}
	for {
		evs, next, err := a.QueryEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if seen[ev.ID] {
				t.Fatalf("event %s on two pages", ev.ID)
			}
			seen[ev.ID] = true
		}
		if next == "" {
			break
		}
		q.Cursor = next
	}
	if len(seen) != want {
		t.Fatalf("paging returned %d events, want %d", len(seen), want)
	}
}
