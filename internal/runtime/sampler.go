package runtime

import (
	"strconv"
	"sync"
	"syscall"
	"time"
)

// rescanEvery is how many samples pass between full scans of /proc, which
// find the processes of each environment; the samples in between read
// only the processes already found.
const rescanEvery = 10

// sampler polls the resident memory of every environment's processes and
// kills an environment that uses more than its memory size.
type sampler struct {
	every time.Duration
	mu    sync.Mutex
	envs  map[*env][]int // known pids of each environment
	ticks int
}

func newSampler(every time.Duration) *sampler {
	return &sampler{every: every, envs: map[*env][]int{}}
}

func (s *sampler) add(e *env) {
	s.mu.Lock()
	s.envs[e] = []int{e.pgid}
	s.mu.Unlock()
}

func (s *sampler) remove(e *env) {
	s.mu.Lock()
	delete(s.envs, e)
	s.mu.Unlock()
}

func (s *sampler) loop(done <-chan struct{}) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		s.sample()
	}
}

func (s *sampler) sample() {
	s.mu.Lock()
	if len(s.envs) == 0 {
		s.mu.Unlock()
		return
	}
	s.ticks++
	full := s.ticks%rescanEvery == 0
	known := make(map[*env][]int, len(s.envs))
	for e, pids := range s.envs {
		known[e] = pids
	}
	s.mu.Unlock()

	sums := make(map[*env]int64, len(known))
	if full {
		found := s.scan(known, sums)
		s.mu.Lock()
		for e, pids := range found {
			if _, ok := s.envs[e]; ok {
				s.envs[e] = pids
			}
		}
		s.mu.Unlock()
	} else {
		buf := make([]byte, 512)
		for e, pids := range known {
			for _, pid := range pids {
				if rss, ok := e.ownRSS(pid, buf); ok {
					sums[e] += rss
				}
			}
		}
	}
	for e, rss := range sums {
		if rss > e.peak.Load() {
			e.peak.Store(rss)
		}
		if limit := int64(e.cfg.MemoryMB) << 20; limit > 0 && rss > limit && !e.oom.Load() {
			e.oom.Store(true)
			e.kill()
		}
	}
}

// scan reads all of /proc and returns the processes of each environment:
// its process group and, for a uid of its own, every process of that uid.
func (s *sampler) scan(known map[*env][]int, sums map[*env]int64) map[*env][]int {
	byGroup := make(map[int]*env, len(known))
	byUID := make(map[int]*env, len(known))
	for e := range known {
		byGroup[e.pgid] = e
		if e.m.uids.dedicated(e.uid) {
			byUID[e.uid] = e
		}
	}
	found := make(map[*env][]int, len(known))
	scanProcs(func(p procInfo) {
		e := byGroup[p.pgrp]
		if e == nil {
			e = byUID[p.uid]
		}
		if e != nil {
			sums[e] += p.rss
			found[e] = append(found[e], p.pid)
		}
	})
	return found
}

// ownRSS returns the resident size of pid if it still belongs to e.
func (e *env) ownRSS(pid int, buf []byte) (int64, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	pgrp, rss, ok := readStat(dir+"/stat", buf)
	if !ok {
		return 0, false
	}
	if pgrp == e.pgid {
		return rss, true
	}
	if e.m.uids.dedicated(e.uid) {
		var st syscall.Stat_t
		if syscall.Stat(dir, &st) == nil && int(st.Uid) == e.uid {
			return rss, true
		}
	}
	return 0, false
}
