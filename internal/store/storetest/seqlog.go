package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/seqlog"
)

func appendLog(t *testing.T, st store.Store, log string, values ...string) seqlog.Position {
	t.Helper()
	var first seqlog.Position
	_, err := st.Update(context.Background(), func(tx store.Tx) error {
		vs := make([][]byte, len(values))
		for i, v := range values {
			vs[i] = []byte(v)
		}
		var err error
		first, err = seqlog.Append(context.Background(), tx, log, vs...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return first
}

func recordsString(records []seqlog.Record) string {
	s := ""
	for _, r := range records {
		s += fmt.Sprintf("%d=%s ", r.Position, r.Value)
	}
	return s
}

// testLogPositions checks that positions are dense and increasing per log,
// that logs whose names share a prefix are kept apart, that paging with a
// cursor returns every record once, and that a failed transaction's
// records take no position.
func testLogPositions(t *testing.T, st store.Store) {
	ctx := context.Background()
	if got, err := seqlog.Read(ctx, st, "a", 0, 0); err != nil || len(got) != 0 {
		t.Fatalf("empty log: %v %v", got, err)
	}
	if p := appendLog(t, st, "a", "a1", "a2"); p != 1 {
		t.Fatalf("first append at %d, want 1", p)
	}
	appendLog(t, st, "a/b", "ab1") // a name with a separator in it
	appendLog(t, st, "a%2Fb", "escaped1")
	if p := appendLog(t, st, "a", "a3"); p != 3 {
		t.Fatalf("second append at %d, want 3", p)
	}
	boom := errors.New("boom")
	_, err := st.Update(ctx, func(tx store.Tx) error {
		if _, err := seqlog.Append(ctx, tx, "a", []byte("lost")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// Two appends in one transaction follow each other.
	_, err = st.Update(ctx, func(tx store.Tx) error {
		for _, v := range []string{"a4", "a5"} {
			if _, err := seqlog.Append(ctx, tx, "a", []byte(v)); err != nil {
				return err
			}
		}
		_, err := seqlog.Append(ctx, tx, "a", []byte{}) // an empty record is a record
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := seqlog.Read(ctx, st, "a", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := recordsString(all); got != "1=a1 2=a2 3=a3 4=a4 5=a5 6= " {
		t.Fatalf("log a: %s", got)
	}
	for _, c := range []struct{ log, want string }{{"a/b", "1=ab1 "}, {"a%2Fb", "1=escaped1 "}} {
		got, err := seqlog.Read(ctx, st, c.log, 0, 0)
		if err != nil || recordsString(got) != c.want {
			t.Errorf("log %s: %s %v, want %s", c.log, recordsString(got), err, c.want)
		}
	}
	var paged []seqlog.Record
	for after := seqlog.Position(0); ; {
		page, err := seqlog.Read(ctx, st, "a", after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Position
	}
	if recordsString(paged) != recordsString(all) {
		t.Errorf("paged: %s", recordsString(paged))
	}
	if got, err := seqlog.Read(ctx, st, "a", 6, 0); err != nil || len(got) != 0 {
		t.Errorf("read at the end: %v %v", got, err)
	}
	if info, err := seqlog.Stat(ctx, st, "a"); err != nil || info != (seqlog.Info{Last: 6}) {
		t.Errorf("stat: %+v %v", info, err)
	}
	if _, err := seqlog.Read(ctx, st, "", 0, 0); err == nil {
		t.Error("empty log name accepted")
	}
}

// testLogTrim checks that trimmed records are gone, that a cursor behind
// the trim horizon gets ErrTrimmed instead of silently skipping records,
// and that trimming never moves a log's positions.
func testLogTrim(t *testing.T, st store.Store) {
	ctx := context.Background()
	appendLog(t, st, "t", "1", "2", "3", "4", "5")
	trim := func(through seqlog.Position) error {
		_, err := st.Update(ctx, func(tx store.Tx) error { return seqlog.Trim(ctx, tx, "t", through) })
		return err
	}
	if err := trim(3); err != nil {
		t.Fatal(err)
	}
	if got, err := seqlog.Read(ctx, st, "t", 3, 0); err != nil || recordsString(got) != "4=4 5=5 " {
		t.Fatalf("read from the horizon: %s %v", recordsString(got), err)
	}
	for _, after := range []seqlog.Position{0, 2} {
		if _, err := seqlog.Read(ctx, st, "t", after, 0); !errors.Is(err, seqlog.ErrTrimmed) {
			t.Errorf("read after %d behind the horizon: %v, want ErrTrimmed", after, err)
		}
	}
	if err := trim(2); err != nil { // behind the horizon: nothing to do
		t.Fatal(err)
	}
	if err := trim(6); err == nil {
		t.Error("trim past the last record accepted")
	}
	if err := trim(5); err != nil {
		t.Fatal(err)
	}
	if _, err := seqlog.Read(ctx, st, "t", 4, 0); !errors.Is(err, seqlog.ErrTrimmed) {
		t.Errorf("read of a fully trimmed log behind the horizon: %v, want ErrTrimmed", err)
	}
	if got, err := seqlog.Read(ctx, st, "t", 5, 0); err != nil || len(got) != 0 {
		t.Errorf("read at the horizon of a fully trimmed log: %v %v", got, err)
	}
	if p := appendLog(t, st, "t", "6"); p != 6 {
		t.Errorf("append after trim at %d, want 6", p)
	}
	if info, err := seqlog.Stat(ctx, st, "t"); err != nil || info != (seqlog.Info{Last: 6, Trimmed: 5}) {
		t.Errorf("stat: %+v %v", info, err)
	}
	if items, err := st.List(ctx, seqlog.Table, "t/", "", 0); err != nil || len(items) != 1 {
		t.Errorf("records kept: %d %v, want 1", len(items), err)
	}
}

// testLogTail appends from many goroutines on two handles while a reader
// on each handle tails the log with its cursor. Each reader must see every
// record exactly once, in position order, with no gap: a record that
// commits late never lands behind a cursor.
func testLogTail(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	b := e.Reopen(t, a)
	const (
		writers = 8
		appends = 25
		log     = "tail"
	)
	var wg sync.WaitGroup
	for w := range writers {
		st := []store.Store{a, b}[w%2]
		wg.Go(func() {
			for i := range appends {
				_, err := st.Update(ctx, func(tx store.Tx) error {
					// Some transactions append twice, with another write
					// between, so that they stay open a while.
					if _, err := seqlog.Append(ctx, tx, log, fmt.Appendf(nil, "%d/%d/0", w, i)); err != nil {
						return err
					}
					if err := tx.Put(ctx, "t", fmt.Sprintf("w%d", w), []byte("x")); err != nil {
						return err
					}
					if i%3 == 0 {
						_, err := seqlog.Append(ctx, tx, log, fmt.Appendf(nil, "%d/%d/1", w, i))
						return err
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	want := 0
	for range writers {
		for i := range appends {
			want++
			if i%3 == 0 {
				want++
			}
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var readers sync.WaitGroup
	for _, st := range []store.Store{a, b} {
		readers.Go(func() {
			seen := map[string]bool{}
			var after seqlog.Position
			finished := false
			for {
				select {
				case <-done:
					finished = true
				default:
				}
				records, err := seqlog.Read(ctx, st, log, after, 7)
				if err != nil {
					t.Error(err)
					return
				}
				for _, r := range records {
					if r.Position != after+1 {
						t.Errorf("record at %d after cursor %d", r.Position, after)
						return
					}
					if seen[string(r.Value)] {
						t.Errorf("record %s read twice", r.Value)
						return
					}
					seen[string(r.Value)] = true
					after = r.Position
				}
				// Once the writers are done, one more read that finds
				// nothing new ends the tail.
				if len(records) == 0 {
					if finished {
						break
					}
					time.Sleep(time.Millisecond)
				}
			}
			if len(seen) != want {
				t.Errorf("reader saw %d records, want %d", len(seen), want)
			}
			// Each writer's records are in its own commit order.
			last := map[string]seqlog.Position{}
			all, err := seqlog.Read(ctx, st, log, 0, 0)
			if err != nil {
				t.Error(err)
				return
			}
			for _, r := range all {
				var w, i, k int
				if _, err := fmt.Sscanf(string(r.Value), "%d/%d/%d", &w, &i, &k); err != nil {
					t.Error(err)
					return
				}
				order := seqlog.Position(i*2 + k)
				key := fmt.Sprint(w)
				if p, ok := last[key]; ok && order <= p {
					t.Errorf("writer %d's record %s is out of its order", w, r.Value)
				}
				last[key] = order
			}
		})
	}
	readers.Wait()
}
