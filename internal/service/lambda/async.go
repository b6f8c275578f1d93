package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

const (
	// asyncQueueName names the store queue of Event invocations, shared by
	// every process on the database.
	asyncQueueName = "lambda_async"
	// maxAsyncQueue bounds the asynchronous invocations waiting to run,
	// across all accounts; beyond it Invoke throttles.
	maxAsyncQueue = 10000
	// asyncFormat is the format version of queued invocations.
	asyncFormat = 1
	// receiveLease is how long a received invocation stays hidden from
	// other processes: long enough for a function of up to 20s (with
	// leaseMargin) to run without the lease being extended, one store
	// write fewer per invocation; a process that dies holding it lets
	// another run it this long after.
	receiveLease = 30 * time.Second
	// leaseMargin is added to the function's timeout for the lease of a
	// running invocation: a process that dies while running one lets
	// another run it this long after the timeout would have ended it.
	leaseMargin = 10 * time.Second
	// retryAfterStoreError delays the next look at the queue after a
	// failed receive.
	retryAfterStoreError = time.Second
	// finishTimeout bounds the store write that records an attempt's
	// outcome.
	finishTimeout = 10 * time.Second
)

// asyncMessage is a queued Event invocation: what the invoke request
// resolved, to run as it would have run at once.
type asyncMessage struct {
	V             int    `json:"v"`
	Account       string `json:"account"`  // the function's account
	Function      string `json:"function"` // its name
	Version       string `json:"version"`  // "$LATEST" (run as it is when the message runs) or a version number
	InvokedARN    string `json:"invokedArn"`
	Payload       []byte `json:"payload"`
	RequestID     string `json:"requestId"`
	TraceID       string `json:"traceId,omitempty"`
	ClientContext string `json:"clientContext,omitempty"`
}

// asyncQueue runs Event invocations from the store's queue on a bounded
// set of workers. Any process sharing the store may run an invocation
// another accepted: each holds a lease on the invocations it runs (the
// function's timeout plus leaseMargin), so those of a process that dies
// run elsewhere once their lease ends. A failed invocation is retried
// twice after Lambda's delays (Config.RetryDelays); the attempts are the
// message's receives, so a run cut short by the death of its process
// counts as one, as a timeout would.
type asyncQueue struct {
	l     *Lambda
	q     *queue.Queue
	log   *slog.Logger
	slots chan struct{} // one per running worker
	wake  chan struct{} // a message may have been sent
	// idle is the longest wait between two looks at the queue: short
	// without a change feed, which is then the only way to learn of the
	// messages other processes send.
	idle        time.Duration
	unsubscribe func()
	ctx         context.Context
	cancel      context.CancelFunc
	startOnce   sync.Once
	wg          sync.WaitGroup

	mu      sync.Mutex
	pending []string // receipts of the invocations interrupted by close
}

func newAsyncQueue(l *Lambda, workers int, log *slog.Logger) *asyncQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &asyncQueue{
		l: l, q: queue.New(l.cfg.Store, asyncQueueName, l.now), log: log,
		slots: make(chan struct{}, workers), wake: make(chan struct{}, 1),
		idle: time.Second, unsubscribe: func() {}, ctx: ctx, cancel: cancel,
	}
	if l.cfg.Feed != nil {
		q.idle = time.Minute
		q.unsubscribe = l.cfg.Feed.Subscribe([]string{queue.Table(asyncQueueName)},
			func(store.Change) { q.wakeUp() }, q.wakeUp)
	}
	return q
}

// start starts receiving invocations, those left by earlier runs and
// other processes included; it does nothing after the first call or
// after close.
func (q *asyncQueue) start() {
	q.startOnce.Do(func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.ctx.Err() != nil {
			return
		}
		q.wg.Add(1)
		go q.poll()
	})
}

// send queues an invocation; it returns once the invocation is stored.
// A full queue throttles the caller.
func (q *asyncQueue) send(ctx context.Context, inv *invocation) error {
	if q.ctx.Err() != nil {
		return errService("The service is shutting down.")
	}
	if inv.opts.RequestID == "" {
		inv.opts.RequestID = uuid.NewString()
	}
	body, err := json.Marshal(asyncMessage{
		V: asyncFormat, Account: inv.account, Function: inv.cfg.Name, Version: inv.cfg.Version,
		InvokedARN: inv.invokedARN, Payload: inv.payload, RequestID: inv.opts.RequestID,
		TraceID: inv.opts.TraceID, ClientContext: inv.opts.ClientContext,
	})
	if err != nil {
		return fmt.Errorf("lambda: queue invocation: %w", err)
	}
	var full bool
	_, err = q.l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		n, err := q.q.Len(ctx, tx)
		if err != nil {
			return err
		}
		if full = n >= maxAsyncQueue; full {
			return nil
		}
		_, err = q.q.Send(ctx, tx, body, 0)
		return err
	})
	if err != nil {
		return fmt.Errorf("lambda: queue invocation: %w", err)
	}
	if full {
		return &api.Error{Code: "TooManyRequestsException", Status: http.StatusTooManyRequests,
			Message: "Rate Exceeded.", Fields: map[string]any{"Reason": "ConcurrentInvocationLimitExceeded"},
			Header: map[string]string{"Retry-After": "1"}}
	}
	// A request reached the service: the Invoker serves by now.
	q.start()
	q.wakeUp()
	return nil
}

func (q *asyncQueue) wakeUp() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// poll receives invocations while workers are free, and waits for a
// message to be sent or to become visible when none is.
func (q *asyncQueue) poll() {
	defer q.wg.Done()
	for {
		select {
		case q.slots <- struct{}{}:
		case <-q.ctx.Done():
			return
		}
		free := 1
	more:
		for free < cap(q.slots) {
			select {
			case q.slots <- struct{}{}:
				free++
			default:
				break more
			}
		}
		// A message sent from here on wakes the wait below.
		select {
		case <-q.wake:
		default:
		}
		msgs, err := q.q.Receive(q.ctx, free, receiveLease)
		if err != nil && q.ctx.Err() == nil {
			q.log.Error("lambda: receive asynchronous invocations", "err", err)
		}
		for _, m := range msgs {
			if q.ctx.Err() != nil {
				q.interrupted(m.Receipt)
				<-q.slots
				continue
			}
			q.wg.Add(1)
			go q.work(m)
		}
		for range free - len(msgs) {
			<-q.slots
		}
		if err == nil && len(msgs) == free {
			continue // there may be more
		}
		wait := retryAfterStoreError
		if err == nil {
			wait = q.untilVisible()
		}
		t := time.NewTimer(wait)
		select {
		case <-q.ctx.Done():
			t.Stop()
			return
		case <-q.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// untilVisible returns how long to wait before the next look at the
// queue: until its first message becomes visible, idle at most.
func (q *asyncQueue) untilVisible() time.Duration {
	at, ok, err := q.q.NextVisible(q.ctx)
	switch {
	case err != nil:
		if q.ctx.Err() == nil {
			q.log.Error("lambda: asynchronous invocations", "err", err)
		}
		return retryAfterStoreError
	case !ok:
		return q.idle
	}
	// Visible-at times have millisecond precision: never spin faster.
	return min(max(at.Sub(q.l.now()), time.Millisecond), q.idle)
}

// work makes one attempt of a received invocation; function errors,
// throttles and failures to start an environment are retried.
func (q *asyncQueue) work(m queue.Message) {
	defer func() {
		<-q.slots
		q.wg.Done()
	}()
	l := q.l
	var msg asyncMessage
	if err := json.Unmarshal(m.Body, &msg); err != nil || msg.V != asyncFormat {
		q.log.Error("lambda: unreadable asynchronous invocation dropped", "id", m.ID, "version", msg.V, "err", err)
		q.delete(q.ctx, m.Receipt)
		return
	}
	ref := fnRef{Account: msg.Account, Region: l.cfg.Region, Name: msg.Function}
	cfg, err := q.config(ref, msg.Version)
	var se *api.Error
	switch {
	case errors.As(err, &se) && se.Status == http.StatusNotFound:
		q.delete(q.ctx, m.Receipt) // deleted meanwhile: nothing to run
		return
	case err != nil:
		if q.ctx.Err() != nil {
			q.interrupted(m.Receipt)
			return
		}
		// The lease ends and the invocation is received again.
		q.log.Error("lambda: asynchronous invocation", "function", ref.arn(), "requestId", msg.RequestID, "err", err)
		return
	}
	receipt := m.Receipt
	if lease := time.Duration(cfg.Timeout)*time.Second + leaseMargin; lease > receiveLease {
		if receipt, err = q.q.ChangeVisibility(q.ctx, receipt, lease); err != nil {
			if q.ctx.Err() != nil {
				q.interrupted(m.Receipt)
				return
			}
			q.log.Error("lambda: extend the lease of an asynchronous invocation", "function", ref.arn(), "requestId", msg.RequestID, "err", err)
			return
		}
	}
	inv := &invocation{account: msg.Account, cfg: cfg, invokedARN: msg.InvokedARN, payload: msg.Payload,
		opts: runtime.InvokeOptions{RequestID: msg.RequestID, TraceID: msg.TraceID, ClientContext: msg.ClientContext}}
	res, err := l.run(q.ctx, inv)
	// An attempt that failed once close began was cut short by it,
	// whatever the failure says (a cancelled AssumeRole reads as a role
	// Lambda cannot assume, a killed environment as a function error): it
	// is given back. A successful one is recorded even when close began
	// meanwhile.
	if (err != nil || res.FunctionError != "") && q.ctx.Err() != nil {
		q.interrupted(receipt)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(q.ctx), finishTimeout)
	defer cancel()
	if !retryable(res, err) {
		if err != nil {
			q.log.Warn("lambda: asynchronous invocation failed; not retried", "function", ref.arn(),
				"requestId", msg.RequestID, "err", err)
		}
		q.delete(ctx, receipt)
		return
	}
	if m.ReceiveCount > len(l.cfg.RetryDelays) {
		q.log.Warn("lambda: asynchronous invocation failed; retries exhausted", "function", ref.arn(),
			"requestId", msg.RequestID, "attempts", m.ReceiveCount, "reason", failure(res, err))
		q.delete(ctx, receipt)
		return
	}
	if _, err := q.q.ChangeVisibility(ctx, receipt, l.cfg.RetryDelays[m.ReceiveCount-1]); err != nil {
		q.log.Error("lambda: delay the retry of an asynchronous invocation", "function", ref.arn(), "requestId", msg.RequestID, "err", err)
	}
	q.wakeUp() // the retry may be due before the poller's next look
}

// config returns the configuration an invocation runs: $LATEST as it runs
// now (the configuration before an update in progress), or a published
// version.
func (q *asyncQueue) config(ref fnRef, version string) (*config, error) {
	if version != latest {
		return q.l.loadVersion(q.ctx, q.l.cfg.Store, ref, version)
	}
	f, err := q.l.load(q.ctx, q.l.cfg.Store, ref)
	if err != nil {
		return nil, err
	}
	return f.runnable(&f.Config), nil
}

// retryable reports whether an attempt's outcome calls for a retry: a
// function error, a throttle or a service error.
func retryable(res *runtime.Result, err error) bool {
	if err == nil {
		return res.FunctionError != ""
	}
	var se *api.Error
	return !errors.As(err, &se) || se.Status == http.StatusTooManyRequests || se.Status >= 500
}

// failure says why an attempt failed: the error, or the function's error
// type and payload (Unhandled, a timeout's message).
func failure(res *runtime.Result, err error) string {
	if err != nil {
		return err.Error()
	}
	payload := string(res.Payload)
	if len(payload) > 256 {
		payload = payload[:256] + "…"
	}
	return res.FunctionError + ": " + payload
}

// delete removes a handled invocation from the queue.
func (q *asyncQueue) delete(ctx context.Context, receipt string) {
	if err := q.q.Delete(ctx, receipt); err != nil && ctx.Err() == nil {
		q.log.Error("lambda: delete a handled asynchronous invocation", "err", err)
	}
}

// interrupted keeps the receipt of an invocation that close interrupted,
// for close to give it back to the queue.
func (q *asyncQueue) interrupted(receipt string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, receipt)
}

// close stops the workers, cancelling running invocations, and gives the
// interrupted invocations back to the queue, visible at once to the other
// processes and to the next start, their attempt not counted.
func (q *asyncQueue) close(ctx context.Context) error {
	q.unsubscribe()
	q.mu.Lock()
	q.cancel()
	q.mu.Unlock()
	q.wg.Wait()
	var errs []error
	for _, r := range q.pending {
		if err := q.q.Return(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("lambda: give back interrupted asynchronous invocations: %w", err)
	}
	return nil
}
