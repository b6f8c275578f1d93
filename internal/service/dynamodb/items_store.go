package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/store"
)

// This file reads and writes items in the store: the item under its
// primary key, its entries in the table's indexes, and its stream record,
// all in the caller's transaction.

// getItem returns the item stored under key, or nil when there is none.
func getItem(ctx context.Context, r store.Reader, key string) (attr.Item, error) {
	b, err := r.Get(ctx, itemsTable, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dynamodb: read item: %w", err)
	}
	return decodeItem(b)
}

// decodeItem decodes a stored item.
func decodeItem(b []byte) (attr.Item, error) {
	var it attr.Item
	if err := json.Unmarshal(b, &it); err != nil {
		return nil, fmt.Errorf("dynamodb: stored item: %w", err)
	}
	return it, nil
}

// itemKey returns the store key of the item whose key attributes are in
// it; callers have checked them (checkKey, checkItem).
func (t *Table) itemKey(it attr.Item) string {
	k, _ := t.ItemKey(it)
	return k
}

// project returns the attributes of it that index ix holds: all of them
// (ALL), or the table's and the index's key attributes plus the
// NonKeyAttributes (INCLUDE) or nothing more (KEYS_ONLY).
func (t *Table) project(ix *Index, it attr.Item) attr.Item {
	if ix.Projection.ProjectionType == "ALL" || ix.Projection.ProjectionType == "" {
		return it
	}
	out := t.keyOf(it)
	for _, k := range ix.KeySchema {
		if v, ok := it[k.AttributeName]; ok {
			out[k.AttributeName] = v
		}
	}
	for _, n := range ix.Projection.NonKeyAttributes {
		if v, ok := it[n]; ok {
			out[n] = v
		}
	}
	return out
}

// projects reports whether index ix holds attribute name.
func (t *Table) projects(ix *Index, name string) bool {
	switch ix.Projection.ProjectionType {
	case "ALL", "":
		return true
	}
	if t.isKeyAttr(name) {
		return true
	}
	for _, k := range ix.KeySchema {
		if k.AttributeName == name {
			return true
		}
	}
	for _, n := range ix.Projection.NonKeyAttributes {
		if n == name {
			return true
		}
	}
	return false
}

// commitItem replaces old by new under the primary key key (new nil
// deletes it), keeps every index of t in step (an item lacking an index's
// key attributes is not in it), appends the stream record, and counts the
// write capacity the table and each index consume into u (nil: not
// counted). Callers hold the transaction and have checked new.
func (d *DynamoDB) commitItem(ctx context.Context, tx store.Tx, c *api.Call, t *Table, key string, old, new attr.Item, u *usage) error {
	if new == nil {
		if old == nil {
			u.write(t, nil, 0)
			return nil
		}
		if err := tx.Delete(ctx, itemsTable, key); err != nil {
			return fmt.Errorf("dynamodb: delete item: %w", err)
		}
	} else {
		b, err := json.Marshal(new)
		if err != nil {
			return fmt.Errorf("dynamodb: encode item: %w", err)
		}
		if err := tx.Put(ctx, itemsTable, key, b); err != nil {
			return fmt.Errorf("dynamodb: write item: %w", err)
		}
	}
	u.write(t, nil, max(old.Size(), new.Size()))
	for _, ix := range t.indexes() {
		if err := d.commitIndex(ctx, tx, t, ix, old, new, u); err != nil {
			return err
		}
	}
	if old == nil && new == nil {
		return nil
	}
	return d.recordChange(ctx, tx, c, t, old, new)
}

// commitIndex moves an item's entry in index ix from old to new.
func (d *DynamoDB) commitIndex(ctx context.Context, tx store.Tx, t *Table, ix *Index, old, new attr.Item, u *usage) error {
	var oldKey, newKey string
	var inOld, inNew bool
	if old != nil {
		oldKey, inOld = t.IndexKey(ix, old)
	}
	if new != nil {
		newKey, inNew = t.IndexKey(ix, new)
	}
	var oldEntry, newEntry attr.Item
	if inOld {
		oldEntry = t.project(ix, old)
	}
	if inNew {
		newEntry = t.project(ix, new)
	}
	if inOld && (!inNew || oldKey != newKey) {
		if err := tx.Delete(ctx, indexTable, oldKey); err != nil {
			return fmt.Errorf("dynamodb: delete index entry: %w", err)
		}
		u.write(t, ix, oldEntry.Size())
	}
	if !inNew {
		return nil
	}
	if inOld && oldKey == newKey && sameItem(oldEntry, newEntry) {
		return nil // nothing the index holds changed: no index write
	}
	b, err := json.Marshal(newEntry)
	if err != nil {
		return fmt.Errorf("dynamodb: encode index entry: %w", err)
	}
	if err := tx.Put(ctx, indexTable, newKey, b); err != nil {
		return fmt.Errorf("dynamodb: write index entry: %w", err)
	}
	u.write(t, ix, newEntry.Size())
	return nil
}

// sameItem reports whether a and b hold the same attributes and values.
func sameItem(a, b attr.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !attr.Equal(v, w) {
			return false
		}
	}
	return true
}
