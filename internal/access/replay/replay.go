// Package replay answers "what breaks?": it replays the authorization
// decisions recorded for a principal over a time range against a proposed
// policy change (an inline or managed policy's new document, a policy taken
// away, a permissions boundary, a service control policy) and lists the
// requests that would now be denied and those that would newly be allowed,
// each with the statements that decide it. Requests whose decision already
// differs without the change, because the principal's policies changed
// since they were made, are listed apart as drifted rather than blamed on
// the change. No AWS product does this; the decisions are those of AWS's
// evaluation logic (internal/policy), as the gateway made them.
//
// The input is the trail's access rows (store.Access, counted per second)
// and the replay records they name (gateway.ReplayRequest, read in batches
// and decoded once per key).
package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// Source is where the recorded traffic is read: a store.Store.
type Source interface {
	QueryAccess(ctx context.Context, q store.AccessQuery) iter.Seq2[store.Access, error]
	SummarizeAccess(ctx context.Context, q store.AccessQuery) iter.Seq2[store.AccessSummary, error]
	AccessRequests(ctx context.Context, keys []string) (map[string][]byte, error)
}

// Input is one replay.
type Input struct {
	// PrincipalARN is the role or user whose traffic is replayed: the
	// decisions of the role's sessions count as the role's.
	PrincipalARN string
	// Start and End bound the range (inclusive, to the second).
	Start, End time.Time
	// Current is the principal's policies today (IAM's SetInput, without
	// session policies, which each replay record carries).
	Current policy.SetInput
	// Change is the proposed change.
	Change *gateway.Change
	// NoMemo evaluates every access row, even where a request's answer
	// cannot depend on its time; for measuring.
	NoMemo bool
}

// Statement is a statement that decides a replayed request.
type Statement struct {
	Policy string `json:"policy"` // the inline policy's name or managed policy's ARN; "" for the resource's policy
	Sid    string `json:"sid,omitempty"`
	Index  int    `json:"index"`
	Effect string `json:"effect"`
	Source string `json:"source"` // "identity-based policy", "service control policy", ...
}

// Item is the recorded requests that agree in what they asked and in how
// they were and would be decided. Times are epoch seconds.
type Item struct {
	EventSource  string `json:"eventSource"`
	EventName    string `json:"eventName"`
	Action       string `json:"action"`
	Resource     string `json:"resource"`
	Count        int64  `json:"count"`
	FirstEventID string `json:"firstEventId"`
	FirstTime    int64  `json:"firstTime"`
	LastTime     int64  `json:"lastTime"`
	// Recorded is the decision made then; Current the decision the
	// principal's policies make today (drifted items only); Proposed the
	// decision under the change.
	Recorded string `json:"recorded"`
	Current  string `json:"current,omitempty"`
	Proposed string `json:"proposed"`
	// Statements decide Proposed: the deny, the allows that grant, or, for
	// an implicit deny, none ("no statement allows"); Reason says the
	// same in AWS's AccessDenied words.
	Statements []Statement `json:"statements"`
	Reason     string      `json:"reason,omitempty"`
}

// Result is the answer of a replay.
type Result struct {
	// Evaluated is the number of recorded decisions replayed.
	Evaluated int64 `json:"evaluated"`
	// NotReplayed is the number of recorded decisions without a replay
	// record (made before records were kept) or with one whose documents
	// no longer parse: they are not judged.
	NotReplayed  int64  `json:"notReplayed"`
	NewlyDenied  []Item `json:"newlyDenied"`
	NewlyAllowed []Item `json:"newlyAllowed"`
	Drifted      []Item `json:"drifted"`
}

// batchRows is how many access rows are read before their replay records
// are fetched together.
const batchRows = 4096

// Run replays the principal's recorded decisions of [in.Start, in.End]
// against in.Change. Errors are the source's, or a replay record that does
// not decode.
//
// When no policy of the principal or the change reads the time, the rows
// are read summed over time (store.SummarizeAccess) and each summary is
// answered once; if a replay record then turns out to read the time
// itself, the replay starts over row by row.
func Run(ctx context.Context, src Source, in *Input) (*Result, error) {
	q := store.AccessQuery{PrincipalARN: in.PrincipalARN, Start: in.Start, End: in.End}
	if r := newRun(in); r.timeFree {
		res, err := r.summaries(ctx, src, q)
		if err != errTimed {
			return res, err
		}
	}
	r := newRun(in)
	batch := make([]store.Access, 0, batchRows)
	for a, err := range src.QueryAccess(ctx, q) {
		if err != nil {
			return nil, fmt.Errorf("replay: read access of %s: %w", in.PrincipalARN, err)
		}
		batch = append(batch, a)
		if len(batch) == batchRows {
			if err := r.batch(ctx, src, batch, nil); err != nil {
				return nil, err
			}
			batch = batch[:0]
		}
	}
	if err := r.batch(ctx, src, batch, nil); err != nil {
		return nil, err
	}
	return r.result(), nil
}

// errTimed ends a replay of summaries that meets a record reading the
// time.
var errTimed = errors.New("replay: a replay record reads the time")

// summaries replays the summaries of q's rows; errTimed when a record
// reads the time, so its answer may differ from row to row.
func (r *run) summaries(ctx context.Context, src Source, q store.AccessQuery) (*Result, error) {
	batch := make([]store.Access, 0, batchRows)
	lasts := make([]time.Time, 0, batchRows)
	flush := func() error {
		err := r.batch(ctx, src, batch, lasts)
		batch, lasts = batch[:0], lasts[:0]
		return err
	}
	for s, err := range src.SummarizeAccess(ctx, q) {
		if err != nil {
			return nil, fmt.Errorf("replay: read access of %s: %w", q.PrincipalARN, err)
		}
		batch, lasts = append(batch, s.Access), append(lasts, s.Last)
		if len(batch) == batchRows {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return r.result(), nil
}

// run is the state of one replay.
type run struct {
	in *Input
	// timeFree reports that no policy of the principal or the change
	// reads the time, so a request's answer depends on its key only.
	timeFree bool
	// base prepares records as they are, proposed under the change.
	base, proposed *gateway.Replayer
	// sets are the compiled policy sets, by session policies.
	sets     map[setKey]*policy.PolicySet
	requests map[string]*prepared
	groups   map[groupKey]*Item
	order    []groupKey
	res      Result
}

// prepared is a replay record made ready, with its answers once known.
type prepared struct {
	base, proposed       *gateway.Prepared
	baseSet, proposedSet *policy.PolicySet
	timeFree             bool // the record's own documents read no time
	answered             bool
	current              policy.Decision
	change               policy.Decision
	why                  string // statementsKey of change, once needed; "" before
}

// setKey names a compiled set: the change or not, and the session
// policies (each parsed once by its Replayer, so the same pointers).
type setKey struct {
	changed bool
	session string
}

// Kinds of item.
const (
	kindDenied = iota
	kindAllowed
	kindDrifted
)

type groupKey struct {
	kind                             int
	source, name, action, resource   string
	recorded, current, proposed, why string
}

func newRun(in *Input) *run {
	free := !readsTime(in.Current.Boundary)
	for i := range in.Current.Identity {
		free = free && !readsTime(&in.Current.Identity[i])
	}
	if ch := in.Change; ch != nil {
		free = free && !readsTime(ch.Boundary) && !readsTime(ch.SCP)
		for i := range ch.Identity {
			free = free && !readsTime(&ch.Identity[i])
		}
	}
	return &run{in: in, timeFree: free && !in.NoMemo, base: gateway.NewReplayer(nil), proposed: gateway.NewReplayer(in.Change),
		sets: map[setKey]*policy.PolicySet{}, requests: map[string]*prepared{}, groups: map[groupKey]*Item{}}
}

// prepare readies a replay record under both replayers; nil when it
// cannot be (its documents no longer parse): it is not judged.
func (r *run) prepare(b []byte) (*prepared, error) {
	var req gateway.ReplayRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return nil, err
	}
	base, err := r.base.Prepare(&req)
	if err != nil {
		return nil, nil
	}
	proposed, err := r.proposed.Prepare(&req)
	if err != nil {
		return nil, nil
	}
	return &prepared{base: base, proposed: proposed, timeFree: !timeWords(b),
		baseSet: r.set(base, false), proposedSet: r.set(proposed, true)}, nil
}

// set compiles the principal's policies for a prepared record, once per
// distinct session policies.
func (r *run) set(p *gateway.Prepared, changed bool) *policy.PolicySet {
	var b strings.Builder
	for _, n := range p.Session() {
		fmt.Fprintf(&b, "%s\x00%p\x00", n.ID, n.Policy)
	}
	k := setKey{changed: changed, session: b.String()}
	if s, ok := r.sets[k]; ok {
		return s
	}
	// Compile applies the change p was prepared under (none for the base).
	s := p.Compile(r.in.Current)
	r.sets[k] = s
	return s
}

// batch replays a batch of access rows, fetching the replay records not
// yet decoded. With lasts, the rows are summaries (store.AccessSummary),
// lasts[i] the last second of rows[i], and every record must be free of
// the time (else errTimed).
func (r *run) batch(ctx context.Context, src Source, rows []store.Access, lasts []time.Time) error {
	var missing []string
	for i := range rows {
		k := rows[i].Request
		if k == "" {
			continue
		}
		if _, ok := r.requests[k]; !ok {
			r.requests[k] = nil
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		got, err := src.AccessRequests(ctx, missing)
		if err != nil {
			return fmt.Errorf("replay: read replay records: %w", err)
		}
		for k, b := range got {
			p, err := r.prepare(b)
			if err != nil {
				return fmt.Errorf("replay: replay record %s: %w", k, err)
			}
			r.requests[k] = p
		}
	}
	for i := range rows {
		last := rows[i].Time
		if lasts != nil {
			if p := r.requests[rows[i].Request]; p != nil && !p.timeFree {
				return errTimed
			}
			last = lasts[i]
		}
		r.row(&rows[i], last)
	}
	return nil
}

// row replays one access row, or the rows of one summary whose last
// second is last.
func (r *run) row(a *store.Access, last time.Time) {
	p := r.requests[a.Request]
	if p == nil {
		r.res.NotReplayed += a.Count
		return
	}
	r.res.Evaluated += a.Count
	if !p.answered || !r.timeFree || !p.timeFree {
		p.current = p.base.Evaluate(p.baseSet, a.Time)
		p.change = p.proposed.Evaluate(p.proposedSet, a.Time)
		p.answered, p.why = true, ""
	}
	cur, prop := p.current.Effect.String(), p.change.Effect.String()
	kind := kindDrifted
	switch {
	case cur != a.Decision:
	case cur == prop:
		return
	case prop == "Allow":
		kind = kindAllowed
	case cur == "Allow":
		kind = kindDenied
	default:
		return // one deny for another: still denied
	}
	if p.why == "" {
		p.why = statementsKey(&p.change)
	}
	r.add(kind, a, last, cur, &p.change, p.why)
}

// add counts a, whose last second is last, in its item; why is
// statementsKey(d).
func (r *run) add(kind int, a *store.Access, last time.Time, cur string, d *policy.Decision, why string) {
	k := groupKey{kind: kind, source: a.EventSource, name: a.EventName, action: a.Action, resource: a.Resource,
		recorded: a.Decision, proposed: d.Effect.String(), why: why}
	if kind == kindDrifted {
		k.current = cur
	}
	it := r.groups[k]
	sec := a.Time.Unix()
	if it == nil {
		it = &Item{EventSource: a.EventSource, EventName: a.EventName, Action: a.Action, Resource: a.Resource,
			FirstEventID: a.EventID, FirstTime: sec, LastTime: sec, Recorded: a.Decision, Current: k.current,
			Proposed: k.proposed, Statements: statements(d), Reason: d.Reason(a.Action)}
		r.groups[k] = it
		r.order = append(r.order, k)
	}
	it.Count += a.Count
	it.LastTime = max(it.LastTime, last.Unix())
}

// result lists the items, in the order they were first met (oldest first).
func (r *run) result() *Result {
	res := r.res
	res.NewlyDenied, res.NewlyAllowed, res.Drifted = []Item{}, []Item{}, []Item{}
	for _, k := range r.order {
		it := *r.groups[k]
		switch k.kind {
		case kindDenied:
			res.NewlyDenied = append(res.NewlyDenied, it)
		case kindAllowed:
			res.NewlyAllowed = append(res.NewlyAllowed, it)
		default:
			res.Drifted = append(res.Drifted, it)
		}
	}
	return &res
}

func statements(d *policy.Decision) []Statement {
	out := make([]Statement, 0, d.Count)
	for _, m := range d.Matches[:d.Count] {
		out = append(out, Statement{Policy: m.Policy, Sid: m.Sid, Index: m.Index, Effect: m.Effect.String(), Source: m.Source.String()})
	}
	return out
}

func statementsKey(d *policy.Decision) string {
	var b strings.Builder
	b.WriteString(d.Source.String())
	for _, m := range d.Matches[:d.Count] {
		fmt.Fprintf(&b, "\x00%s\x00%s\x00%d\x00%d", m.Policy, m.Sid, m.Index, m.Effect)
	}
	return b.String()
}

// readsTime reports whether a policy may read the time of the request.
func readsTime(n *policy.Named) bool {
	return n != nil && n.Policy != nil && timeWords([]byte(n.Policy.String()))
}

// timeWords reports whether JSON text may name aws:CurrentTime or
// aws:EpochTime, the keys a replay sets from a row's time: it does when it
// spells either, in any case, or holds an escape that could.
func timeWords(b []byte) bool {
	l := bytes.ToLower(b)
	return slices.ContainsFunc([][]byte{[]byte("currenttime"), []byte("epochtime"), []byte(`\u`)}, func(w []byte) bool {
		return bytes.Contains(l, w)
	})
}
