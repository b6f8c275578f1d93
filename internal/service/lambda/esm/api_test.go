package esm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
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

// TestStatesAndUpdate follows a mapping through its states: created
// disabled, enabled, updated, refused while in transition, deleted.
func TestStatesAndUpdate(t *testing.T) {
	t.Parallel()
	// Transitions last long enough for a second request to find one.
	s := newSuiteWith(t, servertest.Options{Mappings: esm.Config{SettleDelay: 5 * time.Second}})
	ctx := context.Background()
	role := s.role(t, "states-role", basicExecRole, sqsExecRole)
	s.function(t, "states", role)
	s.function(t, "other", role)
	q := s.queue(t, "states", nil)

	out, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("states"), EventSourceArn: aws.String(q), Enabled: aws.Bool(false),
		BatchSize: aws.Int32(100), MaximumBatchingWindowInSeconds: aws.Int32(5),
		ScalingConfig:         &lambdatypes.ScalingConfig{MaximumConcurrency: aws.Int32(5)},
		FunctionResponseTypes: []lambdatypes.FunctionResponseType{lambdatypes.FunctionResponseTypeReportBatchItemFailures},
	})
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	id := aws.ToString(out.UUID)
	if aws.ToString(out.State) != "Creating" || aws.ToString(out.StateTransitionReason) != "USER_INITIATED" {
		t.Errorf("created %q %q, want Creating USER_INITIATED", aws.ToString(out.State), aws.ToString(out.StateTransitionReason))
	}
	if out.LastProcessingResult != nil {
		t.Errorf("an SQS mapping answers LastProcessingResult %q", aws.ToString(out.LastProcessingResult))
	}
	if out.ParallelizationFactor != nil || out.MaximumRetryAttempts != nil || out.BisectBatchOnFunctionError != nil {
		t.Errorf("an SQS mapping answers stream settings: %+v", out)
	}
	got := s.waitState(t, id, "Disabled")
	if aws.ToInt32(got.BatchSize) != 100 || aws.ToInt32(got.MaximumBatchingWindowInSeconds) != 5 ||
		got.ScalingConfig == nil || aws.ToInt32(got.ScalingConfig.MaximumConcurrency) != 5 || len(got.FunctionResponseTypes) != 1 {
		t.Errorf("settings not kept: %+v", got)
	}

	up, err := s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(true)})
	if err != nil {
		t.Fatalf("enable: %v", err)
	}
	if aws.ToString(up.State) != "Enabling" {
		t.Errorf("enable answered %q, want Enabling", aws.ToString(up.State))
	}
	_, err = s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), BatchSize: aws.Int32(5)})
	if code, status, msg := apiError(t, err); code != "ResourceInUseException" || status != 400 || msg != "Cannot update the event source mapping because it is in use." {
		t.Errorf("update while Enabling: %s %d %q", code, status, msg)
	}
	s.waitState(t, id, "Enabled")

	up, err = s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), BatchSize: aws.Int32(5),
		MaximumBatchingWindowInSeconds: aws.Int32(0), FunctionResponseTypes: []lambdatypes.FunctionResponseType{},
		ScalingConfig: &lambdatypes.ScalingConfig{}, FunctionName: aws.String("other")})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if aws.ToString(up.State) != "Updating" || aws.ToInt32(up.BatchSize) != 5 || len(up.FunctionResponseTypes) != 0 || up.ScalingConfig != nil {
		t.Errorf("update answered %+v", up)
	}
	if got := aws.ToString(up.FunctionArn); got != "arn:aws:lambda:us-east-1:"+account+":function:other" {
		t.Errorf("FunctionArn = %q after the update", got)
	}
	s.waitState(t, id, "Enabled")

	_, err = s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), BatchSize: aws.Int32(50)})
	if code, status, msg := apiError(t, err); code != "InvalidParameterValueException" || status != 400 ||
		msg != "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10" {
		t.Errorf("update to a batch of 50 without window: %s %d %q", code, status, msg)
	}
	if got := s.waitState(t, id, "Enabled"); aws.ToInt32(got.BatchSize) != 5 {
		t.Errorf("a refused update changed BatchSize to %d", aws.ToInt32(got.BatchSize))
	}

	up, err = s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)})
	if err != nil || aws.ToString(up.State) != "Disabling" {
		t.Fatalf("disable: %v %+v", err, up)
	}
	s.waitState(t, id, "Disabled")

	if _, err := s.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(true)})
	if err == nil {
		t.Fatal("an update of a deleted mapping was accepted")
	}
	if code, _, _ := apiError(t, err); code != "ResourceInUseException" && code != "ResourceNotFoundException" {
		t.Errorf("update while Deleting: %v", err)
	}
	_, err = s.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("00000000-0000-0000-0000-000000000000")})
	if code, status, msg := apiError(t, err); code != "ResourceNotFoundException" || status != 404 || msg != "The resource you requested does not exist." {
		t.Errorf("unknown UUID: %s %d %q", code, status, msg)
	}
}

// TestListPagesAndDuplicates lists mappings a page at a time, filtered by
// function and source, and refuses a second mapping of one queue and one
// function with Lambda's conflict.
func TestListPagesAndDuplicates(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "list-role", basicExecRole, sqsExecRole)
	s.function(t, "lister", role)
	s.function(t, "second", role)
	ids := map[string]bool{}
	var first string
	for _, name := range []string{"q1", "q2", "q3", "q4", "q5"} {
		q := s.queue(t, name, nil)
		out, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("lister"), EventSourceArn: aws.String(q)})
		if err != nil {
			t.Fatalf("create on %s: %v", name, err)
		}
		ids[aws.ToString(out.UUID)] = true
		if first == "" {
			first = q
		}
	}
	_, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("lister"), EventSourceArn: aws.String(first)})
	code, status, msg := apiError(t, err)
	if code != "ResourceConflictException" || status != 409 || !strings.HasPrefix(msg, `An event source mapping with SQS arn (" `+first+` ") and function (" lister ") already exists. Please update or delete the existing mapping with UUID `) {
		t.Errorf("duplicate: %s %d %q", code, status, msg)
	}
	if _, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("second"), EventSourceArn: aws.String(first)}); err != nil {
		t.Errorf("the same queue for another function: %v", err)
	}

	seen := map[string]bool{}
	var marker *string
	pages := 0
	for {
		out, err := s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("lister"), MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatalf("ListEventSourceMappings: %v", err)
		}
		pages++
		if len(out.EventSourceMappings) > 2 {
			t.Fatalf("page of %d", len(out.EventSourceMappings))
		}
		for _, m := range out.EventSourceMappings {
			seen[aws.ToString(m.UUID)] = true
		}
		if out.NextMarker == nil {
			break
		}
		marker = out.NextMarker
	}
	if pages != 3 || len(seen) != 5 {
		t.Errorf("%d pages, %d mappings; want 3 pages of the 5", pages, len(seen))
	}
	for id := range ids {
		if !seen[id] {
			t.Errorf("mapping %s not listed", id)
		}
	}
	bySource, err := s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(first)})
	if err != nil || len(bySource.EventSourceMappings) != 2 {
		t.Errorf("by source: %v, %d mappings, want 2", err, len(bySource.EventSourceMappings))
	}
	_, err = s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(10001)})
	if code, status, msg := apiError(t, err); code != "ValidationException" || status != 400 ||
		msg != "1 validation error detected: Value '10001' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000" {
		t.Errorf("MaxItems 10001: %s %d %q", code, status, msg)
	}
	_, err = s.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{Marker: aws.String("garbage")})
	if code, status, _ := apiError(t, err); code != "InvalidParameterValueException" || status != 400 {
		t.Errorf("bad marker: %v", err)
	}
}

// TestStatesSettleAfterRestart leaves a mapping Creating and another
// Deleting when the server stops; the next run settles both.
func TestStatesSettleAfterRestart(t *testing.T) {
	t.Parallel()
	s := newSuiteWith(t, servertest.Options{Mappings: esm.Config{SettleDelay: 5 * time.Second}})
	ctx := context.Background()
	role := s.role(t, "restart-role", basicExecRole, sqsExecRole)
	s.function(t, "restarted", role)
	gone, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("restarted"), EventSourceArn: aws.String(s.queue(t, "r1", nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.waitState(t, aws.ToString(gone.UUID), "Enabled")
	if _, err := s.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: gone.UUID}); err != nil {
		t.Fatal(err)
	}
	kept, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("restarted"), EventSourceArn: aws.String(s.queue(t, "r2", nil)),
		Enabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	b := newSuiteWith(t, servertest.Options{DataDir: s.srv.DataDir, Mappings: esm.Config{SettleDelay: 50 * time.Millisecond}})
	b.waitState(t, aws.ToString(kept.UUID), "Disabled")
	_, err = b.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: gone.UUID})
	if code, _, _ := apiError(t, err); code != "ResourceNotFoundException" {
		t.Errorf("the mapping deleted before the restart: %v", err)
	}
}
