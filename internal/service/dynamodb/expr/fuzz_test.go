package expr

import (
	"errors"
	"testing"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// FuzzParse checks that no text makes a parser panic, that every refusal
// is an *attr.Error, and that what parses evaluates without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a = :s", "#n.b[2] BETWEEN :n AND :m", "NOT (a IN (:s, :n)) OR size(b) > :n", "begins_with(a, :s) AND contains(l, :n)",
		"attribute_type(a, :ty)", "((a = :s))", "SET a = list_append(if_not_exists(a, :l), :l), b = b + :n REMOVE c[1] ADD d :n DELETE e :ss",
		"a.b, c[0].d", "pk = :s AND sk BETWEEN :n AND :m", "!!", "a[", "SET a[99999999999999999999] = :n", ":s = size(", "#", ":",
	} {
		f.Add(s)
	}
	doc := item(f, `{"a":{"S":"abc"},"b":{"N":"1"},"c":{"L":[{"N":"1"},{"M":{"d":{"S":"x"}}}]},"d":{"N":"2"},"e":{"SS":["x"]},"l":{"L":[]},"x":{"M":{"b":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		check := func(err error) {
			var ae *attr.Error
			if err != nil && !errors.As(err, &ae) {
				t.Fatalf("%q: error %T %v", s, err, err)
			}
		}
		tr := tracker(t, `{"#n":"x"}`, testValues)
		c, err := ParseCondition("ConditionExpression", s, tr)
		check(err)
		if err == nil {
			c.Eval(doc)
			c.Eval(nil)
		}
		u, err := ParseUpdate(s, tr)
		check(err)
		if err == nil {
			_, err = u.Apply(doc)
			check(err)
			_, err = u.Apply(nil)
			check(err)
		}
		p, err := ParseProjection(s, tr)
		check(err)
		if err == nil {
			p.Apply(doc)
		}
		_, err = ParseKeyCondition(s, tr, KeyAttr{"a", attr.S}, KeyAttr{"b", attr.N})
		check(err)
		check(tr.Unused())
	})
}
