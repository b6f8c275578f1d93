package iam

import (
	"context"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// entity is what roles and users share: inline policies, attached managed
// policies and a permissions boundary.
type entity interface {
	name() string
	path() string
	tags() *[]Tag
	inlines() *[]inline
	attached() *[]string
	boundary() *string
}

func (r *roleRecord) name() string        { return r.Name }
func (r *roleRecord) path() string        { return r.Path }
func (r *roleRecord) tags() *[]Tag        { return &r.Tags }
func (r *roleRecord) inlines() *[]inline  { return &r.Inline }
func (r *roleRecord) attached() *[]string { return &r.Attached }
func (r *roleRecord) boundary() *string   { return &r.Boundary }
func (u *userRecord) name() string        { return u.Name }
func (u *userRecord) path() string        { return u.Path }
func (u *userRecord) tags() *[]Tag        { return &u.Tags }
func (u *userRecord) inlines() *[]inline  { return &u.Inline }
func (u *userRecord) attached() *[]string { return &u.Attached }
func (u *userRecord) boundary() *string   { return &u.Boundary }

// kind describes one kind of entity for the operations roles and users share.
type kind struct {
	noun        string // "role", "user"
	param       string // "RoleName", "UserName"
	table       string
	useTable    string // the table of when it was last used, or ""
	inlineLimit int
	load        func(i *IAM, ctx context.Context, r store.Reader, name string) (entity, error)
}

var (
	roleKind = &kind{
		noun: "role", param: "RoleName", table: tableRoles, useTable: tableRoleUse, inlineLimit: maxRoleInlineSize,
		load: func(i *IAM, ctx context.Context, r store.Reader, name string) (entity, error) {
			rec, err := i.role(ctx, r, name)
			if err != nil {
				return nil, err
			}
			return rec, nil
		},
	}
	userKind = &kind{
		noun: "user", param: "UserName", table: tableUsers, inlineLimit: maxUserInlineSize,
		load: func(i *IAM, ctx context.Context, r store.Reader, name string) (entity, error) {
			rec, err := i.user(ctx, r, name)
			if err != nil {
				return nil, err
			}
			return rec, nil
		},
	}
)

// cacheKey names the entity in the caches: "<account>/<noun>/<name>".
func (k *kind) cacheKey(account, name string) string {
	return account + "/" + k.noun + "/" + strings.ToLower(name)
}

// change loads the named entity, applies fn and stores it, then drops the
// entity's compiled policies.
func (k *kind) change(i *IAM, c *api.Call, name string, fn func(tx store.Tx, e entity) error) error {
	err := i.update(c.Context, func(tx store.Tx) error {
		e, err := k.load(i, c.Context, tx, name)
		if err != nil {
			return err
		}
		before := entityUses(e)
		if err := fn(tx, e); err != nil {
			return err
		}
		if err := k.indexUses(c.Context, tx, i.account, e, e.name(), before); err != nil {
			return err
		}
		return put(c.Context, tx, k.table, i.nameKey(e.name()), e)
	})
	if err != nil {
		return err
	}
	i.sets.invalidate(k.cacheKey(i.account, name))
	return nil
}

// create stores e, a new entity, unless one of its name exists, and counts
// the use of its permissions boundary.
func (k *kind) create(i *IAM, c *api.Call, e entity) error {
	key := i.nameKey(e.name())
	err := i.update(c.Context, func(tx store.Tx) error {
		have, err := get[struct{}](c.Context, tx, k.table, key)
		if err != nil {
			return err
		}
		if have != nil {
			return alreadyExists("%s with name %s already exists.", title(k.noun), e.name())
		}
		if b := *e.boundary(); b != "" {
			if err := i.useBoundary(c, tx, b, 1); err != nil {
				return err
			}
		}
		if err := k.indexPath(c.Context, tx, i.account, e, true); err != nil {
			return err
		}
		if err := k.indexUses(c.Context, tx, i.account, e, e.name(), nil); err != nil {
			return err
		}
		return put(c.Context, tx, k.table, key, e)
	})
	if err != nil {
		return err
	}
	i.sets.invalidate(k.cacheKey(i.account, e.name()))
	return nil
}

// remove deletes the named entity once nothing depends on it any more, and
// releases its permissions boundary.
func (k *kind) remove(i *IAM, c *api.Call, name string) error {
	err := i.update(c.Context, func(tx store.Tx) error {
		e, err := k.load(i, c.Context, tx, name)
		if err != nil {
			return err
		}
		if u, ok := e.(*userRecord); ok && len(u.Keys) > 0 {
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		}
		switch {
		case len(*e.attached()) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(*e.inlines()) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		if b := *e.boundary(); b != "" {
			if err := i.useBoundary(c, tx, b, -1); err != nil {
				return err
			}
		}
		if k.useTable != "" {
			if err := del(c.Context, tx, k.useTable, i.nameKey(e.name())); err != nil {
				return err
			}
		}
		if err := k.indexPath(c.Context, tx, i.account, e, false); err != nil {
			return err
		}
		if err := k.indexUses(c.Context, tx, i.account, nil, e.name(), entityUses(e)); err != nil {
			return err
		}
		return del(c.Context, tx, k.table, i.nameKey(e.name()))
	})
	if err != nil {
		return err
	}
	i.sets.invalidate(k.cacheKey(i.account, name))
	return nil
}
