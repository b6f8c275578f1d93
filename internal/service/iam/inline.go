package iam

import (
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// Inline policies: Put/Get/List/Delete{Role,User}Policy.

func (k *kind) putPolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param)
	pname := f.str("PolicyName")
	doc := f.str("PolicyDocument")
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

func (k *kind) getPolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param)
	pname := f.str("PolicyName")
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

func (k *kind) listPolicies(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param)
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

func (k *kind) deletePolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param)
	pname := f.str("PolicyName")
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
func (i *IAM) useBoundary(c *api.Call, tx store.Tx, arn string, delta int) error {
	if !validARN(arn) {
		return invalidInput("ARN %s is not valid.", arn)
	}
	p, _, err := i.policy(c.Context, tx, arn)
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
	return i.putUses(c.Context, tx, p)
}

func (k *kind) putBoundary(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param)
	arn := f.str("PermissionsBoundary")
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

func (k *kind) deleteBoundary(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str(k.param)
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
