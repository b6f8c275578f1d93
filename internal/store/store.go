// Package store is rolecall's persistence: an ordered key-value space in named
// tables, serializable multi-key updates, a change feed of every key written,
// and an append-only event log for the trail. SQLite is the embedded engine;
// other engines implement the same interface and pass the same conformance
// tests (package storetest).
package store

import (
	"context"
	"errors"
	"iter"
	"time"
)

// ErrNotFound is returned by Get for a missing key.
var ErrNotFound = errors.New("store: not found")

// ErrCompacted ends a Watch whose starting revision is older than the oldest
// change the engine still keeps: changes were missed, so whatever the watcher
// derived from the store must be dropped and read again.
var ErrCompacted = errors.New("store: change log compacted past the requested revision")

// Revision numbers the committed write transactions of a database, in
// commit order: each Update that writes commits exactly one revision, one
// more than the revision before it. 0 is the revision of an empty database.
type Revision int64

// Change is one key written (put or deleted) by the transaction that
// committed Revision. A transaction that writes a key more than once
// records it once.
type Change struct {
	Revision Revision
	Table    string
	Key      string
}

// Item is one key and its value.
type Item struct {
	Key   string
	Value []byte
}

// Reader reads keys.
type Reader interface {
	// Get returns the value of key in table, or ErrNotFound.
	Get(ctx context.Context, table, key string) ([]byte, error)
	// List returns up to limit items of table whose keys start with prefix and
	// sort after the key after ("" for the beginning), in key order. limit <= 0 means no limit.
	List(ctx context.Context, table, prefix, after string, limit int) ([]Item, error)
}

// Tx is an atomic read-write transaction.
type Tx interface {
	Reader
	Put(ctx context.Context, table, key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, table, key string) error
}

// Store is the persistence interface.
type Store interface {
	Reader
	// Update runs fn in one serializable transaction: all its writes land,
	// or none do, and the result is that of some serial order of every
	// transaction. When fn returns an error the transaction is rolled back
	// and Update returns that error.
	//
	// fn may run more than once: when the transaction conflicts with
	// another (a serialization failure, a busy database), the engine rolls
	// it back and runs fn again, and the new run reads what the other
	// transaction committed. A conflict is never returned to the caller
	// unless ctx ends first. fn must therefore have no effect outside the
	// transaction: it assigns results to variables it resets on every run,
	// and the caller acts on them (fills caches, sends, logs) after Update
	// returns nil.
	//
	// Update returns the revision it committed; an fn that wrote nothing
	// commits no revision, and Update returns the latest revision. When
	// Update returns a nil error the writes are durable, and the change
	// log holds one Change for each key written.
	Update(ctx context.Context, fn func(tx Tx) error) (Revision, error)
	// CurrentRevision returns the latest committed revision.
	CurrentRevision(ctx context.Context) (Revision, error)
	// Watch streams, in commit order, the changes of every revision after
	// after, including those committed later, by this handle or by any
	// other process on the same database, until ctx ends. A revision's
	// changes come together, in no particular order among themselves;
	// there are no gaps. The sequence ends with ctx.Err() when ctx ends,
	// with ErrCompacted when changes after after are no longer kept, and
	// with the error of a failed read otherwise. Engines document the
	// delay between a commit and its delivery.
	Watch(ctx context.Context, after Revision) iter.Seq2[Change, error]
	// AppendEvents stores trail events durably.
	AppendEvents(ctx context.Context, events []Event) error
	// QueryEvents returns events newest first.
	QueryEvents(ctx context.Context, q EventQuery) ([]Event, string, error)
	// QueryAccess streams the access rows q selects, oldest first (by
	// Time, then in the order the rows were first written). The sequence
	// ends after the first error.
	QueryAccess(ctx context.Context, q AccessQuery) iter.Seq2[Access, error]
	// SummarizeAccess streams the rows q selects summed over time: one
	// AccessSummary per set of rows that agree in every field but Time,
	// Count and EventID, the engine doing the grouping. Summaries come in
	// the order of their first rows (by Time, then by first event ID). The
	// sequence ends after the first error.
	SummarizeAccess(ctx context.Context, q AccessQuery) iter.Seq2[AccessSummary, error]
	// AccessRequests returns the replay records stored under keys (an
	// Access's Request); keys with no record are absent from the map.
	AccessRequests(ctx context.Context, keys []string) (map[string][]byte, error)
	Close() error
}

// Event is one stored trail record with the fields lookups filter on.
type Event struct {
	ID          string
	Time        time.Time
	Name        string
	Source      string
	Username    string
	AccessKeyID string
	ReadOnly    bool
	Resources   []EventResource
	// PrincipalARN is the caller's ARN (userIdentity.arn); "" for anonymous
	// and service callers.
	PrincipalARN string
	// IssuerARN is the ARN of the role a role session was issued for
	// (userIdentity.sessionContext.sessionIssuer.arn); "" for other callers.
	IssuerARN string
	// Category is the event's CloudTrail category: CategoryManagement (also
	// when empty on append) or CategoryData.
	Category string
	// Account is the account the event was recorded in (recipientAccountId).
	Account string
	// Record is the full CloudTrail record as JSON.
	Record []byte
	// Decisions is the JSON of the authorization decisions the call made.
	// It is kept beside the record, not in it: CloudTrail's record format has
	// no such field.
	Decisions []byte
	// Accesses are the event's authorization decisions as access rows, one
	// per decision (Count 1, Time the event's time); the engine truncates
	// their times to the second and sums the rows that then agree, in the
	// transaction that appends the event.
	Accesses []Access
	// Requests are the replay records the Accesses name, by key
	// (content-addressed: a key already stored keeps its record).
	Requests map[string][]byte
}

// Event categories.
const (
	CategoryManagement = "Management"
	CategoryData       = "Data"
)

// EventResource is a resource an event touched.
type EventResource struct {
	Type string
	Name string
}

// EventQuery selects events. At most one attribute filter is set, as in
// CloudTrail's LookupEvents; the principal, category and time filters combine
// with it and with each other.
type EventQuery struct {
	Attribute string // EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId, or ""
	Value     string
	// PrincipalARN selects the events of a principal: those whose
	// PrincipalARN or IssuerARN is this ARN. A role's ARN thus finds the
	// calls of every session of the role, a session's ARN those of that
	// session. "" selects every principal.
	PrincipalARN string
	// Category selects events of one category ("" selects all).
	Category string
	// Account selects the events recorded in one account ("" selects all).
	Account string
	Start   time.Time // zero: unbounded
	End     time.Time // zero: unbounded
	Limit   int
	// Cursor continues a previous query (the token QueryEvents returned).
	Cursor string
}
