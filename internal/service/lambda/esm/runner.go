package esm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

const (
	// relistEvery is how many ScanIntervals a mapping's units are kept
	// before they are listed again (new shards).
	relistEvery = 6
	// maxBackoff bounds the wait after failed polls, whatever the
	// RetryBackoff (which it bounds at 64 times).
	maxBackoff = time.Minute
)

// runner is the state of this process's pollers. One coordinator
// goroutine (coordinate) looks at the mappings when woken (wake, the Feed)
// and every ScanInterval, leases the units of the mappings that poll and
// runs one poller goroutine per unit leased; it renews the leases every
// third of LeaseDuration.
type runner struct {
	initOnce sync.Once
	// id is this process's random ID, the owner of its leases.
	id          string
	wake        chan struct{}
	unsubscribe func()

	mu sync.Mutex
	// pollers are the running pollers by unitKey; a stopped one stays
	// until its goroutine ends, for its successor to wait for it.
	pollers map[string]*poller
	// leased are the leases this process holds, by unitKey, with their
	// tokens.
	leased map[string]string
	// units are the units of each mapping, by UUID.
	units map[string]*unitList
	// problems are the last failures to resolve a mapping's function or
	// list its units, by UUID: each is logged once.
	problems map[string]string

	statusMu sync.Mutex
	status   map[string]string // last LastProcessingResult stored, by UUID

	sessions sessions
}

// unitList is a mapping's units as last listed.
type unitList struct {
	generation int
	units      []string
	listed     time.Time
	done       map[string]bool // read to their end
}

// poller is one running poller.
type poller struct {
	uuid, unit string
	token      string // the lease's
	config     string // configOf the mapping polled
	fn         Function
	// expires is when the lease ends as far as this process knows (it
	// renewed it until then); stopped is set once it is cancelled.
	expires time.Time
	stopped bool
	cancel  context.CancelFunc
	prev    <-chan struct{} // the predecessor's done, awaited before polling
	done    chan struct{}
}

func (r *runner) init() {
	r.initOnce.Do(func() {
		r.id = uuid.NewString()
		r.wake = make(chan struct{}, 1)
		r.unsubscribe = func() {}
		r.pollers = make(map[string]*poller)
		r.leased = make(map[string]string)
		r.units = make(map[string]*unitList)
		r.problems = make(map[string]string)
	})
}

// wake tells this process's coordinator that mappings changed.
func (m *Manager) wake() {
	m.run.init()
	select {
	case m.run.wake <- struct{}{}:
	default:
	}
}

// start settles the mappings an earlier run left in transition and starts
// the coordinator: it leases units and runs their pollers.
func (m *Manager) start() {
	r := &m.run
	r.init()
	if err := m.recoverStates(m.ctx); err != nil {
		m.log.Error("esm: settle the mappings of an earlier run", "err", err)
	}
	if m.cfg.Feed != nil {
		// Other processes' writes of mappings, and their leases given up.
		r.unsubscribe = m.cfg.Feed.Subscribe([]string{tableMappings, tableLeases},
			func(store.Change) { m.wake() }, m.wake)
	}
	m.wg.Add(1)
	go m.coordinate()
}

// stop gives up the leases this process holds; the pollers have stopped.
func (m *Manager) stop(ctx context.Context) error {
	r := &m.run
	r.init()
	r.unsubscribe()
	r.mu.Lock()
	keys := make([]string, 0, len(r.leased))
	for k := range r.leased {
		keys = append(keys, k)
	}
	clear(r.leased)
	r.mu.Unlock()
	return m.release(ctx, keys)
}

// coordinate runs the coordinator until the Manager closes.
func (m *Manager) coordinate() {
	defer m.wg.Done()
	r := &m.run
	scan := time.NewTimer(0)
	defer scan.Stop()
	renew := time.NewTicker(m.cfg.LeaseDuration / 3)
	defer renew.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-renew.C:
			m.renewAll(m.ctx)
			continue
		case <-r.wake:
		case <-scan.C:
		}
		m.scan(m.ctx)
		scan.Reset(m.cfg.ScanInterval)
	}
}

// scan looks at every mapping and starts and stops pollers to match.
func (m *Manager) scan(ctx context.Context) {
	r := &m.run
	items, err := m.cfg.Store.List(ctx, tableMappings, "", "", 0)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("esm: list mappings", "err", err)
		}
		return
	}
	var polling []*Mapping
	want := make(map[string]bool)
	for _, it := range items {
		mp := new(Mapping)
		if err := json.Unmarshal(it.Value, mp); err != nil || mp.V != mappingFormat {
			m.log.Error("esm: unreadable mapping skipped", "key", it.Key, "version", mp.V, "err", err)
			continue
		}
		if _, ok := m.sources[mp.Kind]; ok && mp.Polling() {
			polling = append(polling, mp)
			want[mp.UUID] = true
		}
	}
	// Pollers of mappings that no longer poll stop and give their units up.
	m.stopPollers(ctx, func(p *poller) bool { return !want[p.uuid] })
	r.mu.Lock()
	for id := range r.units {
		if !want[id] {
			delete(r.units, id)
		}
	}
	for id := range r.problems {
		if !want[id] {
			delete(r.problems, id)
		}
	}
	r.mu.Unlock()
	r.statusMu.Lock()
	for id := range r.status {
		if !want[id] {
			delete(r.status, id)
		}
	}
	r.statusMu.Unlock()
	for _, mp := range polling {
		if ctx.Err() != nil {
			return
		}
		m.scanMapping(ctx, mp)
	}
}

// scanMapping leases the units of one mapping that no process holds and
// starts their pollers.
func (m *Manager) scanMapping(ctx context.Context, mp *Mapping) {
	r := &m.run
	fn, err := m.cfg.Functions.Resolve(ctx, mp.Account, mp.FunctionArn)
	var se *api.Error
	switch {
	case errors.As(err, &se) && se.Status == http.StatusNotFound:
		m.stopPollers(ctx, func(p *poller) bool { return p.uuid == mp.UUID })
		m.report(mp, "PROBLEM: Function not found: "+mp.FunctionArn)
		return
	case err != nil:
		if ctx.Err() == nil && m.problem(mp.UUID, err) {
			m.log.Error("esm: resolve the function of a mapping", "uuid", mp.UUID, "function", mp.FunctionArn, "err", err)
		}
		return
	}
	units, done, err := m.unitsOf(ctx, mp, fn)
	if err != nil {
		if ctx.Err() == nil && m.problem(mp.UUID, err) {
			m.log.Warn("esm: list the units of a mapping", "uuid", mp.UUID, "source", mp.EventSourceArn, "err", err)
		}
		if units == nil {
			return
		}
	} else {
		m.problem(mp.UUID, nil)
	}
	// Pollers of units gone, or of another configuration or function,
	// stop (and start again below).
	config := configOf(mp)
	m.stopPollers(ctx, func(p *poller) bool {
		return p.uuid == mp.UUID && (!slices.Contains(units, p.unit) || p.config != config || p.fn != fn)
	})
	var free []string
	r.mu.Lock()
	for _, u := range units {
		if p := r.pollers[unitKey(mp.UUID, u)]; (p == nil || p.stopped) && !done[u] {
			free = append(free, u)
		}
	}
	r.mu.Unlock()
	if len(free) == 0 {
		return
	}
	now := time.Now()
	leased, finished, err := m.acquire(ctx, mp, free, m.cfg.LeaseDuration)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("esm: lease units", "uuid", mp.UUID, "err", err)
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.units[mp.UUID]; l != nil {
		for _, u := range finished {
			l.done[u] = true
		}
	}
	for u, token := range leased {
		m.startPoller(mp, config, fn, u, token, now.Add(m.cfg.LeaseDuration))
	}
}

// problem records the last failure of a mapping's scan (nil: none) and
// reports whether it differs from the one before, to be logged.
func (m *Manager) problem(uuid string, err error) bool {
	r := &m.run
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if r.problems[uuid] == msg {
		return false
	}
	if msg == "" {
		delete(r.problems, uuid)
	} else {
		r.problems[uuid] = msg
	}
	return true
}

// unitsOf returns a mapping's units, listed again every relistEvery
// ScanIntervals and when its generation changes, and those known to be
// done. When listing fails, except for a role Lambda cannot assume, it
// returns the units listed last (nil if none) with the error.
func (m *Manager) unitsOf(ctx context.Context, mp *Mapping, fn Function) ([]string, map[string]bool, error) {
	r := &m.run
	r.mu.Lock()
	l := r.units[mp.UUID]
	if l != nil && l.generation == mp.Generation && time.Since(l.listed) < relistEvery*m.cfg.ScanInterval {
		units, done := l.units, l.done
		r.mu.Unlock()
		return units, done, nil
	}
	r.mu.Unlock()
	w := m.newWorker(mp, fn, "")
	units, err := m.sources[mp.Kind].Units(ctx, w)
	switch {
	case err != nil && isRoleError(err):
		w.Report(roleProblem)
		return nil, nil, err
	case err != nil && l != nil:
		// The units cannot be listed now (ListShards denied, say): the
		// pollers go on with those listed last, and a new configuration
		// of the mapping still takes effect. The error is logged; the
		// list is tried again at the next scan.
		return l.units, l.done, err
	case err != nil:
		return nil, nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	done := make(map[string]bool)
	if l != nil && l.generation == mp.Generation {
		done = l.done
	}
	r.units[mp.UUID] = &unitList{generation: mp.Generation, units: units, listed: time.Now(), done: done}
	return units, done, nil
}

// startPoller starts the poller of a unit just leased, after its
// predecessor in this process, if any, has stopped. r.mu is held.
func (m *Manager) startPoller(mp *Mapping, config string, fn Function, unit, token string, expires time.Time) {
	r := &m.run
	key := unitKey(mp.UUID, unit)
	ctx, cancel := context.WithCancel(m.ctx)
	p := &poller{uuid: mp.UUID, unit: unit, token: token, config: config, fn: fn, expires: expires,
		cancel: cancel, done: make(chan struct{})}
	if old := r.pollers[key]; old != nil {
		old.stopped = true
		old.cancel()
		p.prev = old.done
	}
	r.pollers[key] = p
	r.leased[key] = token
	// Another process may have reported since this one last did: the
	// first report of this poller is written whatever it says.
	r.statusMu.Lock()
	delete(r.status, mp.UUID)
	r.statusMu.Unlock()
	m.wg.Add(1)
	go m.poll(ctx, p, m.unitWorker(mp, fn, unit, token))
}

// stopPollers cancels the pollers that stop selects and gives their leases
// up.
func (m *Manager) stopPollers(ctx context.Context, stop func(*poller) bool) {
	r := &m.run
	var keys []string
	r.mu.Lock()
	for key, p := range r.pollers {
		if p.stopped || !stop(p) {
			continue
		}
		p.stopped = true
		p.cancel()
		delete(r.leased, key)
		keys = append(keys, key)
	}
	r.mu.Unlock()
	if err := m.release(ctx, keys); err != nil && ctx.Err() == nil {
		m.log.Error("esm: give leases up", "err", err)
	}
}

// renewAll renews this process's leases; the pollers of leases found lost,
// or that could not be renewed before they expired, stop.
func (m *Manager) renewAll(ctx context.Context) {
	r := &m.run
	var keys []held
	r.mu.Lock()
	for key, p := range r.pollers {
		if !p.stopped {
			keys = append(keys, held{key: key, token: p.token})
		}
	}
	r.mu.Unlock()
	if len(keys) == 0 {
		return
	}
	now := time.Now()
	lost, err := m.renew(ctx, keys, m.cfg.LeaseDuration)
	if err != nil && ctx.Err() == nil {
		m.log.Error("esm: renew leases", "err", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range keys {
		p := r.pollers[h.key]
		if p == nil || p.stopped || p.token != h.token {
			continue
		}
		switch {
		case err == nil && !slices.Contains(lost, h.key):
			p.expires = now.Add(m.cfg.LeaseDuration)
		case err == nil || !now.Before(p.expires):
			// Another process holds it, or may by now.
			m.log.Warn("esm: lease lost", "uuid", p.uuid, "unit", p.unit)
			p.stopped = true
			p.cancel()
			delete(r.leased, h.key)
		}
	}
}

// poll runs a unit's poller: Source.Poll again and again, backing off
// after failures, until ctx ends, the lease is lost or the unit is done.
func (m *Manager) poll(ctx context.Context, p *poller, w *Worker) {
	r := &m.run
	key := unitKey(p.uuid, p.unit)
	defer m.wg.Done()
	defer close(p.done)
	defer func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.pollers[key] == p {
			delete(r.pollers, key)
		}
	}()
	if p.prev != nil {
		select {
		case <-p.prev:
		case <-ctx.Done():
			return
		}
	}
	src := m.sources[w.Mapping.Kind]
	backoff := m.cfg.RetryBackoff
	limit := min(64*m.cfg.RetryBackoff, maxBackoff)
	for {
		began := time.Now()
		err := src.Poll(ctx, w)
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, ErrUnitDone):
			m.unitDone(ctx, p)
			return
		case errors.Is(err, ErrLeaseLost):
			r.mu.Lock()
			if r.pollers[key] == p {
				p.stopped = true
				delete(r.leased, key)
			}
			r.mu.Unlock()
			return
		case isRoleError(err):
			w.Report(roleProblem)
		}
		if err != nil {
			w.Log.Warn("esm: poll failed", "err", err, "retryIn", backoff)
		}
		// A poll that ran long failed afresh.
		if time.Since(began) > limit {
			backoff = m.cfg.RetryBackoff
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, limit)
	}
}

// unitDone records that a poller's unit was read to its end.
func (m *Manager) unitDone(ctx context.Context, p *poller) {
	r := &m.run
	err := m.finish(ctx, p.uuid, p.unit, p.token)
	r.mu.Lock()
	defer r.mu.Unlock()
	key := unitKey(p.uuid, p.unit)
	if r.pollers[key] == p {
		p.stopped = true
		delete(r.leased, key)
	}
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, ErrLeaseLost) {
			m.log.Error("esm: unit done", "uuid", p.uuid, "unit", p.unit, "err", err)
		}
		return
	}
	if l := r.units[p.uuid]; l != nil {
		l.done[p.unit] = true
	}
}

// errNoUnit is the answer of Checkpoint and Commit of a Worker that holds
// no unit.
var errNoUnit = errors.New("esm: the worker holds no unit")

// newWorker returns the Worker of a mapping's unit ("" for Source.Check
// and Source.Units: its Checkpoint and Commit then fail). A unit's
// Commit is fenced by the lease of this process's poller of the unit:
// without one, it returns ErrLeaseLost.
func (m *Manager) newWorker(mp *Mapping, fn Function, unit string) *Worker {
	if unit == "" {
		return m.unitWorker(mp, fn, "", "")
	}
	r := &m.run
	r.init()
	r.mu.Lock()
	token := r.leased[unitKey(mp.UUID, unit)]
	r.mu.Unlock()
	return m.unitWorker(mp, fn, unit, token)
}

// unitWorker returns the Worker of a mapping's unit whose Commit is
// fenced by the lease token.
func (m *Manager) unitWorker(mp *Mapping, fn Function, unit, token string) *Worker {
	w := &Worker{
		Mapping: mp, Function: fn, Unit: unit, Region: m.cfg.Region,
		Invoker: m.cfg.Invoker, Now: m.now,
		Log: m.log.With("uuid", mp.UUID, "unit", unit),
		Principal: func(ctx context.Context) (*api.Principal, error) {
			return m.principal(ctx, fn)
		},
		Invoke: func(ctx context.Context, payload []byte) (*Result, error) {
			return m.invoke(ctx, mp, payload)
		},
		Report: func(result string) { m.report(mp, result) },
		Checkpoint: func(context.Context) (string, error) {
			return "", errNoUnit
		},
		Commit: func(context.Context, string) error {
			return errNoUnit
		},
	}
	if unit != "" {
		w.Checkpoint = func(ctx context.Context) (string, error) {
			return m.checkpoint(ctx, mp.UUID, unit)
		}
		w.Commit = func(ctx context.Context, position string) error {
			if token == "" {
				return ErrLeaseLost
			}
			return m.commit(ctx, mp.UUID, unit, token, position)
		}
	}
	return w
}

// invoke runs the mapping's function with payload, unless ctx has ended.
// Once started, the invocation runs to its end (the function returns or
// times out) even when ctx ends, the poller stopped because the mapping
// was disabled, updated or deleted: Lambda does not stop a running
// function, and its poller then deletes or checkpoints what succeeded.
// Only the Manager's closing ends it early.
func (m *Manager) invoke(ctx context.Context, mp *Mapping, payload []byte) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ictx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(m.ctx, cancel)()
	return m.cfg.Functions.Invoke(ictx, mp.FunctionArn, payload)
}

// configOf is what of a mapping its pollers run with: its record less its
// state, generation, times and tags. Pollers start again when it changes.
func configOf(mp *Mapping) string {
	c := *mp
	c.Generation, c.State, c.StateTransitionReason = 0, "", ""
	c.LastModified, c.Tags = time.Time{}, nil
	b, _ := json.Marshal(&c) // a Mapping always marshals
	return string(b)
}
