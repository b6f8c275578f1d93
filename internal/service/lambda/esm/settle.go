package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// A mapping's state follows what the user asked for: Create answers
// Creating, Update answers Updating (Enabling or Disabling when Enabled
// changes), Delete answers Deleting; cfg.SettleDelay after the change
// (LastModified) the state settles to Enabled or Disabled, and a Deleting
// mapping is removed. Settling is done by a timer of the process that
// made the change, by any read that finds a change due, and by
// recoverStates for changes an earlier run left.

// transitional reports whether state is one a mapping settles from.
func transitional(state string) bool {
	switch state {
	case StateCreating, StateEnabling, StateUpdating, StateDisabling, StateDeleting:
		return true
	}
	return false
}

// inUse reports whether a mapping in state refuses updates and deletes
// (ResourceInUseException): it is being created, updated or deleted
// (Lambda's model: "you tried to update an event source mapping in the
// CREATING state, or you tried to delete an event source mapping
// currently UPDATING").
func inUse(state string) bool { return transitional(state) }

// due reports whether mp's transition has lasted SettleDelay.
func (m *Manager) due(mp *Mapping) bool {
	return transitional(mp.State) && !m.now().Before(mp.LastModified.Add(m.cfg.SettleDelay))
}

// settleTx settles mp in tx when its transition is due: it writes the
// state the transition ends in or, for Deleting, removes the mapping and
// what the pollers keep of it. It returns the mapping as it then is, nil
// when removed.
func (m *Manager) settleTx(ctx context.Context, tx store.Tx, mp *Mapping) (*Mapping, error) {
	if !m.due(mp) {
		return mp, nil
	}
	if mp.State == StateDeleting {
		if err := tx.Delete(ctx, tableMappings, mappingKey(mp.Account, mp.UUID)); err != nil {
			return nil, fmt.Errorf("esm: delete mapping %s: %w", mp.UUID, err)
		}
		if err := m.forget(ctx, tx, mp.UUID); err != nil {
			return nil, fmt.Errorf("esm: forget mapping %s: %w", mp.UUID, err)
		}
		return nil, nil
	}
	settled := *mp
	settled.State = StateDisabled
	if mp.Enabled {
		settled.State = StateEnabled
	}
	settled.Generation++
	if err := save(ctx, tx, &settled); err != nil {
		return nil, err
	}
	return &settled, nil
}

// settled returns the mapping id of account, settled first when its
// transition is due; a mapping removed is Lambda's ResourceNotFoundException.
func (m *Manager) settled(ctx context.Context, account, id string) (*Mapping, error) {
	mp, err := load(ctx, m.cfg.Store, account, id)
	if err != nil || !m.due(mp) {
		return mp, err
	}
	var out *Mapping
	_, err = m.cfg.Store.Update(ctx, func(tx store.Tx) error {
		mp, err := load(ctx, tx, account, id)
		if err != nil {
			return err
		}
		out, err = m.settleTx(ctx, tx, mp)
		return err
	})
	if err != nil {
		return nil, err
	}
	m.wake()
	if out == nil {
		return nil, errNotFound("The resource you requested does not exist.")
	}
	return out, nil
}

// changed tells the pollers of a change to mp and, when mp is in
// transition, settles it once due.
func (m *Manager) changed(mp *Mapping) {
	m.wake()
	if transitional(mp.State) {
		m.schedule(mp.Account, mp.UUID, mp.LastModified.Add(m.cfg.SettleDelay))
	}
}

// schedule settles the mapping id at when (a timer of this process,
// stopped by Close).
func (m *Manager) schedule(account, id string, when time.Time) {
	if m.ctx.Err() != nil {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTimer(when.Sub(m.now()))
		defer t.Stop()
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.settled(m.ctx, account, id); err != nil && !isNotFound(err) && m.ctx.Err() == nil {
			m.log.Warn("esm: settle mapping", "uuid", id, "err", err)
		}
	}()
}

// recoverStates settles the mappings an earlier run left in a
// transitional state: those due at once, the others when due.
func (m *Manager) recoverStates(ctx context.Context) error {
	items, err := m.cfg.Store.List(ctx, tableMappings, "", "", 0)
	if err != nil {
		return fmt.Errorf("esm: list mappings: %w", err)
	}
	for _, it := range items {
		mp := new(Mapping)
		if err := json.Unmarshal(it.Value, mp); err != nil {
			return fmt.Errorf("esm: decode mapping %s: %w", it.Key, err)
		}
		if transitional(mp.State) {
			m.schedule(mp.Account, mp.UUID, mp.LastModified.Add(m.cfg.SettleDelay))
		}
	}
	return nil
}
