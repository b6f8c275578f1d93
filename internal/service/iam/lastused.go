package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// RecordRoleUse notes that the role was assumed at a time in a region, for
// RoleLastUsed in GetRole and GetAccountAuthorizationDetails. It writes the
// role's key in tableRoleUse only: the role itself, which other requests
// edit and caches derive sessions and policy sets from, is only read.
func (i *IAM) RecordRoleUse(ctx context.Context, arn, region string, at time.Time) error {
	info, err := i.RoleByARN(ctx, arn)
	if err != nil {
		return err
	}
	i = i.in(info.Account)
	at = at.UTC().Truncate(time.Second)
	key := i.nameKey(info.Name)
	return i.update(ctx, func(tx store.Tx) error {
		rec, err := i.role(ctx, tx, info.Name)
		if err != nil {
			return err
		}
		if rec.ID != info.RoleID {
			return nil // the role was deleted and made again since
		}
		have, err := get[lastUsedRecord](ctx, tx, tableRoleUse, key)
		if err != nil {
			return err
		}
		if have != nil && have.Role == rec.ID && have.At.After(at) {
			return nil // a later use was recorded first
		}
		return put(ctx, tx, tableRoleUse, key, lastUsedRecord{At: at, Region: region, Role: rec.ID})
	})
}

// roleLastUsed reads when the role rec was last assumed; the zero record
// if never.
func (i *IAM) roleLastUsed(ctx context.Context, r store.Reader, rec *roleRecord) (lastUsedRecord, error) {
	u, err := get[lastUsedRecord](ctx, r, tableRoleUse, i.nameKey(rec.Name))
	if err != nil || u == nil || u.Role != rec.ID {
		return lastUsedRecord{}, err
	}
	return *u, nil
}

// rolesLastUsed reads when each role of the view's account was last
// assumed, by role ID.
func (i *IAM) rolesLastUsed(ctx context.Context, r store.Reader) (map[string]lastUsedRecord, error) {
	items, err := r.List(ctx, tableRoleUse, i.prefix(), "", 0)
	if err != nil {
		return nil, fmt.Errorf("iam: list %s: %w", tableRoleUse, err)
	}
	out := make(map[string]lastUsedRecord, len(items))
	for _, it := range items {
		var u lastUsedRecord
		if err := json.Unmarshal(it.Value, &u); err != nil {
			return nil, fmt.Errorf("iam: read %s/%s: %w", tableRoleUse, it.Key, err)
		}
		out[u.Role] = u
	}
	return out, nil
}

func (u lastUsedRecord) roleXML() roleLastUsedXML {
	return roleLastUsedXML{LastUsedDate: iso(u.At), Region: u.Region}
}

// keyUseInterval is how long a recorded use of an access key stands for
// the later uses in the same service and region: GetAccessKeyLastUsed is
// that precise, and a busy key costs a write that often, not per request.
const keyUseInterval = time.Minute

// keyUses remembers the uses of access keys this process recorded last.
type keyUses struct {
	mu sync.RWMutex
	m  map[string]lastUsedRecord
}

// due reports whether the use u of key id must be recorded.
func (k *keyUses) due(id string, u lastUsedRecord) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	have, ok := k.m[id]
	return !ok || have.Service != u.Service || have.Region != u.Region || u.At.Sub(have.At) >= keyUseInterval
}

func (k *keyUses) done(id string, u lastUsedRecord) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = make(map[string]lastUsedRecord)
	}
	if have, ok := k.m[id]; !ok || !have.At.After(u.At) {
		k.m[id] = u
	}
}

// RecordKeyUse notes that the long-term access key id signed a request to
// service in region at a time, for GetAccessKeyLastUsed. Uses within
// keyUseInterval of the last one recorded, in the same service and region,
// are not written again. Only the key's own key in tableKeyUse is written:
// the access key itself, which caches hold, is not.
func (i *IAM) RecordKeyUse(ctx context.Context, id, service, region string, at time.Time) error {
	u := lastUsedRecord{At: at.UTC().Truncate(time.Second), Service: service, Region: region}
	if !i.keyUses.due(id, u) {
		return nil
	}
	_, err := i.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(ctx, tableKeys, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil // deleted since
			}
			return fmt.Errorf("iam: read %s/%s: %w", tableKeys, id, err)
		}
		have, err := get[lastUsedRecord](ctx, tx, tableKeyUse, id)
		if err != nil {
			return err
		}
		if have != nil && have.At.After(u.At) {
			return nil // a later use was recorded first
		}
		return put(ctx, tx, tableKeyUse, id, u)
	})
	if err != nil {
		return err
	}
	i.keyUses.done(id, u)
	return nil
}
