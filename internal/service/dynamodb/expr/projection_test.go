package expr

import "testing"

func TestProjectionApply(t *testing.T) {
	const doc = `{"id":{"S":"k"},"a":{"M":{"b":{"N":"1"},"c":{"L":[{"S":"x"},{"S":"y"},{"M":{"d":{"S":"z"},"e":{"S":"w"}}}]}}},"l":{"L":[{"N":"0"},{"N":"1"},{"N":"2"},{"N":"3"}]},"s":{"S":"v"}}`
	for _, c := range []struct{ expr, want string }{
		{"id", `{"id":{"S":"k"}}`},
		{"id, s, nope", `{"id":{"S":"k"},"s":{"S":"v"}}`},
		{"a.b", `{"a":{"M":{"b":{"N":"1"}}}}`},
		{"a.c[2].d, a.b", `{"a":{"M":{"b":{"N":"1"},"c":{"L":[{"M":{"d":{"S":"z"}}}]}}}}`},
		{"l[3], l[1]", `{"l":{"L":[{"N":"1"},{"N":"3"}]}}`},
		{"l[7]", `{}`},
		{"a.nope, s.x, l.x", `{}`},
		{"#n, a.#n", `{}`},
	} {
		tr := tracker(t, `{"#n":"name"}`, "")
		p, err := ParseProjection(c.expr, tr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := canon(t, p.Apply(item(t, doc))); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.expr, got, c.want)
		}
	}
	var none *Projection
	if got := canon(t, none.Apply(item(t, `{"a":{"S":"x"}}`))); got != `{"a":{"S":"x"}}` {
		t.Errorf("nil projection: %s", got)
	}
}

func TestProjectionErrors(t *testing.T) {
	const prefix = "Invalid ProjectionExpression: "
	for _, c := range []struct{ expr, want string }{
		{"", "The expression can not be empty;"},
		{"!!! INVALID !!!", `Syntax error; token: "!", near: "!!"`},
		{"a b", `Syntax error; token: "b", near: "a b"`},
		{"a,", `Syntax error; token: "<EOF>", near: ","`},
		{"a = :v", `Syntax error; token: "=", near: "a = :v"`},
		{"a, a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"a.b, a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"},
		{"a[0], a.b", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"},
		{"#undefined", "An expression attribute name used in the document path is not defined; attribute name: #undefined"},
		{"#undefined, name", "Attribute name is a reserved keyword; reserved keyword: name"},
	} {
		tr := tracker(t, `{"#n":"n"}`, "")
		_, err := ParseProjection(c.expr, tr)
		if err == nil || err.Error() != prefix+c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.expr, err, prefix+c.want)
		}
	}
}
