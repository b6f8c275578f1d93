package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/seqlog"
)

// Time to Live: UpdateTimeToLive and DescribeTimeToLive, and the sweeper
// that deletes expired items as DynamoDB does: an item whose TTL attribute
// is a number of seconds since the epoch in the past (but not more than
// five years past) is deleted, its index entries with it, and its stream
// record names the service ({"type": "Service", "principalId":
// "dynamodb.amazonaws.com"}). Each deletion is a transaction that reads
// the item again, so nodes sweeping one database at once delete an item
// once, and an item rewritten with a later expiry is kept.

// ttlHorizon is how far in the past a TTL value may be and still expire
// its item.
const ttlHorizon = 5 * 365 * 24 * time.Hour

// ttlService is the identity of TTL deletions in stream records.
var ttlService = &UserIdentity{Type: "Service", PrincipalId: "dynamodb.amazonaws.com"}

// ttlInput is UpdateTimeToLive's input.
type ttlInput struct {
	TableName               string
	TimeToLiveSpecification *TTL
}

// updateTimeToLive is UpdateTimeToLive.
func (d *DynamoDB) updateTimeToLive(c *api.Call) (any, error) {
	var in ttlInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec == nil || spec.AttributeName == "" {
		return nil, validation("1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null")
	}
	var t *Table
	_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		if t, err = d.loadTable(c.Context, tx, c, in.TableName); err != nil {
			return err
		}
		enabled := t.TTL != nil && t.TTL.Enabled
		switch {
		case enabled && t.TTL.AttributeName != spec.AttributeName:
			return validation("TimeToLive is active on a different AttributeName: current AttributeName is %s", t.TTL.AttributeName)
		case spec.Enabled && enabled:
			return validation("TimeToLive is already enabled")
		case !spec.Enabled && !enabled:
			return validation("TimeToLive is already disabled")
		}
		t.TTL = &TTL{AttributeName: spec.AttributeName, Enabled: spec.Enabled}
		return store.PutJSON(c.Context, tx, tablesTable, tableKey(t.Account, t.Region, t.Name), t)
	})
	if err != nil {
		return nil, err
	}
	d.forgetTable(t)
	return map[string]any{"TimeToLiveSpecification": spec}, nil
}

// describeTimeToLive is DescribeTimeToLive.
func (d *DynamoDB) describeTimeToLive(c *api.Call) (any, error) {
	var in tableNameInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	t, err := d.loadTable(c.Context, d.cfg.Store, c, in.TableName)
	if err != nil {
		return nil, err
	}
	desc := map[string]any{"TimeToLiveStatus": "DISABLED"}
	if t.TTL != nil && t.TTL.Enabled {
		desc["AttributeName"] = t.TTL.AttributeName
		desc["TimeToLiveStatus"] = "ENABLED"
	}
	return map[string]any{"TimeToLiveDescription": desc}, nil
}

// Start runs the sweeper until ctx ends: every Config.TTLInterval it
// deletes expired items, finishes index backfills left undone and trims
// stream records past retention. Background work UpdateTable starts also
// ends with ctx.
func (d *DynamoDB) Start(ctx context.Context) {
	d.mu.Lock()
	d.life = ctx
	d.mu.Unlock()
	interval := d.cfg.TTLInterval
	if interval <= 0 {
		interval = time.Minute
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := d.sweep(ctx); err != nil && ctx.Err() == nil {
				d.log().Warn("dynamodb: sweep failed", "err", err)
			}
		}
	}()
}

// sweep is one pass of the sweeper over every table and stream.
func (d *DynamoDB) sweep(ctx context.Context) error {
	after := ""
	for {
		items, err := d.cfg.Store.List(ctx, tablesTable, "", after, 100)
		if err != nil {
			return err
		}
		for _, kv := range items {
			var t Table
			if err := json.Unmarshal(kv.Value, &t); err != nil {
				return fmt.Errorf("dynamodb: table %s: %w", kv.Key, err)
			}
			if t.TTL != nil && t.TTL.Enabled {
				if err := d.expire(ctx, &t); err != nil {
					return err
				}
			}
			for _, ix := range t.GSIs {
				if ix.Status == "CREATING" {
					if err := d.settleIndexes(ctx, &t); err != nil {
						return err
					}
					break
				}
			}
		}
		if len(items) < 100 {
			break
		}
		after = items[len(items)-1].Key
	}
	return d.trimStreams(ctx)
}

// expired reports whether it's TTL attribute name holds a time at or
// before now and not more than ttlHorizon before it.
func expired(it attr.Item, name string, now time.Time) bool {
	v, ok := it[name]
	if !ok || v.Type != attr.N || v.Num == nil {
		return false
	}
	f, err := v.Num.Float64()
	if err != nil {
		return false
	}
	sec := float64(now.Unix())
	return f <= sec && f >= sec-ttlHorizon.Seconds()
}

// expire deletes t's expired items.
func (d *DynamoDB) expire(ctx context.Context, t *Table) error {
	after := ""
	for {
		items, err := d.cfg.Store.List(ctx, itemsTable, t.ID+"/", after, 500)
		if err != nil {
			return err
		}
		for _, kv := range items {
			// Only the TTL attribute is decoded: the sweep reads every item.
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(kv.Value, &raw); err != nil {
				return fmt.Errorf("dynamodb: item %s: %w", kv.Key, err)
			}
			b, ok := raw[t.TTL.AttributeName]
			if !ok {
				continue
			}
			var v attr.Value
			if err := json.Unmarshal(b, &v); err != nil {
				return fmt.Errorf("dynamodb: item %s: %w", kv.Key, err)
			}
			if expired(attr.Item{t.TTL.AttributeName: v}, t.TTL.AttributeName, d.cfg.Now()) {
				if err := d.expireItem(ctx, t, kv.Key); err != nil {
					return err
				}
			}
		}
		if len(items) < 500 {
			return nil
		}
		after = items[len(items)-1].Key
	}
}

// expireItem deletes the item at key if it is still expired, in one
// transaction with its index entries and stream record.
func (d *DynamoDB) expireItem(ctx context.Context, t *Table, key string) error {
	_, err := d.cfg.Store.Update(ctx, func(tx store.Tx) error {
		var cur Table
		if err := store.GetJSON(ctx, tx, tablesTable, tableKey(t.Account, t.Region, t.Name), &cur); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		if cur.ID != t.ID || cur.TTL == nil || !cur.TTL.Enabled {
			return nil
		}
		var old attr.Item
		if err := store.GetJSON(ctx, tx, itemsTable, key, &old); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		if !expired(old, cur.TTL.AttributeName, d.cfg.Now()) {
			return nil
		}
		if err := tx.Delete(ctx, itemsTable, key); err != nil {
			return err
		}
		for _, ix := range cur.indexes() {
			if k, in := cur.IndexKey(ix, old); in {
				if err := tx.Delete(ctx, indexTable, k); err != nil {
					return err
				}
			}
		}
		return d.appendRecord(ctx, tx, &cur, old, nil, ttlService)
	})
	if err != nil {
		return fmt.Errorf("dynamodb: expire %s: %w", key, err)
	}
	return nil
}

// trimStreams trims the records of every stream older than its
// retention, and forgets closed streams past it.
func (d *DynamoDB) trimStreams(ctx context.Context) error {
	cutoff := d.cfg.Now().Add(-streamRetention)
	after := ""
	for {
		items, err := d.cfg.Store.List(ctx, streamsTable, "", after, 100)
		if err != nil {
			return err
		}
		for _, kv := range items {
			var s stream
			if err := json.Unmarshal(kv.Value, &s); err != nil {
				return fmt.Errorf("dynamodb: stream %s: %w", kv.Key, err)
			}
			if err := d.trimStream(ctx, kv.Key, &s, cutoff); err != nil {
				return err
			}
		}
		if len(items) < 100 {
			return nil
		}
		after = items[len(items)-1].Key
	}
}

// trimStream trims one stream's records created before cutoff; a stream
// closed before cutoff is deleted with its records.
func (d *DynamoDB) trimStream(ctx context.Context, key string, s *stream, cutoff time.Time) error {
	if s.Closed != nil && s.Closed.Before(cutoff) {
		_, err := d.cfg.Store.Update(ctx, func(tx store.Tx) error {
			info, err := seqlog.Stat(ctx, tx, s.log())
			if err != nil {
				return err
			}
			if err := seqlog.Trim(ctx, tx, s.log(), info.Last); err != nil {
				return err
			}
			return tx.Delete(ctx, streamsTable, key)
		})
		return err
	}
	info, err := seqlog.Stat(ctx, d.cfg.Store, s.log())
	if err != nil {
		return err
	}
	through := info.Trimmed
	for {
		recs, err := seqlog.Read(ctx, d.cfg.Store, s.log(), through, 100)
		if err != nil || len(recs) == 0 {
			break
		}
		old := 0
		for _, rec := range recs {
			var r Record
			if json.Unmarshal(rec.Value, &r) != nil || r.Dynamodb.ApproximateCreationDateTime >= float64(cutoff.Unix()) {
				break
			}
			old++
			through = rec.Position
		}
		if old < len(recs) {
			break
		}
	}
	if through == info.Trimmed {
		return nil
	}
	_, err = d.cfg.Store.Update(ctx, func(tx store.Tx) error { return seqlog.Trim(ctx, tx, s.log(), through) })
	return err
}
