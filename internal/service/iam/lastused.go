package iam

import (
	"context"
	"encoding/json"
	"fmt"
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
