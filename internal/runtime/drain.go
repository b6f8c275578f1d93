package runtime

import "strings"

// DrainPrefix retires the environments of every key that starts with
// prefix, except keep, as Drain does for one key. It returns the keys
// drained. Lambda uses it when another node changed or deleted a function:
// the environments of configurations that are no longer current retire
// here too.
func (m *Manager) DrainPrefix(prefix, keep string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var drained []string
	for key, p := range m.pools {
		if key == keep || !strings.HasPrefix(key, prefix) {
			continue
		}
		delete(m.pools, key)
		m.drainLocked(p)
		drained = append(drained, key)
	}
	return drained
}
