// Package cgroup gives each execution environment a control group of its
// own, on the host's cgroup v1 controllers (memory, pids, freezer,
// cpuacct) or on the unified cgroup v2 hierarchy, whichever the host has:
// the kernel then bounds the environment's memory (every process's pages,
// tmpfs and /dev/shm pages included) and its number of tasks, freezes it
// between invocations, and kills every process in it at once.
//
// A rolecall process opens one Parent, named after its work directory
// (rolecall/<name>), and makes a Group per environment under it. A lock
// file in LockDir, held for as long as the process lives, tells the
// parents of live processes from those whose process was killed; Open
// kills and removes the latter.
//
// This is the same mechanism AWS Lambda's execution environments use for
// their memory limit (MemorySize) and Lambda's 1,024-process limit.
package cgroup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Root is where cgroup file systems are mounted.
const Root = "/sys/fs/cgroup"

// LockDir holds one lock file per Parent; only root reaches it.
const LockDir = "/run/rolecall/cgroups"

// top is the directory under each hierarchy that holds rolecall's parents.
const top = "rolecall"

// v1Controllers are the cgroup v1 hierarchies a Group joins. memory,
// pids and freezer are required; cpuacct only measures.
var v1Controllers = []string{"memory", "pids", "freezer", "cpuacct"}

// ErrUnavailable is returned by Open when the host has no usable cgroups
// (not root, or the controllers are not mounted).
var ErrUnavailable = errors.New("cgroup: not available")

// Limits bound one Group.
type Limits struct {
	MemoryBytes int64 // memory.limit_in_bytes (and memsw) or memory.max (and swap 0); 0: none
	Pids        int64 // pids.max; 0: none
}

// Parent is this process's group of environment groups.
type Parent struct {
	v2   bool
	dirs []string // the parent's directory in each hierarchy; dirs[0] is memory (v1) or the only one (v2)
	lock *os.File
	name string

	// reaper is a process outside the groups that kills every process
	// in them when this process ends, however it ends: it waits for EOF
	// on a pipe whose only writer is held here (reaperW).
	reaper  *exec.Cmd
	reaperW *os.File
	reaped  chan struct{}
}

// Open makes (or takes over) the parent group rolecall/<name> in every
// hierarchy, after killing the processes and removing the groups of
// parents whose rolecall process is gone. It returns an error wrapping
// ErrUnavailable when the host lacks cgroups, and an error when another
// live process holds name.
func Open(name string) (*Parent, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return nil, fmt.Errorf("cgroup: invalid parent name %q", name)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: not root", ErrUnavailable)
	}
	v2, bases, err := hierarchies()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(LockDir, 0o700); err != nil {
		return nil, fmt.Errorf("cgroup: lock directory: %w", err)
	}
	if err := os.Chmod(LockDir, 0o700); err != nil {
		return nil, fmt.Errorf("cgroup: lock directory: %w", err)
	}
	lock, err := takeLock(name)
	if err != nil {
		return nil, err
	}
	removeOrphans(v2, bases)
	p := &Parent{v2: v2, lock: lock, name: name}
	for _, b := range bases {
		if v2 {
			if err := enableControllers(b, top); err != nil {
				return nil, errors.Join(err, lock.Close())
			}
		}
		dir := filepath.Join(b, top, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, errors.Join(fmt.Errorf("cgroup: %w", err), lock.Close())
		}
		p.dirs = append(p.dirs, dir)
	}
	if v2 {
		if err := enableControllers(filepath.Join(bases[0], top), name); err != nil {
			return nil, errors.Join(err, lock.Close())
		}
	}
	if err := p.startReaper(); err != nil {
		return nil, errors.Join(err, lock.Close())
	}
	return p, nil
}

// reaperScript kills every process of the parent's groups once its
// standard input ends. On v1 a frozen task does not act on SIGKILL, and
// a sandbox's processes die with its pid 1 only once they run: the groups
// are frozen (so none forks between listing and signal), killed, thawed,
// three times over. On v2, cgroup.kill does all of it. It ignores the
// signals a service manager sends to every process of a stopping service,
// so that it outlives rolecall long enough to act.
const reaperScript = `trap '' HUP INT TERM
read _
for _ in 1 2 3; do
  for d in "$1"/*/; do echo FROZEN > "$d/freezer.state"; done
  for d in "$1"/*/; do for p in $(cat "$d/cgroup.procs"); do kill -9 "$p"; done; done
  for d in "$1"/*/; do echo THAWED > "$d/freezer.state"; done
done 2>/dev/null
exit 0`

const reaperScriptV2 = `trap '' HUP INT TERM
read _
for d in "$1"/*/; do echo 1 > "$d/cgroup.kill"; done 2>/dev/null
exit 0`

// startReaper starts the process that kills the groups' processes when
// this one dies (the kernel closes the pipe's write end): a function's
// processes never outlive the rolecall that started them.
func (p *Parent) startReaper() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("cgroup: reaper: %w", err)
	}
	script, dir := reaperScript, p.dirs[2] // the freezer's hierarchy
	if p.v2 {
		script, dir = reaperScriptV2, p.dirs[0]
	}
	cmd := exec.Command("/bin/sh", "-c", script, "rolecall-cgroup-reaper", dir)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return errors.Join(fmt.Errorf("cgroup: reaper: %w", err), r.Close(), w.Close())
	}
	_ = r.Close() // the reaper holds its own copy
	p.reaper, p.reaperW, p.reaped = cmd, w, make(chan struct{})
	go func() {
		_ = cmd.Wait() // its exit status says nothing: it kills what it finds
		close(p.reaped)
	}()
	return nil
}

// hierarchies finds the cgroup mounts: the unified v2 root when it holds
// the controllers, else the v1 controller mounts.
func hierarchies() (v2 bool, bases []string, err error) {
	if b, err := os.ReadFile(filepath.Join(Root, "cgroup.controllers")); err == nil {
		have := strings.Fields(string(b))
		for _, c := range []string{"memory", "pids"} {
			if !contains(have, c) {
				return false, nil, fmt.Errorf("%w: cgroup v2 lacks the %s controller", ErrUnavailable, c)
			}
		}
		return true, []string{Root}, nil
	}
	for _, c := range v1Controllers {
		dir := filepath.Join(Root, c)
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err != nil {
			return false, nil, fmt.Errorf("%w: cgroup v1 controller %s not mounted at %s", ErrUnavailable, c, dir)
		}
		bases = append(bases, dir)
	}
	return false, bases, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// enableControllers makes dir/child with memory, pids (and cpu where
// present) enabled for its children (cgroup v2's subtree_control).
func enableControllers(dir, child string) error {
	d := filepath.Join(dir, child)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	for _, at := range []string{dir, d} {
		for _, c := range []string{"memory", "pids", "cpu"} {
			err := os.WriteFile(filepath.Join(at, "cgroup.subtree_control"), []byte("+"+c), 0)
			if err != nil && c != "cpu" {
				return fmt.Errorf("cgroup: enabling %s in %s: %w", c, at, err)
			}
		}
	}
	return nil
}

// takeLock takes the exclusive lock that marks name as held by this
// process; the kernel drops it when the process dies, however it dies.
func takeLock(name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(LockDir, name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close() // the lock was not taken
		return nil, fmt.Errorf("cgroup: parent %s is held by another process: %w", name, err)
	}
	return f, nil
}

// removeOrphans kills every process of the parents whose lock is free
// (their rolecall is gone) and removes their groups and lock files.
func removeOrphans(v2 bool, bases []string) {
	entries, err := os.ReadDir(filepath.Join(bases[0], top))
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(LockDir, e.Name())
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			_ = f.Close() // held: its rolecall lives
			continue
		}
		p := &Parent{v2: v2, name: e.Name()}
		for _, b := range bases {
			p.dirs = append(p.dirs, filepath.Join(b, top, e.Name()))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if p.removeAll(ctx) == nil {
			_ = os.Remove(path) // the groups are gone; a lock file left behind is harmless
		}
		cancel()
		_ = f.Close() // drops the lock taken here
	}
}

// Name is the parent's name under rolecall/.
func (p *Parent) Name() string { return p.name }

// V2 reports whether the groups are on the unified (v2) hierarchy.
func (p *Parent) V2() bool { return p.v2 }

// New makes the group name under the parent, with limits l. A group of
// that name left from an earlier environment is killed and removed first.
func (p *Parent) New(ctx context.Context, name string, l Limits) (*Group, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return nil, fmt.Errorf("cgroup: invalid group name %q", name)
	}
	g := &Group{v2: p.v2}
	for _, d := range p.dirs {
		g.dirs = append(g.dirs, filepath.Join(d, name))
	}
	if _, err := os.Stat(g.dirs[0]); err == nil {
		if err := g.Kill(ctx); err != nil {
			return nil, err
		}
		if err := g.Remove(); err != nil {
			return nil, err
		}
	}
	for _, d := range g.dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, errors.Join(fmt.Errorf("cgroup: %w", err), g.Remove())
		}
	}
	if err := g.setLimits(l); err != nil {
		return nil, errors.Join(err, g.Remove())
	}
	return g, nil
}

// Close kills every group under the parent, removes them and the parent,
// and releases the parent's name.
func (p *Parent) Close(ctx context.Context) error {
	var err error
	if p.reaperW != nil {
		err = p.reaperW.Close()
		select {
		case <-p.reaped:
		case <-ctx.Done():
			err = errors.Join(err, fmt.Errorf("cgroup: waiting for the reaper: %w", ctx.Err()))
		}
	}
	err = errors.Join(err, p.removeAll(ctx))
	if err == nil {
		_ = os.Remove(filepath.Join(LockDir, p.name)) // removed while still locked: no one else can have taken it
	}
	if p.lock != nil {
		err = errors.Join(err, p.lock.Close())
	}
	return err
}

// removeAll kills and removes every child group, then the parent.
func (p *Parent) removeAll(ctx context.Context) error {
	entries, err := os.ReadDir(p.dirs[0])
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("cgroup: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		g := &Group{v2: p.v2}
		for _, d := range p.dirs {
			g.dirs = append(g.dirs, filepath.Join(d, e.Name()))
		}
		if err := g.Kill(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, g.Remove())
	}
	// The parent itself holds no processes.
	errs = append(errs, (&Group{v2: p.v2, dirs: p.dirs}).Remove())
	return errors.Join(errs...)
}

// Group is one environment's control group.
type Group struct {
	v2   bool
	dirs []string // v1: memory, pids, freezer, cpuacct; v2: one
}

func (g *Group) file(ctrl, name string) string {
	if g.v2 {
		return filepath.Join(g.dirs[0], name)
	}
	for i, c := range v1Controllers {
		if c == ctrl {
			return filepath.Join(g.dirs[i], name)
		}
	}
	panic("cgroup: unknown controller " + ctrl)
}

func (g *Group) setLimits(l Limits) error {
	if l.MemoryBytes > 0 {
		v := []byte(strconv.FormatInt(l.MemoryBytes, 10))
		if g.v2 {
			if err := write(g.file("memory", "memory.max"), v); err != nil {
				return err
			}
			if _, err := os.Stat(g.file("memory", "memory.swap.max")); err == nil {
				if err := write(g.file("memory", "memory.swap.max"), []byte("0")); err != nil {
					return err
				}
			}
		} else {
			if err := write(g.file("memory", "memory.limit_in_bytes"), v); err != nil {
				return err
			}
			// With swap accounting, memory plus swap is held to the same
			// size: nothing of the environment's moves to swap.
			if _, err := os.Stat(g.file("memory", "memory.memsw.limit_in_bytes")); err == nil {
				if err := write(g.file("memory", "memory.memsw.limit_in_bytes"), v); err != nil {
					return err
				}
			}
		}
	}
	if l.Pids > 0 {
		if err := write(g.file("pids", "pids.max"), []byte(strconv.FormatInt(l.Pids, 10))); err != nil {
			return err
		}
	}
	return nil
}

func write(path string, v []byte) error {
	if err := os.WriteFile(path, v, 0); err != nil {
		return fmt.Errorf("cgroup: writing %s: %w", path, err)
	}
	return nil
}

// TaskDirs returns the group's directory in each cgroup v1 hierarchy, for
// a thread to join itself by writing 0 to each one's tasks file (which,
// unlike Add, does not wait for the kernel's RCU grace period; see
// sandbox.Spec.Cgroups). It returns nil on v2, where a group is joined
// with Add.
func (g *Group) TaskDirs() []string {
	if g.v2 {
		return nil
	}
	return slices.Clone(g.dirs)
}

// Add moves the process pid (all its threads) into the group.
func (g *Group) Add(pid int) error {
	v := []byte(strconv.Itoa(pid))
	for _, d := range g.dirs {
		if err := write(filepath.Join(d, "cgroup.procs"), v); err != nil {
			return err
		}
	}
	return nil
}

// Procs lists the processes in the group.
func (g *Group) Procs() ([]int, error) {
	seen := map[int]bool{}
	var pids []int
	for _, d := range g.dirs {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			return nil, fmt.Errorf("cgroup: %w", err)
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err == nil && !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
	}
	return pids, nil
}

// Empty reports whether no process is left in the group. A group that
// no longer exists is empty.
func (g *Group) Empty() (bool, error) {
	pids, err := g.Procs()
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	return len(pids) == 0, err
}

// Freeze stops every process of the group (they use no CPU and cannot
// run until Thaw) and waits until the kernel reports it frozen.
func (g *Group) Freeze(ctx context.Context) error { return g.setFrozen(ctx, true) }

// Thaw lets the processes of a frozen group run again.
func (g *Group) Thaw(ctx context.Context) error { return g.setFrozen(ctx, false) }

func (g *Group) setFrozen(ctx context.Context, frozen bool) error {
	if g.v2 {
		v := "0"
		if frozen {
			v = "1"
		}
		if err := write(g.file("freezer", "cgroup.freeze"), []byte(v)); err != nil {
			return err
		}
		return g.waitState(ctx, func() (bool, error) {
			f, err := keyed(g.file("freezer", "cgroup.events"), "frozen")
			return (f == 1) == frozen, err
		})
	}
	state := "THAWED"
	if frozen {
		state = "FROZEN"
	}
	path := g.file("freezer", "freezer.state")
	if err := write(path, []byte(state)); err != nil {
		return err
	}
	return g.waitState(ctx, func() (bool, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return false, fmt.Errorf("cgroup: %w", err)
		}
		if strings.TrimSpace(string(b)) == "FREEZING" {
			// Tasks that were forking when asked stay unfrozen: ask again.
			if err := write(path, []byte(state)); err != nil {
				return false, err
			}
		}
		return strings.TrimSpace(string(b)) == state, nil
	})
}

// State is the freezer's state: "FROZEN", "FREEZING" or "THAWED".
func (g *Group) State() (string, error) {
	if g.v2 {
		f, err := keyed(g.file("freezer", "cgroup.events"), "frozen")
		if f == 1 {
			return "FROZEN", err
		}
		return "THAWED", err
	}
	b, err := os.ReadFile(g.file("freezer", "freezer.state"))
	if err != nil {
		return "", fmt.Errorf("cgroup: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (g *Group) waitState(ctx context.Context, done func() (bool, error)) error {
	for d := 50 * time.Microsecond; ; d = min(2*d, 10*time.Millisecond) {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cgroup: waiting for the freezer: %w", ctx.Err())
		case <-time.After(d):
		}
	}
}

// Kill sends SIGKILL to every process of the group and waits until the
// group is empty or ctx is done. A frozen group is killed as is (the
// signal is queued) and then thawed so that the kill takes effect; no
// process can fork a new one between the listing and the signal.
func (g *Group) Kill(ctx context.Context) error {
	if g.v2 {
		if err := write(g.file("freezer", "cgroup.kill"), []byte("1")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	for d := 100 * time.Microsecond; ; d = min(2*d, 20*time.Millisecond) {
		if !g.v2 {
			if err := g.Freeze(ctx); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		pids, err := g.Procs()
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if !g.v2 {
			if err := g.Thaw(ctx); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if len(pids) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cgroup: %d processes left after SIGKILL: %w", len(pids), ctx.Err())
		case <-time.After(d):
		}
	}
}

// Remove removes the group's directories; the group must be empty. A
// group already removed is not an error.
func (g *Group) Remove() error {
	var errs []error
	for _, d := range g.dirs {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("cgroup: removing %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// PeakMemory is the group's largest memory use so far, in bytes
// (memory.max_usage_in_bytes, or memory.peak on v2; 0 when the kernel
// does not keep it).
func (g *Group) PeakMemory() int64 {
	name := "memory.max_usage_in_bytes"
	if g.v2 {
		name = "memory.peak"
	}
	b, err := os.ReadFile(g.file("memory", name))
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v
}

// OOMKilled reports whether the kernel killed a process of the group for
// passing its memory limit (oom_kill in memory.oom_control, or in
// memory.events on v2).
func (g *Group) OOMKilled() bool {
	name := "memory.oom_control"
	if g.v2 {
		name = "memory.events"
	}
	n, _ := keyed(g.file("memory", name), "oom_kill")
	return n > 0
}

// CPUUsage is the CPU time the group's processes used so far
// (cpuacct.usage, or usage_usec of cpu.stat on v2).
func (g *Group) CPUUsage() (time.Duration, error) {
	if g.v2 {
		us, err := keyed(g.file("cpuacct", "cpu.stat"), "usage_usec")
		return time.Duration(us) * time.Microsecond, err
	}
	b, err := os.ReadFile(g.file("cpuacct", "cpuacct.usage"))
	if err != nil {
		return 0, fmt.Errorf("cgroup: %w", err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cgroup: cpuacct.usage: %w", err)
	}
	return time.Duration(ns), nil
}

// keyed reads the value of key in a "key value" per line file.
func keyed(path, key string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("cgroup: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("cgroup: %s in %s: %w", key, path, err)
			}
			return n, nil
		}
	}
	return 0, nil
}

// WatchOOM returns a channel closed when the kernel kills a process of
// the group for its memory limit, until ctx is done. On v1 it is told
// through an eventfd registered in cgroup.event_control (the kernel also
// signals it when the group is removed: the channel is closed only when
// OOMKilled confirms, within 200ms); v2 sets memory.oom.group, so the kernel kills the
// whole group at once, and polls memory.events every 10ms.
func (g *Group) WatchOOM(ctx context.Context) (<-chan struct{}, error) {
	ch := make(chan struct{})
	if g.v2 {
		if err := write(g.file("memory", "memory.oom.group"), []byte("1")); err != nil {
			return nil, err
		}
		go func() {
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if g.OOMKilled() {
					close(ch)
					return
				}
			}
		}()
		return ch, nil
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("cgroup: eventfd: %w", err)
	}
	ev := os.NewFile(uintptr(efd), "oom-eventfd")
	ctl, err := os.Open(g.file("memory", "memory.oom_control"))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("cgroup: %w", err), ev.Close())
	}
	reg := fmt.Sprintf("%d %d", efd, ctl.Fd())
	if err := write(g.file("memory", "cgroup.event_control"), []byte(reg)); err != nil {
		return nil, errors.Join(err, ev.Close(), ctl.Close())
	}
	go func() {
		<-ctx.Done()
		_ = ev.Close() // ends the read below
	}()
	go func() {
		defer func() { _ = ctl.Close() }() // read only
		buf := make([]byte, 8)
		for {
			if _, err := ev.Read(buf); err != nil {
				return
			}
			// The kernel tells of the out-of-memory state before its
			// killer has counted the kill.
			for range 200 {
				if g.OOMKilled() {
					close(ch)
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Millisecond):
				}
			}
		}
	}()
	return ch, nil
}
