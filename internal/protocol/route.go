package protocol

import (
	"net/http"
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
	headers  []string
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

// WithHeaders returns p requiring the request headers names as well.
func (p Pattern) WithHeaders(names ...string) Pattern {
	p.headers = append(append([]string(nil), p.headers...), names...)
	return p
}

// MatchHeader reports whether h has every header the pattern requires.
func (p Pattern) MatchHeader(h http.Header) bool {
	for _, name := range p.headers {
		if h.Get(name) == "" {
			return false
		}
	}
	return true
}

// Specificity orders patterns: one with more query rules and required
// headers, and more literal segments, is tried first.
func (p Pattern) Specificity() int {
	n := (len(p.query) + len(p.headers)) * 100
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
// ignoring the method, and returns the captured parameters. A greedy label
// captures the rest of the path exactly as sent, unescaped: S3 keys keep a
// trailing "/", a "//" and any escaped character. A path with a trailing
// "/" matches a pattern that ends before it.
func (p Pattern) MatchPath(escapedPath string, query url.Values) (map[string]string, bool) {
	for _, r := range p.query {
		vs, ok := query[r.key]
		if !ok || r.hasValue && (len(vs) == 0 || vs[0] != r.value) {
			return nil, false
		}
	}
	rest := strings.TrimPrefix(escapedPath, "/")
	var pp map[string]string
	capture := func(name, v string) {
		if pp == nil {
			pp = map[string]string{}
		}
		pp[name] = v
	}
	for _, s := range p.segments {
		label := len(s) >= 3 && s[0] == '{' && s[len(s)-1] == '}'
		if label && len(s) >= 4 && s[len(s)-2] == '+' {
			v, err := url.PathUnescape(rest)
			if err != nil || v == "" {
				return nil, false
			}
			capture(s[1:len(s)-2], v)
			return pp, true
		}
		seg, after, _ := strings.Cut(rest, "/")
		rest = after
		if label {
			v, err := url.PathUnescape(seg)
			if err != nil || v == "" {
				return nil, false
			}
			capture(s[1:len(s)-1], v)
			continue
		}
		if s != seg {
			return nil, false
		}
	}
	return pp, strings.Trim(rest, "/") == ""
}
