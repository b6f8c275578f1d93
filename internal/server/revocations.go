package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/session"
	"github.com/rolecall/rolecall/internal/store"
)

// revocationsTable holds the sessions revoked by any node: an execution
// environment's ID (or an access key ID) -> until when, in Unix
// milliseconds. Each node keeps the list in memory (session.Revocations),
// fed by the change feed, so that credentials revoked by an environment's
// teardown on one node are refused by every node.
const revocationsTable = "session_revocations"

// revocationWriteTimeout bounds the store write of one revocation.
const revocationWriteTimeout = 10 * time.Second

// sharedRevocations keeps a node's revocation list and the store's in step.
type sharedRevocations struct {
	st     store.Store
	list   *session.Revocations
	now    func() time.Time
	logger *slog.Logger
}

// newSharedRevocations loads the revocations still in force and follows
// the changes of every node through feed.
func newSharedRevocations(ctx context.Context, st store.Store, feed *store.Feed, now func() time.Time, logger *slog.Logger) (*sharedRevocations, error) {
	r := &sharedRevocations{st: st, list: session.NewRevocations(now), now: now, logger: logger}
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	feed.Subscribe([]string{revocationsTable}, r.changed, r.reset)
	return r, nil
}

// load adds every stored revocation to the list.
func (r *sharedRevocations) load(ctx context.Context) error {
	items, err := r.st.List(ctx, revocationsTable, "", "", 0)
	if err != nil {
		return fmt.Errorf("server: revocations: %w", err)
	}
	for _, it := range items {
		if until, ok := parseUntil(it.Value); ok {
			r.list.Revoke(it.Key, until)
		}
	}
	return nil
}

func parseUntil(v []byte) (time.Time, bool) {
	ms, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// Revoke denies the sessions of an environment (or an access key ID) until
// the given time, on this node at once and on the others through the
// store. Revocations past their time are deleted in the same transaction.
func (r *sharedRevocations) Revoke(id string, until time.Time) {
	r.list.Revoke(id, until)
	ctx, cancel := context.WithTimeout(context.Background(), revocationWriteTimeout)
	defer cancel()
	now := r.now()
	_, err := r.st.Update(ctx, func(tx store.Tx) error {
		items, err := tx.List(ctx, revocationsTable, "", "", 0)
		if err != nil {
			return err
		}
		for _, it := range items {
			if t, ok := parseUntil(it.Value); !ok || !now.Before(t) {
				if err := tx.Delete(ctx, revocationsTable, it.Key); err != nil {
					return err
				}
			}
		}
		if v, err := tx.Get(ctx, revocationsTable, id); err == nil {
			if t, ok := parseUntil(v); ok && !t.Before(until) {
				return nil
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.Put(ctx, revocationsTable, id, []byte(strconv.FormatInt(until.UnixMilli(), 10)))
	})
	if err != nil {
		// This node refuses the sessions already; the others would not.
		r.logger.Error("revocation not shared with other nodes", "id", id, "error", err)
	}
}

// changed adds a revocation another node (or this one) stored.
func (r *sharedRevocations) changed(c store.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), revocationWriteTimeout)
	defer cancel()
	v, err := r.st.Get(ctx, revocationsTable, c.Key)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			r.logger.Error("revocation unreadable", "id", c.Key, "error", err)
		}
		return
	}
	if until, ok := parseUntil(v); ok {
		r.list.Revoke(c.Key, until)
	}
}

// reset reloads the list: changes may have been missed. Entries are only
// ever added, so keeping the old ones is safe.
func (r *sharedRevocations) reset() {
	ctx, cancel := context.WithTimeout(context.Background(), revocationWriteTimeout)
	defer cancel()
	if err := r.load(ctx); err != nil {
		r.logger.Error("revocations not reloaded", "error", err)
	}
}
