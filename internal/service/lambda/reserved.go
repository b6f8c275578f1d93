package lambda

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/rolecall/rolecall/internal/store"
)

// tableReserved indexes the functions that reserve concurrency:
// "<account>/<name>" -> the reserved concurrency, in decimal. It is written
// in the transactions that set, remove or delete a reservation, so the
// account's reserved total reads the reservations, not every function.
const tableReserved = "lambda_reserved"

// reservedIndexKey marks, in tableMeta, a store whose tableReserved was
// built: a store written before the index existed has none.
const reservedIndexKey = "reserved-index"

// setReserved records (n >= 0) or removes (n < 0) the reservation of the
// function at key.
func setReserved(ctx context.Context, tx store.Tx, key string, n int) error {
	if n < 0 {
		return tx.Delete(ctx, tableReserved, key)
	}
	return tx.Put(ctx, tableReserved, key, []byte(strconv.Itoa(n)))
}

// reservation returns the reserved concurrency of the function at key
// ("<account>/<name>") and whether it reserves any.
func reservation(ctx context.Context, r store.Reader, key string) (int, bool, error) {
	v, err := r.Get(ctx, tableReserved, key)
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, false, fmt.Errorf("lambda: read %s/%s: %w", tableReserved, key, err)
	}
	return n, true, nil
}

// reservedTotal is the concurrency reserved in an account, without the
// function named except.
func (l *Lambda) reservedTotal(ctx context.Context, r store.Reader, account, except string) (int, error) {
	items, err := r.List(ctx, tableReserved, account+"/", "", 0)
	if err != nil {
		return 0, err
	}
	sum := 0
	for _, it := range items {
		if it.Key == account+"/"+except {
			continue
		}
		n, err := strconv.Atoi(string(it.Value))
		if err != nil {
			return 0, fmt.Errorf("lambda: read %s/%s: %w", tableReserved, it.Key, err)
		}
		sum += n
	}
	return sum, nil
}

// indexReserved builds tableReserved from the functions when the store
// has none yet.
func (l *Lambda) indexReserved(ctx context.Context) error {
	_, err := l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Get(ctx, tableMeta, reservedIndexKey)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return err
		}
		items, err := tx.List(ctx, tableFunctions, "", "", 0)
		if err != nil {
			return err
		}
		for _, it := range items {
			var f function
			if err := decode(it.Value, &f); err != nil {
				return fmt.Errorf("%s: %w", it.Key, err)
			}
			if f.Reserved != nil {
				if err := setReserved(ctx, tx, it.Key, *f.Reserved); err != nil {
					return err
				}
			}
		}
		return tx.Put(ctx, tableMeta, reservedIndexKey, []byte("1"))
	})
	if err != nil {
		return fmt.Errorf("lambda: index reserved concurrency: %w", err)
	}
	return nil
}
