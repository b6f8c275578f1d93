package esm_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestBrkSQSQueueOfAnotherRegion: "The Lambda function and the Amazon
// SQS queue must be in the same AWS Region" (Lambda Developer Guide,
// "Using Lambda with Amazon SQS"): a queue ARN of another Region is
// refused, whether or not a queue of that name exists there, and no
// mapping is made. The same holds for streams.
func TestBrkSQSQueueOfAnotherRegion(t *testing.T) {
	t.Parallel()
	s := newSQSSuite(t)
	ctx := context.Background()
	role := s.role(t, "region-fn", basicExecRole, sqsExecRole)
	s.function(t, "region-fn", role, 3, nil)
	s.queue(t, "orders", nil)
	west := s.srv.RootConfig()
	west.Region = "us-west-2"
	if _, err := sqs.NewFromConfig(west).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")}); err != nil {
		t.Logf("CreateQueue in us-west-2: %v", err)
	}
	_, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("region-fn"),
		EventSourceArn: aws.String("arn:aws:sqs:us-west-2:" + account + ":orders")})
	code, status, msg := apiError(t, err)
	if code != "InvalidParameterValueException" || status != 400 || msg != "Event source region must match Lambda region us-east-1." {
		t.Errorf("CreateEventSourceMapping: %s %d %q, want InvalidParameterValueException 400", code, status, msg)
	}
	// So are a stream and a table's stream of another Region.
	for _, arn := range []string{
		"arn:aws:kinesis:us-west-2:" + account + ":stream/clicks",
		"arn:aws:dynamodb:us-west-2:" + account + ":table/Music/stream/2026-01-01T00:00:00.000",
	} {
		_, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("region-fn"),
			EventSourceArn: aws.String(arn), StartingPosition: "TRIM_HORIZON"})
		if code, status, msg := apiError(t, err); code != "InvalidParameterValueException" || status != 400 || msg != "Event source region must match Lambda region us-east-1." {
			t.Errorf("CreateEventSourceMapping of %s: %s %d %q", arn, code, status, msg)
		}
	}
	list, lerr := s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("region-fn")})
	if lerr != nil || len(list.EventSourceMappings) != 0 {
		t.Errorf("ListEventSourceMappings: %v, %d mappings, want none", lerr, len(list.EventSourceMappings))
	}
}
