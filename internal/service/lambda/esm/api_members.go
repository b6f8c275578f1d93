package esm

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// rawMessage is the type of the members kept undecoded.
var rawMessage = reflect.TypeOf(json.RawMessage(nil))

// checkMemberNames refuses a body with a member spelt in another case
// than the model's ("batchSize" for BatchSize), at any depth of t, the
// Go type the body decodes into. Go's decoder would take such a member
// for the model's, past the model's checks, which read the exact names;
// the answer is a SerializationException naming the member. A body that
// is not JSON is left to the decoder's own answer.
func checkMemberNames(body []byte, t reflect.Type) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil
	}
	if path := misspelt(v, t, ""); path != "" {
		return api.Errorf(400, "SerializationException", "Unrecognized member %s: member names are case-sensitive", path)
	}
	return nil
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
