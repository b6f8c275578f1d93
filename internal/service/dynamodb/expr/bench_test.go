package expr

import (
	"encoding/json"
	"testing"
)

const benchDoc = `{"id":{"S":"user#1"},"n":{"N":"7"},"s":{"S":"abcdef"},"tags":{"SS":["x","y","z"]},"m":{"M":{"k":{"S":"v"},"c":{"N":"10"}}},"l":{"L":[{"N":"1"},{"N":"2"}]}}`

// BenchmarkParseCondition parses a typical conditional-write condition.
func BenchmarkParseCondition(b *testing.B) {
	var values Values
	if err := json.Unmarshal([]byte(testValues), &values); err != nil {
		b.Fatal(err)
	}
	names := map[string]string{"#s": "status"}
	b.ResetTimer()
	for range b.N {
		tr, err := NewTracker(names, values)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseCondition("ConditionExpression", "attribute_exists(id) AND (#s <> :s OR n BETWEEN :n AND :m) AND contains(tags, :a)", tr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConditionEval evaluates a parsed filter against one item, as a
// Scan does for every item it reads.
func BenchmarkConditionEval(b *testing.B) {
	tr := tracker(b, "", testValues)
	c, err := ParseCondition("FilterExpression", "n > :n AND begins_with(s, :a) AND size(l) < :m AND m.c >= :m", tr)
	if err != nil {
		b.Fatal(err)
	}
	it := item(b, benchDoc)
	b.ResetTimer()
	for range b.N {
		c.Eval(it)
	}
}

// BenchmarkUpdateApply applies a counter-and-list update to one item.
func BenchmarkUpdateApply(b *testing.B) {
	tr := tracker(b, "", testValues)
	u, err := ParseUpdate("SET n = n + :n, l = list_append(l, :l), m.k = :s REMOVE s ADD tags :ss", tr)
	if err != nil {
		b.Fatal(err)
	}
	it := item(b, benchDoc)
	b.ResetTimer()
	for range b.N {
		if _, err := u.Apply(it); err != nil {
			b.Fatal(err)
		}
	}
}
