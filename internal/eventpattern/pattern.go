// Package eventpattern implements the event filtering pattern language of
// Lambda event source mappings (FilterCriteria.Filters[].Pattern), the
// subset of Amazon EventBridge's event patterns that Lambda documents
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html):
//
//   - a pattern is a JSON object; its keys name fields of the event, and
//     each value is either a nested object (a pattern on the field's
//     object) or an array of rules, any of which may match (OR); all
//     keys must match (AND);
//   - exact values: a string, a number, true, false or null; "" matches
//     the empty string; numbers match by their JSON text (300, 300.0 and
//     3.0e2 differ), as Lambda and EventBridge document;
//   - {"prefix": s} and {"suffix": s}, each also as
//     {"prefix": {"equals-ignore-case": s}};
//   - {"equals-ignore-case": s};
//   - {"anything-but": v}, v a string, a number, a list of strings or a
//     list of numbers, or {"prefix": s};
//   - {"numeric": ["=", n]} or one or two comparisons
//     [">"|">=", n, "<"|"<=", m] on JSON numbers in [-5e9, 5e9];
//   - {"exists": true|false}.
//
// An event value that is an array matches when any of its elements
// matches; a nested pattern matched against an array of objects matches
// when one element matches all of it. Rules other than exists:false
// match only fields present with a scalar value. EventBridge's wildcard,
// cidr, $or and the anything-but forms other than prefix are not part of
// Lambda's documented language and are refused.
//
// The package is pure: no I/O, no global state.
package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// MaxLength is the longest pattern Lambda accepts, in bytes (the Pattern
// shape of the Lambda API: max 4096).
const MaxLength = 4096

// numericLimit bounds the numbers of a numeric rule, as EventBridge does.
const numericLimit = 5e9

// Error is the error of an invalid pattern. Lambda reports every invalid
// pattern with one message (Error.Error); Reason says what is wrong.
type Error struct {
	Reason string
}

// Error returns Lambda's message for an invalid filter pattern.
func (e *Error) Error() string { return "Invalid filter pattern definition." }

func invalid(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Pattern is a parsed pattern. It is immutable and safe for concurrent use.
type Pattern struct {
	root *object
}

// object is a pattern on a JSON object: every field must match.
type object struct {
	fields []field // sorted by key
}

// field is a pattern on one key: a nested object or a list of rules.
type field struct {
	key   string
	sub   *object
	rules []rule
}

// Parse parses a pattern. An invalid pattern is an *Error.
func Parse(pattern string) (*Pattern, error) {
	if len(pattern) > MaxLength {
		return nil, invalid("the pattern is %d characters long; the limit is %d", len(pattern), MaxLength)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(pattern)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("the pattern is not JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("the pattern has data after its JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("the pattern must be a JSON object")
	}
	root, err := parseObject(m, "")
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

func parseObject(m map[string]any, path string) (*object, error) {
	if len(m) == 0 {
		return nil, invalid("empty object at %q", path)
	}
	o := &object{fields: make([]field, 0, len(m))}
	for k, v := range m {
		p := k
		if path != "" {
			p = path + "." + k
		}
		f := field{key: k}
		switch t := v.(type) {
		case map[string]any:
			sub, err := parseObject(t, p)
			if err != nil {
				return nil, err
			}
			f.sub = sub
		case []any:
			if len(t) == 0 {
				return nil, invalid("empty array at %q", p)
			}
			for _, r := range t {
				rl, err := parseRule(r, p)
				if err != nil {
					return nil, err
				}
				f.rules = append(f.rules, rl)
			}
		default:
			return nil, invalid("the value of %q must be an array or an object", p)
		}
		o.fields = append(o.fields, f)
	}
	sort.Slice(o.fields, func(i, j int) bool { return o.fields[i].key < o.fields[j].key })
	return o, nil
}

// FieldKind says how a pattern uses one of its top-level keys.
type FieldKind int

// Kinds of top-level field.
const (
	NoField     FieldKind = iota // the pattern does not name the key
	RuleField                    // the key's value is an array of rules (a plain value)
	ObjectField                  // the key's value is a nested object (JSON content)
)

// Field reports how the pattern uses the top-level key name: Lambda's
// rules for an SQS body or a Kinesis data payload depend on it.
func (p *Pattern) Field(name string) FieldKind {
	for _, f := range p.root.fields {
		if f.key == name {
			if f.sub != nil {
				return ObjectField
			}
			return RuleField
		}
	}
	return NoField
}

// Match reports whether event, decoded JSON (map[string]any, []any,
// string, json.Number or float64, bool, nil), matches the pattern. An
// event that is not an object has none of the pattern's fields.
func (p *Pattern) Match(event any) bool {
	return p.root.match(event)
}

// match matches o against the value of a field: an object's fields, any
// element of an array, or, for anything else (or nothing), an object
// without fields.
func (o *object) match(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return o.matchFields(t)
	case []any:
		for _, e := range t {
			if o.match(e) {
				return true
			}
		}
		if len(t) == 0 {
			return o.matchFields(nil)
		}
		return false
	default:
		return o.matchFields(nil)
	}
}

func (o *object) matchFields(m map[string]any) bool {
	for i := range o.fields {
		f := &o.fields[i]
		v, ok := m[f.key]
		if f.sub != nil {
			if !f.sub.match(v) {
				return false
			}
			continue
		}
		var leaves []any
		if ok {
			leaves = appendLeaves(leaves, v)
		}
		if !matchRules(f.rules, leaves) {
			return false
		}
	}
	return true
}

// appendLeaves appends the scalar values of v: v itself, or the scalars
// of an array (nested arrays flattened); objects are not leaves.
func appendLeaves(dst []any, v any) []any {
	switch t := v.(type) {
	case map[string]any:
		return dst
	case []any:
		for _, e := range t {
			dst = appendLeaves(dst, e)
		}
		return dst
	default:
		return append(dst, v)
	}
}

func matchRules(rules []rule, leaves []any) bool {
	for _, r := range rules {
		if e, ok := r.(existsRule); ok {
			if bool(e) == (len(leaves) > 0) {
				return true
			}
			continue
		}
		for _, v := range leaves {
			if r.match(v) {
				return true
			}
		}
	}
	return false
}
