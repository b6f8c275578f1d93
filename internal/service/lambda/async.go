package lambda

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
)

// maxAsyncQueue bounds the asynchronous invocations waiting to run.
const maxAsyncQueue = 10000

// asyncInvocation is an Event invocation and its attempts so far.
type asyncInvocation struct {
	*invocation
	attempt int
}

// asyncQueue runs Event invocations on a bounded set of workers, retrying
// a failed invocation twice after Lambda's delays.
type asyncQueue struct {
	l      *Lambda
	ch     chan *asyncInvocation
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newAsyncQueue(l *Lambda, workers int) *asyncQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &asyncQueue{l: l, ch: make(chan *asyncInvocation, maxAsyncQueue), ctx: ctx, cancel: cancel}
	q.wg.Add(workers)
	for range workers {
		go q.work()
	}
	return q
}

// push queues an invocation; a full queue throttles the caller.
func (q *asyncQueue) push(a *asyncInvocation) error {
	if a.opts.RequestID == "" {
		a.opts.RequestID = uuid.NewString()
	}
	select {
	case <-q.ctx.Done():
		return errService("The service is shutting down.")
	default:
	}
	select {
	case q.ch <- a:
		return nil
	default:
		return &api.Error{Code: "TooManyRequestsException", Status: http.StatusTooManyRequests,
			Message: "Rate Exceeded.", Fields: map[string]any{"Reason": "ConcurrentInvocationLimitExceeded"},
			Header: map[string]string{"Retry-After": "1"}}
	}
}

func (q *asyncQueue) work() {
	defer q.wg.Done()
	for {
		select {
		case <-q.ctx.Done():
			return
		case a := <-q.ch:
			q.runOnce(a)
		}
	}
}

// runOnce makes one attempt; function errors, throttles and failures to
// start an environment are retried.
func (q *asyncQueue) runOnce(a *asyncInvocation) {
	l := q.l
	ref := fnRef{Account: a.account, Region: l.cfg.Region, Name: a.cfg.Name}
	// Run the configuration current now: $LATEST may have changed since.
	if a.cfg.Version == latest {
		f, err := l.load(q.ctx, l.cfg.Store, ref)
		if err != nil {
			return // deleted meanwhile
		}
		a.cfg = &f.Config
	}
	res, err := l.run(q.ctx, a.invocation)
	if q.ctx.Err() != nil {
		return
	}
	if err == nil && res.FunctionError == "" {
		return
	}
	var se *api.Error
	if errors.As(err, &se) && se.Status != http.StatusTooManyRequests && se.Status < 500 {
		return // not retryable
	}
	if a.attempt >= len(l.cfg.RetryDelays) {
		return
	}
	delay := l.cfg.RetryDelays[a.attempt]
	a.attempt++
	l.goBackground(func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			_ = q.push(a) // fails only when the service is shutting down
		case <-q.ctx.Done():
		}
	})
}

// close stops the workers, cancelling running invocations.
func (q *asyncQueue) close() {
	q.cancel()
	q.wg.Wait()
}
