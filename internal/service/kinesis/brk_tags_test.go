package kinesis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestTagsOnCreation: tags given to CreateStream need
// kinesis:AddTagsToStream on the new stream, and tags given to
// RegisterStreamConsumer need kinesis:TagResource on the new consumer, as
// the Kinesis API Reference says; without them nothing is created.
func TestTagsOnCreation(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()
	acct := accountOf(t, s)
	uc := user(t, s, "maker", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["kinesis:CreateStream","kinesis:RegisterStreamConsumer","kinesis:DescribeStreamSummary","kinesis:ListStreamConsumers"],"Resource":"*"},
		{"Effect":"Allow","Action":"kinesis:AddTagsToStream","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}}]}`)

	_, err := uc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("red"), ShardCount: aws.Int32(1), Tags: map[string]string{"team": "red"}})
	arn := "arn:aws:kinesis:" + s.Region() + ":" + acct + ":stream/red"
	if cd, msg := code(t, err); cd != "AccessDeniedException" || msg != "User: arn:aws:iam::"+acct+":user/maker is not authorized to perform: kinesis:AddTagsToStream on resource: "+arn+" because no identity-based policy allows the kinesis:AddTagsToStream action" {
		t.Fatalf("CreateStream with a tag not allowed: %v", err)
	}
	if _, err := uc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("red")}); err == nil {
		t.Fatal("the refused stream was created")
	}
	if _, err := uc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("blue"), ShardCount: aws.Int32(1), Tags: map[string]string{"team": "blue"}}); err != nil {
		t.Fatalf("CreateStream with an allowed tag: %v", err)
	}

	streamARN := "arn:aws:kinesis:" + s.Region() + ":" + acct + ":stream/blue"
	_, err = uc.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN), ConsumerName: aws.String("app"), Tags: map[string]string{"team": "blue"}})
	if cd, msg := code(t, err); cd != "AccessDeniedException" || !strings.Contains(msg, "kinesis:TagResource on resource: "+streamARN+"/consumer/app:") {
		t.Fatalf("RegisterStreamConsumer with tags, without kinesis:TagResource: %v", err)
	}
	l, err := uc.ListStreamConsumers(ctx, &kinesis.ListStreamConsumersInput{StreamARN: aws.String(streamARN)})
	if err != nil || len(l.Consumers) != 0 {
		t.Fatalf("after the refused registration: %v %+v", err, l)
	}
	if _, err := uc.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: aws.String(streamARN), ConsumerName: aws.String("app")}); err != nil {
		t.Fatalf("RegisterStreamConsumer without tags: %v", err)
	}
}
