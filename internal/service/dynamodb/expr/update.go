package expr

import (
	"sort"

	"github.com/cockroachdb/apd/v3"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// Messages of update evaluation (not prefixed "Invalid UpdateExpression").
const (
	msgNoAttribute   = "The provided expression refers to an attribute that does not exist in the item"
	msgOperandType   = "An operand in the update expression has an incorrect data type"
	msgInvalidPath   = "The document path provided in the update expression is invalid for update"
	msgLegacyMisType = "Type mismatch for attribute to update"
)

// actKind is an update action's clause.
type actKind uint8

const (
	actSet actKind = iota
	actRemove
	actAdd
	actDelete
)

var actNames = [...]string{actSet: "SET", actRemove: "REMOVE", actAdd: "ADD", actDelete: "DELETE"}

// action is one action of an update: SET path = val, REMOVE path, ADD
// path val, DELETE path val (val nil for REMOVE).
type action struct {
	kind actKind
	path Path
	val  *operand
}

// Update is a parsed UpdateExpression (or legacy AttributeUpdates). It is
// immutable and safe for concurrent use.
type Update struct {
	actions []action
	reads   []Path
	// legacy selects AttributeUpdates' semantics and messages: ADD appends
	// to lists, and type mismatches are "Type mismatch for attribute to
	// update".
	legacy bool
}

// updateOrder is the priority of update expression errors.
var updateOrder = []errCat{catReserved, catUnknownFunction, catSection, catAttrName, catAttrVal, catOverlap, catConflict, catOperand, catFunction}

// ParseUpdate parses an UpdateExpression: SET, REMOVE, ADD and DELETE
// clauses, each at most once, in any order.
func ParseUpdate(text string, tr *Tracker) (*Update, error) {
	u := &Update{}
	if _, err := parse("UpdateExpression", text, tr, catAttrVal, updateOrder, func(p *parser) {
		u.actions = p.update()
	}); err != nil {
		return nil, err
	}
	for _, a := range u.actions {
		if a.val != nil {
			u.reads = a.val.appendPaths(u.reads)
		}
	}
	return u, nil
}

// appendPaths appends the paths an operand reads.
func (o *operand) appendPaths(paths []Path) []Path {
	if o.kind == opPath {
		return append(paths, o.path)
	}
	for _, a := range o.args {
		paths = a.appendPaths(paths)
	}
	return paths
}

// update parses the clauses of an update expression.
func (p *parser) update() []action {
	var actions []action
	seen := map[actKind]bool{}
	for p.peek().kind != tEOF {
		kind, ok := actSet, false
		for k, name := range actNames {
			if p.keyword(name) {
				kind, ok = actKind(k), true
			}
		}
		if !ok {
			p.fail()
		}
		p.i++
		if seen[kind] {
			p.errs.add(catSection, `The "%s" section can only be used once in an update expression;`, actNames[kind])
		}
		seen[kind] = true
		for {
			a := action{kind: kind, path: p.path()}
			switch kind {
			case actSet:
				p.expect("=")
				a.val = p.setValue()
			case actAdd, actDelete:
				a.val = p.value()
				p.checkAddDelete(kind, a.val)
			}
			actions = append(actions, a)
			if !p.punct(",") {
				break
			}
			p.i++
		}
	}
	targets := make([]Path, len(actions))
	for i, a := range actions {
		targets[i] = a.path
	}
	checkClashes(targets, &p.errs)
	return actions
}

// operandTypeNames are the type names ADD's and DELETE's messages use.
var operandTypeNames = map[attr.Type]string{
	attr.S: "STRING", attr.N: "NUMBER", attr.B: "BINARY", attr.NULL: "NULL",
	attr.BOOL: "BOOLEAN", attr.L: "LIST", attr.M: "MAP",
}

// checkAddDelete refuses an ADD value that is not a number or a set, and
// a DELETE value that is not a set.
func (p *parser) checkAddDelete(kind actKind, v *operand) {
	t := v.val.Type
	name, bad := operandTypeNames[t]
	if bad && !(kind == actAdd && t == attr.N) {
		p.errs.add(catOperand, "Incorrect operand type for operator or function; operator: %s, operand type: %s", actNames[kind], name)
	}
}

// setValue parses SET's right-hand side: an operand, or two joined by +
// or -.
func (p *parser) setValue() *operand {
	x := p.setTerm()
	if p.punct("+") || p.punct("-") {
		op := p.peek().text
		p.i++
		y := p.setTerm()
		o := &operand{kind: opCall, name: op, args: []*operand{x, y}}
		p.checkUpdateFunction(o)
		return o
	}
	return x
}

// setTerm parses a path, a :value, a function call, or a parenthesised
// SET value.
func (p *parser) setTerm() *operand {
	if p.punct("(") {
		p.i++
		o := p.setValue()
		p.expect(")")
		return o
	}
	return p.updOperand()
}

// updOperand parses a path, a :value or a function call.
func (p *parser) updOperand() *operand {
	t := p.peek()
	switch t.kind {
	case tAttrVal:
		return p.value()
	case tName:
		if p.isCall() {
			o := p.call(p.updArg)
			p.checkUpdateFunction(o)
			return o
		}
	}
	return &operand{kind: opPath, path: p.path()}
}

// updArg parses a function's operand, which parentheses may wrap.
func (p *parser) updArg() *operand {
	if p.punct("(") {
		p.i++
		o := p.updArg()
		p.expect(")")
		return o
	}
	return p.updOperand()
}

// updateFunctions are the update functions and operators and their
// operand counts.
var updateFunctions = map[string]int{"if_not_exists": 2, "list_append": 2, "+": 2, "-": 2}

// checkUpdateFunction records the errors of an update function call.
func (p *parser) checkUpdateFunction(o *operand) {
	want, ok := updateFunctions[o.name]
	if !ok {
		p.errs.add(catUnknownFunction, "Invalid function name; function: %s", o.name)
		return
	}
	if !p.arity(o, want, catFunction) {
		return
	}
	switch o.name {
	case "if_not_exists":
		if o.args[0].kind != opPath {
			p.errs.add(catFunction, "Operator or function requires a document path; operator or function: %s", o.name)
		}
	case "list_append", "+", "-":
		want := attr.N
		if o.name == "list_append" {
			want = attr.L
		}
		for _, a := range o.args {
			if a.kind == opValue && a.val.Type != attr.Invalid && a.val.Type != want {
				p.typeError(o.name, a.val.Type.String())
				return
			}
		}
	}
}

// Targets returns the document paths the update writes, in order.
func (u *Update) Targets() []Path {
	out := make([]Path, len(u.actions))
	for i, a := range u.actions {
		out[i] = a.path
	}
	return out
}

// Reads returns the document paths the update's operands read.
func (u *Update) Reads() []Path { return u.reads }

// TopLevel returns the top-level attributes the update writes: a key
// attribute among them is "Cannot update attribute pk. This attribute is
// part of the key".
func (u *Update) TopLevel() []string { return Heads(u.Targets()) }

// Projection returns the projection of the paths the update writes, for
// ReturnValues UPDATED_OLD (applied to the old item) and UPDATED_NEW (to
// the new one).
func (u *Update) Projection() *Projection { return &Projection{paths: u.Targets()} }

// Apply returns the item the update makes of old (nil for an item that
// does not exist yet), leaving old untouched. Every operand is evaluated
// against old. Errors are DynamoDB's: "The provided expression refers to
// an attribute that does not exist in the item", "An operand in the
// update expression has an incorrect data type", "The document path
// provided in the update expression is invalid for update", and the
// number limits of attr.CheckNumber.
func (u *Update) Apply(old attr.Item) (attr.Item, error) {
	vals := make([]attr.Value, len(u.actions))
	for i, a := range u.actions {
		if a.kind != actSet {
			continue
		}
		v, err := a.val.update(old)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	root := attr.Value{Type: attr.M, Map: map[string]attr.Value(old.Clone())}
	if root.Map == nil {
		root.Map = map[string]attr.Value{}
	}
	ap := &applier{legacy: u.legacy}
	for i, a := range u.actions {
		parent, last := a.path[:len(a.path)-1], a.path[len(a.path)-1]
		var err error
		root, err = modifyAt(root, parent, func(c attr.Value) (attr.Value, error) {
			return ap.act(c, parent, last, a, vals[i])
		})
		if err != nil {
			return nil, err
		}
	}
	root, err := ap.finish(root)
	if err != nil {
		return nil, err
	}
	return attr.Item(root.Map), nil
}

// update evaluates an update operand against the old item.
func (o *operand) update(item attr.Item) (attr.Value, error) {
	switch o.kind {
	case opPath:
		v, ok := o.path.Get(item)
		if !ok {
			return attr.Value{}, &attr.Error{Message: msgNoAttribute}
		}
		return v, nil
	case opValue:
		return o.val, nil
	}
	if o.name == "if_not_exists" {
		if v, ok := o.args[0].path.Get(item); ok {
			return v, nil
		}
		return o.args[1].update(item)
	}
	want := attr.N
	if o.name == "list_append" {
		want = attr.L
	}
	var args [2]attr.Value
	for i, a := range o.args {
		v, err := a.update(item)
		if err != nil {
			return attr.Value{}, err
		}
		if v.Type != want {
			return attr.Value{}, &attr.Error{Message: msgOperandType}
		}
		args[i] = v
	}
	if o.name == "list_append" {
		l := make([]attr.Value, 0, len(args[0].List)+len(args[1].List))
		l = append(append(l, args[0].List...), args[1].List...)
		return attr.Value{Type: attr.L, List: l}, nil
	}
	return arith(o.name, args[0].Num, args[1].Num)
}

// exact is wide enough for any sum or difference of two DynamoDB numbers
// to be exact; attr.CheckNumber then refuses what DynamoDB cannot store.
var exact = apd.BaseContext.WithPrecision(300)

// arith returns a+b or a-b.
func arith(op string, a, b *apd.Decimal) (attr.Value, error) {
	var r apd.Decimal
	var err error
	if op == "+" {
		_, err = exact.Add(&r, a, b)
	} else {
		_, err = exact.Sub(&r, a, b)
	}
	if err != nil {
		return attr.Value{}, &attr.Error{Message: "Number overflow. Attempting to store a number with magnitude larger than supported range"}
	}
	d, err := attr.CheckNumber(&r)
	if err != nil {
		return attr.Value{}, err
	}
	return attr.Num(d), nil
}

// modifyAt replaces the value at path inside v (which it must reach
// through existing maps and list elements) by f's result.
func modifyAt(v attr.Value, path Path, f func(attr.Value) (attr.Value, error)) (attr.Value, error) {
	if len(path) == 0 {
		return f(v)
	}
	e := path[0]
	switch {
	case e.IsIndex && v.Type == attr.L && e.Index < len(v.List):
		c, err := modifyAt(v.List[e.Index], path[1:], f)
		if err != nil {
			return v, err
		}
		v.List[e.Index] = c
	case !e.IsIndex && v.Type == attr.M:
		child, ok := v.Map[e.Name]
		if !ok {
			return v, &attr.Error{Message: msgInvalidPath}
		}
		c, err := modifyAt(child, path[1:], f)
		if err != nil {
			return v, err
		}
		v.Map[e.Name] = c
	default:
		return v, &attr.Error{Message: msgInvalidPath}
	}
	return v, nil
}

// listEdit is a change to a list deferred to the end of the update, so
// that every index of the expression means a position in the old list:
// SET beyond the end appends, in index order; REMOVE of elements takes
// them out together.
type listEdit struct {
	list  Path
	index int
	val   attr.Value
}

// applier applies actions, collecting the deferred list edits.
type applier struct {
	legacy           bool
	appends, removes []listEdit
}

// act applies one action to c, the container of its last path element.
func (ap *applier) act(c attr.Value, parent Path, last Elem, a action, setVal attr.Value) (attr.Value, error) {
	if last.IsIndex && c.Type != attr.L || !last.IsIndex && c.Type != attr.M {
		return c, &attr.Error{Message: msgInvalidPath}
	}
	var cur attr.Value
	var exists bool
	if last.IsIndex {
		if exists = last.Index < len(c.List); exists {
			cur = c.List[last.Index]
		}
	} else {
		cur, exists = c.Map[last.Name]
	}
	var next attr.Value
	switch a.kind {
	case actSet:
		next = setVal
	case actRemove:
		return ap.remove(c, parent, last, exists), nil
	case actAdd:
		v, err := ap.add(cur, exists, a.val.val)
		if err != nil {
			return c, err
		}
		next = v
	case actDelete:
		if !exists {
			return c, nil
		}
		v, keep, err := ap.del(cur, a.val.val)
		if err != nil {
			return c, err
		}
		if !keep {
			return ap.remove(c, parent, last, true), nil
		}
		next = v
	}
	if !last.IsIndex {
		c.Map[last.Name] = next
	} else if exists {
		c.List[last.Index] = next
	} else {
		ap.appends = append(ap.appends, listEdit{parent, last.Index, next})
	}
	return c, nil
}

func (ap *applier) remove(c attr.Value, parent Path, last Elem, exists bool) attr.Value {
	if !last.IsIndex {
		delete(c.Map, last.Name)
	} else if exists {
		ap.removes = append(ap.removes, listEdit{list: parent, index: last.Index})
	}
	return c
}

// mismatch is the type-mismatch error of the update's kind.
func (ap *applier) mismatch() error {
	if ap.legacy {
		return &attr.Error{Message: msgLegacyMisType}
	}
	return &attr.Error{Message: msgOperandType}
}

// add is ADD: a number added to the number there (or to zero), a set's
// elements added to the set there (or to an empty one); for legacy
// AttributeUpdates also a list appended to the list there.
func (ap *applier) add(cur attr.Value, exists bool, v attr.Value) (attr.Value, error) {
	if !exists {
		return v, nil
	}
	if cur.Type != v.Type {
		return attr.Value{}, ap.mismatch()
	}
	switch v.Type {
	case attr.N:
		return arith("+", cur.Num, v.Num)
	case attr.L:
		l := append(append([]attr.Value(nil), cur.List...), v.List...)
		return attr.Value{Type: attr.L, List: l}, nil
	}
	out := cur.Clone()
	for _, e := range setElems(v) {
		if !hasElem(out, e) {
			appendElem(&out, e)
		}
	}
	return out, nil
}

// del is DELETE: the set there less v's elements; keep is false when
// nothing is left (the attribute is then removed).
func (ap *applier) del(cur attr.Value, v attr.Value) (out attr.Value, keep bool, err error) {
	if cur.Type != v.Type {
		return attr.Value{}, false, ap.mismatch()
	}
	out = attr.Value{Type: cur.Type}
	for _, e := range setElems(cur) {
		if !hasElem(v, e) {
			appendElem(&out, e)
		}
	}
	return out, len(setElems(out)) > 0, nil
}

// setElems returns a set's elements as single values.
func setElems(set attr.Value) []attr.Value {
	var out []attr.Value
	switch set.Type {
	case attr.SS:
		for _, s := range set.Strs {
			out = append(out, attr.Str(s))
		}
	case attr.NS:
		for _, d := range set.Nums {
			out = append(out, attr.Num(d))
		}
	case attr.BS:
		for _, b := range set.Bins {
			out = append(out, attr.Bin(b))
		}
	}
	return out
}

func hasElem(set, e attr.Value) bool {
	for _, x := range setElems(set) {
		if attr.Equal(x, e) {
			return true
		}
	}
	return false
}

func appendElem(set *attr.Value, e attr.Value) {
	switch set.Type {
	case attr.SS:
		set.Strs = append(set.Strs, e.Str)
	case attr.NS:
		set.Nums = append(set.Nums, e.Num)
	case attr.BS:
		set.Bins = append(set.Bins, e.Bin)
	}
}

// finish applies the deferred list edits: appends in index order, then
// removals from the highest index down.
func (ap *applier) finish(root attr.Value) (attr.Value, error) {
	sort.SliceStable(ap.appends, func(i, j int) bool { return ap.appends[i].index < ap.appends[j].index })
	for _, e := range ap.appends {
		var err error
		root, err = modifyAt(root, e.list, func(l attr.Value) (attr.Value, error) {
			l.List = append(l.List, e.val)
			return l, nil
		})
		if err != nil {
			return root, err
		}
	}
	sort.SliceStable(ap.removes, func(i, j int) bool { return ap.removes[i].index > ap.removes[j].index })
	for _, e := range ap.removes {
		var err error
		root, err = modifyAt(root, e.list, func(l attr.Value) (attr.Value, error) {
			if e.index < len(l.List) {
				l.List = append(l.List[:e.index:e.index], l.List[e.index+1:]...)
			}
			return l, nil
		})
		if err != nil {
			return root, err
		}
	}
	return root, nil
}
