package sts

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/api"
)

// rule is a string shape's constraints from the STS model.
type rule struct {
	min, max int    // length in characters; max 0 means none
	pattern  string // the pattern as AWS quotes it, "" for none
	allow    func(r rune) bool
}

var (
	ruleARN = rule{20, 2048, `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`, func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 || r >= 0xa0 && r != utf8.RuneError
	}}
	ruleSessionName    = rule{2, 64, `[\w+=,.@-]*`, nameChar(`+=,.@-`)}
	ruleSourceIdentity = ruleSessionName
	ruleExternalID     = rule{2, 1224, `[\w+=,.@:\/-]*`, nameChar(`+=,.@:/-`)}
	rulePolicy         = rule{1, 0, `[\u0009\u000A\u000D\u0020-\u00FF]+`, func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xff
	}}
	ruleTagKey      = rule{1, 128, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`, tagChar}
	ruleTagValue    = rule{0, 256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, tagChar}
	ruleSerial      = rule{9, 256, `[\w+=/:,.@-]*`, nameChar(`+=/:,.@-`)}
	ruleTokenCode   = rule{6, 6, `[\d]*`, func(r rune) bool { return r >= '0' && r <= '9' }}
	ruleAccessKeyID = rule{16, 128, `[\w]*`, nameChar("")}
)

// nameChar allows \w (ASCII letters, digits, underscore) and extra.
func nameChar(extra string) func(rune) bool {
	return func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' ||
			strings.ContainsRune(extra, r)
	}
}

func tagChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp) || unicode.IsNumber(r) ||
		strings.ContainsRune("_.:/=+-@", r)
}

// validator collects model constraint violations and reports them as AWS
// does: "N validation error(s) detected: Value 'v' at 'member' failed to
// satisfy constraint: ...; ...".
type validator struct {
	params url.Values
	errs   []string
}

func (v *validator) fail(value, member, constraint string) {
	v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

// err returns the collected violations as a ValidationError, or nil.
func (v *validator) err() error {
	switch len(v.errs) {
	case 0:
		return nil
	case 1:
		return api.ValidationError("1 validation error detected: %s", v.errs[0])
	}
	return api.ValidationError("%d validation errors detected: %s", len(v.errs), strings.Join(v.errs, "; "))
}

// str reads and checks the string parameter name; member is its name in
// messages. A missing optional parameter yields "".
func (v *validator) str(name, member string, required bool, r rule) string {
	s, ok := v.params[name]
	if !ok || len(s) == 0 {
		if required {
			v.fail("null", member, "Member must not be null")
		}
		return ""
	}
	v.check(s[0], member, r)
	return s[0]
}

// check checks s against r.
func (v *validator) check(s, member string, r rule) {
	quoted := "'" + s + "'"
	n := utf8.RuneCountInString(s)
	if n < r.min {
		v.fail(quoted, member, fmt.Sprintf("Member must have length greater than or equal to %d", r.min))
	}
	if r.max > 0 && n > r.max {
		v.fail(quoted, member, fmt.Sprintf("Member must have length less than or equal to %d", r.max))
	}
	if r.pattern == "" || r.min == 0 && s == "" {
		return
	}
	for _, c := range s {
		if !r.allow(c) {
			v.fail(quoted, member, "Member must satisfy regular expression pattern: "+r.pattern)
			return
		}
	}
}

// int reads and checks the integer parameter name; it returns 0 when absent.
func (v *validator) int(name, member string, min, max int) int {
	s := v.params.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		v.fail("'"+s+"'", member, "Member must be a number")
		return 0
	}
	if n < min {
		v.fail("'"+s+"'", member, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if n > max {
		v.fail("'"+s+"'", member, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
	return n
}

// list returns the values of a query-protocol list: name.member.1[suffix],
// name.member.2[suffix], ... up to the first gap.
func (v *validator) list(name, suffix string) []string {
	var out []string
	for i := 1; ; i++ {
		s, ok := v.params[name+".member."+strconv.Itoa(i)+suffix]
		if !ok || len(s) == 0 {
			return out
		}
		out = append(out, s[0])
	}
}

// count reports a list longer than max.
func (v *validator) count(values []string, member string, max int) {
	if len(values) > max {
		v.fail("'["+strings.Join(values, ", ")+"]'", member, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// invalidParameter is STS's InvalidParameterValue error.
func invalidParameter(format string, args ...any) *api.Error {
	return api.Errorf(400, "InvalidParameterValue", format, args...)
}
