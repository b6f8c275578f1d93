package iam

import (
	"context"
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
	out := make([]*T, 0, len(items))
	for _, it := range items {
		v, err := get[T](ctx, r, table, it.Key)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

func nameKey(name string) string { return strings.ToLower(name) }

// role reads a role by name, or NoSuchEntity.
func (i *IAM) role(ctx context.Context, r store.Reader, name string) (*roleRecord, error) {
	rec, err := get[roleRecord](ctx, r, tableRoles, nameKey(name))
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
	rec, err := get[userRecord](ctx, r, tableUsers, nameKey(name))
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
	return rec, key, nil
}

// update runs fn in a store transaction.
func (i *IAM) update(ctx context.Context, fn func(tx store.Tx) error) error {
	return i.store.Update(ctx, fn)
}
