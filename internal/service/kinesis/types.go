package kinesis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The inputs and outputs of Kinesis's operations, as on the wire. Event
// source mappings call DescribeStream, DescribeStreamSummary, ListShards,
// GetShardIterator and GetRecords in-process through an api.Invoker: they
// pass a pointer to the input type as api.Internal.Input and receive the
// output type's pointer. Blobs are base64 in JSON and byte strings in CBOR.

// Timestamp is a Kinesis timestamp. In JSON it is seconds since the epoch
// (a number with milliseconds as its fraction); in CBOR it is tag 1 around
// the milliseconds since the epoch, as the AWS SDKs for Java and the KPL
// write and read Kinesis's timestamps.
type Timestamp struct{ time.Time }

// MarshalJSON writes epoch seconds.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads epoch seconds.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("kinesis: timestamp %s: %w", b, err)
	}
	t.Time = time.UnixMilli(int64(f * 1000)).UTC()
	return nil
}

// MarshalCBOR writes tag 1 around epoch milliseconds.
func (t Timestamp) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(cbor.Tag{Number: 1, Content: t.UnixMilli()})
}

// UnmarshalCBOR reads epoch milliseconds, tagged 1 or not.
func (t *Timestamp) UnmarshalCBOR(b []byte) error {
	var rt cbor.RawTag
	if len(b) > 0 && b[0]>>5 == 6 {
		if err := cbor.Unmarshal(b, &rt); err != nil {
			return fmt.Errorf("kinesis: timestamp: %w", err)
		}
		if rt.Number != 1 {
			return fmt.Errorf("kinesis: timestamp with CBOR tag %d", rt.Number)
		}
		b = rt.Content
	}
	var ms float64
	if err := cbor.NewDecoder(bytes.NewReader(b)).Decode(&ms); err != nil {
		return fmt.Errorf("kinesis: timestamp: %w", err)
	}
	t.Time = time.UnixMilli(int64(ms)).UTC()
	return nil
}

// StreamModeDetails is a stream's capacity mode.
type StreamModeDetails struct {
	StreamMode string `json:"StreamMode"`
}

// HashKeyRange is the range of hash keys a shard holds, decimal strings.
type HashKeyRange struct {
	StartingHashKey string `json:"StartingHashKey"`
	EndingHashKey   string `json:"EndingHashKey"`
}

// SequenceNumberRange is the range of a shard's sequence numbers; an open
// shard has no ending one.
type SequenceNumberRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

// Shard is one shard of a stream.
type Shard struct {
	ShardId               string              `json:"ShardId"`
	ParentShardId         string              `json:"ParentShardId,omitempty"`
	AdjacentParentShardId string              `json:"AdjacentParentShardId,omitempty"`
	HashKeyRange          HashKeyRange        `json:"HashKeyRange"`
	SequenceNumberRange   SequenceNumberRange `json:"SequenceNumberRange"`
}

// EnhancedMetrics are the shard-level metrics enabled on a stream.
type EnhancedMetrics struct {
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

// DescribeStreamInput is DescribeStream's input.
type DescribeStreamInput struct {
	StreamName            string `json:"StreamName,omitempty"`
	StreamARN             string `json:"StreamARN,omitempty"`
	Limit                 *int   `json:"Limit,omitempty"`
	ExclusiveStartShardId string `json:"ExclusiveStartShardId,omitempty"`
}

// StreamDescription is DescribeStream's description of a stream.
type StreamDescription struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *StreamModeDetails `json:"StreamModeDetails,omitempty"`
	Shards                  []Shard            `json:"Shards"`
	HasMoreShards           bool               `json:"HasMoreShards"`
	RetentionPeriodHours    int                `json:"RetentionPeriodHours"`
	StreamCreationTimestamp Timestamp          `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []EnhancedMetrics  `json:"EnhancedMonitoring"`
	EncryptionType          string             `json:"EncryptionType,omitempty"`
	KeyId                   string             `json:"KeyId,omitempty"`
}

// DescribeStreamOutput is DescribeStream's output.
type DescribeStreamOutput struct {
	StreamDescription StreamDescription `json:"StreamDescription"`
}

// DescribeStreamSummaryInput is DescribeStreamSummary's input.
type DescribeStreamSummaryInput struct {
	StreamName string `json:"StreamName,omitempty"`
	StreamARN  string `json:"StreamARN,omitempty"`
}

// StreamDescriptionSummary is DescribeStreamSummary's description of a
// stream.
type StreamDescriptionSummary struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *StreamModeDetails `json:"StreamModeDetails,omitempty"`
	RetentionPeriodHours    int                `json:"RetentionPeriodHours"`
	StreamCreationTimestamp Timestamp          `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []EnhancedMetrics  `json:"EnhancedMonitoring"`
	EncryptionType          string             `json:"EncryptionType,omitempty"`
	KeyId                   string             `json:"KeyId,omitempty"`
	OpenShardCount          int                `json:"OpenShardCount"`
	ConsumerCount           int                `json:"ConsumerCount"`
	MaxRecordSizeInKiB      int                `json:"MaxRecordSizeInKiB,omitempty"`
}

// DescribeStreamSummaryOutput is DescribeStreamSummary's output.
type DescribeStreamSummaryOutput struct {
	StreamDescriptionSummary StreamDescriptionSummary `json:"StreamDescriptionSummary"`
}

// ShardFilter selects the shards ListShards returns.
type ShardFilter struct {
	Type      string     `json:"Type"`
	ShardId   string     `json:"ShardId,omitempty"`
	Timestamp *Timestamp `json:"Timestamp,omitempty"`
}

// ListShardsInput is ListShards' input.
type ListShardsInput struct {
	StreamName              string       `json:"StreamName,omitempty"`
	StreamARN               string       `json:"StreamARN,omitempty"`
	NextToken               string       `json:"NextToken,omitempty"`
	ExclusiveStartShardId   string       `json:"ExclusiveStartShardId,omitempty"`
	MaxResults              *int         `json:"MaxResults,omitempty"`
	StreamCreationTimestamp *Timestamp   `json:"StreamCreationTimestamp,omitempty"`
	ShardFilter             *ShardFilter `json:"ShardFilter,omitempty"`
}

// ListShardsOutput is ListShards' output.
type ListShardsOutput struct {
	Shards    []Shard `json:"Shards"`
	NextToken string  `json:"NextToken,omitempty"`
}

// GetShardIteratorInput is GetShardIterator's input.
type GetShardIteratorInput struct {
	StreamName             string     `json:"StreamName,omitempty"`
	StreamARN              string     `json:"StreamARN,omitempty"`
	ShardId                string     `json:"ShardId"`
	ShardIteratorType      string     `json:"ShardIteratorType"`
	StartingSequenceNumber string     `json:"StartingSequenceNumber,omitempty"`
	Timestamp              *Timestamp `json:"Timestamp,omitempty"`
}

// GetShardIteratorOutput is GetShardIterator's output.
type GetShardIteratorOutput struct {
	ShardIterator string `json:"ShardIterator"`
}

// GetRecordsInput is GetRecords' input.
type GetRecordsInput struct {
	ShardIterator string `json:"ShardIterator"`
	Limit         *int   `json:"Limit,omitempty"`
	StreamARN     string `json:"StreamARN,omitempty"`
}

// Record is one data record.
type Record struct {
	SequenceNumber              string    `json:"SequenceNumber"`
	ApproximateArrivalTimestamp Timestamp `json:"ApproximateArrivalTimestamp"`
	Data                        []byte    `json:"Data"`
	PartitionKey                string    `json:"PartitionKey"`
	EncryptionType              string    `json:"EncryptionType,omitempty"`
}

// GetRecordsOutput is GetRecords' output. NextShardIterator is empty once
// the shard is closed and read to its end (a stream being deleted).
type GetRecordsOutput struct {
	Records            []Record `json:"Records"`
	NextShardIterator  string   `json:"NextShardIterator,omitempty"`
	MillisBehindLatest int64    `json:"MillisBehindLatest"`
}

// The other operations' wire shapes, used by the handlers only.

type streamRef struct {
	StreamName string `json:"StreamName,omitempty"`
	StreamARN  string `json:"StreamARN,omitempty"`
}

type createStreamInput struct {
	StreamName         string             `json:"StreamName"`
	ShardCount         *int               `json:"ShardCount,omitempty"`
	StreamModeDetails  *StreamModeDetails `json:"StreamModeDetails,omitempty"`
	Tags               map[string]string  `json:"Tags,omitempty"`
	MaxRecordSizeInKiB *int               `json:"MaxRecordSizeInKiB,omitempty"`
}

type listStreamsInput struct {
	Limit                    *int   `json:"Limit,omitempty"`
	ExclusiveStartStreamName string `json:"ExclusiveStartStreamName,omitempty"`
	NextToken                string `json:"NextToken,omitempty"`
}

type streamSummary struct {
	StreamName              string             `json:"StreamName"`
	StreamARN               string             `json:"StreamARN"`
	StreamStatus            string             `json:"StreamStatus"`
	StreamModeDetails       *StreamModeDetails `json:"StreamModeDetails,omitempty"`
	StreamCreationTimestamp Timestamp          `json:"StreamCreationTimestamp"`
}

type listStreamsOutput struct {
	StreamNames     []string        `json:"StreamNames"`
	HasMoreStreams  bool            `json:"HasMoreStreams"`
	NextToken       string          `json:"NextToken,omitempty"`
	StreamSummaries []streamSummary `json:"StreamSummaries"`
}

type deleteStreamInput struct {
	streamRef
	EnforceConsumerDeletion bool `json:"EnforceConsumerDeletion,omitempty"`
}

type retentionInput struct {
	streamRef
	RetentionPeriodHours *int `json:"RetentionPeriodHours"`
}

type updateStreamModeInput struct {
	StreamARN         string             `json:"StreamARN"`
	StreamModeDetails *StreamModeDetails `json:"StreamModeDetails"`
}

type encryptionInput struct {
	streamRef
	EncryptionType string `json:"EncryptionType"`
	KeyId          string `json:"KeyId"`
}

type monitoringInput struct {
	streamRef
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

type monitoringOutput struct {
	StreamName               string   `json:"StreamName"`
	StreamARN                string   `json:"StreamARN"`
	CurrentShardLevelMetrics []string `json:"CurrentShardLevelMetrics"`
	DesiredShardLevelMetrics []string `json:"DesiredShardLevelMetrics"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value,omitempty"`
}

type addTagsInput struct {
	streamRef
	Tags map[string]string `json:"Tags"`
}

type removeTagsInput struct {
	streamRef
	TagKeys []string `json:"TagKeys"`
}

type listTagsForStreamInput struct {
	streamRef
	ExclusiveStartTagKey string `json:"ExclusiveStartTagKey,omitempty"`
	Limit                *int   `json:"Limit,omitempty"`
}

type listTagsForStreamOutput struct {
	Tags        []tag `json:"Tags"`
	HasMoreTags bool  `json:"HasMoreTags"`
}

type resourceInput struct {
	ResourceARN string            `json:"ResourceARN"`
	Tags        map[string]string `json:"Tags,omitempty"`
	TagKeys     []string          `json:"TagKeys,omitempty"`
	Policy      *string           `json:"Policy,omitempty"`
}

type putRecordInput struct {
	streamRef
	Data                      []byte `json:"Data"`
	PartitionKey              string `json:"PartitionKey"`
	ExplicitHashKey           string `json:"ExplicitHashKey,omitempty"`
	SequenceNumberForOrdering string `json:"SequenceNumberForOrdering,omitempty"`
}

type putRecordOutput struct {
	ShardId        string `json:"ShardId"`
	SequenceNumber string `json:"SequenceNumber"`
	EncryptionType string `json:"EncryptionType,omitempty"`
}

type putRecordsEntry struct {
	Data            []byte `json:"Data"`
	PartitionKey    string `json:"PartitionKey"`
	ExplicitHashKey string `json:"ExplicitHashKey,omitempty"`
}

type putRecordsInput struct {
	streamRef
	Records []putRecordsEntry `json:"Records"`
}

type putRecordsResult struct {
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	ShardId        string `json:"ShardId,omitempty"`
	ErrorCode      string `json:"ErrorCode,omitempty"`
	ErrorMessage   string `json:"ErrorMessage,omitempty"`
}

type putRecordsOutput struct {
	FailedRecordCount int                `json:"FailedRecordCount"`
	Records           []putRecordsResult `json:"Records"`
	EncryptionType    string             `json:"EncryptionType,omitempty"`
}

type consumerInput struct {
	StreamARN    string            `json:"StreamARN,omitempty"`
	ConsumerName string            `json:"ConsumerName,omitempty"`
	ConsumerARN  string            `json:"ConsumerARN,omitempty"`
	Tags         map[string]string `json:"Tags,omitempty"`
	NextToken    string            `json:"NextToken,omitempty"`
	MaxResults   *int              `json:"MaxResults,omitempty"`
}

type consumerOut struct {
	ConsumerName              string    `json:"ConsumerName"`
	ConsumerARN               string    `json:"ConsumerARN"`
	ConsumerStatus            string    `json:"ConsumerStatus"`
	ConsumerCreationTimestamp Timestamp `json:"ConsumerCreationTimestamp"`
	StreamARN                 string    `json:"StreamARN,omitempty"`
}
