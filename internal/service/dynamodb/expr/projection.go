package expr

import (
	"sort"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// Projection is a parsed ProjectionExpression (or legacy
// AttributesToGet): the document paths to return. It is immutable and
// safe for concurrent use.
type Projection struct {
	paths []Path
}

// projectionOrder is the priority of projection expression errors.
var projectionOrder = []errCat{catReserved, catAttrName, catOverlap, catConflict}

// ParseProjection parses a ProjectionExpression: document paths
// separated by commas, none overlapping another.
func ParseProjection(text string, tr *Tracker) (*Projection, error) {
	var paths []Path
	if _, err := parse("ProjectionExpression", text, tr, catAttrName, projectionOrder, func(p *parser) {
		for {
			paths = append(paths, p.path())
			if !p.punct(",") {
				break
			}
			p.i++
		}
		checkClashes(paths, &p.errs)
	}); err != nil {
		return nil, err
	}
	return &Projection{paths: paths}, nil
}

// Paths returns the projected paths.
func (p *Projection) Paths() []Path {
	if p == nil {
		return nil
	}
	return p.paths
}

// TopLevel returns the top-level attributes the projection reads.
func (p *Projection) TopLevel() []string { return Heads(p.Paths()) }

// Apply returns the parts of item the projection names, shaped as
// DynamoDB returns them: each path's value at its place in nested maps,
// and of a list only the elements named, in index order. Paths that item
// lacks are left out. A nil *Projection returns item itself.
func (p *Projection) Apply(item attr.Item) attr.Item {
	if p == nil || item == nil {
		return item
	}
	root := &shape{}
	for _, path := range p.paths {
		v, ok := path.Get(item)
		if !ok {
			continue
		}
		n := root
		for _, e := range path {
			n = n.child(e)
		}
		n.leaf, n.isLeaf = v, true
	}
	out := attr.Item{}
	for name, n := range root.fields {
		out[name] = n.value()
	}
	return out
}

// shape is the tree a projection builds: a leaf value, or map fields, or
// list elements by their index in the item.
type shape struct {
	leaf   attr.Value
	isLeaf bool
	fields map[string]*shape
	elems  map[int]*shape
}

func (s *shape) child(e Elem) *shape {
	if e.IsIndex {
		if s.elems == nil {
			s.elems = map[int]*shape{}
		}
		if s.elems[e.Index] == nil {
			s.elems[e.Index] = &shape{}
		}
		return s.elems[e.Index]
	}
	if s.fields == nil {
		s.fields = map[string]*shape{}
	}
	if s.fields[e.Name] == nil {
		s.fields[e.Name] = &shape{}
	}
	return s.fields[e.Name]
}

func (s *shape) value() attr.Value {
	switch {
	case s.isLeaf:
		return s.leaf
	case s.elems != nil:
		idx := make([]int, 0, len(s.elems))
		for i := range s.elems {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		l := make([]attr.Value, len(idx))
		for j, i := range idx {
			l[j] = s.elems[i].value()
		}
		return attr.Value{Type: attr.L, List: l}
	}
	m := make(map[string]attr.Value, len(s.fields))
	for k, c := range s.fields {
		m[k] = c.value()
	}
	return attr.Value{Type: attr.M, Map: m}
}
