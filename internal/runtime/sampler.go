package runtime

import (
	"sync"
	"time"
)

// sampler polls the resident memory of every environment's processes and
// kills an environment that uses more than its memory size.
type sampler struct {
	every time.Duration
	mu    sync.Mutex
	envs  map[*env]struct{}
}

func newSampler(every time.Duration) *sampler {
	return &sampler{every: every, envs: map[*env]struct{}{}}
}

func (s *sampler) add(e *env) {
	s.mu.Lock()
	s.envs[e] = struct{}{}
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
	byGroup := make(map[int]*env, len(s.envs))
	byUID := make(map[int]*env, len(s.envs))
	for e := range s.envs {
		byGroup[e.pgid] = e
		if e.m.uids.dedicated(e.uid) {
			byUID[e.uid] = e
		}
	}
	s.mu.Unlock()
	sums := make(map[*env]int64, len(byGroup))
	scanProcs(func(p procInfo) {
		e := byGroup[p.pgrp]
		if e == nil {
			e = byUID[p.uid]
		}
		if e != nil {
			sums[e] += p.rss
		}
	})
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
