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
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/api"
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
}

// DynamoDB is the DynamoDB service and its Streams endpoint.
type DynamoDB struct {
	cfg Config
}

// New returns DynamoDB configured by cfg.
func New(cfg Config) (*DynamoDB, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("dynamodb: a store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &DynamoDB{cfg: cfg}, nil
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
	}, d.streamOperations()...)
}
