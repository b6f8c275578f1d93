package expr

import (
	"encoding/json"
	"strings"
	"testing"
)

// canon renders an item as sorted JSON, for comparisons.
func canon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUpdateApply(t *testing.T) {
	const doc = `{"id":{"S":"k"},"n":{"N":"7"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]},"m":{"M":{"c":{"N":"10"},"keep":{"S":"x"}}},"ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]}}`
	for _, c := range []struct{ expr, old, want string }{
		{"SET a = :s", `{"id":{"S":"k"}}`, `{"a":{"S":"abc"},"id":{"S":"k"}}`},
		{"SET a = :s", "", `{"a":{"S":"abc"}}`},
		{"SET n = n + :n", doc, `"n":{"N":"12"}`},
		{"SET n = :n - n", doc, `"n":{"N":"-2"}`},
		{"SET m.c = m.c + :n", doc, `"m":{"M":{"c":{"N":"15"},"keep":{"S":"x"}}}`},
		{"SET x = if_not_exists(x, :n)", doc, `"x":{"N":"5"}`},
		{"SET n = if_not_exists(n, :m)", doc, `"n":{"N":"7"}`},
		{"SET l = list_append(l, :l)", doc, `"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"},{"S":"x"}]}`},
		{"SET l = list_append(:l, l)", doc, `"l":{"L":[{"S":"x"},{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]}`},
		{"SET z = list_append(if_not_exists(z, :empty), :l)", doc, `"z":{"L":[{"S":"x"}]}`},
		{"SET l[1] = :s", doc, `"l":{"L":[{"S":"a"},{"S":"abc"},{"S":"c"},{"S":"d"}]}`},
		{"SET l[10] = :s", doc, `"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"},{"S":"abc"}]}`},
		{"SET l[9] = :s, l[7] = :n", doc, `"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"},{"N":"5"},{"S":"abc"}]}`},
		{"REMOVE l[1]", doc, `"l":{"L":[{"S":"a"},{"S":"c"},{"S":"d"}]}`},
		{"REMOVE l[1], l[2]", doc, `"l":{"L":[{"S":"a"},{"S":"d"}]}`},
		{"REMOVE l[9]", doc, `"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]}`},
		{"REMOVE m.c, n", doc, `"m":{"M":{"keep":{"S":"x"}}}`},
		{"REMOVE nope", doc, `"n":{"N":"7"}`},
		{"SET l[0] = :s REMOVE l[3]", doc, `"l":{"L":[{"S":"abc"},{"S":"b"},{"S":"c"}]}`},
		{"ADD n :n", doc, `"n":{"N":"12"}`},
		{"ADD c :n", doc, `"c":{"N":"5"}`},
		{"ADD ss :ss", doc, `"ss":{"SS":["a","b","x","y"]}`},
		{"ADD newset :ss", doc, `"newset":{"SS":["x","y"]}`},
		{"DELETE ss :ab", doc, `"ns":{"NS":["1","2"]}}`},
		{"DELETE ss :a1", doc, `"ss":{"SS":["b"]}`},
		{"DELETE nope :a1", doc, `"ss":{"SS":["a","b"]}}`},
		{"ADD ns :ns", doc, `"ns":{"NS":["1","2","3"]}`},
		{"set a = :s remove n add c :n delete ss :a1", doc, `"a":{"S":"abc"},"c":{"N":"5"}`},
		{"SET n = (:n)", doc, `"n":{"N":"5"}`},
		{"SET big = :max + :one", doc, `"big":{"N":"100000000000000000000000000000000000000"}`},
		{"SET a = :tiny + :one", doc, `"a":{"N":"1.0000000000000000000000000000000000001"}`},
	} {
		tr := tracker(t, "", testValues[:len(testValues)-1]+`,":empty":{"L":[]},":ab":{"SS":["a","b"]},":a1":{"SS":["a"]},":ns":{"NS":["3","2"]},":max":{"N":"99999999999999999999999999999999999999"},":tiny":{"N":"0.0000000000000000000000000000000000001"},":one":{"N":"1"}}`)
		u, err := ParseUpdate(c.expr, tr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		old := item(t, c.old)
		before := canon(t, old)
		got, err := u.Apply(old)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if canon(t, old) != before {
			t.Errorf("%s: changed the old item", c.expr)
		}
		if s := canon(t, got); !strings.Contains(s, c.want) {
			t.Errorf("%s:\n got %s\nwant it to hold %s", c.expr, s, c.want)
		}
	}
}

func TestUpdateApplyErrors(t *testing.T) {
	const doc = `{"n":{"N":"7"},"s":{"S":"x"},"l":{"L":[{"S":"a"}]},"m":{"M":{}},"ss":{"SS":["a"]}}`
	for _, c := range []struct{ expr, want string }{
		{"SET a = nope", "The provided expression refers to an attribute that does not exist in the item"},
		{"SET a = nope + :n", "The provided expression refers to an attribute that does not exist in the item"},
		{"SET a = s + :n", "An operand in the update expression has an incorrect data type"},
		{"SET a = list_append(s, :l)", "An operand in the update expression has an incorrect data type"},
		{"SET a.b.c = :n", "The document path provided in the update expression is invalid for update"},
		{"SET m.x.y = :n", "The document path provided in the update expression is invalid for update"},
		{"SET s.x = :n", "The document path provided in the update expression is invalid for update"},
		{"SET n[0] = :n", "The document path provided in the update expression is invalid for update"},
		{"SET l[3].x = :n", "The document path provided in the update expression is invalid for update"},
		{"REMOVE a.b", "The document path provided in the update expression is invalid for update"},
		{"ADD s :n", "An operand in the update expression has an incorrect data type"},
		{"ADD ss :n", "An operand in the update expression has an incorrect data type"},
		{"DELETE n :ss", "An operand in the update expression has an incorrect data type"},
		{"SET a = :max2 + :max2", "Number overflow. Attempting to store a number with magnitude larger than supported range"},
		{"SET a = :max + :one", "Attempting to store more than 38 significant digits in a Number"},
	} {
		tr := tracker(t, "", `{":n":{"N":"5"},":l":{"L":[]},":ss":{"SS":["a"]},":max":{"N":"9.9999999999999999999999999999999999999E+125"},":max2":{"N":"9E+125"},":one":{"N":"1"}}`)
		u, err := ParseUpdate(c.expr, tr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		_, err = u.Apply(item(t, doc))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.expr, err, c.want)
		}
	}
}

func TestUpdateErrors(t *testing.T) {
	const prefix = "Invalid UpdateExpression: "
	for _, c := range []struct{ expr, want string }{
		{"", "The expression can not be empty;"},
		{"INVALID SYNTAX HERE", `Syntax error; token: "INVALID", near: "INVALID SYNTAX"`},
		{"ADD hits : incr", `Syntax error; token: ":", near: "hits : incr"`},
		{"SET", `Syntax error; token: "<EOF>", near: "SET"`},
		{"SET a = ", `Syntax error; token: "<EOF>", near: "= "`},
		{"SET a = :n +", `Syntax error; token: "<EOF>", near: "+"`},
		{"SET a = :n b = :n", `Syntax error; token: "b", near: ":n b ="`},
		{"REMOVE a, #", `Syntax error; token: "#", near: ", #"`},
		{"ADD a b", `Syntax error; token: "b", near: "a b"`},
		{"SET a = :n SET b = :n", `The "SET" section can only be used once in an update expression;`},
		{"SET a = :n, a = :n", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"SET a = :n REMOVE a.b", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{"SET a.b = :n REMOVE a[1]", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"},
		{"SET a = :undefined", "An expression attribute value used in expression is not defined; attribute value: :undefined"},
		{"SET #a = :n", "An expression attribute name used in the document path is not defined; attribute name: #a"},
		{"SET a = :undefined, #a = :n", "An expression attribute name used in the document path is not defined; attribute name: #a"},
		{"SET name = :n", "Attribute name is a reserved keyword; reserved keyword: name"},
		{"SET a = foo(b)", "Invalid function name; function: foo"},
		{"SET a = size(b)", "Invalid function name; function: size"},
		{"SET a = :s + :n", "Incorrect operand type for operator or function; operator or function: +, operand type: S"},
		{"SET a = list_append(:n, b)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: N"},
		{"SET a = if_not_exists(:n, b)", "Operator or function requires a document path; operator or function: if_not_exists"},
		{"SET a = if_not_exists(b)", "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"},
		{"ADD a :s", "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
		{"ADD a :l", "Incorrect operand type for operator or function; operator: ADD, operand type: LIST"},
		{"DELETE a :n", "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"},
		// Reserved words come before every other class; sections before
		// undefined names.
		{"SET a = :n SET b = :undefined, name = foo(x)", "Attribute name is a reserved keyword; reserved keyword: name"},
		{"SET a = :n SET b = :undefined", `The "SET" section can only be used once in an update expression;`},
	} {
		tr := tracker(t, `{"#x":"x"}`, testValues)
		_, err := ParseUpdate(c.expr, tr)
		if err == nil || err.Error() != prefix+c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.expr, err, prefix+c.want)
		}
	}
}

func TestUpdatePathsAndProjection(t *testing.T) {
	tr := tracker(t, `{"#c":"count"}`, testValues)
	u, err := ParseUpdate("SET a.b = x + :n, #c = if_not_exists(#c, :n) REMOVE l[1] ADD s :ss", tr)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(u.TopLevel(), ","); got != "a,count,l,s" {
		t.Errorf("top level %s", got)
	}
	var reads []string
	for _, p := range u.Reads() {
		reads = append(reads, p.String())
	}
	if got := strings.Join(reads, " "); got != "[x] [count]" {
		t.Errorf("reads %s", got)
	}
	old := item(t, `{"a":{"M":{"b":{"N":"1"},"c":{"N":"2"}}},"x":{"N":"1"},"l":{"L":[{"N":"0"},{"N":"1"}]},"other":{"S":"o"}}`)
	nu, err := u.Apply(old)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":{"M":{"b":{"N":"1"}}},"l":{"L":[{"N":"1"}]}}`
	if got := canon(t, u.Projection().Apply(old)); got != want {
		t.Errorf("UPDATED_OLD %s, want %s", got, want)
	}
	want = `{"a":{"M":{"b":{"N":"6"}}},"count":{"N":"5"},"s":{"SS":["x","y"]}}`
	if got := canon(t, u.Projection().Apply(nu)); got != want {
		t.Errorf("UPDATED_NEW %s, want %s", got, want)
	}
}
