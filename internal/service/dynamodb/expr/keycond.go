package expr

import (
	"bytes"
	"strings"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// KeyAttr is a key attribute of the table or index a Query reads: its
// name and type (S, N or B). A zero KeyAttr is "no sort key".
type KeyAttr struct {
	Name string
	Type attr.Type
}

// RangeOp is a sort-key condition's operator.
type RangeOp uint8

// The sort-key operators, named as the legacy ComparisonOperator names
// them.
const (
	EQ RangeOp = iota
	LT
	LE
	GT
	GE
	Between
	BeginsWith
)

var rangeOpNames = [...]string{EQ: "EQ", LT: "LT", LE: "LE", GT: "GT", GE: "GE", Between: "BETWEEN", BeginsWith: "BEGINS_WITH"}

// String returns the operator's ComparisonOperator name.
func (op RangeOp) String() string { return rangeOpNames[op] }

// RangeCond is a condition on the sort key: Values holds one operand, or
// the two bounds of Between.
type RangeCond struct {
	Op     RangeOp
	Values []attr.Value
}

// Match reports whether a sort-key value satisfies the condition.
func (r *RangeCond) Match(v attr.Value) bool {
	if r == nil {
		return true
	}
	c, ok := attr.Compare(v, r.Values[0])
	if !ok {
		return false
	}
	switch r.Op {
	case EQ:
		return c == 0
	case LT:
		return c < 0
	case LE:
		return c <= 0
	case GT:
		return c > 0
	case GE:
		return c >= 0
	case Between:
		hi, _ := attr.Compare(v, r.Values[1])
		return c >= 0 && hi <= 0
	case BeginsWith:
		if v.Type == attr.B {
			return bytes.HasPrefix(v.Bin, r.Values[0].Bin)
		}
		return strings.HasPrefix(v.Str, r.Values[0].Str)
	}
	return false
}

// KeyCondition is a Query's key condition: the partition key's value and
// an optional condition on the sort key.
type KeyCondition struct {
	Hash  attr.Value
	Range *RangeCond
}

// legacyCond is one attribute's condition in the legacy form, which
// KeyConditionExpression is checked in after parsing.
type legacyCond struct {
	op     string
	values []attr.Value
}

var keyOps = map[string]string{"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}

// flipped is the operator with its operands swapped (:v < k is k > :v).
var flipped = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// ParseKeyCondition parses a KeyConditionExpression against the key
// schema of the table or index queried: hash, and rng (zero without a
// sort key). Beyond the condition grammar's errors it gives DynamoDB's
// key-condition ones: "Invalid operator used in KeyConditionExpression:
// OR", "KeyConditionExpressions must only contain one condition per key",
// "Query condition missed key schema element: id", "Query key condition
// not supported", "One or more parameter values were invalid: Condition
// parameter type does not match schema type".
func ParseKeyCondition(text string, tr *Tracker, hash, rng KeyAttr) (*KeyCondition, error) {
	const kind = "KeyConditionExpression"
	var root *cond
	if _, err := parse(kind, text, tr, catAttrName, conditionOrder, func(p *parser) {
		root = p.condition()
	}); err != nil {
		return nil, err
	}
	conds := map[string]legacyCond{}
	if msg := keyConds(root, conds); msg != "" {
		return nil, &attr.Error{Message: msg}
	}
	if err := checkLegacyConds(conds); err != nil {
		return nil, err
	}
	return keyCondition(conds, hash, rng)
}

// keyConds flattens a key condition's ANDs into one legacy condition per
// attribute, or returns DynamoDB's message for what a key condition
// cannot hold.
func keyConds(c *cond, out map[string]legacyCond) string {
	switch c.op {
	case cAnd:
		if msg := keyConds(c.a, out); msg != "" {
			return msg
		}
		return keyConds(c.b, out)
	case cOr:
		return "Invalid operator used in KeyConditionExpression: OR"
	case cNot:
		return "Invalid operator used in KeyConditionExpression: NOT"
	case cIn:
		return "Invalid operator used in KeyConditionExpression: IN"
	case cCmp:
		if c.cmp == "<>" {
			return "Invalid operator used in KeyConditionExpression: <>"
		}
	case cFunc:
		if c.name != "begins_with" {
			return "Invalid operator used in KeyConditionExpression: " + c.name
		}
	}
	for _, a := range c.args {
		if a.kind == opCall {
			return "KeyConditionExpressions cannot contain nested operations"
		}
	}
	if (c.op == cBetween || c.op == cFunc) && c.args[0].kind != opPath {
		name := "BETWEEN"
		if c.op == cFunc {
			name = c.name
		}
		return "Invalid condition in KeyConditionExpression: " + name + " operator must have the key attribute as its first operand"
	}
	var key Path
	at := 0
	for i, a := range c.args {
		if a.kind != opPath {
			continue
		}
		if key != nil {
			return "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
		}
		if len(a.path) > 1 {
			return "KeyConditionExpressions cannot have conditions on nested attributes"
		}
		key, at = a.path, i
	}
	if key == nil {
		return "Invalid condition in KeyConditionExpression: No key attribute specified"
	}
	name := key.Head()
	if _, dup := out[name]; dup {
		return "KeyConditionExpressions must only contain one condition per key"
	}
	var lc legacyCond
	switch c.op {
	case cCmp:
		op := c.cmp
		if at != 0 {
			op = flipped[op]
		}
		lc = legacyCond{op: keyOps[op], values: []attr.Value{c.args[1-at].val}}
	case cBetween:
		lc = legacyCond{op: "BETWEEN", values: []attr.Value{c.args[1].val, c.args[2].val}}
	case cFunc:
		lc = legacyCond{op: "BEGINS_WITH", values: []attr.Value{c.args[1].val}}
	}
	out[name] = lc
	return ""
}

// keyCondition checks conditions against the key schema, in DynamoDB's
// order (partition key, then sort key), and builds the KeyCondition.
func keyCondition(conds map[string]legacyCond, hash, rng KeyAttr) (*KeyCondition, error) {
	fail := func(msg string) (*KeyCondition, error) { return nil, &attr.Error{Message: msg} }
	if n := len(conds); n != 1 && n != 2 {
		return fail("Conditions can be of length 1 or 2 only")
	}
	kc := &KeyCondition{}
	keys := []KeyAttr{hash}
	if rng.Name != "" {
		keys = append(keys, rng)
	}
	for i, k := range keys {
		isHash := i == 0
		if isHash && len(keys) == 1 && len(conds) > 1 {
			return fail("Query key condition not supported")
		}
		c, ok := conds[k.Name]
		if !ok {
			if isHash || len(conds) > 1 {
				return fail("Query condition missed key schema element: " + k.Name)
			}
			continue
		}
		switch c.op {
		case "NULL", "NOT_NULL", "NE", "CONTAINS", "NOT_CONTAINS", "IN":
			return fail("Attempted conditional constraint is not an indexable operation")
		}
		for _, v := range c.values {
			if v.Type != k.Type {
				return fail(attr.ParamsInvalid + "Condition parameter type does not match schema type")
			}
		}
		if isHash {
			if c.op != "EQ" {
				return fail("Query key condition not supported")
			}
			kc.Hash = c.values[0]
			continue
		}
		kc.Range = &RangeCond{Op: rangeOpOf(c.op), Values: c.values}
	}
	return kc, nil
}

func rangeOpOf(name string) RangeOp {
	for op, n := range rangeOpNames {
		if n == name {
			return RangeOp(op)
		}
	}
	return EQ
}
