package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// increment adds one to the counter at t/key and returns the revision.
func increment(ctx context.Context, st store.Store, key string) (store.Revision, error) {
	return st.Update(ctx, func(tx store.Tx) error {
		n := 0
		v, err := tx.Get(ctx, "t", key)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if n, err = strconv.Atoi(string(v)); err != nil {
				return err
			}
		}
		return tx.Put(ctx, "t", key, []byte(strconv.Itoa(n+1)))
	})
}

// testLostUpdate runs read-modify-write increments of one key through two
// handles at once: none is lost, none fails, and each commits its own
// revision.
func testLostUpdate(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	handles := []store.Store{a, e.Reopen(t, a)}
	const workers, each = 8, 25
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		revs []store.Revision
	)
	for w := range workers {
		wg.Go(func() {
			for range each {
				rev, err := increment(ctx, handles[w%2], "counter")
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
				mu.Lock()
				revs = append(revs, rev)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if v, _ := a.Get(ctx, "t", "counter"); string(v) != strconv.Itoa(workers*each) {
		t.Fatalf("counter = %s, want %d: an update was lost", v, workers*each)
	}
	slices.Sort(revs)
	if len(slices.Compact(revs)) != workers*each {
		t.Fatalf("%d distinct revisions for %d updates", len(slices.Compact(revs)), workers*each)
	}
}

// barrier lets n parties wait for each other, each for at most a while: an
// engine that makes a transaction wait for another's locks must not hang
// the suite.
type barrier struct {
	n    atomic.Int32
	done chan struct{}
}

func newBarrier(n int32) *barrier {
	b := &barrier{done: make(chan struct{})}
	b.n.Store(n)
	return b
}

func (b *barrier) await(d time.Duration) {
	if b.n.Add(-1) == 0 {
		close(b.done)
	}
	select {
	case <-b.done:
	case <-time.After(d):
	}
}

// testWriteSkew runs, through two handles at once, transactions that each
// count the reservations under a prefix and add their own (a different
// key) only when the count is below the limit of one, as the account
// concurrency check does. Both read before either writes; serializability
// means at most one reservation lands.
func testWriteSkew(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	handles := []store.Store{a, e.Reopen(t, a)}
	for round := range 10 {
		prefix := fmt.Sprintf("round%d/", round)
		b := newBarrier(2)
		var wg sync.WaitGroup
		for i, st := range handles {
			wg.Go(func() {
				first := true
				_, err := st.Update(ctx, func(tx store.Tx) error {
					held, err := tx.List(ctx, "reservations", prefix, "", 0)
					if err != nil {
						return err
					}
					if first {
						first = false
						b.await(200 * time.Millisecond)
					}
					if len(held) >= 1 {
						return nil
					}
					return tx.Put(ctx, "reservations", prefix+strconv.Itoa(i), []byte("held"))
				})
				if err != nil {
					t.Errorf("reserve: %v", err)
				}
			})
		}
		wg.Wait()
		held, err := a.List(ctx, "reservations", prefix, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(held) != 1 {
			t.Fatalf("round %d: %d reservations (%s), want exactly 1: write skew", round, len(held), keys(held))
		}
	}
}

// testRetry makes another handle commit over a transaction's read before
// the transaction writes: fn runs again, and the new run reads the other
// commit.
func testRetry(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	b := e.Reopen(t, a)
	put(t, a, "t", "k", "1")
	var seen []string
	var otherRev store.Revision
	rev, err := a.Update(ctx, func(tx store.Tx) error {
		v, err := tx.Get(ctx, "t", "k")
		if err != nil {
			return err
		}
		seen = append(seen, string(v)) // a record of the runs, kept on purpose
		if len(seen) == 1 {
			done := make(chan error, 1)
			go func() {
				var err error
				otherRev, err = b.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "t", "k", []byte("2")) })
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					return fmt.Errorf("other writer: %w", err)
				}
			case <-time.After(5 * time.Second):
				return errors.New("a read made another handle's write wait")
			}
		}
		n, _ := strconv.Atoi(string(v))
		return tx.Put(ctx, "t", "k", []byte(strconv.Itoa(n+10)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[1 2]" {
		t.Fatalf("runs read %v, want [1 2]: fn was not run again after the conflict, or did not see the other commit", seen)
	}
	if v, _ := a.Get(ctx, "t", "k"); string(v) != "12" {
		t.Fatalf("k = %s, want 12", v)
	}
	if rev != otherRev+1 {
		t.Fatalf("revision %d committed after the other writer's %d", rev, otherRev)
	}
}

// collect watches st after after until it has n changes or a second has
// passed.
func collect(t *testing.T, st store.Store, after store.Revision, n int) []store.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var got []store.Change
	for c, err := range st.Watch(ctx, after) {
		if err != nil {
			t.Fatalf("watch after %d: %v (after %d of %d changes)", after, err, len(got), n)
		}
		got = append(got, c)
		if len(got) == n {
			break
		}
	}
	return got
}

func changeString(cs []store.Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%d:%s/%s", c.Revision, c.Table, c.Key))
	}
	slices.Sort(out) // within a revision, changes come in no particular order
	return fmt.Sprint(out)
}

// testChangeLog checks revisions and the change log: one revision per
// writing transaction, each key once, in commit order, from any starting
// revision.
func testChangeLog(t *testing.T, e Engine) {
	ctx := context.Background()
	st := e.Open(t)
	base, err := st.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	writes := [][]string{{"a"}, {"b", "c", "b"}, {}, {"a", "del:c"}}
	var revs []store.Revision
	var want []store.Change
	for _, w := range writes {
		var wrote []string
		rev, err := st.Update(ctx, func(tx store.Tx) error {
			wrote = wrote[:0]
			for _, k := range w {
				var err error
				if key, ok := cutPrefix(k, "del:"); ok {
					err = tx.Delete(ctx, "t", key)
					k = key
				} else {
					err = tx.Put(ctx, "t", k, []byte("v"))
				}
				if err != nil {
					return err
				}
				if !slices.Contains(wrote, k) {
					wrote = append(wrote, k)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, rev)
		for _, k := range wrote {
			want = append(want, store.Change{Revision: rev, Table: "t", Key: k})
		}
	}
	if fmt.Sprint(revs) != fmt.Sprint([]store.Revision{base + 1, base + 2, base + 2, base + 3}) {
		t.Fatalf("revisions %v after %d: want one per writing transaction, none for a transaction that wrote nothing", revs, base)
	}
	if cur, _ := st.CurrentRevision(ctx); cur != base+3 {
		t.Fatalf("current revision %d, want %d", cur, base+3)
	}
	got := collect(t, st, base, len(want))
	if changeString(got) != changeString(want) {
		t.Fatalf("changes after %d:\n got %v\nwant %v", base, changeString(got), changeString(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Revision < got[i-1].Revision {
			t.Fatalf("changes out of commit order: %v", got)
		}
	}
	// From a later revision: exactly the changes after it.
	got = collect(t, st, base+2, 2)
	if changeString(got) != changeString(want[len(want)-2:]) {
		t.Fatalf("changes after %d: %v", base+2, changeString(got))
	}
	// Changes committed while watching arrive, in order, without gaps.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// A watcher can see a commit before the writer's Commit call returns:
	// the writer finishes before ctx is cancelled.
	writer := make(chan struct{})
	defer func() { <-writer }()
	go func() {
		defer close(writer)
		for i := range 50 {
			if _, err := st.Update(ctx, func(tx store.Tx) error {
				return tx.Put(ctx, "live", strconv.Itoa(i), []byte("v"))
			}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	next := base + 4
	for c, err := range st.Watch(ctx, base+3) {
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		if c.Revision != next || c.Key != strconv.Itoa(int(next-base-4)) {
			t.Fatalf("change %+v, want revision %d", c, next)
		}
		if next++; next == base+4+50 {
			break
		}
	}
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

// testWatchOtherHandle watches one handle while another (another process)
// commits.
func testWatchOtherHandle(t *testing.T, e Engine) {
	ctx := context.Background()
	a := e.Open(t)
	b := e.Reopen(t, a)
	base, err := a.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	writer := make(chan struct{})
	defer func() { <-writer }() // the writer is done before the handles close
	go func() {
		defer close(writer)
		time.Sleep(20 * time.Millisecond) // the watch is waiting by now
		for i := range 3 {
			if _, err := b.Update(ctx, func(tx store.Tx) error {
				return tx.Put(ctx, "other", strconv.Itoa(i), []byte("v"))
			}); err != nil {
				t.Error(err)
			}
		}
	}()
	start := time.Now()
	got := collect(t, a, base, 3)
	if changeString(got) != fmt.Sprintf("[%d:other/0 %d:other/1 %d:other/2]", base+1, base+2, base+3) {
		t.Fatalf("changes of the other handle: %v", changeString(got))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("another handle's commits took %v to arrive", d)
	}
}

// testCompaction trims the log: a watch from before the trimmed revisions
// learns it with ErrCompacted; one from the horizon on sees the rest.
func testCompaction(t *testing.T, e Engine) {
	ctx := context.Background()
	st := e.Open(t)
	base, _ := st.CurrentRevision(ctx)
	for i := range 5 {
		put(t, st, "t", strconv.Itoa(i), "v")
	}
	if err := e.Trim(ctx, st, base+3); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for c, err := range st.Watch(wctx, base+2) {
		if !errors.Is(err, store.ErrCompacted) {
			t.Fatalf("watch from before the horizon: %+v, %v; want ErrCompacted", c, err)
		}
		break
	}
	got := collect(t, st, base+3, 2)
	if changeString(got) != fmt.Sprintf("[%d:t/3 %d:t/4]", base+4, base+5) {
		t.Fatalf("changes after the horizon: %v", changeString(got))
	}
	// Trimming every change keeps the revisions counting.
	if err := e.Trim(ctx, st, base+5); err != nil {
		t.Fatal(err)
	}
	if cur, err := st.CurrentRevision(ctx); err != nil || cur != base+5 {
		t.Fatalf("current revision after trimming all: %d %v, want %d", cur, err, base+5)
	}
	if rev := put2(t, st, "t", "after"); rev != base+6 {
		t.Fatalf("revision after trimming all: %d, want %d", rev, base+6)
	}
	got = collect(t, st, base+5, 1)
	if changeString(got) != fmt.Sprintf("[%d:t/after]", base+6) {
		t.Fatalf("changes after trimming all: %v", changeString(got))
	}
}

// testFeed runs a Feed over one handle: its subscribers get the changes of
// their tables, another handle's included, and a reset when the feed fell
// behind the log.
func testFeed(t *testing.T, e Engine) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := e.Open(t)
	b := e.Reopen(t, a)
	feed, err := store.NewFeed(ctx, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan store.Change, 100)
	resets := make(chan struct{}, 10)
	unsubscribe := feed.Subscribe([]string{"watched"}, func(c store.Change) { changes <- c }, func() { resets <- struct{}{} })
	done := make(chan error)
	go func() { done <- feed.Run(ctx) }()

	put(t, a, "ignored", "x", "v")
	put(t, b, "watched", "k", "v")
	select {
	case c := <-changes:
		if c.Table != "watched" || c.Key != "k" {
			t.Fatalf("change %+v", c)
		}
	case <-time.After(time.Second):
		t.Fatal("a change of another handle did not reach the subscriber within a second")
	}
	unsubscribe()
	put(t, a, "watched", "after-unsubscribe", "v")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	select {
	case c := <-changes:
		// It may have been delivered before unsubscribe took effect only if
		// committed before: it was not.
		t.Fatalf("change after unsubscribing: %+v", c)
	default:
	}

	// A feed that fell behind the log resets its subscribers.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	feed, err = store.NewFeed(ctx, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	feed.Subscribe([]string{"watched"}, func(c store.Change) { changes <- c }, func() { resets <- struct{}{} })
	put(t, a, "watched", "missed", "v")
	rev := put2(t, a, "watched", "missed-too")
	if err := e.Trim(ctx, a, rev); err != nil {
		t.Fatal(err)
	}
	go func() { done <- feed.Run(ctx) }()
	select {
	case <-resets:
	case c := <-changes:
		t.Fatalf("change %+v instead of a reset", c)
	case <-time.After(time.Second):
		t.Fatal("no reset after the log was compacted past the feed")
	}
	put(t, a, "watched", "after-reset", "v")
	select {
	case c := <-changes:
		if c.Key != "after-reset" {
			t.Fatalf("change after the reset: %+v", c)
		}
	case <-time.After(time.Second):
		t.Fatal("no change after the reset")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func put2(t *testing.T, st store.Store, table, key string) store.Revision {
	t.Helper()
	rev, err := st.Update(context.Background(), func(tx store.Tx) error { return tx.Put(context.Background(), table, key, []byte("v")) })
	if err != nil {
		t.Fatal(err)
	}
	return rev
}
