package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/sandbox"
)

// goCodeDir holds the Go example built as "bootstrap".
var goCodeDir string

func TestMain(m *testing.M) {
	sandbox.Init()
	if dir := os.Getenv(serverHelperVar); dir != "" {
		os.Exit(serverHelper(dir))
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "rolecall-runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	goCodeDir = filepath.Join(dir, "go")
	cmd := exec.Command("go", "build", "-o", filepath.Join(goCodeDir, "bootstrap"), "../../examples/functions/go")
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the Go example: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// hooks records Start and Stop and hands out fixed credentials.
type hooks struct {
	mu      sync.Mutex
	started []EnvInfo
	stopped []EnvInfo
	expiry  time.Duration // credentials lifetime; zero: no expiry
	err     error
}

func (h *hooks) Start(ctx context.Context, env EnvInfo) (Credentials, string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return Credentials{}, "", h.err
	}
	h.started = append(h.started, env)
	c := Credentials{
		AccessKeyID:     "ASIATESTKEY" + env.ID[:8],
		SecretAccessKey: "secret-" + env.ID,
		SessionToken:    "token-" + env.ID,
	}
	if h.expiry > 0 {
		c.Expiration = time.Now().Add(h.expiry)
	}
	return c, "http://127.0.0.1:1/bound/" + env.ID, nil
}

func (h *hooks) Stop(env EnvInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = append(h.stopped, env)
}

func (h *hooks) counts() (started, stopped int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.started), len(h.stopped)
}

func (h *hooks) isStopped(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.stopped {
		if e.ID == id {
			return true
		}
	}
	return false
}

func newManager(t testing.TB, opts Options) (*Manager, *hooks) {
	t.Helper()
	if opts.Hooks == nil {
		opts.Hooks = &hooks{}
	}
	h, _ := opts.Hooks.(*hooks)
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A guard, not a measure: ending an environment of a thousand
		// threads takes seconds on a loaded machine.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m, h
}

func goConfig(name string) *Config {
	return &Config{
		FunctionName: name,
		FunctionARN:  "arn:aws:lambda:us-east-1:123456789012:function:" + name,
		Version:      "$LATEST",
		Runtime:      "provided.al2023",
		Handler:      "bootstrap",
		CodeDir:      goCodeDir,
		Timeout:      3 * time.Second,
		MemoryMB:     128,
		Region:       "us-east-1",
		AccountID:    "123456789012",
	}
}

func invoke(t testing.TB, m *Manager, cfg *Config, key string, event any) *Result {
	t.Helper()
	b, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Invoke(context.Background(), cfg, key, b, InvokeOptions{})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return res
}

func decode[T any](t testing.TB, res *Result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(res.Payload, &v); err != nil {
		t.Fatalf("payload %q: %v\nlog:\n%s", res.Payload, err, res.Log)
	}
	return v
}

// waitFor polls cond for up to d.
// waitFloor is the least a waitFor waits before it fails.
const waitFloor = 20 * time.Second

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	// d is how long the wait would take on an idle machine; a loaded one
	// (the race detector, CI running the CLI scenarios beside) is given at
	// least waitFloor. A wait that succeeds returns at once all the same.
	deadline := time.Now().Add(max(d, waitFloor))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type sinkEvent struct {
	group, stream string
	LogEvent
}

// syncEvents collects what a LogSink receives.
type syncEvents struct {
	mu  sync.Mutex
	evs []sinkEvent
}

func (s *syncEvents) sink(group, stream string, events []LogEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		s.evs = append(s.evs, sinkEvent{group, stream, e})
	}
}

func (s *syncEvents) get() []sinkEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkEvent(nil), s.evs...)
}
