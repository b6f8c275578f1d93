package logs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

func TestSDK(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	srv := servertest.StartWith(t, servertest.Options{Now: func() time.Time { return now }})
	client := cwl.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	group, stream := "/aws/lambda/my-fn", "2024/06/01/[$LATEST]0123456789abcdef"

	if _, err := client.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	_, err := client.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)})
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("duplicate group: %v", err)
	}
	if _, err := client.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	base := now.Add(-time.Minute).UnixMilli()
	var evs []types.InputLogEvent
	for i, m := range []string{"START RequestId: r1", "hello", "ERROR boom", "END RequestId: r1"} {
		evs = append(evs, types.InputLogEvent{Timestamp: aws.Int64(base + int64(i)), Message: aws.String(m)})
	}
	put, err := client.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs})
	if err != nil || aws.ToString(put.NextSequenceToken) == "" || put.RejectedLogEventsInfo != nil {
		t.Fatalf("PutLogEvents %+v %v", put, err)
	}

	groups, err := client.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")})
	if err != nil || len(groups.LogGroups) != 1 || aws.ToString(groups.LogGroups[0].Arn) != "arn:aws:logs:us-east-1:123456789012:log-group:"+group+":*" ||
		aws.ToInt64(groups.LogGroups[0].StoredBytes) == 0 {
		t.Errorf("DescribeLogGroups %+v %v", groups, err)
	}
	streams, err := client.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(group), OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)})
	if err != nil || len(streams.LogStreams) != 1 || aws.ToInt64(streams.LogStreams[0].LastEventTimestamp) != base+3 {
		t.Errorf("DescribeLogStreams %+v %v", streams, err)
	}

	// What `aws logs tail` does: FilterLogEvents over the group, paginated.
	p := cwl.NewFilterLogEventsPaginator(client, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group), StartTime: aws.Int64(base), Limit: aws.Int32(1)})
	var msgs []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			msgs = append(msgs, aws.ToString(e.Message))
			if aws.ToString(e.LogStreamName) != stream || aws.ToString(e.EventId) == "" {
				t.Errorf("event %+v", e)
			}
		}
	}
	if strings.Join(msgs, "|") != "START RequestId: r1|hello|ERROR boom|END RequestId: r1" {
		t.Errorf("filtered %q", msgs)
	}
	filtered, err := client.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupIdentifier: aws.String(group), FilterPattern: aws.String("ERROR")})
	if err != nil || len(filtered.Events) != 1 {
		t.Errorf("FilterLogEvents ERROR %+v %v", filtered, err)
	}

	got, err := client.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true), Limit: aws.Int32(2)})
	if err != nil || len(got.Events) != 2 || aws.ToString(got.Events[1].Message) != "hello" || !strings.HasPrefix(aws.ToString(got.NextForwardToken), "f/") {
		t.Errorf("GetLogEvents %+v %v", got, err)
	}

	_, err = client.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("nope"), LogEvents: evs})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "The specified log stream does not exist." {
		t.Errorf("missing stream: %v", err)
	}
	_, err = client.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(`{ $.level = "x" }`)})
	var ip *types.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Errorf("JSON pattern: %v", err)
	}
	if _, err := client.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Error(err)
	}
}
