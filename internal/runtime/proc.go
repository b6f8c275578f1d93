package runtime

import (
	"bytes"
	"crypto/rand"
	"fmt"
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

// uidPool hands out uids to environments. A pool with count 0 means
// privileges are not dropped; shared means every environment uses the same
// uid (nobody). Dedicated uids are also locked with flock in lockDir, so
// that two rolecall processes on one host never hand out the same uid (and
// never kill each other's functions when they clean up a uid).
type uidPool struct {
	base    int
	count   int
	shared  bool
	lockDir string

	mu      sync.Mutex
	used    map[int]*os.File // uid -> its lock
	cleaned map[int]bool     // uids already cleared of leftover processes
	next    int
}

func newUIDPool(base, count int) (*uidPool, Isolation) {
	if os.Geteuid() != 0 {
		return &uidPool{}, Isolation{Detail: fmt.Sprintf(
			"not root: functions run as uid %d, the same user as rolecall", os.Geteuid())}
	}
	lockDir := filepath.Join(os.TempDir(), "rolecall-uids")
	if uidMapped(base, count) && os.MkdirAll(lockDir, 0o700) == nil {
		var r [2]byte
		rand.Read(r[:])
		return &uidPool{base: base, count: count, lockDir: lockDir, used: map[int]*os.File{},
				cleaned: map[int]bool{}, next: int(r[0])<<8 | int(r[1])},
			Isolation{Dropped: true, Detail: fmt.Sprintf(
				"functions run under uids %d-%d, one per execution environment", base, base+count-1)}
	}
	if uidMapped(nobody, 1) {
		return &uidPool{base: nobody, count: 1, shared: true},
			Isolation{Dropped: true, Detail: "functions run as nobody (65534); uid range not mapped"}
	}
	return &uidPool{}, Isolation{Detail: "cannot drop privileges: functions run as root"}
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
	for i := 0; i < p.count; i++ {
		uid := p.base + (p.next+i)%p.count
		if p.used[uid] != nil {
			continue
		}
		lock, ok := p.lock(uid)
		if !ok {
			continue // held by another process
		}
		p.used[uid] = lock
		p.next = (p.next + i + 1) % p.count
		if !p.cleaned[uid] {
			// A process that held this uid before may have died and
			// left orphans running as it.
			p.cleaned[uid] = true
			killAll(0, uid)
		}
		return uid, nil
	}
	return -1, fmt.Errorf("runtime: all %d environment uids in use", p.count)
}

func (p *uidPool) lock(uid int) (*os.File, bool) {
	f, err := os.OpenFile(filepath.Join(p.lockDir, strconv.Itoa(uid)), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		_ = f.Close() // releases nothing: the lock was not taken
		return nil, false
	}
	return f, true
}

func (p *uidPool) put(uid int) {
	if uid < 0 || p.shared || p.count == 0 {
		return
	}
	p.mu.Lock()
	if f := p.used[uid]; f != nil {
		_ = f.Close() // releases the lock; the file is never written
	}
	delete(p.used, uid)
	p.mu.Unlock()
}

// dedicated reports whether uid belongs to one environment only, so every
// process running as it may be killed with the environment.
func (p *uidPool) dedicated(uid int) bool { return uid >= 0 && p.count > 0 && !p.shared }

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
	if uid < 0 {
		return
	}
	scanProcs(func(p procInfo) {
		if p.uid == uid {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
}
