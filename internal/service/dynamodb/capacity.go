package dynamodb

import (
	"math"

	"github.com/rolecall/rolecall/internal/api"
)

// This file is DynamoDB's capacity arithmetic, as "Read/write capacity
// mode" in the developer guide gives it: a read costs one unit per 4 KB
// of the items it reads (rounded up, at least one), half for an
// eventually consistent read; a write one unit per 1 KB of the larger of
// the item before and after (at least one), plus the writes of every
// index entry it puts or deletes; transactions cost twice.

// ConsumedCapacity is the ConsumedCapacity member of an answer: the
// table's total and, for ReturnConsumedCapacity INDEXES, the table's own
// and each index's part.
type ConsumedCapacity struct {
	TableName              string              `json:",omitempty"`
	CapacityUnits          float64             `json:",omitempty"`
	Table                  *Capacity           `json:",omitempty"`
	GlobalSecondaryIndexes map[string]Capacity `json:",omitempty"`
	LocalSecondaryIndexes  map[string]Capacity `json:",omitempty"`
}

// Capacity is the units one table or index consumed.
type Capacity struct {
	CapacityUnits float64
}

// usage counts the capacity one request consumes on one table. A nil
// *usage counts nothing (ReturnConsumedCapacity NONE still costs, but is
// not reported).
type usage struct {
	indexes bool // ReturnConsumedCapacity INDEXES
	table   string
	factor  float64 // 2 in transactions
	tbl     float64
	gsi     map[string]float64
	lsi     map[string]float64
}

// newUsage returns the counter for ReturnConsumedCapacity mode on t, or
// nil for NONE.
func newUsage(mode string, t *Table) *usage {
	if mode != "TOTAL" && mode != "INDEXES" {
		return nil
	}
	return &usage{indexes: mode == "INDEXES", table: t.Name, factor: 1}
}

// writeUnits are the units of writing size bytes.
func writeUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/1024)) }

// readUnits are the units of reading size bytes.
func readUnits(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/4096))
	if !consistent {
		u /= 2
	}
	return u
}

// write counts a write of size bytes to the table (ix nil) or to index ix.
func (u *usage) write(t *Table, ix *Index, size int) {
	if u == nil {
		return
	}
	u.add(t, ix, writeUnits(size))
}

// read counts a read of size bytes (the sum of the items a Query or Scan
// page read) from the table (ix nil) or index ix.
func (u *usage) read(t *Table, ix *Index, size int, consistent bool) {
	if u == nil {
		return
	}
	u.add(t, ix, readUnits(size, consistent))
}

func (u *usage) add(t *Table, ix *Index, units float64) {
	units *= u.factor
	switch {
	case ix == nil:
		u.tbl += units
	case t.isGlobal(ix):
		if u.gsi == nil {
			u.gsi = map[string]float64{}
		}
		u.gsi[ix.Name] += units
	default:
		if u.lsi == nil {
			u.lsi = map[string]float64{}
		}
		u.lsi[ix.Name] += units
	}
}

// result is the ConsumedCapacity member, or nil when not asked for.
func (u *usage) result() *ConsumedCapacity {
	if u == nil {
		return nil
	}
	total := u.tbl
	for _, v := range u.gsi {
		total += v
	}
	for _, v := range u.lsi {
		total += v
	}
	cc := &ConsumedCapacity{TableName: u.table, CapacityUnits: total}
	if !u.indexes {
		return cc
	}
	cc.Table = &Capacity{CapacityUnits: u.tbl}
	if len(u.gsi) > 0 {
		cc.GlobalSecondaryIndexes = map[string]Capacity{}
		for k, v := range u.gsi {
			cc.GlobalSecondaryIndexes[k] = Capacity{CapacityUnits: v}
		}
	}
	if len(u.lsi) > 0 {
		cc.LocalSecondaryIndexes = map[string]Capacity{}
		for k, v := range u.lsi {
			cc.LocalSecondaryIndexes[k] = Capacity{CapacityUnits: v}
		}
	}
	return cc
}

// results are the ConsumedCapacity list of a batch or transaction, one
// entry per table in the order the tables first appeared.
func results(us []*usage) []ConsumedCapacity {
	var out []ConsumedCapacity
	for _, u := range us {
		if cc := u.result(); cc != nil {
			out = append(out, *cc)
		}
	}
	return out
}

// checkCapacityMode refuses a ReturnConsumedCapacity the model does not
// list (the model's enum check covers wire calls; this covers typed ones).
func checkCapacityMode(mode string) *api.Error {
	switch mode {
	case "", "NONE", "TOTAL", "INDEXES":
		return nil
	}
	return validation("1 validation error detected: Value '%s' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]", mode)
}
