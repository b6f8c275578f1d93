// Package attr is DynamoDB's AttributeValue: the ten data types, their JSON
// form ({"S":"x"}, {"N":"1.5"}, {"M":{...}}), numbers exact to 38
// significant digits (apd decimals, never float64), the order-preserving
// encoding of key attributes that table and index keys sort by, and item
// sizes as DynamoDB counts them against its 400 KB limit.
//
// Source: the DynamoDB developer guide's "Supported data types and naming
// rules" and "Item sizes and formats", and the AttributeValue shape of the
// DynamoDB API reference.
package attr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Type is an AttributeValue's data type, named as on the wire.
type Type uint8

// The data types.
const (
	Invalid Type = iota
	S
	N
	B
	BOOL
	NULL
	L
	M
	SS
	NS
	BS
)

var typeNames = [...]string{Invalid: "", S: "S", N: "N", B: "B", BOOL: "BOOL", NULL: "NULL", L: "L", M: "M", SS: "SS", NS: "NS", BS: "BS"}

// String returns the type's wire name ("S", "NS", ...).
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", t)
}

// ParseType returns the type named s ("S", "N", ...), or Invalid.
func ParseType(s string) Type {
	for t, name := range typeNames {
		if name == s && t != int(Invalid) {
			return Type(t)
		}
	}
	return Invalid
}

// Value is one AttributeValue. Exactly the fields of its Type are set:
// Str for S, Num for N, Bin for B, Bool for BOOL (NULL has none), List for
// L, Map for M, Strs for SS, Nums for NS, Bins for BS. Numbers are kept
// canonical (see ParseNumber). Values are immutable once built: operations
// that change an item build new values.
type Value struct {
	Type Type
	Str  string
	Num  *apd.Decimal
	Bin  []byte
	Bool bool
	List []Value
	Map  map[string]Value
	Strs []string
	Nums []*apd.Decimal
	Bins [][]byte
}

// Item is an item or a key: attribute names to values.
type Item map[string]Value

// Str returns an S value.
func Str(s string) Value { return Value{Type: S, Str: s} }

// Bin returns a B value.
func Bin(b []byte) Value { return Value{Type: B, Bin: b} }

// Num returns an N value of d, which must be canonical.
func Num(d *apd.Decimal) Value { return Value{Type: N, Num: d} }

// Error is an AttributeValue that DynamoDB refuses, with DynamoDB's message
// (the handler answers it as a ValidationException).
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func invalid(format string, args ...any) error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// Messages DynamoDB gives for malformed AttributeValues.
const (
	msgEmpty    = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	msgMultiple = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	// ParamsInvalid prefixes the messages of values DynamoDB parses but refuses.
	ParamsInvalid = "One or more parameter values were invalid: "
)

// UnmarshalJSON decodes an AttributeValue, validating it as DynamoDB does:
// exactly one type, NULL true, numbers in range, sets non-empty and without
// duplicates. A refusal is an *Error with DynamoDB's message.
func (v *Value) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return invalid("%s", msgEmpty)
	}
	var set []string
	for k, m := range raw {
		if bytes.Equal(bytes.TrimSpace(m), []byte("null")) {
			continue
		}
		set = append(set, k)
	}
	if len(set) == 0 {
		return invalid("%s", msgEmpty)
	}
	if len(set) > 1 {
		return invalid("%s", msgMultiple)
	}
	name, m := set[0], raw[set[0]]
	t := ParseType(name)
	if t == Invalid {
		return invalid("%s", msgEmpty)
	}
	*v = Value{Type: t}
	switch t {
	case S:
		return json.Unmarshal(m, &v.Str)
	case N:
		var s string
		if err := json.Unmarshal(m, &s); err != nil {
			return err
		}
		d, err := ParseNumber(s)
		if err != nil {
			return err
		}
		v.Num = d
	case B:
		return json.Unmarshal(m, &v.Bin)
	case BOOL:
		return json.Unmarshal(m, &v.Bool)
	case NULL:
		var b bool
		if err := json.Unmarshal(m, &b); err != nil {
			return err
		}
		if !b {
			return invalid(ParamsInvalid + "Null attribute value types must have the value of true")
		}
	case L:
		if err := json.Unmarshal(m, &v.List); err != nil {
			return err
		}
		if v.List == nil {
			v.List = []Value{}
		}
	case M:
		if err := json.Unmarshal(m, &v.Map); err != nil {
			return err
		}
		if v.Map == nil {
			v.Map = map[string]Value{}
		}
	case SS:
		if err := json.Unmarshal(m, &v.Strs); err != nil {
			return err
		}
		if len(v.Strs) == 0 {
			return invalid(ParamsInvalid + "An string set  may not be empty")
		}
		if dup(v.Strs) {
			return invalid(ParamsInvalid+"Input collection %s contains duplicates.", listText(v.Strs))
		}
	case NS:
		var ss []string
		if err := json.Unmarshal(m, &ss); err != nil {
			return err
		}
		if len(ss) == 0 {
			return invalid(ParamsInvalid + "An number set  may not be empty")
		}
		v.Nums = make([]*apd.Decimal, len(ss))
		canon := make([]string, len(ss))
		for i, s := range ss {
			d, err := ParseNumber(s)
			if err != nil {
				return err
			}
			v.Nums[i], canon[i] = d, NumberText(d)
		}
		if dup(canon) {
			return invalid("Input collection contains duplicates")
		}
	case BS:
		if err := json.Unmarshal(m, &v.Bins); err != nil {
			return err
		}
		if len(v.Bins) == 0 {
			return invalid(ParamsInvalid + "Binary sets should not be empty")
		}
		ss := make([]string, len(v.Bins))
		for i, b := range v.Bins {
			ss[i] = string(b)
		}
		if dup(ss) {
			shown := make([]string, len(v.Bins))
			for i, b := range v.Bins {
				shown[i] = base64.StdEncoding.EncodeToString(b)
			}
			return invalid(ParamsInvalid+"Input collection %sof type BS contains duplicates.", listText(shown))
		}
	}
	return nil
}

func dup(ss []string) bool {
	seen := make(map[string]struct{}, len(ss))
	for _, s := range ss {
		if _, ok := seen[s]; ok {
			return true
		}
		seen[s] = struct{}{}
	}
	return false
}

// listText renders a collection as DynamoDB's messages quote it: [a, b].
func listText(ss []string) string { return "[" + strings.Join(ss, ", ") + "]" }

// MarshalJSON encodes the value in its wire form. Numbers are written in
// canonical text; sets in the order they hold.
func (v Value) MarshalJSON() ([]byte, error) {
	var inner any
	switch v.Type {
	case S:
		inner = v.Str
	case N:
		inner = NumberText(v.Num)
	case B:
		inner = v.Bin
	case BOOL:
		inner = v.Bool
	case NULL:
		inner = true
	case L:
		l := v.List
		if l == nil {
			l = []Value{}
		}
		inner = l
	case M:
		m := v.Map
		if m == nil {
			m = map[string]Value{}
		}
		inner = m
	case SS:
		inner = v.Strs
	case NS:
		ss := make([]string, len(v.Nums))
		for i, d := range v.Nums {
			ss[i] = NumberText(d)
		}
		inner = ss
	case BS:
		inner = v.Bins
	default:
		return nil, fmt.Errorf("attr: marshal a value of no type")
	}
	return json.Marshal(map[string]any{v.Type.String(): inner})
}

// Equal reports whether a and b are the same value, as DynamoDB's = and
// set-membership compare them: numbers by value, sets as sets, lists in
// order, maps by key.
func Equal(a, b Value) bool {
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case S:
		return a.Str == b.Str
	case N:
		return a.Num.Cmp(b.Num) == 0
	case B:
		return bytes.Equal(a.Bin, b.Bin)
	case BOOL:
		return a.Bool == b.Bool
	case NULL:
		return true
	case L:
		if len(a.List) != len(b.List) {
			return false
		}
		for i := range a.List {
			if !Equal(a.List[i], b.List[i]) {
				return false
			}
		}
		return true
	case M:
		if len(a.Map) != len(b.Map) {
			return false
		}
		for k, av := range a.Map {
			bv, ok := b.Map[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	case SS:
		return sameSet(a.Strs, b.Strs)
	case NS:
		return sameSet(numTexts(a.Nums), numTexts(b.Nums))
	case BS:
		return sameSet(binTexts(a.Bins), binTexts(b.Bins))
	}
	return false
}

func numTexts(ds []*apd.Decimal) []string {
	ss := make([]string, len(ds))
	for i, d := range ds {
		ss[i] = NumberText(d)
	}
	return ss
}

func binTexts(bs [][]byte) []string {
	ss := make([]string, len(bs))
	for i, b := range bs {
		ss[i] = string(b)
	}
	return ss
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// Compare orders two values of the same scalar type as DynamoDB's
// comparisons and sort keys do: numbers by value, strings and binaries by
// their bytes (UTF-8 for strings). It returns -1, 0 or +1; ok is false
// when the types differ or are not S, N or B.
func Compare(a, b Value) (c int, ok bool) {
	if a.Type != b.Type {
		return 0, false
	}
	switch a.Type {
	case S:
		return strings.Compare(a.Str, b.Str), true
	case N:
		return a.Num.Cmp(b.Num), true
	case B:
		return bytes.Compare(a.Bin, b.Bin), true
	}
	return 0, false
}

// Clone returns a deep copy of v, which may then be changed without
// touching v.
func (v Value) Clone() Value {
	out := v
	switch v.Type {
	case B:
		out.Bin = append([]byte(nil), v.Bin...)
	case L:
		out.List = make([]Value, len(v.List))
		for i, e := range v.List {
			out.List[i] = e.Clone()
		}
	case M:
		out.Map = make(map[string]Value, len(v.Map))
		for k, e := range v.Map {
			out.Map[k] = e.Clone()
		}
	case SS:
		out.Strs = append([]string(nil), v.Strs...)
	case NS:
		out.Nums = append([]*apd.Decimal(nil), v.Nums...)
	case BS:
		out.Bins = append([][]byte(nil), v.Bins...)
	}
	return out
}

// Clone returns a deep copy of the item.
func (it Item) Clone() Item {
	if it == nil {
		return nil
	}
	out := make(Item, len(it))
	for k, v := range it {
		out[k] = v.Clone()
	}
	return out
}

// MaxNesting is how deep lists and maps may nest: "DynamoDB supports
// nested attributes up to 32 levels deep."
const MaxNesting = 32

// CheckNesting refuses an item whose lists and maps nest deeper than
// MaxNesting levels (an attribute's own value is level 1: 31 maps or
// lists may wrap a value, not 32), with DynamoDB's message.
func (it Item) CheckNesting() error {
	for _, v := range it {
		if err := v.CheckNesting(); err != nil {
			return err
		}
	}
	return nil
}

// CheckNesting is Item.CheckNesting for one attribute's value.
func (v Value) CheckNesting() error {
	if nestedTooDeep(v, 0) {
		return invalid("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")
	}
	return nil
}

func nestedTooDeep(v Value, depth int) bool {
	if depth >= MaxNesting {
		return true
	}
	for _, e := range v.List {
		if nestedTooDeep(e, depth+1) {
			return true
		}
	}
	for _, e := range v.Map {
		if nestedTooDeep(e, depth+1) {
			return true
		}
	}
	return false
}
