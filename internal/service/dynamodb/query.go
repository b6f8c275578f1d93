package dynamodb

import (
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/service/dynamodb/expr"
)

// QueryInput is Query's request.
type QueryInput struct {
	TableName                 string
	IndexName                 string                          `json:",omitempty"`
	Select                    string                          `json:",omitempty"`
	AttributesToGet           []string                        `json:",omitempty"`
	Limit                     *int                            `json:",omitempty"`
	ConsistentRead            bool                            `json:",omitempty"`
	KeyConditions             map[string]expr.LegacyCondition `json:",omitempty"`
	QueryFilter               map[string]expr.LegacyCondition `json:",omitempty"`
	ConditionalOperator       string                          `json:",omitempty"`
	ScanIndexForward          *bool                           `json:",omitempty"`
	ExclusiveStartKey         attr.Item                       `json:",omitempty"`
	ReturnConsumedCapacity    string                          `json:",omitempty"`
	ProjectionExpression      string                          `json:",omitempty"`
	FilterExpression          string                          `json:",omitempty"`
	KeyConditionExpression    string                          `json:",omitempty"`
	ExpressionAttributeNames  map[string]string               `json:",omitempty"`
	ExpressionAttributeValues expr.Values                     `json:",omitempty"`
}

func (in *QueryInput) read() readInput {
	return readInput{op: "Query", indexName: in.IndexName, sel: in.Select, projection: in.ProjectionExpression,
		toGet: in.AttributesToGet, consistent: in.ConsistentRead, limit: in.Limit,
		exclusiveStartKey: in.ExclusiveStartKey, returnConsumedCapacity: in.ReturnConsumedCapacity}
}

// queryExprs are a Query's parsed expressions.
type queryExprs struct {
	key    *expr.KeyCondition
	filter *expr.Condition
	proj   *expr.Projection
}

// keyAttrs are the partition and sort key of the table or index a read
// walks.
func keyAttrs(t *Table, ix *Index) (hash, rng expr.KeyAttr) {
	schema := t.KeySchema
	if ix != nil {
		schema = ix.KeySchema
	}
	for _, k := range schema {
		a := expr.KeyAttr{Name: k.AttributeName, Type: t.attrType(k.AttributeName)}
		if k.KeyType == "HASH" {
			hash = a
		} else {
			rng = a
		}
	}
	return hash, rng
}

// parseQuery parses a Query's key condition, filter and projection.
func parseQuery(t *Table, in *QueryInput) (*queryExprs, error) {
	var ix *Index
	if in.IndexName != "" {
		if ix = t.Index(in.IndexName); ix == nil {
			return nil, validation("The table does not have the specified index: %s", in.IndexName)
		}
	}
	hash, rng := keyAttrs(t, ix)
	present := map[string]bool{
		"AttributesToGet": in.AttributesToGet != nil, "KeyConditions": in.KeyConditions != nil,
		"QueryFilter": in.QueryFilter != nil, "ConditionalOperator": in.ConditionalOperator != "",
		"ProjectionExpression": in.ProjectionExpression != "", "FilterExpression": in.FilterExpression != "",
		"KeyConditionExpression":   in.KeyConditionExpression != "",
		"ExpressionAttributeNames": in.ExpressionAttributeNames != nil, "ExpressionAttributeValues": in.ExpressionAttributeValues != nil,
	}
	if err := expr.CheckParams(expr.Query, func(p string) bool { return present[p] }); err != nil {
		return nil, err
	}
	q := &queryExprs{}
	var err error
	if in.KeyConditions == nil && in.KeyConditionExpression == "" {
		return nil, validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	if in.KeyConditions != nil {
		if q.key, err = expr.FromKeyConditions(in.KeyConditions, hash, rng); err != nil {
			return nil, err
		}
	}
	if in.QueryFilter != nil || in.ConditionalOperator != "" {
		if q.filter, err = expr.FromFilter(in.QueryFilter, in.ConditionalOperator); err != nil {
			return nil, err
		}
	}
	if in.AttributesToGet != nil {
		if q.proj, err = expr.FromAttributesToGet(in.AttributesToGet); err != nil {
			return nil, err
		}
	}
	if in.KeyConditionExpression == "" && in.FilterExpression == "" && in.ProjectionExpression == "" &&
		in.ExpressionAttributeNames == nil && in.ExpressionAttributeValues == nil {
		return q, nil
	}
	tr, err := expr.NewTracker(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if in.KeyConditionExpression != "" {
		if q.key, err = expr.ParseKeyCondition(in.KeyConditionExpression, tr, hash, rng); err != nil {
			return nil, err
		}
	}
	if in.FilterExpression != "" {
		if q.filter, err = expr.ParseCondition("FilterExpression", in.FilterExpression, tr); err != nil {
			return nil, err
		}
		for _, n := range q.filter.TopLevel() {
			if n == hash.Name || n == rng.Name {
				return nil, validation("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", n)
			}
		}
	}
	if in.ProjectionExpression != "" {
		if q.proj, err = expr.ParseProjection(in.ProjectionExpression, tr); err != nil {
			return nil, err
		}
	}
	if err := tr.Unused(); err != nil {
		return nil, err
	}
	return q, nil
}

func (d *DynamoDB) query(c *api.Call) (any, error) {
	var in QueryInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	readTrail(c, in.TableName, in.IndexName, in.read(), in.KeyConditionExpression, in.FilterExpression, in.ExpressionAttributeNames)
	if in.ScanIndexForward != nil {
		c.Trail.RequestParameters["scanIndexForward"] = *in.ScanIndexForward
	}
	t, err := d.itemTable(c, in.TableName)
	if err != nil {
		return nil, err
	}
	if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
		return nil, e
	}
	q, err := parseQuery(t, &in)
	if err != nil {
		return nil, invalid(err)
	}
	p, err := planRead(t, in.read(), q.proj)
	if err != nil {
		return nil, invalid(err)
	}
	p.filter = q.filter
	if err := t.checkKeyPaths(condPaths(q.filter), projPaths(q.proj)); err != nil {
		return nil, invalid(err)
	}
	after, err := p.startKey(in.ExclusiveStartKey)
	if err != nil {
		return nil, err
	}
	hash, rng := keyAttrs(t, p.ix)
	if esk := in.ExclusiveStartKey; esk != nil {
		sameHash := attr.Equal(esk[hash.Name], q.key.Hash)
		switch {
		case q.key.Range == nil && !sameHash:
			return nil, validation("The provided starting key is outside query boundaries based on provided conditions")
		case q.key.Range != nil && !q.key.Range.Match(esk[rng.Name]):
			return nil, validation("The provided starting key does not match the range key predicate")
		case q.key.Range != nil && !sameHash:
			return nil, validation("The query can return at most one row and cannot be restarted")
		}
	}
	prefix := t.PartitionPrefix(q.key.Hash)
	if p.ix != nil {
		prefix = t.IndexPartitionPrefix(p.ix, q.key.Hash)
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	// The walk starts at the sort key condition's lower bound, if any.
	lower := ""
	if r := q.key.Range; r != nil && r.Op != expr.LT && r.Op != expr.LE {
		lower = before(prefix + attr.EncodeKey(r.Values[0]))
	}
	// inRange tells an entry's place against the sort key condition: -1
	// before the range, 0 in it, 1 past it. The conditions select a
	// contiguous run of sort keys, so the walk stops at the first entry
	// past it.
	matched := false
	inRange := func(it attr.Item) int {
		if q.key.Range == nil {
			return 0
		}
		if q.key.Range.Match(it[rng.Name]) {
			matched = true
			return 0
		}
		if matched {
			return 1
		}
		return -1
	}
	pg := &page{}
	ctx := c.Context
	r := d.cfg.Store
	if forward {
		cursor := max(after, lower)
	walk:
		for {
			batch, err := r.List(ctx, p.storeTable(), prefix, cursor, listBatch)
			if err != nil {
				return nil, err
			}
			entries, err := decodeEntries(batch)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				switch inRange(e) {
				case -1:
					continue
				case 1:
					break walk
				}
				full, err := p.add(ctx, r, pg, e)
				if err != nil {
					return nil, err
				}
				if full {
					break walk
				}
			}
			if len(batch) < listBatch {
				break
			}
			cursor = batch[len(batch)-1].Key
		}
	} else {
		// The store lists in ascending order only: collect the range (up
		// to the start key), then walk it backwards.
		var run []attr.Item
		cursor := lower
	collect:
		for {
			batch, err := r.List(ctx, p.storeTable(), prefix, cursor, listBatch)
			if err != nil {
				return nil, err
			}
			entries, err := decodeEntries(batch)
			if err != nil {
				return nil, err
			}
			for i, e := range entries {
				if after != "" && batch[i].Key >= after {
					break collect
				}
				switch inRange(e) {
				case -1:
					continue
				case 1:
					break collect
				}
				run = append(run, e)
			}
			if len(batch) < listBatch {
				break
			}
			cursor = batch[len(batch)-1].Key
		}
		for i := len(run) - 1; i >= 0; i-- {
			full, err := p.add(ctx, r, pg, run[i])
			if err != nil {
				return nil, err
			}
			if full {
				break
			}
		}
	}
	p.finish(pg, in.ReturnConsumedCapacity)
	return rawOutput(pg)
}

// queryConditions are the condition keys of a Query.
func (d *DynamoDB) queryConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in QueryInput
	if decode(c, &in) != nil {
		return
	}
	k := accessKeys{action: "dynamodb:Query", capacity: in.ReturnConsumedCapacity}
	t := d.tableFor(c, in.TableName)
	if t == nil {
		k.set(keys)
		return
	}
	q, err := parseQuery(t, &in)
	if err == nil {
		if p, err := planRead(t, in.read(), q.proj); err == nil {
			k.sel = p.sel
			// A Query reads one partition of the table or index it names:
			// dynamodb:LeadingKeys is that partition's key value, the
			// index's own on a global secondary index, so that a policy
			// limiting the partitions a principal reads is never left
			// without a value to test.
			hash, rng := keyAttrs(t, p.ix)
			k.leading = []string{keyText(q.key.Hash)}
			k.names([]string{hash.Name}, projectionNames(q.proj))
			if rng.Name != "" && q.key.Range != nil {
				k.names([]string{rng.Name})
			}
			if q.filter != nil {
				k.names(q.filter.TopLevel())
			}
		}
	}
	k.set(keys)
}

// before returns a key that sorts just before s and after every key below
// it (store keys are ASCII), so that a List after it starts at s.
func before(s string) string {
	if s == "" {
		return ""
	}
	return s[:len(s)-1] + string(s[len(s)-1]-1) + "\xff"
}
