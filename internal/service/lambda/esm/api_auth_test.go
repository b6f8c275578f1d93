package esm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestFunctionArnCondition lets an IAM user create mappings for one
// function only (lambda:FunctionArn) and read only the mappings tagged for
// its team (aws:ResourceTag on the mapping's ARN); tags are read and
// changed through ListTags, TagResource and UntagResource.
func TestFunctionArnCondition(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "cond-role", basicExecRole, sqsExecRole)
	s.function(t, "allowed", role)
	s.function(t, "forbidden", role)
	q1, q2 := s.queue(t, "cond-1", nil), s.queue(t, "cond-2", nil)
	user := s.user(t, "mapper", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"lambda:CreateEventSourceMapping","Resource":"*",
		 "Condition":{"ArnEquals":{"lambda:FunctionArn":"arn:aws:lambda:us-east-1:`+account+`:function:allowed"}}},
		{"Effect":"Allow","Action":"lambda:GetEventSourceMapping","Resource":"arn:aws:lambda:us-east-1:`+account+`:event-source-mapping:*",
		 "Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
		{"Effect":"Allow","Action":"lambda:DeleteEventSourceMapping","Resource":"*",
		 "Condition":{"ArnEquals":{"lambda:FunctionArn":"arn:aws:lambda:us-east-1:`+account+`:function:allowed"}}}]}`)

	mine, err := user.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("allowed"), EventSourceArn: aws.String(q1),
		Tags: map[string]string{"team": "blue"}})
	if err != nil {
		t.Fatalf("create for the allowed function: %v", err)
	}
	_, err = user.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("forbidden"), EventSourceArn: aws.String(q1)})
	if code, status, msg := apiError(t, err); code != "AccessDeniedException" || status != 403 ||
		!strings.Contains(msg, "is not authorized to perform: lambda:CreateEventSourceMapping because no identity-based policy allows") {
		t.Errorf("create for another function: %s %d %q", code, status, msg)
	}
	other, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("forbidden"), EventSourceArn: aws.String(q2)})
	if err != nil {
		t.Fatalf("root create: %v", err)
	}

	if _, err := user.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: mine.UUID}); err != nil {
		t.Errorf("get the tagged mapping: %v", err)
	}
	_, err = user.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: other.UUID})
	if code, status, msg := apiError(t, err); code != "AccessDeniedException" || status != 403 || !strings.Contains(msg, aws.ToString(other.EventSourceMappingArn)) {
		t.Errorf("get an untagged mapping: %s %d %q", code, status, msg)
	}
	_, err = user.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: other.UUID})
	if code, _, _ := apiError(t, err); code != "AccessDeniedException" {
		t.Errorf("delete another function's mapping: %v", err)
	}

	arn := other.EventSourceMappingArn
	if _, err := s.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: arn, Tags: map[string]string{"team": "blue", "cost": "7"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := s.lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: arn, TagKeys: []string{"cost"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := s.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: arn})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "blue" {
		t.Fatalf("ListTags: %v %v", err, tags)
	}
	if _, err := user.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: other.UUID}); err != nil {
		t.Errorf("get the mapping once tagged: %v", err)
	}
	_, err = s.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:" + account + ":event-source-mapping:00000000-0000-0000-0000-000000000000")})
	if code, status, _ := apiError(t, err); code != "ResourceNotFoundException" || status != 404 {
		t.Errorf("ListTags of no mapping: %v", err)
	}
}

// TestRoleChecks refuses a mapping whose function's role Lambda cannot
// assume, and one whose role cannot read the queue until it is given
// AWSLambdaSQSQueueExecutionRole.
func TestRoleChecks(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "reader-role", basicExecRole)
	s.function(t, "reader", role)
	q := s.queue(t, "guarded", nil)
	in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("reader"), EventSourceArn: aws.String(q)}
	_, err := s.lambda.CreateEventSourceMapping(ctx, in)
	if code, status, msg := apiError(t, err); code != "InvalidParameterValueException" || status != 400 ||
		msg != "The provided execution role does not have permissions to call ReceiveMessage on SQS" {
		t.Errorf("role without SQS: %s %d %q", code, status, msg)
	}
	if _, err := s.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("reader-role"), PolicyArn: aws.String(sqsExecRole)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.lambda.CreateEventSourceMapping(ctx, in); err != nil {
		t.Errorf("after attaching AWSLambdaSQSQueueExecutionRole: %v", err)
	}

	untrusted := s.role(t, "untrusted-role", basicExecRole, sqsExecRole)
	s.function(t, "untrusted", untrusted)
	if _, err := s.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("untrusted-role"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("untrusted"), EventSourceArn: aws.String(s.queue(t, "other", nil))})
	if code, status, msg := apiError(t, err); code != "InvalidParameterValueException" || status != 400 ||
		msg != "The role defined for the function cannot be assumed by Lambda." {
		t.Errorf("role Lambda cannot assume: %s %d %q", code, status, msg)
	}
}

// TestStreamMappingAndTrail maps a Kinesis stream to a published version
// and checks the stream defaults Lambda answers with, and the trail's
// record of the call.
func TestStreamMappingAndTrail(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "kinesis-role", basicExecRole, "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole")
	fnARN := s.function(t, "clicks", role)
	v, err := s.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("clicks")})
	if err != nil {
		t.Fatal(err)
	}
	stream := s.stream(t, "clicks", 1)
	at := time.Unix(1700000000, 0)
	out, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("clicks:" + aws.ToString(v.Version)), EventSourceArn: aws.String(stream),
		StartingPosition: lambdatypes.EventSourcePositionAtTimestamp, StartingPositionTimestamp: &at,
	})
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	if got, want := aws.ToString(out.FunctionArn), fnARN+":"+aws.ToString(v.Version); got != want {
		t.Errorf("FunctionArn = %q, want %q", got, want)
	}
	if aws.ToInt32(out.BatchSize) != 100 || aws.ToInt32(out.MaximumRetryAttempts) != -1 || aws.ToInt32(out.MaximumRecordAgeInSeconds) != -1 ||
		out.BisectBatchOnFunctionError == nil || *out.BisectBatchOnFunctionError || aws.ToInt32(out.ParallelizationFactor) != 1 ||
		out.MaximumBatchingWindowInSeconds == nil || *out.MaximumBatchingWindowInSeconds != 0 {
		t.Errorf("stream defaults: %+v", out)
	}
	if aws.ToString(out.StateTransitionReason) != "User action" || aws.ToString(out.LastProcessingResult) != "No records processed" {
		t.Errorf("reason %q, result %q", aws.ToString(out.StateTransitionReason), aws.ToString(out.LastProcessingResult))
	}
	if out.StartingPositionTimestamp == nil || !out.StartingPositionTimestamp.Equal(at) || out.StartingPosition != lambdatypes.EventSourcePositionAtTimestamp {
		t.Errorf("starting position %s %v", out.StartingPosition, out.StartingPositionTimestamp)
	}

	ct := cloudtrail.NewFromConfig(s.srv.RootConfig())
	deadline := time.Now().Add(15 * time.Second)
	for {
		s.srv.Recorder().Flush(ctx)
		ev, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
			AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateEventSourceMapping")}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Events) > 0 {
			var r struct {
				EventSource       string         `json:"eventSource"`
				RequestParameters map[string]any `json:"requestParameters"`
				ResponseElements  map[string]any `json:"responseElements"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(ev.Events[0].CloudTrailEvent)), &r); err != nil {
				t.Fatal(err)
			}
			if r.EventSource != "lambda.amazonaws.com" || r.RequestParameters["functionName"] != "clicks:"+aws.ToString(v.Version) ||
				r.ResponseElements["uUID"] != aws.ToString(out.UUID) || r.ResponseElements["eventSourceArn"] != stream ||
				r.ResponseElements["functionArn"] != aws.ToString(out.FunctionArn) {
				t.Errorf("trail record: %+v", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no CreateEventSourceMapping in the trail")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrokerMappingAnswer: an accepted Amazon MSK mapping is kept with its
// topic and says in its state reason that no broker is polled.
func TestBrokerMappingAnswer(t *testing.T) {
	t.Parallel()
	s := newBrokerSuite(t, "msk-answer")
	s.attach(t, mskRole)
	ctx := context.Background()
	out, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(s.fn),
		EventSourceArn: aws.String(clusterARN), Topics: []string{"orders"}, StartingPosition: lambdatypes.EventSourcePositionLatest})
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	if !strings.Contains(aws.ToString(out.StateTransitionReason), "no broker is polled") || out.LastProcessingResult != nil {
		t.Errorf("reason %q, result %v", aws.ToString(out.StateTransitionReason), out.LastProcessingResult)
	}
	if len(out.Topics) != 1 || out.Topics[0] != "orders" || aws.ToInt32(out.BatchSize) != 100 || out.StartingPosition != lambdatypes.EventSourcePositionLatest {
		t.Errorf("answer %+v", out)
	}
}

// TestUpdateChecksAgain: an update that moves a mapping to a function
// whose role cannot read the queue is refused and changes nothing; an
// IAM user may update only towards the function lambda:FunctionArn names.
func TestUpdateChecksAgain(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	s.function(t, "reads", s.role(t, "reads-role", basicExecRole, sqsExecRole))
	s.function(t, "blind", s.role(t, "blind-role", basicExecRole))
	s.function(t, "also", s.role(t, "also-role", basicExecRole, sqsExecRole))
	out, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("reads"), EventSourceArn: aws.String(s.queue(t, "moving", nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.waitState(t, aws.ToString(out.UUID), "Enabled")
	_, err = s.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: out.UUID, FunctionName: aws.String("blind")})
	if code, _, msg := apiError(t, err); code != "InvalidParameterValueException" || msg != "The provided execution role does not have permissions to call ReceiveMessage on SQS" {
		t.Errorf("update to a function that cannot read: %s %q", code, msg)
	}
	got := s.waitState(t, aws.ToString(out.UUID), "Enabled")
	if aws.ToString(got.FunctionArn) != aws.ToString(out.FunctionArn) {
		t.Errorf("a refused update moved the mapping to %s", aws.ToString(got.FunctionArn))
	}

	user := s.user(t, "mover", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:UpdateEventSourceMapping","Resource":"*",
		"Condition":{"ArnEquals":{"lambda:FunctionArn":"arn:aws:lambda:us-east-1:`+account+`:function:also"}}}]}`)
	_, err = user.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: out.UUID, BatchSize: aws.Int32(5)})
	if code, status, _ := apiError(t, err); code != "AccessDeniedException" || status != 403 {
		t.Errorf("update of the mapping of another function: %v", err)
	}
	if _, err := user.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: out.UUID, FunctionName: aws.String("also")}); err != nil {
		t.Errorf("update towards the allowed function: %v", err)
	}
}
