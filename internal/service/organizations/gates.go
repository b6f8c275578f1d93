package organizations

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
)

// gateCache keeps each account's standing until any organization changes
// (on this node at once, on others through the change feed).
type gateCache struct {
	mu       sync.Mutex
	gen      uint64
	accounts map[string]*gateway.OrgAccount // nil value: in no organization
}

func (g *gateCache) init() { g.accounts = map[string]*gateway.OrgAccount{} }

func (g *gateCache) invalidate() {
	g.mu.Lock()
	g.gen++
	g.accounts = map[string]*gateway.OrgAccount{}
	g.mu.Unlock()
}

func (g *gateCache) get(account string) (*gateway.OrgAccount, bool, uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.accounts[account]
	return s, ok, g.gen
}

// put keeps s unless the cache was invalidated since gen was read.
func (g *gateCache) put(gen uint64, account string, s *gateway.OrgAccount) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gen == gen {
		g.accounts[account] = s
	}
}

// Account returns where account stands in an organization (nil, nil when
// it is in none): the organization's id, the account's path in it, and
// the SCPs and RCPs that apply to it compiled into gates, one level per
// target from the root down to the account (gateway.Organizations). The
// answer is cached until any organization changes.
func (o *Org) Account(ctx context.Context, account string) (*gateway.OrgAccount, error) {
	if s, ok, _ := o.gates.get(account); ok {
		return s, nil
	}
	_, _, gen := o.gates.get(account)
	rec, err := load(ctx, o.st, account)
	if err != nil {
		return nil, err
	}
	var s *gateway.OrgAccount
	if rec != nil {
		if s, err = rec.place(account); err != nil {
			return nil, err
		}
	}
	o.gates.put(gen, account, s)
	return s, nil
}

// place compiles account's place in the organization; nil when the
// account is not in it.
func (r *orgRecord) place(account string) (*gateway.OrgAccount, error) {
	if r.Accounts[account] == nil {
		return nil, nil
	}
	path := r.path(account)
	var b strings.Builder
	b.WriteString(r.ID + "/")
	for _, id := range path[:len(path)-1] {
		b.WriteString(id + "/")
	}
	s := &gateway.OrgAccount{OrgID: r.ID, Paths: b.String(), Management: account == r.Management}
	if s.Management {
		return s, nil
	}
	scps, err := r.levels(path, typeSCP)
	if err != nil {
		return nil, err
	}
	rcps, err := r.levels(path, typeRCP)
	if err != nil {
		return nil, err
	}
	if scps != nil {
		s.SCPs = policy.NewGate(policy.SourceSCP, scps)
	}
	if rcps != nil {
		s.RCPs = policy.NewGate(policy.SourceRCP, rcps)
	}
	return s, nil
}

// levels returns the compiled policies of type typ attached along path,
// one level per target; nil when the type is not enabled.
func (r *orgRecord) levels(path []string, typ string) ([][]policy.Named, error) {
	if !r.enabled(typ) {
		return nil, nil
	}
	levels := make([][]policy.Named, 0, len(path))
	for _, target := range path {
		level := []policy.Named{}
		for _, id := range r.Attached[target] {
			p := r.policy(id)
			if p == nil || p.Type != typ {
				continue
			}
			compiled, err := compile(p.Type, p.Content)
			if err != nil {
				return nil, fmt.Errorf("organizations: policy %s: %w", p.ID, err)
			}
			level = append(level, policy.Named{ID: r.policyARN(p), Policy: compiled})
		}
		levels = append(levels, level)
	}
	return levels, nil
}

// SCPs returns the service control policies that apply to the principals
// of account, compiled; nil when none do (outside an organization, the
// management account, SCPs not enabled).
func (o *Org) SCPs(ctx context.Context, account string) (*policy.Gate, error) {
	a, err := o.Account(ctx, account)
	if err != nil || a == nil || a.Management {
		return nil, err
	}
	return a.SCPs, nil
}
