package esm_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestCreateGetListDelete maps a queue to a function and reads the
// mapping back in the wire's shape through its states, then deletes it.
func TestCreateGetListDelete(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "sqs-reader", basicExecRole, sqsExecRole)
	fnARN := s.function(t, "consumer", role)
	q := s.queue(t, "orders", nil)

	out, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("consumer"), EventSourceArn: aws.String(q),
	})
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	id := aws.ToString(out.UUID)
	if got := aws.ToString(out.State); got != "Creating" {
		t.Errorf("State = %q, want Creating", got)
	}
	if got := aws.ToString(out.FunctionArn); got != fnARN {
		t.Errorf("FunctionArn = %q, want %q", got, fnARN)
	}
	if got, want := aws.ToString(out.EventSourceMappingArn), "arn:aws:lambda:us-east-1:"+account+":event-source-mapping:"+id; got != want {
		t.Errorf("EventSourceMappingArn = %q, want %q", got, want)
	}
	if got := aws.ToInt32(out.BatchSize); got != 10 {
		t.Errorf("BatchSize = %d, want 10", got)
	}
	if out.LastModified == nil || out.LastModified.IsZero() {
		t.Errorf("LastModified missing")
	}
	got := s.waitState(t, id, "Enabled")
	if aws.ToString(got.EventSourceArn) != q {
		t.Errorf("EventSourceArn = %q, want %q", aws.ToString(got.EventSourceArn), q)
	}

	list, err := s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("consumer")})
	if err != nil {
		t.Fatalf("ListEventSourceMappings: %v", err)
	}
	if len(list.EventSourceMappings) != 1 || aws.ToString(list.EventSourceMappings[0].UUID) != id {
		t.Fatalf("ListEventSourceMappings = %+v, want %s", list.EventSourceMappings, id)
	}

	del, err := s.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatalf("DeleteEventSourceMapping: %v", err)
	}
	if got := aws.ToString(del.State); got != "Deleting" {
		t.Errorf("Delete State = %q, want Deleting", got)
	}
	deadline := 200
	for ; deadline > 0; deadline-- {
		_, err := s.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			code, status, msg := apiError(t, err)
			if code != "ResourceNotFoundException" || status != 404 || msg != "The resource you requested does not exist." {
				t.Fatalf("Get after delete: %s %d %q", code, status, msg)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if deadline == 0 {
		t.Fatal("the mapping was not removed")
	}
}
