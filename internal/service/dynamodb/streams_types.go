package dynamodb

import "encoding/json"

// The inputs and outputs of DynamoDB Streams' operations, exported for
// the in-process callers that read streams on a caller's behalf (Lambda's
// event source mappings): an api.Internal call passes a pointer to an
// input and receives a pointer to the output. Fields are the wire
// members.

// ListStreamsInput is ListStreams' input.
type ListStreamsInput struct {
	TableName               string `json:"TableName,omitempty"`
	ExclusiveStartStreamArn string `json:"ExclusiveStartStreamArn,omitempty"`
	Limit                   *int   `json:"Limit,omitempty"`
}

// ListStreamsOutput is ListStreams' output.
type ListStreamsOutput struct {
	Streams                []StreamSummary `json:"Streams"`
	LastEvaluatedStreamArn string          `json:"LastEvaluatedStreamArn,omitempty"`
}

// StreamSummary is one entry of ListStreams.
type StreamSummary struct {
	StreamArn   string `json:"StreamArn"`
	TableName   string `json:"TableName"`
	StreamLabel string `json:"StreamLabel"`
}

// DescribeStreamInput is DescribeStream's input.
type DescribeStreamInput struct {
	StreamArn             string `json:"StreamArn"`
	Limit                 *int   `json:"Limit,omitempty"`
	ExclusiveStartShardId string `json:"ExclusiveStartShardId,omitempty"`
}

// DescribeStreamOutput is DescribeStream's output.
type DescribeStreamOutput struct {
	StreamDescription StreamDescription `json:"StreamDescription"`
}

// StreamDescription describes a stream: its status (ENABLING, ENABLED,
// DISABLING, DISABLED), view type, table key schema and shards.
type StreamDescription struct {
	StreamArn               string       `json:"StreamArn"`
	StreamLabel             string       `json:"StreamLabel"`
	StreamStatus            string       `json:"StreamStatus"`
	StreamViewType          string       `json:"StreamViewType"`
	CreationRequestDateTime float64      `json:"CreationRequestDateTime"`
	TableName               string       `json:"TableName"`
	KeySchema               []KeyElement `json:"KeySchema"`
	Shards                  []Shard      `json:"Shards"`
	LastEvaluatedShardId    string       `json:"LastEvaluatedShardId,omitempty"`
}

// Shard is one shard of a stream; an open shard has no
// EndingSequenceNumber.
type Shard struct {
	ShardId             string              `json:"ShardId"`
	SequenceNumberRange SequenceNumberRange `json:"SequenceNumberRange"`
	ParentShardId       string              `json:"ParentShardId,omitempty"`
}

// SequenceNumberRange is the range of a shard's sequence numbers.
type SequenceNumberRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber,omitempty"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

// GetShardIteratorInput is GetShardIterator's input; ShardIteratorType is
// TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER (the
// last two with SequenceNumber).
type GetShardIteratorInput struct {
	StreamArn         string `json:"StreamArn"`
	ShardId           string `json:"ShardId"`
	ShardIteratorType string `json:"ShardIteratorType"`
	SequenceNumber    string `json:"SequenceNumber,omitempty"`
}

// GetShardIteratorOutput is GetShardIterator's output.
type GetShardIteratorOutput struct {
	ShardIterator string `json:"ShardIterator"`
}

// GetRecordsInput is GetRecords' input; Limit is 1 to 1000 (default 1000).
type GetRecordsInput struct {
	ShardIterator string `json:"ShardIterator"`
	Limit         *int   `json:"Limit,omitempty"`
}

// GetRecordsOutput is GetRecords' output; NextShardIterator is absent at
// the end of a closed shard.
type GetRecordsOutput struct {
	Records           []Record `json:"Records"`
	NextShardIterator string   `json:"NextShardIterator,omitempty"`
}

// Record is a stream record, as DynamoDB Streams and Lambda's events
// carry it.
type Record struct {
	EventID      string        `json:"eventID"`
	EventName    string        `json:"eventName"` // INSERT, MODIFY or REMOVE
	EventVersion string        `json:"eventVersion"`
	EventSource  string        `json:"eventSource"`
	AwsRegion    string        `json:"awsRegion"`
	Dynamodb     StreamRecord  `json:"dynamodb"`
	UserIdentity *UserIdentity `json:"userIdentity,omitempty"`
}

// StreamRecord is a record's dynamodb member. ApproximateCreationDateTime
// is in seconds since the epoch. Keys, NewImage and OldImage are items in
// DynamoDB's JSON (attr.Item's encoding), kept as written: a record is
// read far more often than it is written, and its images go on to
// clients and events as JSON.
type StreamRecord struct {
	ApproximateCreationDateTime float64         `json:"ApproximateCreationDateTime"`
	Keys                        json.RawMessage `json:"Keys"`
	NewImage                    json.RawMessage `json:"NewImage,omitempty"`
	OldImage                    json.RawMessage `json:"OldImage,omitempty"`
	SequenceNumber              string          `json:"SequenceNumber"`
	SizeBytes                   int64           `json:"SizeBytes"`
	StreamViewType              string          `json:"StreamViewType"`
}

// UserIdentity names the service that made a change: Time to Live
// deletions are {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
// in the Streams API (Lambda's events spell the members "type" and
// "principalId").
type UserIdentity struct {
	Type        string `json:"Type"`
	PrincipalId string `json:"PrincipalId"`
}
