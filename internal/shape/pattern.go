package shape

import (
	"regexp"
	"strings"
)

// Compile translates a model pattern, written for Java's regular
// expressions, to Go and anchors it: AWS requires the whole value to match.
// Java's \uXXXX escapes (exactly four hex digits) become \x{XXXX}; the
// classes \w \d \s \p{L} \p{N} \p{Z} mean the same in both. Patterns using
// what Go lacks (look-around, back-references, possessive quantifiers)
// return an error.
func Compile(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '\\' || i+1 >= len(pattern) {
			b.WriteByte(c)
			continue
		}
		next := pattern[i+1]
		if next == 'u' && i+6 <= len(pattern) && isHex(pattern[i+2:i+6]) {
			b.WriteString(`\x{` + pattern[i+2:i+6] + `}`)
			i += 5
			continue
		}
		b.WriteByte(c)
		b.WriteByte(next)
		i++
	}
	return regexp.Compile(`\A(?:` + b.String() + `)\z`)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
