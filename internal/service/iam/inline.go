package iam

import (
	"context"

	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// entity is what roles and users share: inline policies, attached managed
// policies and a permissions boundary.
type entity interface {
	name() string
	inlines() *[]inline
	attached() *[]string
	boundary() *string
}

func (r *roleRecord) name() string        { return r.Name }
func (r *roleRecord) inlines() *[]inline  { return &r.Inline }
func (r *roleRecord) attached() *[]string { return &r.Attached }
func (r *roleRecord) boundary() *string   { return &r.Boundary }
func (u *userRecord) name() string        { return u.Name }
func (u *userRecord) inlines() *[]inline  { return &u.Inline }
func (u *userRecord) attached() *[]string { return &u.Attached }
func (u *userRecord) boundary() *string   { return &u.Boundary }

// kind describes one kind of entity for the operations roles and users share.
type kind struct {
	noun        string // "role", "user"
	param       string // "RoleName", "UserName"
	field       field
	table       string
	inlineLimit int
	load        func(i *IAM, ctx context.Context, r store.Reader, name string) (entity, error)
}

var (
	roleKind = &kind{
		noun: "role", param: "RoleName", field: fRoleName, table: tableRoles, inlineLimit: maxRoleInlineSize,
		load: func(i *IAM, ctx context.Context, r store.Reader, name string) (entity, error) {
			rec, err := i.role(ctx, r, name)
			if err != nil {
				return nil, err
			}
			return rec, nil
		},
	}
	userKind = &kind{
		noun: "user", param: "UserName", field: fExistUser, table: tableUsers, inlineLimit: maxUserInlineSize,
		load: func(i *IAM, ctx context.Context, r store.Reader, name string) (entity, error) {
			rec, err := i.user(ctx, r, name)
			if err != nil {
				return nil, err
			}
			return rec, nil
		},
	}
)

func (k *kind) cacheKey(name string) string { return k.noun + "/" + nameKey(name) }

// change loads the named entity, applies fn and stores it, then drops the
// entity's compiled policies.
func (k *kind) change(i *IAM, c *service.Call, name string, fn func(tx store.Tx, e entity) error) error {
	err := i.update(c.Context, func(tx store.Tx) error {
		e, err := k.load(i, c.Context, tx, name)
		if err != nil {
			return err
		}
		if err := fn(tx, e); err != nil {
			return err
		}
		return put(c.Context, tx, k.table, nameKey(e.name()), e)
	})
	if err != nil {
		return err
	}
	i.sets.invalidate(k.cacheKey(name))
	return nil
}

// Inline policies: Put/Get/List/Delete{Role,User}Policy.

func (k *kind) putPolicy(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param, k.field, true)
	pname := f.str("PolicyName", fPolicyName, true)
	doc := f.str("PolicyDocument", fDocument, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	if _, err := parseDocument(doc, policy.Identity); err != nil {
		return nil, err
	}
	err := k.change(i, c, name, func(_ store.Tx, e entity) error {
		next := putInline(*e.inlines(), pname, doc)
		if inlineSize(next) > k.inlineLimit {
			return limitExceeded("Maximum policy size of %d bytes exceeded for %s %s", k.inlineLimit, k.noun, e.name())
		}
		*e.inlines() = next
		return nil
	})
	return nil, err
}

type getInlineResult struct {
	RoleName       string `xml:"RoleName,omitempty"`
	UserName       string `xml:"UserName,omitempty"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (k *kind) getPolicy(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param, k.field, true)
	pname := f.str("PolicyName", fPolicyName, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	e, err := k.load(i, c.Context, i.store, name)
	if err != nil {
		return nil, err
	}
	p, ok := findInline(*e.inlines(), pname)
	if !ok {
		return nil, noSuchEntity("The %s policy with name %s cannot be found.", k.noun, pname)
	}
	out := getInlineResult{PolicyName: p.Name, PolicyDocument: encodeDocument(p.Doc)}
	if k == roleKind {
		out.RoleName = e.name()
	} else {
		out.UserName = e.name()
	}
	return out, nil
}

type policyNamesResult struct {
	PolicyNames list[string] `xml:"PolicyNames"`
	page
}

func (k *kind) listPolicies(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param, k.field, true)
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	e, err := k.load(i, c.Context, i.store, name)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(*e.inlines()))
	for _, p := range *e.inlines() {
		names = append(names, p.Name)
	}
	names, pg, err := paginate(names, func(s string) string { return s }, marker, max)
	if err != nil {
		return nil, err
	}
	return policyNamesResult{PolicyNames: append(list[string]{}, names...), page: pg}, nil
}

func (k *kind) deletePolicy(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param, k.field, true)
	pname := f.str("PolicyName", fPolicyName, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	err := k.change(i, c, name, func(_ store.Tx, e entity) error {
		next, ok := removeInline(*e.inlines(), pname)
		if !ok {
			return noSuchEntity("The %s policy with name %s cannot be found.", k.noun, pname)
		}
		*e.inlines() = next
		return nil
	})
	return nil, err
}

// Permissions boundaries.

// useBoundary checks that arn names a managed policy usable as a boundary
// and adds delta to its boundary usage count.
func (i *IAM) useBoundary(c *service.Call, tx store.Tx, arn string, delta int) error {
	if !validARN(arn) {
		return invalidInput("ARN %s is not valid.", arn)
	}
	p, key, err := i.policy(c.Context, tx, arn)
	if err != nil {
		return err
	}
	if p == nil {
		if delta < 0 {
			return nil // the policy is gone; nothing to count
		}
		return noSuchEntity("Scope ARN: %s does not exist or is not attachable.", arn)
	}
	p.BoundaryUses = max(0, p.BoundaryUses+delta)
	return put(c.Context, tx, tablePolicies, key, p)
}

func (k *kind) putBoundary(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param, k.field, true)
	arn := f.str("PermissionsBoundary", fARN, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	err := k.change(i, c, name, func(tx store.Tx, e entity) error {
		if err := i.useBoundary(c, tx, arn, 1); err != nil {
			return err
		}
		if old := *e.boundary(); old != "" {
			if err := i.useBoundary(c, tx, old, -1); err != nil {
				return err
			}
		}
		*e.boundary() = arn
		return nil
	})
	return nil, err
}

func (k *kind) deleteBoundary(i *IAM, c *service.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param, k.field, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	err := k.change(i, c, name, func(tx store.Tx, e entity) error {
		old := *e.boundary()
		if old == "" {
			return nil
		}
		*e.boundary() = ""
		return i.useBoundary(c, tx, old, -1)
	})
	return nil, err
}
