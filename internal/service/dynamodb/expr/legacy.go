package expr

import (
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// ExpectedAttributeValue is one attribute's entry of the legacy Expected
// parameter (PutItem, UpdateItem, DeleteItem), in its wire form.
type ExpectedAttributeValue struct {
	Value              *attr.Value  `json:"Value,omitempty"`
	Exists             *bool        `json:"Exists,omitempty"`
	ComparisonOperator string       `json:"ComparisonOperator,omitempty"`
	AttributeValueList []attr.Value `json:"AttributeValueList,omitempty"`
}

// LegacyCondition is one attribute's entry of KeyConditions, QueryFilter
// or ScanFilter (the Condition shape), in its wire form.
type LegacyCondition struct {
	ComparisonOperator string       `json:"ComparisonOperator"`
	AttributeValueList []attr.Value `json:"AttributeValueList,omitempty"`
}

// AttributeValueUpdate is one attribute's entry of the legacy
// AttributeUpdates parameter of UpdateItem, in its wire form. Action is
// PUT (the default), ADD or DELETE.
type AttributeValueUpdate struct {
	Value  *attr.Value `json:"Value,omitempty"`
	Action string      `json:"Action,omitempty"`
}

// operandCounts is how many values each ComparisonOperator takes (-1:
// one or more).
var operandCounts = map[string]int{
	"NULL": 0, "NOT_NULL": 0, "EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1,
	"CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "IN": -1, "BETWEEN": 2,
}

// operatorTypes are the value types each ComparisonOperator accepts in
// KeyConditions, QueryFilter and ScanFilter.
var operatorTypes = map[string][]attr.Type{
	"EQ": {attr.S, attr.N, attr.B, attr.SS, attr.NS, attr.BS}, "NE": {attr.S, attr.N, attr.B, attr.SS, attr.NS, attr.BS},
	"LE": {attr.S, attr.N, attr.B}, "LT": {attr.S, attr.N, attr.B}, "GE": {attr.S, attr.N, attr.B}, "GT": {attr.S, attr.N, attr.B},
	"CONTAINS": {attr.S, attr.N, attr.B}, "NOT_CONTAINS": {attr.S, attr.N, attr.B}, "BEGINS_WITH": {attr.S, attr.B},
	"IN": {attr.S, attr.N, attr.B}, "BETWEEN": {attr.S, attr.N, attr.B},
}

func paramsInvalid(msg string) error { return &attr.Error{Message: attr.ParamsInvalid + msg} }

// countOK reports whether n values suit the operator.
func countOK(op string, n int) bool {
	want, ok := operandCounts[op]
	return ok && (want == n || want < 0 && n > 0)
}

// sameTypes refuses values of mixed types and a BETWEEN whose lower
// bound is above its upper one.
func sameTypes(op string, vals []attr.Value) error {
	for _, v := range vals[1:] {
		if v.Type != vals[0].Type {
			return paramsInvalid("AttributeValues inside AttributeValueList must be of same type")
		}
	}
	if op == "BETWEEN" {
		if c, ok := attr.Compare(vals[0], vals[1]); ok && c > 0 {
			return &attr.Error{Message: "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"}
		}
	}
	return nil
}

// checkLegacyConds validates KeyConditions, QueryFilter or ScanFilter
// entries as DynamoDB does.
func checkLegacyConds(conds map[string]legacyCond) error {
	for _, name := range sortedKeys(conds) {
		c := conds[name]
		if !countOK(c.op, len(c.values)) {
			return paramsInvalid("Invalid number of argument(s) for the " + c.op + " ComparisonOperator")
		}
		if len(c.values) == 0 {
			continue
		}
		for _, v := range c.values[1:] {
			if v.Type != c.values[0].Type {
				return paramsInvalid("AttributeValues inside AttributeValueList must be of same type")
			}
		}
		for _, v := range c.values {
			ok := false
			for _, t := range operatorTypes[c.op] {
				ok = ok || t == v.Type
			}
			if !ok {
				return paramsInvalid("ComparisonOperator " + c.op + " is not valid for " + v.Type.String() + " AttributeValue type")
			}
		}
		if err := sameTypes(c.op, c.values); err != nil {
			return err
		}
	}
	return nil
}

// legacyNode builds the condition a legacy operator makes of attribute
// name and its values.
func legacyNode(name, op string, vals []attr.Value) *cond {
	args := []*operand{{kind: opPath, path: Path{{Name: name}}}}
	for _, v := range vals {
		args = append(args, &operand{kind: opValue, val: v})
	}
	cmps := map[string]string{"EQ": "=", "NE": "<>", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}
	switch op {
	case "NULL":
		return &cond{op: cFunc, name: "attribute_not_exists", args: args}
	case "NOT_NULL":
		return &cond{op: cFunc, name: "attribute_exists", args: args}
	case "CONTAINS":
		return &cond{op: cFunc, name: "contains", args: args}
	case "NOT_CONTAINS":
		return &cond{op: cNot, a: &cond{op: cFunc, name: "contains", args: args}}
	case "BEGINS_WITH":
		return &cond{op: cFunc, name: "begins_with", args: args}
	case "IN":
		return &cond{op: cIn, args: args}
	case "BETWEEN":
		return &cond{op: cBetween, args: args}
	}
	return &cond{op: cCmp, cmp: cmps[op], args: args}
}

// join combines per-attribute conditions with ConditionalOperator (AND
// unless it is OR).
func join(nodes []*cond, conditionalOperator string) *Condition {
	if len(nodes) == 0 {
		return nil
	}
	op := cAnd
	if conditionalOperator == "OR" {
		op = cOr
	}
	root := nodes[0]
	var paths []Path
	for i, n := range nodes {
		paths = append(paths, n.firstPath())
		if i > 0 {
			root = &cond{op: op, a: root, b: n}
		}
	}
	return &Condition{root: root, paths: paths}
}

// firstPath is the attribute a legacy condition tests.
func (c *cond) firstPath() Path {
	if c.op == cNot {
		return c.a.firstPath()
	}
	return c.args[0].path
}

// FromExpected translates the legacy Expected parameter, validating it as
// DynamoDB does ("Value and AttributeValueList cannot be used together for
// Attribute: a", "Value must be provided when Exists is true for
// Attribute: a", ...). A nil map gives a nil *Condition, which holds.
func FromExpected(m map[string]ExpectedAttributeValue, conditionalOperator string) (*Condition, error) {
	var nodes []*cond
	for _, name := range sortedKeys(m) {
		e := m[name]
		var vals []attr.Value
		switch {
		case e.AttributeValueList != nil && e.Value != nil:
			return nil, paramsInvalid("Value and AttributeValueList cannot be used together for Attribute: " + name)
		case e.ComparisonOperator != "":
			if e.Exists != nil {
				return nil, paramsInvalid("Exists and ComparisonOperator cannot be used together for Attribute: " + name)
			}
			if e.ComparisonOperator != "NULL" && e.ComparisonOperator != "NOT_NULL" && e.AttributeValueList == nil && e.Value == nil {
				return nil, paramsInvalid("Value or AttributeValueList must be used with ComparisonOperator: " + e.ComparisonOperator + " for Attribute: " + name)
			}
			vals = e.AttributeValueList
			if e.Value != nil {
				vals = []attr.Value{*e.Value}
			}
			if !countOK(e.ComparisonOperator, len(vals)) {
				return nil, paramsInvalid("Invalid number of argument(s) for the " + e.ComparisonOperator + " ComparisonOperator")
			}
			if len(vals) > 0 {
				if err := sameTypes(e.ComparisonOperator, vals); err != nil {
					return nil, err
				}
			}
			nodes = append(nodes, legacyNode(name, e.ComparisonOperator, vals))
		case e.AttributeValueList != nil:
			return nil, paramsInvalid("AttributeValueList can only be used with a ComparisonOperator for Attribute: " + name)
		default:
			exists := e.Exists == nil || *e.Exists
			switch {
			case exists && e.Value == nil:
				shown := "null"
				if e.Exists != nil {
					shown = "true"
				}
				return nil, paramsInvalid("Value must be provided when Exists is " + shown + " for Attribute: " + name)
			case !exists && e.Value != nil:
				return nil, paramsInvalid("Value cannot be used when Exists is false for Attribute: " + name)
			case exists:
				nodes = append(nodes, legacyNode(name, "EQ", []attr.Value{*e.Value}))
			default:
				nodes = append(nodes, legacyNode(name, "NULL", nil))
			}
		}
	}
	return join(nodes, conditionalOperator), nil
}

// FromFilter translates a legacy QueryFilter or ScanFilter, validating it
// as DynamoDB does ("One or more parameter values were invalid:
// ComparisonOperator BEGINS_WITH is not valid for N AttributeValue
// type", ...). A nil map gives a nil *Condition, which holds.
func FromFilter(m map[string]LegacyCondition, conditionalOperator string) (*Condition, error) {
	conds := legacyConds(m)
	if err := checkLegacyConds(conds); err != nil {
		return nil, err
	}
	var nodes []*cond
	for _, name := range sortedKeys(conds) {
		nodes = append(nodes, legacyNode(name, conds[name].op, conds[name].values))
	}
	return join(nodes, conditionalOperator), nil
}

func legacyConds(m map[string]LegacyCondition) map[string]legacyCond {
	out := make(map[string]legacyCond, len(m))
	for k, c := range m {
		out[k] = legacyCond{op: c.ComparisonOperator, values: c.AttributeValueList}
	}
	return out
}

// FromKeyConditions translates a Query's legacy KeyConditions, with the
// same checks as ParseKeyCondition.
func FromKeyConditions(m map[string]LegacyCondition, hash, rng KeyAttr) (*KeyCondition, error) {
	conds := legacyConds(m)
	if err := checkLegacyConds(conds); err != nil {
		return nil, err
	}
	return keyCondition(conds, hash, rng)
}

// FromAttributeUpdates translates UpdateItem's legacy AttributeUpdates:
// PUT sets, ADD adds to a number, a set or a list, DELETE without a value
// removes the attribute and with a set removes its elements.
func FromAttributeUpdates(m map[string]AttributeValueUpdate) (*Update, error) {
	u := &Update{legacy: true}
	for _, name := range sortedKeys(m) {
		a := m[name]
		path := Path{{Name: name}}
		if a.Value == nil {
			if a.Action != "DELETE" {
				return nil, paramsInvalid("Only DELETE action is allowed when no attribute value is specified")
			}
			u.actions = append(u.actions, action{kind: actRemove, path: path})
			continue
		}
		val := &operand{kind: opValue, val: *a.Value}
		t := a.Value.Type
		switch a.Action {
		case "DELETE":
			if t != attr.SS && t != attr.NS && t != attr.BS {
				return nil, paramsInvalid("DELETE action with value is not supported for the type " + t.String())
			}
			u.actions = append(u.actions, action{kind: actDelete, path: path, val: val})
		case "ADD":
			if t != attr.L && t != attr.SS && t != attr.NS && t != attr.BS && t != attr.N {
				return nil, paramsInvalid("ADD action is not supported for the type " + t.String())
			}
			u.actions = append(u.actions, action{kind: actAdd, path: path, val: val})
		default:
			u.actions = append(u.actions, action{kind: actSet, path: path, val: val})
		}
	}
	return u, nil
}

// FromAttributesToGet translates the legacy AttributesToGet, refusing
// duplicates ("One or more parameter values were invalid: Duplicate
// value in attribute name: a"). A nil list gives a nil *Projection,
// which returns whole items.
func FromAttributesToGet(names []string) (*Projection, error) {
	if names == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	p := &Projection{}
	for _, n := range names {
		if seen[n] {
			return nil, paramsInvalid("Duplicate value in attribute name: " + n)
		}
		seen[n] = true
		p.paths = append(p.paths, Path{{Name: n}})
	}
	return p, nil
}
