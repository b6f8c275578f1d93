package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// get reads the JSON record at table/key; it returns nil, nil when absent.
func get[T any](ctx context.Context, r store.Reader, table, key string) (*T, error) {
	var v T
	if err := store.GetJSON(ctx, r, table, key, &v); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("iam: read %s/%s: %w", table, key, err)
	}
	return &v, nil
}

func put(ctx context.Context, tx store.Tx, table, key string, v any) error {
	if err := store.PutJSON(ctx, tx, table, key, v); err != nil {
		return fmt.Errorf("iam: write %s/%s: %w", table, key, err)
	}
	return nil
}

func del(ctx context.Context, tx store.Tx, table, key string) error {
	if err := tx.Delete(ctx, table, key); err != nil {
		return fmt.Errorf("iam: delete %s/%s: %w", table, key, err)
	}
	return nil
}

// all reads every record of table under prefix, in key order.
func all[T any](ctx context.Context, r store.Reader, table, prefix string) ([]*T, error) {
	items, err := r.List(ctx, table, prefix, "", 0)
	if err != nil {
		return nil, fmt.Errorf("iam: list %s: %w", table, err)
	}
	return decodeAll[T](table, items)
}

// nameKey is the store key of the role, user or customer managed policy
// name in the view's account.
func (i *IAM) nameKey(name string) string { return i.prefix() + strings.ToLower(name) }

// prefix starts every key of the view's account.
func (i *IAM) prefix() string { return i.account + "/" }

// awsKey is the store key of the AWS managed policy name.
func awsKey(name string) string { return "aws/" + strings.ToLower(name) }

// role reads a role by name, or NoSuchEntity.
func (i *IAM) role(ctx context.Context, r store.Reader, name string) (*roleRecord, error) {
	rec, err := get[roleRecord](ctx, r, tableRoles, i.nameKey(name))
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return rec, nil
}

// user reads a user by name, or NoSuchEntity.
func (i *IAM) user(ctx context.Context, r store.Reader, name string) (*userRecord, error) {
	rec, err := get[userRecord](ctx, r, tableUsers, i.nameKey(name))
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, noSuchEntity("The user with name %s cannot be found.", name)
	}
	return rec, nil
}

// policy reads a managed policy by ARN; it returns nil, "" for an ARN that
// names no policy, and the store key otherwise.
func (i *IAM) policy(ctx context.Context, r store.Reader, arn string) (*policyRecord, string, error) {
	key, ok := i.policyKey(arn)
	if !ok {
		return nil, "", nil
	}
	rec, err := get[policyRecord](ctx, r, tablePolicies, key)
	if err != nil || rec == nil || rec.ARN != arn {
		return nil, "", err
	}
	if err := i.countUses(ctx, r, rec); err != nil {
		return nil, "", err
	}
	return rec, key, nil
}

// usesKey is the key in tableUses of the view's account's counts of a
// managed policy: the customer managed policy's own key, or the AWS
// managed policy's under the account's prefix.
func (i *IAM) usesKey(p *policyRecord) string {
	if p.AWS {
		return i.prefix() + awsKey(p.Name)
	}
	return i.nameKey(p.Name)
}

// countUses sets the counts of a managed policy to the view's account's.
func (i *IAM) countUses(ctx context.Context, r store.Reader, p *policyRecord) error {
	u, err := get[usesRecord](ctx, r, tableUses, i.usesKey(p))
	if err != nil {
		return err
	}
	p.Attachments, p.BoundaryUses = 0, 0
	if u != nil {
		p.Attachments, p.BoundaryUses = u.Attachments, u.BoundaryUses
	}
	return nil
}

// putPolicy stores a customer managed policy read with policy; its counts
// are not part of the record (see putUses).
func (i *IAM) putPolicy(ctx context.Context, tx store.Tx, key string, p *policyRecord) error {
	return put(ctx, tx, tablePolicies, key, p)
}

// putUses stores the view's account's counts of a managed policy read with
// policy, and nothing else.
func (i *IAM) putUses(ctx context.Context, tx store.Tx, p *policyRecord) error {
	ukey := i.usesKey(p)
	if p.Attachments == 0 && p.BoundaryUses == 0 {
		return del(ctx, tx, tableUses, ukey)
	}
	return put(ctx, tx, tableUses, ukey, usesRecord{Attachments: p.Attachments, BoundaryUses: p.BoundaryUses})
}

// managedPolicies lists the AWS managed policies when withAWS is set, then
// the account's own when withLocal is, each with the view's account's counts.
func (i *IAM) managedPolicies(ctx context.Context, r store.Reader, withAWS, withLocal bool) ([]*policyRecord, error) {
	var out []*policyRecord
	if withAWS {
		recs, err := all[policyRecord](ctx, r, tablePolicies, "aws/")
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	if withLocal {
		recs, err := all[policyRecord](ctx, r, tablePolicies, i.prefix())
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	if len(out) == 0 {
		return out, nil
	}
	uses, err := r.List(ctx, tableUses, i.prefix(), "", 0)
	if err != nil {
		return nil, fmt.Errorf("iam: list %s: %w", tableUses, err)
	}
	counts := make(map[string]usesRecord, len(uses))
	for _, it := range uses {
		var u usesRecord
		if err := json.Unmarshal(it.Value, &u); err != nil {
			return nil, fmt.Errorf("iam: read %s/%s: %w", tableUses, it.Key, err)
		}
		counts[it.Key] = u
	}
	for _, p := range out {
		u := counts[i.usesKey(p)]
		p.Attachments, p.BoundaryUses = u.Attachments, u.BoundaryUses
	}
	return out, nil
}

// update runs fn in a store transaction. fn may run more than once (see
// store.Store.Update).
func (i *IAM) update(ctx context.Context, fn func(tx store.Tx) error) error {
	_, err := i.store.Update(ctx, fn)
	return err
}
