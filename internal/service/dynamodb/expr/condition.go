package expr

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/cockroachdb/apd/v3"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// Limits of condition expressions ("Expression parameters" in the
// developer guide's service quotas).
const (
	MaxInOperands = 100
	MaxOperators  = 300
)

// condOp is a condition node's operator.
type condOp uint8

const (
	cAnd condOp = iota
	cOr
	cNot
	cCmp     // cmp holds = <> < <= > >=
	cBetween // args: x, lower, upper
	cIn      // args: x, then the list
	cFunc    // name: attribute_exists ... contains
)

// cond is a node of a parsed condition.
type cond struct {
	op   condOp
	cmp  string
	name string
	a, b *cond
	args []*operand
}

// Condition is a parsed ConditionExpression or FilterExpression (or a
// legacy Expected, QueryFilter or ScanFilter). It is immutable and safe
// for concurrent use.
type Condition struct {
	root  *cond
	paths []Path
}

// conditionOrder is the priority of condition errors.
var conditionOrder = []errCat{catParens, catUnknownFunction, catMisusedFunction, catReserved, catAttrName, catOperand, catDistinct, catFunction}

// ParseCondition parses a condition expression. kind names the parameter
// in messages ("ConditionExpression", "FilterExpression"). Names and
// values resolve through tr, which records them as used.
func ParseCondition(kind, text string, tr *Tracker) (*Condition, error) {
	var root *cond
	p, err := parse(kind, text, tr, catAttrName, conditionOrder, func(p *parser) {
		root = p.condition()
	})
	if err != nil {
		return nil, err
	}
	return &Condition{root: root, paths: p.paths}, nil
}

// Eval reports whether item satisfies the condition. A nil or empty item
// is the absent item (a PutItem on a new key): only attribute_not_exists
// and <> hold of its attributes. A nil *Condition always holds.
func (c *Condition) Eval(item attr.Item) bool {
	if c == nil {
		return true
	}
	return c.root.eval(item)
}

// Paths returns the document paths the condition reads.
func (c *Condition) Paths() []Path {
	if c == nil {
		return nil
	}
	return c.paths
}

// TopLevel returns the top-level attributes the condition reads.
func (c *Condition) TopLevel() []string { return Heads(c.Paths()) }

// pnode is what the condition grammar's productions return: a condition,
// or an operand that may yet be compared (or, if it is a function call,
// be a condition itself).
type pnode struct {
	c      *cond
	o      *operand
	follow int // the token after a bare operand, for its syntax error
	parens int // how many parentheses directly wrap the node
}

// condition parses a whole condition expression.
func (p *parser) condition() *cond {
	n := p.orExpr()
	if p.peek().kind != tEOF {
		p.fail()
	}
	c := p.toCond(n)
	if p.ops > MaxOperators {
		p.errs.add(catFunction, "The expression contains too many operators; operator count: %d", p.ops)
	}
	return c
}

func (p *parser) orExpr() pnode {
	n := p.andExpr()
	for p.keyword("OR") {
		left := p.toCond(n)
		p.i++
		p.ops++
		right := p.toCond(p.andExpr())
		n = pnode{c: &cond{op: cOr, a: left, b: right}}
	}
	return n
}

func (p *parser) andExpr() pnode {
	n := p.notExpr()
	for p.keyword("AND") {
		left := p.toCond(n)
		p.i++
		p.ops++
		right := p.toCond(p.notExpr())
		n = pnode{c: &cond{op: cAnd, a: left, b: right}}
	}
	return n
}

func (p *parser) notExpr() pnode {
	if p.keyword("NOT") {
		p.i++
		p.ops++
		return pnode{c: &cond{op: cNot, a: p.toCond(p.notExpr())}}
	}
	return p.primary()
}

func (p *parser) primary() pnode {
	if p.punct("(") {
		p.i++
		inner := p.orExpr()
		p.expect(")")
		if o := inner.o; o != nil {
			if o.kind != opCall || o.name == "size" || p.isComparison() {
				// A parenthesised operand.
				p.errs.add(catParens, "The expression has redundant parentheses;")
				return p.afterOperand(o)
			}
			// A parenthesised function condition.
			inner = pnode{c: p.toCond(inner)}
		}
		if inner.parens > 0 {
			p.errs.add(catParens, "The expression has redundant parentheses;")
		}
		inner.parens++
		return inner
	}
	return p.afterOperand(p.condOperand())
}

// isComparison reports whether the current token continues an operand
// into a comparison, BETWEEN or IN.
func (p *parser) isComparison() bool {
	t := p.peek()
	return t.kind == tPunct && condComparators[t.text] || p.keyword("BETWEEN") || p.keyword("IN")
}

// condComparators are the comparison operators.
var condComparators = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

// afterOperand parses what may follow an operand: a comparison, BETWEEN
// or IN; otherwise the operand is returned bare.
func (p *parser) afterOperand(x *operand) pnode {
	t := p.peek()
	switch {
	case t.kind == tPunct && condComparators[t.text]:
		p.i++
		p.ops++
		y := p.argOperand()
		p.misused(x, y)
		p.checkDistinct(t.text, []*operand{x, y})
		return pnode{c: &cond{op: cCmp, cmp: t.text, args: []*operand{x, y}}}
	case p.keyword("BETWEEN"):
		p.i++
		p.ops++
		lo := p.argOperand()
		if !p.keyword("AND") {
			p.fail()
		}
		p.i++
		hi := p.argOperand()
		p.misused(x, lo, hi)
		p.checkBetween(lo, hi)
		return pnode{c: &cond{op: cBetween, args: []*operand{x, lo, hi}}}
	case p.keyword("IN"):
		p.i++
		p.ops++
		p.expect("(")
		args := []*operand{x}
		for {
			args = append(args, p.argOperand())
			if !p.punct(",") {
				break
			}
			p.i++
		}
		p.expect(")")
		p.misused(args...)
		if n := len(args) - 1; n > MaxInOperands {
			p.errs.add(catFunction, "The IN operator is provided with too many operands; number of operands: %d", n)
		}
		return pnode{c: &cond{op: cIn, args: args}}
	}
	return pnode{o: x, follow: p.i}
}

// argOperand parses an operand of a comparison or a function, which
// parentheses may (redundantly) wrap.
func (p *parser) argOperand() *operand {
	if p.punct("(") {
		p.i++
		o := p.argOperand()
		p.expect(")")
		p.errs.add(catParens, "The expression has redundant parentheses;")
		return o
	}
	return p.condOperand()
}

// condKeywords cannot start an operand.
var condKeywords = []string{"AND", "OR", "NOT", "BETWEEN", "IN"}

// condOperand parses a path, a :value or a function call.
func (p *parser) condOperand() *operand {
	t := p.peek()
	switch t.kind {
	case tAttrVal:
		return p.value()
	case tAttrName:
		return &operand{kind: opPath, path: p.path()}
	case tName:
		for _, k := range condKeywords {
			if strings.EqualFold(t.text, k) {
				p.fail()
			}
		}
		if p.isCall() {
			o := p.call(p.argOperand)
			p.checkCondFunction(o)
			return o
		}
		return &operand{kind: opPath, path: p.path()}
	}
	p.fail()
	return nil
}

// condFunctions are the condition functions and their operand counts.
var condFunctions = map[string]int{
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
	"begins_with": 2, "contains": 2, "size": 1,
}

// attrTypeNames is attribute_type's list of valid type names, as its
// message gives it.
const attrTypeNames = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"

// checkCondFunction records the errors of a condition function call.
func (p *parser) checkCondFunction(o *operand) {
	want, ok := condFunctions[o.name]
	if !ok {
		p.errs.add(catUnknownFunction, "Invalid function name; function: %s", o.name)
		return
	}
	p.misused(o.args...)
	if !p.arity(o, want, catOperand) {
		return
	}
	p.checkDistinct(o.name, o.args)
	switch o.name {
	case "attribute_exists", "attribute_not_exists":
		if o.args[0].kind != opPath {
			p.errs.add(catFunction, "Operator or function requires a document path; operator or function: %s", o.name)
		}
	case "begins_with":
		for _, a := range o.args {
			if t := a.staticType(); t != attr.Invalid && t != attr.S && t != attr.B {
				p.typeError(o.name, t.String())
				return
			}
		}
	case "attribute_type":
		t := o.args[1].staticType()
		switch {
		case t == attr.Invalid:
			p.typeError(o.name, "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
		case t != attr.S:
			p.typeError(o.name, t.String())
		case attr.ParseType(o.args[1].val.Str) == attr.Invalid:
			p.errs.add(catFunction, "Invalid attribute type name found; type: %s, valid types: %s", o.args[1].val.Str, attrTypeNames)
		}
	case "size":
		if t := o.args[0].staticType(); t == attr.N || t == attr.BOOL || t == attr.NULL {
			p.typeError(o.name, t.String())
		}
	}
}

// misused refuses a function other than size where an operand is needed.
func (p *parser) misused(args ...*operand) {
	for _, a := range args {
		if a.kind == opCall && a.name != "size" {
			p.errs.add(catMisusedFunction, "The function is not allowed to be used this way in an expression; function: %s", a.name)
			return
		}
	}
}

// checkBetween refuses bounds of different types, or a lower bound above
// the upper one, when both are values.
func (p *parser) checkBetween(lo, hi *operand) {
	if lo.kind != opValue || hi.kind != opValue || lo.val.Type == attr.Invalid || hi.val.Type == attr.Invalid {
		return
	}
	bounds := fmt.Sprintf("lower bound operand: AttributeValue: {%s}, upper bound operand: AttributeValue: {%s}", valueText(lo.val), valueText(hi.val))
	if lo.val.Type != hi.val.Type {
		p.errs.add(catFunction, "The BETWEEN operator requires same data type for lower and upper bounds; %s", bounds)
		return
	}
	if c, ok := attr.Compare(lo.val, hi.val); ok && c > 0 {
		p.errs.add(catFunction, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; %s", bounds)
	}
}

// valueText renders a value as BETWEEN's messages do: N:5, S:abc,
// BOOL:true, NS:1,2 (a set's elements in its order).
func valueText(v attr.Value) string {
	var text string
	switch v.Type {
	case attr.S:
		text = v.Str
	case attr.N:
		text = attr.NumberText(v.Num)
	case attr.B:
		text = base64.StdEncoding.EncodeToString(v.Bin)
	case attr.BOOL:
		text = strconv.FormatBool(v.Bool)
	case attr.NULL:
		text = "true"
	case attr.SS:
		text = strings.Join(v.Strs, ",")
	case attr.NS:
		ss := make([]string, len(v.Nums))
		for i, d := range v.Nums {
			ss[i] = attr.NumberText(d)
		}
		text = strings.Join(ss, ",")
	case attr.BS:
		ss := make([]string, len(v.Bins))
		for i, b := range v.Bins {
			ss[i] = base64.StdEncoding.EncodeToString(b)
		}
		text = strings.Join(ss, ",")
	default:
		return v.Type.String()
	}
	return v.Type.String() + ":" + text
}

// toCond turns a parsed node into a condition: a function call becomes
// one (size cannot); a bare path or value is a syntax error at the token
// after it.
func (p *parser) toCond(n pnode) *cond {
	if n.c != nil {
		return n.c
	}
	o := n.o
	if o.kind != opCall {
		p.i = n.follow
		p.fail()
	}
	if o.name == "size" {
		p.errs.add(catMisusedFunction, "The function is not allowed to be used this way in an expression; function: %s", o.name)
	}
	return &cond{op: cFunc, name: o.name, args: o.args}
}

// eval evaluates the node against item.
func (c *cond) eval(item attr.Item) bool {
	switch c.op {
	case cAnd:
		return c.a.eval(item) && c.b.eval(item)
	case cOr:
		return c.a.eval(item) || c.b.eval(item)
	case cNot:
		return !c.a.eval(item)
	case cCmp:
		x, xok := c.args[0].get(item)
		y, yok := c.args[1].get(item)
		return compare(c.cmp, x, xok, y, yok)
	case cBetween:
		x, xok := c.args[0].get(item)
		lo, lok := c.args[1].get(item)
		hi, hok := c.args[2].get(item)
		return xok && lok && hok && compare(">=", x, true, lo, true) && compare("<=", x, true, hi, true)
	case cIn:
		x, ok := c.args[0].get(item)
		if !ok {
			return false
		}
		for _, a := range c.args[1:] {
			if y, ok := a.get(item); ok && attr.Equal(x, y) {
				return true
			}
		}
		return false
	case cFunc:
		return callCondFunction(c.name, c.args, item)
	}
	return false
}

// callCondFunction evaluates a boolean condition function.
func callCondFunction(name string, args []*operand, item attr.Item) bool {
	x, xok := args[0].get(item)
	switch name {
	case "attribute_exists":
		return xok
	case "attribute_not_exists":
		return !xok
	}
	y, yok := args[1].get(item)
	if !xok || !yok {
		return false
	}
	switch name {
	case "attribute_type":
		return y.Type == attr.S && x.Type.String() == y.Str
	case "begins_with":
		switch {
		case x.Type == attr.S && y.Type == attr.S:
			return strings.HasPrefix(x.Str, y.Str)
		case x.Type == attr.B && y.Type == attr.B:
			return bytes.HasPrefix(x.Bin, y.Bin)
		}
		return false
	case "contains":
		return contains(x, y)
	}
	return false
}

// contains is contains(x, y): a substring of a string (or binary), an
// element of a set of y's type, or an element of a list.
func contains(x, y attr.Value) bool {
	switch x.Type {
	case attr.S:
		return y.Type == attr.S && strings.Contains(x.Str, y.Str)
	case attr.B:
		return y.Type == attr.B && bytes.Contains(x.Bin, y.Bin)
	case attr.SS:
		if y.Type == attr.S {
			for _, s := range x.Strs {
				if s == y.Str {
					return true
				}
			}
		}
	case attr.NS:
		if y.Type == attr.N {
			for _, d := range x.Nums {
				if d.Cmp(y.Num) == 0 {
					return true
				}
			}
		}
	case attr.BS:
		if y.Type == attr.B {
			for _, b := range x.Bins {
				if bytes.Equal(b, y.Bin) {
					return true
				}
			}
		}
	case attr.L:
		for _, e := range x.List {
			if attr.Equal(e, y) {
				return true
			}
		}
	}
	return false
}

// compare applies a comparison operator. = holds of equal values; <>
// holds unless both exist and are equal; the orderings hold only of two
// values of the same scalar type.
func compare(op string, x attr.Value, xok bool, y attr.Value, yok bool) bool {
	switch op {
	case "=":
		return xok && yok && attr.Equal(x, y)
	case "<>":
		return !(xok && yok && attr.Equal(x, y))
	}
	if !xok || !yok {
		return false
	}
	c, ok := attr.Compare(x, y)
	if !ok {
		return false
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// get evaluates a condition operand: a path's value, a value, or size.
func (o *operand) get(item attr.Item) (attr.Value, bool) {
	switch o.kind {
	case opPath:
		return o.path.Get(item)
	case opValue:
		return o.val, true
	}
	if o.name != "size" {
		return attr.Value{}, false
	}
	v, ok := o.args[0].get(item)
	if !ok {
		return attr.Value{}, false
	}
	return sizeOf(v)
}

// sizeOf is size(v): the UTF-16 code units of a string (as DynamoDB
// counts them: "é𝄞" is 3), the bytes of a binary, the elements of a set
// or list, the entries of a map. Other types have no size.
func sizeOf(v attr.Value) (attr.Value, bool) {
	var n int
	switch v.Type {
	case attr.S:
		for _, r := range v.Str {
			n += utf16.RuneLen(r)
		}
	case attr.B:
		n = len(v.Bin)
	case attr.SS:
		n = len(v.Strs)
	case attr.NS:
		n = len(v.Nums)
	case attr.BS:
		n = len(v.Bins)
	case attr.L:
		n = len(v.List)
	case attr.M:
		n = len(v.Map)
	default:
		return attr.Value{}, false
	}
	return intValue(n), true
}

// intValue is the N value n, canonical.
func intValue(n int) attr.Value {
	d, _ := attr.CheckNumber(apd.New(int64(n), 0))
	return attr.Num(d)
}
