package dynamodb

import (
	"hash/fnv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/service/dynamodb/expr"
)

// ScanInput is Scan's request.
type ScanInput struct {
	TableName                 string
	IndexName                 string                          `json:",omitempty"`
	AttributesToGet           []string                        `json:",omitempty"`
	Limit                     *int                            `json:",omitempty"`
	Select                    string                          `json:",omitempty"`
	ScanFilter                map[string]expr.LegacyCondition `json:",omitempty"`
	ConditionalOperator       string                          `json:",omitempty"`
	ExclusiveStartKey         attr.Item                       `json:",omitempty"`
	ReturnConsumedCapacity    string                          `json:",omitempty"`
	TotalSegments             *int                            `json:",omitempty"`
	Segment                   *int                            `json:",omitempty"`
	ProjectionExpression      string                          `json:",omitempty"`
	FilterExpression          string                          `json:",omitempty"`
	ExpressionAttributeNames  map[string]string               `json:",omitempty"`
	ExpressionAttributeValues expr.Values                     `json:",omitempty"`
	ConsistentRead            bool                            `json:",omitempty"`
}

func (in *ScanInput) read() readInput {
	return readInput{op: "Scan", indexName: in.IndexName, sel: in.Select, projection: in.ProjectionExpression,
		toGet: in.AttributesToGet, consistent: in.ConsistentRead, limit: in.Limit,
		exclusiveStartKey: in.ExclusiveStartKey, returnConsumedCapacity: in.ReturnConsumedCapacity}
}

// parseScan parses a Scan's filter and projection.
func parseScan(in *ScanInput) (filter *expr.Condition, proj *expr.Projection, err error) {
	present := map[string]bool{
		"AttributesToGet": in.AttributesToGet != nil, "ScanFilter": in.ScanFilter != nil, "ConditionalOperator": in.ConditionalOperator != "",
		"ProjectionExpression": in.ProjectionExpression != "", "FilterExpression": in.FilterExpression != "",
		"ExpressionAttributeNames": in.ExpressionAttributeNames != nil, "ExpressionAttributeValues": in.ExpressionAttributeValues != nil,
	}
	if err := expr.CheckParams(expr.Scan, func(p string) bool { return present[p] }); err != nil {
		return nil, nil, err
	}
	if in.ScanFilter != nil || in.ConditionalOperator != "" {
		if filter, err = expr.FromFilter(in.ScanFilter, in.ConditionalOperator); err != nil {
			return nil, nil, err
		}
	}
	if in.AttributesToGet != nil {
		if proj, err = expr.FromAttributesToGet(in.AttributesToGet); err != nil {
			return nil, nil, err
		}
	}
	if in.FilterExpression == "" && in.ProjectionExpression == "" && in.ExpressionAttributeNames == nil && in.ExpressionAttributeValues == nil {
		return filter, proj, nil
	}
	tr, err := expr.NewTracker(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, nil, err
	}
	if in.FilterExpression != "" {
		if filter, err = expr.ParseCondition("FilterExpression", in.FilterExpression, tr); err != nil {
			return nil, nil, err
		}
	}
	if in.ProjectionExpression != "" {
		if proj, err = expr.ParseProjection(in.ProjectionExpression, tr); err != nil {
			return nil, nil, err
		}
	}
	if err := tr.Unused(); err != nil {
		return nil, nil, err
	}
	return filter, proj, nil
}

// checkSegments checks a parallel scan's Segment and TotalSegments.
func checkSegments(in *ScanInput) *api.Error {
	switch {
	case in.Segment == nil && in.TotalSegments == nil:
		return nil
	case in.Segment == nil:
		return validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
	case in.TotalSegments == nil:
		return validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	case *in.TotalSegments < 1 || *in.TotalSegments > 1000000:
		return validation("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value between 1 and 1000000", *in.TotalSegments)
	case *in.Segment < 0:
		return validation("1 validation error detected: Value '%d' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.Segment)
	case *in.Segment >= *in.TotalSegments:
		return validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *in.Segment, *in.TotalSegments)
	}
	return nil
}

// segmentOf is the segment of total an item belongs to: a stable hash
// (FNV-1a) of its partition key's encoding, so that every item of one
// partition is in one segment.
func segmentOf(pk attr.Value, total int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(attr.EncodeKey(pk)))
	return int(h.Sum64() % uint64(total))
}

func (d *DynamoDB) scan(c *api.Call) (any, error) {
	var in ScanInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	readTrail(c, in.TableName, in.IndexName, in.read(), "", in.FilterExpression, in.ExpressionAttributeNames)
	if in.Segment != nil {
		c.Trail.RequestParameters["segment"] = *in.Segment
	}
	if in.TotalSegments != nil {
		c.Trail.RequestParameters["totalSegments"] = *in.TotalSegments
	}
	t, err := d.itemTable(c, in.TableName)
	if err != nil {
		return nil, err
	}
	if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
		return nil, e
	}
	if e := checkSegments(&in); e != nil {
		return nil, e
	}
	filter, proj, err := parseScan(&in)
	if err != nil {
		return nil, invalid(err)
	}
	p, err := planRead(t, in.read(), proj)
	if err != nil {
		return nil, invalid(err)
	}
	p.filter = filter
	if err := t.checkKeyPaths(condPaths(filter), projPaths(proj)); err != nil {
		return nil, invalid(err)
	}
	after, err := p.startKey(in.ExclusiveStartKey)
	if err != nil {
		return nil, err
	}
	hash, _ := keyAttrs(t, p.ix)
	if in.Segment != nil {
		p.segment, p.total = *in.Segment, *in.TotalSegments
		if in.ExclusiveStartKey != nil && segmentOf(in.ExclusiveStartKey[hash.Name], p.total) != p.segment {
			return nil, validation("The provided Exclusive start key does not map to the provided Segment and TotalSegments values.")
		}
	}
	prefix := t.ID + "/"
	if p.ix != nil {
		prefix = t.ID + "/" + p.ix.Name + "/"
	}
	pg := &page{}
	ctx, r := c.Context, d.cfg.Store
	cursor := after
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
			if p.total > 0 && segmentOf(e[hash.Name], p.total) != p.segment {
				continue
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
	p.finish(pg, in.ReturnConsumedCapacity)
	return rawOutput(pg)
}

func (d *DynamoDB) scanConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in ScanInput
	if decode(c, &in) != nil {
		return
	}
	k := accessKeys{action: "dynamodb:Scan", capacity: in.ReturnConsumedCapacity}
	if t := d.tableFor(c, in.TableName); t != nil {
		if filter, proj, err := parseScan(&in); err == nil {
			if p, err := planRead(t, in.read(), proj); err == nil {
				k.sel = p.sel
			}
			k.names(projectionNames(proj))
			if filter != nil {
				k.names(filter.TopLevel())
			}
		}
	}
	k.set(keys)
}
