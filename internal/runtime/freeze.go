package runtime

import (
	"context"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/cgroup"
)

// freezer freezes an environment's cgroup while it waits for its next
// event, as Lambda freezes an execution environment between invocations:
// a process the function left running (a background loop, a timer) uses
// no CPU until the next event is handed over. It is frozen once the
// runtime has asked for its next event (GET /next), no invocation is under
// way and freezeDelay has passed, and thawed before an event is handed
// to it. An environment is not frozen between its init and its first
// invocation, which is already waiting.
type freezer struct {
	mu      sync.Mutex
	g       *cgroup.Group // nil: nothing to freeze
	waiting bool          // the runtime waits in GET /next with no event yet
	running bool          // an invocation is under way, or the first one is due
	begun   uint64        // invocations begun (calls of busy)
	frozen  bool
	timer   *time.Timer // a freeze due after freezeDelay
}

const (
	// freezeDelay is how long an idle environment runs on before it is
	// frozen: back-to-back invocations do not pay for a freeze and a thaw
	// each, and a loop left running gets no more than this.
	freezeDelay = 10 * time.Millisecond
	// freezeTimeout bounds the wait for the kernel to freeze or thaw.
	freezeTimeout = 2 * time.Second
)

// start attaches the environment's cgroup; its first invocation is due.
func (f *freezer) start(g *cgroup.Group) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.g, f.running = g, true
}

// next is told by the Runtime API whether the runtime waits for an event.
func (f *freezer) next(waiting bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waiting = waiting
	f.settle()
}

// busy thaws the environment for an invocation.
func (f *freezer) busy(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = true
	f.begun++
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	if !f.frozen || f.g == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, freezeTimeout)
	defer cancel()
	if err := f.g.Thaw(ctx); err != nil {
		return err
	}
	f.frozen = false
	return nil
}

// idle ends an invocation: the environment freezes once the runtime waits.
// It returns the number of invocations begun, for stalled.
func (f *freezer) idle() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = false
	f.settle()
	return f.begun
}

// stalled reports whether the runtime has neither asked for its next
// event nor been handed one since idle returned begun.
func (f *freezer) stalled(begun uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.begun == begun && !f.waiting && !f.running
}

// nextGrace is the least time a runtime is given, after an invocation
// ends, to ask for its next event.
const nextGrace = time.Second

// idle ends an invocation whose deadline is deadline. As in Lambda, where
// the invoke phase (and the function's timeout) lasts until the runtime
// asks for its next event, a runtime that has not asked by the deadline
// (at the soonest nextGrace from now) is killed: it would otherwise run
// on, never frozen, until the environment is reclaimed for being idle.
func (e *env) idle(deadline time.Time) {
	begun := e.frz.idle()
	time.AfterFunc(max(time.Until(deadline), nextGrace), func() {
		if e.alive() && e.frz.stalled(begun) {
			e.kill()
		}
	})
}

// settle schedules a freeze when the runtime waits and nothing runs; f.mu
// is held.
func (f *freezer) settle() {
	if f.g == nil || f.frozen || !f.waiting || f.running || f.timer != nil {
		return
	}
	f.timer = time.AfterFunc(freezeDelay, f.freeze)
}

// freeze freezes the environment if it is still idle.
func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timer = nil
	if f.g == nil || f.frozen || !f.waiting || f.running {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), freezeTimeout)
	defer cancel()
	// A group that cannot be frozen keeps running: freezing saves CPU, it
	// guards nothing. It is marked frozen all the same, so that the next
	// invocation thaws whatever part of it did freeze.
	if f.g.Freeze(ctx) != nil {
		_ = f.g.Thaw(ctx) // undoes a partial freeze; failing, the next busy thaws again
	}
	f.frozen = true
}

// stop cancels a pending freeze; the environment is being killed.
func (f *freezer) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	f.g = nil
}
