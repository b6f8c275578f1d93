package esm

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// unlistableSource is a testSource whose units cannot be listed while
// fail is set (the role lost kinesis:ListShards, say).
type unlistableSource struct {
	*testSource
	fail atomic.Bool
}

func (s *unlistableSource) Units(ctx context.Context, w *Worker) ([]string, error) {
	if s.fail.Load() {
		return nil, errors.New("AccessDeniedException: not authorized to perform: kinesis:ListShards")
	}
	return s.testSource.Units(ctx, w)
}

// TestRunnerFollowsChangesWhileUnitsUnlisted: a mapping updated while
// its source's units cannot be listed runs with its new configuration
// (here a new BatchSize) on the units listed last, instead of its old
// pollers going on with the old one.
func TestRunnerFollowsChangesWhileUnitsUnlisted(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	var mu sync.Mutex
	var sizes []int
	src := &unlistableSource{testSource: &testSource{units: []string{"u"}, poll: func(ctx context.Context, w *Worker) error {
		mu.Lock()
		sizes = append(sizes, w.Mapping.BatchSize)
		mu.Unlock()
		<-ctx.Done()
		return ctx.Err()
	}}}
	m := newTestManager(t, st, src, &testFunctions{})
	mp := enabled("m", 1)
	mp.BatchSize = 10
	putMapping(t, st, mp)
	m.Start()
	eventually(t, "a poll", func() bool { _, n := src.polls("u"); return n == 1 })
	src.fail.Store(true)
	mp.Generation, mp.BatchSize = 2, 20
	putMapping(t, st, mp)
	m.wake()
	eventually(t, "a poll with the new batch size", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(sizes) == 2 && sizes[1] == 20
	})
	eventually(t, "one poller", func() bool { _, n := src.polls("u"); return n == 1 })
	// Disabled meanwhile: the poller stops.
	mp.Generation, mp.State, mp.Enabled = 3, StateDisabled, false
	putMapping(t, st, mp)
	m.wake()
	eventually(t, "the poller to stop", func() bool { _, n := src.polls("u"); return n == 0 })
}
