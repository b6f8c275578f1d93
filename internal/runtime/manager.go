package runtime

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/cgroup"
	"github.com/rolecall/rolecall/internal/sandbox"
)

// Manager owns the execution environments of many functions.
type Manager struct {
	opts       Options
	workDir    string
	ownWorkDir bool
	owner      *os.File // holds the work directory's owner lock, when it is ours
	runtimeDir string
	interp     *interpreters
	uids       *uidPool
	isolation  Isolation
	cg         *cgroup.Parent    // the environments' cgroups; nil on hosts without
	sb         *sandbox.Launcher // starts sandboxed environments; nil without
	sampler    *sampler
	stage      *codeStage
	sdk        *sdkCache
	done       chan struct{} // closed by Close
	bg         sync.WaitGroup

	// admission admits invocations: Options.Admission, or local.
	admission Admission
	// local is the in-memory admission, nil when Options.Admission is set.
	local *localAdmission

	mu     sync.Mutex
	closed bool
	pools  map[string]*pool
	envs   sync.WaitGroup // environments not yet stopped
}

// pool holds the environments of one key (function version and configuration).
type pool struct {
	key      string
	cfg      *Config
	idle     []*env // most recently used last
	n        int    // environments not yet stopped
	draining bool

	codeOnce sync.Once
	code     string      // task root
	staged   *stagedCode // staged copy in use, released with the pool
	codeErr  error
}

// New returns a Manager. Close releases it.
func New(opts Options) (*Manager, error) {
	opts.setDefaults()
	m := &Manager{
		opts:      opts,
		done:      make(chan struct{}),
		pools:     map[string]*pool{},
		admission: opts.Admission,
	}
	if m.admission == nil {
		m.local = newLocalAdmission(opts.AccountConcurrency)
		m.admission = m.local
	}
	m.uids, m.isolation = newUIDPool(opts.UIDBase, opts.UIDCount)
	m.workDir = opts.WorkDir
	if m.workDir == "" {
		dir, owner, err := newWorkDir()
		if err != nil {
			return nil, err
		}
		m.workDir, m.ownWorkDir, m.owner = dir, true, owner
	}
	m.workDir, _ = filepath.Abs(m.workDir)
	if err := os.MkdirAll(filepath.Join(m.workDir, "envs"), 0o711); err != nil {
		return nil, err
	}
	// Unprivileged functions must reach their directories and the bootstraps.
	for _, d := range []string{m.workDir, filepath.Join(m.workDir, "envs")} {
		if err := os.Chmod(d, 0o711); err != nil {
			return nil, err
		}
	}
	if m.isolation.Dropped && !otherCanReach(m.workDir) {
		return nil, fmt.Errorf("runtime: work directory %s is not reachable by unprivileged users (a parent lacks o+x)", m.workDir)
	}
	m.runtimeDir = filepath.Join(m.workDir, "runtime")
	if err := installBootstraps(m.runtimeDir); err != nil {
		return nil, err
	}
	m.sdk = &sdkCache{root: opts.CacheDir}
	m.sdk.removeLeftovers() // installs of a process killed mid-way
	m.interp = &interpreters{overrides: envOverrides(opts.Interpreters, os.Getenv), needOther: m.isolation.Dropped,
		nodeCache: m.sdk.nodeRoot(), pyCache: m.sdk.pythonRoot()}
	m.sampler = newSampler(opts.MemoryPoll)
	m.stage = &codeStage{root: filepath.Join(m.workDir, "code")}
	if err := m.openCgroups(); err != nil {
		return nil, err
	}
	m.openSandbox()
	m.bg.Add(2)
	go func() { defer m.bg.Done(); m.sampler.loop(m.done) }()
	go func() { defer m.bg.Done(); m.reap() }()
	return m, nil
}

// openCgroups opens the parent cgroup of this Manager's environments,
// after removing those left by rolecall processes that died, and says in
// the isolation's detail what the kernel limits.
func (m *Manager) openCgroups() error {
	if os.Geteuid() != 0 {
		m.isolation.Detail += fmt.Sprintf("; not root: no cgroups, memory is sampled every %v (short-lived processes can pass it), no process, thread or file limit, no freezing between invocations", m.opts.MemoryPoll)
		return nil
	}
	sum := sha256.Sum256([]byte(m.workDir))
	cg, err := cgroup.Open(filepath.Base(m.workDir) + "-" + hex.EncodeToString(sum[:4]))
	if errors.Is(err, cgroup.ErrUnavailable) {
		m.isolation.Detail += fmt.Sprintf("; %v: memory is sampled every %v (short-lived processes can pass it), no process or thread limit, no freezing between invocations", err, m.opts.MemoryPoll)
		return nil
	}
	if err != nil {
		return fmt.Errorf("runtime: %w", err)
	}
	m.cg = cg
	version := "v1"
	if cg.V2() {
		version = "v2"
	}
	m.isolation.Detail += fmt.Sprintf("; each environment has a cgroup (%s) holding its memory to MemorySize (/dev/shm included) and its processes and threads to %d, frozen between invocations", version, maxProcs)
	return nil
}

// openSandbox starts the sandbox launcher when environments have uids of
// their own and the host can make sandboxes; otherwise environments share
// the host's file system, and the isolation's detail says so.
func (m *Manager) openSandbox() {
	if !m.isolation.Dropped || m.uids.shared {
		m.isolation.Detail += "; no sandbox (needs root and a uid per environment): functions share the host's file system, /tmp and /dev/shm, see its processes, keep every capability their uid has, have no seccomp filter and no disk limit"
		return
	}
	sb, err := sandbox.New(sandbox.Options{WorkDir: filepath.Join(m.workDir, "sandbox")})
	if err != nil {
		m.isolation.Detail += fmt.Sprintf("; no sandbox (%v): functions share the host's file system, /tmp and /dev/shm, see its processes, have no seccomp filter and no disk limit", err)
		return
	}
	m.sb = sb
	m.stage.private = true
	m.isolation.Detail += "; " + sb.Describe()
}

// Isolation says whether functions run under unprivileged uids.
func (m *Manager) Isolation() Isolation { return m.isolation }

// SetReservedConcurrency reserves n concurrent executions for the function
// functionARN names (Lambda's PutFunctionConcurrency) out of its account's
// limit; n < 0 removes the reservation. A reservation covers every version
// of the function: a qualified ARN reserves for the unqualified one.
//
// Reservations given here are those of the default, in-memory admission;
// an Options.Admission keeps reservations of its own, and with one this
// method does nothing.
func (m *Manager) SetReservedConcurrency(functionARN string, n int) {
	if m.local != nil {
		m.local.setReserved(unqualified(functionARN), n)
	}
}

// unqualified returns a function ARN without its version or alias.
func unqualified(arn string) string {
	// arn:aws:lambda:region:account:function:name[:qualifier]
	parts := strings.SplitN(arn, ":", 8)
	if len(parts) == 8 {
		return strings.Join(parts[:7], ":")
	}
	return arn
}

// arnAccount returns the account field of an ARN ("" if arn is not one).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// Invoke runs one synchronous invocation of the function version cfg,
// whose environments are shared by every invocation with the same key.
// Failures of the function (errors, crashes, timeouts, out of memory,
// response too large) are reported in the Result; errors are
// ErrRequestTooLarge, *ThrottleError, ErrClosed, the context's error, and
// failures to set up an environment (such as a hook's error).
func (m *Manager) Invoke(ctx context.Context, cfg *Config, key string, payload []byte, opts InvokeOptions) (*Result, error) {
	if len(payload) > MaxRequestPayload {
		return nil, ErrRequestTooLarge
	}
	if family(cfg.Runtime) == "" {
		return nil, fmt.Errorf("runtime: unsupported runtime %q", cfg.Runtime)
	}
	release, err := m.acquire(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer release()
	reqID := opts.RequestID
	if reqID == "" {
		reqID = newUUID()
	}
	if opts.TraceID == "" {
		opts.TraceID = newTraceID()
	}
	arn := opts.InvokedARN
	if arn == "" {
		arn = cfg.FunctionARN
	}
	for {
		e, cold, err := m.get(key, cfg)
		if err != nil {
			return nil, err
		}
		res, err := m.invokeEnv(ctx, e, cold, reqID, arn, payload, opts)
		if errors.Is(err, errNotDelivered) && !cold {
			continue // the idle environment had died; take another
		}
		return res, err
	}
}

func (m *Manager) invokeEnv(ctx context.Context, e *env, cold bool, reqID, arn string, payload []byte, opts InvokeOptions) (*Result, error) {
	t0 := time.Now()
	res := &Result{RequestID: reqID, ColdStart: cold}
	var pre []LogEvent
	if cold {
		initD, f, err := e.start(ctx, reqID)
		if err != nil {
			m.retire(e)
			return nil, err
		}
		res.InitDuration = initD
		if f != nil {
			e.syncLogs(ctx)
			pre = e.out.take(true)
			inv := &invocation{id: reqID, opts: opts}
			res.Duration = time.Since(t0)
			res.Payload, res.FunctionError = f.payload(), FunctionErrorUnhandled
			res.MaxMemoryMB = e.maxMemoryMB()
			res.Log = e.logFor(inv, pre, nil, f.logLines(), res.Duration, initD, "error", f.errType)
			m.retire(e)
			return res, nil
		}
		e.syncLogs(ctx)
		pre = e.out.take(false)
	} else {
		e.out.collect()
	}
	start := time.Now()
	inv := newInvocation(reqID, payload, start.Add(e.cfg.Timeout), arn, opts)
	resp, f, fnErr, reusable, err := e.run(ctx, inv)
	res.Duration = time.Since(start)
	if errors.Is(err, errNotDelivered) && cold {
		f, err = exitFailure(reqID, e.exitErr, e.outOfMemory()), nil
	}
	if err != nil {
		e.out.take(true)
		m.retire(e)
		return nil, err
	}
	e.syncLogs(ctx)
	body := e.out.take(true)
	res.Payload = resp
	extra := ""
	status, errType := "success", ""
	switch {
	case f != nil:
		res.Payload, res.FunctionError = f.payload(), FunctionErrorUnhandled
		extra = f.logLines()
		status, errType = "error", f.errType
		if f.errType == "Sandbox.Timedout" {
			extra = fmt.Sprintf("%s %s Task timed out after %.2f seconds\n",
				time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), reqID, e.cfg.Timeout.Seconds())
			status = "timeout"
		}
	case fnErr:
		res.FunctionError = FunctionErrorUnhandled
		status, errType = "error", inv.errType
	}
	res.MaxMemoryMB = e.maxMemoryMB()
	res.Log = e.logFor(inv, pre, body, extra, res.Duration, res.InitDuration, status, errType)
	m.put(e, reusable)
	return res, nil
}

// syncLogs waits briefly until the environment's output so far is read.
func (e *env) syncLogs(ctx context.Context) {
	d := time.Second
	if !e.alive() {
		d = 100 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	e.out.sync(ctx)
	cancel()
}

// acquire counts one invocation of cfg's function with the admission.
func (m *Manager) acquire(ctx context.Context, cfg *Config) (func(), error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return m.admission.Acquire(ctx, cfg)
}

// get returns an idle environment of key, or a new one not yet started.
func (m *Manager) get(key string, cfg *Config) (*env, bool, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, false, ErrClosed
	}
	p := m.pools[key]
	if p == nil {
		c := *cfg
		c.Env = maps.Clone(cfg.Env)
		p = &pool{key: key, cfg: &c}
		m.pools[key] = p
	}
	for len(p.idle) > 0 {
		e := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if e.alive() && !m.expiring(e) {
			m.mu.Unlock()
			return e, false, nil
		}
		m.bgStop(e)
	}
	uid, err := m.uids.get()
	if err != nil {
		m.mu.Unlock()
		return nil, false, err
	}
	id := randomHex(16)
	e := &env{m: m, pool: p, cfg: p.cfg, uid: uid}
	e.info = EnvInfo{ID: id, Key: key, Function: p.cfg, UID: uid,
		LogStream: time.Now().UTC().Format("2006/01/02") + "/[" + p.cfg.Version + "]" + id}
	p.n++
	m.envs.Add(1)
	m.mu.Unlock()

	p.codeOnce.Do(func() { m.prepareCode(p) })
	if p.codeErr != nil {
		m.retire(e)
		return nil, false, p.codeErr
	}
	e.code = p.code
	return e, true, nil
}

// prepareCode makes the task root readable by the function's user: the
// code directory itself when it is, else a staged copy.
func (m *Manager) prepareCode(p *pool) {
	dir, err := filepath.Abs(p.cfg.CodeDir)
	if err != nil {
		p.codeErr = err
		return
	}
	if !m.isolation.Dropped || otherCanRead(dir) {
		p.code = dir
		return
	}
	s, err := m.stage.acquire(dir)
	if err != nil {
		p.codeErr = err
		return
	}
	p.code = s.dir
	m.mu.Lock()
	p.staged = s
	m.mu.Unlock()
}

func (m *Manager) expiring(e *env) bool {
	exp := e.creds.Expiration
	return !exp.IsZero() && time.Now().Add(e.cfg.Timeout+m.opts.CredentialMargin).After(exp)
}

// put returns an environment after an invocation.
func (m *Manager) put(e *env, reusable bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := e.pool
	if !reusable || !e.alive() || p.draining || m.closed || m.expiring(e) {
		m.bgStop(e)
		return
	}
	e.lastUsed = time.Now()
	p.idle = append(p.idle, e)
}

// retire stops an environment that is not in the idle list.
func (m *Manager) retire(e *env) {
	m.mu.Lock()
	m.bgStop(e)
	m.mu.Unlock()
}

// bgStop stops e in the background; m.mu is held.
func (m *Manager) bgStop(e *env) {
	go func() {
		e.stop()
		m.mu.Lock()
		p := e.pool
		p.n--
		var staged *stagedCode
		if p.n == 0 && p.draining {
			staged, p.staged = p.staged, nil
		}
		m.mu.Unlock()
		if staged != nil {
			m.stage.release(staged)
		}
		m.envs.Done()
	}()
}

// Drain retires the environments of key: idle ones stop now, busy ones
// after their invocation. Each stopped environment calls Hooks.Stop. The
// next Invoke with key starts new environments.
func (m *Manager) Drain(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.pools[key]; p != nil {
		delete(m.pools, key)
		m.drainLocked(p)
	}
}

func (m *Manager) drainLocked(p *pool) {
	p.draining = true
	for _, e := range p.idle {
		m.bgStop(e)
	}
	p.idle = nil
	if p.n == 0 && p.staged != nil {
		staged := p.staged
		p.staged = nil
		go m.stage.release(staged)
	}
}

// Close stops every environment, killing running invocations, and waits
// until all are gone or ctx is done.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for k, p := range m.pools {
		delete(m.pools, k)
		m.drainLocked(p)
	}
	m.mu.Unlock()
	close(m.done)
	waited := make(chan struct{})
	go func() { m.envs.Wait(); m.bg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		return ctx.Err()
	}
	err := os.RemoveAll(filepath.Join(m.workDir, "code"))
	if m.sb != nil {
		err = errors.Join(err, m.sb.Close())
	}
	if m.cg != nil {
		err = errors.Join(err, m.cg.Close(ctx))
	}
	err = errors.Join(err, m.uids.close())
	if m.ownWorkDir {
		err = errors.Join(err, os.RemoveAll(m.workDir), m.owner.Close())
	}
	return err
}

// reap stops idle environments past the idle timeout or close to the
// expiry of their credentials.
func (m *Manager) reap() {
	every := min(max(m.opts.IdleTimeout/4, 10*time.Millisecond), 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		now := time.Now()
		m.mu.Lock()
		for _, p := range m.pools {
			keep := p.idle[:0]
			for _, e := range p.idle {
				if now.Sub(e.lastUsed) >= m.opts.IdleTimeout || !e.alive() || m.expiring(e) {
					m.bgStop(e)
					continue
				}
				keep = append(keep, e)
			}
			clear(p.idle[len(keep):])
			p.idle = keep
			if p.n == 0 {
				// Nothing runs for this key: forget it and release its staged code.
				delete(m.pools, p.key)
				m.drainLocked(p)
			}
		}
		m.mu.Unlock()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newTraceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8))
}
