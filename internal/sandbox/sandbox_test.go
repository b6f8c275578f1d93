package sandbox_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/sandbox"
)

var (
	probeDir string            // holds the probe, mounted at /var/task
	launcher *sandbox.Launcher // shared by the tests
	skipWhy  string            // why the tests cannot run here
	nextUID  atomic.Int32
)

func TestMain(m *testing.M) {
	sandbox.Init()
	if os.Getenv(launcherHelperEnv) != "" {
		runLauncherHelper()
		return
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	nextUID.Store(61000)
	if os.Geteuid() != 0 {
		skipWhy = "sandboxes need root"
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "rolecall-sandbox-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	probeDir = filepath.Join(dir, "task")
	if err := buildProbe(probeDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := sandbox.New(sandbox.Options{WorkDir: filepath.Join(dir, "work")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	launcher = l
	defer l.Close()
	return m.Run()
}

// buildProbe builds testdata/probe into dir, readable and executable by
// every uid.
func buildProbe(dir string) error {
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "probe"), "./testdata/probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the probe: %v\n%s", err, out)
	}
	return os.Chmod(dir, 0o755)
}

func needRoot(t testing.TB) {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
}

// probeSpec runs the probe with args as a fresh uid.
func probeSpec(args ...string) sandbox.Spec {
	uid := int(nextUID.Add(1))
	return sandbox.Spec{
		Path:     "/var/task/probe",
		Args:     args,
		Env:      []string{"PATH=/usr/bin:/bin"},
		Dir:      "/var/task",
		UID:      uid,
		GID:      uid,
		Hostname: "sandbox-test",
		Mounts:   []sandbox.Mount{{Source: probeDir, Target: "/var/task"}},
	}
}

// started is a running sandbox whose output the test reads.
type started struct {
	p   *sandbox.Process
	out *bufio.Reader
	r   *os.File
}

func start(t *testing.T, spec sandbox.Spec) *started {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	spec.Stdout, spec.Stderr = w, w
	p, err := launcher.Start(context.Background(), spec)
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("Start: %v", err)
	}
	s := &started{p: p, out: bufio.NewReader(r), r: r}
	t.Cleanup(func() {
		p.Kill()
		_ = p.Wait()
		r.Close()
	})
	return s
}

// line reads the next line of output.
func (s *started) line(t *testing.T) string {
	t.Helper()
	l, err := s.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading output: %v (read %q)", err, l)
	}
	return strings.TrimSuffix(l, "\n")
}

// runSpec runs spec to its end and returns its output (stdout and stderr).
func runSpec(t *testing.T, spec sandbox.Spec) string {
	t.Helper()
	s := start(t, spec)
	out, err := io.ReadAll(s.out)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.p.Wait(); err != nil {
		t.Fatalf("%s %v: %v\n%s", spec.Path, spec.Args, err, out)
	}
	return string(out)
}

// fields parses "key value..." lines into key -> rest.
func fields(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(l, " ")
		m[k] = v
	}
	return m
}

func TestProgramRunsUnprivileged(t *testing.T) {
	needRoot(t)
	spec := probeSpec()
	spec.Path, spec.Args = "/bin/cat", []string{"/proc/self/status"}
	out := runSpec(t, spec)
	status := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(l, ":")
		status[k] = strings.Join(strings.Fields(v), " ")
	}
	uid := strconv.Itoa(spec.UID)
	want := map[string]string{
		"Uid":        strings.Repeat(uid+" ", 3) + uid,
		"Gid":        strings.Repeat(uid+" ", 3) + uid,
		"Groups":     "",
		"CapInh":     "0000000000000000",
		"CapPrm":     "0000000000000000",
		"CapEff":     "0000000000000000",
		"CapBnd":     "0000000000000000",
		"CapAmb":     "0000000000000000",
		"NoNewPrivs": "1",
		"Seccomp":    "2",
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s: %q, want %q", k, status[k], v)
		}
	}
}

func TestOwnPIDNamespace(t *testing.T) {
	needRoot(t)
	got := fields(runSpec(t, probeSpec("procs")))
	if got["self"] != "1" || got["procs"] != "1" {
		t.Errorf("pid %s, /proc shows %q; want only pid 1", got["self"], got["procs"])
	}
}

func TestHostname(t *testing.T) {
	needRoot(t)
	spec := probeSpec()
	spec.Path, spec.Args, spec.Hostname = "/bin/hostname", nil, "fn-7f3a"
	if got := strings.TrimSpace(runSpec(t, spec)); got != "fn-7f3a" {
		t.Errorf("hostname %q, want fn-7f3a", got)
	}
	h, _ := os.Hostname()
	if h == "fn-7f3a" {
		t.Error("the host's name changed")
	}
}

func TestRlimits(t *testing.T) {
	needRoot(t)
	spec := probeSpec("rlimits")
	spec.NoFile = 200
	got := fields(runSpec(t, spec))
	for k, v := range map[string]string{"nofile": "200 200", "nproc": "1024 1024", "core": "0 0"} {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

func TestSyscallsRefused(t *testing.T) {
	needRoot(t)
	got := fields(runSpec(t, probeSpec("syscalls")))
	wantEach(t, got, "EPERM", "mount", "umount2", "unshare-mnt", "unshare-user", "unshare-net", "clone-newpid", "clone-newuser",
		"setns", "ptrace", "keyctl", "add_key", "bpf", "perf_event_open", "userfaultfd", "personality",
		"mknod", "chroot", "pivot_root", "name_to_handle_at", "sethostname", "init_module", "reboot")
	wantEach(t, got, "ok", "personality-query", "mkfifo", "exec-child")
}

func TestHostHidden(t *testing.T) {
	needRoot(t)
	state := t.TempDir() // stands for rolecall's data directory
	if err := os.WriteFile(filepath.Join(state, "rolecall.db"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o755); err != nil {
		t.Fatal(err)
	}
	got := fields(runSpec(t, probeSpec("stat", state, filepath.Join(state, "rolecall.db"), "/root", "/home", "/var/lib", "/sys", "/dev/vda", "/dev/loop-control", "/usr/bin/env", "/etc/hosts", "/dev/null")))
	wantEach(t, got, "ENOENT", state, filepath.Join(state, "rolecall.db"), "/root", "/home", "/var/lib", "/sys", "/dev/vda", "/dev/loop-control")
	wantEach(t, got, "ok", "/usr/bin/env", "/etc/hosts", "/dev/null")
}

func TestReadOnlyRoot(t *testing.T) {
	needRoot(t)
	rw := t.TempDir()
	if err := os.Chmod(rw, 0o777); err != nil {
		t.Fatal(err)
	}
	spec := probeSpec("touch", "/x", "/var/task/x", "/usr/x", "/etc/x", "/dev/x", "/proc/x", "/rw/x", "/tmp/x", "/dev/shm/x")
	spec.Mounts = append(spec.Mounts, sandbox.Mount{Source: rw, Target: "/rw", Writable: true})
	got := fields(runSpec(t, spec))
	wantEach(t, got, "EROFS", "/x", "/var/task/x", "/usr/x", "/etc/x", "/dev/x")
	wantEach(t, got, "ok", "/rw/x", "/tmp/x", "/dev/shm/x")
	if _, err := os.Stat(filepath.Join(rw, "x")); err != nil {
		t.Errorf("the writable mount's file: %v", err)
	}
}

func TestFiles(t *testing.T) {
	needRoot(t)
	spec := probeSpec()
	spec.Path, spec.Args = "/usr/bin/id", nil
	spec.Files = map[string][]byte{
		"/etc/passwd":      fmt.Appendf(nil, "root:x:0:0:root:/root:/bin/sh\nsbx_user1051:x:%d:%d::/tmp:/sbin/nologin\n", spec.UID, spec.GID),
		"/etc/group":       fmt.Appendf(nil, "root:x:0:\nsbx_user1051:x:%d:\n", spec.GID),
		"/var/runtime/cfg": []byte("made"),
	}
	out := runSpec(t, spec)
	want := fmt.Sprintf("uid=%d(sbx_user1051) gid=%d(sbx_user1051) groups=%d(sbx_user1051)", spec.UID, spec.GID, spec.GID)
	if strings.TrimSpace(out) != want {
		t.Errorf("id: %q, want %q", out, want)
	}
	spec2 := probeSpec("touch", "/etc/passwd", "/var/runtime/cfg")
	spec2.Files = spec.Files
	got := fields(runSpec(t, spec2))
	for _, p := range []string{"/etc/passwd", "/var/runtime/cfg"} {
		if got[p] != "EROFS" {
			t.Errorf("writing %s: %q, want EROFS", p, got[p])
		}
	}
	spec3 := probeSpec()
	spec3.Path, spec3.Args = "/bin/cat", []string{"/var/runtime/cfg"}
	spec3.Files = spec.Files
	if got := runSpec(t, spec3); got != "made" {
		t.Errorf("/var/runtime/cfg: %q", got)
	}
	spec4 := probeSpec("stat", "/.files")
	spec4.Files = spec.Files
	if got := fields(runSpec(t, spec4)); got["/.files"] != "ENOENT" {
		t.Errorf("the files' scratch directory: %q, want ENOENT", got["/.files"])
	}
}

func TestStartFailures(t *testing.T) {
	needRoot(t)
	for name, c := range map[string]struct {
		edit func(*sandbox.Spec)
		want string
	}{
		"missing program": {func(s *sandbox.Spec) { s.Path = "/var/task/nothing" }, "executing /var/task/nothing"},
		"not in PATH":     {func(s *sandbox.Spec) { s.Path = "nothing" }, "not in PATH"},
		"root":            {func(s *sandbox.Spec) { s.UID = 0 }, "never runs as root"},
		"missing mount": {func(s *sandbox.Spec) {
			s.Mounts = append(s.Mounts, sandbox.Mount{Source: "/nonexistent", Target: "/opt"})
		}, "/nonexistent"},
		"file in /etc":    {func(s *sandbox.Spec) { s.Files = map[string][]byte{"/etc/rolecall-none": nil} }, "/etc/rolecall-none"},
		"relative target": {func(s *sandbox.Spec) { s.Mounts = append(s.Mounts, sandbox.Mount{Source: "/usr", Target: "opt"}) }, "absolute"},
	} {
		t.Run(name, func(t *testing.T) {
			spec := probeSpec("whoami")
			c.edit(&spec)
			p, err := launcher.Start(context.Background(), spec)
			if err == nil {
				p.Kill()
				_ = p.Wait()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestEnterSeesInitBeforeProgram(t *testing.T) {
	needRoot(t)
	spec := probeSpec("whoami")
	var entered int
	spec.Enter = func(pid int) error {
		entered = pid
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(b), "rolecall-sandbox-init\x00") {
			return fmt.Errorf("pid %d runs %q", pid, b)
		}
		return nil
	}
	s := start(t, spec)
	if entered != s.p.Pid {
		t.Errorf("Enter got pid %d, process is %d", entered, s.p.Pid)
	}
	if l := s.line(t); l != fmt.Sprintf("uid %d euid %d gid %d egid %d", spec.UID, spec.UID, spec.GID, spec.GID) {
		t.Errorf("whoami: %q", l)
	}
	spec = probeSpec("whoami")
	spec.Enter = func(int) error { return fmt.Errorf("no cgroup") }
	if _, err := launcher.Start(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "no cgroup") {
		t.Errorf("Start with a failing Enter: %v", err)
	}
}

// pidsWith returns the host pids whose command line contains token.
func pidsWith(token string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), token) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitGone waits until no process's command line contains token.
func waitGone(t *testing.T, token string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := pidsWith(token)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v outlived their sandbox", pids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDetachedChildDiesWithProgram(t *testing.T) {
	needRoot(t)
	token := fmt.Sprintf("token-exit-%d", time.Now().UnixNano())
	s := start(t, probeSpec("spawn", token))
	if l := s.line(t); !strings.HasPrefix(l, "child ") {
		t.Fatalf("spawn: %q", l)
	}
	if err := s.p.Wait(); err != nil {
		t.Fatal(err)
	}
	if pids := pidsWith(token); len(pids) != 0 {
		t.Errorf("processes %v outlived the program after Wait", pids)
	}
}

func TestKillKillsEveryProcess(t *testing.T) {
	needRoot(t)
	token := fmt.Sprintf("token-kill-%d", time.Now().UnixNano())
	s := start(t, probeSpec("spawn", token, "stay"))
	s.line(t)
	if l := s.line(t); l != "staying" {
		t.Fatalf("spawn: %q", l)
	}
	if pids := pidsWith(token); len(pids) != 2 {
		t.Fatalf("processes with the token: %v, want the program and its child", pids)
	}
	s.p.Kill()
	if err := s.p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait: %v, want killed", err)
	}
	if pids := pidsWith(token); len(pids) != 0 {
		t.Errorf("processes %v outlived Kill and Wait", pids)
	}
}

// launcherHelperEnv makes the test binary a launcher that starts one
// sandbox and waits to be killed (TestLauncherKilled).
const launcherHelperEnv = "ROLECALL_SANDBOX_TEST_LAUNCHER"

func runLauncherHelper() {
	var cfg struct{ work, probe, token string }
	parts := strings.Split(os.Getenv(launcherHelperEnv), "|")
	cfg.work, cfg.probe, cfg.token = parts[0], parts[1], parts[2]
	l, err := sandbox.New(sandbox.Options{WorkDir: cfg.work, Spares: 2})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	probeDir = cfg.probe
	nextUID.Store(62000)
	spec := probeSpec("spawn", cfg.token, "stay")
	r, w, _ := os.Pipe()
	spec.Stdout = w
	p, err := l.Start(context.Background(), spec)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	br := bufio.NewReader(r)
	br.ReadString('\n')
	br.ReadString('\n')
	fmt.Println("started", p.Pid)
	time.Sleep(time.Hour)
}

func TestLauncherKilled(t *testing.T) {
	needRoot(t)
	token := fmt.Sprintf("token-launcher-%d", time.Now().UnixNano())
	work := t.TempDir()
	helper := exec.Command("/proc/self/exe", "-test.run=^$")
	helper.Env = append(os.Environ(), launcherHelperEnv+"="+work+"|"+probeDir+"|"+token)
	helper.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })
	l, err := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(l, "started ") {
		t.Fatalf("helper: %q %v", l, err)
	}
	if pids := pidsWith(token); len(pids) != 2 {
		t.Fatalf("processes with the token: %v, want the program and its child", pids)
	}
	// Wait for the helper's spares, then kill it as kill -9 would.
	var spares []int
	deadline := time.Now().Add(10 * time.Second)
	for len(spares) < 2 && time.Now().Before(deadline) {
		spares = childrenRunning(helper.Process.Pid, "rolecall-sandbox-init")
		time.Sleep(10 * time.Millisecond)
	}
	if len(spares) < 2 {
		t.Fatalf("spares of the helper: %v", spares)
	}
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	waitGone(t, token)
	for _, pid := range spares {
		waitPidGone(t, pid)
	}
	entries, err := os.ReadDir(work)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "root" {
			t.Errorf("left in the work directory: %s", e.Name())
		}
	}
}

// childrenRunning returns the pids of parent's children whose argv[0] is
// arg0.
func childrenRunning(parent int, arg0 string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.HasPrefix(string(cmd), arg0+"\x00") {
			pids = append(pids, pid)
		}
	}
	return pids
}

func waitPidGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("spare %d outlived its launcher", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDescribe(t *testing.T) {
	needRoot(t)
	d := launcher.Describe()
	for _, want := range []string{"mount, PID, IPC and UTS namespaces", "no capabilities", "no_new_privs", "seccomp", "/tmp is a private ext4 disk"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe() = %q, want it to say %q", d, want)
		}
	}
}

func TestTmpIsABoundedDisk(t *testing.T) {
	needRoot(t)
	spec := probeSpec()
	spec.Path, spec.Args = "/bin/sh", []string{"-c", "grep ' /tmp ' /proc/self/mounts; stat -c '%u %a' /tmp; ls -A /tmp"}
	spec.TmpBytes = 64 << 20
	out := strings.Split(strings.TrimSpace(runSpec(t, spec)), "\n")
	if len(out) != 2 {
		t.Fatalf("output %q, want the mount and the owner, /tmp empty", out)
	}
	if f := strings.Fields(out[0]); len(f) < 4 || !strings.HasPrefix(f[0], "/dev/loop") || f[2] != "ext4" || !strings.Contains(f[3], "nosuid") || !strings.Contains(f[3], "nodev") {
		t.Errorf("/tmp mount %q, want ext4 on a loop device, nosuid, nodev", out[0])
	}
	if out[1] != fmt.Sprintf("%d 700", spec.UID) {
		t.Errorf("/tmp owner and mode %q, want %d 700", out[1], spec.UID)
	}

	spec = probeSpec("write", "/tmp/big", strconv.Itoa(96<<20))
	spec.TmpBytes = 64 << 20
	got := strings.Fields(runSpec(t, spec))
	if len(got) != 3 || got[2] != "ENOSPC" {
		t.Fatalf("writing 96 MB to a 64 MB /tmp: %q, want ENOSPC", got)
	}
	// The file system's own blocks take a little of the disk.
	if n, _ := strconv.Atoi(got[1]); n > 64<<20 || n < 61<<20 {
		t.Errorf("wrote %d bytes before ENOSPC, want 61 to 64 MB", n)
	}
}

func TestShmSize(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		bytes int64
		want  string
	}{{0, "size=65536k"}, {128 << 20, "size=131072k"}} {
		spec := probeSpec()
		spec.Path, spec.Args = "/bin/sh", []string{"-c", "grep ' /dev/shm ' /proc/self/mounts"}
		spec.ShmBytes = c.bytes
		got := runSpec(t, spec)
		if f := strings.Fields(got); len(f) < 4 || f[2] != "tmpfs" || !strings.Contains(f[3], c.want) || !strings.Contains(f[3], "noexec") {
			t.Errorf("ShmBytes %d: /dev/shm mount %q, want a noexec tmpfs with %s", c.bytes, got, c.want)
		}
	}
}

func TestTmpAndShmPrivate(t *testing.T) {
	needRoot(t)
	// A keeps files in /tmp and /dev/shm and stays; B (same uid) and,
	// after A, C (same uid) must not see them.
	a := probeSpec()
	a.Path, a.Args = "/bin/sh", []string{"-c", "echo x > /tmp/left && echo x > /dev/shm/left && echo ready && exec sleep 3600"}
	sa := start(t, a)
	if l := sa.line(t); l != "ready" {
		t.Fatalf("A: %q", l)
	}
	b := probeSpec("stat", "/tmp/left", "/dev/shm/left")
	b.UID, b.GID = a.UID, a.GID
	got := fields(runSpec(t, b))
	for _, p := range []string{"/tmp/left", "/dev/shm/left"} {
		if got[p] != "ENOENT" {
			t.Errorf("B sees A's %s: %q", p, got[p])
		}
	}
	sa.p.Kill()
	_ = sa.p.Wait()
	got = fields(runSpec(t, b))
	for _, p := range []string{"/tmp/left", "/dev/shm/left"} {
		if got[p] != "ENOENT" {
			t.Errorf("C sees A's %s after A: %q", p, got[p])
		}
	}
}

func TestSetuidGainsNothing(t *testing.T) {
	needRoot(t)
	// A setuid-root copy of the probe in a mounted directory (writable,
	// as a mount could be), and one the program makes of itself in /tmp.
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(probeDir, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	suid := filepath.Join(dir, "probe")
	if err := os.WriteFile(suid, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(suid, 0o6755); err != nil {
		t.Fatal(err)
	}
	spec := probeSpec("whoami")
	spec.Path = "/suid/probe"
	spec.Mounts = append(spec.Mounts, sandbox.Mount{Source: dir, Target: "/suid", Writable: true})
	want := fmt.Sprintf("uid %d euid %d gid %d egid %d", spec.UID, spec.UID, spec.GID, spec.GID)
	if got := strings.TrimSpace(runSpec(t, spec)); got != want {
		t.Errorf("setuid-root probe: %q, want %q", got, want)
	}

	// A setuid copy the program makes of itself in /tmp (to its own uid,
	// as an attacker would leave one for the uid's next holder): it runs
	// without gaining anything, and is gone for the uid's next sandbox.
	spec = probeSpec()
	spec.Path, spec.Args = "/bin/sh", []string{"-c", "cp /var/task/probe /tmp/p && chmod 6755 /tmp/p && /tmp/p whoami"}
	if got := strings.TrimSpace(runSpec(t, spec)); got != fmt.Sprintf("uid %d euid %d gid %d egid %d", spec.UID, spec.UID, spec.GID, spec.GID) {
		t.Errorf("setuid copy in /tmp: %q", got)
	}
	next := probeSpec("stat", "/tmp/p")
	next.UID, next.GID = spec.UID, spec.GID
	if got := fields(runSpec(t, next)); got["/tmp/p"] != "ENOENT" {
		t.Errorf("the uid's next sandbox sees the setuid copy: %q", got["/tmp/p"])
	}
}

// memoryCgroup makes a cgroup v1 memory cgroup limited to limit bytes
// (memory and swap) and returns an Enter that puts a sandbox into it.
func memoryCgroup(t *testing.T, limit int64) func(int) error {
	t.Helper()
	dir := memoryCgroupDir(t, limit)
	return func(pid int) error {
		return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
	}
}

// memoryCgroupDir makes a cgroup v1 memory cgroup limited to limit bytes
// (memory and swap), removed when the test ends, and returns its
// directory.
func memoryCgroupDir(t *testing.T, limit int64) string {
	t.Helper()
	base := "/sys/fs/cgroup/memory"
	if _, err := os.Stat(base + "/memory.limit_in_bytes"); err != nil {
		t.Skip("no cgroup v1 memory controller")
	}
	dir := filepath.Join(base, fmt.Sprintf("rolecall-sandbox-test-%d-%d", os.Getpid(), nextUID.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if err := os.Remove(dir); err == nil || time.Now().After(deadline) {
				return
			}
		}
	})
	v := []byte(strconv.FormatInt(limit, 10))
	for _, f := range []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"} {
		if err := os.WriteFile(filepath.Join(dir, f), v, 0); err != nil && f == "memory.limit_in_bytes" {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTmpIsNotMemoryButShmIs(t *testing.T) {
	needRoot(t)
	const limit, size = 64 << 20, 160 << 20
	spec := probeSpec("write", "/tmp/f", strconv.Itoa(size))
	spec.TmpBytes = 256 << 20
	spec.Enter = memoryCgroup(t, limit)
	if got := strings.TrimSpace(runSpec(t, spec)); got != fmt.Sprintf("written %d ok", size) {
		t.Errorf("writing %d bytes to /tmp in a %d-byte memory cgroup: %q", size, limit, got)
	}

	spec = probeSpec("write", "/dev/shm/f", strconv.Itoa(size))
	spec.ShmBytes = 256 << 20
	spec.Enter = memoryCgroup(t, limit)
	s := start(t, spec)
	out, _ := io.ReadAll(s.out)
	if err := s.p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("writing %d bytes to /dev/shm in a %d-byte memory cgroup: %v %q, want killed", size, limit, err, out)
	}
}

func TestConcurrentStarts(t *testing.T) {
	needRoot(t)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			spec := probeSpec("whoami")
			r, w, err := os.Pipe()
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			spec.Stdout = w
			p, err := launcher.Start(context.Background(), spec)
			w.Close()
			if err != nil {
				errs <- err
				return
			}
			out, _ := io.ReadAll(r)
			if err := p.Wait(); err != nil {
				errs <- err
				return
			}
			if want := fmt.Sprintf("uid %d euid %d gid %d egid %d\n", spec.UID, spec.UID, spec.GID, spec.GID); string(out) != want {
				errs <- fmt.Errorf("whoami %q, want %q", out, want)
				return
			}
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestOtherArchitecturesCallsRefused(t *testing.T) {
	needRoot(t)
	got := fields(runSpec(t, probeSpec("int80")))
	if _, ok := got["none"]; ok {
		t.Skip("no second calling convention on this architecture")
	}
	for _, name := range []string{"getpid", "unshare-user"} {
		if got[name] != "ENOSYS" {
			t.Errorf("32-bit %s: %q, want ENOSYS", name, got[name])
		}
	}
}

func TestSparesNicerThanPrograms(t *testing.T) {
	needRoot(t)
	spec := probeSpec()
	spec.Path, spec.Args = "/usr/bin/nice", nil
	if got := strings.TrimSpace(runSpec(t, spec)); got != "0" {
		t.Errorf("the program's niceness %q, want the launcher's, 0", got)
	}
	var spares []int
	for deadline := time.Now().Add(10 * time.Second); len(spares) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		spares = childrenRunning(os.Getpid(), "rolecall-sandbox-init")
	}
	if len(spares) == 0 {
		t.Fatal("no spare")
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", spares[0]))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if f[16] != "10" {
		t.Errorf("a spare's niceness %s, want 10", f[16])
	}
}

func TestDiskReleasedAfterWait(t *testing.T) {
	needRoot(t)
	spec := probeSpec()
	spec.Path, spec.Args = "/bin/sh", []string{"-c", "grep ' /tmp ' /proc/self/mounts; exec sleep 3600"}
	s := start(t, spec)
	f := strings.Fields(s.line(t))
	if len(f) < 1 || !strings.HasPrefix(f[0], "/dev/loop") {
		t.Fatalf("/tmp mount %q", f)
	}
	backing := "/sys/block/" + strings.TrimPrefix(f[0], "/dev/") + "/loop/backing_file"
	image, err := os.ReadFile(backing)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(image), "(deleted)") {
		t.Errorf("the image %s is in the work directory while the sandbox runs", image)
	}
	s.p.Kill()
	_ = s.p.Wait()
	// The device is released, or being released (and maybe given to
	// another disk since).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		now, err := os.ReadFile(backing)
		if err != nil || string(now) != string(image) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still holds %s after Wait", f[0], image)
		}
	}
}

func TestHide(t *testing.T) {
	needRoot(t)
	l, err := sandbox.New(sandbox.Options{WorkDir: t.TempDir(), Spares: -1, Hide: []string{"/usr/share/doc", "/etc/hosts", "/etc/rolecall-none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	spec := probeSpec()
	spec.Path, spec.Args = "/bin/sh", []string{"-c", "ls -A /usr/share/doc | wc -l; wc -c < /etc/hosts; touch /usr/share/doc/x 2>&1 | grep -c 'Read-only'; test -s /etc/passwd && echo passwd"}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	spec.Stdout, spec.Stderr = w, w
	p, err := l.Start(context.Background(), spec)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	if err := p.Wait(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got, want := strings.Fields(string(out)), []string{"0", "0", "1", "passwd"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("hidden directory entries, hidden file bytes, read-only, /etc/passwd: %q, want %q", got, want)
	}
	if _, err := sandbox.New(sandbox.Options{WorkDir: t.TempDir(), Hide: []string{"etc"}}); err == nil {
		t.Error("New accepted a relative path to hide")
	}
}

// TestCgroupsJoined: an init given Spec.Cgroups joins them itself before
// the program runs: the program and what it starts are in the group (a
// memory cgroup here, whose limit then binds /dev/shm), and a group that
// cannot be joined fails the Start.
func TestCgroupsJoined(t *testing.T) {
	needRoot(t)
	const limit, size = 64 << 20, 160 << 20
	dir := memoryCgroupDir(t, limit)
	spec := probeSpec("whoami")
	spec.Cgroups = []string{dir}
	s := start(t, spec)
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(b)), strconv.Itoa(s.p.Pid)) {
		t.Errorf("program %d not in %s: %q", s.p.Pid, dir, b)
	}
	if l := s.line(t); !strings.HasPrefix(l, fmt.Sprintf("uid %d ", spec.UID)) {
		t.Errorf("whoami: %q", l)
	}

	spec = probeSpec("write", "/dev/shm/f", strconv.Itoa(size))
	spec.ShmBytes = 256 << 20
	spec.Cgroups = []string{memoryCgroupDir(t, limit)}
	s = start(t, spec)
	out, _ := io.ReadAll(s.out)
	if err := s.p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("writing %d bytes to /dev/shm in a joined %d-byte memory cgroup: %v %q, want killed", size, limit, err, out)
	}

	for _, bad := range []string{dir + "/missing", "relative/group", dir + "/../x"} {
		spec = probeSpec("whoami")
		spec.Cgroups = []string{bad}
		if p, err := launcher.Start(context.Background(), spec); err == nil {
			p.Kill()
			_ = p.Wait()
			t.Errorf("Start joining %q: started", bad)
		}
	}
}

// wantEach checks that the probe reported want for each name.
func wantEach(t *testing.T, got map[string]string, want string, names ...string) {
	t.Helper()
	for _, name := range names {
		if got[name] != want {
			t.Errorf("%s: %q, want %s", name, got[name], want)
		}
	}
}
