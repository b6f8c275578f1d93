package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

const kindTest Kind = "test"

// testSource is a Source whose units and polls a test sets; it records
// every Poll.
type testSource struct {
	mu    sync.Mutex
	units []string
	// poll runs one Poll (default: wait for ctx).
	poll    func(ctx context.Context, w *Worker) error
	calls   map[string]int // Polls begun, by owner/unit
	running map[string]int // Polls running, by unit
	max     int            // most Polls of one unit at once
	listed  int
}

func (s *testSource) Check(ctx context.Context, w *Worker, fn Function) error { return nil }

func (s *testSource) Units(ctx context.Context, w *Worker) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listed++
	return append([]string(nil), s.units...), nil
}

func (s *testSource) Poll(ctx context.Context, w *Worker) error {
	s.mu.Lock()
	if s.calls == nil {
		s.calls, s.running = make(map[string]int), make(map[string]int)
	}
	s.calls[w.Unit]++
	s.running[w.Unit]++
	s.max = max(s.max, s.running[w.Unit])
	poll := s.poll
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running[w.Unit]--
		s.mu.Unlock()
	}()
	if poll != nil {
		return poll(ctx, w)
	}
	<-ctx.Done()
	return ctx.Err()
}

// polls returns the Polls begun of unit and those running.
func (s *testSource) polls(unit string) (calls, running int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[unit], s.running[unit]
}

// most returns the most Polls of one unit that ran at once.
func (s *testSource) most() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}

// testFunctions is the functions a test's mappings invoke.
type testFunctions struct {
	mu       sync.Mutex
	missing  bool
	denied   bool
	sessions int
	expiry   time.Duration
}

func (f *testFunctions) Resolve(ctx context.Context, account, name string) (Function, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.missing {
		return Function{}, errNotFound("Function not found: %s", name)
	}
	return Function{Account: account, Name: "fn", ARN: name, QualifiedARN: name,
		Role: "arn:aws:iam::" + account + ":role/r", Timeout: 3}, nil
}

func (f *testFunctions) Invoke(ctx context.Context, arn string, payload []byte) (*Result, error) {
	return &Result{Payload: payload}, nil
}

func (f *testFunctions) RoleSession(ctx context.Context, fn Function) (*api.Principal, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.denied {
		return nil, time.Time{}, errInvalidParam("The role defined for the function cannot be assumed by Lambda.")
	}
	f.sessions++
	exp := f.expiry
	if exp == 0 {
		exp = time.Hour
	}
	return &api.Principal{ARN: fmt.Sprintf("session-%d", f.sessions)}, time.Now().Add(exp), nil
}

// refuseInvoker answers every in-process call with an error: the test
// sources call no service.
type refuseInvoker struct{}

func (refuseInvoker) Invoke(ctx context.Context, in api.Internal) (any, error) {
	return nil, errors.New("no service")
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "esm.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// newTestManager returns a Manager on st polling src, closed at the
// test's end.
func newTestManager(t *testing.T, st store.Store, src Source, fns Functions) *Manager {
	t.Helper()
	m, err := New(Config{Store: st, Invoker: refuseInvoker{}, Functions: fns,
		LeaseDuration: 600 * time.Millisecond, ScanInterval: 50 * time.Millisecond, RetryBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m.sources[kindTest] = src
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

// putMapping stores a mapping record as the API does, and wakes m.
func putMapping(t *testing.T, st store.Store, mp *Mapping) {
	t.Helper()
	mp.V, mp.Kind = mappingFormat, kindTest
	if mp.Account == "" {
		mp.Account = "123456789012"
	}
	if mp.FunctionArn == "" {
		mp.FunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
	}
	b, err := json.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.Update(ctx, func(tx store.Tx) error {
		return tx.Put(ctx, tableMappings, mp.Account+"/"+mp.UUID, b)
	}); err != nil {
		t.Fatal(err)
	}
}

func enabled(uuid string, generation int) *Mapping {
	return &Mapping{UUID: uuid, Generation: generation, State: StateEnabled, Enabled: true}
}

// eventually waits up to 10s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func leaseOf(t *testing.T, st store.Store, uuid, unit string) *lease {
	t.Helper()
	l, err := getLease(context.Background(), st, unitKey(uuid, unit))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRunnerPollsEveryUnitOnce(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	src := &testSource{units: []string{"a", "b", "c"}}
	m := newTestManager(t, st, src, &testFunctions{})
	putMapping(t, st, enabled("m1", 1))
	putMapping(t, st, &Mapping{UUID: "m2", Generation: 1, State: StateDisabled})
	m.Start()
	for _, u := range src.units {
		eventually(t, "a poll of "+u, func() bool { _, n := src.polls(u); return n == 1 })
	}
	// Scans go on; nothing is polled twice.
	time.Sleep(5 * m.cfg.ScanInterval)
	for _, u := range src.units {
		if calls, _ := src.polls(u); calls != 1 {
			t.Errorf("unit %s polled %d times, want 1", u, calls)
		}
		if l := leaseOf(t, st, "m1", u); l == nil || l.Owner != m.run.id || l.Generation != 1 {
			t.Errorf("lease of %s = %+v", u, l)
		}
	}
	if l := leaseOf(t, st, "m2", "a"); l != nil {
		t.Errorf("disabled mapping leased: %+v", l)
	}
	// Close gives the leases up.
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, u := range src.units {
		if l := leaseOf(t, st, "m1", u); l != nil {
			t.Errorf("lease of %s kept after close: %+v", u, l)
		}
	}
}

func TestRunnerCheckpointSurvivesRestart(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	commits := make(chan string, 10)
	src := &testSource{units: []string{"s"}, poll: func(ctx context.Context, w *Worker) error {
		pos, err := w.Checkpoint(ctx)
		if err != nil {
			return err
		}
		next := pos + "x"
		if err := w.Commit(ctx, next); err != nil {
			return err
		}
		commits <- next
		<-ctx.Done()
		return ctx.Err()
	}}
	putMapping(t, st, enabled("m", 1))
	for want := range []string{"x", "xx", "xxx"} {
		m := newTestManager(t, st, src, &testFunctions{})
		m.Start()
		if got := <-commits; len(got) != want+1 {
			t.Fatalf("run %d committed %q", want, got)
		}
		if err := m.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	m := newTestManager(t, st, src, &testFunctions{})
	if pos, err := m.checkpoint(context.Background(), "m", "s"); err != nil || pos != "xxx" {
		t.Fatalf("checkpoint = %q, %v", pos, err)
	}
}

func TestRunnerCommitFencedByLease(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	src := &testSource{units: []string{"u"}}
	a := newTestManager(t, st, src, &testFunctions{})
	putMapping(t, st, enabled("m", 1))
	a.Start()
	eventually(t, "a poll", func() bool { _, n := src.polls("u"); return n == 1 })
	ctx := context.Background()
	w := a.newWorker(enabled("m", 1), Function{}, "u")
	if err := w.Commit(ctx, "1"); err != nil {
		t.Fatalf("commit under the lease: %v", err)
	}
	// A worker of an earlier taking of the lease, or of a process without
	// the lease, cannot commit.
	if err := a.unitWorker(enabled("m", 1), Function{}, "u", "earlier").Commit(ctx, "2"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("commit under an earlier lease: %v, want ErrLeaseLost", err)
	}
	b := newTestManager(t, st, &testSource{}, &testFunctions{})
	b.run.init()
	if err := b.newWorker(enabled("m", 1), Function{}, "u").Commit(ctx, "3"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("commit of another process: %v, want ErrLeaseLost", err)
	}
	if pos, _ := a.checkpoint(ctx, "m", "u"); pos != "1" {
		t.Errorf("checkpoint = %q, want 1", pos)
	}
	if err := a.newWorker(enabled("m", 1), Function{}, "").Commit(ctx, "4"); !errors.Is(err, errNoUnit) {
		t.Errorf("commit without a unit: %v", err)
	}
}

func TestRunnerOneProcessPerUnit(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	src := &testSource{units: []string{"a", "b", "c", "d"}}
	a := newTestManager(t, st, src, &testFunctions{})
	b := newTestManager(t, st, src, &testFunctions{})
	putMapping(t, st, enabled("m", 1))
	a.Start()
	b.Start()
	for _, u := range src.units {
		eventually(t, "a poll of "+u, func() bool { _, n := src.polls(u); return n == 1 })
	}
	time.Sleep(2 * a.cfg.LeaseDuration) // renewals and scans go on
	for _, u := range src.units {
		if calls, _ := src.polls(u); calls != 1 {
			t.Errorf("unit %s polled %d times, want 1", u, calls)
		}
	}
	if n := src.most(); n != 1 {
		t.Errorf("a unit was polled %d times at once", n)
	}
	// The process closed gives its units to the other.
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, u := range src.units {
		eventually(t, "b holds "+u, func() bool {
			l := leaseOf(t, st, "m", u)
			_, running := src.polls(u)
			return l != nil && l.Owner == b.run.id && running == 1
		})
	}
}

func TestRunnerLeaseExpiresWhenProcessDies(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	src := &testSource{units: []string{"u"}}
	a := newTestManager(t, st, src, &testFunctions{})
	putMapping(t, st, enabled("m", 1))
	a.Start()
	eventually(t, "a poll", func() bool { _, n := src.polls("u"); return n == 1 })
	// a dies: its goroutines end without giving its leases up.
	a.cancel()
	a.wg.Wait()
	expires := leaseOf(t, st, "m", "u").Expires
	b := newTestManager(t, st, src, &testFunctions{})
	b.Start()
	var l *lease
	eventually(t, "b holds u", func() bool {
		l = leaseOf(t, st, "m", "u")
		return l != nil && l.Owner == b.run.id
	})
	// b's lease began (its expiry less its duration) once a's had ended.
	if took := l.Expires.Add(-b.cfg.LeaseDuration); took.Before(expires) {
		t.Errorf("b took the unit at %v, before a's lease expired at %v", took, expires)
	}
	if _, n := src.polls("u"); n != 1 {
		t.Errorf("u running %d times", n)
	}
}

func TestRunnerRenewalFindsLeaseTaken(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	src := &testSource{units: []string{"u"}}
	a := newTestManager(t, st, src, &testFunctions{})
	putMapping(t, st, enabled("m", 1))
	a.Start()
	eventually(t, "a poll", func() bool { _, n := src.polls("u"); return n == 1 })
	// Another process takes the lease (as after a pause longer than the
	// lease): a's poller stops at its next renewal.
	ctx := context.Background()
	if _, err := st.Update(ctx, func(tx store.Tx) error {
		return putLease(ctx, tx, unitKey("m", "u"), &lease{Owner: "other", Expires: time.Now().Add(time.Hour), Generation: 1})
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the poller to stop", func() bool { _, n := src.polls("u"); return n == 0 })
	time.Sleep(3 * a.cfg.ScanInterval)
	if calls, running := src.polls("u"); calls != 1 || running != 0 {
		t.Errorf("polls = %d, running %d; want 1, 0", calls, running)
	}
	if l := leaseOf(t, st, "m", "u"); l.Owner != "other" {
		t.Errorf("lease owner = %s", l.Owner)
	}
}

func TestRunnerFollowsMappingChanges(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	var mu sync.Mutex
	var sizes []int
	src := &testSource{units: []string{"u"}, poll: func(ctx context.Context, w *Worker) error {
		mu.Lock()
		sizes = append(sizes, w.Mapping.BatchSize)
		mu.Unlock()
		<-ctx.Done()
		return ctx.Err()
	}}
	m := newTestManager(t, st, src, &testFunctions{})
	mp := enabled("m", 1)
	mp.BatchSize = 10
	putMapping(t, st, mp)
	m.Start()
	eventually(t, "a poll", func() bool { _, n := src.polls("u"); return n == 1 })
	// A new generation: the poller starts again with it.
	mp.Generation, mp.BatchSize = 2, 20
	putMapping(t, st, mp)
	m.wake()
	eventually(t, "a poll of generation 2", func() bool { c, n := src.polls("u"); return c == 2 && n == 1 })
	if l := leaseOf(t, st, "m", "u"); l.Generation != 2 {
		t.Errorf("lease generation = %d", l.Generation)
	}
	// A new generation of the same configuration (a state settled): the
	// poller goes on.
	mp.Generation, mp.State = 3, StateUpdating
	putMapping(t, st, mp)
	m.wake()
	mp.Generation, mp.State = 4, StateEnabled
	putMapping(t, st, mp)
	m.wake()
	time.Sleep(5 * m.cfg.ScanInterval)
	if c, n := src.polls("u"); c != 2 || n != 1 {
		t.Errorf("after a change of state only: %d polls, %d running; want 2, 1", c, n)
	}
	// Disabled: the poller stops and the lease is given up.
	mp.Generation, mp.State, mp.Enabled = 5, StateDisabled, false
	putMapping(t, st, mp)
	m.wake()
	eventually(t, "the poller to stop", func() bool { _, n := src.polls("u"); return n == 0 })
	eventually(t, "the lease to go", func() bool { return leaseOf(t, st, "m", "u") == nil })
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 2 || sizes[0] != 10 || sizes[1] != 20 {
		t.Errorf("batch sizes polled = %v, want [10 20]", sizes)
	}
	if n := src.most(); n != 1 {
		t.Errorf("a unit was polled %d times at once", n)
	}
}

func TestRunnerReportsMissingFunction(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	src := &testSource{units: []string{"u"}}
	fns := &testFunctions{missing: true}
	m := newTestManager(t, st, src, fns)
	mp := enabled("m", 1)
	putMapping(t, st, mp)
	m.Start()
	ctx := context.Background()
	want := "PROBLEM: Function not found: " + mp.FunctionArn
	eventually(t, "the report", func() bool { r, _ := m.lastProcessingResult(ctx, "m"); return r == want })
	if calls, _ := src.polls("u"); calls != 0 {
		t.Errorf("polled %d times without a function", calls)
	}
	// The function comes back: polling starts.
	fns.mu.Lock()
	fns.missing = false
	fns.mu.Unlock()
	eventually(t, "a poll", func() bool { _, n := src.polls("u"); return n == 1 })
}

func TestRunnerBacksOffAndReportsRoleProblem(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	var mu sync.Mutex
	var at []time.Time
	src := &testSource{units: []string{"u"}, poll: func(ctx context.Context, w *Worker) error {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		_, err := w.Principal(ctx)
		return err
	}}
	fns := &testFunctions{denied: true}
	m := newTestManager(t, st, src, fns)
	putMapping(t, st, enabled("m", 1))
	m.Start()
	ctx := context.Background()
	eventually(t, "the report", func() bool { r, _ := m.lastProcessingResult(ctx, "m"); return r == roleProblem })
	eventually(t, "five polls", func() bool { mu.Lock(); defer mu.Unlock(); return len(at) >= 5 })
	mu.Lock()
	// Waits double: 10ms, 20ms, 40ms, 80ms.
	for i := 1; i < 5; i++ {
		if d, least := at[i].Sub(at[i-1]), m.cfg.RetryBackoff<<(i-1); d < least {
			t.Errorf("wait %d = %v, want at least %v", i, d, least)
		}
	}
	mu.Unlock()
	var se *api.Error
	_, err := m.newWorker(enabled("m", 1), Function{}, "").Principal(ctx)
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		t.Errorf("Principal error = %v, want AssumeRole's *api.Error", err)
	}
}

func TestRunnerUnitDone(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	src := &testSource{units: []string{"closed", "open"}}
	src.poll = func(ctx context.Context, w *Worker) error {
		if w.Unit == "closed" {
			return ErrUnitDone
		}
		<-ctx.Done()
		return ctx.Err()
	}
	m := newTestManager(t, st, src, &testFunctions{})
	putMapping(t, st, enabled("m", 1))
	m.Start()
	eventually(t, "the closed unit done", func() bool { l := leaseOf(t, st, "m", "closed"); return l != nil && l.Done })
	time.Sleep(5 * m.cfg.ScanInterval)
	if calls, _ := src.polls("closed"); calls != 1 {
		t.Errorf("a unit done was polled %d times", calls)
	}
	if _, n := src.polls("open"); n != 1 {
		t.Errorf("open unit running %d", n)
	}
}

func TestReportWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	m := newTestManager(t, st, &testSource{}, &testFunctions{})
	ctx := context.Background()
	mp := enabled("m", 1)
	w := m.newWorker(mp, Function{}, "")
	w.Report("OK") // the mapping does not exist: nothing stored
	if r, err := m.lastProcessingResult(ctx, "m"); err != nil || r != "" {
		t.Fatalf("result of a missing mapping = %q, %v", r, err)
	}
	putMapping(t, st, mp)
	w.Report("No records processed")
	w.Report("OK")
	rev, err := st.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		w.Report("OK")
	}
	if again, _ := st.CurrentRevision(ctx); again != rev {
		t.Errorf("an unchanged result was written again (revision %d -> %d)", rev, again)
	}
	if r, _ := m.lastProcessingResult(ctx, "m"); r != "OK" {
		t.Errorf("LastProcessingResult = %q", r)
	}
}

func TestForget(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	m := newTestManager(t, st, &testSource{}, &testFunctions{})
	ctx := context.Background()
	_, err := st.Update(ctx, func(tx store.Tx) error {
		for _, id := range []string{"m", "m2"} {
			if err := errors.Join(
				tx.Put(ctx, tableStatus, id, []byte(`{"v":1,"LastProcessingResult":"OK"}`)),
				tx.Put(ctx, tableLeases, id+"/a", []byte(`{}`)),
				tx.Put(ctx, tableCheckpoints, id+"/a", []byte(`1`)),
				tx.Put(ctx, tableCheckpoints, id+"/b", []byte(`2`)),
			); err != nil {
				return err
			}
		}
		return m.forget(ctx, tx, "m")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{tableStatus, tableLeases, tableCheckpoints} {
		items, err := st.List(ctx, table, "", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Key == "m" || it.Key[:2] == "m/" {
				t.Errorf("%s %s kept", table, it.Key)
			}
		}
		if len(items) == 0 {
			t.Errorf("%s: m2's keys deleted too", table)
		}
	}
}

func TestSessionsCached(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	fns := &testFunctions{}
	m := newTestManager(t, st, &testSource{}, fns)
	ctx := context.Background()
	fn := Function{Account: "123456789012", Name: "fn", Role: "arn:aws:iam::123456789012:role/r"}
	p1, err := m.principal(ctx, fn)
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := m.principal(ctx, fn); p2 != p1 {
		t.Error("a lasting session was not reused")
	}
	other := fn
	other.Name = "fn2"
	if p3, _ := m.principal(ctx, other); p3 == p1 {
		t.Error("another function shares the session")
	}
	// A session that ends within 5 minutes is replaced.
	fns.mu.Lock()
	fns.expiry = 4 * time.Minute
	fns.mu.Unlock()
	fn.Role += "2"
	p4, _ := m.principal(ctx, fn)
	if p5, _ := m.principal(ctx, fn); p5 == p4 {
		t.Error("a session about to expire was reused")
	}
	if fns.sessions != 4 {
		t.Errorf("sessions assumed = %d, want 4", fns.sessions)
	}
}

func TestRunnerFindsNewUnits(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	src := &testSource{units: []string{"a"}}
	m := newTestManager(t, st, src, &testFunctions{})
	putMapping(t, st, enabled("m", 1))
	m.Start()
	eventually(t, "a poll of a", func() bool { _, n := src.polls("a"); return n == 1 })
	// A shard split: the units are listed again now and then.
	src.mu.Lock()
	src.units = []string{"a", "b", "c"}
	src.mu.Unlock()
	eventually(t, "polls of b and c", func() bool {
		_, b := src.polls("b")
		_, c := src.polls("c")
		return b == 1 && c == 1
	})
	if calls, _ := src.polls("a"); calls != 1 {
		t.Errorf("a polled %d times, want 1", calls)
	}
	// A unit no longer listed stops.
	src.mu.Lock()
	src.units = []string{"b", "c"}
	src.mu.Unlock()
	eventually(t, "a to stop", func() bool { _, n := src.polls("a"); return n == 0 })
	eventually(t, "a's lease to go", func() bool { return leaseOf(t, st, "m", "a") == nil })
}

// TestReportAfterTakeover: a process that takes a unit over writes its
// first report even when it equals the last one it wrote before, since
// another process may have reported in between.
func TestReportAfterTakeover(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	mp := enabled("m", 1)
	putMapping(t, st, mp)
	ctx := context.Background()
	ok := &testSource{units: []string{"a"}, poll: func(ctx context.Context, w *Worker) error {
		w.Report("OK")
		<-ctx.Done()
		return ctx.Err()
	}}
	first := newTestManager(t, st, ok, &testFunctions{})
	first.newWorker(mp, Function{}, "").Report("OK") // as when it polled before
	// Another process reported a problem meanwhile.
	second := newTestManager(t, st, &testSource{}, &testFunctions{})
	second.newWorker(mp, Function{}, "").Report("PROBLEM: Function call failed")
	first.Start()
	eventually(t, "the first process's report", func() bool {
		r, err := first.lastProcessingResult(ctx, "m")
		return err == nil && r == "OK"
	})
}
