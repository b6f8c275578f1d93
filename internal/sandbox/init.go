package sandbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

func init() {
	if isInit() {
		// The whole init runs on the main thread: the parent-death signal
		// and the credentials the program is executed with belong to the
		// thread that calls execve, and the main thread is the one the
		// kernel watches for the parent's death.
		runtime.LockOSThread()
		// The init runs here, when the package is initialised, not
		// only when main calls Init: every binary that links the package
		// (a test binary whose tests start a server, through any import
		// path) is then a sandbox init when a Launcher starts it as one.
		// A binary that left the call out would otherwise run its own
		// main (a test binary its tests, starting servers that start
		// inits, each running the tests again).
		Init()
	}
}

// isInit reports whether this process was started as a sandbox init.
func isInit() bool {
	return len(os.Args) > 0 && os.Args[0] == initArg0
}

// Init builds the sandbox, executes the program and never returns in a
// process a Launcher started as a sandbox init; otherwise it returns at
// once. The package calls it when it is initialised, before any main or
// TestMain runs; main may call it first too, to say that the binary is
// one.
func Init() {
	if !isInit() {
		return
	}
	err := runInit()
	// Only a failure returns: say why to the launcher, which reports it
	// from Start.
	_, _ = unix.Write(initFD, []byte(err.Error())) // the launcher may be gone; then no one is left to tell
	os.Exit(1)
}

// runInit receives the Spec, builds the sandbox and executes the program;
// it returns only an error.
func runInit() error {
	if len(os.Args) != 4 {
		return fmt.Errorf("init: arguments %q, want root, /tmp device and hidden paths", os.Args)
	}
	root, tmpDevice := os.Args[1], os.Args[2]
	var hide []string
	if err := json.Unmarshal([]byte(os.Args[3]), &hide); err != nil {
		return fmt.Errorf("init: hidden paths: %w", err)
	}
	if err := prepareRoot(root, tmpDevice); err != nil {
		return err
	}
	filters, err := assembleFilters()
	if err != nil {
		return err
	}
	if _, err := unix.Write(initFD, []byte{readyByte}); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	w, stdio, err := receive()
	if err != nil {
		return err
	}
	if w.Root != root {
		return fmt.Errorf("init: prepared %s, handed a spec for %s", root, w.Root)
	}
	if err := joinCgroups(w.Cgroups); err != nil {
		return err
	}
	if err := finishRoot(w, tmpDevice, hide); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(w.Hostname)); err != nil {
		return fmt.Errorf("sethostname %q: %w", w.Hostname, err)
	}
	for _, l := range []struct {
		res int
		n   uint64
	}{{unix.RLIMIT_NOFILE, w.NoFile}, {unix.RLIMIT_NPROC, w.NProc}, {unix.RLIMIT_CORE, 0}} {
		if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: l.n, Max: l.n}); err != nil {
			return fmt.Errorf("setrlimit %d to %d: %w", l.res, l.n, err)
		}
	}
	if err := dropPrivileges(w.UID, w.GID); err != nil {
		return err
	}
	// setuid cleared the parent-death signal; arm it again, then make
	// sure the parent did not die before: it holds the other end of our
	// socket open until the program is executed.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_PDEATHSIG: %w", err)
	}
	p := []unix.PollFd{{Fd: initFD, Events: unix.POLLRDHUP}}
	if n, err := unix.Poll(p, 0); err != nil || n != 0 {
		os.Exit(1) // the launcher is gone: no one to report to
	}
	if err := os.Chdir(w.Dir); err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	path, err := lookPath(w.Path, w.Env)
	if err != nil {
		return err
	}
	if err := unix.Dup3(stdio[0], 1, 0); err != nil {
		return fmt.Errorf("stdout: %w", err)
	}
	if err := unix.Dup3(stdio[1], 2, 0); err != nil {
		return fmt.Errorf("stderr: %w", err)
	}
	_ = unix.Close(stdio[0]) // close-on-exec anyway
	_ = unix.Close(stdio[1])
	if err := filters.load(); err != nil {
		return err
	}
	argv := append([]string{w.Path}, w.Args...)
	err = unix.Exec(path, argv, w.Env)
	return fmt.Errorf("executing %s: %w", w.Path, err)
}

// joinCgroups moves this thread, the one that executes the program, into
// each cgroup v1 group directory of dirs: it writes 0, itself, to the
// group's tasks file.
func joinCgroups(dirs []string) error {
	for _, d := range dirs {
		fd, err := unix.Open(d+"/tasks", unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("joining cgroup %s: %w", d, err)
		}
		_, err = unix.Write(fd, []byte("0"))
		_ = unix.Close(fd) // nothing buffered: the write above moved the thread or failed
		if err != nil {
			return fmt.Errorf("joining cgroup %s: %w", d, err)
		}
	}
	return nil
}

// receive reads the Spec and the program's stdout and stderr from the
// launcher.
func receive() (*wireSpec, [2]int, error) {
	var stdio [2]int
	unix.CloseOnExec(initFD)
	head := make([]byte, 4)
	oob := make([]byte, unix.CmsgSpace(2*4))
	n, oobn, _, _, err := unix.Recvmsg(initFD, head, oob, unix.MSG_CMSG_CLOEXEC)
	for err == unix.EINTR {
		n, oobn, _, _, err = unix.Recvmsg(initFD, head, oob, unix.MSG_CMSG_CLOEXEC)
	}
	if err != nil {
		return nil, stdio, fmt.Errorf("receiving spec: %w", err)
	}
	if n == 0 {
		os.Exit(1) // the launcher let the spare go
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, stdio, fmt.Errorf("receiving spec: no descriptors (%v)", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 2 {
		return nil, stdio, fmt.Errorf("receiving spec: want 2 descriptors, got %d (%v)", len(fds), err)
	}
	stdio = [2]int{fds[0], fds[1]}
	// Read with the descriptor itself: an *os.File would close it when
	// collected, and the launcher takes that for the program's execution.
	sock := fdReader(initFD)
	if _, err := io.ReadFull(sock, head[n:]); err != nil {
		return nil, stdio, fmt.Errorf("receiving spec: %w", err)
	}
	size := binary.BigEndian.Uint32(head)
	if size > maxWire {
		return nil, stdio, fmt.Errorf("receiving spec: %d bytes", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(sock, b); err != nil {
		return nil, stdio, fmt.Errorf("receiving spec: %w", err)
	}
	w := new(wireSpec)
	if err := json.Unmarshal(b, w); err != nil {
		return nil, stdio, fmt.Errorf("receiving spec: %w", err)
	}
	return w, stdio, nil
}

// fdReader reads a file descriptor.
type fdReader int

func (fd fdReader) Read(b []byte) (int, error) {
	for {
		n, err := unix.Read(int(fd), b)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// dropPrivileges leaves this thread with uid and gid, no supplementary
// groups and no capabilities, now or after execve: the bounding and
// ambient sets are emptied before setuid, which then clears the permitted
// and effective sets, and the inheritable set is cleared last.
func dropPrivileges(uid, gid int) error {
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	last, err := lastCap()
	if err != nil {
		return err
	}
	for c := 0; c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	// On this thread only, the one that executes the program: the
	// others end at execve. (The syscall package's calls would stop every
	// thread to change each.)
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); e != 0 {
		return fmt.Errorf("setresgid %d: %w", gid, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		return fmt.Errorf("setresuid %d: %w", uid, e)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var none [2]unix.CapUserData
	if err := unix.Capset(&hdr, &none[0]); err != nil {
		return fmt.Errorf("clearing capabilities: %w", err)
	}
	return nil
}

// lastCap returns the highest capability number the kernel knows.
func lastCap() (int, error) {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 0, fmt.Errorf("capabilities: %w", err)
	}
	var n int
	if _, err := fmt.Sscanf(string(b), "%d", &n); err != nil {
		return 0, fmt.Errorf("capabilities: cap_last_cap %q: %w", b, err)
	}
	return n, nil
}

// lookPath finds name as execve would be given it: a name with a slash as
// it is, else the first executable file of that name in env's PATH.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathVar := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	for _, dir := range filepath.SplitList(pathVar) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if unix.Access(p, unix.X_OK) == nil {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("executing %s: %w", name, errors.Join(os.ErrNotExist, fmt.Errorf("not in PATH %q", pathVar)))
}
