package organizations

import "sync"

// gateCache keeps the compiled policies of each account; any change to an
// organization drops them all.
type gateCache struct {
	mu  sync.Mutex
	gen uint64
}

func (g *gateCache) init() {}

func (g *gateCache) invalidate() {
	g.mu.Lock()
	g.gen++
	g.mu.Unlock()
}
