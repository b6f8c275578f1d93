package dynamodb

import (
	"context"
	"fmt"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/service/dynamodb/expr"
	"github.com/rolecall/rolecall/internal/store"
)

// This file is what Query and Scan share: choosing what a read returns
// (Select, projections, indexes), and building a page of results within
// the request's Limit and DynamoDB's 1 MB page.

// maxPage is the data one Query or Scan page reads at most, 1 MB.
const maxPage = 1 << 20

// listBatch is how many store entries a read fetches at a time.
const listBatch = 256

// readPlan is a Query's or Scan's parsed request.
type readPlan struct {
	t  *Table
	ix *Index // nil: the table itself
	// sel is the effective Select.
	sel        string
	proj       *expr.Projection
	filter     *expr.Condition
	fetch      bool // a local index read that needs the table's items
	consistent bool
	limit      int
	// segment and total split a Scan (total 0: not split).
	segment, total int
}

// readInput are the members Query and Scan share.
type readInput struct {
	op                     string // "Query" or "Scan"
	indexName              string
	sel                    string
	projection             string
	toGet                  []string
	consistent             bool
	limit                  *int
	exclusiveStartKey      attr.Item
	returnConsumedCapacity string
}

// planRead checks a read's index, Select and projection against t, with
// DynamoDB's messages (Query's wrapped as model errors, Scan's bare).
func planRead(t *Table, in readInput, proj *expr.Projection) (*readPlan, error) {
	p := &readPlan{t: t, proj: proj, consistent: in.consistent}
	prefix := ""
	if in.op == "Query" {
		prefix = "1 validation error detected: "
	}
	if in.indexName != "" {
		if p.ix = t.Index(in.indexName); p.ix == nil {
			return nil, validation("The table does not have the specified index: %s", in.indexName)
		}
		if p.ix.Status == "CREATING" {
			return nil, validation("Cannot read from backfilling global secondary index: %s", p.ix.Name)
		}
		if in.consistent && t.isGlobal(p.ix) {
			return nil, validation("Consistent reads are not supported on global secondary indexes")
		}
	}
	projected := in.projection != "" || in.toGet != nil
	switch in.sel {
	case "":
		switch {
		case projected:
			p.sel = "SPECIFIC_ATTRIBUTES"
		case p.ix != nil:
			p.sel = "ALL_PROJECTED_ATTRIBUTES"
		default:
			p.sel = "ALL_ATTRIBUTES"
		}
	case "SPECIFIC_ATTRIBUTES":
		if !projected {
			return nil, validation("%sMust specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES", prefix)
		}
		p.sel = in.sel
	case "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT":
		what := in.sel
		if what == "COUNT" {
			what = "only the Count"
		}
		if in.projection != "" {
			return nil, validation("%sCannot specify the ProjectionExpression when choosing to get %s", prefix, what)
		}
		if in.toGet != nil {
			return nil, validation("%sCannot specify the AttributesToGet when choosing to get %s", prefix, what)
		}
		if in.sel == "ALL_PROJECTED_ATTRIBUTES" && p.ix == nil {
			return nil, validation("%sALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName", prefix)
		}
		p.sel = in.sel
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", in.sel)
	}
	if p.ix != nil && p.ix.Projection.ProjectionType != "ALL" {
		switch {
		case p.sel == "ALL_ATTRIBUTES" && t.isGlobal(p.ix):
			return nil, validation(attr.ParamsInvalid+"Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", p.ix.Name)
		case p.sel == "ALL_ATTRIBUTES":
			p.fetch = true
		case p.sel == "SPECIFIC_ATTRIBUTES" && !t.isGlobal(p.ix):
			for _, n := range projectionNames(proj) {
				if !t.projects(p.ix, n) {
					p.fetch = true
				}
			}
		}
	}
	if in.limit != nil {
		if *in.limit < 1 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.limit)
		}
		p.limit = *in.limit
	}
	return p, nil
}

// startKey checks an ExclusiveStartKey and returns the store key reading
// resumes after: the table's key attributes, and the index's for an index
// read.
func (p *readPlan) startKey(esk attr.Item) (string, error) {
	if esk == nil {
		return "", nil
	}
	bad := validation("The provided starting key is invalid: The provided key element does not match the schema")
	want := map[string]bool{}
	for _, k := range p.t.KeySchema {
		want[k.AttributeName] = true
	}
	if p.ix != nil {
		for _, k := range p.ix.KeySchema {
			want[k.AttributeName] = true
		}
	}
	if len(esk) != len(want) {
		return "", bad
	}
	for name := range want {
		v, ok := esk[name]
		if !ok || v.Type != p.t.attrType(name) {
			return "", bad
		}
	}
	if p.ix != nil {
		k, _ := p.t.IndexKey(p.ix, esk)
		return k, nil
	}
	return p.t.itemKey(esk), nil
}

// storeTable is the store table the read walks.
func (p *readPlan) storeTable() string {
	if p.ix != nil {
		return indexTable
	}
	return itemsTable
}

// lastKey is the LastEvaluatedKey of an entry: the table's key
// attributes and, for an index, the index's.
func (p *readPlan) lastKey(entry attr.Item) attr.Item {
	k := p.t.keyOf(entry)
	if p.ix != nil {
		for _, e := range p.ix.KeySchema {
			if v, ok := entry[e.AttributeName]; ok {
				k[e.AttributeName] = v
			}
		}
	}
	return k
}

// page is a Query's or Scan's answer.
type page struct {
	Items            *[]attr.Item      `json:",omitempty"`
	Count            int               `json:"Count"`
	ScannedCount     int               `json:"ScannedCount"`
	LastEvaluatedKey attr.Item         `json:",omitempty"`
	ConsumedCapacity *ConsumedCapacity `json:",omitempty"`

	items []attr.Item
	bytes int
}

// add evaluates one entry the read reached, and reports whether the page
// is full (Limit reached or 1 MB read).
func (p *readPlan) add(ctx context.Context, r store.Reader, pg *page, entry attr.Item) (bool, error) {
	it := entry
	if p.fetch {
		full, err := getItem(ctx, r, p.t.itemKey(entry))
		if err != nil {
			return false, err
		}
		if full != nil {
			it = full
		}
	}
	pg.ScannedCount++
	pg.bytes += it.Size()
	if p.filter == nil || p.filter.Eval(it) {
		pg.Count++
		if p.sel != "COUNT" {
			if p.sel == "SPECIFIC_ATTRIBUTES" {
				it = p.proj.Apply(it)
			}
			pg.items = append(pg.items, it)
		}
	}
	if (p.limit > 0 && pg.ScannedCount >= p.limit) || pg.bytes >= maxPage {
		pg.LastEvaluatedKey = p.lastKey(entry)
		return true, nil
	}
	return false, nil
}

// finish fills in the page's items and capacity.
func (p *readPlan) finish(pg *page, mode string) {
	if p.sel != "COUNT" {
		items := pg.items
		if items == nil {
			items = []attr.Item{}
		}
		pg.Items = &items
	}
	u := newUsage(mode, p.t)
	u.read(p.t, p.ix, pg.bytes, p.consistent)
	pg.ConsumedCapacity = u.result()
}

// decodeEntries decodes a batch of store entries.
func decodeEntries(items []store.Item) ([]attr.Item, error) {
	out := make([]attr.Item, len(items))
	for i, e := range items {
		it, err := decodeItem(e.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Key, err)
		}
		out[i] = it
	}
	return out, nil
}

// readTrail are a Query's or Scan's requestParameters.
func readTrail(c *api.Call, table, index string, in readInput, keyCond, filter string, names map[string]string) {
	m := trailParams(table, nil, "", "", in.projection, names, "")
	if index != "" {
		m["indexName"] = index
	}
	if keyCond != "" {
		m["keyConditionExpression"] = keyCond
	}
	if filter != "" {
		m["filterExpression"] = filter
	}
	if in.sel != "" {
		m["select"] = in.sel
	}
	if in.limit != nil {
		m["limit"] = *in.limit
	}
	if in.consistent {
		m["consistentRead"] = true
	}
	c.Trail.RequestParameters = m
}
