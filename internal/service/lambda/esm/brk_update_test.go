package esm_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestUpdateRefusesCreateOnlyMembers sends UpdateEventSourceMapping bodies
// with the members only CreateEventSourceMapping has (the model's
// UpdateEventSourceMappingRequest has no EventSourceArn, StartingPosition,
// StartingPositionTimestamp, Tags, Topics, Queues or
// SelfManagedEventSource): each is refused and the mapping is unchanged,
// where before Topics were replaced past the model's checks and the
// others were accepted and ignored.
func TestUpdateRefusesCreateOnlyMembers(t *testing.T) {
	t.Parallel()
	b := newBrokerSuite(t, "update-only")
	b.attach(t, mskRole)
	s := &suite{srv: b.srv, lambda: b.lambda}
	ctx := context.Background()
	out, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(b.fn),
		EventSourceArn: aws.String(clusterARN), Topics: []string{"orders"}, StartingPosition: lambdatypes.EventSourcePositionLatest})
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	id := aws.ToString(out.UUID)
	s.waitState(t, id, "Enabled")
	path := "/2015-03-31/event-source-mappings/" + id
	for _, body := range []string{
		`{"Topics":["payments"]}`,
		`{"Topics":["..bad topic"]}`,
		`{"EventSourceArn":"arn:aws:kafka:us-east-1:` + account + `:cluster/other/11111111-2222-3333-4444-555555555555-1"}`,
		`{"StartingPosition":"TRIM_HORIZON"}`,
		`{"StartingPositionTimestamp":1700000000}`,
		`{"Tags":{"team":"red"}}`,
		`{"Queues":["q"]}`,
		`{"SelfManagedEventSource":{"Endpoints":{"KAFKA_BOOTSTRAP_SERVERS":["b:9092"]}}}`,
	} {
		status, code, msg := s.raw(t, "PUT", path, body)
		if status != 400 || code != "InvalidParameterValueException" {
			t.Errorf("update %s: %d %s %s", body, status, code, msg)
		}
	}
	got := s.waitState(t, id, "Enabled")
	if len(got.Topics) != 1 || got.Topics[0] != "orders" || got.StartingPosition != lambdatypes.EventSourcePositionLatest ||
		aws.ToString(got.EventSourceArn) != clusterARN || got.SelfManagedEventSource != nil {
		t.Errorf("after refused updates: %+v", got)
	}
	tags, err := s.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: out.EventSourceMappingArn})
	if err != nil || len(tags.Tags) != 0 {
		t.Errorf("tags after refused updates: %v %v", tags, err)
	}
}
