package expr

import (
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// Elem is one step of a document path: a map key (or, first, a top-level
// attribute name) or, when IsIndex, a list index.
type Elem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path, a.b[2].c, with #names already substituted.
type Path []Elem

// String renders the path as DynamoDB's messages do: [a, b, [2], c].
func (p Path) String() string {
	parts := make([]string, len(p))
	for i, e := range p {
		if e.IsIndex {
			parts[i] = "[" + strconv.Itoa(e.Index) + "]"
		} else {
			parts[i] = e.Name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Head returns the top-level attribute the path starts at.
func (p Path) Head() string { return p[0].Name }

// Get returns the value at the path in item, if there is one.
func (p Path) Get(item attr.Item) (attr.Value, bool) {
	v, ok := item[p[0].Name]
	if !ok {
		return attr.Value{}, false
	}
	for _, e := range p[1:] {
		switch {
		case e.IsIndex && v.Type == attr.L:
			if e.Index >= len(v.List) {
				return attr.Value{}, false
			}
			v = v.List[e.Index]
		case !e.IsIndex && v.Type == attr.M:
			var found bool
			if v, found = v.Map[e.Name]; !found {
				return attr.Value{}, false
			}
		default:
			return attr.Value{}, false
		}
	}
	return v, true
}

// equal reports whether two paths are the same.
func (p Path) equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// clash compares two paths that an update or a projection names
// together: they overlap when one is a prefix of the other (or they are
// equal), and conflict when, before they part, one indexes a list where
// the other looks up a map key.
func clash(p, q Path) (overlap, conflict bool) {
	for i := 0; i < len(p) && i < len(q); i++ {
		if p[i].IsIndex != q[i].IsIndex {
			return false, true
		}
		if p[i] != q[i] {
			return false, false
		}
	}
	return true, false
}

// checkClashes records the first overlap and the first conflict among
// paths, in the order DynamoDB compares them (each path against those
// before it).
func checkClashes(paths []Path, errs *semErrs) {
	for i, p := range paths {
		for _, q := range paths[:i] {
			overlap, conflict := clash(q, p)
			if conflict {
				errs.add(catConflict, "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", q, p)
			}
			if overlap {
				errs.add(catOverlap, "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", q, p)
				return
			}
		}
	}
}

// Heads returns the distinct top-level attributes of paths, in order.
func Heads(paths []Path) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range paths {
		if !seen[p.Head()] {
			seen[p.Head()] = true
			out = append(out, p.Head())
		}
	}
	return out
}

// CheckKeyPaths refuses paths that look inside a key attribute: key
// attributes are scalars ("Key attributes must be scalars; list random
// access '[]' and map lookup '.' are not allowed: Key: pk", "...:
// IndexKey: gsi_pk"). tableKeys are the table's key attributes,
// indexKeys those of its indexes.
func CheckKeyPaths(paths []Path, tableKeys, indexKeys []string) error {
	nested := map[string]bool{}
	for _, p := range paths {
		if len(p) > 1 {
			nested[p.Head()] = true
		}
	}
	for _, k := range tableKeys {
		if nested[k] {
			return &attr.Error{Message: "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: " + k}
		}
	}
	for _, k := range indexKeys {
		if nested[k] {
			return &attr.Error{Message: "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: " + k}
		}
	}
	return nil
}
