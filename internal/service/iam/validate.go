package iam

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// form reads query-protocol parameters. Their constraints come from the IAM
// model: the gateway checks them before authorization (Service.Validate,
// shape.Hook), and newForm takes the same verdict (Call.Validate), so a
// form's error is the model's when there is one. What form still checks
// are the rules the model cannot express, collected the way IAM reports
// them.
type form struct {
	v     url.Values
	model *api.Error
	errs  []string
}

func newForm(c *api.Call) *form { return &form{v: c.Params, model: c.Validate()} }

// has reports whether the parameter is present.
func (f *form) has(name string) bool {
	_, ok := f.v[name]
	return ok
}

func (f *form) fail(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// str returns the parameter name ("" when absent).
func (f *form) str(name string) string { return f.v.Get(name) }

// integer returns an integer parameter; ok is false when absent or
// malformed.
func (f *form) integer(name string) (v int, ok bool) {
	if !f.has(name) {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(f.v.Get(name)))
	return n, err == nil
}

// boolean returns a boolean parameter (default false).
func (f *form) boolean(name string) bool {
	b, _ := strconv.ParseBool(f.v.Get(name))
	return b
}

// strings returns the list Name.member.N.
func (f *form) strings(name string) []string {
	var out []string
	for n := 1; ; n++ {
		k := fmt.Sprintf("%s.member.%d", name, n)
		if !f.has(k) {
			return out
		}
		out = append(out, f.v.Get(k))
	}
}

// tags returns Tags.member.N.{Key,Value}.
func (f *form) tags(name string) []Tag {
	var out []Tag
	for n := 1; ; n++ {
		k := fmt.Sprintf("%s.member.%d.", name, n)
		if !f.has(k+"Key") && !f.has(k+"Value") {
			return out
		}
		out = append(out, Tag{Key: f.v.Get(k + "Key"), Value: f.v.Get(k + "Value")})
	}
}

// paging returns Marker and MaxItems (default 100).
func (f *form) paging() (marker pageMarker, maxItems int) {
	marker = newMarker(f.v, f.str("Marker"))
	maxItems, ok := f.integer("MaxItems")
	if !ok {
		maxItems = defaultMaxItems
	}
	return marker, maxItems
}

// err returns the model's verdict, or the collected violations as IAM's
// ValidationError, or nil.
func (f *form) err() error {
	if f.model != nil {
		return f.model
	}
	switch len(f.errs) {
	case 0:
		return nil
	case 1:
		return api.ValidationError("1 validation error detected: %s", f.errs[0])
	}
	return api.ValidationError("%d validation errors detected: %s", len(f.errs), strings.Join(f.errs, "; "))
}
