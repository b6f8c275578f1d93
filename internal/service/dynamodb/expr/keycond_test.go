package expr

import (
	"testing"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

func TestKeyCondition(t *testing.T) {
	hash, rng := KeyAttr{"pk", attr.S}, KeyAttr{"sk", attr.N}
	for _, c := range []struct {
		expr      string
		op        RangeOp
		in, out   []string // sort keys that match, and that do not
		wholePart bool
	}{
		{expr: "pk = :s", wholePart: true},
		{expr: ":s = pk", wholePart: true},
		{expr: "pk = :s AND sk = :n", op: EQ, in: []string{"5"}, out: []string{"6", "4.9"}},
		{expr: "sk < :n AND pk = :s", op: LT, in: []string{"4.99", "-10"}, out: []string{"5", "10"}},
		{expr: "pk = :s AND :n < sk", op: GT, in: []string{"5.01", "100"}, out: []string{"5", "-1"}},
		{expr: "pk = :s AND sk <= :n", op: LE, in: []string{"5"}, out: []string{"6"}},
		{expr: "pk = :s AND sk >= :n", op: GE, in: []string{"5", "50"}, out: []string{"4"}},
		{expr: "(pk = :s) AND (sk BETWEEN :n AND :m)", op: Between, in: []string{"5", "7", "10"}, out: []string{"4", "11"}},
		{expr: "(pk = :s AND (sk > :n))", op: GT, in: []string{"6"}, out: []string{"5"}},
	} {
		tr := tracker(t, "", testValues)
		kc, err := ParseKeyCondition(c.expr, tr, hash, rng)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if kc.Hash.Type != attr.S || kc.Hash.Str != "abc" {
			t.Errorf("%s: hash %+v", c.expr, kc.Hash)
		}
		if c.wholePart {
			if kc.Range != nil {
				t.Errorf("%s: range %+v", c.expr, kc.Range)
			}
			continue
		}
		if kc.Range == nil || kc.Range.Op != c.op {
			t.Errorf("%s: range %+v, want %s", c.expr, kc.Range, c.op)
			continue
		}
		for _, s := range c.in {
			if d, _ := attr.ParseNumber(s); !kc.Range.Match(attr.Num(d)) {
				t.Errorf("%s: %s does not match", c.expr, s)
			}
		}
		for _, s := range c.out {
			if d, _ := attr.ParseNumber(s); kc.Range.Match(attr.Num(d)) {
				t.Errorf("%s: %s matches", c.expr, s)
			}
		}
	}
	tr := tracker(t, "", `{":p":{"S":"k"},":pre":{"S":"ab"}}`)
	kc, err := ParseKeyCondition("pk = :p AND begins_with(sk, :pre)", tr, hash, KeyAttr{"sk", attr.S})
	if err != nil {
		t.Fatal(err)
	}
	if !kc.Range.Match(attr.Str("abc")) || kc.Range.Match(attr.Str("b")) || kc.Range.Op != BeginsWith {
		t.Errorf("begins_with: %+v", kc.Range)
	}
}

func TestKeyConditionErrors(t *testing.T) {
	hash, rng := KeyAttr{"pk", attr.S}, KeyAttr{"sk", attr.N}
	for _, c := range []struct {
		expr string
		rng  KeyAttr
		want string
	}{
		{"", rng, "Invalid KeyConditionExpression: The expression can not be empty;"},
		{"pk = :s OR sk = :n", rng, "Invalid operator used in KeyConditionExpression: OR"},
		{"NOT pk = :s", rng, "Invalid operator used in KeyConditionExpression: NOT"},
		{"pk IN (:s)", rng, "Invalid operator used in KeyConditionExpression: IN"},
		{"pk <> :s", rng, "Invalid operator used in KeyConditionExpression: <>"},
		{"attribute_exists(pk)", rng, "Invalid operator used in KeyConditionExpression: attribute_exists"},
		{"size(pk) = :n", rng, "KeyConditionExpressions cannot contain nested operations"},
		{"pk = sk", rng, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{"pk.x = :s", rng, "KeyConditionExpressions cannot have conditions on nested attributes"},
		{":s = :s", rng, "Invalid condition in KeyConditionExpression: No key attribute specified"},
		{"pk = :s AND pk = :s", rng, "KeyConditionExpressions must only contain one condition per key"},
		{"sk = :n", rng, "Query condition missed key schema element: pk"},
		{"attr1 = :s", KeyAttr{}, "Query condition missed key schema element: pk"},
		{"pk = :s AND x1 = :n", rng, "Query condition missed key schema element: sk"},
		{"pk = :s AND sk = :n", KeyAttr{}, "Query key condition not supported"},
		{"pk < :s", rng, "Query key condition not supported"},
		{"begins_with(pk, :s)", rng, "Query key condition not supported"},
		{"pk = :n", rng, "One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{"pk = :s AND sk = :s", rng, "One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{"pk = :s AND begins_with(sk, :n)", rng, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"pk = :s AND sk BETWEEN :m AND :n", rng, "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:5}"},
		{"pk = :s AND sk = :t", rng, "One or more parameter values were invalid: ComparisonOperator EQ is not valid for BOOL AttributeValue type"},
		{"((pk = :s)) AND ((sk > :n))", rng, "Invalid KeyConditionExpression: The expression has redundant parentheses;"},
	} {
		tr := tracker(t, "", testValues)
		_, err := ParseKeyCondition(c.expr, tr, hash, c.rng)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.expr, err, c.want)
		}
	}
}
