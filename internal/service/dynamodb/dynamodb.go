// Package dynamodb is Amazon DynamoDB (awsJson1_0, X-Amz-Target
// DynamoDB_20120810) and DynamoDB Streams (its own target prefix,
// DynamoDBStreams_20120810, signed as "dynamodb"), kept in the store:
//
//   - tables (tablesTable) are one record each, keyed account/region/name;
//   - items (itemsTable) are keyed by table ID, then by the order-preserving
//     encodings of their partition and sort keys (attr.EncodeKey), so that
//     a store List over "<table>/<pk>/" is a Query in sort-key order;
//   - every local and global secondary index has its own key range
//     (indexTable), written in the same transaction as the item;
//   - a table's stream is a seqlog per shard, appended in the item's
//     transaction, so stream records follow commit order.
//
// Every item operation is one serializable store transaction, which is
// what makes conditional writes and TransactWriteItems exact.
package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
)

// Target prefixes of the two services.
const (
	TargetPrefix        = "DynamoDB_20120810"
	StreamsTargetPrefix = "DynamoDBStreams_20120810"
)

// Config configures DynamoDB.
type Config struct {
	// Account and Region are the defaults.
	Account string
	Region  string
	Store   store.Store
	// Feed, when set, keeps cached table records fresh across nodes.
	Feed *store.Feed
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// TTLInterval is the time between two passes of the sweeper (Start),
	// which deletes expired items and finishes index backfills; 0 means a
	// minute.
	TTLInterval time.Duration
	// Logger receives background failures; nil means slog.Default().
	Logger *slog.Logger
}

// DynamoDB is the DynamoDB service and its Streams endpoint.
type DynamoDB struct {
	cfg Config
	// tables caches what authorization and the item operations read of
	// each table (access.go), by tablesTable key.
	tables *store.Memo[*tableAccess]
	// iteratorKey authenticates shard iterators (streams_iterators.go),
	// read once under mu.
	mu          sync.Mutex
	iteratorKey []byte
	// counted keeps tables' statistics (stats), by table ID and version.
	counted map[string]cachedStats
	// life is the context Start was given: background work (index
	// backfills, the sweeper) ends with it.
	life context.Context
}

// New returns DynamoDB configured by cfg.
func New(cfg Config) (*DynamoDB, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("dynamodb: a store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &DynamoDB{cfg: cfg, tables: &store.Memo[*tableAccess]{Max: 10000}}
	if cfg.Feed != nil {
		cfg.Feed.Subscribe([]string{tablesTable}, func(c store.Change) { d.tables.Forget(c.Key) }, d.tables.ForgetAll)
	}
	return d, nil
}

// Service returns DynamoDB's operation table.
func (d *DynamoDB) Service() *api.Service {
	ops := append(d.tableOperations(), d.itemOperations()...)
	return api.NewService(api.Service{
		Name:         "dynamodb",
		EventSource:  "dynamodb.amazonaws.com",
		Protocols:    []string{"awsJson1_0"},
		DeniedStatus: 400,
		TargetPrefix: TargetPrefix,
		Validate:     shape.HookLeaving("dynamodb", "ValidationException", leftToHandlers),
	}, ops...)
}

// StreamsService returns DynamoDB Streams' operation table: a service of
// its own on the wire, signed as "dynamodb" and recorded as
// dynamodb.amazonaws.com.
func (d *DynamoDB) StreamsService() *api.Service {
	return api.NewService(api.Service{
		Name:         "dynamodb",
		EventSource:  "dynamodb.amazonaws.com",
		Protocols:    []string{"awsJson1_0"},
		DeniedStatus: 400,
		TargetPrefix: StreamsTargetPrefix,
		Validate:     shape.Hook("dynamodbstreams", "ValidationException"),
	}, d.streamOperations()...)
}

// leftToHandlers are members whose constraints the handlers word as
// DynamoDB does, by operation.
var leftToHandlers = map[string][]string{}

// decode decodes the call's input into v: an in-process call's typed
// input is copied; a wire body is JSON, checked against the model first
// (Service.Validate). A body that is not JSON is DynamoDB's
// SerializationException.
func decode(c *api.Call, v any) error {
	if c.Input != nil {
		return c.Decode(v)
	}
	if e := c.Validate(); e != nil {
		return e
	}
	body, err := c.Payload()
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var ae *attr.Error
		if errors.As(err, &ae) {
			return validation("%s", ae.Message)
		}
		return api.Errorf(400, "SerializationException", "Start of structure or map found where not expected.")
	}
	return nil
}

// validation is DynamoDB's ValidationException.
func validation(format string, args ...any) *api.Error {
	return api.Errorf(400, "ValidationException", format, args...)
}

// epoch renders t as the JSON protocol's timestamp: seconds since the
// epoch, to the millisecond.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
