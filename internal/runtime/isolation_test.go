package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/cgroup"
)

// scriptHandler runs the Python statements of the event's "code" with
// event bound, and returns what they leave in result: the tests below are
// what a hostile function would do.
const scriptHandler = `import os

def handler(event, context):
    g = {"event": event, "os": os}
    exec(event["code"], g)
    return g.get("result")
`

// scriptConfig is a Python function whose handler runs the event's code.
func scriptConfig(t *testing.T, name string) *Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "script.py"), []byte(scriptHandler), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := interpConfig(t, hostRuntime(t, "python3"), "script.handler", dir)
	cfg.FunctionName = name
	cfg.FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:" + name
	return cfg
}

// runScript invokes cfg with code and returns the result.
func runScript(t *testing.T, m *Manager, cfg *Config, key, code string) *Result {
	t.Helper()
	return invoke(t, m, cfg, key, map[string]any{"code": code})
}

// needCgroups skips t unless m gives environments cgroups.
func needCgroups(t *testing.T, m *Manager) {
	t.Helper()
	if m.cg == nil {
		t.Skipf("no cgroups: %s", m.Isolation().Detail)
	}
}

func wantOOM(t *testing.T, res *Result) {
	t.Helper()
	want := fmt.Sprintf(`{"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: %s Error: Runtime exited with error: signal: killed"}`, res.RequestID)
	if string(res.Payload) != want {
		t.Fatalf("payload %s, want %s\n%s", res.Payload, want, res.Log)
	}
}

// TestSharedMemoryCountsAsMemory: pages written to /dev/shm are the
// function's memory; the file does not outlive the environment.
func TestSharedMemoryCountsAsMemory(t *testing.T) {
	cfg := scriptConfig(t, "shm")
	m, h := newManager(t, Options{})
	needCgroups(t, m)
	res := runScript(t, m, cfg, "shm", `
p = "/dev/shm/rolecall-test-%d" % os.getuid()
with open(p, "wb") as f:
    for i in range(200):
        f.write(b"x" * (1 << 20))
result = p`)
	wantOOM(t, res)
	waitFor(t, 5*time.Second, "the environment to stop", func() bool { _, s := h.counts(); return s == 1 })
	left, _ := filepath.Glob("/dev/shm/rolecall-test-*")
	for _, p := range left {
		t.Errorf("%s outlived its environment", p)
	}
}

// TestShortLivedChildrenCountAsMemory: children that each allocate and
// exit between two looks add up in the kernel's count.
func TestShortLivedChildrenCountAsMemory(t *testing.T) {
	cfg := scriptConfig(t, "forks")
	m, _ := newManager(t, Options{MemoryPoll: time.Hour})
	needCgroups(t, m)
	res := runScript(t, m, cfg, "forks", `
import subprocess, sys
procs = [subprocess.Popen([sys.executable, "-c", "b = bytearray(60 << 20); import time; time.sleep(0.3)"]) for _ in range(4)]
result = [p.wait() for p in procs]`)
	wantOOM(t, res)
	if res.MaxMemoryMB < 120 || res.MaxMemoryMB > 128 {
		t.Errorf("max memory %d MB in a 128 MB function", res.MaxMemoryMB)
	}
}

// TestThreadLimit: 3,000 threads in a 128 MB function stop at Lambda's
// limit of 1,024 processes and threads.
func TestThreadLimit(t *testing.T) {
	cfg := scriptConfig(t, "threads")
	m, _ := newManager(t, Options{})
	needCgroups(t, m)
	res := runScript(t, m, cfg, "threads", `
import threading
threading.stack_size(64 * 1024)
stop = threading.Event()
n, err = 0, None
try:
    for _ in range(3000):
        threading.Thread(target=stop.wait, daemon=True).start()
        n += 1
except Exception as e:
    err = str(e)
stop.set()
result = {"n": n, "err": err}`)
	var out struct {
		N   int
		Err string
	}
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("payload %s: %v\n%s", res.Payload, err, res.Log)
	}
	if out.N >= maxProcs || out.N < 100 || !strings.Contains(out.Err, "can't start new thread") {
		t.Fatalf("started %d threads of 3000, error %q", out.N, out.Err)
	}
}

// TestFrozenBetweenInvocations: a loop left running after the response
// uses no CPU while the environment waits for its next event, and runs
// again during the next one.
func TestFrozenBetweenInvocations(t *testing.T) {
	cfg := scriptConfig(t, "spin")
	m, _ := newManager(t, Options{})
	needCgroups(t, m)
	spin := `
import threading
def spin():
    while True:
        pass
threading.Thread(target=spin, daemon=True).start()
result = "spinning"`
	if res := runScript(t, m, cfg, "spin", spin); string(res.Payload) != `"spinning"` {
		t.Fatalf("payload %s\n%s", res.Payload, res.Log)
	}
	e := m.idleEnv("spin")
	waitFor(t, 2*time.Second, "the freezer", func() bool { s, _ := e.cg.State(); return s == "FROZEN" })
	u0, err := e.cg.CPUUsage()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if u1, _ := e.cg.CPUUsage(); u1 != u0 {
		t.Errorf("idle environment used %v of CPU in 300ms", u1-u0)
	}
	// Thawed for the next event: the loop runs during it.
	res := runScript(t, m, cfg, "spin", "import time\ntime.sleep(0.2)\nresult = 'slept'")
	if string(res.Payload) != `"slept"` {
		t.Fatalf("payload %s\n%s", res.Payload, res.Log)
	}
	if u2, _ := e.cg.CPUUsage(); u2-u0 < 50*time.Millisecond {
		t.Errorf("the loop used %v during a 200ms invocation", u2-u0)
	}
}

// TestUIDsLeastRecentlyUsed: a uid freed last is handed out last, never
// in sequence, and one not returned is never handed out again.
func TestUIDsLeastRecentlyUsed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("uids are dropped only as root")
	}
	base := 1<<22 + os.Getpid()%1024*64
	p, iso := newUIDPool(base, 8)
	if !iso.Dropped || p.shared {
		t.Skipf("uid range not mapped: %s", iso.Detail)
	}
	defer func() { _ = p.close() }()
	var got []int
	for range 8 {
		u, err := p.get()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u)
	}
	if _, err := p.get(); err == nil {
		t.Fatal("a ninth uid out of eight")
	}
	sequential := true
	for i := 1; i < len(got); i++ {
		sequential = sequential && got[i] == got[i-1]+1
	}
	if sequential {
		t.Errorf("uids handed out in sequence: %v", got)
	}
	// got[0] stays in use (its environment is not gone); the others come
	// back in this order and are handed out in the same order.
	for _, u := range got[1:] {
		p.put(u)
	}
	for _, want := range got[1:] {
		if u, _ := p.get(); u != want {
			t.Fatalf("got uid %d, want %d (least recently used)", u, want)
		}
	}
	if _, err := p.get(); err == nil {
		t.Fatal("a uid still in use was handed out")
	}
	// Another pool (another rolecall process) never shares these uids.
	q, _ := newUIDPool(base, 8)
	defer func() { _ = q.close() }()
	if u, err := q.get(); err == nil {
		t.Fatalf("a second pool got uid %d of a held block", u)
	}
}

// TestSetuidFileGoneForNextHolder: a setuid copy of a program made by
// one environment is not there for the next environment of its uid.
func TestSetuidFileGoneForNextHolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("uids are dropped only as root")
	}
	base := 1<<22 + 1<<16 + os.Getpid()%1024*64
	m, _ := newManager(t, Options{UIDBase: base, UIDCount: 1})
	if !m.isolation.Dropped || m.uids.shared {
		t.Skipf("uid range not mapped: %s", m.isolation.Detail)
	}
	a := scriptConfig(t, "attacker")
	res := runScript(t, m, a, "attacker", `
import shutil, sys
paths = []
for d in ("/tmp", "/dev/shm", os.environ.get("TMPDIR", "/tmp")):
    p = os.path.join(d, "rolecall-setuid-%d" % os.getuid())
    shutil.copy(sys.executable, p)
    os.chmod(p, 0o6755)
    paths.append(p)
result = {"uid": os.getuid(), "paths": paths}`)
	var made struct {
		UID   int
		Paths []string
	}
	if err := json.Unmarshal(res.Payload, &made); err != nil || made.UID != base {
		t.Fatalf("payload %s\n%s", res.Payload, res.Log)
	}
	m.Drain("attacker")
	waitFor(t, 5*time.Second, "the uid to come back", func() bool {
		m.uids.mu.Lock()
		defer m.uids.mu.Unlock()
		return len(m.uids.free) == 1
	})
	v := scriptConfig(t, "victim")
	code := "result = [p for p in event['paths'] if os.path.exists(p)] + [os.getuid()]"
	res = invoke(t, m, v, "victim", map[string]any{"code": code, "paths": made.Paths})
	if string(res.Payload) != fmt.Sprintf("[%d]", base) {
		t.Fatalf("the next holder of uid %d found %s (made %v)\n%s", base, res.Payload, made.Paths, res.Log)
	}
	for _, p := range made.Paths {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is left on the host", p)
		}
	}
}

// idleEnv returns an idle environment of key.
func (m *Manager) idleEnv(key string) *env {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.pools[key]; p != nil && len(p.idle) > 0 {
		return p.idle[len(p.idle)-1]
	}
	return nil
}

// sandboxed reports whether this host runs environments in sandboxes.
func sandboxed() bool {
	sandboxOnce.Do(func() {
		m, err := New(Options{})
		if err != nil {
			return
		}
		sandboxYes = m.sb != nil
		_ = m.Close(context.Background())
	})
	return sandboxYes
}

var (
	sandboxOnce sync.Once
	sandboxYes  bool
)

// TestEphemeralStorageBound: /tmp holds EphemeralStorage and no more,
// on a disk of its own: writing past it fails with ENOSPC, not memory.
func TestEphemeralStorageBound(t *testing.T) {
	if !sandboxed() {
		t.Skip("no sandbox on this host: /tmp is the host's")
	}
	cfg := scriptConfig(t, "disk")
	cfg.EphemeralStorageMB = 512
	m, _ := newManager(t, Options{})
	for _, dir := range []string{"/tmp", "$TMPDIR"} {
		res := runScript(t, m, cfg, "disk", `
import errno
d = os.path.expandvars("`+dir+`")
n, err = 0, None
try:
    with open(os.path.join(d, "fill"), "wb") as f:
        for _ in range(1024):
            f.write(b"x" * (1 << 20))
            n += 1
        f.flush()
        os.fsync(f.fileno())
except OSError as e:
    err = errno.errorcode.get(e.errno)
os.remove(os.path.join(d, "fill"))
result = {"mb": n, "err": err}`)
		var out struct {
			MB  int
			Err string
		}
		if err := json.Unmarshal(res.Payload, &out); err != nil {
			t.Fatalf("%s: payload %s: %v\n%s", dir, res.Payload, err, res.Log)
		}
		if out.Err != "ENOSPC" || out.MB > 512 || out.MB < 400 {
			t.Errorf("%s: wrote %d MB of 1024 with 512 MB of ephemeral storage, error %q", dir, out.MB, out.Err)
		}
	}
}

// TestOtherFunctionsUnreachable: a function cannot read another's code
// (neither by the host path of its copy nor through /proc) nor its
// environment, and nothing in a process's command line names a host path.
func TestOtherFunctionsUnreachable(t *testing.T) {
	if !sandboxed() {
		t.Skip("no sandbox on this host")
	}
	m, _ := newManager(t, Options{})
	victim := scriptConfig(t, "victim")
	res := runScript(t, m, victim, "victim", `result = os.environ["LAMBDA_TASK_ROOT"]`)
	if string(res.Payload) != `"/var/task"` {
		t.Fatalf("LAMBDA_TASK_ROOT %s", res.Payload)
	}
	v := m.idleEnv("victim")
	hostCode := v.code
	if st, err := os.Stat(m.stage.root); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("staged code under %s: %v, %v", m.stage.root, st.Mode(), err)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", v.pgid))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cmdline), m.workDir) || strings.Contains(string(cmdline), hostCode) {
		t.Errorf("command line names a host path: %q", cmdline)
	}
	attacker := scriptConfig(t, "attacker")
	res = invoke(t, m, attacker, "attacker", map[string]any{"paths": []string{
		filepath.Join(hostCode, "script.py"), victim.CodeDir, m.workDir,
		fmt.Sprintf("/proc/%d/environ", v.pgid),
	}, "code": `
import glob
seen = {}
for p in event["paths"]:
    try:
        seen[p] = "read: " + str(len(open(p, "rb").read()) if os.path.isfile(p) else os.listdir(p))
    except OSError as e:
        seen[p] = "refused"
me = str(os.getpid())
for p in glob.glob("/proc/[0-9]*/environ"):
    if p.split("/")[2] != me:
        try:
            if b"victim" in open(p, "rb").read():
                seen[p] = "read the victim's environment"
        except OSError:
            pass
result = seen`})
	got := decode[map[string]string](t, res)
	for p, what := range got {
		if what != "refused" {
			t.Errorf("%s: %s", p, what)
		}
	}
}

// serverHelperVar makes the test binary a server (a Manager) that starts
// one environment whose function leaves a detached child, prints what it
// made, and waits to be killed.
const serverHelperVar = "ROLECALL_RUNTIME_TEST_SERVER"

// serverReport is what the server helper prints.
type serverReport struct {
	WorkDir, Cgroup string
	Pids            []int // host pids of the environment's processes
}

func serverHelper(codeDir string) int {
	m, err := New(Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rt := os.Getenv(serverHelperVar + "_RUNTIME")
	cfg := &Config{FunctionName: "detach", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:detach",
		Version: "$LATEST", Runtime: rt, Handler: "script.handler", CodeDir: codeDir, Timeout: 10 * time.Second,
		MemoryMB: 128, Region: "us-east-1", AccountID: "123456789012"}
	code := `
import subprocess
subprocess.Popen(["/bin/sh", "-c", "sleep 600 & sleep 600"], start_new_session=True)
result = "detached"`
	b, _ := json.Marshal(map[string]string{"code": code})
	res, err := m.Invoke(context.Background(), cfg, "detach", b, InvokeOptions{})
	if err != nil || string(res.Payload) != `"detached"` {
		fmt.Fprintln(os.Stderr, err, res)
		return 1
	}
	e := m.idleEnv("detach")
	time.Sleep(100 * time.Millisecond) // the shell starts its sleeps
	pids, err := e.cg.Procs()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out, _ := json.Marshal(serverReport{WorkDir: m.workDir, Cgroup: m.cg.Name(), Pids: pids})
	fmt.Println(string(out))
	time.Sleep(time.Hour)
	return 0
}

// TestServerKilled: after kill -9 of the server, no process of its
// environments survives, and the next start removes its work directory
// and cgroups.
func TestServerKilled(t *testing.T) {
	if !sandboxed() {
		t.Skip("no sandbox on this host")
	}
	cfg := scriptConfig(t, "detach")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverHelperVar+"="+cfg.CodeDir, serverHelperVar+"_RUNTIME="+cfg.Runtime)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var rep serverReport
	if err := json.NewDecoder(out).Decode(&rep); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("server helper: %v", err)
	}
	if len(rep.Pids) < 3 {
		t.Errorf("environment processes %v: want the runtime, a shell and its sleeps", rep.Pids)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	defer func() {
		if !t.Failed() {
			return
		}
		for _, pid := range rep.Pids {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if len(b) > 0 {
				t.Logf("pid %d %q\n%s", pid, c, b[:min(len(b), 400)])
			}
		}
	}()
	waitFor(t, 5*time.Second, "every environment process to die", func() bool {
		for _, pid := range rep.Pids {
			if syscall.Kill(pid, 0) == nil {
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
				if !strings.Contains(string(b), ") Z ") {
					return false
				}
			}
		}
		return true
	})
	// The next start cleans up.
	newManager(t, Options{})
	if _, err := os.Stat(rep.WorkDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work directory %s left: %v", rep.WorkDir, err)
	}
	for _, ctrl := range []string{"memory", "pids", "freezer", "cpuacct", ""} {
		dir := filepath.Join(cgroup.Root, ctrl, "rolecall", rep.Cgroup)
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s left: %v", dir, err)
		}
	}
}

// TestUIDLeftoversKilled: what still runs as a uid whose last holder
// died is killed before the uid serves again.
func TestUIDLeftoversKilled(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("uids are dropped only as root")
	}
	base := 1<<22 + 1<<17 + os.Getpid()%1024*64
	if !uidMapped(base, 1) {
		t.Skip("uid range not mapped")
	}
	left := exec.Command("/bin/sleep", "600")
	left.SysProcAttr = &syscall.SysProcAttr{Setsid: true,
		Credential: &syscall.Credential{Uid: uint32(base), Gid: uint32(base), Groups: []uint32{}}}
	if err := left.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = left.Wait(); close(exited) }()
	t.Cleanup(func() { _ = left.Process.Kill(); <-exited })
	p, _ := newUIDPool(base, 1)
	defer func() { _ = p.close() }()
	if u, err := p.get(); err != nil || u != base {
		t.Fatalf("uid %d, %v", u, err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("a process of the uid's last holder still runs")
	}
}

// TestRemoveUIDFiles: without a sandbox, what a uid left in the host's
// shared temporary directories goes before the uid serves again, also in
// directories writable by all; nothing of other users is touched.
func TestRemoveUIDFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to own files as other uids")
	}
	uid := 1<<22 + 1<<18 + os.Getpid()%1024
	shared, err := os.MkdirTemp("/tmp", "rolecall-test-shared-")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(shared) }()
	if err := os.Chmod(shared, 0o1777); err != nil {
		t.Fatal(err)
	}
	mine := []string{fmt.Sprintf("/tmp/rolecall-test-left-%d", uid), filepath.Join(shared, "left"),
		fmt.Sprintf("/dev/shm/rolecall-test-left-%d", uid)}
	other := filepath.Join(shared, "other")
	for _, p := range append(mine, other) {
		if err := os.WriteFile(p, []byte("x"), 0o6755); err != nil {
			t.Fatal(err)
		}
		owner := uid
		if p == other {
			owner = uid + 1
		}
		if err := os.Chown(p, owner, owner); err != nil {
			t.Fatal(err)
		}
	}
	removeUIDFiles(map[int]bool{uid: true})
	for _, p := range mine {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", p, err)
			_ = os.Remove(p)
		}
	}
	if _, err := os.Lstat(other); err != nil {
		t.Errorf("another uid's file removed: %v", err)
	}
}

// TestRuntimeAPIConnectionsBounded: a function that opens connection after
// connection to its own Runtime API (each a descriptor of the server's)
// gets at most maxRuntimeAPIConns served at once, so that it cannot use
// up the server's open files and fail every other function's requests.
func TestRuntimeAPIConnectionsBounded(t *testing.T) {
	m, _ := newManager(t, Options{})
	cfg := scriptConfig(t, "hoarder")
	res := runScript(t, m, cfg, "hoarder", `
import socket
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
held, served = [], 0
for i in range(300):
    try:
        s = socket.create_connection((host, int(port)), timeout=5)
    except OSError:
        continue
    held.append(s)
    try:
        s.sendall(b"GET /2018-06-01/runtime/none HTTP/1.1\r\nHost: a\r\n\r\n")
        if s.recv(64).startswith(b"HTTP/1.1 404"):
            served += 1
    except OSError:
        pass
for s in held:
    s.close()
result = served`)
	var served int
	if err := json.Unmarshal(res.Payload, &served); err != nil {
		t.Fatalf("payload %s: %v\n%s", res.Payload, err, res.Log)
	}
	// The runtime's own connection holds one of the slots.
	if served == 0 || served > maxRuntimeAPIConns {
		t.Fatalf("%d connections served at once, want 1 to %d", served, maxRuntimeAPIConns)
	}
	// The environment still works once it lets them go.
	res = runScript(t, m, cfg, "hoarder", `result = 1`)
	if string(res.Payload) != "1" {
		t.Fatalf("after: %s\n%s", res.Payload, res.Log)
	}
}

// stallBootstrap is a custom runtime that answers its first event and then
// spins without ever asking for the next one.
const stallBootstrap = `#!/bin/sh
exec python3 -c '
import http.client, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
c = http.client.HTTPConnection(host, int(port))
c.request("GET", "/2018-06-01/runtime/invocation/next")
r = c.getresponse()
rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
r.read()
c.request("POST", "/2018-06-01/runtime/invocation/" + rid + "/response", body=b"\"answered\"")
c.getresponse().read()
while True:
    pass
'
`

// TestRuntimeThatNeverAsksAgainIsKilled: a runtime that keeps running
// after its response without asking for its next event is never frozen;
// as in Lambda, whose invoke phase lasts until the runtime asks, it is
// killed at the invocation's deadline instead of running on until the
// environment is reclaimed.
func TestRuntimeThatNeverAsksAgainIsKilled(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(stallBootstrap), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := goConfig("stall")
	cfg.CodeDir = dir
	cfg.Timeout = time.Second
	m, _ := newManager(t, Options{IdleTimeout: time.Hour})
	res := invoke(t, m, cfg, "stall", map[string]any{})
	if string(res.Payload) != `"answered"` || res.FunctionError != "" {
		t.Fatalf("payload %s (%s)\n%s", res.Payload, res.FunctionError, res.Log)
	}
	e := m.idleEnv("stall")
	if e == nil {
		t.Fatal("no idle environment after the invocation")
	}
	waitFor(t, cfg.Timeout+nextGrace+5*time.Second, "the stalled runtime to be killed", func() bool { return !e.alive() })
	// The next invocation gets a working environment.
	res = invoke(t, m, cfg, "stall", map[string]any{})
	if string(res.Payload) != `"answered"` || !res.ColdStart {
		t.Fatalf("after: %s cold %v\n%s", res.Payload, res.ColdStart, res.Log)
	}
}

// TestEtcTellsNothingOfTheHost: the environment's users, their backups and
// the host name are the sandbox's own, and PATH names each directory once.
func TestEtcTellsNothingOfTheHost(t *testing.T) {
	if !sandboxed() {
		t.Skip("no sandbox on this host")
	}
	m, _ := newManager(t, Options{})
	cfg := scriptConfig(t, "etc")
	res := runScript(t, m, cfg, "etc", `
seen = {"PATH": os.environ["PATH"]}
for p in ["/etc/passwd", "/etc/passwd-", "/etc/group", "/etc/group-", "/etc/hostname"]:
    try:
        seen[p] = open(p).read()
    except OSError:
        seen[p] = ""
result = seen`)
	got := decode[map[string]string](t, res)
	for _, p := range []string{"/etc/passwd", "/etc/passwd-", "/etc/group", "/etc/group-"} {
		for line := range strings.Lines(got[p]) {
			if name, _, _ := strings.Cut(line, ":"); name != "root" && name != "sbx_user1051" {
				t.Errorf("%s names %q", p, name)
			}
		}
	}
	if h := strings.TrimSpace(got["/etc/hostname"]); h != "" && h != "localhost" {
		t.Errorf("/etc/hostname %q", h)
	}
	seen := map[string]bool{}
	for _, d := range strings.Split(got["PATH"], ":") {
		if seen[d] {
			t.Errorf("PATH %q names %s twice", got["PATH"], d)
		}
		seen[d] = true
	}
}
