package esm

import (
	"strings"
)

// kindRules are what Lambda accepts of a mapping of one kind of source
// (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
type kindRules struct {
	// name is how Lambda's messages name the source ("SQS").
	name string
	// batchDefault and batchMax bound BatchSize.
	batchDefault, batchMax int
	// positions are the StartingPosition values accepted; nil means
	// StartingPosition is refused, otherwise it is required.
	positions []string
	// stream marks Kinesis and DynamoDB Streams: retries, record age,
	// bisection, parallelization and on-failure destinations.
	stream bool
	// scaling accepts ScalingConfig (SQS).
	scaling bool
	// responseTypes accepts FunctionResponseTypes.
	responseTypes bool
	// broker marks Kafka and Amazon MQ: no poller runs.
	broker bool
}

// rules are the kinds' rules.
var rules = map[Kind]kindRules{
	KindSQS:              {name: "SQS", batchDefault: 10, batchMax: 10000, scaling: true, responseTypes: true},
	KindKinesis:          {name: "Kinesis", batchDefault: 100, batchMax: 10000, positions: []string{"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"}, stream: true, responseTypes: true},
	KindDynamoDBStreams:  {name: "DynamoDB Streams", batchDefault: 100, batchMax: 10000, positions: []string{"TRIM_HORIZON", "LATEST"}, stream: true, responseTypes: true},
	KindMSK:              {name: "Amazon MSK", batchDefault: 100, batchMax: 10000, positions: []string{"TRIM_HORIZON", "LATEST"}, broker: true},
	KindSelfManagedKafka: {name: "self-managed Apache Kafka", batchDefault: 100, batchMax: 10000, positions: []string{"TRIM_HORIZON", "LATEST"}, broker: true},
	KindMQ:               {name: "Amazon MQ", batchDefault: 100, batchMax: 10000, broker: true},
}

// kindOf returns the kind of source an EventSourceArn names, or that a
// SelfManagedEventSource makes.
func kindOf(arn string, selfManaged bool) (Kind, error) {
	if arn == "" {
		if selfManaged {
			return KindSelfManagedKafka, nil
		}
		return "", errInvalidParam("Unrecognized event source.")
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "", errInvalidParam("Unrecognized event source.")
	}
	service, resource := parts[2], parts[5]
	switch {
	case service == "sqs":
		return KindSQS, nil
	case service == "kinesis" && strings.HasPrefix(resource, "stream/") && !strings.Contains(resource, "/consumer/"):
		return KindKinesis, nil
	case service == "dynamodb" && strings.HasPrefix(resource, "table/") && strings.Contains(resource, "/stream/"):
		return KindDynamoDBStreams, nil
	case service == "kafka":
		return KindMSK, nil
	case service == "mq":
		return KindMQ, nil
	}
	return "", errInvalidParam("Unrecognized event source.")
}

// applyCreate applies a create request's settings to mp, a new mapping of
// its kind, with the kind's defaults for what the request leaves out.
func applyCreate(mp *Mapping, in *mappingInput) error {
	r := rules[mp.Kind]
	mp.BatchSize = r.batchDefault
	if r.stream {
		mp.ParallelizationFactor = 1
		mp.MaximumRetryAttempts, mp.MaximumRecordAgeInSeconds = intp(-1), intp(-1)
		mp.BisectBatchOnFunctionError = boolp(false)
	}
	if !r.broker || mp.Kind != KindMQ {
		mp.MaximumBatchingWindowInSeconds = intp(0)
	}
	if err := apply(mp, in); err != nil {
		return err
	}
	if r.positions != nil && mp.StartingPosition == "" {
		return errInvalidParam("StartingPosition must be specified for %s event sources.", r.name)
	}
	return nil
}

// apply applies the settings in carries to mp, checking each against the
// rules of mp's kind.
func apply(mp *Mapping, in *mappingInput) error {
	r := rules[mp.Kind]
	if in.TumblingWindowInSeconds != nil {
		return errInvalidParam("TumblingWindowInSeconds is not supported.")
	}
	if in.StartingPosition != nil {
		if r.positions == nil {
			return errInvalidParam("StartingPosition is not valid for %s event sources.", r.name)
		}
		mp.StartingPosition = *in.StartingPosition
	}
	if in.BatchSize != nil {
		mp.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		mp.MaximumBatchingWindowInSeconds = intp(*in.MaximumBatchingWindowInSeconds)
	}
	if in.FilterCriteria != nil {
		mp.FilterCriteria = in.FilterCriteria
	}
	return nil
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }
