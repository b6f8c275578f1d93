package catalog

import "strings"

// MatchActions returns the actions a policy's action pattern matches, in
// service and then name order: "s3:Get*" gives every s3 action whose name
// begins with Get, "*" every action. As in IAM, "*" matches any run of
// characters, "?" any one character, and case is ignored.
func (c *Catalog) MatchActions(pattern string) []*Action {
	if pattern == "*" {
		var all []*Action
		for _, s := range c.services {
			all = append(all, s.Actions...)
		}
		return all
	}
	svc, name, ok := strings.Cut(pattern, ":")
	if !ok {
		return nil
	}
	var out []*Action
	match := func(s *Service) {
		if !hasWild(name) {
			if a := s.Action(name); a != nil {
				out = append(out, a)
			}
			return
		}
		for _, a := range s.Actions {
			if wildcard(name, a.Name) {
				out = append(out, a)
			}
		}
	}
	if !hasWild(svc) {
		if s := c.Service(svc); s != nil {
			match(s)
		}
		return out
	}
	for _, s := range c.services {
		if wildcard(svc, s.Prefix) {
			match(s)
		}
	}
	return out
}

func hasWild(s string) bool { return strings.ContainsAny(s, "*?") }

// wildcard reports whether s matches pattern, ignoring ASCII case, where
// "*" in pattern matches any run of characters and "?" any one character.
func wildcard(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // last '*' seen in pattern, and where in s it began
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || foldEq(pattern[p], s[i])):
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func foldEq(a, b byte) bool {
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}
