package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// jvalue is a JSON value that keeps object members in document order,
// which encoding/json's generic decoding does not.
type jvalue struct {
	kind jkind
	str  string    // string, number (as written), or "true"/"false"
	arr  []*jvalue // array elements
	keys []string  // object member names
	vals []*jvalue // object member values
}

type jkind uint8

const (
	jString jkind = iota
	jNumber
	jBool
	jNull
	jArray
	jObject
)

var (
	errJSON      = errors.New("invalid json")
	errDuplicate = errors.New("duplicate key")
)

// parseJSON decodes one JSON document. Duplicate object keys are reported
// as errDuplicate; anything that is not JSON as errJSON.
func parseJSON(doc string) (*jvalue, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	v, err := readValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errJSON
	}
	return v, nil
}

const maxDepth = 64

func readValue(dec *json.Decoder, depth int) (*jvalue, error) {
	if depth > maxDepth {
		return nil, errJSON
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, errJSON
	}
	switch t := tok.(type) {
	case string:
		return &jvalue{kind: jString, str: t}, nil
	case json.Number:
		return &jvalue{kind: jNumber, str: string(t)}, nil
	case bool:
		if t {
			return &jvalue{kind: jBool, str: "true"}, nil
		}
		return &jvalue{kind: jBool, str: "false"}, nil
	case nil:
		return &jvalue{kind: jNull}, nil
	case json.Delim:
		switch t {
		case '[':
			v := &jvalue{kind: jArray}
			for dec.More() {
				e, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil {
				return nil, errJSON
			}
			return v, nil
		case '{':
			v := &jvalue{kind: jObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, errJSON
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errJSON
				}
				e, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if v.get(k) != nil {
					return nil, errDuplicate
				}
				v.keys = append(v.keys, k)
				v.vals = append(v.vals, e)
			}
			if _, err := dec.Token(); err != nil {
				return nil, errJSON
			}
			return v, nil
		}
	}
	return nil, errJSON
}

// get returns the member named k of an object, or nil.
func (v *jvalue) get(k string) *jvalue {
	for i, name := range v.keys {
		if name == k {
			return v.vals[i]
		}
	}
	return nil
}

// compact renders v as JSON without insignificant whitespace.
func (v *jvalue) compact() string {
	var b bytes.Buffer
	v.write(&b)
	return b.String()
}

func (v *jvalue) write(b *bytes.Buffer) {
	switch v.kind {
	case jString:
		writeString(b, v.str)
	case jNumber, jBool:
		b.WriteString(v.str)
	case jNull:
		b.WriteString("null")
	case jArray:
		b.WriteByte('[')
		for i, e := range v.arr {
			if i > 0 {
				b.WriteByte(',')
			}
			e.write(b)
		}
		b.WriteByte(']')
	case jObject:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			v.vals[i].write(b)
		}
		b.WriteByte('}')
	}
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

// strings returns the string values of a string-or-array-of-strings value
// and whether it had that shape.
func (v *jvalue) strings() ([]string, bool) {
	switch v.kind {
	case jString:
		return []string{v.str}, true
	case jArray:
		out := make([]string, 0, len(v.arr))
		for _, e := range v.arr {
			if e.kind != jString {
				return nil, false
			}
			out = append(out, e.str)
		}
		return out, true
	}
	return nil, false
}

// scalars is like strings but also accepts numbers and booleans, as
// condition values do.
func (v *jvalue) scalars() ([]string, bool) {
	switch v.kind {
	case jString, jNumber, jBool:
		return []string{v.str}, true
	case jArray:
		out := make([]string, 0, len(v.arr))
		for _, e := range v.arr {
			switch e.kind {
			case jString, jNumber, jBool:
				out = append(out, e.str)
			default:
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// replacePrincipals returns a copy of the policy document v in which the
// values of the "AWS" members of each statement's Principal and
// NotPrincipal that are keys of with are replaced by their values.
func (v *jvalue) replacePrincipals(with map[string]string) *jvalue {
	out := v.clone()
	stmts := out.get("Statement")
	if stmts == nil {
		return out
	}
	list := []*jvalue{stmts}
	if stmts.kind == jArray {
		list = stmts.arr
	}
	for _, st := range list {
		if st.kind != jObject {
			continue
		}
		for _, elem := range [...]string{"Principal", "NotPrincipal"} {
			p := st.get(elem)
			if p == nil || p.kind != jObject {
				continue
			}
			aws := p.get("AWS")
			if aws == nil {
				continue
			}
			vals := []*jvalue{aws}
			if aws.kind == jArray {
				vals = aws.arr
			}
			for _, e := range vals {
				if r, ok := with[e.str]; ok && e.kind == jString {
					e.str = r
				}
			}
		}
	}
	return out
}

// clone returns a deep copy of v.
func (v *jvalue) clone() *jvalue {
	c := &jvalue{kind: v.kind, str: v.str}
	if v.arr != nil {
		c.arr = make([]*jvalue, len(v.arr))
		for i, e := range v.arr {
			c.arr[i] = e.clone()
		}
	}
	if v.keys != nil {
		c.keys = append([]string(nil), v.keys...)
		c.vals = make([]*jvalue, len(v.vals))
		for i, e := range v.vals {
			c.vals[i] = e.clone()
		}
	}
	return c
}
