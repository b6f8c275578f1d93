package esm_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestTagsOfAMappingARNOfAnotherRegion names a mapping by an ARN of
// another region or partition in TagResource, UntagResource and ListTags:
// no mapping is there, so the answer is ResourceNotFoundException and the
// mapping of this region keeps its tags, even for a user whose policy
// denies tagging this region's mappings.
func TestTagsOfAMappingARNOfAnotherRegion(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "tags-role", basicExecRole, sqsExecRole)
	s.function(t, "tagged", role)
	q := s.queue(t, "tagged", nil)
	mp, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("tagged"), EventSourceArn: aws.String(q),
		Tags: map[string]string{"team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	user := s.user(t, "tagger", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["lambda:TagResource","lambda:UntagResource","lambda:ListTags"],"Resource":"*"},
		{"Effect":"Deny","Action":["lambda:TagResource","lambda:UntagResource","lambda:ListTags"],"Resource":"arn:aws:lambda:us-east-1:`+account+`:event-source-mapping:*"}]}`)
	id := aws.ToString(mp.UUID)
	for _, arn := range []string{
		"arn:aws:lambda:eu-west-1:" + account + ":event-source-mapping:" + id,
		"arn:aws-cn:lambda:us-east-1:" + account + ":event-source-mapping:" + id,
	} {
		_, err := user.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"team": "red"}})
		if code, status, _ := apiError(t, err); code != "ResourceNotFoundException" || status != 404 {
			t.Errorf("TagResource %s: %v", arn, err)
		}
		_, err = user.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}})
		if code, status, _ := apiError(t, err); code != "ResourceNotFoundException" || status != 404 {
			t.Errorf("UntagResource %s: %v", arn, err)
		}
		_, err = user.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
		if code, status, _ := apiError(t, err); code != "ResourceNotFoundException" || status != 404 {
			t.Errorf("ListTags %s: %v", arn, err)
		}
	}
	_, err = user.TagResource(ctx, &lambda.TagResourceInput{Resource: mp.EventSourceMappingArn, Tags: map[string]string{"team": "red"}})
	if code, _, msg := apiError(t, err); code != "AccessDeniedException" || !strings.Contains(msg, "explicit deny") {
		t.Errorf("TagResource of the mapping's own ARN: %v", err)
	}
	tags, err := s.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: mp.EventSourceMappingArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || tags.Tags["team"] != "blue" {
		t.Errorf("tags after the refused calls: %v", tags.Tags)
	}
}

// TestTagResourceMemberInAnotherCase tags a mapping with a body holding
// both "Tags", which the model checks, and "tags", which Go's decoder
// would take in its place: the body is refused and the mapping keeps its
// tags.
func TestTagResourceMemberInAnotherCase(t *testing.T) {
	t.Parallel()
	s := newSuite(t)
	ctx := context.Background()
	role := s.role(t, "tagcase-role", basicExecRole, sqsExecRole)
	s.function(t, "tagcase", role)
	mp, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("tagcase"),
		EventSourceArn: aws.String(s.queue(t, "tagcase", nil)), Tags: map[string]string{"team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 300) // over the model's 256 characters
	status, code, out := s.raw(t, "POST", "/2017-03-31/tags/"+url.PathEscape(aws.ToString(mp.EventSourceMappingArn)),
		`{"Tags":{"team":"red"},"tags":{"team":"`+long+`"}}`)
	if status != 400 || code != "SerializationException" {
		t.Errorf("TagResource: %d %s %s", status, code, out)
	}
	tags, err := s.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: mp.EventSourceMappingArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || tags.Tags["team"] != "blue" {
		t.Errorf("tags after the refused call: %v", tags.Tags)
	}
}
