package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rolecall/rolecall/internal/cgroup"
	"github.com/rolecall/rolecall/internal/sandbox"
)

// env is one execution environment: a process and its Runtime API.
type env struct {
	m    *Manager
	pool *pool
	cfg  *Config
	info EnvInfo
	code string // LAMBDA_TASK_ROOT
	dir  string // private directory, TMPDIR
	uid  int

	creds   Credentials
	hooked  bool // Hooks.Start succeeded, so Hooks.Stop is due
	api     *runtimeAPI
	out     *output
	pgid    int
	exited  chan struct{}
	exitErr error

	sbp    *sandbox.Process // the sandbox, when the environment runs in one
	cg     *cgroup.Group    // nil on hosts without cgroups
	cgStop context.CancelFunc
	frz    freezer

	oom      atomic.Bool
	peak     atomic.Int64 // bytes, largest sampled group RSS or the cgroup's peak
	hwm      hwmReader    // the main process's VmHWM
	lastUsed time.Time    // guarded by m.mu
	stopOnce sync.Once
}

// failure is an invocation that failed outside the function's own code.
type failure struct {
	errType, msg string
	body         []byte // posted by the runtime, used as is
}

func (f *failure) payload() []byte {
	if f.body != nil {
		return f.body
	}
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{f.errType, f.msg})
	return b
}

// logLines is what Lambda logs for a failure besides the payload.
func (f *failure) logLines() string {
	if f.body != nil {
		return ""
	}
	return f.msg + "\n" + f.errType + "\n"
}

func exitFailure(reqID string, err error, oom bool) *failure {
	msg := "exit status 0"
	if err != nil {
		msg = err.Error()
	}
	typ := "Runtime.ExitError"
	if oom {
		typ, msg = "Runtime.OutOfMemory", "signal: killed"
	}
	return &failure{errType: typ, msg: "RequestId: " + reqID + " Error: Runtime exited with error: " + msg}
}

// start runs the init phase: hooks, process, until the runtime first asks
// for an event. A non-nil failure means init failed in the function; an
// error means the environment could not be set up.
func (e *env) start(ctx context.Context, reqID string) (time.Duration, *failure, error) {
	m := e.m
	e.exited = make(chan struct{})
	// The hook (which may assume a role and open a listener) runs while
	// the environment's directory, Runtime API and output are set up.
	type started struct {
		creds    Credentials
		endpoint string
		err      error
	}
	var hook chan started
	if m.opts.Hooks != nil {
		hook = make(chan started, 1)
		go func() {
			creds, endpoint, err := m.opts.Hooks.Start(ctx, e.info)
			hook <- started{creds, endpoint, err}
		}()
	}
	err := e.setup()
	var h started
	if hook != nil {
		h = <-hook
		switch {
		case h.err == nil:
			e.creds, e.hooked = h.creds, true
		case err == nil:
			err = fmt.Errorf("runtime: starting environment: %w", h.err)
		}
	}
	if err != nil {
		if e.out != nil {
			e.out.closeWriter()
		}
		return 0, nil, err
	}
	return e.spawn(ctx, reqID, h.creds, h.endpoint)
}

// setup makes the environment's private directory, its Runtime API
// endpoint and the pipe for its output.
func (e *env) setup() error {
	m := e.m
	e.dir = filepath.Join(m.workDir, "envs", e.info.ID)
	if err := os.Mkdir(e.dir, 0o700); err != nil {
		if err := os.MkdirAll(e.dir, 0o700); err != nil {
			return err
		}
	}
	if e.uid >= 0 {
		if err := os.Chown(e.dir, e.uid, e.uid); err != nil {
			return err
		}
	}
	peer := -1
	if m.uids.dedicated(e.uid) {
		peer = e.uid
	}
	api, err := newRuntimeAPI(e.exited, peer)
	if err != nil {
		return err
	}
	e.api = api
	api.waits = e.frz.next
	group, stream := logGroup(e.cfg), e.info.LogStream
	sink := func(ev []LogEvent) {}
	if m.opts.LogSink != nil {
		sink = func(ev []LogEvent) { m.opts.LogSink(group, stream, ev) }
	}
	e.out, err = newOutput(sink)
	return err
}

func (e *env) spawn(ctx context.Context, reqID string, creds Credentials, endpoint string) (time.Duration, *failure, error) {
	m := e.m
	var err error
	var path string
	var args []string
	interpDir := ""
	var sdk sdkPaths
	switch family(e.cfg.Runtime) {
	case "provided":
		path = filepath.Join(e.code, "bootstrap")
	case "python", "nodejs":
		var it interpreter
		it, err = m.lookupOrInstall(ctx, e.cfg.Runtime)
		if err == nil {
			sdk, err = m.sdk.ready(ctx, e.cfg.Runtime, it, e.cfg.CodeDir)
		}
		path, interpDir, sdk.lib = it.path, filepath.Dir(it.path), it.lib
		args = []string{filepath.Join(m.runtimeDir, "bootstrap.py")}
		if family(e.cfg.Runtime) == "nodejs" {
			args = []string{filepath.Join(m.runtimeDir, "bootstrap.mjs")}
		}
	}
	if err != nil {
		e.out.closeWriter()
		close(e.exited)
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, &failure{errType: "Runtime.InvalidRuntime", msg: "RequestId: " + reqID + " Error: " + err.Error()}, nil
	}
	if err := e.newCgroup(ctx); err != nil {
		e.out.closeWriter()
		close(e.exited)
		return 0, nil, err
	}
	vars := environ(e.cfg, e, creds, endpoint, e.api.addr(), m.runtimeDir, interpDir, sdk)
	e.out.collect()
	t0 := time.Now()
	var wait func() error
	if m.sb != nil && m.uids.dedicated(e.uid) {
		wait, err = e.startSandbox(ctx, path, args, vars, sdk)
	} else {
		wait, err = e.startProcess(path, args, vars)
	}
	if err != nil {
		e.out.closeWriter()
		close(e.exited)
		if ctx.Err() != nil {
			return 0, nil, ctx.Err() // the start was cut short because the caller gave up
		}
		return 0, &failure{errType: "Runtime.InvalidEntrypoint", msg: "RequestId: " + reqID + " Error: " + err.Error()}, nil
	}
	if e.cg == nil {
		m.sampler.add(e)
	}
	go func() {
		err := wait()
		e.exitErr = err
		e.out.closeWriter()
		close(e.exited)
	}()

	// Lambda gives init 10 seconds; an init that misses them is tried
	// again within the invocation, bounded by the function's timeout
	// ("Lambda execution environment lifecycle": Init phase). The init
	// here is given that longer bound at once rather than started over,
	// so its code runs once.
	limit := m.opts.InitTimeout
	if e.cfg.Timeout > limit {
		limit = e.cfg.Timeout
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-e.api.ready:
		return time.Since(t0), nil, nil
	case ie := <-e.api.initErr:
		e.kill()
		f := &failure{body: ie.body}
		if len(ie.body) == 0 {
			f = &failure{errType: ie.errType, msg: "RequestId: " + reqID + " Error: init failed"}
		}
		return time.Since(t0), f, nil
	case <-e.exited:
		select {
		case ie := <-e.api.initErr:
			return time.Since(t0), &failure{body: ie.body}, nil
		default:
		}
		if err := ctx.Err(); err != nil {
			return time.Since(t0), nil, err // killed because the caller gave up
		}
		return time.Since(t0), exitFailure(reqID, e.exitErr, e.outOfMemory()), nil
	case <-timer.C:
		e.kill()
		return time.Since(t0), &failure{errType: "Sandbox.Timedout", msg: fmt.Sprintf(
			"RequestId: %s Error: Task timed out after %.2f seconds", reqID, limit.Seconds())}, nil
	case <-ctx.Done():
		e.kill()
		return time.Since(t0), nil, ctx.Err()
	case <-m.done:
		e.kill()
		return time.Since(t0), nil, ErrClosed
	}
}

// startProcess runs the environment's program as a child of this process
// sharing its file system (no sandbox: not root, or the host cannot make
// one), in a process group of its own, under the environment's uid when
// there is one, in its cgroup when there is one.
func (e *env) startProcess(path string, args, vars []string) (func() error, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = vars
	cmd.Dir = e.code
	cmd.Stdout, cmd.Stderr = e.out.w, e.out.w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if e.uid >= 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(e.uid), Gid: uint32(e.uid), Groups: []uint32{}}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e.pgid = cmd.Process.Pid
	if e.cg != nil {
		if err := e.cg.Add(e.pgid); err != nil {
			syscall.Kill(-e.pgid, syscall.SIGKILL)
			_ = cmd.Wait() // killed just now
			return nil, fmt.Errorf("runtime: entering the environment's cgroup: %w", err)
		}
	}
	return cmd.Wait, nil
}

// Paths inside a sandbox, as in Lambda.
const (
	sandboxTaskRoot   = "/var/task"
	sandboxRuntimeDir = "/var/runtime"
	sandboxTmp        = "/tmp"
	// sandboxUser names the environment's uid in its /etc/passwd, after
	// the users Lambda runs functions as.
	sandboxUser = "sbx_user1051"
)

// startSandbox runs the environment's program in a sandbox of its own:
// the code at /var/task and the bootstraps at /var/runtime (read-only),
// the interpreter and the runtime cache read-only at their host paths, a
// private /tmp disk of EphemeralStorage and a private /dev/shm, Lambda's
// limits of 1,024 open files and processes, and an /etc/passwd naming
// its uid. The init enters the environment's cgroup before it does
// anything (on cgroup v1 its main thread, which becomes the program,
// joins it itself). Paths of the host in the environment's variables and
// arguments are replaced by those it sees.
func (e *env) startSandbox(ctx context.Context, path string, args, vars []string, sdk sdkPaths) (func() error, error) {
	m := e.m
	inside := strings.NewReplacer(e.code, sandboxTaskRoot, m.runtimeDir, sandboxRuntimeDir)
	if strings.HasPrefix(path, e.code+"/") {
		path = sandboxTaskRoot + strings.TrimPrefix(path, e.code)
	}
	for i, a := range args {
		args[i] = inside.Replace(a)
	}
	env := make([]string, 0, len(vars))
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "TMPDIR", "HOME":
			// Private and writable: the environment's own /tmp disk.
			v = sandboxTmp
		case "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "PYTHONPATH", "NODE_PATH":
			v = inside.Replace(v)
		}
		env = append(env, k+"="+v)
	}
	mounts := []sandbox.Mount{
		{Source: e.code, Target: sandboxTaskRoot},
		{Source: m.runtimeDir, Target: sandboxRuntimeDir},
	}
	seen := map[string]bool{}
	addHost := func(dir string) {
		if dir == "" || seen[dir] || onHostRoot(dir) || within(dir, m.opts.CacheDir) {
			return
		}
		if _, err := os.Stat(dir); err != nil {
			return
		}
		seen[dir] = true
		mounts = append(mounts, sandbox.Mount{Source: dir, Target: dir})
	}
	if _, err := os.Stat(m.opts.CacheDir); err == nil {
		mounts = append(mounts, sandbox.Mount{Source: m.opts.CacheDir, Target: m.opts.CacheDir})
	}
	if family(e.cfg.Runtime) != "provided" {
		// The interpreter's installation: the directory above its bin.
		addHost(filepath.Dir(filepath.Dir(path)))
		addHost(sdk.lib)
		addHost(sdk.python)
		addHost(sdk.node)
	}
	uid := strconv.Itoa(e.uid)
	spec := sandbox.Spec{
		Path: path, Args: args, Env: env, Dir: sandboxTaskRoot,
		UID: e.uid, GID: e.uid,
		Mounts:   mounts,
		Files:    sandboxFiles(uid),
		TmpBytes: int64(max(e.cfg.EphemeralStorageMB, 512)) << 20,
		ShmBytes: int64(e.cfg.MemoryMB) << 20,
		NoFile:   maxProcs,
		NProc:    maxProcs,
		Stdout:   e.out.w,
		Stderr:   e.out.w,
	}
	if e.cg != nil {
		if dirs := e.cg.TaskDirs(); dirs != nil {
			spec.Cgroups = dirs // the init joins them itself: nothing waits for the kernel
		} else {
			spec.Enter = e.cg.Add
		}
	}
	p, err := m.sb.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	e.pgid = p.Pid
	e.sbp = p
	return p.Wait, nil
}

// onHostRoot reports whether dir is under what every sandbox has of the
// host: /usr and its merged links.
func onHostRoot(dir string) bool {
	for _, top := range []string{"/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"} {
		if within(dir, top) {
			return true
		}
	}
	return false
}

// within reports whether path is dir or under it.
func within(path, dir string) bool {
	return dir != "" && (path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/"))
}

// errNotDelivered means the environment died before taking the event.
var errNotDelivered = fmt.Errorf("runtime: environment exited before the event was delivered")

// run hands inv to the runtime and waits for the outcome. It returns the
// payload, whether it is a function error, and whether the environment
// can be reused.
func (e *env) run(ctx context.Context, inv *invocation) (payload []byte, f *failure, fnErr bool, reusable bool, err error) {
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	timedOut := func() *failure {
		e.kill()
		return &failure{errType: "Sandbox.Timedout", msg: fmt.Sprintf(
			"RequestId: %s Error: Task timed out after %.2f seconds", inv.id, e.cfg.Timeout.Seconds())}
	}
	if err := e.frz.busy(ctx); err != nil {
		// An environment that cannot run again is of no use.
		e.kill()
		return nil, nil, false, false, errNotDelivered
	}
	defer e.idle(inv.deadline)
	select {
	case e.api.next <- inv:
	case <-e.exited:
		return nil, nil, false, false, errNotDelivered
	case <-timer.C:
		return nil, timedOut(), false, false, nil
	case <-ctx.Done():
		e.kill()
		return nil, nil, false, false, ctx.Err()
	case <-e.m.done:
		e.kill()
		return nil, nil, false, false, ErrClosed
	}
	select {
	case <-inv.done:
	case <-e.exited:
		select {
		case <-inv.done:
		default:
			if err := ctx.Err(); err != nil {
				// The environment died because the caller gave up (its
				// process is bound to ctx): that is the answer.
				return nil, nil, false, false, err
			}
			return nil, exitFailure(inv.id, e.exitErr, e.outOfMemory()), false, false, nil
		}
	case <-timer.C:
		return nil, timedOut(), false, false, nil
	case <-ctx.Done():
		e.kill()
		return nil, nil, false, false, ctx.Err()
	case <-e.m.done:
		e.kill()
		return nil, nil, false, false, ErrClosed
	}
	if inv.tooBig {
		return nil, &failure{errType: "Function.ResponseSizeTooLarge",
			msg: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."}, false, true, nil
	}
	return inv.resp, nil, inv.errType != "", true, nil
}

// maxMemoryMB is the environment's peak memory use so far: the peak the
// kernel recorded for its cgroup, or without cgroups the largest group RSS
// the sampler saw, or the main process's own high-water mark when that is
// larger (the sampler only sees the group between its ticks, and an
// invocation can start and end between two of them).
func (e *env) maxMemoryMB() int {
	peak := e.peak.Load()
	if e.cg != nil {
		// Pages the environment found in the page cache (its interpreter's
		// libraries) are charged elsewhere; its own high-water mark below
		// counts them, as Lambda's figure does.
		if cp := e.cg.PeakMemory(); cp > peak {
			e.peak.Store(cp)
			peak = cp
		}
	}
	if hwm := e.hwm.read(e.pgid); hwm > peak {
		for !e.peak.CompareAndSwap(peak, hwm) {
			if peak = e.peak.Load(); peak >= hwm {
				break
			}
		}
		peak = max(peak, hwm)
	}
	return int((peak + (1<<20 - 1)) >> 20)
}

// outOfMemory reports whether the environment was killed for passing its
// memory size: by the kernel (its cgroup) or by the sampler.
func (e *env) outOfMemory() bool {
	return e.oom.Load() || e.cg != nil && e.cg.OOMKilled()
}

// newCgroup makes the environment's cgroup, limited to the function's
// memory size (every process's pages, /dev/shm and tmpfs included) and
// Lambda's 1,024 processes and threads, and watches it for the kernel's
// out-of-memory kills: one kills the whole environment, as in Lambda.
func (e *env) newCgroup(ctx context.Context) error {
	m := e.m
	if m.cg == nil {
		return nil
	}
	g, err := m.cg.New(ctx, e.info.ID, cgroup.Limits{MemoryBytes: int64(e.cfg.MemoryMB) << 20, Pids: maxProcs})
	if err != nil {
		return fmt.Errorf("runtime: environment cgroup: %w", err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	oom, err := g.WatchOOM(wctx)
	if err != nil {
		cancel()
		return errors.Join(fmt.Errorf("runtime: environment cgroup: %w", err), g.Remove())
	}
	e.cg, e.cgStop = g, cancel
	e.frz.start(g)
	go func() {
		select {
		case <-oom:
			e.oom.Store(true)
			e.kill()
		case <-wctx.Done():
		}
	}()
	return nil
}

// maxProcs is Lambda's limit of processes and threads per execution
// environment, and of open files.
const maxProcs = 1024

// kill ends every process of the environment.
func (e *env) kill() {
	if e.sbp != nil {
		e.sbp.Kill() // pid 1 of its PID namespace: the kernel kills the rest
	}
	if e.cg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := e.cg.Kill(ctx)
		cancel()
		if err == nil {
			return
		}
		// A process that will not die is still tried by its uid below.
	}
	if !e.m.uids.dedicated(e.uid) {
		killAll(e.pgid, -1)
		return
	}
	// Once the leader is reaped its pid may be reused by an unrelated
	// process group; the uid reaches every process left.
	pgid := e.pgid
	if !e.alive() {
		pgid = 0
	}
	killAll(pgid, e.uid)
}

// gone reports whether nothing of the environment is left: its program
// was waited for, its cgroup is empty and, for a uid of its own, nothing
// runs as it.
func (e *env) gone() bool {
	if e.pgid > 0 && e.alive() {
		// Its program (in a sandbox: the sandbox, with its /tmp disk)
		// has not been waited for.
		return false
	}
	if e.cg != nil {
		if empty, err := e.cg.Empty(); err != nil || !empty {
			return false
		}
	}
	if e.m.uids.dedicated(e.uid) && e.pgid > 0 {
		return killUIDs(map[int]bool{e.uid: true})
	}
	return true
}

// alive reports whether the process is still running.
func (e *env) alive() bool {
	select {
	case <-e.exited:
		return false
	default:
		return true
	}
}

// stop tears the environment down: processes, endpoint, directory, uid,
// then the hook's Stop.
func (e *env) stop() {
	e.stopOnce.Do(func() {
		m := e.m
		if e.pgid > 0 {
			e.kill()
			select {
			case <-e.exited:
			case <-time.After(5 * time.Second):
			}
			// Processes that left the group keep running as the
			// environment's uid until killed.
			e.kill()
		}
		m.sampler.remove(e)
		e.hwm.close()
		gone := e.gone()
		if e.out != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			e.out.sync(ctx)
			cancel()
			if ev := e.out.take(true); len(ev) > 0 {
				e.out.sink(ev)
			}
		}
		if e.api != nil {
			e.api.close()
		}
		if e.dir != "" {
			_ = os.RemoveAll(e.dir) // best effort: the manager's work directory goes at Close
		}
		if gone && m.uids.dedicated(e.uid) && e.sbp == nil {
			// Sharing the host's file system, the environment may have
			// left files in its temporary directories (a sandbox's /tmp
			// and /dev/shm end with it).
			removeUIDFiles(map[int]bool{e.uid: true})
		}
		if e.cg != nil {
			e.frz.stop()
			e.cgStop()
			if gone {
				_ = e.cg.Remove() // an empty group; one that cannot be removed goes with the parent at Close
			}
		}
		if gone {
			// Nothing of the last holder is left: the uid may serve again.
			// Otherwise it stays out of the pool for this process's life.
			m.uids.put(e.uid)
		}
		if e.hooked {
			m.opts.Hooks.Stop(e.info)
		}
	})
}

// logFor assembles the invocation's log in the function's log format and
// ships it to the sink. status is Lambda's outcome of the invocation
// ("success", "error" or "timeout") and errType the error's type.
func (e *env) logFor(inv *invocation, pre, body []LogEvent, extra string, d, initD time.Duration, status, errType string) []byte {
	now := time.Now()
	cfg := e.cfg
	il := &invocationLog{id: inv.id, version: cfg.Version, d: d, initD: initD,
		memMB: cfg.MemoryMB, maxMemMB: e.maxMemoryMB(), status: status, errType: errType}
	if _, _, sampled := ParseTraceHeader(inv.opts.TraceID); cfg.ActiveTracing && sampled == "1" {
		il.trace = inv.opts.TraceID
	}
	var events []LogEvent
	add := func(at time.Time, line string, ok bool) {
		if ok {
			events = append(events, LogEvent{Time: at, Message: line})
		}
	}
	events = append(events, appLines(cfg, pre)...)
	line, ok := il.startLine(cfg, now.Add(-d))
	add(now.Add(-d), line, ok)
	events = append(events, appLines(cfg, body)...)
	// The platform's own lines about a failure: with JSON, the report's
	// status and errorType say it.
	if !jsonFormat(cfg) {
		for line := range strings.Lines(extra) {
			add(now, line, true)
		}
	}
	line, ok = il.endLine(cfg)
	add(now, line, ok)
	line, ok = il.reportLine(cfg, now)
	add(now, line, ok)
	if e.m.opts.LogSink != nil {
		e.m.opts.LogSink(logGroup(cfg), e.info.LogStream, events)
	}
	var buf bytes.Buffer
	writeEvents(&buf, events)
	return buf.Bytes()
}

// sandboxFiles are the files an environment's /etc holds in place of the
// host's: users and groups naming only root and the function's user
// (uid, as text), and, where the host has them, the backups of those files
// and the host's name, which would tell the host's users and name.
func sandboxFiles(uid string) map[string][]byte {
	passwd := []byte("root:x:0:0:root:/root:/sbin/nologin\n" +
		sandboxUser + ":x:" + uid + ":" + uid + "::" + sandboxTmp + ":/sbin/nologin\n")
	group := []byte("root:x:0:\n" + sandboxUser + ":x:" + uid + ":\n")
	files := map[string][]byte{"/etc/passwd": passwd, "/etc/group": group}
	for name, b := range map[string][]byte{"/etc/passwd-": passwd, "/etc/group-": group, "/etc/hostname": []byte("localhost\n")} {
		if _, err := os.Stat(name); err == nil {
			files[name] = b // a file in the read-only /etc can only cover one that exists
		}
	}
	return files
}
