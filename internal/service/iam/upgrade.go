package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// layout is the version of the key layout described with the tables.
// Layout 1 (never recorded) keyed roles, users and customer managed
// policies by name alone, all in one account, and kept the attachment
// counts of AWS managed policies in the policies themselves. Layout 2 kept
// when a role was last assumed in the role, when an access key was last
// used in the key, and the counts of customer managed policies in the
// policies, and had no index tables. Layout 3 kept the users and roles a
// trust policy names by ARN alone, without their unique IDs.
const layout = 4

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
		if have == nil { // layout 1, or a new database
			if err := i.fromLayout1(ctx, tx); err != nil {
				return err
			}
		}
		if have == nil || *have < 3 {
			if err := i.fromLayout2(ctx, tx); err != nil {
				return err
			}
			if err := buildIndexes(ctx, tx); err != nil {
				return err
			}
		}
		if err := i.fromLayout3(ctx, tx); err != nil {
			return err
		}
		return put(ctx, tx, tableMeta, layoutKey, layout)
	})
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

// fromLayout1 keys what layout 1 stored by the default account and moves
// the counts of AWS managed policies to that account's.
func (i *IAM) fromLayout1(ctx context.Context, tx store.Tx) error {
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

// legacyRole and legacyKey are what layout 2 kept in roles and access
// keys besides what they keep now; legacyCounts what layouts 1 and 2 kept
// in managed policies.
type (
	legacyRole struct {
		ID         string    `json:"id"`
		LastUsed   time.Time `json:"lastUsed,omitzero"`
		LastRegion string    `json:"lastRegion,omitempty"`
	}
	legacyKey struct {
		LastUsed    time.Time `json:"lastUsed,omitzero"`
		LastService string    `json:"lastService,omitempty"`
		LastRegion  string    `json:"lastRegion,omitempty"`
	}
	legacyCounts struct {
		AWS          bool `json:"aws,omitempty"`
		Attachments  int  `json:"attachments"`
		BoundaryUses int  `json:"boundaryUses"`
	}
)

// fromLayout2 moves when roles were last assumed and keys last used, and
// the counts of customer managed policies, to keys of their own, and
// rewrites the records without them.
func (i *IAM) fromLayout2(ctx context.Context, tx store.Tx) error {
	roles, err := tx.List(ctx, tableRoles, "", "", 0)
	if err != nil {
		return fmt.Errorf("iam: list %s: %w", tableRoles, err)
	}
	for _, it := range roles {
		var old legacyRole
		if err := json.Unmarshal(it.Value, &old); err != nil {
			return fmt.Errorf("iam: read %s/%s: %w", tableRoles, it.Key, err)
		}
		if old.LastUsed.IsZero() {
			continue
		}
		if err := put(ctx, tx, tableRoleUse, it.Key, lastUsedRecord{At: old.LastUsed, Region: old.LastRegion, Role: old.ID}); err != nil {
			return err
		}
		if err := rewrite[roleRecord](ctx, tx, tableRoles, it); err != nil {
			return err
		}
	}
	keys, err := tx.List(ctx, tableKeys, "", "", 0)
	if err != nil {
		return fmt.Errorf("iam: list %s: %w", tableKeys, err)
	}
	for _, it := range keys {
		var old legacyKey
		if err := json.Unmarshal(it.Value, &old); err != nil {
			return fmt.Errorf("iam: read %s/%s: %w", tableKeys, it.Key, err)
		}
		if old.LastUsed.IsZero() {
			continue
		}
		if err := put(ctx, tx, tableKeyUse, it.Key, lastUsedRecord{At: old.LastUsed, Region: old.LastRegion, Service: old.LastService}); err != nil {
			return err
		}
		if err := rewrite[keyRecord](ctx, tx, tableKeys, it); err != nil {
			return err
		}
	}
	policies, err := tx.List(ctx, tablePolicies, "", "", 0)
	if err != nil {
		return fmt.Errorf("iam: list %s: %w", tablePolicies, err)
	}
	for _, it := range policies {
		var old legacyCounts
		if err := json.Unmarshal(it.Value, &old); err != nil {
			return fmt.Errorf("iam: read %s/%s: %w", tablePolicies, it.Key, err)
		}
		if old.AWS || (old.Attachments == 0 && old.BoundaryUses == 0) {
			continue
		}
		if err := put(ctx, tx, tableUses, it.Key, usesRecord{Attachments: old.Attachments, BoundaryUses: old.BoundaryUses}); err != nil {
			return err
		}
		if err := rewrite[policyRecord](ctx, tx, tablePolicies, it); err != nil {
			return err
		}
	}
	return nil
}

// rewrite stores the record it holds again, without the fields T no
// longer has.
func rewrite[T any](ctx context.Context, tx store.Tx, table string, it store.Item) error {
	var v T
	if err := json.Unmarshal(it.Value, &v); err != nil {
		return fmt.Errorf("iam: read %s/%s: %w", table, it.Key, err)
	}
	return put(ctx, tx, table, it.Key, &v)
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
	items, err := tx.List(ctx, tablePolicies, "aws/", "", 0)
	if err != nil {
		return fmt.Errorf("iam: list %s: %w", tablePolicies, err)
	}
	for _, it := range items {
		var old legacyCounts
		if err := json.Unmarshal(it.Value, &old); err != nil {
			return fmt.Errorf("iam: read %s/%s: %w", tablePolicies, it.Key, err)
		}
		if old.Attachments == 0 && old.BoundaryUses == 0 {
			continue
		}
		if err := put(ctx, tx, tableUses, i.prefix()+it.Key, usesRecord{Attachments: old.Attachments, BoundaryUses: old.BoundaryUses}); err != nil {
			return err
		}
		if err := rewrite[policyRecord](ctx, tx, tablePolicies, it); err != nil {
			return err
		}
	}
	return nil
}

// fromLayout3 records the unique IDs of the users and roles that the trust
// policies of every account name and that exist now (layout 4). Those that
// do not exist, which IAM would have refused, stay named by ARN alone.
func (i *IAM) fromLayout3(ctx context.Context, tx store.Tx) error {
	items, err := tx.List(ctx, tableRoles, "", "", 0)
	if err != nil {
		return fmt.Errorf("iam: list %s: %w", tableRoles, err)
	}
	for _, it := range items {
		var rec roleRecord
		if err := json.Unmarshal(it.Value, &rec); err != nil {
			return fmt.Errorf("iam: read %s/%s: %w", tableRoles, it.Key, err)
		}
		if rec.Principals != nil {
			continue
		}
		trust, err := policy.Parse(rec.Trust, policy.Trust)
		if err != nil {
			return fmt.Errorf("iam: trust policy of role %s: %w", it.Key, err)
		}
		account, _, _ := strings.Cut(it.Key, "/")
		v := i.in(account)
		for _, st := range trust.Statements() {
			for _, ps := range [...]policy.Principals{st.Principal, st.NotPrincipal} {
				for _, arn := range ps["AWS"] {
					id, err := v.principalID(ctx, tx, arn)
					if err != nil {
						return err
					}
					if id == "" {
						continue
					}
					if rec.Principals == nil {
						rec.Principals = make(map[string]string)
					}
					rec.Principals[arn] = id
				}
			}
		}
		if rec.Principals != nil {
			if err := put(ctx, tx, tableRoles, it.Key, rec); err != nil {
				return err
			}
		}
	}
	return nil
}
