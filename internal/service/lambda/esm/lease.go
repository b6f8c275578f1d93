package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/store"
)

// leaseFormat is the format version of stored leases.
const leaseFormat = 1

// lease is the stored claim of one process on one unit of a mapping
// (tableLeases, key uuid/unit). A unit is polled only by the process
// whose lease it holds, and only while the lease has not expired; a lease
// that has expired is free for any process to take. Each taking of a
// lease has its own token, and checkpoints are written only under the
// token (commit): a poller whose lease was taken, even by its own process
// again, cannot move the unit's position.
type lease struct {
	V int `json:"v"`
	// Owner is the random ID of the process holding the lease.
	Owner string `json:"owner"`
	// Taken is when this taking of the lease began; Expires is when the
	// lease ends unless renewed.
	Taken   time.Time `json:"taken"`
	Expires time.Time `json:"expires"`
	// Token names this taking of the lease.
	Token string `json:"token"`
	// Generation is the mapping's generation when the lease was taken.
	Generation int `json:"generation"`
	// Done marks a unit read to its end (a closed shard): it is never
	// leased again.
	Done bool `json:"done,omitempty"`
}

// unitKey is the key of a unit's lease and checkpoint.
func unitKey(uuid, unit string) string { return uuid + "/" + unit }

// getLease reads a unit's lease; a missing one is (nil, nil).
func getLease(ctx context.Context, r store.Reader, key string) (*lease, error) {
	b, err := r.Get(ctx, tableLeases, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l lease
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("esm: lease %s: %w", key, err)
	}
	return &l, nil
}

func putLease(ctx context.Context, tx store.Tx, key string, l *lease) error {
	l.V = leaseFormat
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return tx.Put(ctx, tableLeases, key, b)
}

// holds reports whether l is owner's under token.
func (l *lease) holds(owner, token string) bool {
	return l != nil && !l.Done && l.Owner == owner && l.Token == token
}

// acquire takes the leases of units of mapping mp that are free, expired
// or already owner's, in one transaction, until now+d. It returns the
// tokens of the units leased and the units found done.
func (m *Manager) acquire(ctx context.Context, mp *Mapping, units []string, d time.Duration) (leased map[string]string, done []string, err error) {
	owner := m.run.id
	_, err = m.cfg.Store.Update(ctx, func(tx store.Tx) error {
		leased, done = make(map[string]string), done[:0]
		now := m.now()
		for _, u := range units {
			key := unitKey(mp.UUID, u)
			l, err := getLease(ctx, tx, key)
			if err != nil {
				return err
			}
			switch {
			case l != nil && l.Done:
				done = append(done, u)
				continue
			case l != nil && l.Owner != owner && now.Before(l.Expires):
				continue // another process's
			}
			token := uuid.NewString()
			if err := putLease(ctx, tx, key, &lease{Owner: owner, Token: token, Taken: now, Expires: now.Add(d), Generation: mp.Generation}); err != nil {
				return err
			}
			leased[u] = token
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("esm: lease the units of mapping %s: %w", mp.UUID, err)
	}
	return leased, done, nil
}

// held is a lease this process believes it holds.
type held struct {
	key, token string
}

// renew extends the leases of keys that are still owner's until now+d, in
// one transaction, and returns the keys found lost (taken by another
// process, deleted, or taken anew).
func (m *Manager) renew(ctx context.Context, keys []held, d time.Duration) (lost []string, err error) {
	owner := m.run.id
	_, err = m.cfg.Store.Update(ctx, func(tx store.Tx) error {
		lost = lost[:0]
		now := m.now()
		for _, h := range keys {
			l, err := getLease(ctx, tx, h.key)
			if err != nil {
				return err
			}
			if !l.holds(owner, h.token) {
				lost = append(lost, h.key)
				continue
			}
			l.Expires = now.Add(d)
			if err := putLease(ctx, tx, h.key, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("esm: renew leases: %w", err)
	}
	return lost, nil
}

// release deletes the leases of keys that are still owner's, so that
// another process takes the units over at once.
func (m *Manager) release(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	owner := m.run.id
	_, err := m.cfg.Store.Update(ctx, func(tx store.Tx) error {
		for _, k := range keys {
			l, err := getLease(ctx, tx, k)
			if err != nil {
				return err
			}
			if l == nil || l.Done || l.Owner != owner {
				continue
			}
			if err := tx.Delete(ctx, tableLeases, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("esm: release leases: %w", err)
	}
	return nil
}

// finish marks a unit read to its end, if this process still holds it
// under token.
func (m *Manager) finish(ctx context.Context, uuid, unit, token string) error {
	key := unitKey(uuid, unit)
	_, err := m.cfg.Store.Update(ctx, func(tx store.Tx) error {
		l, err := getLease(ctx, tx, key)
		if err != nil {
			return err
		}
		if !l.holds(m.run.id, token) {
			return ErrLeaseLost
		}
		l.Done = true
		return putLease(ctx, tx, key, l)
	})
	if err != nil {
		return fmt.Errorf("esm: finish unit %s: %w", key, err)
	}
	return nil
}

// checkpoint reads a unit's position ("" before the first commit).
func (m *Manager) checkpoint(ctx context.Context, uuid, unit string) (string, error) {
	b, err := m.cfg.Store.Get(ctx, tableCheckpoints, unitKey(uuid, unit))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("esm: checkpoint of %s/%s: %w", uuid, unit, err)
	}
	return string(b), nil
}

// commit writes a unit's position if this process still holds its lease
// under token; ErrLeaseLost otherwise.
func (m *Manager) commit(ctx context.Context, uuid, unit, token, position string) error {
	key := unitKey(uuid, unit)
	_, err := m.cfg.Store.Update(ctx, func(tx store.Tx) error {
		l, err := getLease(ctx, tx, key)
		if err != nil {
			return err
		}
		if !l.holds(m.run.id, token) {
			return ErrLeaseLost
		}
		return tx.Put(ctx, tableCheckpoints, key, []byte(position))
	})
	if errors.Is(err, ErrLeaseLost) {
		return ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("esm: commit %s: %w", key, err)
	}
	return nil
}

// forget deletes a mapping's status, leases and checkpoints inside tx:
// the mapping is being deleted for good.
func (m *Manager) forget(ctx context.Context, tx store.Tx, uuid string) error {
	if err := tx.Delete(ctx, tableStatus, uuid); err != nil {
		return fmt.Errorf("esm: forget %s: %w", uuid, err)
	}
	for _, table := range []string{tableLeases, tableCheckpoints} {
		items, err := tx.List(ctx, table, uuid+"/", "", 0)
		if err != nil {
			return fmt.Errorf("esm: forget %s: %w", uuid, err)
		}
		for _, it := range items {
			if err := tx.Delete(ctx, table, it.Key); err != nil {
				return fmt.Errorf("esm: forget %s: %w", uuid, err)
			}
		}
	}
	return nil
}
