package lambda

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/service/logs"
)

// PutLogEvents limits.
const (
	maxBatchEvents   = 10000
	maxBatchBytes    = 1048576
	eventOverhead    = 26
	maxQueuedEvents  = 100000
	shipCallTimeout  = 10 * time.Second
	shipperIdleAfter = time.Minute
	// shipInterval is the least time between two shipments of a group:
	// a busy function's lines are written in one PutLogEvents per interval,
	// not one per invocation, while an idle group's first lines go at once.
	shipInterval = 100 * time.Millisecond
)

// logShipper writes functions' logs to CloudWatch Logs as their execution
// roles, one worker per log group, so that shipping never delays an invoke
// and one function's slow logs do not delay another's.
type logShipper struct {
	l    *Lambda
	stop chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	closed bool
	groups map[string]*groupShipper
}

// logBatch is events of one stream, written as principal.
type logBatch struct {
	stream    string
	principal *api.Principal
	events    []runtime.LogEvent
}

type groupShipper struct {
	group string
	wake  chan struct{}

	mu      sync.Mutex
	pending []logBatch
	queued  int

	// Owned by the worker.
	groupReady bool
	streams    map[string]bool
}

func newLogShipper(l *Lambda) *logShipper {
	return &logShipper{l: l, stop: make(chan struct{}), groups: map[string]*groupShipper{}}
}

// LogSink returns the runtime's log sink: it queues each environment's
// lines for its log group's worker.
func (l *Lambda) LogSink() runtime.LogSink {
	return func(group, stream string, events []runtime.LogEvent) {
		if len(events) == 0 {
			return
		}
		st := l.envs.get(envIDOfStream(stream))
		if st == nil {
			return // the environment runs without credentials: nothing can write its logs
		}
		l.logs.enqueue(group, logBatch{stream: stream, principal: st.principal, events: slices.Clone(events)})
	}
}

// envIDOfStream is the environment ID at the end of a log stream name
// (YYYY/MM/DD/[$LATEST]<id>).
func envIDOfStream(stream string) string {
	if i := strings.LastIndexByte(stream, ']'); i >= 0 {
		return stream[i+1:]
	}
	return ""
}

func (s *logShipper) enqueue(group string, b logBatch) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	g := s.groups[group]
	if g == nil {
		g = &groupShipper{group: group, wake: make(chan struct{}, 1), streams: map[string]bool{}}
		s.groups[group] = g
		s.wg.Add(1)
		go s.run(g)
	}
	// Queue under s.mu, so that an idle worker cannot retire in between.
	g.mu.Lock()
	if g.queued+len(b.events) <= maxQueuedEvents {
		g.pending = append(g.pending, b)
		g.queued += len(b.events)
	}
	g.mu.Unlock()
	s.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// run is a group's worker: it ships what is queued whenever woken, and
// what is left when the shipper closes.
func (s *logShipper) run(g *groupShipper) {
	defer s.wg.Done()
	idle := time.NewTimer(shipperIdleAfter)
	defer idle.Stop()
	var last time.Time
	for {
		select {
		case <-g.wake:
			if wait := shipInterval - time.Since(last); wait > 0 {
				// Gather what else arrives until the interval is over.
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-s.stop:
					t.Stop()
					s.ship(g)
					return
				}
			}
			last = time.Now()
			s.ship(g)
			idle.Reset(shipperIdleAfter)
		case <-idle.C:
			// Retire an idle worker; a later batch starts a new one.
			s.mu.Lock()
			g.mu.Lock()
			empty := len(g.pending) == 0
			g.mu.Unlock()
			if empty {
				delete(s.groups, g.group)
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			idle.Reset(shipperIdleAfter)
		case <-s.stop:
			s.ship(g)
			return
		}
	}
}

func (s *logShipper) ship(g *groupShipper) {
	g.mu.Lock()
	batches := g.pending
	g.pending, g.queued = nil, 0
	g.mu.Unlock()
	// Merge consecutive batches of the same stream into one PutLogEvents.
	for i := 0; i < len(batches); {
		b := batches[i]
		j := i + 1
		for ; j < len(batches) && batches[j].stream == b.stream && batches[j].principal == b.principal; j++ {
			b.events = append(b.events, batches[j].events...)
		}
		s.write(g, b)
		i = j
	}
}

// write ships one stream's events, creating the group and the stream first
// when this worker has not seen them. Calls the role may not make are
// denied (and recorded) by the gateway; their events are dropped, as
// Lambda drops the logs of a role without logs permissions.
func (s *logShipper) write(g *groupShipper, b logBatch) {
	ctx, cancel := context.WithTimeout(context.Background(), shipCallTimeout)
	defer cancel()
	for attempt := 0; attempt < 2; attempt++ {
		if !g.groupReady {
			err := s.call(ctx, b.principal, "CreateLogGroup", &logs.CreateLogGroupInput{LogGroupName: g.group})
			g.groupReady = err == nil || isCode(err, "ResourceAlreadyExistsException")
		}
		if !g.streams[b.stream] {
			err := s.call(ctx, b.principal, "CreateLogStream", &logs.StreamInput{LogGroupName: g.group, LogStreamName: b.stream})
			if err != nil && !isCode(err, "ResourceAlreadyExistsException") {
				return
			}
			g.streams[b.stream] = true
		}
		err := s.put(ctx, g.group, b)
		if !isCode(err, "ResourceNotFoundException") {
			return
		}
		// The group or stream was deleted since: create them again.
		g.groupReady = false
		delete(g.streams, b.stream)
	}
}

// put writes events in PutLogEvents batches within the service's limits.
func (s *logShipper) put(ctx context.Context, group string, b logBatch) error {
	events := slices.Clone(b.events)
	slices.SortStableFunc(events, func(x, y runtime.LogEvent) int { return x.Time.Compare(y.Time) })
	var batch []logs.InputLogEvent
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.call(ctx, b.principal, "PutLogEvents", &logs.PutLogEventsInput{
			StreamInput: logs.StreamInput{LogGroupName: group, LogStreamName: b.stream},
			LogEvents:   batch,
		})
		batch, size = nil, 0
		return err
	}
	for _, e := range events {
		msg := e.Message
		if len(msg)+eventOverhead > maxBatchBytes {
			msg = msg[:maxBatchBytes-eventOverhead]
		}
		if len(batch) == maxBatchEvents || size+len(msg)+eventOverhead > maxBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		ts := e.Time.UnixMilli()
		batch = append(batch, logs.InputLogEvent{Timestamp: &ts, Message: &msg})
		size += len(msg) + eventOverhead
	}
	return flush()
}

func (s *logShipper) call(ctx context.Context, p *api.Principal, op string, input any) error {
	_, err := s.l.cfg.Invoker.Invoke(ctx, api.Internal{
		Principal: p,
		Service:   "logs",
		Operation: op,
		Input:     input,
		Region:    s.l.cfg.Region,
	})
	return err
}

func isCode(err error, code string) bool {
	var se *api.Error
	return errors.As(err, &se) && se.Code == code
}

// close ships what is queued and stops the workers, waiting until ctx is done.
func (s *logShipper) close(ctx context.Context) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
