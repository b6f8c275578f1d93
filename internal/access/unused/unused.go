// Package unused compares what a principal is granted with what it used:
// the actions and resources its policies allow (access.Reach) against the
// authorization decisions the trail recorded for it (store.Access rows).
// It is the analysis behind Access Analyzer's unused access findings
// (UnusedIAMRole, UnusedPermission) and rolecall's GetUnusedAccess.
package unused

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/policy/generate"
	"github.com/rolecall/rolecall/internal/store"
)

// Report is a principal's unused access over a time range.
type Report struct {
	Start, End time.Time
	// Used reports whether the principal made any recorded call within
	// [Start, End], allowed or denied.
	Used bool
	// LastUsed is the time of the principal's last recorded call up to
	// End; zero when there is none.
	LastUsed time.Time
	// UsedActions are the actions allowed to the principal within the
	// range, sorted by action.
	UsedActions []UsedAction
	// Unused are the services whose granted actions were not all used
	// within the range, sorted by service prefix.
	Unused []Service
	// Broad are the actions used within the range on resources narrower
	// than those they are granted on, sorted by action: what a policy
	// generated from the same traffic (internal/policy/generate) would
	// grant instead.
	Broad []Broad
	// Denied are the actions the principal was refused within the range,
	// by action and decision, sorted so: what it used but is missing.
	Denied []Denied
}

// Denied is an action the principal was refused within the range.
type Denied struct {
	Action    string   // "s3:PutObject"
	Decision  string   // "ImplicitDeny" or "ExplicitDeny"
	Resources []string // the resources it was refused on, sorted
	Count     int64    // decisions within the range
	Last      time.Time
	// EventID is the first recorded event of one of the refused
	// requests, whose explanation the trail gives.
	EventID string
}

// Broad is a used action granted on more resources than its use needs.
type Broad struct {
	Action string
	// Resources are the granted resource patterns that the resources
	// generated from its use (UsedOn) do not cover: "*",
	// "arn:aws:s3:::*", "all but ...".
	Resources []string
	// UsedOn are the resources a generated policy names for the action:
	// the ARNs used, collapsed as generation collapses them.
	UsedOn []string
}

// UsedAction is an action the principal was allowed within the range.
type UsedAction struct {
	Action    string   // "dynamodb:GetItem"
	Resources []string // the resources it was allowed on, sorted
	Count     int64    // decisions within the range
	Last      time.Time
}

// Service is the unused part of what a principal may do with one service.
type Service struct {
	Service string // the action prefix: "s3"
	Name    string // "Amazon S3"
	// LastAccessed is when an action of the service was last allowed
	// before the range; zero if never.
	LastAccessed time.Time
	// Whole reports that no action of the service was used within the
	// range.
	Whole   bool
	Actions []Action // sorted by action
}

// Action is a granted action not used within the range.
type Action struct {
	Action    string
	Resources []string // the resource patterns it is granted on
	// LastAccessed is when it was last allowed before the range; zero if
	// never.
	LastAccessed time.Time
}

// use is what the rows say of one action.
type use struct {
	action    string
	count     int64 // within the range
	last      time.Time
	lastIn    time.Time
	resources map[string]struct{}
}

// Analyze reads the principal's access rows up to end (in any order:
// store.QueryAccess's, or summaries as Principal reads them) and compares
// the actions allowed within [start, end] with grants, what the
// principal's policies allow (access.Reach). A call
// counts as a use of an action when its decision was Allow, whoever made it
// for the principal (calls a service made on its behalf included). The
// rows' first error is returned.
func Analyze(rows iter.Seq2[store.Access, error], grants []access.ServiceReach, start, end time.Time) (*Report, error) {
	r := &Report{Start: start, End: end}
	uses := map[string]*use{}
	denied := deniedUses{}
	gen := generate.New(catalog.Load(), generate.Options{Placeholders: true})
	for row, err := range rows {
		if err != nil {
			return nil, err
		}
		if !end.IsZero() && row.Time.After(end) {
			continue
		}
		in := start.IsZero() || !row.Time.Before(start)
		if row.Time.After(r.LastUsed) {
			r.LastUsed = row.Time
		}
		if in {
			r.Used = true
		}
		if row.Decision != "Allow" {
			if in {
				denied.add(row)
			}
			continue
		}
		key := strings.ToLower(row.Action)
		u := uses[key]
		if u == nil {
			u = &use{action: row.Action, resources: map[string]struct{}{}}
			uses[key] = u
		}
		if row.Time.After(u.last) {
			u.last = row.Time
		}
		if in {
			gen.Add(generate.Row{EventSource: row.EventSource, EventName: row.EventName, Action: row.Action, Resource: row.Resource,
				Decision: row.Decision, Extra: row.Extra, InvokedBy: row.InvokedBy, Count: row.Count})
			u.count += row.Count
			u.resources[row.Resource] = struct{}{}
			if row.Time.After(u.lastIn) {
				u.lastIn = row.Time
			}
		}
	}
	for _, u := range uses {
		if u.count == 0 {
			continue
		}
		r.UsedActions = append(r.UsedActions, UsedAction{Action: u.action, Resources: slices.Sorted(maps.Keys(u.resources)),
			Count: u.count, Last: u.lastIn})
	}
	slices.SortFunc(r.UsedActions, func(a, b UsedAction) int { return cmp.Compare(a.Action, b.Action) })
	for _, g := range grants {
		s := Service{Service: g.Service, Name: g.Name, Whole: true}
		for _, a := range g.Actions {
			u := uses[strings.ToLower(a.Action)]
			if u != nil && u.count > 0 {
				s.Whole = false
				if b := broad(a.Resources, gen.Resources(a.Action)); len(b) > 0 {
					r.Broad = append(r.Broad, Broad{Action: a.Action, Resources: b, UsedOn: gen.Resources(a.Action)})
				}
				continue
			}
			ua := Action{Action: a.Action, Resources: a.Resources}
			if u != nil {
				ua.LastAccessed = u.last
				if u.last.After(s.LastAccessed) {
					s.LastAccessed = u.last
				}
			}
			s.Actions = append(s.Actions, ua)
		}
		if len(s.Actions) > 0 {
			r.Unused = append(r.Unused, s)
		}
	}
	r.Denied = denied.list()
	slices.SortFunc(r.Unused, func(a, b Service) int { return cmp.Compare(a.Service, b.Service) })
	slices.SortFunc(r.Broad, func(a, b Broad) int { return cmp.Compare(a.Action, b.Action) })
	return r, nil
}

// deniedUses gathers the refused rows of the range by action (its
// lower-case form) and decision.
type deniedUses map[[2]string]*deniedUse

type deniedUse struct {
	Denied
	first     time.Time // of the row EventID is taken from
	resources map[string]struct{}
}

func (d deniedUses) add(row store.Access) {
	key := [2]string{strings.ToLower(row.Action), row.Decision}
	u := d[key]
	if u == nil {
		u = &deniedUse{Denied: Denied{Action: row.Action, Decision: row.Decision}, resources: map[string]struct{}{}}
		d[key] = u
	}
	u.Count += row.Count
	u.resources[row.Resource] = struct{}{}
	if row.Time.After(u.Last) {
		u.Last = row.Time
	}
	if row.EventID != "" && (u.EventID == "" || row.Time.Before(u.first) || row.Time.Equal(u.first) && row.EventID < u.EventID) {
		u.EventID, u.first = row.EventID, row.Time
	}
}

// list returns the refused actions sorted by action, then decision.
func (d deniedUses) list() []Denied {
	out := make([]Denied, 0, len(d))
	for _, u := range d {
		u.Resources = slices.Sorted(maps.Keys(u.resources))
		out = append(out, u.Denied)
	}
	slices.SortFunc(out, func(a, b Denied) int {
		return cmp.Or(cmp.Compare(a.Action, b.Action), cmp.Compare(a.Decision, b.Decision))
	})
	return out
}

// broad returns the granted resource patterns (access.ActionReach's) that
// no resource of used covers. A NotResource grant ("all but X", "P but not
// X") is judged by what it starts from ("*", P).
func broad(granted, used []string) []string {
	var out []string
	for _, p := range granted {
		base := p
		if strings.HasPrefix(base, "all but ") {
			base = "*"
		} else if i := strings.Index(base, " but not "); i >= 0 {
			base = base[:i]
		}
		if !slices.ContainsFunc(used, func(u string) bool { return access.Covers(u, base) }) {
			out = append(out, p)
		}
	}
	return out
}

// Principal analyzes one principal of account: its grants (access.Reach of
// in, the identity policies IAM keeps for it) against its access rows in
// st up to end.
func Principal(ctx context.Context, st store.Store, in policy.SetInput, p policy.Principal, start, end time.Time) (*Report, error) {
	grants := access.Reach(in, p, catalog.Load())
	rows := summarized(ctx, st, store.AccessQuery{Account: p.Account, PrincipalARN: principalARN(p), End: end}, start)
	r, err := Analyze(rows, grants, start, end)
	if err != nil {
		return nil, fmt.Errorf("unused: access of %s: %w", principalARN(p), err)
	}
	return r, nil
}

// summarized returns the rows q selects as Analyze reads them, summed by
// the store (store.SummarizeAccess) on either side of start: each summary
// is one row at its last second, which is on the same side of start as
// every row it sums. Analyze reads of a row's time only which side of
// start it is on and the latest, so its answer is that of the rows.
func summarized(ctx context.Context, st store.Store, q store.AccessQuery, start time.Time) iter.Seq2[store.Access, error] {
	ranges := []store.AccessQuery{q}
	if !start.IsZero() {
		before, in := q, q
		// The rows before start are those of the seconds before the one
		// start falls in or is (store.AccessQuery.Seconds).
		before.End, in.Start = start.Add(-time.Nanosecond), start
		if !q.End.IsZero() && q.End.Before(before.End) {
			before.End = q.End
		}
		ranges = []store.AccessQuery{before, in}
	}
	return func(yield func(store.Access, error) bool) {
		for _, r := range ranges {
			if !r.End.IsZero() && !r.Start.IsZero() && r.End.Before(r.Start) {
				continue
			}
			for s, err := range st.SummarizeAccess(ctx, r) {
				a := s.Access
				a.Time = s.Last
				if !yield(a, err) || err != nil {
					return
				}
			}
		}
	}
}

// principalARN is the ARN the trail records a principal's calls under: a
// role's own ARN matches the rows of all its sessions.
func principalARN(p policy.Principal) string {
	if p.RoleARN != "" {
		return p.RoleARN
	}
	return p.ARN
}
