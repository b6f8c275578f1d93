package esm

import (
	"context"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// This file holds stand-ins for the pollers' side of the mappings (the
// runner and the broker checks) until they are written; each is replaced
// by its own file's definition.

// newWorker returns the Worker of a mapping's unit ("" for the checks of
// Source.Check): the role session taken afresh on every call.
func (m *Manager) newWorker(mp *Mapping, fn Function, unit string) *Worker {
	return &Worker{
		Mapping: mp, Function: fn, Unit: unit, Region: m.cfg.Region,
		Invoker: m.cfg.Invoker, Now: m.now, Log: m.log,
		Principal: func(ctx context.Context) (*api.Principal, error) {
			p, _, err := m.cfg.Functions.RoleSession(ctx, fn)
			return p, err
		},
	}
}

// lastProcessingResult returns the mapping's LastProcessingResult, "" when
// never reported.
func (m *Manager) lastProcessingResult(ctx context.Context, uuid string) (string, error) {
	return "", nil
}

// forget deletes what the pollers keep of a mapping inside tx.
func (m *Manager) forget(ctx context.Context, tx store.Tx, uuid string) error {
	return tx.Delete(ctx, tableStatus, uuid)
}

// wake tells the pollers that mappings changed.
func (m *Manager) wake() {}

// checkBroker checks the role of a Kafka or Amazon MQ mapping: refused
// until the broker checks exist, so that no mapping is accepted unchecked.
func (m *Manager) checkBroker(ctx context.Context, w *Worker, mp *Mapping) error {
	return errInvalidParam("Event source mappings of kind %s are not supported.", mp.Kind)
}
