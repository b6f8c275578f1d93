package attr

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Number limits: "Numbers can be positive, negative, or zero. Numbers can
// have up to 38 digits of precision... Positive range: 1E-130 to
// 9.9999999999999999999999999999999999999E+125. Negative range:
// -9.9999999999999999999999999999999999999E+125 to -1E-130."
const (
	MaxDigits = 38
	// minAdjusted and maxAdjusted bound the exponent of a number written
	// with one digit before the point (d.ddd × 10^e).
	minAdjusted = -130
	maxAdjusted = 125
)

// Context is the decimal context of DynamoDB arithmetic: 38 digits,
// half-even rounding, exponent range as DynamoDB's.
var Context = apd.Context{
	Precision:   MaxDigits,
	MaxExponent: maxAdjusted + 1,
	MinExponent: minAdjusted,
	Traps:       apd.DefaultTraps,
	Rounding:    apd.RoundHalfEven,
}

// ParseNumber parses the text of an N value and returns it canonical
// (trailing zeros of the coefficient removed, zero without sign), or an
// *Error with DynamoDB's message: not a number, more than 38 significant
// digits, or out of range.
func ParseNumber(s string) (*apd.Decimal, error) {
	d, _, err := apd.NewFromString(strings.TrimSpace(s))
	if err != nil || d.Form != apd.Finite || s == "" || strings.ContainsAny(s, "xX_") {
		return nil, invalid("The parameter cannot be converted to a numeric value: %s", s)
	}
	return CheckNumber(d)
}

// CheckNumber returns d canonical, or DynamoDB's error for a number it
// cannot store. Arithmetic results go through it too.
func CheckNumber(d *apd.Decimal) (*apd.Decimal, error) {
	out := new(apd.Decimal).Set(d)
	out.Reduce(out)
	if out.IsZero() {
		return apd.New(0, 0), nil
	}
	digits := out.NumDigits()
	if digits > MaxDigits {
		return nil, invalid("Attempting to store more than 38 significant digits in a Number")
	}
	adjusted := int64(out.Exponent) + digits - 1
	if adjusted > maxAdjusted {
		return nil, invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
	}
	if adjusted < minAdjusted {
		return nil, invalid("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	}
	return out, nil
}

// NumberText renders a canonical number as DynamoDB returns it: plain
// notation, no exponent, no trailing zeros after the point.
func NumberText(d *apd.Decimal) string {
	if d.IsZero() {
		return "0"
	}
	return d.Text('f')
}

// EncodeKey returns the text a key attribute's value sorts by in the
// store: for S and B the hex of its bytes (so byte order, DynamoDB's
// order for strings and binaries, is kept), for N an encoding that sorts
// as the numbers do. The texts hold no '/', which sorts below every
// character they use, so "<pk>/<sk>" keys sort by partition key, then by
// sort key. It panics for other types: key attributes are S, N or B.
func EncodeKey(v Value) string {
	switch v.Type {
	case S:
		return hex.EncodeToString([]byte(v.Str))
	case B:
		return hex.EncodeToString(v.Bin)
	case N:
		return encodeNumber(v.Num)
	}
	panic("attr: EncodeKey of a " + v.Type.String() + " value")
}

// encodeNumber: "8" for zero; "9", the exponent E (value = 0.d1d2… ×
// 10^E) offset by 500 in three digits, then the digits, for a positive
// number; "7", 999 minus that exponent, the nines' complement of the
// digits and a '~' for a negative number (so that a longer complement,
// a more negative number, sorts first).
func encodeNumber(d *apd.Decimal) string {
	if d.IsZero() {
		return "8"
	}
	digits := d.Coeff.String()
	digits = strings.TrimRight(digits, "0")
	e := int64(d.Exponent) + d.NumDigits() // 0.d1d2… × 10^e
	var b strings.Builder
	if !d.Negative {
		b.WriteByte('9')
		b.WriteString(pad3(e + 500))
		b.WriteString(digits)
		return b.String()
	}
	b.WriteByte('7')
	b.WriteString(pad3(999 - (e + 500)))
	for i := 0; i < len(digits); i++ {
		b.WriteByte('9' - (digits[i] - '0'))
	}
	b.WriteByte('~')
	return b.String()
}

func pad3(n int64) string {
	s := strconv.FormatInt(n, 10)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

// numberSize is the bytes a number counts for: one per two significant
// digits, plus one.
func numberSize(d *apd.Decimal) int {
	if d.IsZero() {
		return 2
	}
	n := len(strings.TrimRight(d.Coeff.String(), "0"))
	return (n+1)/2 + 1
}
