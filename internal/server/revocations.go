package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
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

// revocationRetry is the wait between attempts to store a revocation whose
// write failed.
const revocationRetry = time.Second

// sharedRevocations keeps a node's revocation list and the store's in step.
type sharedRevocations struct {
	st     store.Store
	list   *session.Revocations
	now    func() time.Time
	logger *slog.Logger

	life     context.Context // ends the retries of failed writes
	retrying sync.WaitGroup
}

// newSharedRevocations loads the revocations still in force and follows
// the changes of every node through feed. Writes that fail are tried again
// until life ends (then wait returns).
func newSharedRevocations(ctx, life context.Context, st store.Store, feed *store.Feed, now func() time.Time, logger *slog.Logger) (*sharedRevocations, error) {
	r := &sharedRevocations{st: st, list: session.NewRevocations(now), now: now, logger: logger, life: life}
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
// A write that fails (the store unreachable) is tried again every
// revocationRetry until it succeeds, until passes or life ends: till then
// the other nodes would still accept the sessions.
func (r *sharedRevocations) Revoke(id string, until time.Time) {
	r.list.Revoke(id, until)
	err := r.store(id, until)
	if err == nil {
		return
	}
	r.logger.Error("revocation not shared with other nodes yet; retrying", "id", id, "error", err)
	r.retrying.Add(1)
	go func() {
		defer r.retrying.Done()
		t := time.NewTicker(revocationRetry)
		defer t.Stop()
		for r.now().Before(until) {
			select {
			case <-r.life.Done():
				r.logger.Error("revocation not shared with other nodes", "id", id)
				return
			case <-t.C:
			}
			if err := r.store(id, until); err == nil {
				return
			}
		}
	}()
}

// wait waits for the retries of failed writes, which end with life.
func (r *sharedRevocations) wait() { r.retrying.Wait() }

// store writes one revocation, within revocationWriteTimeout.
func (r *sharedRevocations) store(id string, until time.Time) error {
	ctx, cancel := context.WithTimeout(r.life, revocationWriteTimeout)
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
	return err
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
