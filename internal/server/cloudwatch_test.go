package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestCloudWatchMetricsRoundTrip: points PutMetricData stores come back
// aggregated per period from GetMetricStatistics and GetMetricData (in
// both scan orders, paged by MaxDatapoints), only for the exact dimension
// set asked for, and ListMetrics finds them by namespace, name and
// dimension. The SDK speaks Smithy RPC v2 CBOR.
func TestCloudWatchMetricsRoundTrip(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(srv.RootConfig())
	base := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	dims := []cwtypes.Dimension{{Name: aws.String("Shop"), Value: aws.String("north")}}
	_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("App/Orders"),
		MetricData: []cwtypes.MetricDatum{
			{MetricName: aws.String("Latency"), Dimensions: dims, Timestamp: aws.Time(base.Add(10 * time.Second)), Value: aws.Float64(10), Unit: cwtypes.StandardUnitMilliseconds},
			{MetricName: aws.String("Latency"), Dimensions: dims, Timestamp: aws.Time(base.Add(20 * time.Second)), Value: aws.Float64(30), Unit: cwtypes.StandardUnitMilliseconds},
			{MetricName: aws.String("Latency"), Dimensions: dims, Timestamp: aws.Time(base.Add(70 * time.Second)),
				StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(100), Minimum: aws.Float64(5), Maximum: aws.Float64(60)}, Unit: cwtypes.StandardUnitMilliseconds},
			{MetricName: aws.String("Latency"), Dimensions: dims, Timestamp: aws.Time(base.Add(130 * time.Second)),
				Values: []float64{1, 2}, Counts: []float64{3, 1}, Unit: cwtypes.StandardUnitMilliseconds},
			{MetricName: aws.String("Latency"), Timestamp: aws.Time(base.Add(10 * time.Second)), Value: aws.Float64(999)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	stats, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("App/Orders"), MetricName: aws.String("Latency"), Dimensions: dims,
		StartTime: aws.Time(base), EndTime: aws.Time(base.Add(5 * time.Minute)), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticAverage, cwtypes.StatisticMinimum, cwtypes.StatisticMaximum, cwtypes.StatisticSampleCount},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range stats.Datapoints {
		got = append(got, d.Timestamp.UTC().Format("15:04")+" "+string(d.Unit)+" "+
			fmtFloats(aws.ToFloat64(d.Sum), aws.ToFloat64(d.Average), aws.ToFloat64(d.Minimum), aws.ToFloat64(d.Maximum), aws.ToFloat64(d.SampleCount)))
	}
	m := func(d time.Duration) string { return base.Add(d).Format("15:04") }
	want := []string{
		m(0) + " Milliseconds 40 20 10 30 2",
		m(time.Minute) + " Milliseconds 100 25 5 60 4",
		m(2*time.Minute) + " Milliseconds 5 1.25 1 2 4",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || aws.ToString(stats.Label) != "Latency" {
		t.Errorf("GetMetricStatistics %q:\n%s\nwant:\n%s", aws.ToString(stats.Label), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	query := func(scan cwtypes.ScanBy, max int32, token *string) *cloudwatch.GetMetricDataOutput {
		t.Helper()
		out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(base), EndTime: aws.Time(base.Add(5 * time.Minute)), ScanBy: scan, MaxDatapoints: aws.Int32(max), NextToken: token,
			MetricDataQueries: []cwtypes.MetricDataQuery{
				{Id: aws.String("sum"), MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("App/Orders"), MetricName: aws.String("Latency"), Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
				{Id: aws.String("all"), Label: aws.String("without dimensions"), MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("App/Orders"), MetricName: aws.String("Latency")}, Period: aws.Int32(300), Stat: aws.String("Maximum")}},
				{Id: aws.String("hidden"), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("App/Orders"), MetricName: aws.String("Latency")}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	results := func(out *cloudwatch.GetMetricDataOutput) string {
		var lines []string
		for _, r := range out.MetricDataResults {
			var pts []string
			for i := range r.Timestamps {
				pts = append(pts, r.Timestamps[i].UTC().Format("15:04")+"="+fmtFloats(r.Values[i]))
			}
			lines = append(lines, aws.ToString(r.Id)+" "+aws.ToString(r.Label)+" "+string(r.StatusCode)+" "+strings.Join(pts, ","))
		}
		return strings.Join(lines, "\n")
	}
	out := query(cwtypes.ScanByTimestampAscending, 100, nil)
	if got, want := results(out), "sum Latency Complete "+m(0)+"=40,"+m(time.Minute)+"=100,"+m(2*time.Minute)+"=5\n"+
		"all without dimensions Complete "+m(0)+"=999"; got != want || out.NextToken != nil {
		t.Errorf("GetMetricData ascending:\n%s\nwant:\n%s (token %v)", got, want, out.NextToken)
	}
	// Newest first, two points a page.
	out = query(cwtypes.ScanByTimestampDescending, 2, nil)
	if got, want := results(out), "sum Latency PartialData "+m(2*time.Minute)+"=5,"+m(time.Minute)+"=100\nall without dimensions PartialData "; got != want || out.NextToken == nil {
		t.Fatalf("GetMetricData page 1:\n%s\nwant:\n%s (token %v)", got, want, out.NextToken)
	}
	out = query(cwtypes.ScanByTimestampDescending, 2, out.NextToken)
	if got, want := results(out), "sum Latency Complete "+m(0)+"=40\nall without dimensions Complete "+m(0)+"=999"; got != want || out.NextToken != nil {
		t.Errorf("GetMetricData page 2:\n%s\nwant:\n%s (token %v)", got, want, out.NextToken)
	}

	list, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("App/Orders"), Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("Shop")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Metrics) != 1 || aws.ToString(list.Metrics[0].MetricName) != "Latency" || len(list.Metrics[0].Dimensions) != 1 ||
		aws.ToString(list.Metrics[0].Dimensions[0].Value) != "north" {
		t.Errorf("ListMetrics by dimension: %+v", list.Metrics)
	}
	list, err = cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("App/Orders")})
	if err != nil || len(list.Metrics) != 2 {
		t.Errorf("ListMetrics of the namespace: %+v, %v", list, err)
	}
}

// fmtFloats writes numbers in their shortest form, space separated.
func fmtFloats(vs ...float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, " ")
}

// TestCloudWatchErrors: bad input gets CloudWatch's query error codes
// through the SDK, and stores nothing.
func TestCloudWatchErrors(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(srv.RootConfig())
	now := time.Now()
	datum := func(f func(d *cwtypes.MetricDatum)) []cwtypes.MetricDatum {
		d := cwtypes.MetricDatum{MetricName: aws.String("M"), Value: aws.Float64(1)}
		if f != nil {
			f(&d)
		}
		return []cwtypes.MetricDatum{d}
	}
	for _, c := range []struct {
		name, code, message string
		call                func() error
	}{
		{"reserved namespace", "InvalidParameterValue", "The value AWS/Lambda for parameter Namespace is invalid.", func() error {
			_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Lambda"), MetricData: datum(nil)})
			return err
		}},
		{"value and statistics", "InvalidParameterCombination", "", func() error {
			_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: datum(func(d *cwtypes.MetricDatum) {
				d.StatisticValues = &cwtypes.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(1), Maximum: aws.Float64(1)}
			})})
			return err
		}},
		{"old timestamp", "InvalidParameterValue", "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.", func() error {
			_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: datum(func(d *cwtypes.MetricDatum) {
				d.Timestamp = aws.Time(now.Add(-15 * 24 * time.Hour))
			})})
			return err
		}},
		{"no statistics", "MissingParameter", "", func() error {
			_, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("M"),
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60)})
			return err
		}},
		{"percentile", "InvalidParameterValue", "", func() error {
			_, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("M"),
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60), ExtendedStatistics: []string{"p99"}})
			return err
		}},
		{"too many datapoints", "InvalidParameterCombination", "You have requested up to 1,441 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", func() error {
			start := now.Truncate(time.Minute).Add(-1441 * time.Minute)
			_, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("M"),
				StartTime: aws.Time(start), EndTime: aws.Time(start.Add(1441 * time.Minute)), Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
			return err
		}},
		{"bad period", "InvalidParameterValue", "", func() error {
			_, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("M"),
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(61), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
			return err
		}},
		{"metric math", "InvalidParameterValue", "", func() error {
			_, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("SUM(METRICS())")}}})
			return err
		}},
		{"bad query id", "InvalidParameterValue", "The value Bad for parameter MetricDataQueries.member.1.Id is invalid.", func() error {
			_, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("Bad"), MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("App"), MetricName: aws.String("M")}, Period: aws.Int32(60), Stat: aws.String("Sum")}}}})
			return err
		}},
		{"bad token", "InvalidNextToken", "", func() error {
			_, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{NextToken: aws.String("nope")})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := apiError(t, c.call(), c.code)
			if c.message != "" && msg != c.message {
				t.Errorf("message %q, want %q", msg, c.message)
			}
		})
	}
	list, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
	if err != nil || len(list.Metrics) != 0 {
		t.Errorf("metrics after refused requests: %+v, %v", list, err)
	}
}

// TestCloudWatchAccessDenied: a user allowed to publish to one namespace
// (cloudwatch:namespace) may not publish to another nor read.
func TestCloudWatchAccessDenied(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	cfg := s.user(t, "publisher", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudwatch:PutMetricData","Resource":"*",
		"Condition":{"StringEquals":{"cloudwatch:namespace":"Team/A"}}}]}`)
	cw := cloudwatch.NewFromConfig(cfg)
	put := func(ns string) error {
		_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1)}}})
		return err
	}
	if err := put("Team/A"); err != nil {
		t.Fatalf("PutMetricData to the allowed namespace: %v", err)
	}
	msg := apiError(t, put("Team/B"), "AccessDenied")
	if want := "User: arn:aws:iam::" + account + ":user/publisher is not authorized to perform: cloudwatch:PutMetricData"; !strings.HasPrefix(msg, want) {
		t.Errorf("denial %q, want %q...", msg, want)
	}
	_, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
	apiError(t, err, "AccessDenied")
	_, err = cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now()),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("Team/A"), MetricName: aws.String("M")}, Period: aws.Int32(60), Stat: aws.String("Sum")}}}})
	apiError(t, err, "AccessDenied")
}

// failingZip is a Python deployment package whose handler raises when the
// event has "fail".
func failingZip(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("handler.py")
	if err == nil {
		_, err = io.WriteString(w, "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('asked to fail')\n    return {'ok': True}\n")
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLambdaPublishesMetrics: each invocation of a function publishes
// AWS/Lambda Invocations, Errors, Duration and ConcurrentExecutions under
// FunctionName, and under FunctionName and Resource for a qualified
// invocation; a throttled one publishes Throttles only. The console's
// GetMetricData reads them.
func TestLambdaPublishesMetrics(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "metered", lambdaTrust, basicExecRole)
	s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String("metered"), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: failingZip(t)}, Publish: true})
	start := time.Now().Add(-time.Minute)
	if out, err := invoke(s.lambda, "metered", map[string]any{}); err != nil || out.FunctionError != nil {
		t.Fatalf("invoke: %v", err)
	}
	if out, err := invoke(s.lambda, "metered", map[string]any{"fail": true}, func(in *lambda.InvokeInput) { in.Qualifier = aws.String("1") }); err != nil || out.FunctionError == nil {
		t.Fatalf("failing invoke: %+v, %v", out, err)
	}
	// With no concurrency reserved, the next invocation is throttled.
	if _, err := s.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("metered"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	_, err := invoke(s.lambda, "metered", map[string]any{})
	apiError(t, err, "TooManyRequestsException")
	cw := cloudwatch.NewFromConfig(s.srv.RootConfig())
	fn := []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("metered")}}
	res := append(fn, cwtypes.Dimension{Name: aws.String("Resource"), Value: aws.String("metered:1")})
	stat := func(id, name, stat string, dims []cwtypes.Dimension) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(name), Dimensions: dims}, Period: aws.Int32(3600), Stat: aws.String(stat)}}
	}
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			stat("invocations", "Invocations", "Sum", fn), stat("errors", "Errors", "Sum", fn),
			stat("durations", "Duration", "SampleCount", fn), stat("longest", "Duration", "Maximum", fn),
			stat("qualified", "Invocations", "Sum", res), stat("qualifiederrors", "Errors", "Sum", res),
			stat("concurrent", "ConcurrentExecutions", "Maximum", fn), stat("throttles", "Throttles", "Sum", fn),
		}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range out.MetricDataResults {
		var sum float64
		for _, v := range r.Values {
			sum += v
		}
		got[aws.ToString(r.Id)] = sum
	}
	for id, want := range map[string]float64{"invocations": 2, "errors": 1, "durations": 2, "qualified": 1, "qualifiederrors": 1, "throttles": 1} {
		if got[id] != want {
			t.Errorf("%s = %v, want %v (all: %v)", id, got[id], want, got)
		}
	}
	if got["longest"] <= 0 || got["concurrent"] < 1 {
		t.Errorf("Duration Maximum %v ms, ConcurrentExecutions %v", got["longest"], got["concurrent"])
	}
	stats, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Duration"),
		Dimensions: fn, StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)), Period: aws.Int32(3600),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSampleCount}})
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, d := range stats.Datapoints {
		if d.Unit != cwtypes.StandardUnitMilliseconds {
			t.Errorf("Duration unit %s", d.Unit)
		}
		n += aws.ToFloat64(d.SampleCount)
	}
	if n != 2 {
		t.Errorf("Duration samples %v, want 2", n)
	}
	list, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations")})
	if err != nil || len(list.Metrics) != 2 {
		t.Errorf("ListMetrics Invocations: %+v, %v", list, err)
	}
}

// TestNodesShareMetrics: on one PostgreSQL database, the points one node
// stores, and the AWS/Lambda metrics its Publisher writes in the
// background, are read on another.
func TestNodesShareMetrics(t *testing.T) {
	nodes := servertest.Nodes(t, 2)
	ctx := context.Background()
	a := lambdaSuiteOn(nodes[0])
	cwB := cloudwatch.NewFromConfig(nodes[1].RootConfig())
	if _, err := cloudwatch.NewFromConfig(nodes[0].RootConfig()).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Shared"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Jobs"), Value: aws.Float64(7)}}}); err != nil {
		t.Fatal(err)
	}
	list, err := cwB.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Shared")})
	if err != nil || len(list.Metrics) != 1 {
		t.Fatalf("node B lists %+v, %v", list, err)
	}

	role := a.role(t, "shared-metrics", lambdaTrust, basicExecRole)
	a.create(t, pythonFunction(t, "shared-metrics", role))
	start := time.Now().Add(-time.Minute)
	if _, err := invoke(a.lambda, "shared-metrics", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	within(t, pollTimeout, "node A's invocation on node B", func() error {
		out, err := cwB.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("shared-metrics")}},
			StartTime:  aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)), Period: aws.Int32(3600), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
		if err != nil {
			return err
		}
		var n float64
		for _, d := range out.Datapoints {
			n += aws.ToFloat64(d.Sum)
		}
		if n != 1 {
			return fmt.Errorf("Invocations %v", n)
		}
		return nil
	})
}
