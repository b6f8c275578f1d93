package shape

// Trail rewrites a decoded JSON input of op the way CloudTrail's
// requestParameters show it: every structure member's name with a lower-case
// first letter, at any depth, while map keys (tags, environment variables)
// stay as the caller wrote them. Members the model does not know keep their
// value and get a lower-case first letter; redact reports the members to
// leave out (secrets, code).
func (m *Model) Trail(op string, doc map[string]any, redact func(member string) bool) map[string]any {
	s := m.Shapes[m.Operations[op]]
	if s == nil {
		s = &Shape{Type: "structure"}
	}
	out, _ := m.trailValue(s, doc, redact).(map[string]any)
	return out
}

func (m *Model) trailValue(s *Shape, v any, redact func(string) bool) any {
	if s == nil {
		return v // a member the model does not know: as written
	}
	switch t := v.(type) {
	case map[string]any:
		if s.Type == "map" {
			out := make(map[string]any, len(t))
			for k, e := range t {
				out[k] = m.trailValue(m.ref(s.Value), e, redact)
			}
			return out
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			if redact(k) {
				continue
			}
			var ms *Shape
			for _, mem := range s.Members {
				if mem.Name == k || mem.LocationName == k {
					ms = m.Shapes[mem.Shape]
					break
				}
			}
			out[lower(k)] = m.trailValue(ms, e, redact)
		}
		return out
	case []any:
		es := m.ref(s.Member)
		for i, e := range t {
			t[i] = m.trailValue(es, e, redact)
		}
	}
	return v
}

func (m *Model) ref(r *Ref) *Shape {
	if r == nil {
		return nil
	}
	return m.Shapes[r.Shape]
}

// HasMember reports whether op's input has a top-level member of this name
// (its model name or its wire name). An operation the model does not know
// has every member.
func (m *Model) HasMember(op, name string) bool {
	s := m.Shapes[m.Operations[op]]
	if s == nil {
		return true
	}
	for _, mem := range s.Members {
		if mem.Name == name || mem.LocationName == name {
			return true
		}
	}
	return false
}
