package organizations

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/rolecall/rolecall/internal/policy"
)

// standing is where an account stands in an organization, with the
// policies that govern it compiled: one level per target from the root
// down to the account, each the policies of one type attached there.
type standing struct {
	orgID      string
	paths      string // "o-…/r-…/ou-…/": the account's parent, as aws:PrincipalOrgPaths holds it
	management bool
	scps       [][]policy.Named // nil: SCPs not enabled, or the management account
	rcps       [][]policy.Named // nil: RCPs not enabled, or the management account
}

// gateCache keeps each account's standing until any organization changes
// (on this node at once, on others through the change feed).
type gateCache struct {
	mu       sync.Mutex
	gen      uint64
	accounts map[string]*standing // nil value: in no organization
}

func (g *gateCache) init() { g.accounts = map[string]*standing{} }

func (g *gateCache) invalidate() {
	g.mu.Lock()
	g.gen++
	g.accounts = map[string]*standing{}
	g.mu.Unlock()
}

func (g *gateCache) get(account string) (*standing, bool, uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.accounts[account]
	return s, ok, g.gen
}

// put keeps s unless the cache was invalidated since gen was read.
func (g *gateCache) put(gen uint64, account string, s *standing) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gen == gen {
		g.accounts[account] = s
	}
}

// standing returns account's standing (nil when it is in no organization),
// from the cache or compiled from the store.
func (o *Org) standing(ctx context.Context, account string) (*standing, error) {
	if s, ok, _ := o.gates.get(account); ok {
		return s, nil
	}
	_, _, gen := o.gates.get(account)
	rec, err := load(ctx, o.st, account)
	if err != nil {
		return nil, err
	}
	var s *standing
	if rec != nil {
		if s, err = rec.standing(account); err != nil {
			return nil, err
		}
	}
	o.gates.put(gen, account, s)
	return s, nil
}

// standing compiles account's standing in the organization.
func (r *orgRecord) standing(account string) (*standing, error) {
	if r.Accounts[account] == nil {
		return nil, nil
	}
	path := r.path(account)
	var b strings.Builder
	b.WriteString(r.ID + "/")
	for _, id := range path[:len(path)-1] {
		b.WriteString(id + "/")
	}
	s := &standing{orgID: r.ID, paths: b.String(), management: account == r.Management}
	if s.management {
		return s, nil
	}
	var err error
	if s.scps, err = r.levels(path, typeSCP); err != nil {
		return nil, err
	}
	if s.rcps, err = r.levels(path, typeRCP); err != nil {
		return nil, err
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
