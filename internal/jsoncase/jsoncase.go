// Package jsoncase finds the members of a JSON body spelt in another case
// than the Go type it decodes into names them. encoding/json matches
// member names without regard to case, so "batchSize" fills BatchSize;
// AWS's model checks read the exact names, and a member in another case
// would be decoded past them. Services refuse such bodies.
package jsoncase

import (
	"encoding/json"
	"reflect"
	"strings"
)

// rawMessage is the type of the members kept undecoded.
var rawMessage = reflect.TypeOf(json.RawMessage(nil))

// Misspelt returns the path ("ScalingConfig.maximumConcurrency") of the
// first member of body whose name equals a field's JSON name of v's type
// only under case folding, at any depth; "" when there is none or body is
// not JSON (the decoder answers for that). Map keys are data and are not
// checked; members no field names are left to the decoder, which ignores
// them.
func Misspelt(body []byte, v any) string {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return ""
	}
	return misspelt(doc, reflect.TypeOf(v), "")
}

// misspelt returns the path of the first member of v spelt in another
// case than its field of t, "" when there is none.
func misspelt(v any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessage {
		return ""
	}
	switch val := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, e := range val {
				if p := misspelt(e, t.Elem(), path+"."+k); p != "" {
					return p
				}
			}
		case reflect.Struct:
			for k, e := range val {
				f, ok := fieldFor(t, k)
				if !ok {
					continue // not a member: the decoder leaves it
				}
				if f.name != k {
					return strings.TrimPrefix(path+"."+k, ".")
				}
				if p := misspelt(e, f.typ, path+"."+k); p != "" {
					return p
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, e := range val {
				if p := misspelt(e, t.Elem(), path+"[]"); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

// member is a struct field as the body names it.
type member struct {
	name string
	typ  reflect.Type
}

// fieldFor returns the exported field of struct t whose JSON name equals
// key under case folding, as encoding/json matches them.
func fieldFor(t reflect.Type, key string) (member, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return member{name: name, typ: f.Type}, true
		}
	}
	return member{}, false
}
