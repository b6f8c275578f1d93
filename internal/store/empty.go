package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// EmptyTx is the part of an engine's transaction that Empty needs beyond
// Tx: the names of the tables holding keys, and the deletion of the trail's
// events. The transactions of every engine implement it.
type EmptyTx interface {
	Tx
	// Tables returns the names of the tables holding at least one key, in
	// byte order.
	Tables(ctx context.Context) ([]string, error)
	// DeleteEvents deletes every trail event (AppendEvents), and every
	// metric data point (Metrics), in the transaction.
	DeleteEvents(ctx context.Context) error
}

// Empty deletes, in one Update of st, every key of every table but the
// tables named in keep, and every trail event. Each key is deleted through
// the transaction, so the change log records it and every Feed subscriber
// (on any node of the database) drops what it derived from it. It returns
// the revision committed; an error when st's engine cannot be emptied.
func Empty(ctx context.Context, st Store, keep ...string) (Revision, error) {
	return EmptyExcept(ctx, st, func(table string, _ Item) bool { return slices.Contains(keep, table) })
}

// EmptyExcept is Empty keeping each key for which keep, given its table and
// item, reports true.
func EmptyExcept(ctx context.Context, st Store, keep func(table string, it Item) bool) (Revision, error) {
	rev, err := st.Update(ctx, func(tx Tx) error {
		et, ok := tx.(EmptyTx)
		if !ok {
			return errors.New("the engine cannot list its tables")
		}
		tables, err := et.Tables(ctx)
		if err != nil {
			return err
		}
		for _, table := range tables {
			items, err := tx.List(ctx, table, "", "", 0)
			if err != nil {
				return err
			}
			for _, it := range items {
				if keep(table, it) {
					continue
				}
				if err := tx.Delete(ctx, table, it.Key); err != nil {
					return err
				}
			}
		}
		return et.DeleteEvents(ctx)
	})
	if err != nil {
		return 0, fmt.Errorf("store: empty: %w", err)
	}
	return rev, nil
}
