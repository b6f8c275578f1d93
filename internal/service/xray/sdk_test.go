package xray_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	xraysdk "github.com/aws/aws-sdk-go-v2/service/xray"
	"github.com/aws/aws-sdk-go-v2/service/xray/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

type obj = map[string]any

func doc(fields obj) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

func TestSDK(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	srv := servertest.StartWith(t, servertest.Options{Now: func() time.Time { return now }})
	client := xraysdk.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	tid := fmt.Sprintf("1-%08x-%024x", now.Unix()-60, 42)
	start := float64(now.Unix() - 60)

	put, err := client.PutTraceSegments(ctx, &xraysdk.PutTraceSegmentsInput{TraceSegmentDocuments: []string{
		doc(obj{"id": "0123456789abcdef", "trace_id": tid, "name": "my-fn", "origin": "AWS::Lambda::Function", "start_time": start, "end_time": start + 1.5,
			"error": true, "http": obj{"response": obj{"status": 404}}}),
		doc(obj{"id": "0123456789abcdef", "trace_id": "1-bad", "name": "my-fn", "start_time": start, "end_time": start + 1}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(put.UnprocessedTraceSegments) != 1 || aws.ToString(put.UnprocessedTraceSegments[0].ErrorCode) != "InvalidTraceId" ||
		aws.ToString(put.UnprocessedTraceSegments[0].Id) != "0123456789abcdef" ||
		aws.ToString(put.UnprocessedTraceSegments[0].Message) != "Invalid segment. ErrorCode: InvalidTraceId" {
		t.Errorf("unprocessed = %+v", put.UnprocessedTraceSegments)
	}

	_, err = client.GetSamplingTargets(ctx, &xraysdk.GetSamplingTargetsInput{SamplingStatisticsDocuments: []types.SamplingStatisticsDocument{{
		RuleName: aws.String("Default"), ClientID: aws.String("short"), Timestamp: aws.Time(now),
	}}})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || !strings.Contains(ire.ErrorMessage(), "'samplingStatisticsDocuments.1.member.clientID'") {
		t.Errorf("short client ID: %v", err)
	}

	if _, err := client.PutTelemetryRecords(ctx, &xraysdk.PutTelemetryRecordsInput{
		Hostname:         aws.String("sandbox"),
		TelemetryRecords: []types.TelemetryRecord{{Timestamp: aws.Time(now), SegmentsReceivedCount: aws.Int32(1), SegmentsSentCount: aws.Int32(1)}},
	}); err != nil {
		t.Error(err)
	}

	got, err := client.BatchGetTraces(ctx, &xraysdk.BatchGetTracesInput{TraceIds: []string{tid}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Traces) != 1 || aws.ToString(got.Traces[0].Id) != tid || aws.ToFloat64(got.Traces[0].Duration) != 1.5 ||
		len(got.Traces[0].Segments) != 1 || !strings.Contains(aws.ToString(got.Traces[0].Segments[0].Document), `"name":"my-fn"`) {
		t.Errorf("BatchGetTraces = %+v", got)
	}

	p := xraysdk.NewGetTraceSummariesPaginator(client, &xraysdk.GetTraceSummariesInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now)})
	var summaries []types.TraceSummary
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		summaries = append(summaries, page.TraceSummaries...)
	}
	if len(summaries) != 1 {
		t.Fatalf("summaries = %+v", summaries)
	}
	s := summaries[0]
	if aws.ToString(s.Id) != tid || aws.ToFloat64(s.Duration) != 1.5 || aws.ToFloat64(s.ResponseTime) != 1.5 || !aws.ToBool(s.HasError) ||
		aws.ToBool(s.HasFault) || s.Http == nil || aws.ToInt32(s.Http.HttpStatus) != 404 || !aws.ToTime(s.StartTime).Equal(now.Add(-time.Minute)) ||
		s.EntryPoint == nil || aws.ToString(s.EntryPoint.Name) != "my-fn" {
		t.Errorf("summary = %+v", s)
	}
	_, err = client.GetTraceSummaries(ctx, &xraysdk.GetTraceSummariesInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))})
	if !errors.As(err, &ire) {
		t.Errorf("reversed range: %v", err)
	}

	rules, err := client.GetSamplingRules(ctx, &xraysdk.GetSamplingRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.SamplingRuleRecords) != 1 {
		t.Fatalf("rules = %+v", rules)
	}
	r := rules.SamplingRuleRecords[0].SamplingRule
	if aws.ToString(r.RuleName) != "Default" || aws.ToInt32(r.Priority) != 10000 || r.FixedRate != 0.05 || r.ReservoirSize != 1 ||
		aws.ToString(r.ServiceName) != "*" || aws.ToString(r.URLPath) != "*" || aws.ToInt32(r.Version) != 1 {
		t.Errorf("default rule = %+v", r)
	}

	targets, err := client.GetSamplingTargets(ctx, &xraysdk.GetSamplingTargetsInput{SamplingStatisticsDocuments: []types.SamplingStatisticsDocument{{
		RuleName: aws.String("Default"), ClientID: aws.String("0123456789abcdef01234567"), Timestamp: aws.Time(now),
		RequestCount: 5, SampledCount: 1, BorrowCount: 0,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets.SamplingTargetDocuments) != 1 || aws.ToInt32(targets.SamplingTargetDocuments[0].ReservoirQuota) != 1 ||
		aws.ToInt32(targets.SamplingTargetDocuments[0].Interval) != 10 || !aws.ToTime(targets.SamplingTargetDocuments[0].ReservoirQuotaTTL).Equal(now.Add(10*time.Second)) ||
		!aws.ToTime(targets.LastRuleModification).Equal(now) {
		t.Errorf("targets = %+v", targets)
	}
}
