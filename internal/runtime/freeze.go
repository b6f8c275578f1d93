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
// runtime has asked for its next event (GET /next) and no invocation is
// under way, and thawed before an event is handed to it.
type freezer struct {
	mu      sync.Mutex
	g       *cgroup.Group // nil: nothing to freeze
	waiting bool          // the runtime waits in GET /next with no event yet
	running bool          // an invocation is under way
	frozen  bool
}

// freezeTimeout bounds the wait for the kernel to freeze or thaw.
const freezeTimeout = 2 * time.Second

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

// settle freezes when the runtime waits and nothing runs; f.mu is held.
func (f *freezer) settle() {
	if f.g == nil || f.frozen || !f.waiting || f.running {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), freezeTimeout)
	defer cancel()
	// A group that cannot be frozen keeps running: freezing saves CPU, it
	// guards nothing, and the next invocation thaws as usual.
	if f.g.Freeze(ctx) == nil {
		f.frozen = true
		return
	}
	_ = f.g.Thaw(ctx) // undoes a partial freeze; failing, the next busy thaws again
	f.frozen = true
}
