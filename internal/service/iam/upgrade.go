package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// layout is the version of the key layout described with the tables.
// Layout 1 (never recorded) keyed roles, users and customer managed
// policies by name alone, all in one account, and kept the attachment
// counts of AWS managed policies in the policies themselves. Layout 2 had
// no index tables.
const layout = 3

const layoutKey = "layout"

// upgrade brings data stored in an older layout to the current one: what
// layout 1 stored belonged to the default account. It refuses data written
// by a newer layout.
func (i *IAM) upgrade(ctx context.Context) error {
	return i.update(ctx, func(tx store.Tx) error {
		have, err := get[int](ctx, tx, tableMeta, layoutKey)
		if err != nil {
			return err
		}
		switch {
		case have != nil && *have == layout:
			return nil
		case have != nil && *have > layout:
			return fmt.Errorf("the IAM data is in layout %d; this version of rolecall reads layout %d", *have, layout)
		}
		if have == nil || *have < 2 {
			if err := i.upgradeKeys(ctx, tx); err != nil {
				return err
			}
		}
		if err := buildIndexes(ctx, tx); err != nil {
			return err
		}
		return put(ctx, tx, tableMeta, layoutKey, layout)
	})
}

// upgradeKeys moves the records of layout 1 to the keys of layout 2.
func (i *IAM) upgradeKeys(ctx context.Context, tx store.Tx) error {
	for _, table := range []string{tableRoles, tableUsers} {
		if err := i.rekey(ctx, tx, table, func(key string) (string, bool) {
			return i.prefix() + key, !strings.Contains(key, "/")
		}); err != nil {
			return err
		}
	}
	if err := i.rekey(ctx, tx, tablePolicies, func(key string) (string, bool) {
		name, ok := strings.CutPrefix(key, "local/")
		return i.prefix() + name, ok
	}); err != nil {
		return err
	}
	if err := i.moveUses(ctx, tx); err != nil {
		return err
	}
	keys, err := all[keyRecord](ctx, tx, tableKeys, "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Account == "" {
			k.Account = i.account
			if err := put(ctx, tx, tableKeys, k.ID, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// buildIndexes writes the index tables of every account from the records
// they index (layout 3).
func buildIndexes(ctx context.Context, tx store.Tx) error {
	for _, k := range []*kind{roleKind, userKind} {
		items, err := tx.List(ctx, k.table, "", "", 0)
		if err != nil {
			return fmt.Errorf("iam: list %s: %w", k.table, err)
		}
		for _, it := range items {
			var e struct {
				Name, Path, ID, Boundary string
				Attached                 []string
			}
			if err := json.Unmarshal(it.Value, &e); err != nil {
				return fmt.Errorf("iam: read %s/%s: %w", k.table, it.Key, err)
			}
			account, _, _ := strings.Cut(it.Key, "/")
			key := k.pathKey(account, e.Path, e.Name)
			if err := tx.Put(ctx, tablePaths, key, []byte(e.Name)); err != nil {
				return fmt.Errorf("iam: write %s/%s: %w", tablePaths, key, err)
			}
			for arn, use := range usesOf(e.Attached, e.Boundary) {
				rec := policyEntity{Name: e.Name, ID: e.ID, Path: e.Path, Attached: use.attached, Boundary: use.boundary}
				if err := put(ctx, tx, tablePolicyEntities, k.policyEntityKey(account, arn, e.Name), rec); err != nil {
					return err
				}
			}
		}
	}
	keys, err := all[keyRecord](ctx, tx, tableKeys, "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.User == "" {
			if err := indexRootKey(ctx, tx, k.Account, k.ID, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// rekey moves every record of table whose key to reports true to the key
// it returns.
func (i *IAM) rekey(ctx context.Context, tx store.Tx, table string, to func(key string) (string, bool)) error {
	items, err := tx.List(ctx, table, "", "", 0)
	if err != nil {
		return fmt.Errorf("iam: list %s: %w", table, err)
	}
	for _, it := range items {
		next, ok := to(it.Key)
		if !ok {
			continue
		}
		if err := tx.Put(ctx, table, next, it.Value); err != nil {
			return fmt.Errorf("iam: write %s/%s: %w", table, next, err)
		}
		if err := del(ctx, tx, table, it.Key); err != nil {
			return err
		}
	}
	return nil
}

// moveUses moves the attachment counts of AWS managed policies to the
// default account's.
func (i *IAM) moveUses(ctx context.Context, tx store.Tx) error {
	recs, err := all[policyRecord](ctx, tx, tablePolicies, "aws/")
	if err != nil {
		return err
	}
	for _, p := range recs {
		if p.Attachments == 0 && p.BoundaryUses == 0 {
			continue
		}
		key := awsKey(p.Name)
		if err := put(ctx, tx, tableUses, i.prefix()+key, usesRecord{Attachments: p.Attachments, BoundaryUses: p.BoundaryUses}); err != nil {
			return err
		}
		p.Attachments, p.BoundaryUses = 0, 0
		if err := put(ctx, tx, tablePolicies, key, p); err != nil {
			return err
		}
	}
	return nil
}
