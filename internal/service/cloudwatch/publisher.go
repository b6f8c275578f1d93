package cloudwatch

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

// PublisherOptions configure a Publisher.
type PublisherOptions struct {
	// Interval is how often buffered points are written (default 1s).
	Interval time.Duration
	// MaxPending bounds the aggregates buffered between writes (default
	// 100,000); points past it are dropped and counted (Dropped).
	MaxPending int
	// PruneEvery is how often points older than store.MetricRetention are
	// deleted, checked on each write (default 1h).
	PruneEvery time.Duration
	// Now tells the time; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Publisher writes the metrics services publish (Lambda's AWS/Lambda
// metrics) in the background, so that publishing never waits for the
// store: Put sums points into one aggregate per metric, unit and second
// (a StatisticSet), and a goroutine writes the aggregates every Interval.
// Flush writes what is buffered at once. It also prunes points older than
// store.MetricRetention, at most once per PruneEvery.
type Publisher struct {
	st   store.Metrics
	opts PublisherOptions

	mu      sync.Mutex
	pending map[pendingKey]*store.MetricDatum
	dropped atomic.Uint64

	flushes   chan chan error
	closing   chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	pruneMu   sync.Mutex
	lastPrune time.Time
}

// pendingKey identifies an aggregate: a metric, a unit and a second.
type pendingKey struct {
	account, region, namespace, name, dims, unit string
	second                                       int64
}

// NewPublisher starts a Publisher writing to st. Close stops it.
func NewPublisher(st store.Metrics, opts PublisherOptions) *Publisher {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 100_000
	}
	if opts.PruneEvery <= 0 {
		opts.PruneEvery = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &Publisher{
		st: st, opts: opts,
		pending: map[pendingKey]*store.MetricDatum{},
		flushes: make(chan chan error),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go p.run()
	return p
}

// Put buffers points; it never waits for the store.
func (p *Publisher) Put(points ...store.MetricDatum) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range points {
		sec := d.Time.Unix()
		k := pendingKey{d.Account, d.Region, d.Namespace, d.MetricName, store.EncodeDimensions(d.Dimensions), d.Unit, sec}
		if a := p.pending[k]; a != nil {
			a.Sum += d.Sum
			a.SampleCount += d.SampleCount
			a.Minimum, a.Maximum = min(a.Minimum, d.Minimum), max(a.Maximum, d.Maximum)
			continue
		}
		if len(p.pending) >= p.opts.MaxPending {
			p.dropped.Add(1)
			continue
		}
		d.Time = time.Unix(sec, 0).UTC()
		p.pending[k] = &d
	}
}

// Dropped is how many points were dropped because the buffer was full.
func (p *Publisher) Dropped() uint64 { return p.dropped.Load() }

// Flush writes every point Put before it, returning the write's error.
func (p *Publisher) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case p.flushes <- reply:
	case <-p.done:
		return errors.New("cloudwatch: publisher closed")
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

// Close writes what is buffered and stops the Publisher.
func (p *Publisher) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { close(p.closing) })
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Publisher) run() {
	defer close(p.done)
	tick := time.NewTicker(p.opts.Interval)
	defer tick.Stop()
	ctx := context.Background()
	for {
		select {
		case <-tick.C:
			if err := p.write(ctx); err != nil {
				p.opts.Logger.Error("cloudwatch: write metric data", "err", err)
			}
		case reply := <-p.flushes:
			reply <- p.write(ctx)
		case <-p.closing:
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := p.write(wctx); err != nil {
				p.opts.Logger.Error("cloudwatch: write metric data", "err", err)
			}
			cancel()
			return
		}
	}
}

// write stores the buffered aggregates. Those of a failed write are
// dropped and counted: metrics are not worth holding the buffer for.
func (p *Publisher) write(ctx context.Context) error {
	p.mu.Lock()
	batch := make([]store.MetricDatum, 0, len(p.pending))
	for _, d := range p.pending {
		batch = append(batch, *d)
	}
	clear(p.pending)
	p.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := p.st.PutMetricData(ctx, batch); err != nil {
		p.dropped.Add(uint64(len(batch)))
		return fmt.Errorf("cloudwatch: %d points: %w", len(batch), err)
	}
	p.prune(ctx)
	return nil
}

// prune deletes the points older than store.MetricRetention when the
// last pruning is PruneEvery old. A failure is logged: it is tried again
// on a later write.
func (p *Publisher) prune(ctx context.Context) {
	now := p.opts.Now()
	p.pruneMu.Lock()
	due := now.Sub(p.lastPrune) >= p.opts.PruneEvery
	if due {
		p.lastPrune = now
	}
	p.pruneMu.Unlock()
	if !due {
		return
	}
	if _, err := p.st.PruneMetricData(ctx, now.Add(-store.MetricRetention)); err != nil {
		p.opts.Logger.Error("cloudwatch: prune metric data", "err", err)
	}
}
