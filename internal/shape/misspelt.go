package shape

import "strings"

// Misspelt returns the path ("ScalingConfig.maximumConcurrency",
// "Filters[].pattern") of the first key of body, the decoded JSON body of
// op, that names a body member of its structure only under case folding;
// "" when there is none. Go's JSON decoder matches member names ignoring
// case, so such a key would reach a handler's struct as the member past
// the checks, which read the exact names. Map keys are data, and keys
// that name no member at all are left to the decoder, which ignores them.
func (v *Validator) Misspelt(op string, body map[string]any) string {
	s := v.model.Shapes[v.model.Operations[op]]
	if s == nil || body == nil {
		return ""
	}
	return v.misspelt(s, body, "", 0)
}

func (v *Validator) misspelt(s *Shape, val any, path string, depth int) string {
	if s == nil || depth > pruneDepth {
		return ""
	}
	switch s.Type {
	case "structure":
		obj, _ := val.(map[string]any)
		for k, e := range obj {
			m, ok := s.bodyMember(k)
			if !ok {
				continue
			}
			at := strings.TrimPrefix(path+"."+k, ".")
			if m.wire() != k {
				return at
			}
			if p := v.misspelt(v.model.Shapes[m.Shape], e, at, depth+1); p != "" {
				return p
			}
		}
	case "list":
		if list, ok := val.([]any); ok && s.Member != nil {
			for _, e := range list {
				if p := v.misspelt(v.model.Shapes[s.Member.Shape], e, path+"[]", depth+1); p != "" {
					return p
				}
			}
		}
	case "map":
		if obj, ok := val.(map[string]any); ok && s.Value != nil {
			for k, e := range obj {
				if p := v.misspelt(v.model.Shapes[s.Value.Shape], e, path+"."+k, depth+1); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

// wire is the member's name on the wire.
func (m Member) wire() string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

// bodyMember returns the member of structure s that travels in the body
// and whose wire name equals name under case folding.
func (s *Shape) bodyMember(name string) (Member, bool) {
	for _, m := range s.Members {
		if m.Location == "" && strings.EqualFold(m.wire(), name) {
			return m, true
		}
	}
	return Member{}, false
}
