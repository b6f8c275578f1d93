package esm

import (
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// update is UpdateEventSourceMapping: the settings given replace the
// mapping's, which answers Updating (Enabling or Disabling when Enabled
// changes) until it settles. A mapping being created, updated or deleted
// refuses with ResourceInUseException. The checks of the role and the
// source run again when the change touches them: a new function, a
// destination, batching, or enabling the mapping.
func (m *Manager) update(c *api.Call) (any, error) {
	in, err := decodeInput(c)
	if err != nil {
		return nil, err
	}
	old, err := m.settled(c.Context, c.Account, c.PathParams["UUID"])
	if err != nil {
		return nil, err
	}
	if inUse(old.State) {
		return nil, errInUse("Cannot update the event source mapping because it is in use.")
	}
	mp := *old
	if err := apply(&mp, in); err != nil {
		return nil, err
	}
	name := mp.FunctionArn
	if in.FunctionName != nil {
		name = *in.FunctionName
	}
	fn, err := m.cfg.Functions.Resolve(c.Context, c.Account, name)
	if err != nil {
		return nil, err
	}
	mp.FunctionArn = fn.QualifiedARN
	recheck := in.FunctionName != nil || in.DestinationConfig != nil || in.BatchSize != nil ||
		in.MaximumBatchingWindowInSeconds != nil || in.SourceAccessConfigurations != nil || (mp.Enabled && !old.Enabled)
	if recheck {
		if err := m.check(c.Context, &mp, fn); err != nil {
			return nil, err
		}
	}
	switch {
	case mp.Enabled && !old.Enabled:
		mp.State = StateEnabling
	case !mp.Enabled && old.Enabled:
		mp.State = StateDisabling
	default:
		mp.State = StateUpdating
	}
	mp.StateTransitionReason = rules[mp.Kind].reason
	mp.LastModified = m.now()
	mp.Generation = old.Generation + 1
	_, err = m.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		cur, err := load(c.Context, tx, mp.Account, mp.UUID)
		if err != nil {
			return err
		}
		if cur.Generation != old.Generation {
			return errInUse("Cannot update the event source mapping because it is in use.")
		}
		if mp.FunctionArn != old.FunctionArn {
			if err := duplicate(c.Context, tx, &mp, fn); err != nil {
				return err
			}
		}
		return save(c.Context, tx, &mp)
	})
	if err != nil {
		return nil, err
	}
	m.changed(&mp)
	return m.configuration(c.Context, &mp)
}
