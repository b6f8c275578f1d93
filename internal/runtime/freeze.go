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
func (f *freezer) idle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = false
	f.settle()
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
