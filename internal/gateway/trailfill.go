package gateway

import (
	"reflect"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/protocol"
)

// fillTrail fills what a handler left blank of its trail record, as
// CloudTrail does for every operation: requestParameters from the request's
// input (member names with a lower-case first letter, secrets and code left
// out) and, for operations that change something, responseElements from
// the output.
func fillTrail(c *api.Call, out any) {
	if c.Trail.RequestParameters == nil {
		c.Trail.RequestParameters = requestParameters(c)
	}
	if c.Trail.ResponseElements == nil && c.Operation != nil && !c.Operation.ReadOnly {
		if _, raw := out.(*api.Raw); !raw && out != nil {
			if m, ok := trailValue(reflect.ValueOf(out)).(map[string]any); ok && len(m) > 0 {
				c.Trail.ResponseElements = m
			}
		}
	}
	redactValues(c.Trail.RequestParameters)
	redactValues(c.Trail.ResponseElements)
}

// redactedValues are the members whose values are secrets wherever they
// sit under a parent member (lower-cased): a function's environment
// variables. CloudTrail leaves them out.
var redactedValues = map[string]string{"environment": "variables"}

// redactValues removes redactedValues from a recorded value, at any depth.
func redactValues(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if child, ok := redactedValues[strings.ToLower(k)]; ok {
				if m, ok := e.(map[string]any); ok {
					for mk := range m {
						if strings.ToLower(mk) == child {
							delete(m, mk)
						}
					}
				}
			}
			redactValues(e)
		}
	case []any:
		for _, e := range t {
			redactValues(e)
		}
	}
}

// requestParameters is the call's input as CloudTrail shows it: an
// in-process call's typed input, or what its protocol decoded.
func requestParameters(c *api.Call) map[string]any {
	if c.Input == nil {
		if c.Protocol == nil {
			return nil
		}
		return c.Protocol.Parameters(c)
	}
	m, _ := trailValue(reflect.ValueOf(c.Input)).(map[string]any)
	if len(m) == 0 {
		return nil
	}
	return m
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

var timeType = reflect.TypeFor[time.Time]()

// trailValue converts a handler's input or output value to CloudTrail's
// JSON form: structures become objects keyed by their wire member names
// (xml, then json tag, then field name) with a lower-case first letter.
func trailValue(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			if t.IsZero() {
				return nil
			}
			return t.UTC().Format("Jan 2, 2006, 3:04:05 PM")
		}
		m := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := memberName(f)
			if name == "" || protocol.Redacted(name) {
				continue
			}
			if e := trailValue(v.Field(i)); e != nil {
				if f.Anonymous {
					if sub, ok := e.(map[string]any); ok {
						for k, x := range sub {
							m[k] = x
						}
						continue
					}
				}
				m[lowerFirst(name)] = e
			}
		}
		return m
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil
		}
		m := map[string]any{}
		for _, k := range v.MapKeys() {
			if e := trailValue(v.MapIndex(k)); e != nil {
				m[k.String()] = e
			}
		}
		return m
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // blobs are not recorded
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = trailValue(v.Index(i))
		}
		return out
	case reflect.String:
		if v.String() == "" {
			return nil
		}
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return nil
}

// memberName is a field's wire name: its xml tag's last element, its json
// tag, or its name; "" for a field the wire leaves out.
func memberName(f reflect.StructField) string {
	for _, tag := range []string{"xml", "json"} {
		if t, ok := f.Tag.Lookup(tag); ok {
			name, _, _ := strings.Cut(t, ",")
			if name == "-" {
				return ""
			}
			if i := strings.LastIndexByte(name, '>'); i >= 0 {
				name = name[i+1:]
			}
			if name != "" {
				return name
			}
		}
	}
	if f.Name == "XMLName" {
		return ""
	}
	return f.Name
}
