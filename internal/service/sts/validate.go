package sts

import (
	"net/url"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
)

// The constraints of STS's parameters come from its model: the gateway
// checks them before authorization (Service.Validate, shape.Hook) and a
// handler asks for the same answer with Call.Validate. What is left here
// reads the parameters.

// validate returns the model's verdict on c's input as an error, or nil.
func validate(c *api.Call) error {
	if e := c.Validate(); e != nil {
		return e
	}
	return nil
}

// integer returns the integer parameter name; 0 when absent or malformed
// (the model's check reports those).
func integer(p url.Values, name string) int {
	n, _ := strconv.Atoi(p.Get(name))
	return n
}

// list returns the values of a query-protocol list: name.member.1[suffix],
// name.member.2[suffix], ... up to the first gap.
func list(p url.Values, name, suffix string) []string {
	var out []string
	for i := 1; ; i++ {
		s, ok := p[name+".member."+strconv.Itoa(i)+suffix]
		if !ok || len(s) == 0 {
			return out
		}
		out = append(out, s[0])
	}
}

// invalidParameter is STS's InvalidParameterValue error.
func invalidParameter(format string, args ...any) *api.Error {
	return api.Errorf(400, "InvalidParameterValue", format, args...)
}
