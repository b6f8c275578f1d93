package dynamodb

import (
	"sort"
)

// The wire shapes of the control-plane operations: DynamoDB's members,
// as the JSON protocol spells them.

// createTableInput is CreateTable's input.
type createTableInput struct {
	TableName                 string
	AttributeDefinitions      []AttributeDefinition
	KeySchema                 []KeyElement
	LocalSecondaryIndexes     []indexInput
	GlobalSecondaryIndexes    []indexInput
	BillingMode               string
	ProvisionedThroughput     *Throughput
	StreamSpecification       *StreamSpec
	SSESpecification          *sseSpecification
	Tags                      []tag
	TableClass                string
	DeletionProtectionEnabled *bool
	ResourcePolicy            *string
	OnDemandThroughput        *onDemandThroughput
	WarmThroughput            *warmThroughput
}

// indexInput is one GlobalSecondaryIndexes or LocalSecondaryIndexes entry.
type indexInput struct {
	IndexName             string
	KeySchema             []KeyElement
	Projection            *Projection
	ProvisionedThroughput *Throughput
	OnDemandThroughput    *onDemandThroughput
	WarmThroughput        *warmThroughput
}

// sseSpecification is SSESpecification; only the default, DynamoDB-owned
// key (Enabled false or absent) is kept.
type sseSpecification struct {
	Enabled        *bool
	SSEType        string
	KMSMasterKeyId string
}

// onDemandThroughput and warmThroughput are refused when set.
type onDemandThroughput struct {
	MaxReadRequestUnits  *int64
	MaxWriteRequestUnits *int64
}

type warmThroughput struct {
	ReadUnitsPerSecond  *int64
	WriteUnitsPerSecond *int64
}

// tag is a Tag: Key and Value.
type tag struct {
	Key   string
	Value string
}

// tableNameInput is the input of the operations that only name a table.
type tableNameInput struct {
	TableName string
}

// tableDescription is TableDescription.
type tableDescription struct {
	TableName                 string
	TableArn                  string
	TableId                   string
	TableStatus               string
	CreationDateTime          float64
	AttributeDefinitions      []AttributeDefinition
	KeySchema                 []KeyElement
	ItemCount                 int64
	TableSizeBytes            int64
	ProvisionedThroughput     throughputDescription
	BillingModeSummary        *billingModeSummary      `json:",omitempty"`
	LocalSecondaryIndexes     []localIndexDescription  `json:",omitempty"`
	GlobalSecondaryIndexes    []globalIndexDescription `json:",omitempty"`
	StreamSpecification       *StreamSpec              `json:",omitempty"`
	LatestStreamLabel         string                   `json:",omitempty"`
	LatestStreamArn           string                   `json:",omitempty"`
	TableClassSummary         *tableClassSummary       `json:",omitempty"`
	DeletionProtectionEnabled bool
}

// throughputDescription is ProvisionedThroughputDescription.
type throughputDescription struct {
	NumberOfDecreasesToday int64
	ReadCapacityUnits      int64
	WriteCapacityUnits     int64
}

type billingModeSummary struct {
	BillingMode                       string
	LastUpdateToPayPerRequestDateTime float64 `json:",omitempty"`
}

type tableClassSummary struct {
	TableClass string
}

// localIndexDescription is LocalSecondaryIndexDescription.
type localIndexDescription struct {
	IndexName      string
	IndexArn       string
	KeySchema      []KeyElement
	Projection     Projection
	IndexSizeBytes int64
	ItemCount      int64
}

// globalIndexDescription is GlobalSecondaryIndexDescription.
type globalIndexDescription struct {
	IndexName             string
	IndexArn              string
	IndexStatus           string
	Backfilling           *bool `json:",omitempty"`
	KeySchema             []KeyElement
	Projection            Projection
	ProvisionedThroughput throughputDescription
	IndexSizeBytes        int64
	ItemCount             int64
}

// tagList returns tags as DynamoDB lists them, sorted by key.
func tagList(tags map[string]string) []tag {
	out := make([]tag, 0, len(tags))
	for k, v := range tags {
		out = append(out, tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
