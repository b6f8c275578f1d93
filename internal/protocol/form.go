package protocol

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// decodeForm decodes awsQuery parameters into v, a pointer to a struct. A
// field is read from the parameter its `query` tag names, or its own name:
// scalars (string, bool, integers, and pointers to them) from Name; lists
// from Name.member.N (a list of structures from Name.member.N.Field);
// structures from Name.Field. A value that does not parse is AWS's
// ValidationError naming the parameter.
func decodeForm(params url.Values, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("protocol: query decode into %T", v)
	}
	return decodeStruct(params, "", rv.Elem())
}

func fieldName(f reflect.StructField) string {
	if tag := f.Tag.Get("query"); tag != "" {
		return tag
	}
	return f.Name
}

func decodeStruct(params url.Values, prefix string, sv reflect.Value) error {
	t := sv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("query") == "-" {
			continue
		}
		if err := decodeValue(params, prefix+fieldName(f), sv.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

// hasPrefix reports whether any parameter starts with name + ".".
func hasPrefix(params url.Values, name string) bool {
	p := name + "."
	for k := range params {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func decodeValue(params url.Values, name string, fv reflect.Value) error {
	switch fv.Kind() {
	case reflect.Pointer:
		if fv.Type().Elem().Kind() == reflect.Struct {
			if !hasPrefix(params, name) {
				return nil
			}
		} else if _, ok := params[name]; !ok {
			return nil
		}
		nv := reflect.New(fv.Type().Elem())
		if err := decodeValue(params, name, nv.Elem()); err != nil {
			return err
		}
		fv.Set(nv)
		return nil
	case reflect.Struct:
		return decodeStruct(params, name+".", fv)
	case reflect.Slice:
		elem := fv.Type().Elem()
		var items []reflect.Value
		for n := 1; ; n++ {
			item := name + ".member." + strconv.Itoa(n)
			_, scalar := params[item]
			if !scalar && !hasPrefix(params, item) {
				break
			}
			ev := reflect.New(elem).Elem()
			if err := decodeValue(params, item, ev); err != nil {
				return err
			}
			items = append(items, ev)
		}
		if items == nil {
			if _, empty := params[name]; empty && params.Get(name) == "" {
				fv.Set(reflect.MakeSlice(fv.Type(), 0, 0))
			}
			return nil
		}
		s := reflect.MakeSlice(fv.Type(), len(items), len(items))
		for i, it := range items {
			s.Index(i).Set(it)
		}
		fv.Set(s)
		return nil
	}
	raw, ok := params[name]
	if !ok || len(raw) == 0 {
		return nil
	}
	s := raw[0]
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return invalidValue(name, s)
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, fv.Type().Bits())
		if err != nil {
			return invalidValue(name, s)
		}
		fv.SetInt(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, fv.Type().Bits())
		if err != nil {
			return invalidValue(name, s)
		}
		fv.SetFloat(n)
	default:
		return fmt.Errorf("protocol: query decode of %s into %s", name, fv.Type())
	}
	return nil
}

// invalidValue is awsQuery's answer to a value of the wrong type.
func invalidValue(name, value string) *api.Error {
	return api.Errorf(400, "ValidationError", "Value '%s' at '%s' failed to satisfy constraint: Member must be a valid value", value, lowerFirst(name))
}

// lowerFirst writes a member name as AWS's messages and CloudTrail records
// do: RoleName -> roleName.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
