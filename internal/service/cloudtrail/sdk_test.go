package cloudtrail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/service/cloudtrail"
	"github.com/rolecall/rolecall/internal/trail"
)

func TestSDKLookupEvents(t *testing.T) {
	srv := servertest.Start(t)
	// The seeded events lie in an hour of their own, before the server's own
	// calls are recorded.
	base := time.Now().UTC().Truncate(time.Second).Add(-2 * time.Hour)
	cloudtrail.Seed(srv.Recorder(), base)
	// A data event in the same hour: recorded, but not event history's.
	srv.Recorder().Record(trail.Entry{Time: base.Add(1500 * time.Millisecond), EventSource: "lambda.amazonaws.com",
		Operation: "Invoke", Category: api.Data, Account: "123456789012", Region: "us-east-1"})
	client := awsct.NewFromConfig(srv.RootConfig())
	ctx := context.Background()

	out, err := client.LookupEvents(ctx, &awsct.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyUsername, AttributeValue: aws.String("my-fn")}},
		StartTime:        aws.Time(base),
		EndTime:          aws.Time(base.Add(time.Hour)),
		MaxResults:       aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 2 || out.NextToken == nil {
		t.Fatalf("events %d, token %v", len(out.Events), out.NextToken)
	}
	e := out.Events[0]
	if aws.ToString(e.EventName) != "GetRole" || aws.ToString(e.ReadOnly) != "true" || aws.ToString(e.Username) != "my-fn" ||
		!aws.ToTime(e.EventTime).Equal(base.Add(6*time.Second)) || !strings.Contains(aws.ToString(e.CloudTrailEvent), `"errorCode":"AccessDenied"`) {
		t.Errorf("event %+v", e)
	}

	p := awsct.NewLookupEventsPaginator(client, &awsct.LookupEventsInput{
		StartTime:  aws.Time(base),
		EndTime:    aws.Time(base.Add(time.Hour)),
		MaxResults: aws.Int32(3),
	})
	total := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += len(page.Events)
	}
	if total != 7 {
		t.Errorf("paginated %d events, want 7", total)
	}

	_, err = client.LookupEvents(ctx, &awsct.LookupEventsInput{StartTime: aws.Time(base.Add(time.Hour)), EndTime: aws.Time(base)})
	var tr *types.InvalidTimeRangeException
	if !errors.As(err, &tr) {
		t.Errorf("bad range: %v", err)
	}
}
