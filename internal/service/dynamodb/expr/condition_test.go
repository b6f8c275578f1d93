package expr

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// item decodes an item in its wire form.
func item(t testing.TB, s string) attr.Item {
	t.Helper()
	if s == "" {
		return nil
	}
	var it attr.Item
	if err := json.Unmarshal([]byte(s), &it); err != nil {
		t.Fatalf("item %s: %v", s, err)
	}
	return it
}

// tracker builds a Tracker from names and values in their wire form
// ("" for an absent map).
func tracker(t testing.TB, names, values string) *Tracker {
	t.Helper()
	var n map[string]string
	var v Values
	if names != "" {
		if err := json.Unmarshal([]byte(names), &n); err != nil {
			t.Fatal(err)
		}
	}
	if values != "" {
		if err := json.Unmarshal([]byte(values), &v); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := NewTracker(n, v)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

const testValues = `{":three":{"N":"3"},":s":{"S":"abc"},":a":{"S":"a"},":n":{"N":"5"},":m":{"N":"10"},":big":{"N":"100"},":b":{"B":"AAE="},":t":{"BOOL":true},":ss":{"SS":["x","y"]},":l":{"L":[{"S":"x"}]},":ty":{"S":"N"},":bad":{"S":"X"},":null":{"NULL":true}}`

func TestConditionEval(t *testing.T) {
	doc := `{"s":{"S":"abcdef"},"n":{"N":"7"},"b":{"B":"AAEC"},"t":{"BOOL":true},"ss":{"SS":["x","z"]},"ns":{"NS":["5","6"]},` +
		`"l":{"L":[{"S":"x"},{"N":"5"},{"M":{"k":{"S":"v"}}}]},"m":{"M":{"k":{"S":"v"},"n":{"N":"10"},"deep":{"L":[{"N":"1"}]}}},"nul":{"NULL":true},"e":{"S":""},"u":{"S":"é𝄞"}}`
	it := item(t, doc)
	for _, c := range []struct {
		expr string
		want bool
	}{
		{"s = :s", false},
		{"begins_with(s, :s)", true},
		{"begins_with(s, :a)", true},
		{"begins_with(b, :b)", true},
		{"begins_with(n, :s)", false},
		{"n < :m", true},
		{"n <= :n", false},
		{"n > :n AND n < :m", true},
		{"n BETWEEN :n AND :m", true},
		{"n between :m and :big", false},
		{"s BETWEEN :a AND :s", false},
		{"n IN (:n, :m)", false},
		{"n in (:n, :m) or s = :s", false},
		{"NOT n = :n", true},
		{"not (n = :n or s <> :s)", false},
		{"attribute_exists(m.k)", true},
		{"attribute_exists(m.nope)", false},
		{"attribute_not_exists(nope)", true},
		{"attribute_not_exists(l[2].k)", false},
		{"attribute_exists(l[3])", false},
		{"attribute_type(n, :ty)", true},
		{"attribute_type(s, :ty)", false},
		{"contains(s, :s)", true},
		{"contains(ss, :s)", false},
		{"contains(l, :s)", false},
		{"contains(ns, :n)", true},
		{"size(s) = :n", false},
		{"size(s) > :n", true},
		{"size(l) < :n", true},
		{"size(m) = size(l)", true},
		{"size(n) = :n", false},
		{"size(nope) <> :n", true},
		{"m.n = :m", true},
		{"m.deep[0] < :n", true},
		{"nope <> :n", true},
		{"nope = :n", false},
		{"nope < :n", false},
		{"n <> s", true},
		{"ss = :ss", false},
		{"t = :t", true},
		{"nul = :null", true},
		{"n < :s", false},
		{"(n = :n OR n = :m) AND (s = :s OR attribute_exists(s))", false},
		{"n = :n OR n < :m AND s = :s", false},
		{"n < :m OR n = :n AND s = :s", true},
		{"NOT NOT n < :m", true},
		{"(attribute_exists(n)) AND (begins_with(s, :a))", true},
		{"(attribute_exists(n) AND (size(s) > :n))", true},
		{"size(e) = :n OR size(e) < :n", true},
		{"size(u) = :three", true},
	} {
		tr := tracker(t, "", testValues)
		cond, err := ParseCondition("ConditionExpression", c.expr, tr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := cond.Eval(it); got != c.want {
			t.Errorf("%s: got %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestConditionAbsentItem(t *testing.T) {
	tr := tracker(t, "", `{":v":{"S":"x"}}`)
	c, err := ParseCondition("ConditionExpression", "attribute_not_exists(id) AND v <> :v", tr)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Eval(nil) {
		t.Error("condition on an absent item: false")
	}
	if err := tr.Unused(); err != nil {
		t.Error(err)
	}
}

func TestConditionErrors(t *testing.T) {
	const prefix = "Invalid ConditionExpression: "
	for _, c := range []struct{ expr, names, want string }{
		{"", "", "The expression can not be empty;"},
		{"   ", "", "The expression can not be empty;"},
		{"a = ", "", `Syntax error; token: "<EOF>", near: "= "`},
		{"a", "", `Syntax error; token: "<EOF>", near: "a"`},
		{"a = :s b", "", `Syntax error; token: "b", near: ":s b"`},
		{"!!! INVALID !!!", "", `Syntax error; token: "!", near: "!!"`},
		{"a = : s", "", `Syntax error; token: ":", near: "= : s"`},
		{"a AND b = :s", "", `Syntax error; token: "AND", near: "a AND b"`},
		{"attribute_exists()", "", `Syntax error; token: ")", near: "()"`},
		{"a = :s AND", "", `Syntax error; token: "<EOF>", near: "AND"`},
		{"a[x] = :s", "", `Syntax error; token: "x", near: "[x]"`},
		{"a = :undefined", "", "An expression attribute value used in expression is not defined; attribute value: :undefined"},
		{"#x = :s", `{"#y":"y"}`, "An expression attribute name used in the document path is not defined; attribute name: #x"},
		{"name = :s", "", "Attribute name is a reserved keyword; reserved keyword: name"},
		{"a.Status = :s", "", "Attribute name is a reserved keyword; reserved keyword: Status"},
		{"((a = :s))", "", "The expression has redundant parentheses;"},
		{"(a) = :s", "", "The expression has redundant parentheses;"},
		{"foo(a)", "", "Invalid function name; function: foo"},
		{"BEGINS_WITH(a, :s)", "", "Invalid function name; function: BEGINS_WITH"},
		{"attribute_exists(a) = :t", "", "The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"size(a)", "", "The function is not allowed to be used this way in an expression; function: size"},
		{"size(a) AND b = :s", "", "The function is not allowed to be used this way in an expression; function: size"},
		{"begins_with(a)", "", "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"},
		{"a = a", "", "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{"contains(a.b, a.b)", "", "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a, b]"},
		{"begins_with(a, :n)", "", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"attribute_exists(:s)", "", "Operator or function requires a document path; operator or function: attribute_exists"},
		{"attribute_type(a, :n)", "", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
		{"attribute_type(a, :bad)", "", "Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
		{"size(:n) = :n", "", "Incorrect operand type for operator or function; operator or function: size, operand type: N"},
		{"a BETWEEN :m AND :n", "", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:5}"},
		{"a BETWEEN :s AND :n", "", "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {S:abc}, upper bound operand: AttributeValue: {N:5}"},
		// Priorities: parentheses before unknown functions before reserved
		// words before undefined names.
		{"((foo(name) = :undefined))", "", "The expression has redundant parentheses;"},
		{"foo(name) = :undefined", "", "Invalid function name; function: foo"},
		{"name = :undefined", "", "Attribute name is a reserved keyword; reserved keyword: name"},
		{"a = :undefined AND begins_with(b)", "", "An expression attribute value used in expression is not defined; attribute value: :undefined"},
	} {
		tr := tracker(t, c.names, testValues)
		_, err := ParseCondition("ConditionExpression", c.expr, tr)
		if err == nil || err.Error() != prefix+c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.expr, err, prefix+c.want)
		}
		if _, ok := err.(*attr.Error); err != nil && !ok {
			t.Errorf("%q: error %T, want *attr.Error", c.expr, err)
		}
	}
}

func TestConditionLimits(t *testing.T) {
	tr := tracker(t, "", `{":v":{"S":"x"}}`)
	long := "a = :v" + strings.Repeat(" ", MaxExpressionSize)
	if _, err := ParseCondition("FilterExpression", long, tr); err == nil || err.Error() != "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4102" {
		t.Errorf("oversized: %v", err)
	}
	in := "a IN (" + strings.Repeat(":v, ", MaxInOperands) + ":v)"
	if _, err := ParseCondition("FilterExpression", in, tr); err == nil || err.Error() != "Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101" {
		t.Errorf("IN: %v", err)
	}
	in = "a IN (" + strings.Repeat(":v, ", MaxInOperands-1) + ":v)"
	if _, err := ParseCondition("FilterExpression", in, tr); err != nil {
		t.Errorf("IN with 100: %v", err)
	}
	ops := strings.Repeat("a = :v AND ", 150) + "a = :v"
	if _, err := ParseCondition("FilterExpression", ops, tr); err == nil || err.Error() != "Invalid FilterExpression: The expression contains too many operators; operator count: 301" {
		t.Errorf("operators: %v", err)
	}
}

func TestConditionPaths(t *testing.T) {
	tr := tracker(t, `{"#n":"name"}`, `{":v":{"S":"x"}}`)
	c, err := ParseCondition("FilterExpression", "#n = :v AND a.b[1] <> :v OR size(c) > d", tr)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Paths() {
		got = append(got, p.String())
	}
	if want := "[name] [a, b, [1]] [c] [d]"; strings.Join(got, " ") != want {
		t.Errorf("paths %v, want %s", got, want)
	}
	if got := strings.Join(c.TopLevel(), ","); got != "name,a,c,d" {
		t.Errorf("top level %s", got)
	}
	if err := CheckKeyPaths(c.Paths(), []string{"id", "a"}, nil); err == nil || err.Error() != "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: a" {
		t.Errorf("key paths: %v", err)
	}
}
