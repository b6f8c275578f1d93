package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// processGone reports whether pid, as the function running as uid reported
// it, no longer runs (or is a reaped zombie). In a sandbox the function sees
// the pids of its own PID namespace: then no process of uid may have that
// pid in its namespace (other sandboxes, of other uids, have their own pid
// 2, 3, ...).
func processGone(uid, pid int) bool {
	if sandboxed() {
		gone := true
		dirs, _ := os.ReadDir("/proc")
		for _, d := range dirs {
			b, err := os.ReadFile("/proc/" + d.Name() + "/status")
			if err != nil {
				continue
			}
			var nsPid, realUID string
			for line := range strings.Lines(string(b)) {
				if f, ok := strings.CutPrefix(line, "NSpid:"); ok {
					if ids := strings.Fields(f); len(ids) > 1 {
						nsPid = ids[len(ids)-1]
					}
				}
				if f, ok := strings.CutPrefix(line, "Uid:"); ok {
					if ids := strings.Fields(f); len(ids) > 0 {
						realUID = ids[0]
					}
				}
			}
			if nsPid == strconv.Itoa(pid) && realUID == strconv.Itoa(uid) {
				gone = gone && strings.Contains(string(b), "State:\tZ")
			}
		}
		return gone
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && len(b) > i+2 && b[i+2] == 'Z'
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	m, h := newManager(t, Options{})
	cfg := goConfig("slow")
	cfg.Timeout = time.Second
	res := invoke(t, m, cfg, "slow", map[string]any{"action": "spawn", "ms": 10000})
	want := fmt.Sprintf(`{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: %s Error: Task timed out after 1.00 seconds"}`, res.RequestID)
	if string(res.Payload) != want || res.FunctionError != FunctionErrorUnhandled {
		t.Fatalf("payload %s, want %s", res.Payload, want)
	}
	if res.Duration < time.Second || res.Duration > 3*time.Second {
		t.Errorf("duration %v", res.Duration)
	}
	mm := regexp.MustCompile(`child (\d+)`).FindSubmatch(res.Log)
	if mm == nil {
		t.Fatalf("no child pid in log:\n%s", res.Log)
	}
	if !regexp.MustCompile(`(?m)^\S+Z ` + res.RequestID + ` Task timed out after 1.00 seconds$`).Match(res.Log) {
		t.Errorf("no timeout line in log:\n%s", res.Log)
	}
	child, _ := strconv.Atoi(string(mm[1]))
	waitFor(t, 3*time.Second, "the spawned child to die", func() bool { return processGone(h.started[0].UID, child) })
	waitFor(t, 3*time.Second, "Stop", func() bool { _, s := h.counts(); return s == 1 })
	// The next invocation gets a new environment.
	res = invoke(t, m, cfg, "slow", map[string]any{"action": "echo"})
	if !res.ColdStart || res.FunctionError != "" {
		t.Fatalf("after timeout: %+v", res)
	}
}

func TestCrash(t *testing.T) {
	m, _ := newManager(t, Options{})
	cfg := goConfig("crash")
	res := invoke(t, m, cfg, "crash", map[string]any{"action": "crash"})
	want := fmt.Sprintf(`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: %s Error: Runtime exited with error: exit status 1"}`, res.RequestID)
	if string(res.Payload) != want || res.FunctionError != FunctionErrorUnhandled {
		t.Fatalf("payload %s", res.Payload)
	}
	if !strings.Contains(string(res.Log), "crashing\n") || !strings.Contains(string(res.Log), "\nRuntime.ExitError\n") {
		t.Errorf("log:\n%s", res.Log)
	}
	checkLog(t, res, true)
	res = invoke(t, m, cfg, "crash", map[string]any{"action": "echo"})
	if !res.ColdStart || res.FunctionError != "" {
		t.Fatalf("after crash: %+v", res)
	}
}

func TestMissingBootstrap(t *testing.T) {
	m, _ := newManager(t, Options{})
	cfg := goConfig("nocode")
	cfg.CodeDir = t.TempDir()
	res := invoke(t, m, cfg, "nocode", map[string]any{})
	if res.FunctionError != FunctionErrorUnhandled || !strings.Contains(string(res.Payload), `"errorType":"Runtime.InvalidEntrypoint"`) {
		t.Fatalf("payload %s", res.Payload)
	}
}

func TestOutOfMemory(t *testing.T) {
	m, _ := newManager(t, Options{MemoryPoll: 10 * time.Millisecond})
	cfg := goConfig("hungry")
	cfg.MemoryMB = 128
	res := invoke(t, m, cfg, "hungry", map[string]any{"action": "alloc", "mb": 300, "ms": 2000})
	want := fmt.Sprintf(`{"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: %s Error: Runtime exited with error: signal: killed"}`, res.RequestID)
	if string(res.Payload) != want {
		t.Fatalf("payload %s\n%s", res.Payload, res.Log)
	}
	if res.MaxMemoryMB < 128 {
		t.Errorf("max memory %d MB", res.MaxMemoryMB)
	}
	// A modest allocation passes and is reported.
	res = invoke(t, m, cfg, "hungry", map[string]any{"action": "alloc", "mb": 40, "ms": 100})
	if res.FunctionError != "" || res.MaxMemoryMB < 40 || res.MaxMemoryMB > 128 {
		t.Fatalf("%s max memory %d MB", res.Payload, res.MaxMemoryMB)
	}
}

func TestPayloadLimits(t *testing.T) {
	m, _ := newManager(t, Options{})
	cfg := goConfig("big")
	_, err := m.Invoke(context.Background(), cfg, "big", make([]byte, MaxRequestPayload+1), InvokeOptions{})
	if !errors.Is(err, ErrRequestTooLarge) {
		t.Fatalf("large request: %v", err)
	}
	res := invoke(t, m, cfg, "big", map[string]any{"action": "big", "bytes": 7 << 20})
	want := `{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes)."}`
	if string(res.Payload) != want || res.FunctionError != FunctionErrorUnhandled {
		t.Fatalf("payload %.200s", res.Payload)
	}
	res = invoke(t, m, cfg, "big", map[string]any{"action": "big", "bytes": 6<<20 - 100})
	if res.FunctionError != "" || len(res.Payload) != 6<<20-98 {
		t.Fatalf("near-limit response: %d bytes, %s", len(res.Payload), res.FunctionError)
	}
}

func TestConcurrencyLimits(t *testing.T) {
	m, _ := newManager(t, Options{AccountConcurrency: 3})
	m.SetReservedConcurrency(goConfig("reserved").FunctionARN, 1)
	slow := []byte(`{"action":"sleep","ms":700}`)
	var wg sync.WaitGroup
	start := func(cfg *Config) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Invoke(context.Background(), cfg, cfg.FunctionName, slow, InvokeOptions{}); err != nil {
				t.Error(err)
			}
		}()
	}
	inflight := func(fn string) func() bool {
		return func() bool { return m.local.running(goConfig(fn).FunctionARN) > 0 }
	}
	start(goConfig("reserved"))
	waitFor(t, 2*time.Second, "in-flight invoke", inflight("reserved"))
	_, err := m.Invoke(context.Background(), goConfig("reserved"), "reserved", []byte(`{}`), InvokeOptions{})
	var te *ThrottleError
	if !errors.As(err, &te) || te.Reason != ReasonReservedLimit || err.Error() != "Rate Exceeded." {
		t.Fatalf("reserved limit: %v", err)
	}
	// Unreserved functions share 3 - 1 = 2.
	start(goConfig("a"))
	start(goConfig("b"))
	waitFor(t, 2*time.Second, "in-flight invokes", func() bool { return inflight("a")() && inflight("b")() })
	_, err = m.Invoke(context.Background(), goConfig("c"), "c", []byte(`{}`), InvokeOptions{})
	if !errors.As(err, &te) || te.Reason != ReasonAccountLimit {
		t.Fatalf("account limit: %v", err)
	}
	wg.Wait()
	if _, err := m.Invoke(context.Background(), goConfig("c"), "c", []byte(`{}`), InvokeOptions{}); err != nil {
		t.Fatalf("after the others finished: %v", err)
	}
}

// inAccount is goConfig for the function name of account.
func inAccount(account, name string) *Config {
	cfg := goConfig(name)
	cfg.AccountID = account
	cfg.FunctionARN = "arn:aws:lambda:us-east-1:" + account + ":function:" + name
	return cfg
}

// TestConcurrencyPerAccount: reservations belong to a function ARN, so two
// accounts' functions of one name do not share one, and each account has
// its own limit.
func TestConcurrencyPerAccount(t *testing.T) {
	m, _ := newManager(t, Options{AccountConcurrency: 2})
	a, b := inAccount("111111111111", "hello"), inAccount("222222222222", "hello")
	m.SetReservedConcurrency(a.FunctionARN+":$LATEST", 1) // a qualified ARN reserves for the function
	slow := []byte(`{"action":"sleep","ms":700}`)
	var wg sync.WaitGroup
	start := func(cfg *Config, key string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Invoke(context.Background(), cfg, key, slow, InvokeOptions{}); err != nil {
				t.Error(err)
			}
		}()
	}
	running := func(cfg *Config, n int) func() bool {
		return func() bool { return m.local.running(cfg.FunctionARN) == n }
	}
	start(a, "a-hello")
	waitFor(t, 2*time.Second, "A's hello running", running(a, 1))
	var te *ThrottleError
	if _, err := m.Invoke(context.Background(), a, "a-hello", []byte(`{}`), InvokeOptions{}); !errors.As(err, &te) || te.Reason != ReasonReservedLimit {
		t.Fatalf("A's hello over its reservation: %v", err)
	}
	// B's hello has no reservation: it uses B's unreserved concurrency,
	// all of B's limit (A's reservation takes nothing from B).
	start(b, "b-hello")
	start(b, "b-hello")
	waitFor(t, 2*time.Second, "B's hellos running", running(b, 2))
	if _, err := m.Invoke(context.Background(), b, "b-hello", []byte(`{}`), InvokeOptions{}); !errors.As(err, &te) || te.Reason != ReasonAccountLimit {
		t.Fatalf("B over its account limit: %v", err)
	}
	// A's unreserved share is 2 - 1 = 1, untouched by B's invocations.
	start(inAccount("111111111111", "other"), "a-other")
	waitFor(t, 2*time.Second, "A's other running", running(inAccount("111111111111", "other"), 1))
	wg.Wait()

	m.SetReservedConcurrency(a.FunctionARN, -1)
	m.local.mu.Lock()
	sumA, sumB := m.local.accounts["111111111111"].reservedSum, m.local.accounts["222222222222"].reservedSum
	m.local.mu.Unlock()
	if sumA != 0 || sumB != 0 {
		t.Errorf("reserved after removal: A %d, B %d", sumA, sumB)
	}
}

func TestContextCancel(t *testing.T) {
	m, h := newManager(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := m.Invoke(ctx, goConfig("cancel"), "cancel", []byte(`{"action":"sleep","ms":5000}`), InvokeOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, result %+v", err, res)
	}
	waitFor(t, 3*time.Second, "Stop", func() bool { _, s := h.counts(); return s == 1 })
}

func TestNoZombies(t *testing.T) {
	m, h := newManager(t, Options{})
	for i := range 3 {
		invoke(t, m, goConfig("z"), fmt.Sprint("z", i), map[string]any{"action": "echo"})
	}
	h.mu.Lock()
	uids := []int{}
	for _, e := range h.started {
		uids = append(uids, e.UID)
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, s := h.counts(); s != 3 {
		t.Fatalf("stopped %d environments, want 3", s)
	}
	// No child of this process is left unreaped, and no process runs as
	// an environment's uid.
	scanProcs(func(p procInfo) {
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
		f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) && f[0] == "Z" {
			t.Errorf("zombie child %d", p.pid)
		}
		for _, u := range uids {
			if u >= 0 && p.uid == u {
				t.Errorf("process %d still runs as uid %d", p.pid, u)
			}
		}
	})
	var ws syscall.WaitStatus
	if pid, _ := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid > 0 {
		t.Errorf("unreaped child %d", pid)
	}
}
