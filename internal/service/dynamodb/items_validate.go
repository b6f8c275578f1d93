package dynamodb

import (
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/service/dynamodb/expr"
)

// This file checks keys and items against a table's key schema and its
// indexes' key schemas, with DynamoDB's messages.

// msgKeySchema is DynamoDB's answer to a Key that is not exactly the
// table's primary key.
const msgKeySchema = "The provided key element does not match the schema"

// attrType returns the declared type (S, N or B) of key attribute name.
func (t *Table) attrType(name string) attr.Type {
	for _, a := range t.Attributes {
		if a.AttributeName == name {
			return attr.ParseType(a.AttributeType)
		}
	}
	return attr.Invalid
}

// emptyKey is DynamoDB's answer to an empty string or binary key value.
func emptyKey(v attr.Value, name string) *api.Error {
	kind := "string"
	if v.Type == attr.B {
		kind = "binary"
	}
	return validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s", kind, name)
}

func isEmptyKey(v attr.Value) bool {
	return (v.Type == attr.S && v.Str == "") || (v.Type == attr.B && len(v.Bin) == 0)
}

// checkKey checks a Key member (GetItem, DeleteItem, UpdateItem, batches,
// transactions): exactly the table's key attributes, of their declared
// types, none empty.
func (t *Table) checkKey(key attr.Item) *api.Error {
	if len(key) != len(t.KeySchema) {
		return validation(msgKeySchema)
	}
	for _, k := range t.KeySchema {
		v, ok := key[k.AttributeName]
		if !ok || v.Type != t.attrType(k.AttributeName) {
			return validation(msgKeySchema)
		}
		if isEmptyKey(v) {
			return emptyKey(v, k.AttributeName)
		}
	}
	return nil
}

// checkItem checks an item about to be written: its primary key
// attributes present and of their types, its index key attributes (when
// present) of theirs, none empty, its size within 400 KB and its nesting
// within DynamoDB's 32 levels. sizeMsg is
// the size message of the operation ("Item size has exceeded the maximum
// allowed size", or UpdateItem's).
func (t *Table) checkItem(it attr.Item, sizeMsg string) *api.Error {
	for _, k := range t.KeySchema {
		v, ok := it[k.AttributeName]
		if !ok {
			return validation(attr.ParamsInvalid+"Missing the key %s in the item", k.AttributeName)
		}
		if want := t.attrType(k.AttributeName); v.Type != want {
			return validation(attr.ParamsInvalid+"Type mismatch for key %s expected: %s actual: %s", k.AttributeName, want, v.Type)
		}
		if isEmptyKey(v) {
			return emptyKey(v, k.AttributeName)
		}
	}
	for _, ix := range t.indexes() {
		for _, k := range ix.KeySchema {
			v, ok := it[k.AttributeName]
			if !ok {
				continue
			}
			if want := t.attrType(k.AttributeName); v.Type != want {
				return validation(attr.ParamsInvalid+"Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", k.AttributeName, want, v.Type, ix.Name)
			}
			if isEmptyKey(v) {
				return validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s",
					map[bool]string{true: "binary", false: "string"}[v.Type == attr.B], ix.Name, k.AttributeName)
			}
		}
	}
	if it.Size() > attr.MaxItemSize {
		return validation("%s", sizeMsg)
	}
	if err := it.CheckNesting(); err != nil {
		return validation("%s", err.Error())
	}
	return nil
}

// Size messages.
const (
	msgItemSize   = "Item size has exceeded the maximum allowed size"
	msgUpdateSize = "Item size to update has exceeded the maximum allowed size"
)

// keyOf returns the primary key attributes of it.
func (t *Table) keyOf(it attr.Item) attr.Item {
	k := make(attr.Item, len(t.KeySchema))
	for _, e := range t.KeySchema {
		if v, ok := it[e.AttributeName]; ok {
			k[e.AttributeName] = v
		}
	}
	return k
}

// isKeyAttr reports whether name is one of the table's primary key
// attributes.
func (t *Table) isKeyAttr(name string) bool {
	for _, e := range t.KeySchema {
		if e.AttributeName == name {
			return true
		}
	}
	return false
}

// indexes returns the table's secondary indexes, global then local.
func (t *Table) indexes() []*Index {
	out := make([]*Index, 0, len(t.GSIs)+len(t.LSIs))
	for i := range t.GSIs {
		out = append(out, &t.GSIs[i])
	}
	for i := range t.LSIs {
		out = append(out, &t.LSIs[i])
	}
	return out
}

// isGlobal reports whether ix is one of the table's global indexes.
func (t *Table) isGlobal(ix *Index) bool {
	for i := range t.GSIs {
		if &t.GSIs[i] == ix || t.GSIs[i].Name == ix.Name {
			return true
		}
	}
	return false
}

// itemTable is the table an item operation names, or DynamoDB's
// ResourceNotFoundException as the data plane words it: "Requested
// resource not found", without the table's name.
func (d *DynamoDB) itemTable(c *api.Call, name string) (*Table, error) {
	return dataPlaneNotFound(d.cachedTable(c.Context, c, name))
}

// dataPlaneNotFound words a missing table's error as item operations do.
func dataPlaneNotFound(t *Table, err error) (*Table, error) {
	var e *api.Error
	if errors.As(err, &e) && e.Code == "ResourceNotFoundException" {
		return nil, api.Errorf(400, "ResourceNotFoundException", "Requested resource not found")
	}
	return t, err
}

// maxTableChanges bounds how often a write is redone because its table
// changed under it.
const maxTableChanges = 8

// withTable runs write on the table name designates; when the table
// changed while write ran (errTableChanged: an index was added, a stream
// enabled), write runs again on the table read afresh, so that no write
// lands that ignored the table as it is.
func (d *DynamoDB) withTable(c *api.Call, name string, write func(t *Table) (any, error)) (any, error) {
	t, err := d.itemTable(c, name)
	if err != nil {
		return nil, err
	}
	for range maxTableChanges {
		out, err := write(t)
		if !errors.Is(err, errTableChanged) {
			return out, err
		}
		if t, err = dataPlaneNotFound(d.freshTable(c.Context, c, name)); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("dynamodb: table %s changed %d times during one write", name, maxTableChanges)
}

// withTables is withTable for a batch or a transaction over the tables
// names designates.
func (d *DynamoDB) withTables(c *api.Call, names []string, write func(tables map[string]*Table) (any, error)) (any, error) {
	read := d.itemTable
	for range maxTableChanges {
		tables := map[string]*Table{}
		for _, n := range names {
			if _, ok := tables[n]; ok {
				continue
			}
			t, err := read(c, n)
			if err != nil {
				return nil, err
			}
			tables[n] = t
		}
		out, err := write(tables)
		if !errors.Is(err, errTableChanged) {
			return out, err
		}
		read = func(c *api.Call, name string) (*Table, error) {
			return dataPlaneNotFound(d.freshTable(c.Context, c, name))
		}
	}
	return nil, fmt.Errorf("dynamodb: tables changed %d times during one write", maxTableChanges)
}

// checkKeyPaths refuses expression paths that look inside a key
// attribute of the table or of one of its indexes.
func (t *Table) checkKeyPaths(paths ...[]expr.Path) error {
	var all []expr.Path
	for _, p := range paths {
		all = append(all, p...)
	}
	if len(all) == 0 {
		return nil
	}
	var tableKeys, indexKeys []string
	for _, k := range t.KeySchema {
		tableKeys = append(tableKeys, k.AttributeName)
	}
	for _, ix := range t.indexes() {
		for _, k := range ix.KeySchema {
			indexKeys = append(indexKeys, k.AttributeName)
		}
	}
	return expr.CheckKeyPaths(all, tableKeys, indexKeys)
}

// paths of the parsed expressions (nil-safe).
func condPaths(c *expr.Condition) []expr.Path {
	if c == nil {
		return nil
	}
	return c.Paths()
}

func projPaths(p *expr.Projection) []expr.Path {
	if p == nil {
		return nil
	}
	return p.Paths()
}

func updatePaths(u *expr.Update) []expr.Path {
	if u == nil {
		return nil
	}
	return u.Targets()
}
