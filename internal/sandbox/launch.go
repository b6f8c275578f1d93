package sandbox

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"syscall"

	"golang.org/x/sys/unix"
)

// initArg0 is argv[0] of a sandbox init: Init recognises its process by it.
const initArg0 = "rolecall-sandbox-init"

// initFD is the init's end of its socket to the launcher: it receives the
// Spec (and the program's stdout and stderr) on it, reports a failure on
// it, and the socket closes on its side when the program is executed.
const initFD = 3

// readyByte is what an init writes first, once it has prepared all it can
// without a Spec; anything else it writes says why it failed.
const readyByte = 0

// maxWire bounds an encoded Spec.
const maxWire = 16 << 20

// wireSpec is what the launcher sends the init: the Spec (without its
// files and hook) and where to build it.
type wireSpec struct {
	Spec
	Root      string // host directory to mount the new root on
	TmpDevice string // block device holding /tmp's ext4; empty: a tmpfs
}

// spare is an init started and waiting for its Spec, with a /tmp disk
// when the host has loop devices.
type spare struct {
	cmd   *exec.Cmd
	conn  *net.UnixConn
	disk  *disk
	ready bool // its ready byte has been read

	// For spares made ahead: prepared is closed once the init is ready
	// (ready is then set) or has failed (failed says why).
	prepared chan struct{}
	failed   error
}

// wire checks spec and fills in its defaults.
func (l *Launcher) wire(spec Spec) (*wireSpec, error) {
	if spec.Path == "" {
		return nil, errors.New("sandbox: no program")
	}
	if spec.UID <= 0 || spec.GID <= 0 {
		return nil, fmt.Errorf("sandbox: uid %d gid %d: a sandbox never runs as root", spec.UID, spec.GID)
	}
	if spec.TmpBytes < 0 || spec.ShmBytes < 0 {
		return nil, fmt.Errorf("sandbox: negative size (tmp %d, shm %d)", spec.TmpBytes, spec.ShmBytes)
	}
	for _, m := range spec.Mounts {
		if !path.IsAbs(m.Target) || path.Clean(m.Target) == "/" || !path.IsAbs(m.Source) {
			return nil, fmt.Errorf("sandbox: mount %s -> %s: source and target must be absolute, target not /", m.Source, m.Target)
		}
	}
	for _, d := range spec.Cgroups {
		if !path.IsAbs(d) || path.Clean(d) != d {
			return nil, fmt.Errorf("sandbox: cgroup %q: not a clean absolute path", d)
		}
	}
	for name := range spec.Files {
		if !path.IsAbs(name) || path.Clean(name) == "/" {
			return nil, fmt.Errorf("sandbox: file %q: not an absolute file path", name)
		}
	}
	w := &wireSpec{Spec: spec, Root: l.root}
	if w.Dir == "" {
		w.Dir = "/"
	}
	if w.Hostname == "" {
		w.Hostname = "localhost"
	}
	if w.TmpBytes == 0 {
		w.TmpBytes = DefaultTmpBytes
	}
	if w.ShmBytes == 0 {
		w.ShmBytes = DefaultShmBytes
	}
	if w.NoFile == 0 {
		w.NoFile = DefaultNoFile
	}
	if w.NProc == 0 {
		w.NProc = DefaultNProc
	}
	return w, nil
}

// take returns a spare: a ready one, else the one being prepared (which is
// further along than a new one would be), else a new init.
func (l *Launcher) take(ctx context.Context) (*spare, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, ErrClosed
		}
		var s *spare
		if len(l.pool) > 0 {
			i := 0
			for j, c := range l.pool {
				if c.isPrepared() {
					i = j
					break
				}
			}
			s = l.pool[i]
			l.pool = append(l.pool[:i], l.pool[i+1:]...)
		}
		l.mu.Unlock()
		if s == nil {
			return l.spawn(ctx, false)
		}
		// Its main thread, which reads the spec and becomes the program,
		// runs at the launcher's priority from now.
		renice(s.cmd.Process.Pid, l.nice)
		select {
		case <-s.prepared:
		case <-ctx.Done():
			return nil, errors.Join(fmt.Errorf("sandbox: %w", ctx.Err()), s.discard())
		}
		if s.failed == nil && s.alive() {
			return s, nil
		}
		_ = s.discard() // failed, or died while waiting (killed from outside): try the next
	}
}

// isPrepared reports whether the spare's init is ready or has failed.
func (s *spare) isPrepared() bool {
	select {
	case <-s.prepared:
		return true
	default:
		return false
	}
}

// filler keeps l.spares spares, made one at a time, woken by New and by
// each Start.
func (l *Launcher) filler() {
	defer l.fill.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-l.done
		cancel()
	}()
	for {
		select {
		case <-l.done:
			return
		case <-l.wake:
		}
		for {
			l.mu.Lock()
			full := l.closed || len(l.pool) >= l.spares
			l.mu.Unlock()
			if full {
				break
			}
			s, err := l.spawn(ctx, true)
			if err != nil {
				break // Start starts its own and reports why; try again at the next Start
			}
			s.prepared = make(chan struct{})
			go s.awaitReady()
			l.mu.Lock()
			if l.closed {
				l.mu.Unlock()
				_ = s.discard()
				return
			}
			l.pool = append(l.pool, s)
			l.mu.Unlock()
			select {
			case <-s.prepared:
			case <-l.done:
				return // Close discards it
			}
			if s.failed != nil {
				if l.remove(s) {
					_ = s.discard()
				}
				break // as above
			}
		}
	}
}

// remove takes s out of the pool, if it is still there.
func (l *Launcher) remove(s *spare) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, c := range l.pool {
		if c == s {
			l.pool = append(l.pool[:i], l.pool[i+1:]...)
			return true
		}
	}
	return false
}

// spareNice is how much nicer than the launcher a spare is made: it is
// made while sandboxes just started are busy with their first event.
const spareNice = 10

// spawn starts an init. A spare (made ahead, at a lower priority) first
// gets a /tmp disk of the size the last Start asked for, which the init
// mounts while it waits.
func (l *Launcher) spawn(ctx context.Context, ahead bool) (*spare, error) {
	s := &spare{}
	nice := l.nice
	if ahead {
		nice += spareNice
	}
	if ahead && l.loop {
		d, err := newDisk(ctx, l.dir, l.spareTmp.Load(), nice)
		if err != nil {
			return nil, err
		}
		s.disk = d
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sandbox: socket pair: %w", err), s.releaseDisk())
	}
	mine := os.NewFile(uintptr(fds[0]), "sandbox-init")
	theirs := os.NewFile(uintptr(fds[1]), "sandbox-init")
	defer func() { _ = theirs.Close() }() // the init holds its own copy
	c, err := net.FileConn(mine)
	_ = mine.Close() // FileConn made its own copy
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sandbox: socket pair: %w", err), s.releaseDisk())
	}
	s.conn = c.(*net.UnixConn)
	dev := ""
	if s.disk != nil {
		dev = s.disk.dev
	}
	s.cmd = &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{initArg0, l.root, dev, l.hide},
		Env:        []string{},
		ExtraFiles: []*os.File{theirs},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS,
			Pdeathsig:  syscall.SIGKILL,
			Setsid:     true,
		},
	}
	if err := s.cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("sandbox: starting init: %w", err), s.conn.Close(), s.releaseDisk())
	}
	renice(s.cmd.Process.Pid, nice)
	return s, nil
}

// releaseDisk releases the spare's disk, if it has one.
func (s *spare) releaseDisk() error {
	if s.disk == nil {
		return nil
	}
	err := s.disk.release()
	s.disk = nil
	return err
}

// awaitReady reads the init's ready byte, or why it failed, and closes
// s.prepared.
func (s *spare) awaitReady() {
	defer close(s.prepared)
	b := make([]byte, 1)
	if _, err := io.ReadFull(s.conn, b); err != nil || b[0] != readyByte {
		s.failed = fmt.Errorf("sandbox: init %d not ready: %s", s.cmd.Process.Pid, s.report(b))
		return
	}
	s.ready = true
}

// report reads what the init writes until it executes the program or
// exits: nothing, or why it failed. first is what was read already.
func (s *spare) report(first []byte) string {
	rest, _ := io.ReadAll(io.LimitReader(s.conn, 64<<10)) // a broken socket ends the report as its end does
	b := append(first, rest...)
	if !s.ready && len(b) > 0 && b[0] == readyByte {
		s.ready = true
		b = b[1:]
	}
	return string(b)
}

// alive reports whether the spare's init still waits: its socket has
// nothing to read and is not closed.
func (s *spare) alive() bool {
	raw, err := s.conn.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	_ = raw.Control(func(fd uintptr) {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(p, 0)
		ok = err == nil && n == 0
	})
	return ok
}

// discard kills the spare's init and releases its disk.
func (s *spare) discard() error {
	_ = s.cmd.Process.Kill() // already gone: nothing to kill
	_ = s.cmd.Wait()         // killed: its status says only that
	return errors.Join(s.conn.Close(), s.releaseDisk())
}

// launch hands w to the init s and waits until it executes the program.
func (l *Launcher) launch(ctx context.Context, s *spare, w *wireSpec, spec Spec) (_ *Process, err error) {
	defer func() {
		if err != nil {
			err = errors.Join(err, s.discard())
		}
	}()
	if l.loop {
		w.TmpDevice = ""
		if s.disk != nil && s.disk.size == w.TmpBytes {
			w.TmpDevice = s.disk.dev
		} else {
			// The init mounts this one instead of the spare's, which the
			// kernel frees once both let it go.
			d, err := newDisk(ctx, l.dir, w.TmpBytes, l.nice)
			if err != nil {
				return nil, err
			}
			defer func() { _ = d.release() }() // mounted by the init, or never to be
			w.TmpDevice = d.dev
		}
	}
	if spec.Enter != nil {
		if err := spec.Enter(s.cmd.Process.Pid); err != nil {
			return nil, fmt.Errorf("sandbox: entering pid %d: %w", s.cmd.Process.Pid, err)
		}
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("sandbox: encoding spec: %w", err)
	}
	if len(payload) > maxWire {
		return nil, fmt.Errorf("sandbox: spec of %d bytes, more than %d", len(payload), maxWire)
	}
	var stdio [2]*os.File
	for i, f := range []*os.File{spec.Stdout, spec.Stderr} {
		if f == nil {
			null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				return nil, fmt.Errorf("sandbox: %w", err)
			}
			defer func() { _ = null.Close() }() // the init has its copy once sent
			f = null
		}
		stdio[i] = f
	}
	var fds [2]int
	for i, f := range stdio {
		// Not f.Fd(), which would make the caller's file blocking.
		raw, err := f.SyscallConn()
		if err == nil {
			err = raw.Control(func(fd uintptr) { fds[i] = int(fd) })
		}
		if err != nil {
			return nil, fmt.Errorf("sandbox: output file: %w", err)
		}
	}
	rights := unix.UnixRights(fds[0], fds[1])
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	msg = append(msg, payload...)

	stop := context.AfterFunc(ctx, func() { _ = s.cmd.Process.Kill() })
	defer stop()
	n, _, err := s.conn.WriteMsgUnix(msg, rights, nil)
	if err == nil && n < len(msg) {
		_, err = s.conn.Write(msg[n:])
	}
	if err != nil {
		// An init that failed before it read the spec said why.
		if report := s.report(nil); report != "" {
			return nil, fmt.Errorf("sandbox: %s", report)
		}
		return nil, fmt.Errorf("sandbox: sending spec to init %d: %w", s.cmd.Process.Pid, err)
	}
	// The init's end closes when it executes the program (close-on-exec);
	// before that it only writes that it is ready and why it failed.
	if report := s.report(nil); report != "" {
		return nil, fmt.Errorf("sandbox: %s", report)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("sandbox: starting %s: %w", w.Path, ctx.Err())
	}
	// The program holds the disk through its /tmp mount now.
	_ = s.releaseDisk() // closing our descriptor of the device: nothing to flush
	_ = s.conn.Close()  // read to its end: nothing to flush
	p := &Process{Pid: s.cmd.Process.Pid, cmd: s.cmd}
	return p, nil
}

// renice sets the niceness of process pid's main thread (the threads it
// starts afterwards inherit it); a process already gone is left alone.
// It only orders the host's work: a change it misses leaves a process
// running sooner or later, never with more than it may do.
func renice(pid, nice int) {
	_ = unix.Setpriority(unix.PRIO_PROCESS, pid, nice) // see above
}

// ownNice returns this thread's niceness.
func ownNice() int {
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		return 0
	}
	return 20 - prio // the system call's answer, not libc's
}
