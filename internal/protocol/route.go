package protocol

import (
	"net/url"
	"strings"
)

// Pattern is a compiled REST route: a method, path segments (literal,
// "{Name}" or a trailing greedy "{Name+}") and the query keys that must be
// present ("policy", or "list-type=2" for a key with that value). It is the
// shape of a Smithy model's http trait ("/{Bucket}/{Key+}?uploads").
type Pattern struct {
	Method   string
	segments []string
	query    []queryRule
}

type queryRule struct {
	key, value string
	hasValue   bool
}

// Compile parses a route. uri is a model's requestUri, whose query part
// may be given in uri or as query keys.
func Compile(method, uri string, query ...string) Pattern {
	p := Pattern{Method: method}
	path, q, _ := strings.Cut(uri, "?")
	if trimmed := strings.Trim(path, "/"); trimmed != "" {
		p.segments = strings.Split(trimmed, "/")
	}
	var keys []string
	if q != "" {
		keys = append(keys, strings.Split(q, "&")...)
	}
	keys = append(keys, query...)
	for _, k := range keys {
		if k == "" {
			continue
		}
		key, value, has := strings.Cut(k, "=")
		p.query = append(p.query, queryRule{key: key, value: value, hasValue: has})
	}
	return p
}

// Specificity orders patterns: one with more query rules and more literal
// segments is tried first.
func (p Pattern) Specificity() int {
	n := len(p.query) * 100
	for _, s := range p.segments {
		switch {
		case !strings.HasPrefix(s, "{"):
			n += 2
		case !strings.HasSuffix(s, "+}"):
			n++
		}
	}
	return n
}

// MatchPath matches an escaped path and query against the pattern,
// ignoring the method, and returns the captured parameters.
func (p Pattern) MatchPath(escapedPath string, query url.Values) (map[string]string, bool) {
	for _, r := range p.query {
		vs, ok := query[r.key]
		if !ok || r.hasValue && (len(vs) == 0 || vs[0] != r.value) {
			return nil, false
		}
	}
	var segs []string
	if trimmed := strings.Trim(escapedPath, "/"); trimmed != "" {
		segs = strings.Split(trimmed, "/")
	}
	var pp map[string]string
	capture := func(name, v string) {
		if pp == nil {
			pp = map[string]string{}
		}
		pp[name] = v
	}
	for i, s := range p.segments {
		label := len(s) >= 3 && s[0] == '{' && s[len(s)-1] == '}'
		if label && len(s) >= 4 && s[len(s)-2] == '+' {
			if i >= len(segs) {
				return nil, false
			}
			v, err := url.PathUnescape(strings.Join(segs[i:], "/"))
			if err != nil || v == "" {
				return nil, false
			}
			capture(s[1:len(s)-2], v)
			return pp, true
		}
		if i >= len(segs) {
			return nil, false
		}
		if label {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, false
			}
			capture(s[1:len(s)-1], v)
			continue
		}
		if s != segs[i] {
			return nil, false
		}
	}
	return pp, len(p.segments) == len(segs)
}
