package logs

import (
	"strings"
)

// compilePattern compiles a filter pattern for unstructured log events:
// terms that must all appear (ERROR Exception), quoted phrases ("timed out"),
// terms that must not appear (-DEBUG), and alternatives (?ERROR ?WARN). JSON
// ({ $.x = 1 }), space-delimited ([a, b]) and regular-expression (%..%)
// patterns are refused rather than matched loosely.
func compilePattern(pattern string) (func(msg string) bool, error) {
	p := strings.TrimSpace(pattern)
	if p == "" {
		return func(string) bool { return true }, nil
	}
	switch p[0] {
	case '{', '[', '%':
		return nil, invalidParameter("Invalid filter pattern %q: JSON, space-delimited and regular-expression filter patterns are not supported.", pattern)
	}
	type term struct {
		text     string
		negate   bool
		optional bool
	}
	var terms []term
	for i := 0; i < len(p); {
		if p[i] == ' ' || p[i] == '\t' {
			i++
			continue
		}
		var t term
		switch p[i] {
		case '-':
			t.negate = true
			i++
		case '?':
			t.optional = true
			i++
		}
		if i < len(p) && p[i] == '"' {
			end := strings.IndexByte(p[i+1:], '"')
			if end < 0 {
				return nil, invalidParameter("Invalid filter pattern %q: unterminated quoted term.", pattern)
			}
			t.text = p[i+1 : i+1+end]
			i += end + 2
		} else {
			j := i
			for j < len(p) && p[j] != ' ' && p[j] != '\t' {
				j++
			}
			t.text = p[i:j]
			i = j
			for _, r := range t.text {
				if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
					return nil, invalidParameter("Invalid character(s) in term '%s'", t.text)
				}
			}
		}
		if t.text == "" {
			return nil, invalidParameter("Invalid filter pattern %q: empty term.", pattern)
		}
		terms = append(terms, t)
	}
	optional := 0
	for _, t := range terms {
		if t.optional {
			optional++
		}
	}
	if optional > 0 && optional < len(terms) {
		return nil, invalidParameter("Invalid filter pattern %q: ?term alternatives cannot be combined with other terms.", pattern)
	}
	if optional > 0 {
		return func(msg string) bool {
			for _, t := range terms {
				if strings.Contains(msg, t.text) {
					return true
				}
			}
			return false
		}, nil
	}
	return func(msg string) bool {
		for _, t := range terms {
			if strings.Contains(msg, t.text) == t.negate {
				return false
			}
		}
		return true
	}, nil
}
