package lint

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// nodeKind is the JSON type of a node.
type nodeKind uint8

const (
	jString nodeKind = iota
	jNumber
	jBool
	jNull
	jArray
	jObject
)

var kindNames = [...]string{jString: "String", jNumber: "Number", jBool: "Boolean", jNull: "Null", jArray: "Array", jObject: "Object"}

// A node is one JSON value of the document with its byte span [start, end).
type node struct {
	kind       nodeKind
	start, end int
	str        string   // jString: the decoded text; jNumber, jBool: as written
	elems      []*node  // jArray
	members    []member // jObject, in document order, duplicates kept
}

// A member is one key of an object with the span of the key itself.
type member struct {
	key        string
	start, end int
	val        *node
}

// get returns the first member of an object named key (case-sensitive).
func (n *node) get(key string) (member, bool) {
	if n == nil || n.kind != jObject {
		return member{}, false
	}
	for _, m := range n.members {
		if m.key == key {
			return m, true
		}
	}
	return member{}, false
}

// list returns the elements of an array, or the node itself for a single
// value, the two forms policy elements accept.
func (n *node) list() []*node {
	if n.kind == jArray {
		return n.elems
	}
	return []*node{n}
}

// errSyntax is a document that is not JSON; its offset is where it fails.
type errSyntax struct{ offset int }

func (e *errSyntax) Error() string { return "json syntax error" }

// parseTree parses doc, which must be one JSON value, into nodes with spans.
func parseTree(doc string) (*node, error) {
	if err := syntaxCheck(doc); err != nil {
		return nil, err
	}
	p := &treeParser{s: doc}
	n := p.value()
	return n, nil
}

// syntaxCheck reports the first syntax error of doc with its byte offset,
// as encoding/json finds it.
func syntaxCheck(doc string) error {
	var v any
	err := json.Unmarshal([]byte(doc), &v)
	var se *json.SyntaxError
	switch {
	case err == nil && utf8.ValidString(doc):
		return nil
	case errors.As(err, &se):
		return &errSyntax{offset: int(max(se.Offset-1, 0))}
	default:
		return &errSyntax{offset: len(doc)}
	}
}

// treeParser walks a document already known to be valid JSON.
type treeParser struct {
	s string
	i int
}

func (p *treeParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *treeParser) value() *node {
	p.space()
	n := &node{start: p.i}
	switch c := p.s[p.i]; {
	case c == '{':
		n.kind = jObject
		p.i++
		p.space()
		if p.s[p.i] == '}' {
			p.i++
			break
		}
		for {
			p.space()
			ks := p.i
			key := p.stringText()
			m := member{key: key, start: ks, end: p.i}
			p.space()
			p.i++ // ':'
			m.val = p.value()
			n.members = append(n.members, m)
			p.space()
			c := p.s[p.i]
			p.i++
			if c == '}' {
				break
			}
		}
	case c == '[':
		n.kind = jArray
		p.i++
		p.space()
		if p.s[p.i] == ']' {
			p.i++
			break
		}
		for {
			n.elems = append(n.elems, p.value())
			p.space()
			c := p.s[p.i]
			p.i++
			if c == ']' {
				break
			}
		}
	case c == '"':
		n.kind = jString
		n.str = p.stringText()
	case c == 't' || c == 'f':
		n.kind = jBool
		n.str = "false"
		if c == 't' {
			n.str = "true"
		}
		p.i += len(n.str)
	case c == 'n':
		n.kind = jNull
		p.i += 4
	default:
		n.kind = jNumber
		for p.i < len(p.s) && isNumberByte(p.s[p.i]) {
			p.i++
		}
		n.str = p.s[n.start:p.i]
	}
	n.end = p.i
	return n
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// stringText reads a string token and returns its decoded text.
func (p *treeParser) stringText() string {
	start := p.i
	p.i++
	for p.s[p.i] != '"' {
		if p.s[p.i] == '\\' {
			p.i++
		}
		p.i++
	}
	p.i++
	var out string
	if err := json.Unmarshal([]byte(p.s[start:p.i]), &out); err != nil {
		return p.s[start+1 : p.i-1] // unreachable: the document is valid JSON
	}
	return out
}

// duplicateKey returns the offset of the first key that repeats a key of
// the same object (compared exactly, as IAM compares them), or -1.
func duplicateKey(n *node) int {
	switch n.kind {
	case jArray:
		for _, e := range n.elems {
			if off := duplicateKey(e); off >= 0 {
				return off
			}
		}
	case jObject:
		seen := make(map[string]bool, len(n.members))
		for _, m := range n.members {
			if seen[m.key] {
				return m.start
			}
			seen[m.key] = true
			if off := duplicateKey(m.val); off >= 0 {
				return off
			}
		}
	}
	return -1
}
