package dynamodb

import (
	"slices"
	"sort"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/service/dynamodb/expr"
	"github.com/rolecall/rolecall/internal/store"
)

// Batch limits, from the BatchGetItem and BatchWriteItem API reference.
const (
	maxBatchGet      = 100
	maxBatchWrite    = 25
	maxBatchGetBytes = 16 << 20
)

// msgDuplicateKeys is DynamoDB's answer to a batch naming one item twice.
const msgDuplicateKeys = "Provided list of item keys contains duplicates"

// KeysAndAttributes are the keys a BatchGetItem reads from one table,
// with the projection of their items.
type KeysAndAttributes struct {
	Keys                     []attr.Item
	AttributesToGet          []string          `json:",omitempty"`
	ConsistentRead           bool              `json:",omitempty"`
	ProjectionExpression     string            `json:",omitempty"`
	ExpressionAttributeNames map[string]string `json:",omitempty"`
}

// BatchGetItemInput is BatchGetItem's request.
type BatchGetItemInput struct {
	RequestItems           map[string]KeysAndAttributes
	ReturnConsumedCapacity string `json:",omitempty"`
}

// BatchGetItemOutput is BatchGetItem's answer.
type BatchGetItemOutput struct {
	Responses        map[string][]attr.Item
	UnprocessedKeys  map[string]KeysAndAttributes
	ConsumedCapacity []ConsumedCapacity `json:",omitempty"`
}

// WriteRequest is one put or delete of a BatchWriteItem.
type WriteRequest struct {
	PutRequest    *PutRequest    `json:",omitempty"`
	DeleteRequest *DeleteRequest `json:",omitempty"`
}

// PutRequest is a batch put.
type PutRequest struct{ Item attr.Item }

// DeleteRequest is a batch delete.
type DeleteRequest struct{ Key attr.Item }

// BatchWriteItemInput is BatchWriteItem's request.
type BatchWriteItemInput struct {
	RequestItems                map[string][]WriteRequest
	ReturnConsumedCapacity      string `json:",omitempty"`
	ReturnItemCollectionMetrics string `json:",omitempty"`
}

// BatchWriteItemOutput is BatchWriteItem's answer.
type BatchWriteItemOutput struct {
	UnprocessedItems      map[string][]WriteRequest
	ConsumedCapacity      []ConsumedCapacity                 `json:",omitempty"`
	ItemCollectionMetrics map[string][]ItemCollectionMetrics `json:",omitempty"`
}

// sortedTables returns a batch's table names in order, so that tables are
// authorized and answered in a stable order.
func sortedTables[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// batchTables is what authorization reads of a batch request.
type batchTables struct {
	RequestItems map[string]any
}

// firstBatchTable is the resource of a batch: its first table by name;
// the handler authorizes the others.
func (d *DynamoDB) firstBatchTable(c *api.Call) (api.Resource, error) {
	var in batchTables
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	names := sortedTables(in.RequestItems)
	if len(names) == 0 {
		return api.Resource{}, validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
	}
	return d.tableResource(c, names[0])
}

// batchGetKeys are the condition keys of BatchGetItem on one table.
func batchGetKeys(t *Table, ka KeysAndAttributes, capacity string) accessKeys {
	k := accessKeys{action: "dynamodb:BatchGetItem", capacity: capacity}
	for _, key := range ka.Keys {
		g := getKeys("dynamodb:BatchGetItem", expr.BatchGetItem, t, key, ka.ProjectionExpression, ka.AttributesToGet, ka.ExpressionAttributeNames)
		k.leading = append(k.leading, g.leading...)
		k.attrs = append(k.attrs, g.attrs...)
		k.sel = g.sel
	}
	return k
}

// batchWriteKeys are the condition keys of BatchWriteItem on one table.
func batchWriteKeys(t *Table, reqs []WriteRequest, capacity string) accessKeys {
	k := accessKeys{action: "dynamodb:BatchWriteItem", capacity: capacity}
	for _, r := range reqs {
		var it attr.Item
		switch {
		case r.PutRequest != nil:
			it = r.PutRequest.Item
		case r.DeleteRequest != nil:
			it = r.DeleteRequest.Key
		}
		g := itemKeys("dynamodb:BatchWriteItem", t, it)
		k.leading = append(k.leading, g.leading...)
		k.attrs = append(k.attrs, g.attrs...)
	}
	return k
}

func (d *DynamoDB) batchGetConditions(c *api.Call, res api.Resource, keys api.Keys) {
	var in BatchGetItemInput
	if decode(c, &in) != nil || len(in.RequestItems) == 0 {
		return
	}
	name := sortedTables(in.RequestItems)[0]
	k := batchGetKeys(d.tableFor(c, name), in.RequestItems[name], in.ReturnConsumedCapacity)
	k.set(keys)
}

func (d *DynamoDB) batchWriteConditions(c *api.Call, res api.Resource, keys api.Keys) {
	var in BatchWriteItemInput
	if decode(c, &in) != nil || len(in.RequestItems) == 0 {
		return
	}
	name := sortedTables(in.RequestItems)[0]
	k := batchWriteKeys(d.tableFor(c, name), in.RequestItems[name], in.ReturnConsumedCapacity)
	k.set(keys)
}

// authorizeOthers authorizes action on every table of a batch but the
// first, which the gateway authorized: before any table is looked up, so
// that a table the caller may not use is AccessDeniedException whether it
// exists or not, as for the first.
func (d *DynamoDB) authorizeOthers(c *api.Call, action string, names []string, keysOf func(name string) accessKeys) error {
	for _, name := range names[1:] {
		res, err := d.tableResource(c, name)
		if err != nil {
			return err
		}
		k := keysOf(name)
		if err := c.Authorize(action, res, k.values()); err != nil {
			return err
		}
	}
	return nil
}

func (d *DynamoDB) batchGetItem(c *api.Call) (any, error) {
	var in BatchGetItemInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	names := sortedTables(in.RequestItems)
	c.Trail.RequestParameters = map[string]any{"requestItems": batchGetTrail(in.RequestItems)}
	if len(names) == 0 {
		return nil, validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
	}
	if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
		return nil, e
	}
	total := 0
	for _, n := range names {
		total += len(in.RequestItems[n].Keys)
	}
	if total > maxBatchGet {
		return nil, validation("Too many items requested for the BatchGetItem call")
	}
	if c.Authorize != nil {
		err := d.authorizeOthers(c, "dynamodb:BatchGetItem", names, func(n string) accessKeys {
			return batchGetKeys(d.tableFor(c, n), in.RequestItems[n], in.ReturnConsumedCapacity)
		})
		if err != nil {
			return nil, err
		}
	}
	tables := map[string]*Table{}
	for _, n := range names {
		t, err := d.itemTable(c, n)
		if err != nil {
			return nil, err
		}
		tables[n] = t
	}
	out := BatchGetItemOutput{Responses: map[string][]attr.Item{}, UnprocessedKeys: map[string]KeysAndAttributes{}}
	var us []*usage
	size, full := 0, false
	for _, n := range names {
		t, ka := tables[n], in.RequestItems[n]
		proj, err := parseProjection(expr.BatchGetItem, ka.ProjectionExpression, ka.AttributesToGet, ka.ExpressionAttributeNames)
		if err != nil {
			return nil, invalid(err)
		}
		seen := map[string]bool{}
		for _, key := range ka.Keys {
			if e := t.checkKey(key); e != nil {
				return nil, e
			}
			sk := t.itemKey(key)
			if seen[sk] {
				return nil, validation(msgDuplicateKeys)
			}
			seen[sk] = true
		}
		u := newUsage(in.ReturnConsumedCapacity, t)
		us = append(us, u)
		items := []attr.Item{}
		for i, key := range ka.Keys {
			var it attr.Item
			if !full {
				var err error
				if it, err = getItem(c.Context, d.cfg.Store, t.itemKey(key)); err != nil {
					return nil, err
				}
				full = size+it.Size() > maxBatchGetBytes
			}
			if full {
				// The answer holds at most 16 MB: the rest is unprocessed.
				rest := ka
				rest.Keys = slices.Clone(ka.Keys[i:])
				out.UnprocessedKeys[n] = rest
				break
			}
			u.read(t, nil, it.Size(), ka.ConsistentRead)
			if it != nil {
				size += it.Size()
				p := proj.Apply(it)
				if p == nil {
					p = attr.Item{} // an item projected to nothing is {}
				}
				items = append(items, p)
			}
		}
		out.Responses[n] = items
	}
	out.ConsumedCapacity = results(us)
	return rawOutput(out)
}

func (d *DynamoDB) batchWriteItem(c *api.Call) (any, error) {
	var in BatchWriteItemInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	names := sortedTables(in.RequestItems)
	c.Trail.RequestParameters = map[string]any{"requestItems": batchWriteTrail(in.RequestItems, nil)}
	if len(names) == 0 {
		return nil, validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
	}
	if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
		return nil, e
	}
	total := 0
	for _, n := range names {
		total += len(in.RequestItems[n])
	}
	if total > maxBatchWrite {
		return nil, validation("Too many items requested for the BatchWriteItem call")
	}
	if c.Authorize != nil {
		err := d.authorizeOthers(c, "dynamodb:BatchWriteItem", names, func(n string) accessKeys {
			return batchWriteKeys(d.tableFor(c, n), in.RequestItems[n], in.ReturnConsumedCapacity)
		})
		if err != nil {
			return nil, err
		}
	}
	return d.withTables(c, names, func(tables map[string]*Table) (any, error) {
		c.Trail.RequestParameters = map[string]any{"requestItems": batchWriteTrail(in.RequestItems, tables)}
		// Check every request before writing any.
		type write struct {
			t   *Table
			key string
			new attr.Item // nil: delete
		}
		var writes []write
		for _, n := range names {
			t := tables[n]
			seen := map[string]bool{}
			for _, r := range in.RequestItems[n] {
				var w write
				switch {
				case r.PutRequest != nil && r.DeleteRequest == nil:
					if e := t.checkItem(r.PutRequest.Item, msgItemSize); e != nil {
						return nil, e
					}
					w = write{t: t, key: t.itemKey(r.PutRequest.Item), new: r.PutRequest.Item}
				case r.DeleteRequest != nil && r.PutRequest == nil:
					if e := t.checkKey(r.DeleteRequest.Key); e != nil {
						return nil, e
					}
					w = write{t: t, key: t.itemKey(r.DeleteRequest.Key)}
				default:
					// DynamoDB words a WriteRequest that is not exactly one
					// request as it words an AttributeValue of no single type.
					return nil, validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
				}
				if seen[w.key] {
					return nil, validation(msgDuplicateKeys)
				}
				seen[w.key] = true
				writes = append(writes, w)
			}
		}
		var us []*usage
		_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
			us = us[:0]
			byTable := map[string]*usage{}
			for _, w := range writes {
				u, ok := byTable[w.t.Name]
				if !ok {
					u = newUsage(in.ReturnConsumedCapacity, w.t)
					byTable[w.t.Name] = u
					us = append(us, u)
				}
				old, err := getItem(c.Context, tx, w.key)
				if err != nil {
					return err
				}
				if err := d.commitItem(c.Context, tx, c, w.t, w.key, old, w.new, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out := BatchWriteItemOutput{UnprocessedItems: map[string][]WriteRequest{}, ConsumedCapacity: results(us)}
		if in.ReturnItemCollectionMetrics == "SIZE" {
			for _, w := range writes {
				it := w.new
				if it == nil {
					it = attr.Item{}
				}
				if m := itemMetrics(w.t, "SIZE", w.t.keyOf(it)); m != nil {
					if out.ItemCollectionMetrics == nil {
						out.ItemCollectionMetrics = map[string][]ItemCollectionMetrics{}
					}
					out.ItemCollectionMetrics[w.t.Name] = append(out.ItemCollectionMetrics[w.t.Name], *m)
				}
			}
		}
		return rawOutput(out)
	})
}

// batchGetTrail is BatchGetItem's requestItems as CloudTrail records
// them: each table's keys and projection.
func batchGetTrail(m map[string]KeysAndAttributes) map[string]any {
	out := map[string]any{}
	for n, ka := range m {
		e := map[string]any{"keys": ka.Keys}
		if ka.ProjectionExpression != "" {
			e["projectionExpression"] = ka.ProjectionExpression
		}
		if ka.ConsistentRead {
			e["consistentRead"] = true
		}
		out[n] = e
	}
	return out
}

// batchWriteTrail is BatchWriteItem's requestItems as CloudTrail records
// them: each request's key (of a table not known, the names of the put
// item's attributes), never the item.
func batchWriteTrail(m map[string][]WriteRequest, tables map[string]*Table) map[string]any {
	out := map[string]any{}
	for n, reqs := range m {
		var list []any
		for _, r := range reqs {
			switch {
			case r.PutRequest != nil:
				var key any = keyNames(r.PutRequest.Item)
				if t := tables[n]; t != nil {
					key = t.keyOf(r.PutRequest.Item)
				}
				list = append(list, map[string]any{"putRequest": map[string]any{"key": key}})
			case r.DeleteRequest != nil:
				list = append(list, map[string]any{"deleteRequest": map[string]any{"key": r.DeleteRequest.Key}})
			}
		}
		out[n] = list
	}
	return out
}

// keyNames are the attribute names of an item, without their values.
func keyNames(it attr.Item) []string {
	names := make([]string, 0, len(it))
	for n := range it {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
