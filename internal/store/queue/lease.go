package queue

// This file holds what Amazon SQS needs beyond the leased queue: messages
// with metadata, FIFO message groups with sequence numbers and
// deduplication, retention, dead-letter moves, counts by state, purges,
// and leases addressed by message id, which outlive a change of
// visibility as SQS's receipt handles do.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/store"
)

const (
	seqKey      = "s"  // the last sequence number given
	dedupPrefix = "d/" // d/<sha-256 of the deduplication id, hex> → dedup
)

// DedupWindow is how long a deduplication id keeps a FIFO queue from
// accepting the same message again (SQS: 5 minutes).
const DedupWindow = 5 * time.Minute

// Entry is a message to put.
type Entry struct {
	Body []byte
	// Meta is kept with the message and handed back on receive, as is.
	Meta json.RawMessage
	// Delay (>= 0) hides the message for that long after the put.
	Delay time.Duration
	// Group is the FIFO message group; a message with a Group gets a
	// sequence number and is received in order within its group.
	Group string
	// DedupID, when set, makes a put within DedupWindow of an earlier put
	// with the same id add nothing and return the earlier message.
	DedupID string
	// ID and SentAt, when set, keep a moved message's identity (a
	// dead-letter move); otherwise a new id and now.
	ID     string
	SentAt time.Time
}

// Put is what a put gave the message.
type Put struct {
	ID  string
	Seq int64
	// Duplicate reports that the entry's DedupID was seen within the window:
	// nothing was added, and ID and Seq are the earlier message's.
	Duplicate bool
}

type dedup struct {
	ID    string `json:"id"`
	Seq   int64  `json:"seq"`
	Until int64  `json:"until"` // unix milliseconds
}

// Put adds e to the queue inside the caller's transaction tx.
func (q *Queue) Put(ctx context.Context, tx store.Tx, e Entry) (Put, error) {
	if e.Delay < 0 {
		return Put{}, fmt.Errorf("queue %s: put: negative delay %v", q.table, e.Delay)
	}
	now := q.now()
	var dk string
	if e.DedupID != "" {
		sum := sha256.Sum256([]byte(e.DedupID))
		dk = dedupPrefix + hex.EncodeToString(sum[:])
		v, err := tx.Get(ctx, q.table, dk)
		switch {
		case err == nil:
			var d dedup
			if err := json.Unmarshal(v, &d); err != nil {
				return Put{}, fmt.Errorf("queue %s: put: %s: %w", q.table, dk, err)
			}
			if d.Until > now.UnixMilli() {
				return Put{ID: d.ID, Seq: d.Seq, Duplicate: true}, nil
			}
		case !errors.Is(err, store.ErrNotFound):
			return Put{}, fmt.Errorf("queue %s: put: %w", q.table, err)
		}
	}
	rec := record{V: formatVersion, ID: e.ID, Body: e.Body, Sent: now.UnixMilli(), Meta: e.Meta, Group: e.Group}
	if rec.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return Put{}, fmt.Errorf("queue %s: put: %w", q.table, err)
		}
		rec.ID = id.String()
	}
	if !e.SentAt.IsZero() {
		rec.Sent = e.SentAt.UnixMilli()
	}
	if e.Group != "" {
		seq, err := q.counter(ctx, tx, seqKey, 1)
		if err != nil {
			return Put{}, fmt.Errorf("queue %s: put: %w", q.table, err)
		}
		rec.Seq = int64(seq)
	}
	if err := q.put(ctx, tx, now.Add(e.Delay).UnixMilli(), &rec); err != nil {
		return Put{}, fmt.Errorf("queue %s: put: %w", q.table, err)
	}
	if err := q.addCount(ctx, tx, 1); err != nil {
		return Put{}, fmt.Errorf("queue %s: put: %w", q.table, err)
	}
	if dk != "" {
		v, _ := json.Marshal(dedup{ID: rec.ID, Seq: rec.Seq, Until: now.Add(DedupWindow).UnixMilli()})
		if err := tx.Put(ctx, q.table, dk, v); err != nil {
			return Put{}, fmt.Errorf("queue %s: put: %w", q.table, err)
		}
	}
	return Put{ID: rec.ID, Seq: rec.Seq}, nil
}

// counter adds d to the integer at k and returns the new value.
func (q *Queue) counter(ctx context.Context, tx store.Tx, k string, d int) (int, error) {
	n := 0
	v, err := tx.Get(ctx, q.table, k)
	switch {
	case err == nil:
		if n, err = strconv.Atoi(string(v)); err != nil {
			return 0, fmt.Errorf("%s: %w", k, err)
		}
	case !errors.Is(err, store.ErrNotFound):
		return 0, err
	}
	n += d
	return n, tx.Put(ctx, q.table, k, []byte(strconv.Itoa(n)))
}

// ReceiveOptions says what ReceiveWith takes.
type ReceiveOptions struct {
	// Limit (> 0) bounds the messages received.
	Limit int
	// Visibility (>= 0) hides each message received for that long.
	Visibility time.Duration
	// Retention, when > 0, is how long a message is kept after it was
	// sent: an older message is deleted when a receive comes across it.
	Retention time.Duration
	// MaxReceives, when > 0, bounds the receives of a message: one already
	// received that many times is handed to Dead, inside the receive's
	// transaction, and when Dead reports it moved the message, it is
	// removed from the queue instead of being received.
	MaxReceives int
	Dead        func(ctx context.Context, tx store.Tx, m Message) (moved bool, err error)
	// FIFO receives the messages of each group in sequence order, and none
	// of a group while one of its messages is in flight.
	FIFO bool
}

// ReceiveWith takes messages as o says, in one transaction of its own. It
// returns no messages, and no error, when none can be received.
func (q *Queue) ReceiveWith(ctx context.Context, o ReceiveOptions) ([]Message, error) {
	if o.Limit <= 0 || o.Visibility < 0 || o.MaxReceives > 0 && o.Dead == nil {
		return nil, fmt.Errorf("queue %s: receive: invalid options %+v", q.table, o)
	}
	var msgs []Message
	_, err := q.st.Update(ctx, func(tx store.Tx) error {
		msgs = msgs[:0]
		now := q.now().UnixMilli()
		cands, err := q.candidates(ctx, tx, now, o)
		if err != nil {
			return err
		}
		until := now + o.Visibility.Milliseconds()
		for _, c := range cands {
			if len(msgs) == o.Limit {
				break
			}
			rec := c.rec
			switch {
			case o.Retention > 0 && rec.Sent+o.Retention.Milliseconds() <= now:
				if err := q.remove(ctx, tx, c.key); err != nil {
					return err
				}
				continue
			case o.MaxReceives > 0 && rec.Count >= o.MaxReceives:
				moved, err := o.Dead(ctx, tx, rec.message(c.at))
				if err != nil {
					return err
				}
				if !moved {
					break
				}
				if err := q.remove(ctx, tx, c.key); err != nil {
					return err
				}
				if o.FIFO {
					// The group's next message waits for the next receive,
					// so that its order after the moved one is kept.
					return nil
				}
				continue
			}
			rec.Count++
			rec.Lease, rec.Recv = newLease(), now
			if rec.First == 0 {
				rec.First = now
			}
			if err := tx.Delete(ctx, q.table, c.key); err != nil {
				return err
			}
			if err := q.put(ctx, tx, until, rec); err != nil {
				return err
			}
			msgs = append(msgs, rec.message(until))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.table, err)
	}
	return msgs, nil
}

type candidate struct {
	key string
	at  int64
	rec *record
}

// candidates returns the visible messages in the order a receive takes
// them: by visible-at time, or for FIFO, by group and sequence number, a
// group with a message in flight left out.
func (q *Queue) candidates(ctx context.Context, tx store.Tx, now int64, o ReceiveOptions) ([]candidate, error) {
	page := o.Limit + 16
	if o.FIFO {
		page = 0 // every message: a group's state is all of its messages
	}
	var out []candidate
	after := ""
	for {
		items, err := tx.List(ctx, q.table, messagePrefix, after, page)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			at, _, err := parseKey(it.Key)
			if err != nil {
				return nil, err
			}
			if at > now && !o.FIFO {
				return out, nil
			}
			rec := new(record)
			if err := decode(it.Value, rec); err != nil {
				return nil, fmt.Errorf("%s: %w", it.Key, err)
			}
			out = append(out, candidate{key: it.Key, at: at, rec: rec})
		}
		if !o.FIFO && len(out) >= o.Limit+16 || page == 0 || len(items) < page {
			break
		}
		after = items[len(items)-1].Key
	}
	if !o.FIFO {
		return out, nil
	}
	blocked := map[string]bool{}
	for _, c := range out {
		if c.at > now && c.rec.Count > 0 {
			blocked[c.rec.Group] = true
		}
	}
	slices.SortFunc(out, func(a, b candidate) int {
		switch {
		case a.rec.Seq < b.rec.Seq:
			return -1
		case a.rec.Seq > b.rec.Seq:
			return 1
		}
		return 0
	})
	// A group delivers its head and the visible messages right after it.
	stopped := map[string]bool{}
	var take []candidate
	for _, c := range out {
		g := c.rec.Group
		if blocked[g] || stopped[g] {
			continue
		}
		if c.at > now {
			stopped[g] = true
			continue
		}
		take = append(take, c)
	}
	// As many messages of one group as there are come first (SQS), the
	// groups in the order of their oldest messages.
	rank := map[string]int{}
	for _, c := range take {
		if _, ok := rank[c.rec.Group]; !ok {
			rank[c.rec.Group] = len(rank)
		}
	}
	slices.SortStableFunc(take, func(a, b candidate) int { return rank[a.rec.Group] - rank[b.rec.Group] })
	return take, nil
}

// message is the record as received, visible again at until.
func (rec *record) message(until int64) Message {
	m := Message{
		ID: rec.ID, Body: rec.Body, ReceiveCount: rec.Count, SentAt: time.UnixMilli(rec.Sent),
		Meta: rec.Meta, Group: rec.Group, Seq: rec.Seq, Lease: rec.Lease,
	}
	if rec.First != 0 {
		m.FirstReceivedAt = time.UnixMilli(rec.First)
	}
	if rec.Lease != "" {
		m.Receipt = receiptOf(key(until, rec.ID), rec.Lease)
	}
	return m
}

// remove deletes the message at k.
func (q *Queue) remove(ctx context.Context, tx store.Tx, k string) error {
	_, id, err := parseKey(k)
	if err != nil {
		return err
	}
	if err := tx.Delete(ctx, q.table, k); err != nil {
		return err
	}
	if err := tx.Delete(ctx, q.table, indexPrefix+id); err != nil {
		return err
	}
	return q.addCount(ctx, tx, -1)
}

// byLease returns the key and record of message id when lease is its
// current lease, and ErrReceiptStale otherwise.
func (q *Queue) byLease(ctx context.Context, tx store.Tx, id, lease string) (string, *record, error) {
	k, err := tx.Get(ctx, q.table, indexPrefix+id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, ErrReceiptStale
	}
	if err != nil {
		return "", nil, err
	}
	rec, err := q.leased(ctx, tx, string(k), lease)
	return string(k), rec, err
}

// DeleteLeased removes message id when lease is its current lease, and
// returns ErrReceiptStale otherwise.
func (q *Queue) DeleteLeased(ctx context.Context, id, lease string) error {
	_, err := q.st.Update(ctx, func(tx store.Tx) error {
		k, _, err := q.byLease(ctx, tx, id, lease)
		if err != nil {
			return err
		}
		return q.remove(ctx, tx, k)
	})
	if err != nil {
		return fmt.Errorf("queue %s: delete: %w", q.table, err)
	}
	return nil
}

// ErrVisibilityLimit is returned by SetVisibility for a visibility that
// would end later than its limit after the lease's receive. Nothing is
// changed.
var ErrVisibilityLimit = errors.New("queue: visibility beyond the lease's limit")

// SetVisibility makes message id, leased by lease, visible again d (>= 0)
// from now, keeping the lease (SQS's ChangeMessageVisibility). When limit
// is > 0, the message may be hidden no later than limit after the receive
// that made the lease (SQS's 12 hours), and a longer d returns
// ErrVisibilityLimit. It returns ErrReceiptStale when lease is not the
// message's current lease.
func (q *Queue) SetVisibility(ctx context.Context, id, lease string, d, limit time.Duration) error {
	if d < 0 {
		return fmt.Errorf("queue %s: set visibility: negative visibility %v", q.table, d)
	}
	_, err := q.st.Update(ctx, func(tx store.Tx) error {
		k, rec, err := q.byLease(ctx, tx, id, lease)
		if err != nil {
			return err
		}
		until := q.now().UnixMilli() + d.Milliseconds()
		if limit > 0 && rec.Recv > 0 && until > rec.Recv+limit.Milliseconds() {
			return ErrVisibilityLimit
		}
		if err := tx.Delete(ctx, q.table, k); err != nil {
			return err
		}
		return q.put(ctx, tx, until, rec)
	})
	if err != nil {
		return fmt.Errorf("queue %s: set visibility: %w", q.table, err)
	}
	return nil
}

// Stats counts a queue's messages by state.
type Stats struct {
	Visible  int // may be received now
	InFlight int // received, within their visibility timeout
	Delayed  int // sent with a delay that has not passed
}

// Stats counts the messages as r reads them; messages older than
// retention (when > 0) are left out.
func (q *Queue) Stats(ctx context.Context, r store.Reader, retention time.Duration) (Stats, error) {
	var s Stats
	now := q.now().UnixMilli()
	items, err := r.List(ctx, q.table, messagePrefix, "", 0)
	if err != nil {
		return s, fmt.Errorf("queue %s: stats: %w", q.table, err)
	}
	for _, it := range items {
		at, _, err := parseKey(it.Key)
		if err != nil {
			return s, fmt.Errorf("queue %s: stats: %w", q.table, err)
		}
		var rec record
		if err := decode(it.Value, &rec); err != nil {
			return s, fmt.Errorf("queue %s: stats: %s: %w", q.table, it.Key, err)
		}
		switch {
		case retention > 0 && rec.Sent+retention.Milliseconds() <= now:
		case at <= now:
			s.Visible++
		case rec.Count > 0:
			s.InFlight++
		default:
			s.Delayed++
		}
	}
	return s, nil
}

// Purge deletes every message inside tx; sequence numbers and
// deduplication ids are kept.
func (q *Queue) Purge(ctx context.Context, tx store.Tx) error {
	for _, prefix := range []string{messagePrefix, indexPrefix} {
		items, err := tx.List(ctx, q.table, prefix, "", 0)
		if err != nil {
			return fmt.Errorf("queue %s: purge: %w", q.table, err)
		}
		for _, it := range items {
			if err := tx.Delete(ctx, q.table, it.Key); err != nil {
				return fmt.Errorf("queue %s: purge: %w", q.table, err)
			}
		}
	}
	if err := tx.Delete(ctx, q.table, countKey); err != nil {
		return fmt.Errorf("queue %s: purge: %w", q.table, err)
	}
	return nil
}

// Drop deletes everything the queue holds inside tx.
func (q *Queue) Drop(ctx context.Context, tx store.Tx) error {
	items, err := tx.List(ctx, q.table, "", "", 0)
	if err != nil {
		return fmt.Errorf("queue %s: drop: %w", q.table, err)
	}
	for _, it := range items {
		if err := tx.Delete(ctx, q.table, it.Key); err != nil {
			return fmt.Errorf("queue %s: drop: %w", q.table, err)
		}
	}
	return nil
}

// Lease names one message's current receive.
type Lease struct {
	ID, Lease string
}

// DeleteLeasedBatch removes the messages of leases in one transaction and
// returns, for each, nil or ErrReceiptStale (that message stays).
func (q *Queue) DeleteLeasedBatch(ctx context.Context, leases []Lease) ([]error, error) {
	errs := make([]error, len(leases))
	_, err := q.st.Update(ctx, func(tx store.Tx) error {
		removed := 0
		for i, l := range leases {
			errs[i] = nil
			k, _, err := q.byLease(ctx, tx, l.ID, l.Lease)
			if errors.Is(err, ErrReceiptStale) {
				errs[i] = err
				continue
			}
			if err != nil {
				return err
			}
			if err := tx.Delete(ctx, q.table, k); err != nil {
				return err
			}
			if err := tx.Delete(ctx, q.table, indexPrefix+l.ID); err != nil {
				return err
			}
			removed++
		}
		if removed == 0 {
			return nil
		}
		return q.addCount(ctx, tx, -removed)
	})
	if err != nil {
		return nil, fmt.Errorf("queue %s: delete: %w", q.table, err)
	}
	return errs, nil
}

// Leased returns message id, as received, when lease is its current lease
// and it is still in flight; ErrReceiptStale otherwise.
func (q *Queue) Leased(ctx context.Context, r store.Reader, id, lease string) (Message, error) {
	k, err := r.Get(ctx, q.table, indexPrefix+id)
	if errors.Is(err, store.ErrNotFound) {
		return Message{}, ErrReceiptStale
	}
	if err != nil {
		return Message{}, fmt.Errorf("queue %s: leased: %w", q.table, err)
	}
	at, _, err := parseKey(string(k))
	if err != nil {
		return Message{}, fmt.Errorf("queue %s: leased: %w", q.table, err)
	}
	v, err := r.Get(ctx, q.table, string(k))
	if errors.Is(err, store.ErrNotFound) {
		return Message{}, ErrReceiptStale
	}
	if err != nil {
		return Message{}, fmt.Errorf("queue %s: leased: %w", q.table, err)
	}
	var rec record
	if err := decode(v, &rec); err != nil {
		return Message{}, fmt.Errorf("queue %s: leased: %s: %w", q.table, k, err)
	}
	if rec.Lease != lease || at <= q.now().UnixMilli() {
		return Message{}, ErrReceiptStale
	}
	return rec.message(at), nil
}
