package esm_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestCreateValidation sends CreateEventSourceMapping requests each rule
// of a source kind refuses and checks AWS's code, status and message, and
// that none of them left a mapping behind.
func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "validation-role", basicExecRole, sqsExecRole)
	s.function(t, "validated", role)
	const (
		queue   = "arn:aws:sqs:us-east-1:" + account + ":jobs"
		fifo    = "arn:aws:sqs:us-east-1:" + account + ":jobs.fifo"
		stream  = "arn:aws:kinesis:us-east-1:" + account + ":stream/clicks"
		dstream = "arn:aws:dynamodb:us-east-1:" + account + ":table/orders/stream/2024-01-01T00:00:00.000"
		ipve    = "InvalidParameterValueException"
		valid   = "ValidationException"
	)
	at := time.Unix(1700000000, 0)
	cases := []struct {
		name   string
		in     lambda.CreateEventSourceMappingInput
		code   string
		status int
		msg    string
	}{
		{"sqs starting position", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), StartingPosition: lambdatypes.EventSourcePositionLatest},
			ipve, 400, "StartingPosition is not valid for SQS event sources."},
		{"sqs parallelization", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), ParallelizationFactor: aws.Int32(2)},
			ipve, 400, "Unsupported ParallelizationFactor parameter for given event source mapping type."},
		{"sqs bisect", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), BisectBatchOnFunctionError: aws.Bool(true)},
			ipve, 400, "Unsupported BisectBatchOnFunctionError parameter for given event source mapping type."},
		{"sqs retries", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), MaximumRetryAttempts: aws.Int32(3)},
			ipve, 400, "Unsupported MaximumRetryAttempts parameter for given event source mapping type."},
		{"sqs record age", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), MaximumRecordAgeInSeconds: aws.Int32(60)},
			ipve, 400, "Unsupported MaximumRecordAgeInSeconds parameter for given event source mapping type."},
		{"sqs destination", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(queue)}}},
			ipve, 400, "Unsupported DestinationConfig parameter for given event source mapping type."},
		{"sqs topics", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), Topics: []string{"orders"}},
			ipve, 400, "Unsupported Topics parameter for given event source mapping type."},
		{"sqs batch over 10 without window", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), BatchSize: aws.Int32(11)},
			ipve, 400, "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"},
		{"fifo batch over 10", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(fifo), BatchSize: aws.Int32(11), MaximumBatchingWindowInSeconds: aws.Int32(1)},
			ipve, 400, "Maximum batch size must be between 1 and 10 inclusive"},
		{"fifo window", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(fifo), MaximumBatchingWindowInSeconds: aws.Int32(1)},
			ipve, 400, "Batching window is not supported for FIFO queues"},
		{"batch size over the model's bound", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), BatchSize: aws.Int32(10001)},
			valid, 400, "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"batch size zero", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), BatchSize: aws.Int32(0)},
			valid, 400, "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"window over 300", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), MaximumBatchingWindowInSeconds: aws.Int32(301)},
			valid, 400, "1 validation error detected: Value '301' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300"},
		{"sqs concurrency under 2", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), ScalingConfig: &lambdatypes.ScalingConfig{MaximumConcurrency: aws.Int32(1)}},
			valid, 400, "1 validation error detected: Value '1' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 2"},
		{"bad response type", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), FunctionResponseTypes: []lambdatypes.FunctionResponseType{"Everything"}},
			valid, 400, "1 validation error detected: Value '[Everything]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]"},
		{"stream without starting position", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream)},
			ipve, 400, "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null."},
		{"dynamodb at timestamp", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(dstream), StartingPosition: lambdatypes.EventSourcePositionAtTimestamp, StartingPositionTimestamp: &at},
			ipve, 400, "Unsupported starting position for arn type: " + dstream},
		{"timestamp without at timestamp", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: lambdatypes.EventSourcePositionLatest, StartingPositionTimestamp: &at},
			ipve, 400, "Timestamp only valid with StartingPosition AT_TIMESTAMP"},
		{"stream scaling config", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: lambdatypes.EventSourcePositionLatest, ScalingConfig: &lambdatypes.ScalingConfig{MaximumConcurrency: aws.Int32(5)}},
			ipve, 400, "Unsupported ScalingConfig parameter for given event source mapping type."},
		{"record age under a minute", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: lambdatypes.EventSourcePositionLatest, MaximumRecordAgeInSeconds: aws.Int32(59)},
			ipve, 400, "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)"},
		{"retries over the model's bound", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: lambdatypes.EventSourcePositionLatest, MaximumRetryAttempts: aws.Int32(10001)},
			valid, 400, "1 validation error detected: Value '10001' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"parallelization over 10", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: lambdatypes.EventSourcePositionLatest, ParallelizationFactor: aws.Int32(11)},
			valid, 400, "1 validation error detected: Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10"},
		{"tumbling window", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: lambdatypes.EventSourcePositionLatest, TumblingWindowInSeconds: aws.Int32(60)},
			ipve, 400, "TumblingWindowInSeconds is not supported."},
		{"sns destination", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: lambdatypes.EventSourcePositionLatest,
			DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String("arn:aws:sns:us-east-1:" + account + ":failures")}}},
			ipve, 400, "The destination arn:aws:sns:us-east-1:" + account + ":failures is not supported: an on-failure destination must be an Amazon SQS queue."},
		{"on-success destination", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(stream), StartingPosition: lambdatypes.EventSourcePositionLatest,
			DestinationConfig: &lambdatypes.DestinationConfig{OnSuccess: &lambdatypes.OnSuccess{Destination: aws.String(queue)}}},
			ipve, 400, "Unsupported DestinationConfig parameter for given event source mapping type."},
		{"unknown source", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:s3:::bucket")},
			ipve, 400, "Unrecognized event source."},
		{"no source", lambda.CreateEventSourceMappingInput{},
			ipve, 400, "Unrecognized event source."},
		{"missing function", lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queue), FunctionName: aws.String("nowhere")},
			"ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:" + account + ":function:nowhere"},
	}
	for _, tc := range cases {
		in := tc.in
		if in.FunctionName == nil {
			in.FunctionName = aws.String("validated")
		}
		_, err := s.lambda.CreateEventSourceMapping(ctx, &in)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		code, status, msg := apiError(t, err)
		if code != tc.code || status != tc.status || msg != tc.msg {
			t.Errorf("%s: %s %d %q\nwant %s %d %q", tc.name, code, status, msg, tc.code, tc.status, tc.msg)
		}
	}
	list, err := s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.EventSourceMappings) != 0 {
		t.Errorf("refused requests left %d mappings", len(list.EventSourceMappings))
	}
}
