package queue_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// benchQueue sends b.N messages (one transaction each) while 4 receivers
// on 2 handles receive them in batches of up to 8 and delete each; it
// reports the messages handled per second, from the first send to the
// last delete.
func benchQueue(b *testing.B, handles [2]store.Store) {
	ctx := context.Background()
	const receivers, batch = 4, 8
	sender := queue.New(handles[0], "bench", nil)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		handled int
	)
	b.ResetTimer()
	start := time.Now()
	for r := range receivers {
		q := queue.New(handles[r%2], "bench", nil)
		wg.Go(func() {
			for {
				mu.Lock()
				done := handled >= b.N
				mu.Unlock()
				if done {
					return
				}
				msgs, err := q.Receive(ctx, batch, time.Minute)
				if err != nil {
					b.Error(err)
					return
				}
				for _, m := range msgs {
					if err := q.Delete(ctx, m.Receipt); err != nil {
						b.Error(err)
						return
					}
				}
				mu.Lock()
				handled += len(msgs)
				mu.Unlock()
				if len(msgs) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	for range b.N {
		if _, err := handles[0].Update(ctx, func(tx store.Tx) error {
			_, err := sender.Send(ctx, tx, []byte(`{"payload":"x"}`), 0)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func BenchmarkSQLite(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "db")
	var handles [2]store.Store
	for i := range handles {
		st, err := store.OpenSQLite(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		handles[i] = st
	}
	benchQueue(b, handles)
}

func BenchmarkPostgres(b *testing.B) {
	ctx := context.Background()
	url := pgtest.URL(b)
	var handles [2]store.Store
	for i := range handles {
		st, err := postgres.Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		handles[i] = st
	}
	benchQueue(b, handles)
}
