package rolecall

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// What AlsoAllows replays: the principal's denied requests of the last
// alsoWindow, at most alsoRows access rows of them, listing alsoMax.
const (
	alsoWindow = 30 * 24 * time.Hour
	alsoRows   = 20000
	alsoMax    = 50
	alsoBatch  = 1000
)

// alsoReplay is one record made ready as it is and as a fix makes it.
type alsoReplay struct {
	before, after       *gateway.Prepared
	beforeSet, afterSet *policy.PolicySet
}

// alsoAllows fills cand's AlsoAllows.Requests: the access rows of the
// principal (the user, or every session of the role) of the last 30 days
// that were denied, are denied today and that the fix allows, the
// explained event's own row left out.
func (r *API) alsoAllows(c *api.Call, x *explained, cand *candidate) error {
	out := &cand.fix.AlsoAllows
	out.Requests = []AllowedRequest{}
	who := x.iamARN
	if who == "" {
		who = x.event.PrincipalARN
	}
	if who == "" {
		return nil // anonymous callers: no principal to select rows by
	}
	end := r.cfg.Now().UTC()
	var rows []store.Access
	for a, err := range r.cfg.Store.QueryAccess(c.Context, store.AccessQuery{Account: x.event.Account, PrincipalARN: who, Start: end.Add(-alsoWindow), End: end}) {
		if err != nil {
			return fmt.Errorf("rolecall: access of %s: %w", who, err)
		}
		if a.Decision == "Allow" || a.Request == "" || a.EventID == x.event.ID && a.Count == 1 || cand.affects != nil && !cand.affects(&a) {
			continue
		}
		if rows = append(rows, a); len(rows) == alsoRows {
			break
		}
	}
	before, after := gateway.NewReplayer(nil), gateway.NewReplayer(nil)
	sets := map[string]*policy.PolicySet{}
	compile := func(p *gateway.Prepared, in policy.SetInput, changed bool) *policy.PolicySet {
		var b strings.Builder
		fmt.Fprintf(&b, "%t", changed)
		for _, n := range p.Session() {
			fmt.Fprintf(&b, "\x00%s\x00%p", n.ID, n.Policy)
		}
		if s, ok := sets[b.String()]; ok {
			return s
		}
		s := p.Compile(in)
		sets[b.String()] = s
		return s
	}
	ready := map[string]*alsoReplay{}
	for lo := 0; lo < len(rows); lo += alsoBatch {
		batch := rows[lo:min(lo+alsoBatch, len(rows))]
		var keys []string
		for _, a := range batch {
			if _, ok := ready[a.Request]; !ok {
				ready[a.Request] = nil
				keys = append(keys, a.Request)
			}
		}
		recs, err := r.cfg.Store.AccessRequests(c.Context, keys)
		if err != nil {
			return fmt.Errorf("rolecall: replay records of %s: %w", who, err)
		}
		for k, b := range recs {
			var rec gateway.ReplayRequest
			if err := json.Unmarshal(b, &rec); err != nil {
				return fmt.Errorf("rolecall: replay record %s: %w", k, err)
			}
			in, changed := cand.apply(x.current, &rec)
			pb, err := before.Prepare(&rec)
			if err != nil {
				continue // documents that no longer parse: not judged
			}
			pa, err := after.Prepare(changed)
			if err != nil {
				continue
			}
			// The set is the same for records of the same session
			// policies: the fix changes the principal's policies alike
			// for all.
			ready[k] = &alsoReplay{before: pb, after: pa, beforeSet: compile(pb, x.current, false), afterSet: compile(pa, in, true)}
		}
		for _, a := range batch {
			p := ready[a.Request]
			if p == nil || p.before.Evaluate(p.beforeSet, a.Time).Allowed() || !p.after.Evaluate(p.afterSet, a.Time).Allowed() {
				continue
			}
			out.Total += a.Count
			if len(out.Requests) < alsoMax {
				out.Requests = append(out.Requests, AllowedRequest{EventId: a.EventID, EventTime: a.Time.Unix(),
					EventName: a.EventName, Action: a.Action, Resource: a.Resource, Count: a.Count})
			}
		}
	}
	return nil
}
