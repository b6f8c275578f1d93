// Package trail records every authenticated call as a CloudTrail event.
//
// Record is on the path of every request, so it only queues the entry; a
// background goroutine builds the CloudTrail record and writes events to the
// store in batches. When the queue is full, Record waits a bounded time for
// room and then drops the entry, counting it and logging loudly: an event is
// never lost without a trace.
package trail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("trail: recorder closed")

// Options tune a Recorder. Zero values take the defaults.
type Options struct {
	// QueueSize is how many entries may wait to be written (default 65536).
	QueueSize int
	// BatchSize is the most events written in one store call (default 256).
	BatchSize int
	// Wait is how long Record waits for room in a full queue before it
	// drops the entry (default 2s). A full queue means the store cannot keep
	// up; waiting pushes back on callers rather than losing audit records.
	Wait time.Duration
	// Linger is how long the writer waits for a batch to fill before it
	// writes a partial one (default 10ms): one store transaction per batch,
	// not per event, at any request rate.
	Linger time.Duration
	// Retries is how many more times a failed batch write is tried (default 2).
	Retries int
	// Logger receives drop and write-failure reports (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.QueueSize <= 0 {
		o.QueueSize = 65536
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 2048
	}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Second
	}
	if o.Linger <= 0 {
		o.Linger = 10 * time.Millisecond
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 2
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Recorder queues entries and writes them to the store in the background.
// It is safe for concurrent use.
type Recorder struct {
	st   store.Store
	opts Options

	queue   chan Entry
	flushes chan chan error
	closing chan struct{}
	done    chan struct{}

	// ctx bounds background store writes; Close cancels it when its own
	// context expires.
	ctx    context.Context
	cancel context.CancelFunc

	closeOnce sync.Once
	closed    atomic.Bool
	dropped   atomic.Uint64
	written   atomic.Uint64
	// lastDropLog is when a drop was last logged (Unix nanoseconds).
	lastDropLog atomic.Int64
}

// New starts a Recorder writing to st. Close stops it.
func New(st store.Store, opts Options) *Recorder {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{
		st:      st,
		opts:    opts,
		queue:   make(chan Entry, opts.QueueSize),
		flushes: make(chan chan error),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
	}
	go r.run()
	return r
}

// Store returns the store events are written to.
func (r *Recorder) Store() store.Store { return r.st }

// Record queues e. It does not wait for the store; it waits at most
// Options.Wait for room when the queue is full, then drops e and counts it.
func (r *Recorder) Record(e Entry) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if r.closed.Load() {
		r.drop(1, "recorder closed", nil)
		return
	}
	select {
	case r.queue <- e:
	default:
		r.recordFull(e)
	}
}

// recordFull is Record's slow path: wait a bounded time for room.
func (r *Recorder) recordFull(e Entry) {
	t := time.NewTimer(r.opts.Wait)
	defer t.Stop()
	select {
	case r.queue <- e:
	case <-t.C:
		r.drop(1, "queue full", nil)
	}
}

// Dropped returns how many entries were lost: queue full, recorder closed,
// or the store refusing a batch after retries.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// Written returns how many events were stored.
func (r *Recorder) Written() uint64 { return r.written.Load() }

// Flush returns once every entry queued before the call is stored. It
// returns the first write error since the previous Flush: those events were
// dropped (and counted).
func (r *Recorder) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case r.flushes <- reply:
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting entries, writes everything queued and stops the
// background goroutine. If ctx ends first, pending writes are abandoned
// (and counted as dropped) and ctx's error is returned.
func (r *Recorder) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		close(r.closing)
	})
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		r.cancel()
		return ctx.Err()
	}
}

func (r *Recorder) run() {
	defer close(r.done)
	defer r.cancel()
	batch := make([]Entry, 0, r.opts.BatchSize)
	var failed error // the first write error since the last Flush
	for {
		select {
		case e := <-r.queue:
			var reply chan error
			batch, reply = r.linger(append(batch[:0], e))
			if err := r.write(batch); err != nil && failed == nil {
				failed = err
			}
			if reply != nil {
				failed = r.flush(batch, reply, failed)
			}
		case reply := <-r.flushes:
			failed = r.flush(batch, reply, failed)
		case <-r.closing:
			for len(r.queue) > 0 {
				_ = r.drain(batch, len(r.queue)) // write reports each loss through drop
			}
			return
		}
	}
}

// flush answers a Flush: everything queued before it is in the buffer now
// or was in the batch just written; it writes exactly what is queued, so a
// busy queue cannot starve the caller. It returns the write error to keep
// for the next Flush (none: this one reports it).
func (r *Recorder) flush(batch []Entry, reply chan error, failed error) error {
	err := r.drain(batch, len(r.queue))
	if failed != nil {
		err = failed
	}
	reply <- err
	return nil
}

// linger fills batch from the queue, waiting up to Options.Linger for it to
// fill, so that a steady trickle of requests is written in few transactions.
// A Flush ends the wait: the batch is written at once, and the Flush's
// reply channel is returned to be answered after it.
func (r *Recorder) linger(batch []Entry) ([]Entry, chan error) {
	batch = r.fill(batch, r.opts.BatchSize)
	if len(batch) == r.opts.BatchSize {
		return batch, nil
	}
	t := time.NewTimer(r.opts.Linger)
	defer t.Stop()
	for len(batch) < r.opts.BatchSize {
		select {
		case e := <-r.queue:
			batch = r.fill(append(batch, e), r.opts.BatchSize)
		case reply := <-r.flushes:
			return batch, reply
		case <-t.C:
			return batch, nil
		case <-r.closing:
			return batch, nil
		}
	}
	return batch, nil
}

// fill appends up to max-len(batch) more queued entries without waiting.
func (r *Recorder) fill(batch []Entry, max int) []Entry {
	for len(batch) < max {
		select {
		case e := <-r.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// drain writes the next n queued entries and returns the first error.
func (r *Recorder) drain(batch []Entry, n int) error {
	var first error
	for n > 0 {
		size := min(n, r.opts.BatchSize)
		batch = batch[:0]
		for range size {
			batch = append(batch, <-r.queue)
		}
		n -= size
		if err := r.write(batch); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// write stores one batch, retrying a failed store call.
func (r *Recorder) write(batch []Entry) error {
	events := make([]store.Event, 0, len(batch))
	for i := range batch {
		ev, err := batch[i].event()
		if err != nil {
			r.drop(1, "bad entry", err)
			continue
		}
		events = append(events, ev)
	}
	clear(batch) // release references held by the reused buffer
	var err error
	for attempt := 0; attempt <= r.opts.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			case <-r.ctx.Done():
			}
		}
		if err = r.st.AppendEvents(r.ctx, events); err == nil {
			r.written.Add(uint64(len(events)))
			return nil
		}
		if r.ctx.Err() != nil {
			break
		}
	}
	r.drop(len(events), "store write failed", err)
	return fmt.Errorf("trail: write %d events: %w", len(events), err)
}

// drop counts lost entries and reports them: every store failure, and queue
// overflows at most once a second (with the running total).
func (r *Recorder) drop(n int, reason string, err error) {
	total := r.dropped.Add(uint64(n))
	if err == nil {
		now := time.Now().UnixNano()
		last := r.lastDropLog.Load()
		if now-last < int64(time.Second) || !r.lastDropLog.CompareAndSwap(last, now) {
			return
		}
	}
	attrs := []any{"reason", reason, "count", n, "dropped_total", total}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	r.opts.Logger.Error("trail: events DROPPED, the audit trail is incomplete", attrs...)
}
