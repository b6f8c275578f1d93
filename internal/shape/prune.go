package shape

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Prune removes from body, the decoded JSON input of op, every key of its
// structures that names none of the structure's members exactly, and
// reports whether it removed any. AWS matches member names exactly and
// ignores other keys; Go's JSON decoder matches them ignoring case, so a
// body holding "limit" beside "Limit" would reach a handler's struct as
// the member, unchecked. Map keys are data and stay.
func (v *Validator) Prune(op string, body map[string]any) bool {
	s := v.model.Shapes[v.model.Operations[op]]
	if s == nil || body == nil {
		return false
	}
	return v.prune(s, body, 0)
}

func (v *Validator) prune(s *Shape, val any, depth int) bool {
	if s == nil || depth > pruneDepth {
		return false
	}
	pruned := false
	switch s.Type {
	case "structure":
		obj, ok := val.(map[string]any)
		if !ok {
			return false
		}
		for k, e := range obj {
			m, ok := s.member(k)
			if !ok {
				delete(obj, k)
				pruned = true
				continue
			}
			pruned = v.prune(v.model.Shapes[m.Shape], e, depth+1) || pruned
		}
	case "list":
		if list, ok := val.([]any); ok && s.Member != nil {
			for _, e := range list {
				pruned = v.prune(v.model.Shapes[s.Member.Shape], e, depth+1) || pruned
			}
		}
	case "map":
		if obj, ok := val.(map[string]any); ok && s.Value != nil {
			for _, e := range obj {
				pruned = v.prune(v.model.Shapes[s.Value.Shape], e, depth+1) || pruned
			}
		}
	}
	return pruned
}

// pruneDepth bounds how deep Prune walks: deeper than any input AWS
// accepts (DynamoDB nests attribute values 32 deep).
const pruneDepth = 64

// member returns the member of structure s whose wire name is name.
func (s *Shape) member(name string) (Member, bool) {
	for _, m := range s.Members {
		if m.wire() == name {
			return m, true
		}
	}
	return Member{}, false
}

// decodeJSON decodes a JSON body into a map of its members, numbers as
// written (json.Number), so that a body whose numbers overflow a float64
// still decodes and is checked, and a pruned body is written again as it
// came.
func decodeJSON(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// floats replaces the json.Numbers in v, in place, by float64s, as the
// checks read numbers: a number too large for one is infinite, out of
// every range.
func floats(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = floats(e)
		}
	case []any:
		for i, e := range x {
			x[i] = floats(e)
		}
	case json.Number:
		f, _ := strconv.ParseFloat(string(x), 64) // ±Inf when out of range
		return f
	}
	return v
}
