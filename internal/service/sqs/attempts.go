package sqs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/queue"
)

// attemptsTable holds the receive attempts of FIFO queues:
// <queue id>/<sha-256 of the ReceiveRequestAttemptId> → attempt JSON.
const attemptsTable = "sqs_attempts"

// attemptWindow is how long a ReceiveRequestAttemptId names its receive
// (SQS: 5 minutes).
const attemptWindow = 5 * time.Minute

// attempt is the receive a ReceiveRequestAttemptId made.
type attempt struct {
	Until  int64         `json:"until"` // unix milliseconds
	Leases []queue.Lease `json:"leases"`
}

func attemptKey(rec *queueRecord, id string) string {
	sum := sha256.Sum256([]byte(id))
	return rec.ID + "/" + hex.EncodeToString(sum[:])
}

// repeatAttempt returns the messages a FIFO receive with the attempt id
// took, those still in flight under the same receive, when it was made
// within the window: a retried receive gets the same messages and
// receipt handles (SQS's ReceiveRequestAttemptId). ok is false when there
// is nothing to repeat.
func (s *SQS) repeatAttempt(ctx context.Context, rec *queueRecord, id string) (msgs []queue.Message, ok bool, err error) {
	v, err := s.cfg.Store.Get(ctx, attemptsTable, attemptKey(rec, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var a attempt
	if err := json.Unmarshal(v, &a); err != nil {
		return nil, false, err
	}
	if a.Until <= s.cfg.Now().UnixMilli() {
		return nil, false, nil
	}
	q := s.messages(rec)
	for _, l := range a.Leases {
		m, err := q.Leased(ctx, s.cfg.Store, l.ID, l.Lease)
		if errors.Is(err, queue.ErrReceiptStale) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		msgs = append(msgs, m)
	}
	return msgs, len(msgs) > 0, nil
}

// recordAttempt keeps what a FIFO receive with the attempt id took, and
// drops the queue's expired attempts.
func (s *SQS) recordAttempt(ctx context.Context, rec *queueRecord, id string, msgs []queue.Message) error {
	now := s.cfg.Now()
	a := attempt{Until: now.Add(attemptWindow).UnixMilli()}
	for _, m := range msgs {
		a.Leases = append(a.Leases, queue.Lease{ID: m.ID, Lease: m.Lease})
	}
	v, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		old, err := tx.List(ctx, attemptsTable, rec.ID+"/", "", 100)
		if err != nil {
			return err
		}
		for _, it := range old {
			var o attempt
			if json.Unmarshal(it.Value, &o) != nil || o.Until <= now.UnixMilli() {
				if err := tx.Delete(ctx, attemptsTable, it.Key); err != nil {
					return err
				}
			}
		}
		return tx.Put(ctx, attemptsTable, attemptKey(rec, id), v)
	})
	return err
}

// dropAttempts deletes the attempts of a deleted queue inside tx.
func dropAttempts(ctx context.Context, tx store.Tx, rec *queueRecord) error {
	items, err := tx.List(ctx, attemptsTable, rec.ID+"/", "", 0)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := tx.Delete(ctx, attemptsTable, it.Key); err != nil {
			return err
		}
	}
	return nil
}
