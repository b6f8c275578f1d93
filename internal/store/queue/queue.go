// Package queue is a leased message queue kept in a store.Store, with the
// semantics of an Amazon SQS standard queue: a received message is hidden
// from other receivers for a visibility timeout, comes back when the
// timeout passes without a Delete, and counts its receives. Every handle on
// the same database (every node) shares the queue; being built only on
// store.Store transactions, it works alike on every store engine.
//
// A queue is one store table (Table). Its messages are the keys
// "m/<visible-at, unix milliseconds, 16 digits>/<message id>", so that a
// List in key order returns the messages that become visible first; the
// key "n" counts the messages. Receivers on different handles that take
// the same message conflict in their serializable transactions and one of
// them runs again, so a message is never handed to two receivers within
// its visibility timeout.
//
// Visible-at times are read from the clock of the handle that writes
// them: the processes sharing a queue need clocks in step to within the
// precision their visibility timeouts ask for. Every operation is one
// serializable transaction, so a queue's throughput is that of the
// engine's writing transactions (all writers of a database serialize).
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/store"
)

// ErrReceiptStale is returned by Delete, ChangeVisibility and Return when
// the receipt no longer names the message's current lease: the message was
// deleted, received again, or its visibility changed with another receipt.
// Nothing is changed. (SQS answers ReceiptHandleIsInvalid, or ignores the
// call, in these cases.)
var ErrReceiptStale = errors.New("queue: receipt handle is stale")

// ErrReceiptInvalid is returned for a receipt that no Receive produced.
var ErrReceiptInvalid = errors.New("queue: receipt handle is malformed")

const (
	messagePrefix = "m/"
	indexPrefix   = "i/" // i/<message id> → the message's key
	countKey      = "n"
	formatVersion = 1
)

// Message is one received message.
type Message struct {
	ID   string
	Body []byte
	// Meta, Group and Seq are what the message was sent with (Entry).
	Meta  json.RawMessage
	Group string
	Seq   int64
	// FirstReceivedAt is the time of the message's first receive.
	FirstReceivedAt time.Time
	// Lease names this receive, for the methods that take a message id
	// and a lease (DeleteLeased, SetVisibility), which a change of
	// visibility does not make stale.
	Lease string
	// ReceiveCount counts the receives of the message, this one included
	// (SQS's ApproximateReceiveCount): 1 on its first delivery.
	ReceiveCount int
	SentAt       time.Time
	// Receipt names this receive's lease, for Delete, ChangeVisibility and
	// Return.
	Receipt string
}

// record is a message as stored.
type record struct {
	V     int    `json:"v"`
	ID    string `json:"id"`
	Body  []byte `json:"body"`
	Sent  int64  `json:"sent"`  // unix milliseconds
	Count int    `json:"count"` // receives so far
	Lease string `json:"lease"` // token of the current receive's receipt
	// The fields of Entry (lease.go).
	Meta  json.RawMessage `json:"meta,omitempty"`
	Group string          `json:"group,omitempty"`
	Seq   int64           `json:"seq,omitempty"`
	First int64           `json:"first,omitempty"` // unix milliseconds of the first receive
	// Recv is the unix milliseconds of the receive that made Lease: the
	// start of the lease's longest visibility (SetVisibility).
	Recv int64 `json:"recv,omitempty"`
}

// Queue is a handle on one named queue of a store.
type Queue struct {
	st    store.Store
	table string
	now   func() time.Time
}

// New returns a handle on the queue name of st (created by its first
// Send). now is the clock of visibility timeouts and delays; nil is
// time.Now. Handles on the same database and name share the queue.
func New(st store.Store, name string, now func() time.Time) *Queue {
	if now == nil {
		now = time.Now
	}
	return &Queue{st: st, table: Table(name), now: now}
}

// Table returns the store table of the queue name: a consumer subscribes
// to its changes (store.Feed) to learn that a message was sent by any
// process.
func Table(name string) string { return "queue_" + name }

// Send adds a message with body to the queue inside the caller's
// transaction tx, so that it exists exactly when the transaction commits,
// and returns its id. It becomes visible after delay (>= 0, SQS's
// DelaySeconds).
func (q *Queue) Send(ctx context.Context, tx store.Tx, body []byte, delay time.Duration) (string, error) {
	if delay < 0 {
		return "", fmt.Errorf("queue %s: send: negative delay %v", q.table, delay)
	}
	id, err := uuid.NewV7() // ids sort by send time among messages visible at the same millisecond
	if err != nil {
		return "", fmt.Errorf("queue %s: send: %w", q.table, err)
	}
	now := q.now()
	rec := record{V: formatVersion, ID: id.String(), Body: body, Sent: now.UnixMilli()}
	if err := q.put(ctx, tx, now.Add(delay).UnixMilli(), &rec); err != nil {
		return "", fmt.Errorf("queue %s: send: %w", q.table, err)
	}
	if err := q.addCount(ctx, tx, 1); err != nil {
		return "", fmt.Errorf("queue %s: send: %w", q.table, err)
	}
	return rec.ID, nil
}

// Len returns the number of messages in the queue, visible or not, as r
// (a transaction or the store) reads it.
func (q *Queue) Len(ctx context.Context, r store.Reader) (int, error) {
	v, err := r.Get(ctx, q.table, countKey)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("queue %s: length: %w", q.table, err)
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("queue %s: length: %w", q.table, err)
	}
	return n, nil
}

// Receive takes up to limit (> 0) of the messages whose visible-at time has
// passed, those that became visible first first, and hides each until
// now+visibility (>= 0), incrementing its receive count. It returns no
// messages, and no error, when none is visible. It commits its own
// transaction.
func (q *Queue) Receive(ctx context.Context, limit int, visibility time.Duration) ([]Message, error) {
	if limit <= 0 || visibility < 0 {
		return nil, fmt.Errorf("queue %s: receive: invalid limit %d or visibility %v", q.table, limit, visibility)
	}
	var msgs []Message
	_, err := q.st.Update(ctx, func(tx store.Tx) error {
		msgs = msgs[:0]
		now := q.now().UnixMilli()
		items, err := tx.List(ctx, q.table, messagePrefix, "", limit)
		if err != nil {
			return err
		}
		for _, it := range items {
			at, _, err := parseKey(it.Key)
			if err != nil {
				return err
			}
			if at > now {
				break
			}
			var rec record
			if err := decode(it.Value, &rec); err != nil {
				return fmt.Errorf("%s: %w", it.Key, err)
			}
			rec.Count++
			rec.Lease, rec.Recv = newLease(), now
			if rec.First == 0 {
				rec.First = now
			}
			if err := tx.Delete(ctx, q.table, it.Key); err != nil {
				return err
			}
			if err := q.put(ctx, tx, now+visibility.Milliseconds(), &rec); err != nil {
				return err
			}
			msgs = append(msgs, rec.message(now+visibility.Milliseconds()))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.table, err)
	}
	return msgs, nil
}

// Delete removes the message a receipt leases: it was handled. A stale
// receipt returns ErrReceiptStale.
func (q *Queue) Delete(ctx context.Context, receipt string) error {
	k, lease, err := parseReceipt(receipt)
	if err != nil {
		return err
	}
	_, err = q.st.Update(ctx, func(tx store.Tx) error {
		if _, err := q.leased(ctx, tx, k, lease); err != nil {
			return err
		}
		return q.remove(ctx, tx, k)
	})
	if err != nil {
		return fmt.Errorf("queue %s: delete: %w", q.table, err)
	}
	return nil
}

// ChangeVisibility makes the message a receipt leases visible again after
// d (>= 0) from now instead of when its visibility timeout ends (SQS's
// ChangeMessageVisibility): 0 returns it to receivers at once, more delays
// a retry or extends the lease of a long task. It returns the receipt of
// the changed lease; the old receipt is stale from then on. A stale
// receipt returns ErrReceiptStale.
func (q *Queue) ChangeVisibility(ctx context.Context, receipt string, d time.Duration) (string, error) {
	return q.relocate(ctx, "change visibility", receipt, d, 0)
}

// Return gives back, visible at once, a message that was received but not
// handled (its receiver is shutting down): unlike ChangeVisibility with 0,
// the receive is not counted, so the next receive reports the same
// ReceiveCount as this one did. A stale receipt returns ErrReceiptStale.
func (q *Queue) Return(ctx context.Context, receipt string) error {
	_, err := q.relocate(ctx, "return", receipt, 0, -1)
	return err
}

// relocate moves a leased message to visible-at now+d under a new lease,
// adding count to its receive count.
func (q *Queue) relocate(ctx context.Context, op, receipt string, d time.Duration, count int) (string, error) {
	if d < 0 {
		return "", fmt.Errorf("queue %s: %s: negative visibility %v", q.table, op, d)
	}
	k, lease, err := parseReceipt(receipt)
	if err != nil {
		return "", err
	}
	var out string
	_, err = q.st.Update(ctx, func(tx store.Tx) error {
		rec, err := q.leased(ctx, tx, k, lease)
		if err != nil {
			return err
		}
		rec.Count = max(rec.Count+count, 0)
		rec.Lease = newLease()
		at := q.now().UnixMilli() + d.Milliseconds()
		if err := tx.Delete(ctx, q.table, k); err != nil {
			return err
		}
		if err := q.put(ctx, tx, at, rec); err != nil {
			return err
		}
		out = receiptOf(key(at, rec.ID), rec.Lease)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("queue %s: %s: %w", q.table, op, err)
	}
	return out, nil
}

// NextVisible returns when the first message to become visible does so
// (possibly in the past: one is visible now), and false when the queue is
// empty: when a receiver that found nothing should look again.
func (q *Queue) NextVisible(ctx context.Context) (time.Time, bool, error) {
	items, err := q.st.List(ctx, q.table, messagePrefix, "", 1)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("queue %s: next visible: %w", q.table, err)
	}
	if len(items) == 0 {
		return time.Time{}, false, nil
	}
	at, _, err := parseKey(items[0].Key)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("queue %s: next visible: %w", q.table, err)
	}
	return time.UnixMilli(at), true, nil
}

// leased returns the message at k when lease is its current lease, and
// ErrReceiptStale otherwise.
func (q *Queue) leased(ctx context.Context, tx store.Tx, k, lease string) (*record, error) {
	v, err := tx.Get(ctx, q.table, k)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrReceiptStale
	}
	if err != nil {
		return nil, err
	}
	var rec record
	if err := decode(v, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", k, err)
	}
	if rec.Lease == "" || rec.Lease != lease {
		return nil, ErrReceiptStale
	}
	return &rec, nil
}

func (q *Queue) put(ctx context.Context, tx store.Tx, at int64, rec *record) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	k := key(at, rec.ID)
	if err := tx.Put(ctx, q.table, k, v); err != nil {
		return err
	}
	return tx.Put(ctx, q.table, indexPrefix+rec.ID, []byte(k))
}

func (q *Queue) addCount(ctx context.Context, tx store.Tx, d int) error {
	n, err := q.Len(ctx, tx)
	if err != nil {
		return err
	}
	return tx.Put(ctx, q.table, countKey, []byte(strconv.Itoa(max(n+d, 0))))
}

func decode(v []byte, rec *record) error {
	if err := json.Unmarshal(v, rec); err != nil {
		return err
	}
	if rec.V != formatVersion {
		return fmt.Errorf("message format version %d, want %d", rec.V, formatVersion)
	}
	return nil
}

// key is the key of message id visible at unix millisecond at.
func key(at int64, id string) string {
	return fmt.Sprintf("%s%016d/%s", messagePrefix, max(at, 0), id)
}

func parseKey(k string) (at int64, id string, err error) {
	rest, ok := strings.CutPrefix(k, messagePrefix)
	ms, id, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || len(ms) != 16 || id == "" {
		return 0, "", fmt.Errorf("malformed message key %q", k)
	}
	at, err = strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("malformed message key %q", k)
	}
	return at, id, nil
}

func newLease() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// receiptOf is the receipt of the lease on the message at key k.
func receiptOf(k, lease string) string { return k + "#" + lease }

func parseReceipt(r string) (k, lease string, err error) {
	i := strings.LastIndexByte(r, '#')
	if i < 0 {
		return "", "", ErrReceiptInvalid
	}
	k, lease = r[:i], r[i+1:]
	if _, _, err := parseKey(k); err != nil || lease == "" {
		return "", "", ErrReceiptInvalid
	}
	return k, lease, nil
}
