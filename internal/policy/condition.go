package policy

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
)

// opKind is the comparison a condition operator performs.
type opKind uint8

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

type setKind uint8

const (
	setNone setKind = iota
	setForAll
	setForAny
)

// operators maps each base operator name (lower-cased) to its comparison
// and whether it is the negated form.
var operators = map[string]struct {
	op      opKind
	negated bool
}{
	"stringequals":              {opStringEquals, false},
	"stringnotequals":           {opStringEquals, true},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEquals, false},
	"numericnotequals":          {opNumericEquals, true},
	"numericlessthan":           {opNumericLessThan, false},
	"numericlessthanequals":     {opNumericLessThanEquals, false},
	"numericgreaterthan":        {opNumericGreaterThan, false},
	"numericgreaterthanequals":  {opNumericGreaterThanEquals, false},
	"dateequals":                {opDateEquals, false},
	"datenotequals":             {opDateEquals, true},
	"datelessthan":              {opDateLessThan, false},
	"datelessthanequals":        {opDateLessThanEquals, false},
	"dategreaterthan":           {opDateGreaterThan, false},
	"dategreaterthanequals":     {opDateGreaterThanEquals, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinaryEquals, false},
	"ipaddress":                 {opIPAddress, false},
	"notipaddress":              {opIPAddress, true},
	"arnequals":                 {opArnLike, false},
	"arnlike":                   {opArnLike, false},
	"arnnotequals":              {opArnLike, true},
	"arnnotlike":                {opArnLike, true},
	"null":                      {opNull, false},
}

// cond is one compiled operator/key pair of a Condition element.
type cond struct {
	op       opKind
	negated  bool
	ifExists bool
	set      setKind
	key      ckey

	strs  []pattern    // string operators
	arns  []arnPattern // ARN operators
	nums  []float64
	dates []instant
	bools []bool // Bool and Null
	bins  [][]byte
	ips   []netip.Prefix
}

// compileCond compiles operator name, key and values. vars reports
// whether policy variables are recognized (version 2012-10-17).
func compileCond(name, key string, values []string, vars bool) (cond, error) {
	var c cond
	base := name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		switch strings.ToLower(name[:i]) {
		case "forallvalues":
			c.set = setForAll
		case "foranyvalue":
			c.set = setForAny
		default:
			return c, errSyntax
		}
		base = name[i+1:]
	}
	lb := strings.ToLower(base)
	if strings.HasSuffix(lb, "ifexists") {
		c.ifExists = true
		lb = strings.TrimSuffix(lb, "ifexists")
	}
	o, ok := operators[lb]
	if !ok {
		return c, errSyntax
	}
	c.op, c.negated = o.op, o.negated
	if c.op == opNull && (c.ifExists || c.set != setNone) {
		return c, errSyntax
	}
	if !validKeyName(key) {
		return c, errVendor
	}
	c.key = makeKey(key)
	for _, v := range values {
		if err := c.addValue(v, vars); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (c *cond) addValue(v string, vars bool) error {
	switch c.op {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike:
		p, err := compilePattern(v, c.op == opStringLike, vars, false)
		if err != nil {
			return errSyntax
		}
		c.strs = append(c.strs, p)
	case opArnLike:
		p, err := compileARNPattern(v, vars)
		if err != nil {
			return errSyntax
		}
		c.arns = append(c.arns, p)
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, ok := parseNumber(v)
		if !ok {
			return errSyntax
		}
		c.nums = append(c.nums, n)
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return errSyntax
		}
		c.dates = append(c.dates, t)
	case opBool, opNull:
		b, ok := parseBool(v)
		if !ok {
			return errSyntax
		}
		c.bools = append(c.bools, b)
	case opBinaryEquals:
		b, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil {
			return errSyntax
		}
		c.bins = append(c.bins, b)
	case opIPAddress:
		p, ok := parseIPPrefix(v)
		if !ok {
			return errSyntax
		}
		c.ips = append(c.ips, p)
	}
	return nil
}

// eval reports whether the condition holds for the request context.
func (c *cond) eval(ctx *Context) bool {
	vals, multi, ok := ctx.lookup(c.key)
	if c.op == opNull {
		isNull := !ok || (multi && len(vals) == 0)
		for _, b := range c.bools {
			if b == isNull {
				return true
			}
		}
		return false
	}
	if !ok || (multi && len(vals) == 0) {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAll:
			return true
		case c.set == setForAny:
			return false
		}
		return c.negated
	}
	switch c.set {
	case setForAll:
		for _, v := range vals {
			if !c.one(v, ctx) {
				return false
			}
		}
		return true
	case setForAny:
		for _, v := range vals {
			if c.one(v, ctx) {
				return true
			}
		}
		return false
	}
	if len(vals) != 1 {
		// A single-valued operator never matches a key with several values.
		return false
	}
	return c.one(vals[0], ctx)
}

// one applies the operator to one request value: true when the value
// matches any policy value, inverted for the negated operators.
func (c *cond) one(v string, ctx *Context) bool {
	return c.any(v, ctx) != c.negated
}

func (c *cond) any(v string, ctx *Context) bool {
	switch c.op {
	case opStringEquals, opStringLike:
		for i := range c.strs {
			if c.strs[i].match(v, ctx, false) {
				return true
			}
		}
	case opStringEqualsIgnoreCase:
		for i := range c.strs {
			if c.strs[i].equalFold(v, ctx) {
				return true
			}
		}
	case opArnLike:
		var parts [6]string
		n := -1
		for i := range c.arns {
			a := &c.arns[i]
			if !a.lit && !a.any && n < 0 {
				parts, n = splitResource(v)
			}
			if a.match(v, &parts, n, ctx) {
				return true
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		x, ok := parseNumber(v)
		if !ok {
			return false
		}
		for _, y := range c.nums {
			if compare(c.op-opNumericEquals, cmpFloat(x, y)) {
				return true
			}
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		x, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, y := range c.dates {
			if compare(c.op-opDateEquals, x.cmp(y)) {
				return true
			}
		}
	case opBool:
		x, ok := parseBool(v)
		if !ok {
			return false
		}
		for _, y := range c.bools {
			if x == y {
				return true
			}
		}
	case opBinaryEquals:
		var buf [512]byte
		var dst []byte
		if base64.StdEncoding.DecodedLen(len(v)) <= len(buf) {
			dst = buf[:]
		} else {
			dst = make([]byte, base64.StdEncoding.DecodedLen(len(v)))
		}
		n, err := base64.StdEncoding.Decode(dst, []byte(v))
		if err != nil {
			return false
		}
		for _, y := range c.bins {
			if string(dst[:n]) == string(y) {
				return true
			}
		}
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.ips {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// compare applies the relation rel (0 equals, 1 less than, 2 less than or
// equal, 3 greater than, 4 greater than or equal) to a three-way result.
func compare(rel opKind, c int) bool {
	switch rel {
	case 0:
		return c == 0
	case 1:
		return c < 0
	case 2:
		return c <= 0
	case 3:
		return c > 0
	case 4:
		return c >= 0
	}
	return false
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// parseNumber parses an integer or decimal number: an optional sign,
// digits, and an optional fraction.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
		digits++
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		frac := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			frac++
		}
		if frac == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseIPPrefix parses a CIDR block or a plain IPv4 or IPv6 address.
func parseIPPrefix(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
