package policy

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A pattern is a compiled string template: literal text, the wildcards *
// and ? (when compiled as a glob), and policy variables.
type pattern struct {
	mode  pmode
	lit   string // the text for exact, prefix and suffix modes
	atoms []atom
	vars  []pvar
}

type pmode uint8

const (
	mExact  pmode = iota // lit
	mPrefix              // lit*
	mSuffix              // *lit
	mAny                 // *
	mGlob                // anything else, or any pattern with variables
)

type atomKind uint8

const (
	atomLit atomKind = iota
	atomStar
	atomOne
	atomVar
)

type atom struct {
	kind atomKind
	s    string // literal text
	v    int    // index into pattern.vars
}

// pvar is a policy variable: a condition key and an optional default.
type pvar struct {
	key    ckey
	def    string
	hasDef bool
}

// maxVars bounds the variables of one pattern so that resolving them needs
// no allocation.
const maxVars = 8

var errPattern = errors.New("bad pattern")

// compilePattern compiles s. With glob, * and ? are wildcards; with vars,
// ${...} is a policy variable; with lower, the literal text is lower-cased
// (for case-insensitive matching of actions).
func compilePattern(s string, glob, vars, lower bool) (pattern, error) {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t := lit.String()
			if lower {
				t = strings.ToLower(t)
			}
			p.atoms = append(p.atoms, atom{kind: atomLit, s: t})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case glob && c == '*':
			flush()
			if n := len(p.atoms); n == 0 || p.atoms[n-1].kind != atomStar {
				p.atoms = append(p.atoms, atom{kind: atomStar})
			}
		case glob && c == '?':
			flush()
			p.atoms = append(p.atoms, atom{kind: atomOne})
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return p, errPattern
			}
			inner := strings.TrimSpace(s[i+2 : i+end])
			i += end
			switch inner {
			case "*", "?", "$":
				lit.WriteString(inner)
				continue
			}
			v, err := parseVar(inner)
			if err != nil {
				return p, err
			}
			if len(p.vars) == maxVars {
				return p, errPattern
			}
			flush()
			p.atoms = append(p.atoms, atom{kind: atomVar, v: len(p.vars)})
			p.vars = append(p.vars, v)
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	p.mode = mGlob
	if len(p.vars) == 0 {
		a := p.atoms
		switch {
		case len(a) == 0:
			p.mode, p.lit = mExact, ""
		case len(a) == 1 && a[0].kind == atomLit:
			p.mode, p.lit = mExact, a[0].s
		case len(a) == 1 && a[0].kind == atomStar:
			p.mode = mAny
		case len(a) == 2 && a[0].kind == atomLit && a[1].kind == atomStar:
			p.mode, p.lit = mPrefix, a[0].s
		case len(a) == 2 && a[0].kind == atomStar && a[1].kind == atomLit:
			p.mode, p.lit = mSuffix, a[1].s
		}
	}
	return p, nil
}

// parseVar parses the inside of ${...}: a key name, optionally followed by
// a comma and a default value in single quotes.
func parseVar(s string) (pvar, error) {
	var v pvar
	name := s
	if i := strings.IndexByte(s, ','); i >= 0 {
		name = strings.TrimSpace(s[:i])
		def := strings.TrimSpace(s[i+1:])
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return v, errPattern
		}
		v.def, v.hasDef = def[1:len(def)-1], true
	}
	if !validKeyName(name) {
		return v, errPattern
	}
	v.key = makeKey(name)
	return v, nil
}

// validKeyName reports whether s has the form vendor:name.
func validKeyName(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return false
	}
	return validVendor(s[:i])
}

func validVendor(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// resolve fills vals with the values of p's variables. It reports false
// when a variable has no value (and no default): the pattern then matches
// nothing.
func (p *pattern) resolve(ctx *Context, vals *[maxVars]string) bool {
	for i := range p.vars {
		v := &p.vars[i]
		got, multi, ok := ctx.lookup(v.key)
		switch {
		case ok && !multi && len(got) == 1:
			vals[i] = got[0]
		case v.hasDef:
			vals[i] = v.def
		default:
			return false
		}
	}
	return true
}

// match reports whether s matches p. With lower, p's text was lower-cased
// at compile time and s is compared ASCII case-insensitively.
func (p *pattern) match(s string, ctx *Context, lower bool) bool {
	switch p.mode {
	case mAny:
		return true
	case mExact:
		if lower {
			return len(s) == len(p.lit) && hasPrefixLower(s, p.lit)
		}
		return s == p.lit
	case mPrefix:
		if lower {
			return hasPrefixLower(s, p.lit)
		}
		return strings.HasPrefix(s, p.lit)
	case mSuffix:
		if lower {
			return len(s) >= len(p.lit) && hasPrefixLower(s[len(s)-len(p.lit):], p.lit)
		}
		return strings.HasSuffix(s, p.lit)
	}
	var vals [maxVars]string
	if !p.resolve(ctx, &vals) {
		return false
	}
	return globMatch(p.atoms, &vals, s, lower)
}

// equalFold reports whether s equals the (wildcard-free) pattern p under
// Unicode case folding.
func (p *pattern) equalFold(s string, ctx *Context) bool {
	if p.mode == mExact {
		return strings.EqualFold(s, p.lit)
	}
	var vals [maxVars]string
	if !p.resolve(ctx, &vals) {
		return false
	}
	for i := range p.atoms {
		a := &p.atoms[i]
		t := a.s
		if a.kind == atomVar {
			t = vals[a.v]
		}
		n, ok := foldPrefix(s, t)
		if !ok {
			return false
		}
		s = s[n:]
	}
	return s == ""
}

// hasPrefixLower reports whether s begins with lower, comparing s's bytes
// lower-cased (ASCII).
func hasPrefixLower(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if toLower(s[i]) != lower[i] {
			return false
		}
	}
	return true
}

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// globMatch matches s against atoms, where * matches any run of characters
// and ? any one character. It backtracks only to the last *, which is
// enough for patterns whose only metacharacters are * and ?.
func globMatch(atoms []atom, vals *[maxVars]string, s string, lower bool) bool {
	ai, aj, k := 0, 0, 0
	starA, starK := -1, 0
	text := func(a *atom) string {
		if a.kind == atomVar {
			return vals[a.v]
		}
		return a.s
	}
	for {
		// Step over exhausted literal text.
		for ai < len(atoms) {
			a := &atoms[ai]
			if (a.kind == atomLit || a.kind == atomVar) && aj >= len(text(a)) {
				ai, aj = ai+1, 0
				continue
			}
			break
		}
		if k == len(s) {
			for ai < len(atoms) {
				a := &atoms[ai]
				if a.kind == atomStar || (a.kind != atomOne && aj >= len(text(a))) {
					ai, aj = ai+1, 0
					continue
				}
				break
			}
			return ai == len(atoms)
		}
		if ai < len(atoms) {
			a := &atoms[ai]
			switch a.kind {
			case atomStar:
				starA, starK = ai+1, k
				ai, aj = ai+1, 0
				continue
			case atomOne:
				_, n := utf8.DecodeRuneInString(s[k:])
				k += n
				ai, aj = ai+1, 0
				continue
			default:
				c := s[k]
				if lower {
					c = toLower(c)
				}
				if c == text(a)[aj] {
					aj++
					k++
					continue
				}
			}
		}
		if starA < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starK:])
		starK += n
		k = starK
		ai, aj = starA, 0
	}
}

// foldPrefix reports whether s begins with t under Unicode simple case
// folding, and the length of that prefix of s.
func foldPrefix(s, t string) (int, bool) {
	k := 0
	for _, r := range t {
		if k >= len(s) {
			return 0, false
		}
		r2, n := utf8.DecodeRuneInString(s[k:])
		if r2 != r && !foldEq(r, r2) {
			return 0, false
		}
		k += n
	}
	return k, true
}

func foldEq(a, b rune) bool {
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

// splitARN splits s at its first five colons into the six components of an
// ARN; the last component keeps any further colons. With vars, colons inside
// policy variables (${...}) do not split. n is the number of components.
func splitARN(s string, vars bool) (parts [6]string, n int) {
	if !vars {
		return splitResource(s)
	}
	start, depth := 0, 0
	for i := 0; i < len(s) && n < 5; i++ {
		switch s[i] {
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				depth++
			}
		case '}':
			if depth > 0 {
				depth--
			}
		case ':':
			if depth == 0 {
				parts[n] = s[start:i]
				n++
				start = i + 1
			}
		}
	}
	parts[n] = s[start:]
	return parts, n + 1
}

// arnPattern is a compiled ARN pattern, matched component by component so
// that wildcards do not cross the colons between the first five components.
type arnPattern struct {
	any   bool   // "*": matches every resource
	lit   bool   // no wildcards or variables: exact is compared whole
	vars  bool   // some component holds a policy variable
	s     string // the pattern as written
	exact string // when lit, the ARN it matches: s with ${*}, ${?}, ${$} read
	parts [6]pattern
}

func compileARNPattern(s string, vars bool) (arnPattern, error) {
	a := arnPattern{s: s}
	if s == "*" {
		a.any = true
		return a, nil
	}
	parts, n := splitARN(s, vars)
	if n != 6 {
		return a, errPattern
	}
	a.lit = true
	for i := range parts {
		p, err := compilePattern(parts[i], true, vars, false)
		if err != nil {
			return a, err
		}
		a.parts[i] = p
		if p.mode != mExact {
			a.lit = false
		}
		if len(p.vars) > 0 {
			a.vars = true
		}
	}
	if a.lit {
		lits := make([]string, len(a.parts))
		for i := range a.parts {
			lits[i] = a.parts[i].lit
		}
		a.exact = strings.Join(lits, ":")
	}
	return a, nil
}

// resolved reports whether every policy variable of a has a value (or a
// default) in ctx.
func (a *arnPattern) resolved(ctx *Context) bool {
	if !a.vars {
		return true
	}
	var vals [maxVars]string
	for i := range a.parts {
		if p := &a.parts[i]; len(p.vars) > 0 && !p.resolve(ctx, &vals) {
			return false
		}
	}
	return true
}

// match reports whether arn, also given split into parts (n components),
// matches. A pattern with a policy variable that has no value matches
// nothing.
func (a *arnPattern) match(arn string, parts *[6]string, n int, ctx *Context) bool {
	if a.any {
		return true
	}
	if a.lit {
		return arn == a.exact
	}
	if n != 6 {
		return false
	}
	for i := range a.parts {
		if !a.parts[i].match(parts[i], ctx, false) {
			return false
		}
	}
	return true
}

// splitResource splits an ARN at its first five colons; unlike splitARN
// it never treats ${ specially, as a request's ARN is never a pattern.
func splitResource(s string) (parts [6]string, n int) {
	for n < 5 {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			break
		}
		parts[n] = s[:i]
		n++
		s = s[i+1:]
	}
	parts[n] = s
	return parts, n + 1
}
