package dynamodb

import (
	"encoding/base64"
	"slices"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/service/dynamodb/expr"
)

// This file sets DynamoDB's condition keys for fine-grained access
// control, as "Using IAM policy conditions for fine-grained access
// control" in the developer guide describes them:
//
//   - dynamodb:LeadingKeys, the partition key values the request touches;
//   - dynamodb:Attributes, the top-level attribute names it reads or
//     writes (the primary key's, the item's, the projected, the updated
//     and those its conditions read);
//   - dynamodb:Select, ALL_ATTRIBUTES unless the request projects
//     (SPECIFIC_ATTRIBUTES) or names a Select;
//   - dynamodb:ReturnValues and dynamodb:ReturnConsumedCapacity, NONE
//     unless the request asks for more.
//
// dynamodb:EnclosingOperation names a PartiQL statement's operation, and
// rolecall has no PartiQL: it is never set.
//
// Only the keys the Service Authorization Reference lists for an action
// are set.

// accessKeys are the condition keys of one item action.
type accessKeys struct {
	action   string
	leading  []string
	attrs    []string
	sel      string
	returns  string
	capacity string
}

// supports lists, by action, the optional keys it takes.
var supports = map[string]struct{ sel, returns bool }{
	"dynamodb:PutItem":            {returns: true},
	"dynamodb:GetItem":            {sel: true},
	"dynamodb:UpdateItem":         {returns: true},
	"dynamodb:DeleteItem":         {returns: true},
	"dynamodb:ConditionCheckItem": {returns: true},
	"dynamodb:Query":              {sel: true, returns: true},
	"dynamodb:Scan":               {sel: true, returns: true},
	"dynamodb:BatchGetItem":       {sel: true},
	"dynamodb:BatchWriteItem":     {},
}

// set adds the keys to a request context.
func (k *accessKeys) set(keys api.Keys) {
	for name, v := range k.values() {
		keys.Set(name, v...)
	}
}

// values are the keys as c.Authorize takes them.
func (k *accessKeys) values() map[string][]string {
	s := supports[k.action]
	m := map[string][]string{}
	if k.action != "dynamodb:Scan" && len(k.leading) > 0 {
		m["dynamodb:LeadingKeys"] = dedupe(k.leading)
	}
	if len(k.attrs) > 0 {
		m["dynamodb:Attributes"] = dedupe(k.attrs)
	}
	m["dynamodb:ReturnConsumedCapacity"] = []string{orNone(k.capacity)}
	if s.sel && k.sel != "" {
		m["dynamodb:Select"] = []string{k.sel}
	}
	if s.returns {
		m["dynamodb:ReturnValues"] = []string{orNone(k.returns)}
	}
	return m
}

func orNone(s string) string {
	if s == "" {
		return "NONE"
	}
	return s
}

func dedupe(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// keyText is a key value as a condition key holds it: a string, a
// number's text, a binary's base64.
func keyText(v attr.Value) string {
	switch v.Type {
	case attr.S:
		return v.Str
	case attr.N:
		return attr.NumberText(v.Num)
	case attr.B:
		return base64.StdEncoding.EncodeToString(v.Bin)
	}
	return ""
}

// itemKeys are the keys of an action on one item with key attributes in
// key (or the whole item), under table t when it exists (nil: the
// partition key is not known, and every attribute of key counts).
func itemKeys(action string, t *Table, key attr.Item) accessKeys {
	k := accessKeys{action: action}
	for name, v := range key {
		k.attrs = append(k.attrs, name)
		if t != nil && name == t.HashKey() {
			k.leading = append(k.leading, keyText(v))
		}
	}
	return k
}

// names adds top-level attribute names to dynamodb:Attributes.
func (k *accessKeys) names(ss ...[]string) {
	for _, s := range ss {
		k.attrs = append(k.attrs, s...)
	}
}

// exprNames are the top-level names a write's expressions read and
// write: its condition's, and its update's targets and operands.
func (w *writeExprs) exprNames() []string {
	var out []string
	if w == nil {
		return nil
	}
	if w.cond != nil {
		out = append(out, w.cond.TopLevel()...)
	}
	if w.update != nil {
		out = append(out, w.update.TopLevel()...)
		// SET a = b, if_not_exists(b, …), list_append(b, …): the update
		// reads b as well as writing a.
		out = append(out, expr.Heads(w.update.Reads())...)
	}
	return out
}

// tableFor is the table a request names, when it exists, for its keys.
func (d *DynamoDB) tableFor(c *api.Call, name string) *Table {
	t, err := d.cachedTable(c.Context, c, name)
	if err != nil {
		return nil
	}
	return t
}

func (d *DynamoDB) putConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in PutItemInput
	if decode(c, &in) != nil {
		return
	}
	k := itemKeys("dynamodb:PutItem", d.tableFor(c, in.TableName), in.Item)
	k.returns, k.capacity = in.ReturnValues, in.ReturnConsumedCapacity
	if w, err := parseWriteExprs(expr.PutItem, in.ConditionExpression, in.Expected, in.ConditionalOperator, "", nil, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err == nil {
		k.names(w.exprNames())
	}
	k.set(keys)
}

func (d *DynamoDB) deleteConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in DeleteItemInput
	if decode(c, &in) != nil {
		return
	}
	k := itemKeys("dynamodb:DeleteItem", d.tableFor(c, in.TableName), in.Key)
	k.returns, k.capacity = in.ReturnValues, in.ReturnConsumedCapacity
	if w, err := parseWriteExprs(expr.DeleteItem, in.ConditionExpression, in.Expected, in.ConditionalOperator, "", nil, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err == nil {
		k.names(w.exprNames())
	}
	k.set(keys)
}

func (d *DynamoDB) updateConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in UpdateItemInput
	if decode(c, &in) != nil {
		return
	}
	k := itemKeys("dynamodb:UpdateItem", d.tableFor(c, in.TableName), in.Key)
	k.returns, k.capacity = in.ReturnValues, in.ReturnConsumedCapacity
	if w, err := parseWriteExprs(expr.UpdateItem, in.ConditionExpression, in.Expected, in.ConditionalOperator, in.UpdateExpression, in.AttributeUpdates, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err == nil {
		k.names(w.exprNames())
	}
	k.set(keys)
}

func (d *DynamoDB) getConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in GetItemInput
	if decode(c, &in) != nil {
		return
	}
	k := getKeys("dynamodb:GetItem", expr.GetItem, d.tableFor(c, in.TableName), in.Key, in.ProjectionExpression, in.AttributesToGet, in.ExpressionAttributeNames)
	k.capacity = in.ReturnConsumedCapacity
	k.set(keys)
}

// getKeys are the keys of reading one item with a projection.
func getKeys(action string, op expr.Op, t *Table, key attr.Item, projection string, toGet []string, names map[string]string) accessKeys {
	k := itemKeys(action, t, key)
	k.sel = "ALL_ATTRIBUTES"
	if projection != "" || toGet != nil {
		k.sel = "SPECIFIC_ATTRIBUTES"
		if p, err := parseProjection(op, projection, toGet, names); err == nil && p != nil {
			k.names(p.TopLevel())
		}
	}
	return k
}

// projectionNames are the top-level names of a read's projection.
func projectionNames(p *expr.Projection) []string {
	if p == nil {
		return nil
	}
	return p.TopLevel()
}
