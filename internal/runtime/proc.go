package runtime

import (
	"bytes"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

const nobody = 65534

// Isolation says how functions are separated from the host process.
type Isolation struct {
	Dropped bool   // functions run under unprivileged uids
	Detail  string // one line for the start-up banner
}

// uidLockDir holds the locks of uid blocks, so that separate rolecall
// processes on one host never share a uid. It is root's alone: no function
// can take or hold a lock.
const uidLockDir = "/run/rolecall/uids"

// uidBlock is the most uids one lock covers; a pool takes a block when it
// needs uids and holds it until it is closed. A range is cut in at least
// uidBlocks blocks, so that several pools (processes) share a small one.
const (
	uidBlock  = 256
	uidBlocks = 16
)

// uidPool hands out uids to environments. A pool with count 0 means
// privileges are not dropped; shared means every environment uses the same
// uid (nobody).
//
// Dedicated uids come in blocks, each locked (flock) by one pool (one
// rolecall process) for its life, so two processes never hand out the same uid.
// Within the process a uid goes back to the pool only once everything of
// its environment is gone (put), and the pool hands out the least recently
// used uid, so that a uid comes round again as late as possible and never
// in a sequence a function could predict.
type uidPool struct {
	base    int
	count   int
	shared  bool
	lockDir string

	mu     sync.Mutex
	blocks map[int]*os.File // first uid of a block -> its lock
	free   []int            // least recently used first
	inUse  map[int]bool
}

func newUIDPool(base, count int) (*uidPool, Isolation) {
	if os.Geteuid() != 0 {
		return &uidPool{}, Isolation{Detail: fmt.Sprintf(
			"not root: functions run as uid %d, the same user as rolecall, and can read its files, signal its processes and see every environment", os.Geteuid())}
	}
	if uidMapped(base, count) && makePrivateDir(uidLockDir) == nil {
		return &uidPool{base: base, count: count, lockDir: uidLockDir, blocks: map[int]*os.File{}, inUse: map[int]bool{}},
			Isolation{Dropped: true, Detail: fmt.Sprintf(
				"functions run under uids %d-%d, one per execution environment", base, base+count-1)}
	}
	if uidMapped(nobody, 1) {
		return &uidPool{base: nobody, count: 1, shared: true},
			Isolation{Dropped: true, Detail: "functions run as nobody (65534), all under one uid: they can signal and read each other; uid range not mapped"}
	}
	return &uidPool{}, Isolation{Detail: "cannot drop privileges: functions run as root"}
}

// makePrivateDir makes dir (and its parents) with mode 0700 and root as
// owner, and refuses a directory that others could write or own.
func makePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(dir, &st); err != nil {
		return err
	}
	if st.Uid != 0 || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return fmt.Errorf("runtime: %s is not a directory of root's", dir)
	}
	return nil
}

// uidMapped reports whether [base, base+count) is mapped in this user
// namespace, so setuid to those ids can succeed.
func uidMapped(base, count int) bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	for line := range bytes.Lines(data) {
		f := bytes.Fields(line)
		if len(f) != 3 {
			continue
		}
		first, _ := strconv.Atoi(string(f[0]))
		n, _ := strconv.Atoi(string(f[2]))
		if base >= first && base+count <= first+n {
			return true
		}
	}
	return false
}

// get returns a uid for a new environment, or -1 when none is to be used.
func (p *uidPool) get() (int, error) {
	if p.count == 0 {
		return -1, nil
	}
	if p.shared {
		return p.base, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) == 0 && !p.takeBlock() {
		return -1, fmt.Errorf("runtime: all %d environment uids in use", p.count)
	}
	uid := p.free[0]
	p.free = p.free[1:]
	p.inUse[uid] = true
	return uid, nil
}

// takeBlock locks a block of uids no other process holds, kills whatever
// still runs as its uids (left by a process that died holding it), removes
// their files from the host's shared temporary directories, and adds its
// uids to the free list in random order. p.mu is held.
func (p *uidPool) takeBlock() bool {
	size := max(1, min(p.count/uidBlocks, uidBlock))
	n := p.count / size
	start := mrand.IntN(n)
	for i := range n {
		first := p.base + (start+i)%n*size
		if p.blocks[first] != nil {
			continue
		}
		f, err := os.OpenFile(filepath.Join(p.lockDir, strconv.Itoa(first)+"-"+strconv.Itoa(size)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			_ = f.Close() // held by another process; the lock was not taken
			continue
		}
		p.blocks[first] = f
		uids := map[int]bool{}
		for u := first; u < first+size; u++ {
			uids[u] = true
		}
		killUIDs(uids)
		removeUIDFiles(uids)
		fresh := make([]int, 0, size)
		for u := range uids {
			fresh = append(fresh, u)
		}
		mrand.Shuffle(len(fresh), func(i, j int) { fresh[i], fresh[j] = fresh[j], fresh[i] })
		p.free = append(p.free, fresh...)
		return true
	}
	return false
}

// put returns uid to the pool; the caller has made sure that nothing of
// its environment is left (no process, no directory, no files in the
// shared temporary directories). It goes to the back of the free list.
func (p *uidPool) put(uid int) {
	if uid < 0 || p.shared || p.count == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inUse[uid] {
		delete(p.inUse, uid)
		p.free = append(p.free, uid)
	}
}

// close releases the pool's blocks once no environment runs; another
// process taking one first kills whatever still runs as its uids.
func (p *uidPool) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for first, f := range p.blocks {
		errs = append(errs, f.Close())
		delete(p.blocks, first)
	}
	p.free, p.inUse = nil, map[int]bool{}
	return errors.Join(errs...)
}

// dedicated reports whether uid belongs to one environment only, so every
// process running as it may be killed with the environment.
func (p *uidPool) dedicated(uid int) bool { return uid >= 0 && p.count > 0 && !p.shared }

// sharedTempDirs are the host's world-writable directories, where an
// environment that shares the host's file system can leave files.
var sharedTempDirs = []string{"/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue"}

// removeUIDFiles removes everything owned by one of uids in the host's
// shared temporary directories (a setuid copy of a program, a file in
// /dev/shm), so the next holder of the uid finds nothing of the last. A
// uid can only make entries in directories it may write: it owns them
// (removed whole) or they are writable by all (searched), so only those
// are read. No process runs as those uids when it is called.
func removeUIDFiles(uids map[int]bool) {
	for _, top := range sharedTempDirs {
		removeOwned(top, uids, 0)
	}
}

func removeOwned(dir string, uids map[int]bool, depth int) {
	if depth > 32 {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // gone or unreadable: nothing a function could have used
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		var st syscall.Stat_t
		if syscall.Lstat(path, &st) != nil {
			continue
		}
		switch {
		case uids[int(st.Uid)]:
			_ = os.RemoveAll(path) // best effort; what stays is owned by a uid no environment holds
		case st.Mode&syscall.S_IFMT == syscall.S_IFDIR && st.Mode&0o002 != 0:
			removeOwned(path, uids, depth+1)
		}
	}
}

// procInfo is what the memory sampler needs of a process.
type procInfo struct {
	pid, pgrp, uid int
	rss            int64 // bytes
}

var pageSize = int64(os.Getpagesize())

// scanProcs lists all processes with their group, owner and resident size.
func scanProcs(fn func(procInfo)) {
	d, err := os.Open("/proc")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	_ = d.Close() // read only
	buf := make([]byte, 512)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", name)
		var st syscall.Stat_t
		if syscall.Stat(dir, &st) != nil {
			continue
		}
		pgrp, rss, ok := readStat(dir+"/stat", buf)
		if !ok {
			continue
		}
		fn(procInfo{pid: pid, pgrp: pgrp, uid: int(st.Uid), rss: rss})
	}
}

// readStat parses the process group and resident pages of /proc/<pid>/stat.
func readStat(path string, buf []byte) (pgrp int, rss int64, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	n, _ := f.Read(buf)
	_ = f.Close() // read only
	b := buf[:n]
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f2 := bytes.Fields(b[i+1:])
	// After the command: state(0) ppid(1) pgrp(2) ... rss(21).
	if len(f2) < 22 {
		return 0, 0, false
	}
	pgrp, _ = strconv.Atoi(string(f2[2]))
	pages, _ := strconv.ParseInt(string(f2[21]), 10, 64)
	return pgrp, pages * pageSize, true
}

// hwmReader reads one process's VmHWM (peak resident size) through a
// descriptor opened on first use and kept for the process's life: a report
// costs one pread, no open, close or scanner. The descriptor stays bound to
// that process, even once its pid is reused.
type hwmReader struct {
	mu     sync.Mutex
	f      *os.File
	buf    []byte
	closed bool
}

// read returns pid's VmHWM in bytes, 0 when it cannot be read.
func (h *hwmReader) read(pid int) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0
	}
	if h.f == nil {
		f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			return 0
		}
		h.f, h.buf = f, make([]byte, 4096)
	}
	for {
		n, err := h.f.ReadAt(h.buf, 0)
		if v, ok := parseHWM(h.buf[:n]); ok {
			return v
		}
		if err != nil || n < len(h.buf) || len(h.buf) >= 1<<20 {
			return 0
		}
		h.buf = make([]byte, 2*len(h.buf)) // a status longer than the buffer
	}
}

// close releases the descriptor; read returns 0 afterwards.
func (h *hwmReader) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.f != nil {
		_ = h.f.Close() // read only
		h.f = nil
	}
}

// parseHWM finds the VmHWM line of a /proc/<pid>/status text and returns
// its value in bytes.
func parseHWM(status []byte) (int64, bool) {
	const key = "VmHWM:"
	i := bytes.Index(status, []byte("\n"+key))
	if i < 0 {
		return 0, false
	}
	line := status[i+1+len(key):]
	end := bytes.IndexByte(line, '\n')
	if end < 0 {
		return 0, false // cut off by the buffer
	}
	kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(line[:end]), []byte(" kB"))), 10, 64)
	if err != nil {
		return 0, false
	}
	return kb * 1024, true
}

// killAll kills the process group pgid and, when uid is dedicated to the
// environment, every process running as uid (which catches processes that
// left the group with setsid).
func killAll(pgid, uid int) {
	if pgid > 0 {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	if uid >= 0 {
		killUIDs(map[int]bool{uid: true})
	}
}

// killUIDs kills every process running as one of uids and reports
// whether none was found.
func killUIDs(uids map[int]bool) bool {
	none := true
	scanProcs(func(p procInfo) {
		if uids[p.uid] {
			none = false
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	return none
}
