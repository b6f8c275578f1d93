package iam

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/api"
)

// field describes the constraints of one string member of the model.
type field struct {
	min, max int
	re       *regexp.Regexp
	pattern  string // the pattern as the model (and AWS's message) writes it
}

// pattern compiles a model pattern for a whole-value match.
func pattern(goRE, model string) (*regexp.Regexp, string) {
	return regexp.MustCompile(`^(?:` + goRE + `)$`), model
}

func newField(min, max int, goRE, model string) field {
	f := field{min: min, max: max}
	if goRE != "" {
		f.re, f.pattern = pattern(goRE, model)
	}
	return f
}

// Model string shapes.
var (
	fRoleName    = newField(1, 64, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	fUserName    = fRoleName
	fExistUser   = newField(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	fPolicyName  = newField(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	fPath        = newField(1, 512, `/|/[\x{21}-\x{7E}]+/`, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	fPathPrefix  = newField(1, 512, `/[\x{21}-\x{7F}]*`, `\u002F[\u0021-\u007F]*`)
	fPolicyPath  = newField(1, 512, `(/[A-Za-z0-9\.,\+@=_-]+)*/`, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`)
	fDocument    = newField(1, 131072, `[\x{09}\x{0A}\x{0D}\x{20}-\x{FF}]+`, `[\u0009\u000A\u000D\u0020-\u00FF]+`)
	fRoleDesc    = newField(0, 1000, `[\x{09}\x{0A}\x{0D}\x{20}-\x{7E}\x{A1}-\x{FF}]*`, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	fPolicyDesc  = newField(0, 1000, "", "")
	fARN         = newField(20, 2048, "", "")
	fMarker      = newField(1, 320, `[\x{20}-\x{FF}]+`, `[\u0020-\u00FF]+`)
	fTagKey      = newField(1, 128, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
	fTagValue    = newField(0, 256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
	fKeyID       = newField(16, 128, `[\w]+`, `[\w]+`)
	fVersionID   = newField(0, 0, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	fActionName  = newField(3, 128, "", "")
	fResource    = newField(1, 2048, "", "")
	fContextName = newField(5, 256, "", "")
	fAny         = field{}
)

// form reads and validates query-protocol parameters, collecting every
// constraint violation the way IAM reports them.
type form struct {
	v    url.Values
	errs []string
}

func newForm(c *api.Call) *form { return &form{v: c.Params} }

// has reports whether the parameter is present.
func (f *form) has(name string) bool {
	_, ok := f.v[name]
	return ok
}

// member returns the name of a parameter as IAM's messages write it
// (lower camel case: RoleName -> roleName).
func member(name string) string {
	if name == "" {
		return name
	}
	return strings.ToLower(name[:1]) + name[1:]
}

func (f *form) fail(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// str returns the parameter name checked against spec.
func (f *form) str(name string, spec field, required bool) string {
	return f.check(name, member(name), f.v.Get(name), f.has(name), spec, required)
}

func (f *form) check(name, at, s string, present bool, spec field, required bool) string {
	if !present {
		if required {
			f.fail("Value null at '%s' failed to satisfy constraint: Member must not be null", at)
		}
		return ""
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < spec.min:
		f.fail("Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", s, at, spec.min)
	case spec.max > 0 && n > spec.max:
		f.fail("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", s, at, spec.max)
	case spec.re != nil && !spec.re.MatchString(s):
		f.fail("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", s, at, spec.pattern)
	}
	return s
}

// integer returns an integer parameter within [min, max]; ok is false when absent.
func (f *form) integer(name string, min, max int) (v int, ok bool) {
	s, present := f.v[name]
	if !present {
		return 0, false
	}
	at := member(name)
	n, err := strconv.Atoi(strings.TrimSpace(s[0]))
	if err != nil {
		f.fail("Value '%s' at '%s' failed to satisfy constraint: Member must be a number", s[0], at)
		return 0, false
	}
	if n < min {
		f.fail("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", n, at, min)
	} else if n > max {
		f.fail("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", n, at, max)
	}
	return n, true
}

// boolean returns a boolean parameter (default false).
func (f *form) boolean(name string) bool {
	s := f.v.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		f.fail("Value '%s' at '%s' failed to satisfy constraint: Member must be a boolean", s, member(name))
	}
	return b
}

// enum returns a parameter that must be one of values (or absent).
func (f *form) enum(name string, values ...string) string {
	s, ok := f.v[name]
	if !ok {
		return ""
	}
	for _, v := range values {
		if s[0] == v {
			return v
		}
	}
	f.fail("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", s[0], member(name), strings.Join(values, ", "))
	return s[0]
}

// strings returns the list Name.member.N, checking each element.
func (f *form) strings(name string, spec field, required bool) []string {
	var out []string
	for n := 1; ; n++ {
		k := fmt.Sprintf("%s.member.%d", name, n)
		if !f.has(k) {
			break
		}
		out = append(out, f.check(k, fmt.Sprintf("%s.%d.member", member(name), n), f.v.Get(k), true, spec, false))
	}
	if required && out == nil && !f.has(name) {
		f.fail("Value null at '%s' failed to satisfy constraint: Member must not be null", member(name))
	}
	return out
}

// tags returns Tags.member.N.{Key,Value}.
func (f *form) tags(name string) []Tag {
	var out []Tag
	for n := 1; ; n++ {
		k := fmt.Sprintf("%s.member.%d.", name, n)
		if !f.has(k+"Key") && !f.has(k+"Value") {
			break
		}
		at := fmt.Sprintf("%s.%d.member.", member(name), n)
		t := Tag{
			Key:   f.check(k+"Key", at+"key", f.v.Get(k+"Key"), f.has(k+"Key"), fTagKey, true),
			Value: f.check(k+"Value", at+"value", f.v.Get(k+"Value"), f.has(k+"Value"), fTagValue, true),
		}
		out = append(out, t)
	}
	if len(out) > maxTags {
		f.fail("Value '[...]' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", member(name), maxTags)
	}
	return out
}

// paging returns Marker and MaxItems (default 100).
func (f *form) paging() (marker pageMarker, maxItems int) {
	marker = newMarker(f.v, f.str("Marker", fMarker, false))
	maxItems, ok := f.integer("MaxItems", 1, 1000)
	if !ok {
		maxItems = defaultMaxItems
	}
	return marker, maxItems
}

// err returns the collected violations as IAM's ValidationError, or nil.
func (f *form) err() error {
	switch len(f.errs) {
	case 0:
		return nil
	case 1:
		return api.ValidationError("1 validation error detected: %s", f.errs[0])
	}
	return api.ValidationError("%d validation errors detected: %s", len(f.errs), strings.Join(f.errs, "; "))
}
