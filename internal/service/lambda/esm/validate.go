package esm

import (
	"strings"
	"time"
)

// kindRules are what Lambda accepts of a mapping of one kind of source
// (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
type kindRules struct {
	// name is how Lambda's messages name the source ("SQS").
	name string
	// reason is the StateTransitionReason of a change the user made.
	reason string
	// batchDefault is BatchSize when the request leaves it out; the
	// model bounds it to 1-10000 for every kind (a FIFO queue to 10).
	batchDefault int
	// positions are the StartingPosition values accepted; nil means
	// StartingPosition is refused, otherwise it is required.
	positions []string
	// stream marks Kinesis and DynamoDB Streams: retries, record age,
	// bisection, parallelization and on-failure destinations.
	stream bool
	// sqs marks Amazon SQS: ScalingConfig.
	sqs bool
	// responseTypes accepts FunctionResponseTypes.
	responseTypes bool
	// kafka marks Amazon MSK and self-managed Kafka: Topics, consumer
	// groups; mq marks Amazon MQ: Queues.
	kafka, mq bool
	// broker marks the kinds no poller reads (Kafka, Amazon MQ): their
	// role is checked by checkBroker.
	broker bool
}

// noBroker is the StateTransitionReason of Kafka and Amazon MQ mappings:
// they are checked and kept, but nothing reads their brokers.
const noBroker = "USER_INITIATED: the mapping is accepted, but no broker is polled (rolecall does not connect to Kafka or Amazon MQ brokers)"

// rules are the kinds' rules.
var rules = map[Kind]kindRules{
	KindSQS:              {name: "SQS", reason: "USER_INITIATED", batchDefault: 10, sqs: true, responseTypes: true},
	KindKinesis:          {name: "Kinesis", reason: "User action", batchDefault: 100, positions: []string{"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"}, stream: true, responseTypes: true},
	KindDynamoDBStreams:  {name: "DynamoDB Streams", reason: "User action", batchDefault: 100, positions: []string{"TRIM_HORIZON", "LATEST"}, stream: true, responseTypes: true},
	KindMSK:              {name: "Amazon MSK", reason: noBroker, batchDefault: 100, positions: []string{"TRIM_HORIZON", "LATEST"}, kafka: true, broker: true},
	KindSelfManagedKafka: {name: "self-managed Apache Kafka", reason: noBroker, batchDefault: 100, positions: []string{"TRIM_HORIZON", "LATEST"}, kafka: true, broker: true},
	KindMQ:               {name: "Amazon MQ", reason: noBroker, batchDefault: 100, mq: true, broker: true},
}

// arnKinds tells the kind of source from an EventSourceArn's service and
// the start of its resource.
var arnKinds = []struct {
	service, resource, within string
	kind                      Kind
}{
	{"sqs", "", "", KindSQS},
	{"kinesis", "stream/", "", KindKinesis},
	{"dynamodb", "table/", "/stream/", KindDynamoDBStreams},
	{"kafka", "cluster/", "", KindMSK},
	{"mq", "broker:", "", KindMQ},
}

// kindOf returns the kind of source an EventSourceArn names, or that a
// SelfManagedEventSource makes.
func kindOf(arn string, selfManaged bool) (Kind, error) {
	if arn == "" && selfManaged {
		return KindSelfManagedKafka, nil
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && !strings.Contains(parts[5], "/consumer/") {
		for _, k := range arnKinds {
			if parts[2] == k.service && strings.HasPrefix(parts[5], k.resource) && strings.Contains(parts[5], k.within) {
				return k.kind, nil
			}
		}
	}
	return "", errInvalidParam("Unrecognized event source.")
}

// fifo reports whether an SQS mapping reads a FIFO queue.
func fifo(mp *Mapping) bool {
	return mp.Kind == KindSQS && strings.HasSuffix(mp.EventSourceArn, ".fifo")
}

// param is a request member some kinds refuse.
type param struct {
	name    string
	given   func(in *mappingInput) bool
	accepts func(r kindRules) bool
}

// params are the members accepted by some kinds only; a kind that does not
// accept one answers "Unsupported <name> parameter for given event source
// mapping type.", Lambda's wording for DestinationConfig.OnSuccess.
var params = []param{
	{"ParallelizationFactor", func(in *mappingInput) bool { return in.ParallelizationFactor != nil }, isStream},
	{"MaximumRetryAttempts", func(in *mappingInput) bool { return in.MaximumRetryAttempts != nil }, isStream},
	{"MaximumRecordAgeInSeconds", func(in *mappingInput) bool { return in.MaximumRecordAgeInSeconds != nil }, isStream},
	{"BisectBatchOnFunctionError", func(in *mappingInput) bool { return in.BisectBatchOnFunctionError != nil }, isStream},
	{"DestinationConfig", func(in *mappingInput) bool { return in.DestinationConfig != nil }, isStream},
	{"ScalingConfig", func(in *mappingInput) bool { return in.ScalingConfig != nil }, func(r kindRules) bool { return r.sqs }},
	{"FunctionResponseTypes", func(in *mappingInput) bool { return in.FunctionResponseTypes != nil }, func(r kindRules) bool { return r.responseTypes }},
	{"Topics", func(in *mappingInput) bool { return in.Topics != nil }, func(r kindRules) bool { return r.kafka }},
	{"Queues", func(in *mappingInput) bool { return in.Queues != nil }, func(r kindRules) bool { return r.mq }},
	{"SourceAccessConfigurations", func(in *mappingInput) bool { return in.SourceAccessConfigurations != nil }, func(r kindRules) bool { return r.broker }},
	{"AmazonManagedKafkaEventSourceConfig", func(in *mappingInput) bool { return in.AmazonManagedKafkaEventSourceConfig != nil }, func(r kindRules) bool { return r.kafka }},
	{"SelfManagedKafkaEventSourceConfig", func(in *mappingInput) bool { return in.SelfManagedKafkaEventSourceConfig != nil }, func(r kindRules) bool { return r.kafka }},
}

func isStream(r kindRules) bool { return r.stream }

// unserved are the members Lambda has and rolecall does not serve: a
// request that sets one is refused, since nothing is accepted and then
// ignored.
var unserved = []struct {
	name  string
	given func(in *mappingInput) bool
}{
	{"TumblingWindowInSeconds", func(in *mappingInput) bool { return in.TumblingWindowInSeconds != nil }},
	{"KMSKeyArn", func(in *mappingInput) bool { return in.KMSKeyArn != nil && *in.KMSKeyArn != "" }},
	{"MetricsConfig", func(in *mappingInput) bool { return in.MetricsConfig != nil }},
	{"LoggingConfig", func(in *mappingInput) bool { return in.LoggingConfig != nil }},
	{"DocumentDBEventSourceConfig", func(in *mappingInput) bool { return in.DocumentDBEventSourceConfig != nil }},
	{"ProvisionedPollerConfig", func(in *mappingInput) bool { return in.ProvisionedPollerConfig != nil }},
	{"SchemaRegistryConfig", func(in *mappingInput) bool { return in.schemaRegistry }},
}

// maxTimestamp is the last StartingPositionTimestamp taken,
// 9999-12-31T23:59:59Z in seconds since the epoch.
const maxTimestamp = 253402300799

// applyCreate applies a create request to mp, a new mapping of its kind,
// with the kind's defaults for what the request leaves out.
func applyCreate(mp *Mapping, in *mappingInput) error {
	r := rules[mp.Kind]
	mp.BatchSize = r.batchDefault
	if r.stream {
		mp.ParallelizationFactor = 1
		mp.MaximumRetryAttempts, mp.MaximumRecordAgeInSeconds = intp(-1), intp(-1)
		mp.BisectBatchOnFunctionError = boolp(false)
	}
	if mp.Kind != KindMQ {
		mp.MaximumBatchingWindowInSeconds = intp(0)
	}
	if in.StartingPosition != nil {
		if r.positions == nil {
			return errInvalidParam("StartingPosition is not valid for %s event sources.", r.name)
		}
		if !contains(r.positions, *in.StartingPosition) {
			return errInvalidParam("Unsupported starting position for arn type: %s", mp.EventSourceArn)
		}
		mp.StartingPosition = *in.StartingPosition
	} else if r.positions != nil {
		return errInvalidParam("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.")
	}
	switch {
	case in.StartingPositionTimestamp != nil && mp.StartingPosition != "AT_TIMESTAMP":
		return errInvalidParam("Timestamp only valid with StartingPosition AT_TIMESTAMP")
	case in.StartingPositionTimestamp == nil && mp.StartingPosition == "AT_TIMESTAMP":
		return errInvalidParam("Need to specify a timestamp for StartingPosition AT_TIMESTAMP")
	case in.StartingPositionTimestamp != nil:
		secs := *in.StartingPositionTimestamp
		if secs < 0 {
			return errInvalidParam("Received Exception while reading from provided stream. class java.lang.Long can not be converted to a Timestamp")
		}
		if secs > maxTimestamp {
			// AWS does not document its answer; a time past the year
			// 9999 (milliseconds given for seconds, say) names no record.
			return errInvalidParam("StartingPositionTimestamp %.0f is after 9999-12-31T23:59:59Z: the timestamp is in seconds since the epoch.", secs)
		}
		ts := time.UnixMilli(int64(secs * 1000)).UTC()
		mp.StartingPositionTimestamp = &ts
	}
	return apply(mp, in)
}

// apply applies the settings of a create or update request that both
// operations take to mp, checking them against the rules of mp's kind.
func apply(mp *Mapping, in *mappingInput) error {
	r := rules[mp.Kind]
	for _, u := range unserved {
		if u.given(in) {
			return errInvalidParam("%s is not supported.", u.name)
		}
	}
	for _, p := range params {
		if p.given(in) && !p.accepts(r) {
			return errInvalidParam("Unsupported %s parameter for given event source mapping type.", p.name)
		}
	}
	if in.Enabled != nil {
		mp.Enabled = *in.Enabled
	}
	if in.BatchSize != nil {
		mp.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		if mp.Kind == KindMQ {
			return errInvalidParam("Unsupported MaximumBatchingWindowInSeconds parameter for given event source mapping type.")
		}
		mp.MaximumBatchingWindowInSeconds = intp(*in.MaximumBatchingWindowInSeconds)
	}
	if in.ParallelizationFactor != nil {
		mp.ParallelizationFactor = *in.ParallelizationFactor
	}
	if in.MaximumRetryAttempts != nil {
		mp.MaximumRetryAttempts = intp(*in.MaximumRetryAttempts)
	}
	if in.MaximumRecordAgeInSeconds != nil {
		if age := *in.MaximumRecordAgeInSeconds; age != -1 && age < 60 {
			return errInvalidParam("MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)")
		}
		mp.MaximumRecordAgeInSeconds = intp(*in.MaximumRecordAgeInSeconds)
	}
	if in.BisectBatchOnFunctionError != nil {
		mp.BisectBatchOnFunctionError = boolp(*in.BisectBatchOnFunctionError)
	}
	if in.FunctionResponseTypes != nil {
		mp.FunctionResponseTypes = nil
		if len(*in.FunctionResponseTypes) > 0 {
			mp.FunctionResponseTypes = *in.FunctionResponseTypes
		}
	}
	if in.ScalingConfig != nil {
		mp.ScalingConfig = nil
		if in.ScalingConfig.MaximumConcurrency != nil {
			mp.ScalingConfig = &ScalingConfig{MaximumConcurrency: intp(*in.ScalingConfig.MaximumConcurrency)}
		}
	}
	if in.DestinationConfig != nil {
		if err := applyDestination(mp, in.DestinationConfig); err != nil {
			return err
		}
	}
	if err := applyFilters(mp, in.FilterCriteria); err != nil {
		return err
	}
	if err := applyBroker(mp, in); err != nil {
		return err
	}
	return checkBatching(mp)
}

// applyDestination sets an on-failure destination: an SQS queue's ARN, or
// none ({} clears it). Lambda refuses OnSuccess for mappings; SNS topics,
// S3 buckets and Kafka topics, which Lambda also takes, are refused here.
func applyDestination(mp *Mapping, dc *DestinationConfig) error {
	if dc.OnSuccess != nil {
		return errInvalidParam("Unsupported DestinationConfig parameter for given event source mapping type.")
	}
	if dc.OnFailure == nil || dc.OnFailure.Destination == "" {
		mp.DestinationConfig = nil
		return nil
	}
	dest := dc.OnFailure.Destination
	if parts := strings.SplitN(dest, ":", 6); len(parts) < 6 || parts[0] != "arn" || parts[2] != "sqs" {
		return errInvalidParam("The destination %s is not supported: an on-failure destination must be an Amazon SQS queue.", dest)
	}
	mp.DestinationConfig = &DestinationConfig{OnFailure: &OnFailure{Destination: dest}}
	return nil
}

// checkBatching checks the batch size and window against the queue: a
// FIFO queue takes batches of 10 at most and no window, a standard queue
// a batch over 10 only with a window.
func checkBatching(mp *Mapping) error {
	if mp.Kind != KindSQS {
		return nil
	}
	window := 0
	if mp.MaximumBatchingWindowInSeconds != nil {
		window = *mp.MaximumBatchingWindowInSeconds
	}
	switch {
	case fifo(mp) && mp.BatchSize > 10:
		return errInvalidParam("Maximum batch size must be between 1 and 10 inclusive")
	case fifo(mp) && window > 0:
		return errInvalidParam("Batching window is not supported for FIFO queues")
	case mp.BatchSize > 10 && window == 0:
		return errInvalidParam("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }
