package eventpattern

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// rule is one element of a field's array of rules; it matches one scalar
// value of the event (existsRule is applied to the field as a whole).
type rule interface {
	match(v any) bool
}

type exactString string

func (r exactString) match(v any) bool {
	s, ok := v.(string)
	return ok && s == string(r)
}

// exactNumber matches a number by its JSON text, as Lambda documents.
type exactNumber string

func (r exactNumber) match(v any) bool {
	t, ok := numberText(v)
	return ok && t == string(r)
}

type exactBool bool

func (r exactBool) match(v any) bool {
	b, ok := v.(bool)
	return ok && b == bool(r)
}

type exactNull struct{}

func (exactNull) match(v any) bool { return v == nil }

type prefixRule struct {
	s    string
	fold bool
}

func (r prefixRule) match(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < len(r.s) {
		return false
	}
	if r.fold {
		return strings.EqualFold(s[:len(r.s)], r.s)
	}
	return strings.HasPrefix(s, r.s)
}

type suffixRule struct {
	s    string
	fold bool
}

func (r suffixRule) match(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < len(r.s) {
		return false
	}
	if r.fold {
		return strings.EqualFold(s[len(s)-len(r.s):], r.s)
	}
	return strings.HasSuffix(s, r.s)
}

type equalsFold string

func (r equalsFold) match(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, string(r))
}

// anythingBut matches any scalar but the strings and numbers it lists
// (numbers compared by value).
type anythingBut struct {
	strs map[string]bool
	nums []float64
}

func (r anythingBut) match(v any) bool {
	if s, ok := v.(string); ok {
		return !r.strs[s]
	}
	if f, ok := number(v); ok {
		for _, n := range r.nums {
			if n == f {
				return false
			}
		}
	}
	return true
}

// anythingButPrefix matches strings that do not begin with its prefix.
type anythingButPrefix string

func (r anythingButPrefix) match(v any) bool {
	s, ok := v.(string)
	return ok && !strings.HasPrefix(s, string(r))
}

// numericRule matches JSON numbers within its bounds.
type numericRule struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func (r numericRule) match(v any) bool {
	f, ok := number(v)
	if !ok {
		return false
	}
	if f < r.lo || (r.loOpen && f == r.lo) {
		return false
	}
	if f > r.hi || (r.hiOpen && f == r.hi) {
		return false
	}
	return true
}

type existsRule bool

func (existsRule) match(any) bool { return false } // applied by matchRules

// number returns the value of a JSON number in an event.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// numberText returns the JSON text of a number in an event: as written
// for a json.Number, the shortest decimal form for a float64.
func numberText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return string(n), true
	case float64:
		if math.IsInf(n, 0) || math.IsNaN(n) {
			return "", false
		}
		return strconv.FormatFloat(n, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(n), 'f', -1, 32), true
	case int:
		return strconv.Itoa(n), true
	case int64:
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// parseRule parses one element of a field's array of rules.
func parseRule(v any, path string) (rule, error) {
	switch t := v.(type) {
	case string:
		return exactString(t), nil
	case json.Number:
		return exactNumber(t), nil
	case bool:
		return exactBool(t), nil
	case nil:
		return exactNull{}, nil
	case map[string]any:
		if len(t) != 1 {
			return nil, invalid("a rule object at %q must have exactly one operator", path)
		}
		for op, arg := range t {
			parse, ok := operators[op]
			if !ok {
				return nil, invalid("unsupported operator %q at %q", op, path)
			}
			return parse(arg, path)
		}
	}
	return nil, invalid("a rule at %q must be a string, a number, true, false, null or an operator object", path)
}

// operators parses the argument of each operator Lambda documents.
var operators = map[string]func(arg any, path string) (rule, error){
	"prefix":             parsePrefix,
	"suffix":             parseSuffix,
	"equals-ignore-case": parseEqualsFold,
	"anything-but":       parseAnythingBut,
	"numeric":            parseNumeric,
	"exists":             parseExists,
}

// foldable returns the string of a prefix or suffix argument: s or
// {"equals-ignore-case": s}.
func foldable(op string, arg any, path string) (string, bool, error) {
	switch t := arg.(type) {
	case string:
		return t, false, nil
	case map[string]any:
		if s, ok := t["equals-ignore-case"].(string); ok && len(t) == 1 {
			return s, true, nil
		}
	}
	return "", false, invalid("%s at %q must be a string or {\"equals-ignore-case\": string}", op, path)
}

func parsePrefix(arg any, path string) (rule, error) {
	s, fold, err := foldable("prefix", arg, path)
	if err != nil {
		return nil, err
	}
	return prefixRule{s: s, fold: fold}, nil
}

func parseSuffix(arg any, path string) (rule, error) {
	s, fold, err := foldable("suffix", arg, path)
	if err != nil {
		return nil, err
	}
	return suffixRule{s: s, fold: fold}, nil
}

func parseEqualsFold(arg any, path string) (rule, error) {
	s, ok := arg.(string)
	if !ok {
		return nil, invalid("equals-ignore-case at %q must be a string", path)
	}
	return equalsFold(s), nil
}

func parseExists(arg any, path string) (rule, error) {
	b, ok := arg.(bool)
	if !ok {
		return nil, invalid("exists at %q must be true or false", path)
	}
	return existsRule(b), nil
}

func parseAnythingBut(arg any, path string) (rule, error) {
	r := anythingBut{strs: map[string]bool{}}
	switch t := arg.(type) {
	case string:
		r.strs[t] = true
		return r, nil
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return nil, invalid("anything-but at %q: %v", path, err)
		}
		r.nums = append(r.nums, f)
		return r, nil
	case map[string]any:
		if s, ok := t["prefix"].(string); ok && len(t) == 1 && s != "" {
			return anythingButPrefix(s), nil
		}
		return nil, invalid("anything-but at %q supports only {\"prefix\": string} as an object", path)
	case []any:
		if len(t) == 0 {
			return nil, invalid("anything-but at %q has an empty list", path)
		}
		_, strs := t[0].(string)
		for _, e := range t {
			switch x := e.(type) {
			case string:
				if !strs {
					return nil, invalid("anything-but at %q mixes strings and numbers", path)
				}
				r.strs[x] = true
			case json.Number:
				f, err := x.Float64()
				if strs || err != nil {
					return nil, invalid("anything-but at %q mixes strings and numbers", path)
				}
				r.nums = append(r.nums, f)
			default:
				return nil, invalid("anything-but at %q lists only strings or only numbers", path)
			}
		}
		return r, nil
	}
	return nil, invalid("anything-but at %q must be a string, a number, a list or {\"prefix\": string}", path)
}

// parseNumeric parses ["=", n] or one or two comparisons, a lower bound
// (">", ">=") and an upper bound ("<", "<=").
func parseNumeric(arg any, path string) (rule, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, invalid("numeric at %q must be [operator, number] or two such pairs", path)
	}
	r := numericRule{lo: math.Inf(-1), hi: math.Inf(1)}
	var haveLo, haveHi bool
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return nil, invalid("numeric at %q: %v is not an operator", path, list[i])
		}
		n, ok := list[i+1].(json.Number)
		if !ok {
			return nil, invalid("numeric at %q: %v is not a number", path, list[i+1])
		}
		f, err := n.Float64()
		if err != nil || f < -numericLimit || f > numericLimit {
			return nil, invalid("numeric at %q: %s is outside [-5e9, 5e9]", path, n)
		}
		switch op {
		case "=":
			if len(list) != 2 {
				return nil, invalid("numeric at %q: \"=\" stands alone", path)
			}
			return numericRule{lo: f, hi: f}, nil
		case ">", ">=":
			if haveLo {
				return nil, invalid("numeric at %q has two lower bounds", path)
			}
			haveLo, r.lo, r.loOpen = true, f, op == ">"
		case "<", "<=":
			if haveHi {
				return nil, invalid("numeric at %q has two upper bounds", path)
			}
			haveHi, r.hi, r.hiOpen = true, f, op == "<"
		default:
			return nil, invalid("numeric at %q: unknown operator %q", path, op)
		}
	}
	if haveLo && haveHi && r.lo > r.hi {
		return nil, invalid("numeric at %q: the range is empty", path)
	}
	return r, nil
}
