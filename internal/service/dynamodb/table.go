package dynamodb

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/store"
)

// Store tables.
const (
	// tablesTable: account/region/tableName → Table (JSON).
	tablesTable = "ddb_tables"
	// itemsTable: <table ID>/<enc pk>/<enc sk> → item (attr.Item JSON);
	// a table without a sort key has "<table ID>/<enc pk>/".
	itemsTable = "ddb_items"
	// indexTable: <table ID>/<index name>/<enc index pk>/<enc index sk>/<enc pk>/<enc sk>
	// → the projected item (attr.Item JSON). An item without an index's key
	// attributes is not in the index (sparse indexes).
	indexTable = "ddb_index"
)

// Table is a table's stored description: what DescribeTable answers, and
// what the item operations need to place items.
type Table struct {
	Name    string
	ID      string // TableId, a UUID; item keys are under it
	ARN     string
	Account string
	Region  string
	Created time.Time
	// Status is CREATING, ACTIVE, UPDATING or DELETING.
	Status     string
	KeySchema  []KeyElement
	Attributes []AttributeDefinition
	// BillingMode is PROVISIONED or PAY_PER_REQUEST.
	BillingMode string
	Throughput  *Throughput `json:",omitempty"`
	GSIs        []Index     `json:",omitempty"`
	LSIs        []Index     `json:",omitempty"`
	// Stream is the table's StreamSpecification; StreamLabel and
	// StreamARN name its current stream ("" when it never had one).
	Stream      *StreamSpec `json:",omitempty"`
	StreamLabel string      `json:",omitempty"`
	StreamARN   string      `json:",omitempty"`
	// TTL is the TimeToLive setting (attribute name, enabled).
	TTL                *TTL              `json:",omitempty"`
	Tags               map[string]string `json:",omitempty"`
	DeletionProtection bool              `json:",omitempty"`
	TableClass         string            `json:",omitempty"`
	// Policy is the table's resource-based policy (PutResourcePolicy) and
	// PolicyRevision its RevisionId; StreamPolicy that of its stream.
	Policy               string `json:",omitempty"`
	PolicyRevision       string `json:",omitempty"`
	StreamPolicy         string `json:",omitempty"`
	StreamPolicyRevision string `json:",omitempty"`
	// Version counts the updates of the table's description: an item
	// write made with an older one is retried (errTableChanged).
	Version int64 `json:",omitempty"`
}

// KeyElement is one attribute of a key schema; KeyType is HASH or RANGE.
type KeyElement struct {
	AttributeName string
	KeyType       string
}

// AttributeDefinition is the type (S, N or B) of a key attribute.
type AttributeDefinition struct {
	AttributeName string
	AttributeType string
}

// Throughput is provisioned read and write capacity.
type Throughput struct {
	ReadCapacityUnits  int64
	WriteCapacityUnits int64
}

// Index is a global or local secondary index.
type Index struct {
	Name       string
	ARN        string
	KeySchema  []KeyElement
	Projection Projection
	Status     string      `json:",omitempty"`
	Throughput *Throughput `json:",omitempty"`
}

// Projection is the attributes an index copies: ProjectionType ALL,
// KEYS_ONLY or INCLUDE (with NonKeyAttributes).
type Projection struct {
	ProjectionType   string
	NonKeyAttributes []string `json:",omitempty"`
}

// StreamSpec is a table's StreamSpecification.
type StreamSpec struct {
	StreamEnabled bool
	// StreamViewType is KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.
	StreamViewType string `json:",omitempty"`
}

// TTL is a table's TimeToLiveSpecification.
type TTL struct {
	AttributeName string
	Enabled       bool
}

// HashKey returns the name of the table's partition key.
func (t *Table) HashKey() string { return keyName(t.KeySchema, "HASH") }

// RangeKey returns the name of the table's sort key, or "".
func (t *Table) RangeKey() string { return keyName(t.KeySchema, "RANGE") }

func keyName(schema []KeyElement, kind string) string {
	for _, k := range schema {
		if k.KeyType == kind {
			return k.AttributeName
		}
	}
	return ""
}

// tableKey is a table's key in tablesTable.
func tableKey(account, region, name string) string {
	return account + "/" + region + "/" + name
}

// ItemKey returns the store key of the item with the given key attributes
// in table t (itemsTable), or false when it lacks one of them.
func (t *Table) ItemKey(it attr.Item) (string, bool) {
	pk, sk, ok := encodeKey(t.KeySchema, it)
	if !ok {
		return "", false
	}
	return t.ID + "/" + pk + "/" + sk, true
}

// PartitionPrefix returns the store key prefix of the items of one
// partition key value.
func (t *Table) PartitionPrefix(pk attr.Value) string {
	return t.ID + "/" + attr.EncodeKey(pk) + "/"
}

// IndexKey returns the store key of item it in index ix of t
// (indexTable), or false when the item is not in the index (it lacks
// one of the index's key attributes).
func (t *Table) IndexKey(ix *Index, it attr.Item) (string, bool) {
	ipk, isk, ok := encodeKey(ix.KeySchema, it)
	if !ok {
		return "", false
	}
	pk, sk, ok := encodeKey(t.KeySchema, it)
	if !ok {
		return "", false
	}
	return t.ID + "/" + ix.Name + "/" + ipk + "/" + isk + "/" + pk + "/" + sk, true
}

// IndexPartitionPrefix returns the store key prefix of the entries of one
// index partition key value.
func (t *Table) IndexPartitionPrefix(ix *Index, pk attr.Value) string {
	return t.ID + "/" + ix.Name + "/" + attr.EncodeKey(pk) + "/"
}

// encodeKey encodes the partition and sort key of it under schema; sk is
// "" for a schema without a sort key. ok is false when it lacks a key
// attribute or holds one of a type keys cannot have.
func encodeKey(schema []KeyElement, it attr.Item) (pk, sk string, ok bool) {
	for _, k := range schema {
		v, present := it[k.AttributeName]
		if !present || (v.Type != attr.S && v.Type != attr.N && v.Type != attr.B) {
			return "", "", false
		}
		if k.KeyType == "HASH" {
			pk = attr.EncodeKey(v)
		} else {
			sk = attr.EncodeKey(v)
		}
	}
	return pk, sk, true
}

// Index returns the table's secondary index called name, or nil.
func (t *Table) Index(name string) *Index {
	for i := range t.GSIs {
		if t.GSIs[i].Name == name {
			return &t.GSIs[i]
		}
	}
	for i := range t.LSIs {
		if t.LSIs[i].Name == name {
			return &t.LSIs[i]
		}
	}
	return nil
}

// tableARN returns the ARN of a table.
func tableARN(region, account, name string) string {
	return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + name
}

// loadTable reads the table name of the call's account and region, or
// answers DynamoDB's ResourceNotFoundException. name may be a table ARN.
func (d *DynamoDB) loadTable(ctx context.Context, r store.Reader, c *api.Call, name string) (*Table, error) {
	account, region := c.Account, c.Region
	if strings.HasPrefix(name, "arn:") {
		parts := strings.SplitN(name, ":", 6)
		if len(parts) == 6 && strings.HasPrefix(parts[5], "table/") {
			region, account, name = parts[3], parts[4], strings.TrimPrefix(parts[5], "table/")
		}
	}
	var t Table
	err := store.GetJSON(ctx, r, tablesTable, tableKey(account, region, name), &t)
	if errors.Is(err, store.ErrNotFound) {
		return nil, resourceNotFound(name)
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// resourceNotFound is DynamoDB's answer for a missing table.
func resourceNotFound(name string) *api.Error {
	return api.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Table: %s not found", name)
}
