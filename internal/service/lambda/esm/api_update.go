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
	for _, p := range createOnly {
		if p.given(in) {
			return nil, errInvalidParam("%s cannot be updated: UpdateEventSourceMapping does not take it.", p.name)
		}
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

// createOnly are the members of CreateEventSourceMapping that the model's
// UpdateEventSourceMappingRequest does not have: an update that sets one
// is refused, since it would otherwise be ignored or applied past the
// model's checks of the update.
var createOnly = []struct {
	name  string
	given func(in *mappingInput) bool
}{
	{"EventSourceArn", func(in *mappingInput) bool { return in.EventSourceArn != nil }},
	{"StartingPosition", func(in *mappingInput) bool { return in.StartingPosition != nil }},
	{"StartingPositionTimestamp", func(in *mappingInput) bool { return in.StartingPositionTimestamp != nil }},
	{"Tags", func(in *mappingInput) bool { return in.Tags != nil }},
	{"Topics", func(in *mappingInput) bool { return in.Topics != nil }},
	{"Queues", func(in *mappingInput) bool { return in.Queues != nil }},
	{"SelfManagedEventSource", func(in *mappingInput) bool { return in.SelfManagedEventSource != nil }},
}
