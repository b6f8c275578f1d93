package expr

import (
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strings"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// Values is a request's ExpressionAttributeValues. Decoding it validates
// each value as DynamoDB does and words a refusal as DynamoDB words it
// for this parameter: "ExpressionAttributeValues contains invalid value:
// <reason> for key :v".
type Values map[string]attr.Value

// UnmarshalJSON decodes the map, wrapping an invalid value's *attr.Error.
func (v *Values) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		*v = nil
		return nil
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(Values, len(raw))
	for _, k := range keys {
		var val attr.Value
		if err := json.Unmarshal(raw[k], &val); err != nil {
			var ae *attr.Error
			if errors.As(err, &ae) {
				return &attr.Error{Message: "ExpressionAttributeValues contains invalid value: " + ae.Message + " for key " + k}
			}
			return err
		}
		if err := val.CheckNesting(); err != nil {
			return err
		}
		out[k] = val
	}
	*v = out
	return nil
}

var (
	nameKey  = regexp.MustCompile(`^#[0-9a-zA-Z_]+$`)
	valueKey = regexp.MustCompile(`^:[0-9a-zA-Z_]+$`)
)

// Tracker resolves a request's ExpressionAttributeNames (#n) and
// ExpressionAttributeValues (:v) for all of the request's expressions and
// records which were used, so that Unused can refuse the ones no
// expression used, as DynamoDB does. Make one per request with
// NewTracker, parse every expression of the request with it, then call
// Unused.
type Tracker struct {
	names      map[string]string
	values     map[string]attr.Value
	usedNames  map[string]bool
	usedValues map[string]bool
}

// NewTracker checks the two maps as DynamoDB does before it parses any
// expression: present maps must not be empty ("ExpressionAttributeNames
// must not be empty") and their keys must be '#' or ':' and then letters,
// digits or '_' ("ExpressionAttributeNames contains invalid key: Syntax
// error; key: \"x\""). Nil maps are absent parameters.
func NewTracker(names map[string]string, values map[string]attr.Value) (*Tracker, error) {
	if names != nil {
		if len(names) == 0 {
			return nil, &attr.Error{Message: "ExpressionAttributeNames must not be empty"}
		}
		for _, k := range sortedKeys(names) {
			if !nameKey.MatchString(k) {
				return nil, &attr.Error{Message: `ExpressionAttributeNames contains invalid key: Syntax error; key: "` + k + `"`}
			}
		}
	}
	if values != nil {
		if len(values) == 0 {
			return nil, &attr.Error{Message: "ExpressionAttributeValues must not be empty"}
		}
		for _, k := range sortedKeys(values) {
			if !valueKey.MatchString(k) {
				return nil, &attr.Error{Message: `ExpressionAttributeValues contains invalid key: Syntax error; key: "` + k + `"`}
			}
		}
	}
	return &Tracker{names: names, values: values, usedNames: map[string]bool{}, usedValues: map[string]bool{}}, nil
}

// name resolves #n, marking it used.
func (t *Tracker) name(ref string) (string, bool) {
	if t == nil {
		return "", false
	}
	n, ok := t.names[ref]
	if !ok || n == "" {
		return "", false
	}
	t.usedNames[ref] = true
	return n, true
}

// value resolves :v, marking it used.
func (t *Tracker) value(ref string) (attr.Value, bool) {
	if t == nil {
		return attr.Value{}, false
	}
	v, ok := t.values[ref]
	if !ok || v.Type == attr.Invalid {
		return attr.Value{}, false
	}
	t.usedValues[ref] = true
	return v, true
}

// Unused returns DynamoDB's error for names, then values, that no
// expression of the request used ("Value provided in
// ExpressionAttributeNames unused in expressions: keys: {#a, #b}"), or
// nil. Keys are listed in sorted order.
func (t *Tracker) Unused() error {
	if t == nil {
		return nil
	}
	var unusedNames, unusedValues []string
	for _, k := range sortedKeys(t.names) {
		if !t.usedNames[k] {
			unusedNames = append(unusedNames, k)
		}
	}
	if len(unusedNames) > 0 {
		return &attr.Error{Message: "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + strings.Join(unusedNames, ", ") + "}"}
	}
	for _, k := range sortedKeys(t.values) {
		if !t.usedValues[k] {
			unusedValues = append(unusedValues, k)
		}
	}
	if len(unusedValues) > 0 {
		return &attr.Error{Message: "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + strings.Join(unusedValues, ", ") + "}"}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Op is an operation whose expression and non-expression parameters
// CheckParams knows.
type Op uint8

// The operations that take expressions.
const (
	GetItem Op = iota
	PutItem
	DeleteItem
	UpdateItem
	Query
	Scan
	// BatchGetItem is one table's entry of a BatchGetItem (KeysAndAttributes),
	// and TransactGetItems' Get.
	BatchGetItem
)

// opParams lists, per operation and in DynamoDB's order, its expression
// parameters and the legacy parameters they replace.
var opParams = [...]struct{ expressions, legacy []string }{
	GetItem:      {[]string{"ProjectionExpression"}, []string{"AttributesToGet"}},
	PutItem:      {[]string{"ConditionExpression"}, []string{"Expected", "ConditionalOperator"}},
	DeleteItem:   {[]string{"ConditionExpression"}, []string{"Expected", "ConditionalOperator"}},
	UpdateItem:   {[]string{"UpdateExpression", "ConditionExpression"}, []string{"AttributeUpdates", "Expected", "ConditionalOperator"}},
	Query:        {[]string{"ProjectionExpression", "FilterExpression", "KeyConditionExpression"}, []string{"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"}},
	Scan:         {[]string{"ProjectionExpression", "FilterExpression"}, []string{"AttributesToGet", "ScanFilter", "ConditionalOperator"}},
	BatchGetItem: {[]string{"ProjectionExpression"}, []string{"AttributesToGet"}},
}

// CheckParams refuses a request that mixes expression and non-expression
// parameters ("Can not use both expression and non-expression parameters
// in the same request: Non-expression parameters: {Expected} Expression
// parameters: {ConditionExpression}"), or that gives
// ExpressionAttributeNames or ExpressionAttributeValues without an
// expression that could use them. present reports whether the request
// carries the named parameter (by its wire name, including
// "ExpressionAttributeNames" and "ExpressionAttributeValues"). A Query
// may combine KeyConditions with expressions other than
// KeyConditionExpression.
func CheckParams(op Op, present func(param string) bool) error {
	p := opParams[op]
	var exprs, legacy []string
	for _, e := range p.expressions {
		if present(e) {
			exprs = append(exprs, e)
		}
	}
	if len(exprs) > 0 {
		for _, l := range p.legacy {
			if l == "KeyConditions" && !present("KeyConditionExpression") {
				continue
			}
			if present(l) {
				legacy = append(legacy, l)
			}
		}
		if len(legacy) > 0 {
			return &attr.Error{Message: "Can not use both expression and non-expression parameters in the same request: " +
				"Non-expression parameters: {" + strings.Join(legacy, ", ") + "} Expression parameters: {" + strings.Join(exprs, ", ") + "}"}
		}
	}
	if present("ExpressionAttributeNames") && len(exprs) == 0 {
		return &attr.Error{Message: "ExpressionAttributeNames can only be specified when using expressions"}
	}
	var valueExprs []string
	for _, e := range p.expressions {
		if e != "ProjectionExpression" {
			valueExprs = append(valueExprs, e)
		}
	}
	if len(valueExprs) > 0 && present("ExpressionAttributeValues") {
		for _, e := range valueExprs {
			if present(e) {
				return nil
			}
		}
		verb := "is"
		if len(valueExprs) > 1 {
			verb = "are"
		}
		return &attr.Error{Message: "ExpressionAttributeValues can only be specified when using expressions: " + strings.Join(valueExprs, " and ") + " " + verb + " null"}
	}
	return nil
}
