package dynamodb_test

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The generator's requests in the legacy parameters (Expected,
// AttributeUpdates, KeyConditions, QueryFilter, ScanFilter,
// AttributesToGet), which rolecall translates to the expression trees.
// Each request has at most one entry that DynamoDB could refuse, so that
// which refusal comes first does not depend on the order of a JSON map.

// legacyOperators are the ComparisonOperators and the value types each
// is given.
var legacyOperators = []struct {
	op    string
	count int    // values: -1 for one to three
	kind  string // "plain" (EQ, NE, IN), "scalar" (orderings), "string" (BEGINS_WITH), "" (none)
}{
	{"EQ", 1, "plain"}, {"NE", 1, "plain"}, {"LT", 1, "scalar"}, {"LE", 1, "scalar"}, {"GT", 1, "scalar"}, {"GE", 1, "scalar"},
	{"NULL", 0, ""}, {"NOT_NULL", 0, ""}, {"CONTAINS", 1, "scalar"}, {"NOT_CONTAINS", 1, "scalar"},
	{"BEGINS_WITH", 1, "string"}, {"IN", -1, "scalar"}, {"BETWEEN", 2, "scalar"},
}

// legacyCondition returns a ComparisonOperator and its values for an
// attribute of usual type typ.
func (g *oracleGen) legacyCondition(typ string) (string, []types.AttributeValue) {
	o := legacyOperators[g.pick(len(legacyOperators))]
	n := o.count
	if n < 0 {
		n = 1 + g.pick(3)
	}
	if o.kind == "scalar" && typ != "S" && typ != "N" && typ != "B" {
		typ = []string{"S", "N", "B"}[g.pick(3)]
	}
	var vals []types.AttributeValue
	for range n {
		switch o.kind {
		case "plain":
			vals = append(vals, g.plain(typ))
		case "string":
			vals = append(vals, g.value("S"))
		default:
			vals = append(vals, g.value(typ))
		}
	}
	if o.op == "BETWEEN" {
		vals[0], vals[1] = oracleOrdered(vals[0], vals[1])
	}
	return o.op, vals
}

// expected returns a legacy Expected map of one or two attributes.
func (g *oracleGen) expected() (map[string]types.ExpectedAttributeValue, types.ConditionalOperator) {
	m := map[string]types.ExpectedAttributeValue{}
	for _, i := range g.r.Perm(len(oracleAttrs))[:1+g.pick(2)] {
		a := oracleAttrs[i]
		switch g.pick(4) {
		case 0:
			v := g.plain(a.typ)
			m[a.name] = types.ExpectedAttributeValue{Value: v}
		case 1:
			m[a.name] = types.ExpectedAttributeValue{Exists: aws.Bool(false)}
		default:
			op, vals := g.legacyCondition(a.typ)
			m[a.name] = types.ExpectedAttributeValue{ComparisonOperator: types.ComparisonOperator(op), AttributeValueList: vals}
		}
	}
	var op types.ConditionalOperator
	if len(m) > 1 && g.pick(2) == 0 {
		op = types.ConditionalOperatorAnd // not OR: the legacy-or deviation
	}
	return m, op
}

// filter returns a legacy QueryFilter or ScanFilter of one or two
// attributes.
func (g *oracleGen) filter() (map[string]types.Condition, types.ConditionalOperator) {
	m := map[string]types.Condition{}
	for _, i := range g.r.Perm(len(oracleAttrs))[:1+g.pick(2)] {
		a := oracleAttrs[i]
		op, vals := g.legacyCondition(a.typ)
		m[a.name] = types.Condition{ComparisonOperator: types.ComparisonOperator(op), AttributeValueList: vals}
	}
	var op types.ConditionalOperator
	if len(m) > 1 && g.pick(2) == 0 {
		op = types.ConditionalOperatorAnd // not OR: the legacy-or deviation
	}
	return m, op
}

// attributeUpdates returns a legacy AttributeUpdates map.
func (g *oracleGen) attributeUpdates() map[string]types.AttributeValueUpdate {
	m := map[string]types.AttributeValueUpdate{}
	for _, i := range g.r.Perm(len(oracleAttrs))[:1+g.pick(3)] {
		a := oracleAttrs[i]
		switch g.pick(4) {
		case 0:
			m[a.name] = types.AttributeValueUpdate{Action: types.AttributeActionAdd, Value: g.value([]string{"N", "SS", "NS", "L"}[g.pick(4)])}
		case 1:
			m[a.name] = types.AttributeValueUpdate{Action: types.AttributeActionDelete}
		case 2:
			m[a.name] = types.AttributeValueUpdate{Action: types.AttributeActionDelete, Value: g.value([]string{"SS", "NS", "BS"}[g.pick(3)])}
		default:
			m[a.name] = types.AttributeValueUpdate{Action: types.AttributeActionPut, Value: g.usually(a.typ)}
		}
	}
	return m
}

// legacyOp generates a request in the legacy parameters.
func (g *oracleGen) legacyOp() oracleOp {
	ti := g.pick(len(oracleTables))
	tb := oracleTables[ti]
	table := aws.String(tb.name)
	switch g.pick(5) {
	case 0:
		it := g.key(ti)
		for _, a := range oracleAttrs {
			if g.pick(2) == 0 {
				it[a.name] = g.usually(a.typ)
			}
		}
		exp, op := g.expected()
		return oracleOp{name: "PutItem (Expected)", run: func(ctx context.Context, c *dynamodb.Client) string {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: it, Expected: exp, ConditionalOperator: op})
			return oracleAnswer(nil, err)
		}, table: tb.name, key: g.keyOf(ti, it), describe: oracleDescribe(map[string]any{"Item": it, "Expected": exp, "ConditionalOperator": op})}
	case 1:
		key := g.key(ti)
		updates := g.attributeUpdates()
		var exp map[string]types.ExpectedAttributeValue
		var op types.ConditionalOperator
		if g.pick(3) == 0 {
			exp, op = g.expected()
		}
		rv := []types.ReturnValue{types.ReturnValueAllNew, types.ReturnValueUpdatedOld, types.ReturnValueUpdatedNew}[g.pick(3)]
		return oracleOp{name: "UpdateItem (AttributeUpdates)", run: func(ctx context.Context, c *dynamodb.Client) string {
			out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: table, Key: key, AttributeUpdates: updates, Expected: exp, ConditionalOperator: op, ReturnValues: rv})
			if err != nil || len(out.Attributes) == 0 {
				return oracleAnswer(nil, err)
			}
			return oracleAnswer(oracleNormItem(out.Attributes), nil)
		}, table: tb.name, key: key, describe: oracleDescribe(map[string]any{"Key": key, "AttributeUpdates": updates, "Expected": exp, "ConditionalOperator": op, "ReturnValues": rv})}
	case 2:
		key := g.key(ti)
		var get []string
		for _, i := range g.r.Perm(len(oracleAttrs))[:1+g.pick(3)] {
			get = append(get, oracleAttrs[i].name)
		}
		return oracleOp{name: "GetItem (AttributesToGet)", run: func(ctx context.Context, c *dynamodb.Client) string {
			out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, AttributesToGet: get})
			if err != nil {
				return oracleAnswer(nil, err)
			}
			return oracleAnswer(oracleNormItem(out.Item), nil)
		}, table: tb.name, key: key, describe: oracleDescribe(map[string]any{"Key": key, "AttributesToGet": get})}
	case 3:
		ti = 1 + g.pick(2) // orange or obin
		tb = oracleTables[ti]
		key := g.key(ti)
		kc := map[string]types.Condition{"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{key["pk"]}}}
		if g.pick(3) > 0 {
			ops := []types.ComparisonOperator{"EQ", "LT", "LE", "GT", "GE", "BETWEEN"}
			if tb.rngType == "S" {
				ops = append(ops, "BEGINS_WITH")
			}
			op := ops[g.pick(len(ops))]
			vals := []types.AttributeValue{g.key(ti)["sk"]}
			if op == "BETWEEN" {
				lo, hi := oracleOrdered(vals[0], g.key(ti)["sk"])
				vals = []types.AttributeValue{lo, hi}
			}
			kc["sk"] = types.Condition{ComparisonOperator: op, AttributeValueList: vals}
		}
		var qf map[string]types.Condition
		var op types.ConditionalOperator
		if g.pick(2) == 0 {
			qf, op = g.filter()
		}
		forward := g.pick(2) == 0
		return oracleOp{name: "Query (KeyConditions)", run: func(ctx context.Context, c *dynamodb.Client) string {
			out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tb.name), KeyConditions: kc, QueryFilter: qf, ConditionalOperator: op, ScanIndexForward: aws.Bool(forward)})
			if err != nil {
				return oracleAnswer(nil, err)
			}
			return oracleAnswer(map[string]any{"Items": oracleNormItems(out.Items), "Count": out.Count, "ScannedCount": out.ScannedCount}, nil)
		}, describe: oracleDescribe(map[string]any{"Table": tb.name, "KeyConditions": kc, "QueryFilter": qf, "ConditionalOperator": op, "ScanIndexForward": forward})}
	}
	sf, op := g.filter()
	return oracleOp{name: "Scan (ScanFilter)", run: func(ctx context.Context, c *dynamodb.Client) string {
		out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: table, ScanFilter: sf, ConditionalOperator: op})
		if err != nil {
			return oracleAnswer(nil, err)
		}
		return oracleAnswer(map[string]any{"Items": oracleSortedItems(out.Items), "Count": out.Count, "ScannedCount": out.ScannedCount}, nil)
	}, describe: oracleDescribe(map[string]any{"Table": tb.name, "ScanFilter": sf, "ConditionalOperator": op})}
}
