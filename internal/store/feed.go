package store

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Feed watches one store handle and hands each change to the subscribers
// of its table: the process-local caches derived from the store. One Feed
// (one watching goroutine, started by Run) serves every cache of a process.
//
// A subscriber's functions run on the Feed's goroutine, one at a time, in
// commit order: they must be quick and must not call back into the Feed.
// When the Feed cannot know what changed (its watch fell behind the
// change log's horizon, ErrCompacted), it calls every subscriber's reset
// instead: the subscriber drops everything it derived from the store.
type Feed struct {
	st  Store
	log *slog.Logger

	mu        sync.Mutex
	subs      []*subscription // replaced, never modified in place
	delivered Revision        // where a new watch resumes
}

type subscription struct {
	tables  []string
	changed func(Change)
	reset   func()
}

// NewFeed returns a Feed of st that will hand out the changes committed
// after the current revision. Subscribe the caches, then start Run before
// they are filled.
func NewFeed(ctx context.Context, st Store, log *slog.Logger) (*Feed, error) {
	rev, err := st.CurrentRevision(ctx)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Feed{st: st, log: log, delivered: rev}, nil
}

// Subscribe calls changed for each change to one of tables and reset when
// changes may have been missed, until the returned function is called.
func (f *Feed) Subscribe(tables []string, changed func(Change), reset func()) (unsubscribe func()) {
	s := &subscription{tables: slices.Clone(tables), changed: changed, reset: reset}
	f.mu.Lock()
	f.subs = append(slices.Clip(f.subs), s)
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.subs = slices.DeleteFunc(slices.Clone(f.subs), func(x *subscription) bool { return x == s })
	}
}

// Run watches the store and hands out its changes until ctx ends; it then
// returns nil. A failed read of the change log is logged and retried a
// second later, from where the watch stopped.
func (f *Feed) Run(ctx context.Context) error {
	for {
		err := f.watch(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrCompacted):
			rev, err := f.st.CurrentRevision(ctx)
			if err != nil {
				f.log.Error("change feed: read revision", "err", err)
				break
			}
			// Resume at the latest revision first, then reset: whatever a
			// cache reads after its reset is covered by the changes after
			// rev.
			f.log.Warn("change feed fell behind the change log; caches dropped", "revision", rev)
			f.resetAll(rev)
			continue
		default:
			f.log.Error("change feed: watch", "err", err)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// watch hands out changes until the watch ends, and returns its error.
func (f *Feed) watch(ctx context.Context) error {
	f.mu.Lock()
	after := f.delivered
	f.mu.Unlock()
	for c, err := range f.st.Watch(ctx, after) {
		if err != nil {
			return err
		}
		f.deliver(c)
	}
	return ctx.Err()
}

func (f *Feed) deliver(c Change) {
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, s := range subs {
		if slices.Contains(s.tables, c.Table) {
			s.changed(c)
		}
	}
	// A watch that resumes here hands out c's revision again, in case it
	// has more changes: handing a change out twice is harmless.
	f.advance(c.Revision - 1)
}

func (f *Feed) resetAll(rev Revision) {
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, s := range subs {
		s.reset()
	}
	f.advance(rev)
}

func (f *Feed) advance(rev Revision) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delivered = max(f.delivered, rev)
}
