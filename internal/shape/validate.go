package shape

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxDepth bounds how deep nested structures, lists and maps are checked.
const maxDepth = 10

// Input is a request's input as it arrived on the wire.
type Input struct {
	// Params are the query protocol's form parameters, or a REST
	// request's query string.
	Params url.Values
	// Body is a JSON protocol's decoded body (nil when empty).
	Body map[string]any
	// Path holds a REST request's URI labels, unescaped.
	Path map[string]string
	// Header holds a REST request's headers.
	Header http.Header
}

// Violation is one failed constraint.
type Violation struct {
	// Value is the value as the message quotes it: "'x'", "null", or ""
	// for an aggregate AWS does not print.
	Value string
	// Path is the member as AWS writes it: "roleName", "tags.1.member.key".
	Path string
	// Constraint is the constraint's text: "Member must not be null".
	Constraint string
}

// String is the violation as AWS words it.
func (v Violation) String() string {
	value := "Value " + v.Value
	if v.Value == "" {
		value = "Value"
	}
	return fmt.Sprintf("%s at '%s' failed to satisfy constraint: %s", value, v.Path, v.Constraint)
}

// Message words violations as AWS does: "1 validation error detected: ..."
// or "N validation errors detected: ...; ...".
func Message(vs []Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	noun := "errors"
	if len(vs) == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", len(vs), noun, strings.Join(parts, "; "))
}

// Validator checks the operations of one service. It is immutable and safe
// for concurrent use.
type Validator struct {
	model    *Model
	patterns map[string]*regexp.Regexp // by the model's pattern
	// Unsupported lists the shapes whose pattern Go cannot express; their
	// patterns are not checked.
	Unsupported []string
}

// New returns a validator for m, compiling its patterns.
func New(m *Model) *Validator {
	v := &Validator{model: m, patterns: map[string]*regexp.Regexp{}}
	for name, s := range m.Shapes {
		if s.Pattern == "" {
			continue
		}
		re, err := Compile(s.Pattern)
		if err != nil {
			v.Unsupported = append(v.Unsupported, name)
			continue
		}
		v.patterns[s.Pattern] = re
	}
	return v
}

// For returns the validator of the embedded model of service ("iam").
func For(service string) (*Validator, error) {
	ms, err := Load()
	if err != nil {
		return nil, err
	}
	m, ok := ms[service]
	if !ok {
		return nil, fmt.Errorf("shape: no model for %s", service)
	}
	return New(m), nil
}

// Check returns the constraint violations of op's input, in model member
// order. An operation the model does not know has none.
func (v *Validator) Check(op string, in Input) []Violation {
	s := v.model.Shapes[v.model.Operations[op]]
	if s == nil {
		return nil
	}
	w := walker{v: v}
	switch v.model.Protocol {
	case Query, EC2:
		w.form(s, in.Params, "", "", 0)
	case JSON:
		w.json(s, in.Body, "", 0)
	default:
		w.rest(s, in)
	}
	return w.out
}

// walker collects the violations of one input.
type walker struct {
	v   *Validator
	out []Violation
}

func (w *walker) fail(value, path, constraint string) {
	w.out = append(w.out, Violation{Value: value, Path: path, Constraint: constraint})
}

// lower writes a member name as AWS's messages do: RoleName -> roleName.
func lower(name string) string {
	if name == "" {
		return name
	}
	return strings.ToLower(name[:1]) + name[1:]
}

func join(path, name string) string {
	if path == "" {
		return lower(name)
	}
	return path + "." + lower(name)
}

// form checks a query-protocol structure whose parameters start with prefix.
func (w *walker) form(s *Shape, params url.Values, prefix, path string, depth int) {
	ec2 := w.v.model.Protocol == EC2
	for _, m := range s.Members {
		key := m.Name
		switch {
		case ec2 && m.QueryName != "":
			key = m.QueryName
		case m.LocationName != "":
			key = m.LocationName
			if ec2 {
				key = strings.ToUpper(key[:1]) + key[1:]
			}
		}
		w.formMember(m, w.v.model.Shapes[m.Shape], params, prefix+key, join(path, m.Name), depth)
	}
}

func (w *walker) formMember(m Member, s *Shape, params url.Values, key, path string, depth int) {
	if s == nil {
		return
	}
	switch s.Type {
	case "structure":
		if !hasPrefix(params, key+".") {
			if m.Required {
				w.fail("null", path, "Member must not be null")
			}
			return
		}
		if depth < maxDepth {
			w.form(s, params, key+".", path, depth+1)
		}
	case "list":
		elem := "member"
		if s.Member != nil && s.Member.LocationName != "" {
			elem = s.Member.LocationName
		}
		base := key + "." + elem + "."
		if m.Flattened || s.Flattened || w.v.model.Protocol == EC2 {
			base = key + "."
		}
		es := w.v.model.Shapes[s.Member.Shape]
		var values []string
		n := 0
		for i := 1; ; i++ {
			k := base + strconv.Itoa(i)
			_, scalar := params[k]
			if !scalar && !hasPrefix(params, k+".") {
				break
			}
			n = i
			values = append(values, params.Get(k))
			if depth < maxDepth {
				w.formMember(Member{}, es, params, k, path+"."+strconv.Itoa(i)+".member", depth+1)
			}
		}
		if _, empty := params[key]; n == 0 && !empty {
			if m.Required {
				w.fail("null", path, "Member must not be null")
			}
			return
		}
		// A list of scalars is quoted; one of structures is not.
		value := "'[" + strings.Join(values, ", ") + "]'"
		if es != nil && es.Type == "structure" {
			value = ""
		}
		w.length(s, n, value, path)
	case "map":
		n := 0
		for hasPrefix(params, key+".entry."+strconv.Itoa(n+1)+".") {
			n++
		}
		if n == 0 {
			if m.Required {
				w.fail("null", path, "Member must not be null")
			}
			return
		}
		w.length(s, n, "", path)
	default:
		vs, ok := params[key]
		if !ok || len(vs) == 0 {
			if m.Required {
				w.fail("null", path, "Member must not be null")
			}
			return
		}
		w.text(s, vs[0], path)
	}
}

func hasPrefix(params url.Values, prefix string) bool {
	for k := range params {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// rest checks a REST request: URI labels, query string, headers and a
// JSON body.
func (w *walker) rest(s *Shape, in Input) {
	for _, m := range s.Members {
		name := m.LocationName
		if name == "" {
			name = m.Name
		}
		ms := w.v.model.Shapes[m.Shape]
		path := lower(m.Name)
		switch m.Location {
		case URI:
			w.scalar(m, ms, in.Path[name], in.Path != nil && in.Path[name] != "", path)
		case Header:
			w.scalar(m, ms, in.Header.Get(name), in.Header.Get(name) != "", path)
		case QueryString:
			vs, ok := in.Params[name]
			if ms != nil && ms.Type == "list" {
				if !ok {
					if m.Required {
						w.fail("null", path, "Member must not be null")
					}
					continue
				}
				list := make([]any, len(vs))
				for i, s := range vs {
					list[i] = s
				}
				w.jsonValue(m, ms, list, path, 0)
				continue
			}
			w.scalar(m, ms, first(vs), ok, path)
		case Headers:
		default:
			if in.Body == nil {
				w.jsonValue(m, ms, nil, path, 0)
				continue
			}
			w.jsonValue(m, ms, in.Body[name], path, 0)
		}
	}
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// scalar checks a value that arrived as text (URI label, query, header).
func (w *walker) scalar(m Member, s *Shape, v string, present bool, path string) {
	if !present {
		if m.Required {
			w.fail("null", path, "Member must not be null")
		}
		return
	}
	if s != nil {
		w.text(s, v, path)
	}
}

// json checks a JSON object against structure s.
func (w *walker) json(s *Shape, obj map[string]any, path string, depth int) {
	for _, m := range s.Members {
		name := m.LocationName
		if name == "" {
			name = m.Name
		}
		var v any
		if obj != nil {
			v = obj[name]
		}
		w.jsonValue(m, w.v.model.Shapes[m.Shape], v, join(path, m.Name), depth)
	}
}

// jsonValue checks one decoded JSON value; values of the wrong JSON type
// are left to the protocol's decoder to refuse.
func (w *walker) jsonValue(m Member, s *Shape, v any, path string, depth int) {
	if v == nil {
		if m.Required {
			w.fail("null", path, "Member must not be null")
		}
		return
	}
	if s == nil || depth > maxDepth {
		return
	}
	switch s.Type {
	case "structure":
		if obj, ok := v.(map[string]any); ok {
			w.json(s, obj, path, depth+1)
		}
	case "list":
		list, ok := v.([]any)
		if !ok {
			return
		}
		w.length(s, len(list), "", path)
		es := w.v.model.Shapes[s.Member.Shape]
		if es == nil {
			return
		}
		if es.Type == "structure" || es.Type == "list" || es.Type == "map" {
			for i, e := range list {
				w.jsonValue(Member{}, es, e, path+"."+strconv.Itoa(i+1)+".member", depth+1)
			}
			return
		}
		// A list of scalars reports its elements' failures once, at the list.
		var texts, failed []string
		for _, e := range list {
			texts = append(texts, render(e))
			for _, c := range w.constraints(es, e) {
				if !contains(failed, c) {
					failed = append(failed, c)
				}
			}
		}
		if len(failed) > 0 {
			w.fail("'["+strings.Join(texts, ", ")+"]'", path, "Member must satisfy constraint: ["+strings.Join(failed, ", ")+"]")
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		w.length(s, len(obj), "", path)
		ks, vs := w.v.model.Shapes[s.Key.Shape], w.v.model.Shapes[s.Value.Shape]
		var keyFail, valueFail []string
		for k, e := range obj {
			for _, c := range w.constraints(ks, k) {
				if !contains(keyFail, c) {
					keyFail = append(keyFail, c)
				}
			}
			if vs != nil && vs.Type != "structure" && vs.Type != "list" && vs.Type != "map" {
				for _, c := range w.constraints(vs, e) {
					if !contains(valueFail, c) {
						valueFail = append(valueFail, c)
					}
				}
			}
		}
		if len(keyFail) > 0 {
			w.fail("", path, "Map keys must satisfy constraint: ["+strings.Join(keyFail, ", ")+"]")
		}
		if len(valueFail) > 0 {
			w.fail("", path, "Map value must satisfy constraint: ["+strings.Join(valueFail, ", ")+"]")
		}
	default:
		for _, c := range w.constraints(s, v) {
			w.fail("'"+render(v)+"'", path, c)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// render writes a JSON scalar as AWS quotes it.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// constraints returns the constraints scalar shape s's JSON value v fails.
func (w *walker) constraints(s *Shape, v any) []string {
	if s == nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		if s.Type != "string" {
			return nil
		}
		return w.v.stringConstraints(s, x)
	case float64:
		switch s.Type {
		case "integer", "long", "float", "double":
			return rangeConstraints(s, x)
		}
	}
	return nil
}

// text checks a scalar that arrived as text.
func (w *walker) text(s *Shape, v, path string) {
	var failed []string
	switch s.Type {
	case "string":
		failed = w.v.stringConstraints(s, v)
	case "integer", "long", "float", "double":
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || (s.Type == "integer" || s.Type == "long") && n != float64(int64(n)) {
			failed = []string{"Member must be a number"}
			break
		}
		failed = rangeConstraints(s, n)
	case "boolean":
		if _, err := strconv.ParseBool(v); err != nil {
			failed = []string{"Member must be a boolean"}
		}
	}
	for _, c := range failed {
		w.fail("'"+v+"'", path, c)
	}
}

// length checks the element count of a list or map.
func (w *walker) length(s *Shape, n int, value, path string) {
	if s.Min != nil && float64(n) < *s.Min {
		w.fail(value, path, "Member must have length greater than or equal to "+number(s, *s.Min))
	}
	if s.Max != nil && float64(n) > *s.Max {
		w.fail(value, path, "Member must have length less than or equal to "+number(s, *s.Max))
	}
}

// stringConstraints returns the constraints string v fails: length (in
// UTF-16 code units, as AWS counts), pattern, enum.
func (v *Validator) stringConstraints(s *Shape, x string) []string {
	var failed []string
	n := float64(len(utf16.Encode([]rune(x))))
	if s.Min != nil && n < *s.Min {
		failed = append(failed, "Member must have length greater than or equal to "+number(s, *s.Min))
	}
	if s.Max != nil && n > *s.Max {
		failed = append(failed, "Member must have length less than or equal to "+number(s, *s.Max))
	}
	if s.Pattern != "" {
		if re := v.patterns[s.Pattern]; re != nil && !re.MatchString(x) {
			failed = append(failed, "Member must satisfy regular expression pattern: "+s.Pattern)
		}
	}
	if len(s.Enum) > 0 && !contains(s.Enum, x) {
		failed = append(failed, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
	}
	return failed
}

func rangeConstraints(s *Shape, n float64) []string {
	var failed []string
	if s.Min != nil && n < *s.Min {
		failed = append(failed, "Member must have value greater than or equal to "+number(s, *s.Min))
	}
	if s.Max != nil && n > *s.Max {
		failed = append(failed, "Member must have value less than or equal to "+number(s, *s.Max))
	}
	return failed
}

// number writes a bound as AWS does: integers plainly, floating-point
// bounds with a decimal point ("1.0").
func number(s *Shape, n float64) string {
	t := strconv.FormatFloat(n, 'f', -1, 64)
	if (s.Type == "float" || s.Type == "double") && !strings.Contains(t, ".") {
		t += ".0"
	}
	return t
}
