// Package expr is DynamoDB's expression language: condition and filter
// expressions, key condition expressions, update expressions and
// projection expressions, with ExpressionAttributeNames and
// ExpressionAttributeValues, and the legacy parameters (Expected,
// AttributeUpdates, KeyConditions, QueryFilter, ScanFilter,
// AttributesToGet) translated to the same trees.
//
// Parsing follows DynamoDB: an expression is parsed whole; a syntax error
// names the token it stopped at and the text around it; otherwise the
// semantic errors found are reported one, by DynamoDB's priority of
// classes (redundant parentheses, unknown functions, reserved words,
// undefined names and values, overlapping paths, operand types). Every
// error is an *attr.Error carrying DynamoDB's message, which a handler
// answers as a ValidationException (400).
//
// Sources: the DynamoDB developer guide's "Using expressions in DynamoDB"
// (condition and filter expressions, comparison operator and function
// reference, update expressions, projection expressions, expression
// attribute names and values, reserved words) and "Legacy conditional
// parameters".
package expr

import (
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// opKind is the kind of an operand.
type opKind uint8

const (
	opPath  opKind = iota // a document path
	opValue               // an ExpressionAttributeValue
	opCall                // a function call, or + and - in updates
)

// operand is a value-producing node: a path, a value, or a call (size in
// conditions; if_not_exists, list_append, + and - in updates).
type operand struct {
	kind opKind
	path Path
	val  attr.Value // Type Invalid when the :name was not defined
	name string
	args []*operand
}

// staticType is the type the operand is known to have before an item is
// seen: a value's own type, N for size and arithmetic, L for
// list_append; Invalid when it depends on the item.
func (o *operand) staticType() attr.Type {
	switch o.kind {
	case opValue:
		return o.val.Type
	case opCall:
		switch o.name {
		case "size", "+", "-":
			return attr.N
		case "list_append":
			return attr.L
		}
	}
	return attr.Invalid
}

// bail carries a syntax error out of the recursive descent.
type bail struct{ msg string }

// parser is the state shared by the four expression grammars.
type parser struct {
	src  string
	toks []token
	i    int
	tr   *Tracker
	errs semErrs
	// valCat is the class an undefined :value is reported in: conditions
	// report undefined names and values as one class, updates as two.
	valCat errCat
	paths  []Path // every document path read, in order
	ops    int    // operators, for the 300-operator limit
}

// parse runs f over text with DynamoDB's checks around it: empty or
// oversized text, then a syntax error, then the first semantic error by
// order.
func parse(kind, text string, tr *Tracker, valCat errCat, order []errCat, f func(*parser)) (p *parser, err error) {
	if err := checkText(kind, text); err != nil {
		return nil, err
	}
	p = &parser{src: text, toks: lex(text), tr: tr, valCat: valCat}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			p, err = nil, invalid(kind, b.msg)
		}
	}()
	f(p)
	if p.peek().kind != tEOF {
		p.fail()
	}
	if msg := p.errs.first(order); msg != "" {
		return nil, invalid(kind, msg)
	}
	return p, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

// fail stops parsing with a syntax error at the current token.
func (p *parser) fail() { panic(bail{syntaxError(p.src, p.toks, p.i)}) }

// punct reports whether the current token is the punctuation s.
func (p *parser) punct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

// keyword reports whether the current token is the keyword w, in any case.
func (p *parser) keyword(w string) bool {
	t := p.peek()
	return t.kind == tName && strings.EqualFold(t.text, w)
}

// expect consumes the punctuation s or fails.
func (p *parser) expect(s string) {
	if !p.punct(s) {
		p.fail()
	}
	p.i++
}

// path parses a document path: a name or #name, then .name, .#name or
// [index] steps.
func (p *parser) path() Path {
	path := Path{p.elem()}
	for {
		switch {
		case p.punct("."):
			p.i++
			path = append(path, p.elem())
		case p.punct("["):
			p.i++
			t := p.peek()
			if t.kind != tNumber {
				p.fail()
			}
			n, err := strconv.Atoi(t.text)
			if err != nil {
				p.fail()
			}
			p.i++
			p.expect("]")
			path = append(path, Elem{Index: n, IsIndex: true})
		default:
			p.paths = append(p.paths, path)
			return path
		}
	}
}

// elem parses one name or #name of a path.
func (p *parser) elem() Elem {
	t := p.peek()
	switch t.kind {
	case tName:
		p.i++
		if isReserved(t.text) {
			p.errs.add(catReserved, "Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		return Elem{Name: t.text}
	case tAttrName:
		p.i++
		name, ok := p.tr.name(t.text)
		if !ok {
			p.errs.add(catAttrName, "An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		return Elem{Name: name}
	}
	p.fail()
	return Elem{}
}

// value parses a :name.
func (p *parser) value() *operand {
	t := p.peek()
	if t.kind != tAttrVal {
		p.fail()
	}
	p.i++
	v, ok := p.tr.value(t.text)
	if !ok {
		p.errs.add(p.valCat, "An expression attribute value used in expression is not defined; attribute value: %s", t.text)
	}
	return &operand{kind: opValue, val: v}
}

// call parses name(arg, ...) with arg parsing each argument.
func (p *parser) call(arg func() *operand) *operand {
	name := p.peek().text
	p.i++
	p.expect("(")
	o := &operand{kind: opCall, name: name}
	for {
		o.args = append(o.args, arg())
		if !p.punct(",") {
			break
		}
		p.i++
	}
	p.expect(")")
	p.ops++
	return o
}

// isCall reports whether the current token starts a function call.
func (p *parser) isCall() bool {
	return p.peek().kind == tName && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "("
}

// arity records DynamoDB's error for a call with the wrong number of
// operands, reporting whether the count was right.
func (p *parser) arity(o *operand, want int, c errCat) bool {
	if len(o.args) != want {
		p.errs.add(c, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", o.name, len(o.args))
		return false
	}
	return true
}

// typeError records "Incorrect operand type for operator or function".
func (p *parser) typeError(fn string, t string) {
	p.errs.add(catFunction, "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", fn, t)
}

// checkDistinct refuses an operator or function whose first two operands
// are the same path.
func (p *parser) checkDistinct(op string, args []*operand) {
	if len(args) == 2 && args[0].kind == opPath && args[1].kind == opPath && args[0].path.equal(args[1].path) {
		p.errs.add(catDistinct, "The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s", op, args[0].path)
	}
}
