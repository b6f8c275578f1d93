package esm

import (
	"time"
)

// States of a mapping, as Lambda reports them.
const (
	StateCreating  = "Creating"
	StateEnabling  = "Enabling"
	StateEnabled   = "Enabled"
	StateDisabling = "Disabling"
	StateDisabled  = "Disabled"
	StateUpdating  = "Updating"
	StateDeleting  = "Deleting"
)

// Kind is the kind of event source a mapping reads.
type Kind string

// Kinds of event source.
const (
	KindSQS              Kind = "sqs"
	KindKinesis          Kind = "kinesis"
	KindDynamoDBStreams  Kind = "dynamodb"
	KindMSK              Kind = "kafka"      // Amazon MSK (an arn:aws:kafka cluster)
	KindSelfManagedKafka Kind = "self-kafka" // SelfManagedEventSource with KAFKA_BOOTSTRAP_SERVERS
	KindMQ               Kind = "mq"         // Amazon MQ (an arn:aws:mq broker)
)

// mappingFormat is the format version of stored mappings.
const mappingFormat = 1

// Mapping is the stored record of an event source mapping: its
// configuration as Lambda reports it (the wire's member names) and what
// the pollers need. LastProcessingResult is kept apart (Status), since
// pollers change it while users update the rest.
type Mapping struct {
	V       int    `json:"v"`
	Account string `json:"account"`
	Kind    Kind   `json:"kind"`
	// Generation grows with every change of the configuration; pollers
	// of an older generation stop and start again with the new one.
	Generation int `json:"generation"`

	UUID                  string    `json:"UUID"`
	EventSourceArn        string    `json:"EventSourceArn,omitempty"`
	FunctionArn           string    `json:"FunctionArn"` // as mapped: unqualified, or with a version or alias
	EventSourceMappingArn string    `json:"EventSourceMappingArn"`
	LastModified          time.Time `json:"LastModified"`
	// Created is when the mapping was created: a stream's LATEST starting
	// position is the records that arrive after it.
	Created               time.Time `json:"created,omitempty"`
	State                 string    `json:"State"`
	StateTransitionReason string    `json:"StateTransitionReason"`
	// Enabled is what the user asked for; State follows it.
	Enabled bool `json:"enabled"`

	BatchSize                      int                `json:"BatchSize"`
	MaximumBatchingWindowInSeconds *int               `json:"MaximumBatchingWindowInSeconds,omitempty"`
	StartingPosition               string             `json:"StartingPosition,omitempty"`
	StartingPositionTimestamp      *time.Time         `json:"StartingPositionTimestamp,omitempty"`
	ParallelizationFactor          int                `json:"ParallelizationFactor,omitempty"`
	FunctionResponseTypes          []string           `json:"FunctionResponseTypes,omitempty"`
	FilterCriteria                 *FilterCriteria    `json:"FilterCriteria,omitempty"`
	MaximumRetryAttempts           *int               `json:"MaximumRetryAttempts,omitempty"`
	MaximumRecordAgeInSeconds      *int               `json:"MaximumRecordAgeInSeconds,omitempty"`
	BisectBatchOnFunctionError     *bool              `json:"BisectBatchOnFunctionError,omitempty"`
	TumblingWindowInSeconds        *int               `json:"TumblingWindowInSeconds,omitempty"`
	DestinationConfig              *DestinationConfig `json:"DestinationConfig,omitempty"`
	ScalingConfig                  *ScalingConfig     `json:"ScalingConfig,omitempty"`

	// Kafka and Amazon MQ: the topic or queue read, how Lambda reaches the
	// broker (VPC subnets and security groups, secrets), the brokers of a
	// self-managed cluster and the consumer group.
	Topics                              []string                    `json:"Topics,omitempty"`
	Queues                              []string                    `json:"Queues,omitempty"`
	SourceAccessConfigurations          []SourceAccessConfiguration `json:"SourceAccessConfigurations,omitempty"`
	SelfManagedEventSource              *SelfManagedEventSource     `json:"SelfManagedEventSource,omitempty"`
	AmazonManagedKafkaEventSourceConfig *KafkaEventSourceConfig     `json:"AmazonManagedKafkaEventSourceConfig,omitempty"`
	SelfManagedKafkaEventSourceConfig   *KafkaEventSourceConfig     `json:"SelfManagedKafkaEventSourceConfig,omitempty"`

	Tags map[string]string `json:"tags,omitempty"`
}

// SourceAccessConfiguration is one way Lambda reaches a broker: Type is
// BASIC_AUTH, VPC_SUBNET, VPC_SECURITY_GROUP, SASL_SCRAM_256_AUTH,
// SASL_SCRAM_512_AUTH, CLIENT_CERTIFICATE_TLS_AUTH, SERVER_ROOT_CA_CERTIFICATE
// or VIRTUAL_HOST; URI is a secret's ARN, "subnet:subnet-..",
// "security_group:sg-.." or a virtual host name.
type SourceAccessConfiguration struct {
	Type string `json:"Type,omitempty"`
	URI  string `json:"URI,omitempty"`
}

// SelfManagedEventSource lists the brokers of a self-managed Kafka
// cluster: {"KAFKA_BOOTSTRAP_SERVERS": ["host:port", ...]}.
type SelfManagedEventSource struct {
	Endpoints map[string][]string `json:"Endpoints,omitempty"`
}

// KafkaEventSourceConfig is a Kafka mapping's consumer group.
type KafkaEventSourceConfig struct {
	ConsumerGroupID string `json:"ConsumerGroupId,omitempty"`
}

// FilterCriteria is the mapping's event filtering: an event is passed to
// the function when any pattern matches it.
type FilterCriteria struct {
	Filters []Filter `json:"Filters"`
}

// Filter is one pattern, as Lambda's event filtering writes it (JSON).
type Filter struct {
	Pattern string `json:"Pattern,omitempty"`
}

// DestinationConfig names where Lambda sends the records of batches it
// gives up on (streams).
type DestinationConfig struct {
	OnFailure *OnFailure `json:"OnFailure,omitempty"`
	OnSuccess *OnFailure `json:"OnSuccess,omitempty"`
}

// OnFailure is a destination.
type OnFailure struct {
	Destination string `json:"Destination,omitempty"`
}

// ScalingConfig bounds the concurrent invocations of an SQS mapping.
type ScalingConfig struct {
	MaximumConcurrency *int `json:"MaximumConcurrency,omitempty"`
}

// Polling reports whether the mapping's sources should be polled: it is
// enabled and not being deleted or disabled.
func (m *Mapping) Polling() bool {
	switch m.State {
	case StateEnabled, StateEnabling, StateUpdating, StateCreating:
		return m.Enabled
	}
	return false
}

// ReportsBatchItemFailures reports whether the function answers with the
// items of a batch that failed (FunctionResponseTypes ReportBatchItemFailures).
func (m *Mapping) ReportsBatchItemFailures() bool {
	for _, t := range m.FunctionResponseTypes {
		if t == "ReportBatchItemFailures" {
			return true
		}
	}
	return false
}
