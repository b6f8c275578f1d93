package dynamodb

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/service/dynamodb/expr"
	"github.com/rolecall/rolecall/internal/store"
)

// itemOperations are the data-plane operations: items, queries, scans,
// batches and transactions. They are CloudTrail data events.
func (d *DynamoDB) itemOperations() []*api.Operation {
	return []*api.Operation{
		{Name: "PutItem", Action: "dynamodb:PutItem", Category: api.Data, Resource: d.namedTable, Conditions: d.putConditions, Handle: d.putItem},
		{Name: "GetItem", Action: "dynamodb:GetItem", Category: api.Data, ReadOnly: true, Resource: d.namedTable, Conditions: d.getConditions, Handle: d.getItem},
		{Name: "DeleteItem", Action: "dynamodb:DeleteItem", Category: api.Data, Resource: d.namedTable, Conditions: d.deleteConditions, Handle: d.deleteItem},
		{Name: "UpdateItem", Action: "dynamodb:UpdateItem", Category: api.Data, Resource: d.namedTable, Conditions: d.updateConditions, Handle: d.updateItem},
		{Name: "Query", Action: "dynamodb:Query", Category: api.Data, ReadOnly: true, Resource: d.namedTableOrIndex, Conditions: d.queryConditions, Handle: d.query},
		{Name: "Scan", Action: "dynamodb:Scan", Category: api.Data, ReadOnly: true, Resource: d.namedTableOrIndex, Conditions: d.scanConditions, Handle: d.scan},
		{Name: "BatchGetItem", Action: "dynamodb:BatchGetItem", Category: api.Data, ReadOnly: true, Resource: d.firstBatchTable, Conditions: d.batchGetConditions, Handle: d.batchGetItem},
		{Name: "BatchWriteItem", Action: "dynamodb:BatchWriteItem", Category: api.Data, Resource: d.firstBatchTable, Conditions: d.batchWriteConditions, Handle: d.batchWriteItem},
		{Name: "TransactWriteItems", Action: "", Category: api.Data, Handle: d.transactWriteItems},
		{Name: "TransactGetItems", Action: "", Category: api.Data, ReadOnly: true, Handle: d.transactGetItems},
	}
}

// tableNamed is the part of every single-table input authorization reads.
type tableNamed struct {
	TableName string
	IndexName string
}

// namedTable is the table resource of an operation on one table.
func (d *DynamoDB) namedTable(c *api.Call) (api.Resource, error) {
	var in tableNamed
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	return d.tableResource(c, in.TableName)
}

// namedTableOrIndex is the resource of a Query or Scan: the index when
// the request names one, else the table.
func (d *DynamoDB) namedTableOrIndex(c *api.Call) (api.Resource, error) {
	var in tableNamed
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	if in.IndexName != "" {
		return d.indexResource(c, in.TableName, in.IndexName)
	}
	return d.tableResource(c, in.TableName)
}

// PutItemInput is PutItem's request.
type PutItemInput struct {
	TableName                           string
	Item                                attr.Item
	ConditionExpression                 string                                 `json:",omitempty"`
	Expected                            map[string]expr.ExpectedAttributeValue `json:",omitempty"`
	ConditionalOperator                 string                                 `json:",omitempty"`
	ExpressionAttributeNames            map[string]string                      `json:",omitempty"`
	ExpressionAttributeValues           expr.Values                            `json:",omitempty"`
	ReturnValues                        string                                 `json:",omitempty"`
	ReturnConsumedCapacity              string                                 `json:",omitempty"`
	ReturnItemCollectionMetrics         string                                 `json:",omitempty"`
	ReturnValuesOnConditionCheckFailure string                                 `json:",omitempty"`
}

// DeleteItemInput is DeleteItem's request.
type DeleteItemInput struct {
	TableName                           string
	Key                                 attr.Item
	ConditionExpression                 string                                 `json:",omitempty"`
	Expected                            map[string]expr.ExpectedAttributeValue `json:",omitempty"`
	ConditionalOperator                 string                                 `json:",omitempty"`
	ExpressionAttributeNames            map[string]string                      `json:",omitempty"`
	ExpressionAttributeValues           expr.Values                            `json:",omitempty"`
	ReturnValues                        string                                 `json:",omitempty"`
	ReturnConsumedCapacity              string                                 `json:",omitempty"`
	ReturnItemCollectionMetrics         string                                 `json:",omitempty"`
	ReturnValuesOnConditionCheckFailure string                                 `json:",omitempty"`
}

// UpdateItemInput is UpdateItem's request.
type UpdateItemInput struct {
	TableName                           string
	Key                                 attr.Item
	UpdateExpression                    string                                 `json:",omitempty"`
	AttributeUpdates                    map[string]expr.AttributeValueUpdate   `json:",omitempty"`
	ConditionExpression                 string                                 `json:",omitempty"`
	Expected                            map[string]expr.ExpectedAttributeValue `json:",omitempty"`
	ConditionalOperator                 string                                 `json:",omitempty"`
	ExpressionAttributeNames            map[string]string                      `json:",omitempty"`
	ExpressionAttributeValues           expr.Values                            `json:",omitempty"`
	ReturnValues                        string                                 `json:",omitempty"`
	ReturnConsumedCapacity              string                                 `json:",omitempty"`
	ReturnItemCollectionMetrics         string                                 `json:",omitempty"`
	ReturnValuesOnConditionCheckFailure string                                 `json:",omitempty"`
}

// GetItemInput is GetItem's request.
type GetItemInput struct {
	TableName                string
	Key                      attr.Item
	ConsistentRead           bool              `json:",omitempty"`
	ProjectionExpression     string            `json:",omitempty"`
	AttributesToGet          []string          `json:",omitempty"`
	ExpressionAttributeNames map[string]string `json:",omitempty"`
	ReturnConsumedCapacity   string            `json:",omitempty"`
}

// WriteOutput is the answer of PutItem, UpdateItem and DeleteItem.
type WriteOutput struct {
	Attributes            attr.Item              `json:",omitempty"`
	ConsumedCapacity      *ConsumedCapacity      `json:",omitempty"`
	ItemCollectionMetrics *ItemCollectionMetrics `json:",omitempty"`
}

// GetItemOutput is GetItem's answer.
type GetItemOutput struct {
	// Item is nil when there is no item, and empty when the item's
	// attributes are all projected away.
	Item             *attr.Item        `json:",omitempty"`
	ConsumedCapacity *ConsumedCapacity `json:",omitempty"`
}

// ItemCollectionMetrics is the item collection of a write on a table with
// local secondary indexes (ReturnItemCollectionMetrics SIZE): its
// partition key and the estimated range of its size, in GB.
type ItemCollectionMetrics struct {
	ItemCollectionKey   attr.Item
	SizeEstimateRangeGB []float64
}

// writeExprs are a write's parsed condition (ConditionExpression, or the
// legacy Expected with ConditionalOperator) and update (UpdateExpression
// or AttributeUpdates); nil members mean none.
type writeExprs struct {
	cond   *expr.Condition
	update *expr.Update
}

// parseWriteExprs parses a write's condition (and update) with the
// request's expression attribute names and values, with DynamoDB's
// checks of the expression and non-expression parameters. op is the
// operation whose parameters they are.
func parseWriteExprs(op expr.Op, cond string, expected map[string]expr.ExpectedAttributeValue, condOp string, update string, updates map[string]expr.AttributeValueUpdate, names map[string]string, values map[string]attr.Value) (*writeExprs, error) {
	present := map[string]bool{
		"Expected": expected != nil, "ConditionalOperator": condOp != "", "AttributeUpdates": updates != nil,
		"ConditionExpression": cond != "", "UpdateExpression": update != "",
		"ExpressionAttributeNames": names != nil, "ExpressionAttributeValues": values != nil,
	}
	if err := expr.CheckParams(op, func(p string) bool { return present[p] }); err != nil {
		return nil, err
	}
	w := &writeExprs{}
	var err error
	if expected != nil || condOp != "" {
		if w.cond, err = expr.FromExpected(expected, condOp); err != nil {
			return nil, err
		}
	}
	if updates != nil {
		if w.update, err = expr.FromAttributeUpdates(updates); err != nil {
			return nil, err
		}
	}
	if cond == "" && update == "" && names == nil && values == nil {
		return w, nil
	}
	tr, err := expr.NewTracker(names, values)
	if err != nil {
		return nil, err
	}
	if update != "" {
		if w.update, err = expr.ParseUpdate(update, tr); err != nil {
			return nil, err
		}
	}
	if cond != "" {
		if w.cond, err = expr.ParseCondition("ConditionExpression", cond, tr); err != nil {
			return nil, err
		}
	}
	if err := tr.Unused(); err != nil {
		return nil, err
	}
	return w, nil
}

// invalid turns an expression or attribute error into DynamoDB's
// ValidationException; other errors pass through.
func invalid(err error) error {
	if ae, ok := err.(*attr.Error); ok {
		return validation("%s", ae.Message)
	}
	return err
}

// Return values each write accepts.
var returnValuesAllowed = map[string]map[string]bool{
	"PutItem":    {"": true, "NONE": true, "ALL_OLD": true},
	"DeleteItem": {"": true, "NONE": true, "ALL_OLD": true},
	"UpdateItem": {"": true, "NONE": true, "ALL_OLD": true, "UPDATED_OLD": true, "ALL_NEW": true, "UPDATED_NEW": true},
}

// checkReturnValues refuses a ReturnValues the operation does not take.
func checkReturnValues(op, rv string) *api.Error {
	if !returnValuesAllowed[op][rv] {
		return validation("Return values set to invalid value")
	}
	return nil
}

// conditionFailed is ConditionalCheckFailedException, with the item as it
// is when ReturnValuesOnConditionCheckFailure is ALL_OLD.
func conditionFailed(old attr.Item, onFailure string) *api.Error {
	e := api.Errorf(400, "ConditionalCheckFailedException", "The conditional request failed")
	if onFailure == "ALL_OLD" && old != nil {
		e.Fields = map[string]any{"Item": old}
	}
	return e
}

// itemMetrics is the ItemCollectionMetrics of a write, when asked for
// (SIZE) and the table has local secondary indexes, as DynamoDB gives it.
func itemMetrics(t *Table, mode string, it attr.Item) *ItemCollectionMetrics {
	if mode != "SIZE" || len(t.LSIs) == 0 || it == nil {
		return nil
	}
	return &ItemCollectionMetrics{
		ItemCollectionKey:   attr.Item{t.HashKey(): it[t.HashKey()]},
		SizeEstimateRangeGB: []float64{0, 1},
	}
}

// rawOutput encodes an answer that holds items as the awsJson1_0 body
// it is. Written as is, it is also not recorded as the trail's response
// elements: CloudTrail records none for DynamoDB data events.
func rawOutput(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: encode answer: %w", err)
	}
	return &api.Raw{Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, Body: b}, nil
}

func (d *DynamoDB) putItem(c *api.Call) (any, error) {
	var in PutItemInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	c.Trail.RequestParameters = trailParams(in.TableName, nil, in.ConditionExpression, "", "", in.ExpressionAttributeNames, in.ReturnValues)
	return d.withTable(c, in.TableName, func(t *Table) (any, error) {
		if e := checkReturnValues("PutItem", in.ReturnValues); e != nil {
			return nil, e
		}
		if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
			return nil, e
		}
		w, err := parseWriteExprs(expr.PutItem, in.ConditionExpression, in.Expected, in.ConditionalOperator, "", nil, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
		if err != nil {
			return nil, invalid(err)
		}
		if e := t.checkItem(in.Item, msgItemSize); e != nil {
			return nil, e
		}
		c.Trail.RequestParameters["key"] = t.keyOf(in.Item)
		return d.replaceItem(c, t, in.Item, in.Item, w.cond, replaceOptions{
			returnValues: in.ReturnValues, onConditionFailure: in.ReturnValuesOnConditionCheckFailure,
			capacity: in.ReturnConsumedCapacity, metrics: in.ReturnItemCollectionMetrics,
		})
	})
}

// replaceOptions are the Return* parameters of PutItem and DeleteItem.
type replaceOptions struct {
	returnValues, onConditionFailure, capacity, metrics string
}

// replaceItem writes item (nil deletes) in place of the item with key's
// key attributes, in one transaction, when cond (if any) holds for the
// item there: PutItem and DeleteItem. It answers ALL_OLD, capacity and
// item collection metrics as o asks.
func (d *DynamoDB) replaceItem(c *api.Call, t *Table, key, item attr.Item, cond *expr.Condition, o replaceOptions) (any, error) {
	storeKey := t.itemKey(key)
	var old attr.Item
	var u *usage
	_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		u = newUsage(o.capacity, t)
		var err error
		if old, err = getItem(c.Context, tx, storeKey); err != nil {
			return err
		}
		if cond != nil && !cond.Eval(old) {
			return conditionFailed(old, o.onConditionFailure)
		}
		return d.commitItem(c.Context, tx, c, t, storeKey, old, item, u)
	})
	if err != nil {
		return nil, err
	}
	out := WriteOutput{ConsumedCapacity: u.result(), ItemCollectionMetrics: itemMetrics(t, o.metrics, key)}
	if o.returnValues == "ALL_OLD" {
		out.Attributes = old
	}
	return rawOutput(out)
}

func (d *DynamoDB) deleteItem(c *api.Call) (any, error) {
	var in DeleteItemInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	c.Trail.RequestParameters = trailParams(in.TableName, in.Key, in.ConditionExpression, "", "", in.ExpressionAttributeNames, in.ReturnValues)
	return d.withTable(c, in.TableName, func(t *Table) (any, error) {
		if e := checkReturnValues("DeleteItem", in.ReturnValues); e != nil {
			return nil, e
		}
		if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
			return nil, e
		}
		w, err := parseWriteExprs(expr.DeleteItem, in.ConditionExpression, in.Expected, in.ConditionalOperator, "", nil, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
		if err != nil {
			return nil, invalid(err)
		}
		if e := t.checkKey(in.Key); e != nil {
			return nil, e
		}
		return d.replaceItem(c, t, in.Key, nil, w.cond, replaceOptions{
			returnValues: in.ReturnValues, onConditionFailure: in.ReturnValuesOnConditionCheckFailure,
			capacity: in.ReturnConsumedCapacity, metrics: in.ReturnItemCollectionMetrics,
		})
	})
}

func (d *DynamoDB) updateItem(c *api.Call) (any, error) {
	var in UpdateItemInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	c.Trail.RequestParameters = trailParams(in.TableName, in.Key, in.ConditionExpression, in.UpdateExpression, "", in.ExpressionAttributeNames, in.ReturnValues)
	return d.withTable(c, in.TableName, func(t *Table) (any, error) {
		if e := checkReturnValues("UpdateItem", in.ReturnValues); e != nil {
			return nil, e
		}
		if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
			return nil, e
		}
		w, err := parseWriteExprs(expr.UpdateItem, in.ConditionExpression, in.Expected, in.ConditionalOperator, in.UpdateExpression, in.AttributeUpdates, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
		if err != nil {
			return nil, invalid(err)
		}
		if e := t.checkKey(in.Key); e != nil {
			return nil, e
		}
		if w.update != nil {
			for _, name := range w.update.TopLevel() {
				if t.isKeyAttr(name) {
					return nil, validation(attr.ParamsInvalid+"Cannot update attribute %s. This attribute is part of the key", name)
				}
			}
		}
		if err := t.checkKeyPaths(updatePaths(w.update)); err != nil {
			return nil, invalid(err)
		}
		key := t.itemKey(in.Key)
		var old, new attr.Item
		var u *usage
		_, err = d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
			u = newUsage(in.ReturnConsumedCapacity, t)
			var err error
			if old, err = getItem(c.Context, tx, key); err != nil {
				return err
			}
			if w.cond != nil && !w.cond.Eval(old) {
				return conditionFailed(old, in.ReturnValuesOnConditionCheckFailure)
			}
			if new, err = applyUpdate(t, w.update, old, in.Key); err != nil {
				return err
			}
			return d.commitItem(c.Context, tx, c, t, key, old, new, u)
		})
		if err != nil {
			return nil, err
		}
		out := WriteOutput{ConsumedCapacity: u.result(), ItemCollectionMetrics: itemMetrics(t, in.ReturnItemCollectionMetrics, new)}
		out.Attributes = updateReturn(in.ReturnValues, w.update, old, new)
		return rawOutput(out)
	})
}

// applyUpdate returns the item an update makes of old (nil: the item does
// not exist yet, and the update creates it from its key), checked as a
// written item.
func applyUpdate(t *Table, up *expr.Update, old, key attr.Item) (attr.Item, error) {
	base := old
	if base == nil {
		base = key
	}
	new := base
	if up != nil {
		var err error
		if new, err = up.Apply(base); err != nil {
			return nil, invalid(err)
		}
	}
	if e := t.checkItem(new, msgUpdateSize); e != nil {
		return nil, e
	}
	return new, nil
}

// updateReturn is UpdateItem's Attributes for ReturnValues rv.
func updateReturn(rv string, up *expr.Update, old, new attr.Item) attr.Item {
	var proj *expr.Projection
	if up != nil {
		proj = up.Projection()
	}
	switch rv {
	case "ALL_OLD":
		return old
	case "ALL_NEW":
		return new
	case "UPDATED_OLD":
		if old == nil || proj == nil {
			return nil
		}
		return nonEmpty(proj.Apply(old))
	case "UPDATED_NEW":
		if proj == nil {
			return nil
		}
		return nonEmpty(proj.Apply(new))
	}
	return nil
}

func nonEmpty(it attr.Item) attr.Item {
	if len(it) == 0 {
		return nil
	}
	return it
}

func (d *DynamoDB) getItem(c *api.Call) (any, error) {
	var in GetItemInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	c.Trail.RequestParameters = trailParams(in.TableName, in.Key, "", "", in.ProjectionExpression, in.ExpressionAttributeNames, "")
	if in.ConsistentRead {
		c.Trail.RequestParameters["consistentRead"] = true
	}
	t, err := d.itemTable(c, in.TableName)
	if err != nil {
		return nil, err
	}
	if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
		return nil, e
	}
	proj, err := parseProjection(expr.GetItem, in.ProjectionExpression, in.AttributesToGet, in.ExpressionAttributeNames)
	if err != nil {
		return nil, invalid(err)
	}
	if e := t.checkKey(in.Key); e != nil {
		return nil, e
	}
	if err := t.checkKeyPaths(projPaths(proj)); err != nil {
		return nil, invalid(err)
	}
	it, err := getItem(c.Context, d.cfg.Store, t.itemKey(in.Key))
	if err != nil {
		return nil, err
	}
	u := newUsage(in.ReturnConsumedCapacity, t)
	u.read(t, nil, it.Size(), in.ConsistentRead)
	out := GetItemOutput{ConsumedCapacity: u.result()}
	if it != nil {
		p := proj.Apply(it)
		if p == nil {
			p = attr.Item{}
		}
		out.Item = &p
	}
	return rawOutput(out)
}

// parseProjection parses a read's ProjectionExpression (or legacy
// AttributesToGet) for op (GetItem, or BatchGetItem for a batch's or a
// transaction's read); nil means every attribute.
func parseProjection(op expr.Op, text string, toGet []string, names map[string]string) (*expr.Projection, error) {
	present := map[string]bool{"AttributesToGet": toGet != nil, "ProjectionExpression": text != "", "ExpressionAttributeNames": names != nil}
	if err := expr.CheckParams(op, func(p string) bool { return present[p] }); err != nil {
		return nil, err
	}
	if toGet != nil {
		return expr.FromAttributesToGet(toGet)
	}
	if text == "" && names == nil {
		return nil, nil
	}
	tr, err := expr.NewTracker(names, nil)
	if err != nil {
		return nil, err
	}
	var p *expr.Projection
	if text != "" {
		if p, err = expr.ParseProjection(text, tr); err != nil {
			return nil, err
		}
	}
	if err := tr.Unused(); err != nil {
		return nil, err
	}
	return p, nil
}

// trailParams are an item operation's requestParameters as CloudTrail
// records DynamoDB data events: the table, the key, the expressions'
// text and names, never item contents or expression values.
func trailParams(table string, key attr.Item, cond, update, proj string, names map[string]string, rv string) map[string]any {
	m := map[string]any{"tableName": table}
	if key != nil {
		m["key"] = key
	}
	for k, v := range map[string]string{"conditionExpression": cond, "updateExpression": update, "projectionExpression": proj, "returnValues": rv} {
		if v != "" {
			m[k] = v
		}
	}
	if len(names) > 0 {
		m["expressionAttributeNames"] = names
	}
	return m
}
