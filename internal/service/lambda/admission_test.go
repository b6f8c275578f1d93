package lambda

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// sharedEngine opens handles on one database, as the nodes of a cluster
// each have their own.
type sharedEngine struct {
	name string
	// open returns a new handle on the test's database; the first call
	// makes the database.
	open func(tb testing.TB) func(tb testing.TB) store.Store
}

var sharedEngines = []sharedEngine{
	{"SQLite", func(tb testing.TB) func(testing.TB) store.Store {
		path := filepath.Join(tb.TempDir(), "rolecall.db")
		return func(tb testing.TB) store.Store {
			st, err := store.OpenSQLite(context.Background(), path)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		}
	}},
	{"PostgreSQL", func(tb testing.TB) func(testing.TB) store.Store {
		url := pgtest.URL(tb)
		return func(tb testing.TB) store.Store {
			st, err := postgres.Open(context.Background(), url)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		}
	}},
}

// clock is a node's clock, ahead of the real one by a settable offset.
type clock struct{ ahead atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.ahead.Load())) }
func (c *clock) advance(d time.Duration) { c.ahead.Add(int64(d)) }

// newSharedLambda returns a Lambda on st that counts concurrency in the
// store, as node number node of a cluster (nodes of one test process
// need uid ranges of their own: environments are killed by uid).
func newSharedLambda(tb testing.TB, st store.Store, node int, fc *fakeCaller, now func() time.Time, limit int) *Lambda {
	tb.Helper()
	l, err := New(Config{
		Account:              testAccount,
		Region:               "us-east-1",
		Box:                  testBox(tb),
		Store:                st,
		Invoker:              fc,
		CodeDir:              filepath.Join(tb.TempDir(), "code"),
		Now:                  now,
		ConcurrentExecutions: limit,
		SharedConcurrency:    true,
		RuntimeOptions: runtime.Options{
			IdleTimeout: time.Minute,
			UIDBase:     1<<21 + os.Getpid()%4096*64 + node*32, UIDCount: 32,
		},
		Bind: func(b *api.EnvironmentBinding) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
		},
		SettleDelay: 20 * time.Millisecond,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return l
}

// newNode returns a harness for node number node of a cluster on st.
func newNode(t *testing.T, st store.Store, node int, now func() time.Time, limit int) *harness {
	t.Helper()
	h := &harness{t: t, fc: newFakeCaller(), deny: map[string]bool{}, revoke: map[string]time.Time{}}
	h.l = newSharedLambda(t, st, node, h.fc, now, limit)
	h.svc = h.l.Service()
	return h
}

// slots returns the keys of the slots in the store.
func slots(t *testing.T, st store.Store) []string {
	t.Helper()
	items, err := st.List(context.Background(), tableSlots, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	return keys
}

// wantThrottle checks that err is Lambda's TooManyRequestsException for reason.
func wantThrottle(t *testing.T, err error, reason string) {
	t.Helper()
	wantError(t, err, "TooManyRequestsException", http.StatusTooManyRequests, "Rate Exceeded.")
	if got := err.(*api.Error).Fields["Reason"]; got != reason {
		t.Fatalf("throttle reason = %v, want %s", got, reason)
	}
}

// onEachEngine runs f for each engine, with a function that opens a new
// handle on one fresh database.
func onEachEngine(t *testing.T, f func(t *testing.T, open func(testing.TB) store.Store)) {
	for _, e := range sharedEngines {
		t.Run(e.name, func(t *testing.T) { f(t, e.open(t)) })
	}
}

// succeeds checks that a synchronous invocation of name on h returns 200.
func (h *harness) succeeds(name, what string) {
	h.t.Helper()
	if raw, err := h.invoke(name, `{"action":"echo"}`, nil); err != nil || raw.Status != http.StatusOK {
		h.t.Fatalf("%s: %v %v", what, raw, err)
	}
}

// TestSharedReservedConcurrency runs two nodes on one database: an
// invocation running on one counts against its function's reserved
// concurrency on the other until it ends, and a slot whose holder
// vanished stops counting once it expires.
func TestSharedReservedConcurrency(t *testing.T) {
	needNode(t)
	onEachEngine(t, func(t *testing.T, open func(testing.TB) store.Store) {
		stA, stB := open(t), open(t)
		var clockB clock
		a := newNode(t, stA, 0, time.Now, 0)
		b := newNode(t, stB, 1, clockB.now, 0)
		a.create("slow", map[string]any{"Timeout": 1})
		a.must("PutFunctionConcurrency", req{path: fn("slow"), body: map[string]any{"ReservedConcurrentExecutions": 1}})

		done := make(chan error, 1)
		go func() {
			_, err := a.invoke("slow", `{"action":"sleep","ms":1500}`, nil)
			done <- err
		}()
		eventually(t, "A's slot", func() bool { return len(slots(t, stA)) == 1 })
		_, err := b.invoke("slow", `{"action":"echo"}`, nil)
		wantThrottle(t, err, runtime.ReasonReservedLimit)
		if err := <-done; err != nil {
			t.Fatalf("A's invocation: %v", err)
		}
		b.succeeds("slow", "B after A's invocation ended")
		if keys := slots(t, stB); len(keys) != 0 {
			t.Fatalf("slots left: %v", keys)
		}

		// A holder that vanished: its slot is never deleted.
		if _, err := newStoreAdmission(a.l, 0).Acquire(context.Background(), &runtime.Config{
			AccountID: testAccount, FunctionName: "slow", Timeout: time.Second,
		}); err != nil {
			t.Fatal(err)
		}
		_, err = b.invoke("slow", `{"action":"echo"}`, nil)
		wantThrottle(t, err, runtime.ReasonReservedLimit)
		life := time.Second + defaultInitTimeout + slotMargin
		clockB.advance(life - 5*time.Second)
		_, err = b.invoke("slow", `{"action":"echo"}`, nil)
		wantThrottle(t, err, runtime.ReasonReservedLimit)
		clockB.advance(10 * time.Second)
		b.succeeds("slow", "B after the vanished holder's slot expired")
		if keys := slots(t, stB); len(keys) != 0 {
			t.Fatalf("expired slot not deleted: %v", keys)
		}
	})
}

// TestSharedAccountConcurrency runs two nodes on one database with an
// account limit of 2: two invocations of unreserved functions running on
// one node throttle a third function's on the other until they end.
func TestSharedAccountConcurrency(t *testing.T) {
	needNode(t)
	onEachEngine(t, func(t *testing.T, open func(testing.TB) store.Store) {
		stA, stB := open(t), open(t)
		a := newNode(t, stA, 0, time.Now, 2)
		b := newNode(t, stB, 1, time.Now, 2)
		for _, name := range []string{"f1", "f2", "f3"} {
			a.create(name, nil)
		}
		var wg sync.WaitGroup
		for _, name := range []string{"f1", "f2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := a.invoke(name, `{"action":"sleep","ms":1500}`, nil); err != nil {
					t.Errorf("A's %s: %v", name, err)
				}
			}()
		}
		eventually(t, "A's slots", func() bool { return len(slots(t, stA)) == 2 })
		_, err := b.invoke("f3", `{"action":"echo"}`, nil)
		wantThrottle(t, err, runtime.ReasonAccountLimit)
		wg.Wait()
		b.succeeds("f3", "B after A's invocations ended")
		if keys := slots(t, stB); len(keys) != 0 {
			t.Fatalf("slots left: %v", keys)
		}
	})
}

// TestSharedAdmissionRace acquires slots from two nodes at once, each
// acquisition for a function of its own (so each writes a key no other
// reads: the write skew that serializable transactions prevent): exactly
// as many succeed as the limit allows, on the account's unreserved
// concurrency and on a function's reserved concurrency.
func TestSharedAdmissionRace(t *testing.T) {
	onEachEngine(t, func(t *testing.T, open func(testing.TB) store.Store) {
		ctx := context.Background()
		const unreserved, reserved, perNode = 3, 2, 12
		stA, stB := open(t), open(t)
		// ConcurrentExecutions less the reservation leaves 3 unreserved.
		nodes := []*storeAdmission{
			newStoreAdmission(newSharedLambda(t, stA, 0, newFakeCaller(), time.Now, unreserved+reserved), 0),
			newStoreAdmission(newSharedLambda(t, stB, 1, newFakeCaller(), time.Now, unreserved+reserved), 0),
		}
		if _, err := stA.Update(ctx, func(tx store.Tx) error {
			return setReserved(ctx, tx, testAccount+"/reserved", reserved)
		}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			fn     func(i int) string
			limit  int
			reason string
		}{
			{"Unreserved", func(i int) string { return fmt.Sprint("f", i) }, unreserved, runtime.ReasonAccountLimit},
			{"Reserved", func(int) string { return "reserved" }, reserved, runtime.ReasonReservedLimit},
		} {
			var (
				mu       sync.Mutex
				releases []func()
				wg       sync.WaitGroup
				start    = make(chan struct{})
			)
			for n, adm := range nodes {
				for i := range perNode {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						release, err := adm.Acquire(ctx, &runtime.Config{
							AccountID: testAccount, FunctionName: c.fn(n*perNode + i), Timeout: time.Minute,
						})
						var te *runtime.ThrottleError
						switch {
						case err == nil:
							mu.Lock()
							releases = append(releases, release)
							mu.Unlock()
						case !errors.As(err, &te) || te.Reason != c.reason:
							t.Errorf("%s: acquire: %v", c.name, err)
						}
					}()
				}
			}
			close(start)
			wg.Wait()
			if len(releases) != c.limit {
				t.Errorf("%s: %d acquired, want %d", c.name, len(releases), c.limit)
			}
			if keys := slots(t, stB); len(keys) != len(releases) {
				t.Errorf("%s: slots %v, want %d", c.name, keys, len(releases))
			}
			for _, release := range releases {
				release()
			}
			if keys := slots(t, stA); len(keys) != 0 {
				t.Errorf("%s: slots left after release: %v", c.name, keys)
			}
		}
	})
}

// BenchmarkSharedAdmission measures one acquisition and release of a
// slot in the store, for an unreserved function and for one that
// reserves concurrency, with no other slot taken; "floor" is what any
// slot in the store costs: two Updates, one writing a key and one
// deleting it.
func BenchmarkSharedAdmission(b *testing.B) {
	ctx := context.Background()
	for _, e := range sharedEngines {
		b.Run(e.name, func(b *testing.B) {
			st := e.open(b)(b)
			adm := newStoreAdmission(newSharedLambda(b, st, 0, newFakeCaller(), time.Now, 0), 0)
			if _, err := st.Update(ctx, func(tx store.Tx) error {
				return setReserved(ctx, tx, testAccount+"/reserved", 10)
			}); err != nil {
				b.Fatal(err)
			}
			for _, name := range []string{"unreserved", "reserved"} {
				cfg := &runtime.Config{AccountID: testAccount, FunctionName: name, Timeout: 3 * time.Second}
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						release, err := adm.Acquire(ctx, cfg)
						if err != nil {
							b.Fatal(err)
						}
						release()
					}
				})
			}
			b.Run("floor", func(b *testing.B) {
				for b.Loop() {
					for _, v := range [][]byte{[]byte("1"), nil} {
						if _, err := st.Update(ctx, func(tx store.Tx) error {
							if v == nil {
								return tx.Delete(ctx, tableSlots, "floor")
							}
							return tx.Put(ctx, tableSlots, "floor", v)
						}); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		})
	}
}

// TestSharedConcurrencyOwnRuntime: shared concurrency admits invocations
// in the runtime New creates; one given, or an admission of the caller's,
// is refused rather than left counting alone.
func TestSharedConcurrencyOwnRuntime(t *testing.T) {
	st := sharedEngines[0].open(t)(t)
	rt, err := runtime.New(runtime.Options{UIDBase: 1<<21 + os.Getpid()%4096*64, UIDCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	for name, mod := range map[string]func(*Config){
		"Runtime":   func(c *Config) { c.Runtime = rt },
		"Admission": func(c *Config) { c.RuntimeOptions.Admission = newStoreAdmission(nil, 0) },
	} {
		cfg := Config{Store: st, Box: testBox(t), Invoker: newFakeCaller(), CodeDir: t.TempDir(), SharedConcurrency: true}
		mod(&cfg)
		if l, err := New(cfg); err == nil || !strings.Contains(err.Error(), "SharedConcurrency") {
			if l != nil {
				l.Close(context.Background())
			}
			t.Errorf("%s: New = %v, want an error", name, err)
		}
	}
}
