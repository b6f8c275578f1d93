package dynamodb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The generator of TestDynaliteOracle's requests. Expressions are well
// formed, use every name and value they define, and never name the same
// top-level attribute twice in one update; their values are of the
// attributes' usual types most of the time and of any type otherwise, so
// that type mismatches, missing attributes and failed conditions are all
// exercised. It leaves out what the deviations in oracle_test.go cover:
// empty strings and false (falsy-values), lists and maps compared with =
// or IN (equal-documents), ordering comparisons of non-scalars
// (order-non-scalar), comparisons of two paths (compare-two-missing),
// ConditionalOperator OR (legacy-or),
// NOT NOT (not-not), several list indexes removed at once
// (remove-list-indexes).

// oracleAttrs are the non-key attributes and their usual types; count
// and data are reserved words (always written through #names).
var oracleAttrs = []struct{ name, typ string }{
	{"a", "N"}, {"b", "S"}, {"c", "L"}, {"m", "M"}, {"s", "SS"}, {"ns", "NS"},
	{"f", "BOOL"}, {"count", "N"}, {"data", "S"}, {"z", "NULL"},
}

var (
	oracleNums    = []string{"-3", "0", "1", "2.5", "7", "10", "100", "1e2", "0.001"}
	oracleStrs    = []string{"a", "ab", "abc", "b", "ba", "zz"}
	oracleBins    = [][]byte{{0}, {0, 1}, {1}, {0xff}}
	oracleTypeSet = []string{"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"}
)

type oracleGen struct{ r *rand.Rand }

func (g *oracleGen) pick(n int) int { return g.r.Intn(n) }

func (g *oracleGen) num() types.AttributeValue {
	return &types.AttributeValueMemberN{Value: oracleNums[g.pick(len(oracleNums))]}
}

func (g *oracleGen) str() types.AttributeValue {
	return &types.AttributeValueMemberS{Value: oracleStrs[g.pick(len(oracleStrs))]}
}

// distinct returns 1 to 3 distinct picks of n.
func (g *oracleGen) distinct(n int) []int {
	k := 1 + g.pick(3)
	return g.r.Perm(n)[:k]
}

// value returns a value of type typ.
func (g *oracleGen) value(typ string) types.AttributeValue {
	switch typ {
	case "N":
		return g.num()
	case "S":
		return g.str()
	case "B":
		return &types.AttributeValueMemberB{Value: oracleBins[g.pick(len(oracleBins))]}
	case "BOOL":
		return &types.AttributeValueMemberBOOL{Value: true}
	case "NULL":
		return &types.AttributeValueMemberNULL{Value: true}
	case "L":
		var l []types.AttributeValue
		for range g.pick(4) {
			l = append(l, g.value([]string{"N", "S", "BOOL"}[g.pick(3)]))
		}
		return &types.AttributeValueMemberL{Value: l}
	case "M":
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": g.num(), "y": g.str(), "z": g.value("L")}}
	case "SS":
		var s []string
		for _, i := range g.distinct(len(oracleStrs) - 1) {
			s = append(s, oracleStrs[i])
		}
		return &types.AttributeValueMemberSS{Value: s}
	case "NS":
		var s []string
		for _, i := range g.distinct(6) {
			s = append(s, oracleNums[i])
		}
		return &types.AttributeValueMemberNS{Value: s}
	case "BS":
		var s [][]byte
		for _, i := range g.distinct(len(oracleBins)) {
			s = append(s, oracleBins[i])
		}
		return &types.AttributeValueMemberBS{Value: s}
	}
	panic("type " + typ)
}

// usually returns a value of typ, and one of any type one time in eight.
func (g *oracleGen) usually(typ string) types.AttributeValue {
	if g.pick(8) == 0 {
		return g.value(oracleTypeSet[g.pick(len(oracleTypeSet))])
	}
	return g.value(typ)
}

// scalar returns a value of typ if it is S, N or B, else of one of
// those; one time in eight of another of them.
func (g *oracleGen) scalar(typ string) types.AttributeValue {
	if (typ != "S" && typ != "N" && typ != "B") || g.pick(8) == 0 {
		typ = []string{"S", "N", "B"}[g.pick(3)]
	}
	return g.value(typ)
}

// plain returns a value for = and IN: usually of typ, never a list or a
// map (see the equal-documents deviation).
func (g *oracleGen) plain(typ string) types.AttributeValue {
	for {
		v := g.usually(typ)
		switch v.(type) {
		case *types.AttributeValueMemberL, *types.AttributeValueMemberM:
			typ = oracleTypeSet[g.pick(len(oracleTypeSet))]
			continue
		}
		return v
	}
}

// indexKey returns a value for g, the GSI's partition key: g0 or g1,
// and one time in ten a number (which DynamoDB refuses).
func (g *oracleGen) indexKey() types.AttributeValue {
	if g.pick(10) == 0 {
		return g.num()
	}
	return &types.AttributeValueMemberS{Value: fmt.Sprintf("g%d", g.pick(2))}
}

// key returns a key of table i.
func (g *oracleGen) key(i int) map[string]types.AttributeValue {
	switch oracleTables[i].name {
	case "ohash":
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("k%d", g.pick(4))}}
	case "orange":
		return map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("p%d", g.pick(2))},
			"sk": &types.AttributeValueMemberN{Value: []string{"-1", "0", "1", "2", "10", "2.5"}[g.pick(6)]},
		}
	case "obin":
		return map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberB{Value: []byte{byte(1 + g.pick(2))}},
			"sk": &types.AttributeValueMemberS{Value: []string{"a", "ab", "b", "ba", "c"}[g.pick(5)]},
		}
	}
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberN{Value: []string{"-1", "0", "1", "1.5", "100"}[g.pick(5)]}}
}

// keyOf returns the key of item it of table i.
func (g *oracleGen) keyOf(i int, it map[string]types.AttributeValue) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{"pk": it["pk"]}
	if oracleTables[i].rng != "" {
		k["sk"] = it["sk"]
	}
	return k
}

// oracleExpr collects the names and values of one request's expressions.
type oracleExpr struct {
	g      *oracleGen
	names  map[string]string
	values map[string]types.AttributeValue
}

func (g *oracleGen) expr() *oracleExpr {
	return &oracleExpr{g: g, names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// name writes an attribute name, through a #name when it is reserved
// (but for one time in fifty) and at random otherwise.
func (x *oracleExpr) name(n string) string {
	if (n == "count" || n == "data") && x.g.pick(50) == 0 {
		return n
	}
	if n == "count" || n == "data" || x.g.pick(4) == 0 {
		x.names["#"+n] = n
		return "#" + n
	}
	return n
}

// val writes a value as a new :name.
func (x *oracleExpr) val(v types.AttributeValue) string {
	k := fmt.Sprintf(":v%d", len(x.values))
	x.values[k] = v
	return k
}

// path returns a document path into the non-key attributes, its
// top-level attribute and its usual type.
func (x *oracleExpr) path() (p, head, typ string) {
	a := oracleAttrs[x.g.pick(len(oracleAttrs))]
	p = x.name(a.name)
	switch {
	case a.name == "m" && x.g.pick(2) == 0:
		switch x.g.pick(3) {
		case 0:
			return p + "." + x.name("x"), a.name, "N"
		case 1:
			return p + "." + x.name("y"), a.name, "S"
		}
		return fmt.Sprintf("%s.%s[%d]", p, x.name("z"), x.g.pick(3)), a.name, "N"
	case a.name == "c" && x.g.pick(2) == 0:
		return fmt.Sprintf("%s[%d]", p, x.g.pick(4)), a.name, "N"
	}
	return p, a.name, a.typ
}

func oracleSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// oracleOrdered returns two numbers or two strings lower first (BETWEEN's
// bounds), other values as they are.
func oracleOrdered(lo, hi types.AttributeValue) (types.AttributeValue, types.AttributeValue) {
	switch l := lo.(type) {
	case *types.AttributeValueMemberN:
		if h, ok := hi.(*types.AttributeValueMemberN); ok {
			a, _ := strconv.ParseFloat(l.Value, 64)
			b, _ := strconv.ParseFloat(h.Value, 64)
			if a > b {
				return hi, lo
			}
		}
	case *types.AttributeValueMemberS:
		if h, ok := hi.(*types.AttributeValueMemberS); ok && l.Value > h.Value {
			return hi, lo
		}
	}
	return lo, hi
}

// freshPath returns a path whose top-level attribute is not in used (and
// adds it), or ok false, leaving no #name behind that it does not use.
func (x *oracleExpr) freshPath(used map[string]bool) (p, head, typ string, ok bool) {
	saved := make(map[string]string, len(x.names))
	for k, v := range x.names {
		saved[k] = v
	}
	p, head, typ = x.path()
	if used[head] {
		x.names = saved
		return "", "", "", false
	}
	used[head] = true
	return p, head, typ, true
}

// source returns a path for a SET value to read, given the path it
// sets: never the attribute that holds a nested target (SET c[0] =
// if_not_exists(c, :v) makes dynalite build an item that contains itself,
// and crash), but then the target itself.
func (x *oracleExpr) source(target, targetType string) (string, string) {
	saved := make(map[string]string, len(x.names))
	for k, v := range x.names {
		saved[k] = v
	}
	q, head, typ := x.path()
	nested := strings.ContainsAny(target, ".[")
	if nested && (strings.HasPrefix(target, head) || strings.HasPrefix(target, "#"+head)) {
		x.names = saved
		return target, targetType
	}
	return q, typ
}

var oracleComparators = []string{"=", "<>", "<", "<=", ">", ">="}

// cond returns a condition of nesting depth up to d.
func (x *oracleExpr) cond(d int) string {
	if d > 0 {
		switch x.g.pick(9) {
		case 0:
			return x.cond(d-1) + " AND " + x.cond(d-1)
		case 1:
			return x.cond(d-1) + " OR " + x.cond(d-1)
		case 2:
			c := x.cond(d - 1)
			if strings.HasPrefix(c, "NOT ") {
				c = "(" + c + ")"
			}
			return "NOT " + c
		case 3:
			return "(" + x.cond(d-1) + ")"
		}
	}
	p, _, typ := x.path()
	switch x.g.pick(9) {
	case 0:
		lo, hi := oracleOrdered(x.g.scalar(typ), x.g.scalar(typ))
		return p + " BETWEEN " + x.val(lo) + " AND " + x.val(hi)
	case 1:
		in := []string{}
		for range 1 + x.g.pick(3) {
			in = append(in, x.val(x.g.plain(typ)))
		}
		return p + " IN (" + strings.Join(in, ", ") + ")"
	case 2:
		return "attribute_exists(" + p + ")"
	case 3:
		return "attribute_not_exists(" + p + ")"
	case 4:
		return "begins_with(" + p + ", " + x.val(x.g.value([]string{"S", "S", "B"}[x.g.pick(3)])) + ")"
	case 5:
		return "contains(" + p + ", " + x.val(x.g.value([]string{"S", "N", "B"}[x.g.pick(3)])) + ")"
	case 6:
		return "attribute_type(" + p + ", " + x.val(&types.AttributeValueMemberS{Value: oracleTypeSet[x.g.pick(len(oracleTypeSet))]}) + ")"
	case 7:
		return "size(" + p + ") " + oracleComparators[x.g.pick(6)] + " " + x.val(&types.AttributeValueMemberN{Value: fmt.Sprint(x.g.pick(4))})
	}
	if cmp := oracleComparators[x.g.pick(6)]; cmp == "=" || cmp == "<>" {
		return p + " " + cmp + " " + x.val(x.g.plain(typ))
	} else {
		return p + " " + cmp + " " + x.val(x.g.scalar(typ))
	}
}

// update returns an update expression whose actions name distinct
// top-level attributes.
func (x *oracleExpr) update() string {
	used := map[string]bool{}
	target := func() (string, string, bool) {
		for range 5 {
			p, _, typ, ok := x.freshPath(used)
			if ok {
				return p, typ, true
			}
		}
		return "", "", false
	}
	var clauses []string
	for _, clause := range x.g.r.Perm(4)[:1+x.g.pick(3)] {
		var actions []string
		for range 1 + x.g.pick(2) {
			p, typ, ok := target()
			if !ok {
				break
			}
			switch clause {
			case 0:
				var v string
				switch x.g.pick(6) {
				case 0:
					q, _ := x.source(p, typ)
					v = q + " + " + x.val(x.g.num())
				case 1:
					q, _ := x.source(p, typ)
					v = x.val(x.g.num()) + " - " + q
				case 2:
					q, qt := x.source(p, typ)
					v = "if_not_exists(" + q + ", " + x.val(x.g.usually(qt)) + ")"
				case 3:
					q, _ := x.source(p, typ)
					if x.g.pick(2) == 0 {
						v = "list_append(" + q + ", " + x.val(x.g.value("L")) + ")"
					} else {
						v = "list_append(" + x.val(x.g.value("L")) + ", " + q + ")"
					}
				default:
					v = x.val(x.g.usually(typ))
				}
				actions = append(actions, p+" = "+v)
				switch x.g.pick(40) {
				case 0:
					actions = append(actions, x.name("g")+" = "+x.val(x.g.indexKey()))
				case 1:
					actions = append(actions, x.name("pk")+" = "+x.val(x.g.str()))
				}
			case 1:
				actions = append(actions, p)
			case 2:
				actions = append(actions, p+" "+x.val(x.g.value([]string{"N", "SS", "NS"}[x.g.pick(3)])))
			case 3:
				actions = append(actions, p+" "+x.val(x.g.value([]string{"SS", "NS", "BS"}[x.g.pick(3)])))
			}
		}
		if len(actions) > 0 {
			clauses = append(clauses, []string{"SET", "REMOVE", "ADD", "DELETE"}[clause]+" "+strings.Join(actions, ", "))
		}
	}
	return strings.Join(clauses, " ")
}

// projection returns a projection of distinct top-level attributes.
func (x *oracleExpr) projection() string {
	seen := map[string]bool{}
	var paths []string
	for range 1 + x.g.pick(4) {
		if p, _, _, ok := x.freshPath(seen); ok {
			paths = append(paths, p)
		}
	}
	return strings.Join(paths, ", ")
}

// params returns the maps in their SDK form, nil when empty. One time
// in twenty it spoils them, as users do: a value no expression uses, or
// one an expression uses taken out.
func (x *oracleExpr) params() (map[string]string, map[string]types.AttributeValue) {
	switch x.g.pick(40) {
	case 0:
		x.values[":unused"] = x.g.num()
	case 1:
		for _, k := range oracleSortedKeys(x.values) {
			delete(x.values, k)
			break
		}
	}
	var n map[string]string
	var v map[string]types.AttributeValue
	if len(x.names) > 0 {
		n = x.names
	}
	if len(x.values) > 0 {
		v = x.values
	}
	return n, v
}

// oracleDescribe renders a request for a failure message.
func oracleDescribe(fields map[string]any) func() string {
	return func() string {
		out := map[string]any{}
		for k, v := range fields {
			switch v := v.(type) {
			case map[string]types.AttributeValue:
				out[k] = oracleNormItem(v)
			case map[string]types.ExpectedAttributeValue:
				m := map[string]any{}
				for name, e := range v {
					var val any
					if e.Value != nil {
						val = oracleNorm(e.Value)
					}
					m[name] = map[string]any{"Value": val, "Exists": e.Exists, "ComparisonOperator": e.ComparisonOperator, "AttributeValueList": oracleNormList(e.AttributeValueList)}
				}
				out[k] = m
			case map[string]types.Condition:
				m := map[string]any{}
				for name, c := range v {
					m[name] = map[string]any{"ComparisonOperator": c.ComparisonOperator, "AttributeValueList": oracleNormList(c.AttributeValueList)}
				}
				out[k] = m
			case map[string]types.AttributeValueUpdate:
				m := map[string]any{}
				for name, u := range v {
					var val any
					if u.Value != nil {
						val = oracleNorm(u.Value)
					}
					m[name] = map[string]any{"Action": u.Action, "Value": val}
				}
				out[k] = m
			default:
				out[k] = v
			}
		}
		b, _ := json.Marshal(out)
		return string(b)
	}
}

// oracleNormList renders a list of values.
func oracleNormList(vs []types.AttributeValue) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = oracleNorm(v)
	}
	return out
}

// op generates the next request: in the legacy parameters one time in
// seven, else with expressions.
func (g *oracleGen) op() oracleOp {
	if g.pick(7) == 0 {
		return g.legacyOp()
	}
	ti := g.pick(len(oracleTables))
	tb := oracleTables[ti]
	table := aws.String(tb.name)
	x := g.expr()
	optional := func(p int, f func() string) *string {
		if g.pick(100) < p {
			return aws.String(f())
		}
		return nil
	}
	returnValues := func(all ...types.ReturnValue) types.ReturnValue { return all[g.pick(len(all))] }
	switch r := g.pick(100); {
	case r < 30:
		it := g.key(ti)
		for _, a := range oracleAttrs {
			if g.pick(2) == 0 {
				it[a.name] = g.usually(a.typ)
			}
		}
		if tb.gsi && g.pick(3) > 0 {
			it["g"] = g.indexKey()
		}
		cond := optional(40, func() string { return x.cond(2) })
		names, values := x.params()
		rv := returnValues(types.ReturnValueNone, types.ReturnValueAllOld)
		return oracleOp{name: "PutItem", run: func(ctx context.Context, c *dynamodb.Client) string {
			out, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: it, ConditionExpression: cond,
				ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValues: rv})
			if err != nil {
				return oracleAnswer(nil, err)
			}
			return oracleAnswer(oracleNormItem(out.Attributes), nil)
		}, table: tb.name, key: g.keyOf(ti, it), describe: oracleDescribe(map[string]any{"Item": it, "ConditionExpression": cond, "Names": names, "Values": values, "ReturnValues": rv})}
	case r < 60:
		key := g.key(ti)
		update := x.update()
		cond := optional(30, func() string { return x.cond(2) })
		names, values := x.params()
		rv := returnValues(types.ReturnValueNone, types.ReturnValueAllOld, types.ReturnValueAllNew, types.ReturnValueUpdatedOld, types.ReturnValueUpdatedNew)
		return oracleOp{name: "UpdateItem", run: func(ctx context.Context, c *dynamodb.Client) string {
			out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: table, Key: key, UpdateExpression: aws.String(update),
				ConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValues: rv})
			if err != nil {
				return oracleAnswer(nil, err)
			}
			if len(out.Attributes) == 0 {
				// The updated-empty deviation: dynalite answers {}.
				return oracleAnswer(nil, nil)
			}
			return oracleAnswer(oracleNormItem(out.Attributes), nil)
		}, table: tb.name, key: key, describe: oracleDescribe(map[string]any{"Key": key, "UpdateExpression": update, "ConditionExpression": cond, "Names": names, "Values": values, "ReturnValues": rv})}
	case r < 68:
		key := g.key(ti)
		cond := optional(40, func() string { return x.cond(2) })
		names, values := x.params()
		rv := returnValues(types.ReturnValueNone, types.ReturnValueAllOld)
		return oracleOp{name: "DeleteItem", run: func(ctx context.Context, c *dynamodb.Client) string {
			out, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key, ConditionExpression: cond,
				ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValues: rv})
			if err != nil {
				return oracleAnswer(nil, err)
			}
			return oracleAnswer(oracleNormItem(out.Attributes), nil)
		}, table: tb.name, key: key, describe: oracleDescribe(map[string]any{"Key": key, "ConditionExpression": cond, "Names": names, "Values": values, "ReturnValues": rv})}
	case r < 80:
		key := g.key(ti)
		proj := optional(50, x.projection)
		names, _ := x.params()
		return oracleOp{name: "GetItem", run: func(ctx context.Context, c *dynamodb.Client) string {
			out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ProjectionExpression: proj, ExpressionAttributeNames: names})
			if err != nil {
				return oracleAnswer(nil, err)
			}
			return oracleAnswer(oracleNormItem(out.Item), nil)
		}, table: tb.name, key: key, describe: oracleDescribe(map[string]any{"Key": key, "ProjectionExpression": proj, "Names": names})}
	case r < 92:
		return g.query(x)
	}
	return g.scan(ti, x)
}

// query generates a Query of orange (or its GSI) or obin.
func (g *oracleGen) query(x *oracleExpr) oracleOp {
	ti, index := 1, false
	switch g.pick(3) {
	case 0:
		ti = 2
	case 1:
		index = true
	}
	tb := oracleTables[ti]
	key := g.key(ti)
	var kc string
	if index {
		kc = x.name("g") + " = " + x.val(&types.AttributeValueMemberS{Value: fmt.Sprintf("g%d", g.pick(2))})
	} else {
		kc = x.name("pk") + " = " + x.val(key["pk"])
	}
	if g.pick(3) > 0 {
		sk := x.name("sk")
		v := func() string { return x.val(g.key(ti)["sk"]) }
		switch n := g.pick(7); {
		case n < 5:
			kc += " AND " + sk + " " + []string{"=", "<", "<=", ">", ">="}[n] + " " + v()
		case n == 5:
			lo, hi := oracleOrdered(g.key(ti)["sk"], g.key(ti)["sk"])
			kc += " AND " + sk + " BETWEEN " + x.val(lo) + " AND " + x.val(hi)
		default:
			if tb.rngType == "S" {
				kc += " AND begins_with(" + sk + ", " + x.val(&types.AttributeValueMemberS{Value: []string{"a", "b", "ba"}[g.pick(3)]}) + ")"
			}
		}
	}
	var filter *string
	if g.pick(10) < 4 {
		filter = aws.String(x.cond(1))
	}
	names, values := x.params()
	in := func() *dynamodb.QueryInput {
		q := &dynamodb.QueryInput{TableName: aws.String(tb.name), KeyConditionExpression: aws.String(kc), FilterExpression: filter,
			ExpressionAttributeNames: names, ExpressionAttributeValues: values, ScanIndexForward: aws.Bool(g.pick(2) == 0)}
		if index {
			q.IndexName = aws.String("gsi")
		}
		return q
	}()
	if !index && g.pick(2) == 0 {
		in.Limit = aws.Int32(int32(1 + g.pick(4)))
	}
	if g.pick(10) == 0 {
		in.Select = types.SelectCount
	}
	return oracleOp{name: "Query", run: func(ctx context.Context, c *dynamodb.Client) string {
		q := *in
		var pages []any
		var all []map[string]types.AttributeValue
		for range 50 {
			out, err := c.Query(ctx, &q)
			if err != nil {
				return oracleAnswer(pages, err)
			}
			all = append(all, out.Items...)
			pages = append(pages, map[string]any{"Items": oracleNormItems(out.Items), "Count": out.Count, "ScannedCount": out.ScannedCount, "LastEvaluatedKey": oracleNormItem(out.LastEvaluatedKey)})
			if out.LastEvaluatedKey == nil {
				break
			}
			q.ExclusiveStartKey = out.LastEvaluatedKey
		}
		if index {
			// Items equal in the index key come in an unspecified order.
			return oracleAnswer(oracleSortedItems(all), nil)
		}
		return oracleAnswer(pages, nil)
	}, describe: oracleDescribe(map[string]any{"Table": tb.name, "Index": index, "KeyConditionExpression": kc, "FilterExpression": filter,
		"Names": names, "Values": values, "ScanIndexForward": in.ScanIndexForward, "Limit": in.Limit, "Select": in.Select})}
}

// scan generates a Scan with a filter, in pages.
func (g *oracleGen) scan(ti int, x *oracleExpr) oracleOp {
	tb := oracleTables[ti]
	var filter *string
	if g.pick(2) == 0 {
		filter = aws.String(x.cond(2))
	}
	names, values := x.params()
	var limit *int32
	if g.pick(10) < 4 {
		limit = aws.Int32(int32(1 + g.pick(5)))
	}
	return oracleOp{name: "Scan", run: func(ctx context.Context, c *dynamodb.Client) string {
		in := &dynamodb.ScanInput{TableName: aws.String(tb.name), FilterExpression: filter, ExpressionAttributeNames: names,
			ExpressionAttributeValues: values, Limit: limit}
		var all []map[string]types.AttributeValue
		var count, scanned int32
		for range 100 {
			out, err := c.Scan(ctx, in)
			if err != nil {
				return oracleAnswer(nil, err)
			}
			all = append(all, out.Items...)
			count += out.Count
			scanned += out.ScannedCount
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
		items := oracleSortedItems(all)
		sort.Strings(items)
		return oracleAnswer(map[string]any{"Items": items, "Count": count, "ScannedCount": scanned}, nil)
	}, describe: oracleDescribe(map[string]any{"Table": tb.name, "FilterExpression": filter, "Names": names, "Values": values, "Limit": limit})}
}
