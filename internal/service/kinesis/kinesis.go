// Package kinesis is Amazon Kinesis Data Streams (awsJson1_1, and the CBOR
// form of it that the SDKs send by default, X-Amz-Target
// Kinesis_20131202). Each shard is a seqlog in the store, appended in the
// writing transaction, so sequence numbers follow commit order.
//
// Streams and consumers are records in the store; a stream's shards split
// the 128-bit hash key space evenly and never change (UpdateShardCount,
// SplitShard and MergeShards are refused). Shard iterators are sealed with
// the server key: they carry the shard and position they read from and the
// time they were made, so any node sharing the database reads with them,
// and they expire after five minutes as Kinesis's do.
package kinesis

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// TargetPrefix is the X-Amz-Target prefix of Kinesis requests.
const TargetPrefix = "Kinesis_20131202"

// Store tables, keyed by account/region/...
const (
	streamsTable   = "kinesis_streams"   // account/region/stream → stream
	consumersTable = "kinesis_consumers" // account/region/stream/consumer → consumer
	// retiredTable keeps, for each stream name deleted, the creation time
	// (Unix milliseconds) of its last incarnation: a stream created again
	// under the name takes a later one, so its logs, sequence numbers and
	// iterators are never those of the one deleted.
	retiredTable = "kinesis_retired" // account/region/stream → epoch
)

// Config configures Kinesis.
type Config struct {
	// Account and Region are the defaults.
	Account string
	Region  string
	Store   store.Store
	// Box seals shard iterators: they are opaque, tamper-evident and valid
	// on every node sharing the server key and the database.
	Box *crypt.Box
	// Feed is the process's change feed. Kinesis needs none: stream and
	// consumer records are read from the store on every call, and compiled
	// resource policies are cached by their text, so a change made on any
	// node is seen on the next call everywhere.
	Feed *store.Feed
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CreateDelay is how long a new stream or consumer stays CREATING
	// before it is ACTIVE; 0 means it is ACTIVE when first described.
	CreateDelay time.Duration
}

// Kinesis is Kinesis Data Streams.
type Kinesis struct {
	cfg Config

	mu       sync.Mutex
	policies map[string]*policy.Policy // policy text → compiled policy
}

// New returns Kinesis configured by cfg.
func New(cfg Config) (*Kinesis, error) {
	if cfg.Store == nil || cfg.Box == nil {
		return nil, fmt.Errorf("kinesis: a store and a box are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Kinesis{cfg: cfg, policies: map[string]*policy.Policy{}}, nil
}

// Service returns the operation table.
func (k *Kinesis) Service() *api.Service {
	stream, consumer, any := k.streamResource, k.consumerResource, k.resourceByARN
	return api.NewService(api.Service{
		Name:         "kinesis",
		EventSource:  "kinesis.amazonaws.com",
		Protocols:    []string{"awsJson1_1", "awsCbor1_1"},
		DeniedStatus: 400,
		TargetPrefix: TargetPrefix,
		Validate:     validator(),
	}, []*api.Operation{
		{Name: "CreateStream", Action: "kinesis:CreateStream", Resource: k.newStreamResource, Conditions: requestTagConditions, Handle: k.createStream},
		{Name: "DescribeStream", Action: "kinesis:DescribeStream", ReadOnly: true, Resource: stream, Handle: k.describeStream},
		{Name: "DescribeStreamSummary", Action: "kinesis:DescribeStreamSummary", ReadOnly: true, Resource: stream, Handle: k.describeStreamSummary},
		{Name: "ListStreams", Action: "kinesis:ListStreams", ReadOnly: true, Handle: k.listStreams},
		{Name: "ListShards", Action: "kinesis:ListShards", ReadOnly: true, Resource: k.listShardsResource, Handle: k.listShards},
		{Name: "DeleteStream", Action: "kinesis:DeleteStream", Resource: stream, Handle: k.deleteStream},
		{Name: "IncreaseStreamRetentionPeriod", Action: "kinesis:IncreaseStreamRetentionPeriod", Resource: stream, Handle: k.increaseRetention},
		{Name: "DecreaseStreamRetentionPeriod", Action: "kinesis:DecreaseStreamRetentionPeriod", Resource: stream, Handle: k.decreaseRetention},
		{Name: "UpdateStreamMode", Action: "kinesis:UpdateStreamMode", Resource: stream, Handle: k.updateStreamMode},
		{Name: "UpdateShardCount", Action: "kinesis:UpdateShardCount", Resource: stream, Handle: k.reshard},
		{Name: "SplitShard", Action: "kinesis:SplitShard", Resource: stream, Handle: k.reshard},
		{Name: "MergeShards", Action: "kinesis:MergeShards", Resource: stream, Handle: k.reshard},
		{Name: "StartStreamEncryption", Action: "kinesis:StartStreamEncryption", Resource: stream, Handle: k.startEncryption},
		{Name: "StopStreamEncryption", Action: "kinesis:StopStreamEncryption", Resource: stream, Handle: k.stopEncryption},
		{Name: "EnableEnhancedMonitoring", Action: "kinesis:EnableEnhancedMonitoring", Resource: stream, Handle: k.enableMonitoring},
		{Name: "DisableEnhancedMonitoring", Action: "kinesis:DisableEnhancedMonitoring", Resource: stream, Handle: k.disableMonitoring},
		{Name: "DescribeLimits", Action: "kinesis:DescribeLimits", ReadOnly: true, Handle: k.describeLimits},

		{Name: "AddTagsToStream", Action: "kinesis:AddTagsToStream", Resource: stream, Conditions: requestTagConditions, Handle: k.addTagsToStream},
		{Name: "RemoveTagsFromStream", Action: "kinesis:RemoveTagsFromStream", Resource: stream, Conditions: tagKeyConditions, Handle: k.removeTagsFromStream},
		{Name: "ListTagsForStream", Action: "kinesis:ListTagsForStream", ReadOnly: true, Resource: stream, Handle: k.listTagsForStream},
		{Name: "TagResource", Action: "kinesis:TagResource", Resource: any, Conditions: requestTagConditions, Handle: k.tagResource},
		{Name: "UntagResource", Action: "kinesis:UntagResource", Resource: any, Conditions: tagKeyConditions, Handle: k.untagResource},
		{Name: "ListTagsForResource", Action: "kinesis:ListTagsForResource", ReadOnly: true, Resource: any, Handle: k.listTagsForResource},

		{Name: "PutResourcePolicy", Action: "kinesis:PutResourcePolicy", Resource: k.policyOwnerResource, Handle: k.putResourcePolicy},
		{Name: "GetResourcePolicy", Action: "kinesis:GetResourcePolicy", ReadOnly: true, Resource: any, Handle: k.getResourcePolicy},
		{Name: "DeleteResourcePolicy", Action: "kinesis:DeleteResourcePolicy", Resource: k.policyOwnerResource, Handle: k.deleteResourcePolicy},

		{Name: "PutRecord", Action: "kinesis:PutRecord", Category: api.Data, Resource: k.writeResource, Handle: k.putRecord},
		{Name: "PutRecords", Action: "kinesis:PutRecords", Category: api.Data, Resource: k.writeResource, Handle: k.putRecords},
		{Name: "GetShardIterator", Action: "kinesis:GetShardIterator", Category: api.Data, ReadOnly: true, Resource: stream, Handle: k.getShardIterator},
		{Name: "GetRecords", Action: "kinesis:GetRecords", Category: api.Data, ReadOnly: true, Resource: k.iteratorResource, Handle: k.getRecords},

		{Name: "RegisterStreamConsumer", Action: "kinesis:RegisterStreamConsumer", Resource: k.streamResourceByARN, Conditions: requestTagConditions, Handle: k.registerConsumer},
		{Name: "DescribeStreamConsumer", Action: "kinesis:DescribeStreamConsumer", ReadOnly: true, Resource: consumer, Handle: k.describeConsumer},
		{Name: "ListStreamConsumers", Action: "kinesis:ListStreamConsumers", ReadOnly: true, Resource: k.streamResourceByARN, Handle: k.listConsumers},
		{Name: "DeregisterStreamConsumer", Action: "kinesis:DeregisterStreamConsumer", Resource: consumer, Handle: k.deregisterConsumer},
		{Name: "SubscribeToShard", Action: "kinesis:SubscribeToShard", Category: api.Data, ReadOnly: true, Resource: consumer, Handle: k.subscribeToShard},
	}...)
}

// isCBOR reports whether the call was written in CBOR.
func isCBOR(c *api.Call) bool {
	return c.HTTP != nil && strings.HasPrefix(c.HTTP.Header.Get("Content-Type"), "application/x-amz-cbor-1.1")
}

// decode decodes the call's input into v, after the model's check.
func decode(c *api.Call, v any) error {
	if c.Input != nil {
		return c.Decode(v)
	}
	if e := c.Validate(); e != nil {
		return e
	}
	return c.Decode(v)
}

// scope is the key prefix of the call's account and region.
func scope(c *api.Call) string { return c.Account + "/" + c.Region + "/" }

// kinesisError is one of Kinesis's own errors (HTTP 400).
func kinesisError(code, format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, code, format, args...)
}

func invalidArgument(format string, args ...any) *api.Error {
	return kinesisError("InvalidArgumentException", format, args...)
}

func validation(format string, args ...any) *api.Error {
	return kinesisError("ValidationException", format, args...)
}
