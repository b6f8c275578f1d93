package expr

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

func TestTracker(t *testing.T) {
	for _, c := range []struct{ names, values, want string }{
		{`{}`, "", "ExpressionAttributeNames must not be empty"},
		{"", `{}`, "ExpressionAttributeValues must not be empty"},
		{`{"x":"a"}`, "", `ExpressionAttributeNames contains invalid key: Syntax error; key: "x"`},
		{`{"#a-b":"a"}`, "", `ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b"`},
		{"", `{"v":{"S":"a"}}`, `ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`},
	} {
		var n map[string]string
		var v Values
		if c.names != "" {
			_ = json.Unmarshal([]byte(c.names), &n)
		}
		if c.values != "" {
			_ = json.Unmarshal([]byte(c.values), &v)
		}
		_, err := NewTracker(n, v)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s %s: got %v, want %s", c.names, c.values, err, c.want)
		}
	}
	var v Values
	err := json.Unmarshal([]byte(`{":ok":{"S":"a"},":v":{"SS":[]}}`), &v)
	if want := "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v"; err == nil || err.Error() != want {
		t.Errorf("invalid value: got %v, want %s", err, want)
	}

	deep := `{"S":"x"}`
	for range 32 {
		deep = `{"L":[` + deep + `]}`
	}
	v = nil
	err = json.Unmarshal([]byte(`{":d":`+deep+`}`), &v)
	if want := "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"; err == nil || err.Error() != want {
		t.Errorf("deep value: got %v, want %s", err, want)
	}

	// One tracker spans the request's expressions.
	tr := tracker(t, `{"#a":"a","#b":"b","#z":"z"}`, `{":x":{"S":"x"},":y":{"S":"y"},":w":{"S":"w"}}`)
	if _, err := ParseCondition("ConditionExpression", "#a = :x", tr); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProjection("#b", tr); err != nil {
		t.Fatal(err)
	}
	if err := tr.Unused(); err == nil || err.Error() != "Value provided in ExpressionAttributeNames unused in expressions: keys: {#z}" {
		t.Errorf("unused names: %v", err)
	}
	if _, err := ParseUpdate("SET #z = :y", tr); err != nil {
		t.Fatal(err)
	}
	if err := tr.Unused(); err == nil || err.Error() != "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}" {
		t.Errorf("unused values: %v", err)
	}
}

func TestCheckParams(t *testing.T) {
	for _, c := range []struct {
		op      Op
		present string
		want    string
	}{
		{PutItem, "Expected ConditionExpression", "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"},
		{UpdateItem, "AttributeUpdates UpdateExpression ExpressionAttributeValues", "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"},
		{GetItem, "AttributesToGet ProjectionExpression", "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"},
		{Query, "KeyConditions FilterExpression", ""},
		{Query, "KeyConditions KeyConditionExpression QueryFilter", "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter, KeyConditions} Expression parameters: {KeyConditionExpression}"},
		{PutItem, "ExpressionAttributeValues", "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"},
		{UpdateItem, "ExpressionAttributeValues", "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"},
		{Scan, "ExpressionAttributeValues ProjectionExpression", "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"},
		{GetItem, "ExpressionAttributeNames", "ExpressionAttributeNames can only be specified when using expressions"},
		{GetItem, "ExpressionAttributeNames ProjectionExpression", ""},
		{DeleteItem, "Expected ConditionalOperator", ""},
	} {
		present := strings.Fields(c.present)
		err := CheckParams(c.op, func(p string) bool {
			for _, q := range present {
				if p == q {
					return true
				}
			}
			return false
		})
		if c.want == "" && err != nil || c.want != "" && (err == nil || err.Error() != c.want) {
			t.Errorf("%d %s: got %v, want %q", c.op, c.present, err, c.want)
		}
	}
}

func TestExpected(t *testing.T) {
	it := item(t, `{"a":{"S":"x"},"n":{"N":"5"},"ss":{"SS":["p","q"]}}`)
	for _, c := range []struct {
		expected, op string
		want         bool
	}{
		{`{"a":{"Value":{"S":"x"}}}`, "", true},
		{`{"a":{"Value":{"S":"x"},"Exists":true}}`, "", true},
		{`{"b":{"Exists":false}}`, "", true},
		{`{"a":{"Exists":false}}`, "", false},
		{`{"n":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"4"}]}}`, "", true},
		{`{"n":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"6"},{"N":"9"}]}}`, "", false},
		{`{"n":{"ComparisonOperator":"IN","AttributeValueList":[{"N":"6"},{"N":"5"}]}}`, "", true},
		{`{"ss":{"ComparisonOperator":"CONTAINS","Value":{"S":"q"}}}`, "", true},
		{`{"ss":{"ComparisonOperator":"NOT_CONTAINS","Value":{"S":"q"}}}`, "", false},
		{`{"a":{"ComparisonOperator":"BEGINS_WITH","Value":{"S":"x"}},"n":{"ComparisonOperator":"NULL"}}`, "AND", false},
		{`{"a":{"ComparisonOperator":"BEGINS_WITH","Value":{"S":"x"}},"n":{"ComparisonOperator":"NULL"}}`, "OR", true},
		{`{"z":{"ComparisonOperator":"NE","Value":{"S":"x"}}}`, "", true},
	} {
		var m map[string]ExpectedAttributeValue
		if err := json.Unmarshal([]byte(c.expected), &m); err != nil {
			t.Fatal(err)
		}
		cond, err := FromExpected(m, c.op)
		if err != nil {
			t.Errorf("%s: %v", c.expected, err)
			continue
		}
		if got := cond.Eval(it); got != c.want {
			t.Errorf("%s %s: got %v, want %v", c.expected, c.op, got, c.want)
		}
	}
	for _, c := range []struct{ expected, want string }{
		{`{"a":{"Value":{"S":"x"},"AttributeValueList":[{"S":"x"}]}}`, "Value and AttributeValueList cannot be used together for Attribute: a"},
		{`{"a":{"Exists":true,"ComparisonOperator":"EQ","Value":{"S":"x"}}}`, "Exists and ComparisonOperator cannot be used together for Attribute: a"},
		{`{"a":{"ComparisonOperator":"EQ"}}`, "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"},
		{`{"a":{"AttributeValueList":[{"S":"x"}]}}`, "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"},
		{`{"a":{}}`, "Value must be provided when Exists is null for Attribute: a"},
		{`{"a":{"Exists":true}}`, "Value must be provided when Exists is true for Attribute: a"},
		{`{"a":{"Exists":false,"Value":{"S":"x"}}}`, "Value cannot be used when Exists is false for Attribute: a"},
		{`{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"x"}]}}`, "Invalid number of argument(s) for the BETWEEN ComparisonOperator"},
		{`{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"x"},{"N":"1"}]}}`, "AttributeValues inside AttributeValueList must be of same type"},
	} {
		var m map[string]ExpectedAttributeValue
		if err := json.Unmarshal([]byte(c.expected), &m); err != nil {
			t.Fatal(err)
		}
		_, err := FromExpected(m, "")
		if want := attr.ParamsInvalid + c.want; err == nil || err.Error() != want {
			t.Errorf("%s:\n got %v\nwant %s", c.expected, err, want)
		}
	}
}

func TestLegacyFiltersAndKeys(t *testing.T) {
	var f map[string]LegacyCondition
	_ = json.Unmarshal([]byte(`{"n":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"N":"1"}]}}`), &f)
	if _, err := FromFilter(f, ""); err == nil || err.Error() != attr.ParamsInvalid+"ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type" {
		t.Errorf("filter type: %v", err)
	}
	f = nil
	_ = json.Unmarshal([]byte(`{"n":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"9"},{"N":"1"}]}}`), &f)
	if _, err := FromFilter(f, ""); err == nil || err.Error() != "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound" {
		t.Errorf("filter between: %v", err)
	}
	f = nil
	_ = json.Unmarshal([]byte(`{"n":{"ComparisonOperator":"GE","AttributeValueList":[{"N":"5"}]},"s":{"ComparisonOperator":"NOT_NULL"}}`), &f)
	c, err := FromFilter(f, "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Eval(item(t, `{"n":{"N":"5"},"s":{"S":""}}`)) || c.Eval(item(t, `{"n":{"N":"5"}}`)) {
		t.Error("filter evaluation")
	}
	var k map[string]LegacyCondition
	_ = json.Unmarshal([]byte(`{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]},"sk":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"x"}]}}`), &k)
	kc, err := FromKeyConditions(k, KeyAttr{"pk", attr.S}, KeyAttr{"sk", attr.S})
	if err != nil {
		t.Fatal(err)
	}
	if kc.Hash.Str != "a" || kc.Range.Op != BeginsWith || !kc.Range.Match(attr.Str("xy")) {
		t.Errorf("key conditions: %+v %+v", kc.Hash, kc.Range)
	}
	k = nil
	_ = json.Unmarshal([]byte(`{"pk":{"ComparisonOperator":"NE","AttributeValueList":[{"S":"a"}]}}`), &k)
	if _, err := FromKeyConditions(k, KeyAttr{"pk", attr.S}, KeyAttr{}); err == nil || err.Error() != "Attempted conditional constraint is not an indexable operation" {
		t.Errorf("NE key condition: %v", err)
	}
}

func TestAttributeUpdates(t *testing.T) {
	var m map[string]AttributeValueUpdate
	_ = json.Unmarshal([]byte(`{"a":{"Value":{"S":"x"}},"n":{"Value":{"N":"2"},"Action":"ADD"},"l":{"Value":{"L":[{"S":"z"}]},"Action":"ADD"},"ss":{"Value":{"SS":["p"]},"Action":"DELETE"},"gone":{"Action":"DELETE"}}`), &m)
	u, err := FromAttributeUpdates(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := u.Apply(item(t, `{"n":{"N":"1"},"l":{"L":[{"S":"y"}]},"ss":{"SS":["p","q"]},"gone":{"S":"g"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":{"S":"x"},"l":{"L":[{"S":"y"},{"S":"z"}]},"n":{"N":"3"},"ss":{"SS":["q"]}}`; canon(t, got) != want {
		t.Errorf("got %s, want %s", canon(t, got), want)
	}
	_, err = u.Apply(item(t, `{"n":{"S":"1"}}`))
	if err == nil || err.Error() != "Type mismatch for attribute to update" {
		t.Errorf("mismatch: %v", err)
	}
	for in, want := range map[string]string{
		`{"a":{"Action":"PUT"}}`:                                        "Only DELETE action is allowed when no attribute value is specified",
		`{"a":{"Action":"DELETE","Value":{"S":"x"}}}`:                   "DELETE action with value is not supported for the type S",
		`{"a":{"Action":"ADD","Value":{"M":{}}}}`:                       "ADD action is not supported for the type M",
		`{"a":{"Action":"ADD","Value":{"N":"1"}},"b":{"Action":"ADD"}}`: "Only DELETE action is allowed when no attribute value is specified",
	} {
		m = nil
		_ = json.Unmarshal([]byte(in), &m)
		if _, err := FromAttributeUpdates(m); err == nil || err.Error() != attr.ParamsInvalid+want {
			t.Errorf("%s: %v", in, err)
		}
	}
	p, err := FromAttributesToGet([]string{"a", "b"})
	if err != nil || canon(t, p.Apply(item(t, `{"a":{"S":"x"},"c":{"S":"y"}}`))) != `{"a":{"S":"x"}}` {
		t.Errorf("AttributesToGet: %v", err)
	}
	if _, err := FromAttributesToGet([]string{"a", "a"}); err == nil || err.Error() != attr.ParamsInvalid+"Duplicate value in attribute name: a" {
		t.Errorf("duplicate AttributesToGet: %v", err)
	}
}
