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

// maxWire bounds an encoded Spec.
const maxWire = 16 << 20

// wireSpec is what the launcher sends the init.
type wireSpec struct {
	Root      string // host directory to mount the new root on
	Path      string
	Args      []string
	Env       []string
	Dir       string
	UID, GID  int
	Hostname  string
	Mounts    []Mount
	Files     map[string][]byte
	TmpDevice string // block device holding /tmp's ext4; empty: a tmpfs
	TmpBytes  int64
	ShmBytes  int64
	NoFile    uint64
	NProc     uint64
}

// spare is an init started and waiting for its Spec, with a /tmp disk of
// the default size when the host has loop devices.
type spare struct {
	cmd  *exec.Cmd
	conn *net.UnixConn
	disk *disk
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
	for name := range spec.Files {
		if !path.IsAbs(name) || path.Clean(name) == "/" {
			return nil, fmt.Errorf("sandbox: file %q: not an absolute file path", name)
		}
	}
	w := &wireSpec{
		Root: l.root, Path: spec.Path, Args: spec.Args, Env: spec.Env, Dir: spec.Dir,
		UID: spec.UID, GID: spec.GID, Hostname: spec.Hostname,
		Mounts: spec.Mounts, Files: spec.Files,
		TmpBytes: spec.TmpBytes, ShmBytes: spec.ShmBytes, NoFile: spec.NoFile, NProc: spec.NProc,
	}
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

// take returns a ready spare, or starts an init when there is none.
func (l *Launcher) take(ctx context.Context) (*spare, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, ErrClosed
		}
		var s *spare
		if n := len(l.ready); n > 0 {
			s = l.ready[n-1]
			l.ready = l.ready[:n-1]
		}
		l.mu.Unlock()
		if s == nil {
			return l.spawn(ctx, false)
		}
		if s.alive() {
			return s, nil
		}
		_ = s.discard() // died while waiting (killed from outside): try the next
	}
}

// filler keeps l.spares spares ready, woken by New and by each Start.
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
			full := l.closed || len(l.ready) >= l.spares
			l.mu.Unlock()
			if full {
				break
			}
			s, err := l.spawn(ctx, true)
			if err != nil {
				break // Start starts its own and reports why; try again at the next Start
			}
			l.mu.Lock()
			if l.closed {
				l.mu.Unlock()
				_ = s.discard()
				return
			}
			l.ready = append(l.ready, s)
			l.mu.Unlock()
		}
	}
}

// spawn starts an init; withDisk also makes it a /tmp disk of the default
// size.
func (l *Launcher) spawn(ctx context.Context, withDisk bool) (*spare, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox: socket pair: %w", err)
	}
	mine := os.NewFile(uintptr(fds[0]), "sandbox-init")
	theirs := os.NewFile(uintptr(fds[1]), "sandbox-init")
	defer func() { _ = theirs.Close() }() // the init holds its own copy
	c, err := net.FileConn(mine)
	_ = mine.Close() // FileConn made its own copy
	if err != nil {
		return nil, fmt.Errorf("sandbox: socket pair: %w", err)
	}
	conn := c.(*net.UnixConn)
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{initArg0},
		Env:        []string{},
		ExtraFiles: []*os.File{theirs},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS,
			Pdeathsig:  syscall.SIGKILL,
			Setsid:     true,
		},
	}
	if err := cmd.Start(); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("sandbox: starting init: %w", err)
	}
	s := &spare{cmd: cmd, conn: conn}
	if withDisk && l.loop {
		d, err := newDisk(ctx, l.dir, DefaultTmpBytes)
		if err != nil {
			return nil, errors.Join(err, s.discard())
		}
		s.disk = d
	}
	return s, nil
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
	err := s.conn.Close()
	if s.disk != nil {
		err = errors.Join(err, s.disk.release())
	}
	return err
}

// launch hands w to the init s and waits until it executes the program.
func (l *Launcher) launch(ctx context.Context, s *spare, w *wireSpec, spec Spec) (_ *Process, err error) {
	defer func() {
		if err != nil {
			err = errors.Join(err, s.discard())
		}
	}()
	if l.loop {
		if s.disk == nil || s.disk.size != w.TmpBytes {
			if s.disk != nil {
				if err := s.disk.release(); err != nil {
					return nil, err
				}
			}
			s.disk = nil
			d, err := newDisk(ctx, l.dir, w.TmpBytes)
			if err != nil {
				return nil, err
			}
			s.disk = d
		}
		w.TmpDevice = s.disk.dev
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
	rights := unix.UnixRights(int(stdio[0].Fd()), int(stdio[1].Fd()))
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	msg = append(msg, payload...)

	stop := context.AfterFunc(ctx, func() { _ = s.cmd.Process.Kill() })
	defer stop()
	n, _, err := s.conn.WriteMsgUnix(msg, rights, nil)
	if err == nil && n < len(msg) {
		_, err = s.conn.Write(msg[n:])
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: sending spec to init %d: %w", s.cmd.Process.Pid, err)
	}
	// The init's end closes when it executes the program (close-on-exec);
	// before that it only ever writes why it failed.
	report, err := io.ReadAll(io.LimitReader(s.conn, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("sandbox: reading init %d: %w", s.cmd.Process.Pid, err)
	}
	if len(report) > 0 {
		return nil, fmt.Errorf("sandbox: %s", report)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("sandbox: starting %s: %w", w.Path, ctx.Err())
	}
	// The program holds the disk through its /tmp mount now.
	if s.disk != nil {
		_ = s.disk.release() // closing our descriptor of the device: nothing to flush
		s.disk = nil
	}
	_ = s.conn.Close() // read to its end: nothing to flush
	p := &Process{Pid: s.cmd.Process.Pid, cmd: s.cmd}
	return p, nil
}
