package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestConcurrentInvokesUseSeveralEnvironments(t *testing.T) {
	m, h := newManager(t, Options{})
	cfg := goConfig("par")
	var wg sync.WaitGroup
	streams := make(chan string, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := m.Invoke(context.Background(), cfg, "par", []byte(`{"action":"env","names":["AWS_LAMBDA_LOG_STREAM_NAME"]}`), InvokeOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			var env map[string]any
			if err := json.Unmarshal(res.Payload, &env); err == nil {
				streams <- env["AWS_LAMBDA_LOG_STREAM_NAME"].(string)
			}
		}()
	}
	wg.Wait()
	close(streams)
	seen := map[string]bool{}
	for s := range streams {
		seen[s] = true
	}
	started, _ := h.counts()
	if started < 1 || len(seen) != started {
		t.Fatalf("%d environments started, %d distinct streams", started, len(seen))
	}
	// Three overlapping slow invokes need three environments.
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			invoke(t, m, cfg, "par", map[string]any{"action": "sleep", "ms": 300})
		}()
	}
	wg.Wait()
	if started, _ := h.counts(); started < 3 {
		t.Fatalf("%d environments for 3 concurrent invokes", started)
	}
}

func TestDrainReplacesEnvironments(t *testing.T) {
	m, h := newManager(t, Options{})
	cfg := goConfig("upd")
	// Environment A is busy while the function is updated; B is idle.
	done := make(chan *Result)
	go func() {
		res, err := m.Invoke(context.Background(), cfg, "upd:r1", []byte(`{"action":"sleep","ms":500}`), InvokeOptions{})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	waitFor(t, 2*time.Second, "first environment", func() bool { s, _ := h.counts(); return s == 1 })
	invoke(t, m, cfg, "upd:r1", map[string]any{"action": "echo"})
	h.mu.Lock()
	idA, idB := h.started[0].ID, h.started[1].ID
	h.mu.Unlock()
	m.Drain("upd:r1")
	waitFor(t, 2*time.Second, "idle environment stopped", func() bool { return h.isStopped(idB) })
	if h.isStopped(idA) {
		t.Fatal("busy environment stopped before its invocation finished")
	}
	res := <-done
	if res == nil || res.FunctionError != "" {
		t.Fatalf("in-flight invocation: %+v", res)
	}
	waitFor(t, 2*time.Second, "drained environment stopped", func() bool { return h.isStopped(idA) })
	cfg2 := goConfig("upd")
	cfg2.Env = map[string]string{"REV": "2"}
	res = invoke(t, m, cfg2, "upd:r2", map[string]any{"action": "env", "names": []string{"REV"}})
	if !res.ColdStart || decode[map[string]any](t, res)["REV"] != "2" {
		t.Fatalf("after drain: cold=%v %s", res.ColdStart, res.Payload)
	}
}

func TestIdleReaping(t *testing.T) {
	m, h := newManager(t, Options{IdleTimeout: 200 * time.Millisecond})
	cfg := goConfig("idle")
	invoke(t, m, cfg, "idle", map[string]any{"action": "echo"})
	waitFor(t, 3*time.Second, "idle environment reaped", func() bool { _, s := h.counts(); return s == 1 })
	if res := invoke(t, m, cfg, "idle", map[string]any{}); !res.ColdStart {
		t.Fatal("warm start after reaping")
	}
}

func TestCredentialExpiryRecycles(t *testing.T) {
	// Credentials live 70s; timeout 3s plus the 1m margin leaves 6s of use.
	hk := &hooks{expiry: 70 * time.Second}
	m, _ := newManager(t, Options{Hooks: hk})
	cfg := goConfig("creds")
	invoke(t, m, cfg, "creds", map[string]any{})
	if res := invoke(t, m, cfg, "creds", map[string]any{}); res.ColdStart {
		t.Fatal("fresh credentials recycled")
	}
	cfg.Timeout = 15 * time.Second // now 15s + 1m > 70s
	hk.expiry = 70 * time.Second
	invoke(t, m, cfg, "creds2", map[string]any{})
	if res := invoke(t, m, cfg, "creds2", map[string]any{}); !res.ColdStart {
		t.Fatal("environment with expiring credentials reused")
	}
	waitFor(t, 2*time.Second, "expiring environments stopped", func() bool { _, s := hk.counts(); return s >= 1 })
}

func TestHookError(t *testing.T) {
	hk := &hooks{err: errors.New("role cannot be assumed")}
	m, _ := newManager(t, Options{Hooks: hk})
	_, err := m.Invoke(context.Background(), goConfig("nohook"), "nohook", []byte(`{}`), InvokeOptions{})
	if err == nil || !errors.Is(err, hk.err) {
		t.Fatalf("err %v", err)
	}
}

func TestCloseKillsRunning(t *testing.T) {
	m, h := newManager(t, Options{})
	errc := make(chan error, 1)
	go func() {
		_, err := m.Invoke(context.Background(), goConfig("long"), "long", []byte(`{"action":"sleep","ms":30000}`), InvokeOptions{})
		errc <- err
	}()
	waitFor(t, 2*time.Second, "environment", func() bool { s, _ := h.counts(); return s == 1 })
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("in-flight invoke: %v", err)
	}
	if time.Since(t0) > 3*time.Second {
		t.Fatalf("Close took %v", time.Since(t0))
	}
	if _, s := h.counts(); s != 1 {
		t.Fatal("Stop not called")
	}
	if _, err := m.Invoke(context.Background(), goConfig("long"), "long", nil, InvokeOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestRuntimeAPIRefusesOtherUsers(t *testing.T) {
	m, _ := newManager(t, Options{})
	if m.uids.count == 0 || m.uids.shared {
		t.Skip("environments do not have uids of their own: " + m.Isolation().Detail)
	}
	cfg := goConfig("guarded")
	res := invoke(t, m, cfg, "guarded", map[string]any{"action": "env", "names": []string{"AWS_LAMBDA_RUNTIME_API"}})
	addr := decode[map[string]any](t, res)["AWS_LAMBDA_RUNTIME_API"].(string)
	// The environment is idle, its runtime waiting in /next; a process of
	// another user must not be served an event.
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/2018-06-01/runtime/invocation/next")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("another user reached the Runtime API: %s", resp.Status)
	}
	if res := invoke(t, m, cfg, "guarded", map[string]any{"action": "echo"}); res.ColdStart || res.FunctionError != "" {
		t.Fatalf("environment disturbed: %+v", res)
	}
}
