// Package sandbox starts one program in an execution environment of its
// own, as AWS Lambda runs a function: its own mount, PID, IPC and UTS
// namespaces, a read-only root that holds only what the environment is
// given, a private /tmp disk of the function's EphemeralStorage size, no
// capabilities, no_new_privs, a seccomp filter and a non-root uid. The
// network stays the host's, so a function reaches rolecall on 127.0.0.1.
//
// A sandbox is started by re-executing this binary (/proc/self/exe) as a
// small init that builds the environment and then executes the program, so
// every binary that uses a Launcher calls Init first thing in main (and in
// TestMain). The program becomes pid 1 of its PID namespace: when it dies,
// the kernel kills every process of the environment, and it dies when the
// process that started it dies, however that dies (PR_SET_PDEATHSIG).
//
// Everything here needs root (CAP_SYS_ADMIN in the initial user
// namespace); New says what is missing.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Lambda's defaults for the limits a Spec leaves at zero.
const (
	// DefaultTmpBytes is the size of /tmp when Spec.TmpBytes is zero:
	// Lambda's default EphemeralStorage, 512 MB.
	DefaultTmpBytes = 512 << 20
	// DefaultShmBytes is the size of /dev/shm when Spec.ShmBytes is zero.
	DefaultShmBytes = 64 << 20
	// DefaultNoFile is RLIMIT_NOFILE when Spec.NoFile is zero (Lambda: 1024).
	DefaultNoFile = 1024
	// DefaultNProc is RLIMIT_NPROC when Spec.NProc is zero (Lambda: 1024).
	DefaultNProc = 1024
)

// Options configure a Launcher.
type Options struct {
	// WorkDir holds the launcher's per-sandbox files (the /tmp disk images
	// while they are made, and the empty directory each sandbox mounts its
	// new root on). It is created if missing. Required.
	WorkDir string
	// Spares is the number of inits kept started and waiting for a Spec,
	// so that Start does not pay for starting one (nor for making its /tmp
	// disk, when the Spec asks for the size the last Start asked for,
	// DefaultTmpBytes at first); 0 means 1, a negative number none.
	Spares int
	// Hide are host paths that every sandbox gets (they are under /usr or
	// /etc, or under a Mount) and must not see, such as rolecall's data
	// directory put under /etc: each is covered, a directory by an empty
	// read-only one, a file by an empty read-only file. Absolute paths;
	// those a sandbox does not have are ignored.
	Hide []string
}

// Mount is a bind mount of a host path into the sandbox: a directory or a
// file, read-only unless Writable, always nosuid and nodev.
type Mount struct {
	Source   string // host path
	Target   string // absolute path inside the sandbox
	Writable bool
}

// Spec describes the program a sandbox runs and what it is given.
type Spec struct {
	// Path is the program, as seen inside the sandbox: absolute, or a name
	// looked up in Env's PATH there. Args are its arguments after the
	// name (argv[0] is Path), as for exec.Command.
	Path string
	Args []string
	// Env is the program's whole environment; nothing of the host's is
	// added. Dir is its working directory inside the sandbox ("/" when
	// empty).
	Env []string
	Dir string

	// UID and GID are the host ids the program runs as; never 0.
	UID, GID int

	// Hostname is the UTS namespace's host name ("localhost" when empty).
	Hostname string

	// Mounts are bind mounts into the new root, made in order of depth
	// (a parent before what is mounted under it).
	Mounts []Mount
	// Files are files made inside the new root before it is sealed
	// read-only, by absolute path, readable by everyone, written by no one
	// (for example /etc/passwd naming the function's user); at most 16 MB
	// in all. A file under a
	// read-only bind mount (such as /etc) must already exist there; it is
	// covered, not changed.
	Files map[string][]byte

	// TmpBytes is the size in bytes of the private /tmp (Lambda's
	// EphemeralStorage; DefaultTmpBytes when zero): a disk of its own, so
	// writing past it fails with ENOSPC and its data is not memory.
	TmpBytes int64
	// ShmBytes is the size in bytes of the private /dev/shm (a tmpfs, so
	// charged to the memory cgroup of the process that writes it;
	// DefaultShmBytes when zero).
	ShmBytes int64
	// NoFile and NProc are RLIMIT_NOFILE and RLIMIT_NPROC (DefaultNoFile
	// and DefaultNProc when zero). RLIMIT_CORE is always 0.
	NoFile, NProc uint64

	// Stdout and Stderr receive the program's output; nil is /dev/null.
	// Its standard input is always /dev/null.
	Stdout, Stderr *os.File `json:"-"` // passed as descriptors, not in the spec's encoding

	// Cgroups are cgroup v1 group directories, one per hierarchy, that
	// the init joins before it does anything for this Spec: its main
	// thread, the one that becomes the program, writes 0 to each one's
	// tasks file. A thread that moves itself spares the kernel's global
	// lock, and the RCU grace period it waits for (milliseconds), that
	// moving another process takes; the init's other threads end at
	// execve and start nothing before. An error stops Start. cgroup v2
	// has no such move (a group there is joined by the whole process):
	// use Enter.
	Cgroups []string

	// Enter, if set, is called with the init's host pid after the init is
	// started and before it does anything for this Spec (the caller puts
	// the process into the environment's cgroups here: write the pid to
	// cgroup.procs, since the init has several threads). An error stops
	// Start.
	Enter func(pid int) error `json:"-"`
}

// Launcher starts sandboxes. It is safe for concurrent use.
type Launcher struct {
	dir    string // Options.WorkDir
	root   string // empty directory under dir each sandbox mounts its root on
	hide   string // Options.Hide, JSON for the inits' arguments
	spares int
	loop   bool // /tmp is a loop-mounted disk; false: a tmpfs
	why    string
	nice   int // the launcher's niceness, the sandboxes' too

	spareTmp atomic.Int64 // bytes of the /tmp disk spares get: the last size asked for

	wake chan struct{} // asks the filler for more spares
	done chan struct{} // closed by Close
	fill sync.WaitGroup

	mu     sync.Mutex
	pool   []*spare // spares, ready or being prepared
	closed bool
}

// Process is a started sandbox.
type Process struct {
	// Pid is the host process id of the sandbox's pid 1, the program; it
	// leads its own session and process group.
	Pid int

	cmd  *exec.Cmd
	once sync.Once
	err  error
}

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("sandbox: launcher closed")

// New checks that the host can run sandboxes (root, namespaces, seccomp;
// loop devices and mkfs.ext4 for /tmp disks, else /tmp falls back to a
// tmpfs and Describe says so) and starts the spare inits in the
// background. The error says what is missing.
func New(opts Options) (*Launcher, error) {
	if opts.WorkDir == "" {
		return nil, errors.New("sandbox: no work directory")
	}
	for _, h := range opts.Hide {
		if !filepath.IsAbs(h) {
			return nil, fmt.Errorf("sandbox: hide %q: not an absolute path", h)
		}
	}
	hide, err := json.Marshal(opts.Hide)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	root := opts.WorkDir + "/root"
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: work directory: %w", err)
	}
	loop, why, err := checkHost(opts.WorkDir)
	if err != nil {
		return nil, err
	}
	l := &Launcher{
		dir:    opts.WorkDir,
		root:   root,
		hide:   string(hide),
		spares: opts.Spares,
		loop:   loop,
		why:    why,
		nice:   ownNice(),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	if l.spares == 0 {
		l.spares = 1
	}
	l.spareTmp.Store(DefaultTmpBytes)
	if l.spares > 0 {
		l.fill.Add(1)
		go l.filler()
		l.wake <- struct{}{}
	}
	return l, nil
}

// Describe returns one line for the banner: what each sandbox isolates and
// how.
func (l *Launcher) Describe() string {
	tmp := "/tmp is a private ext4 disk on a loop device"
	if !l.loop {
		tmp = "/tmp is memory-backed (" + l.why + ")"
	}
	return fmt.Sprintf("sandbox: each environment in its own mount, PID, IPC and UTS namespaces on a read-only root; "+
		"no capabilities, no_new_privs, seccomp (%d system calls and other architectures' calling conventions refused), its own uid; %s", len(deniedSyscalls()), tmp)
}

// Close kills the spare inits and releases their disks. Sandboxes already
// started are not touched.
func (l *Launcher) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	l.mu.Unlock()
	l.fill.Wait()
	l.mu.Lock()
	pool := l.pool
	l.pool = nil
	l.mu.Unlock()
	var errs []error
	for _, s := range pool {
		errs = append(errs, s.discard())
	}
	return errors.Join(errs...)
}

// Start starts spec's program in a new sandbox and returns once the
// program is executed (or the environment could not be built: the error
// says which step failed). ctx bounds the start only; cancelling it
// afterwards does not stop the sandbox (use Kill).
func (l *Launcher) Start(ctx context.Context, spec Spec) (*Process, error) {
	w, err := l.wire(spec)
	if err != nil {
		return nil, err
	}
	s, err := l.take(ctx)
	if err != nil {
		return nil, err
	}
	p, err := l.launch(ctx, s, w, spec)
	l.spareTmp.Store(w.TmpBytes)
	if l.spares > 0 {
		// Replace the spare once this sandbox has started its program.
		time.AfterFunc(refillDelay, l.refill)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// refillDelay is how long after a Start the filler is asked to replace the
// spare it took. The program just started is busy with its first event
// then, and making a spare (a /tmp disk, a process, a dozen mounts) at the
// same time competes with it for the CPU and for the kernel's mount and
// device locks, which a lower priority does not avoid: a Go function's
// cold start through the Invoke API measured 25 ms p50 with the spare
// made at once, 13 ms with it made 25 ms later.
const refillDelay = 25 * time.Millisecond

// refill asks the filler for more spares.
func (l *Launcher) refill() {
	select {
	case l.wake <- struct{}{}:
	default: // already asked
	}
}

// Wait waits for the program to exit and reports it as exec.Cmd.Wait
// does. When it returns every process of the sandbox is gone and its /tmp
// disk is released (the kernel frees it as the mount namespace ends). It
// may be called more than once.
func (p *Process) Wait() error {
	p.once.Do(func() { p.err = p.cmd.Wait() })
	return p.err
}

// Kill sends SIGKILL to the sandbox's pid 1; the kernel then kills every
// other process of its PID namespace. Killing a sandbox that has exited
// does nothing.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill() // os.ErrProcessDone after Wait: nothing to kill
}
