package esm

import "context"

// This file holds stand-ins for the pollers' side of the mappings (the
// runner and the broker checks) until they are written; each is replaced
// by its own file's definition.

// checkBroker checks the role of a Kafka or Amazon MQ mapping: refused
// until the broker checks exist, so that no mapping is accepted unchecked.
func (m *Manager) checkBroker(ctx context.Context, w *Worker, mp *Mapping) error {
	return errInvalidParam("Event source mappings of kind %s are not supported.", mp.Kind)
}
