package cloudwatch

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// GetMetricDataInput is GetMetricData's request.
type GetMetricDataInput struct {
	MetricDataQueries []MetricDataQuery
	StartTime         time.Time `query:"-"`
	StartTimeText     string    `query:"StartTime" json:"-"`
	EndTime           time.Time `query:"-"`
	EndTimeText       string    `query:"EndTime" json:"-"`
	NextToken         string
	ScanBy            string
	MaxDatapoints     *int
	LabelOptions      *LabelOptions
}

// MetricDataQuery is one query of GetMetricData: a metric's statistic
// (MetricStat). Metric math (Expression) is refused.
type MetricDataQuery struct {
	Id         string
	MetricStat *MetricStat
	Expression string
	Label      string
	ReturnData *bool
	Period     *int
	AccountId  string
}

// MetricStat is a metric, a period and a statistic.
type MetricStat struct {
	Metric Metric
	Period *int
	Stat   string
	Unit   string
}

// Metric names a metric.
type Metric struct {
	Namespace  string      `json:"Namespace" xml:"Namespace"`
	MetricName string      `json:"MetricName" xml:"MetricName"`
	Dimensions []Dimension `json:"Dimensions" xml:"Dimensions>member"`
}

// LabelOptions sets the time zone of dynamic labels; rolecall's labels
// are the query's Label or the metric's name, which no time zone changes.
type LabelOptions struct {
	Timezone string
}

// GetMetricDataOutput is GetMetricData's answer.
type GetMetricDataOutput struct {
	MetricDataResults []MetricDataResult `json:"MetricDataResults" xml:"MetricDataResults>member"`
	NextToken         string             `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
	Messages          []MessageData      `json:"Messages" xml:"Messages>member"`
}

// MetricDataResult is one query's data points on one page.
type MetricDataResult struct {
	Id         string        `json:"Id" xml:"Id"`
	Label      string        `json:"Label" xml:"Label"`
	Timestamps []time.Time   `json:"Timestamps" xml:"Timestamps>member"`
	Values     []float64     `json:"Values" xml:"Values>member"`
	StatusCode string        `json:"StatusCode" xml:"StatusCode"`
	Messages   []MessageData `json:"Messages" xml:"Messages>member"`
}

// MessageData is a message about a query's results.
type MessageData struct {
	Code  string `json:"Code" xml:"Code"`
	Value string `json:"Value" xml:"Value"`
}

// Limits of GetMetricData.
const (
	maxQueries           = 500
	defaultMaxDatapoints = 100800
)

var (
	reQueryID  = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	reTimezone = regexp.MustCompile(`^[+-](0\d|1[0-4])[0-5]\d$`)
)

// dataQuery is a checked query that returns data.
type dataQuery struct {
	id, label string
	stat      string
	query     store.MetricQuery
}

// dataRequest is a checked GetMetricData request.
type dataRequest struct {
	queries   []dataQuery
	ascending bool
	max       int
	offset    int // data points returned by the pages before
}

func (cw *CloudWatch) readData(c *api.Call) (*dataRequest, error) {
	var in GetMetricDataInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	switch {
	case len(in.MetricDataQueries) == 0:
		return nil, errMissing("MetricDataQueries")
	case len(in.MetricDataQueries) > maxQueries:
		return nil, errInvalid("The collection MetricDataQueries must not have a size greater than %d.", maxQueries)
	}
	req := &dataRequest{max: defaultMaxDatapoints}
	switch in.ScanBy {
	case "", "TimestampDescending":
	case "TimestampAscending":
		req.ascending = true
	default:
		return nil, errInvalidParam("ScanBy", in.ScanBy)
	}
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints <= 0 {
			return nil, errInvalidParam("MaxDatapoints", strconv.Itoa(*in.MaxDatapoints))
		}
		req.max = *in.MaxDatapoints
	}
	if o := in.LabelOptions; o != nil && o.Timezone != "" && !reTimezone.MatchString(o.Timezone) {
		return nil, errInvalidParam("LabelOptions.Timezone", o.Timezone)
	}
	if in.NextToken != "" {
		pos, ok := api.DecodeToken(tokenScope(c), in.NextToken)
		n, err := strconv.Atoi(pos)
		if !ok || err != nil || n < 0 {
			return nil, api.Errorf(400, codeInvalidToken, "The service couldn't process the NextToken.")
		}
		req.offset = n
	}
	seen := map[string]bool{}
	for i, q := range in.MetricDataQueries {
		p := fmt.Sprintf("MetricDataQueries.member.%d", i+1)
		dq, returned, err := readQuery(c, p, q, in)
		if err != nil {
			return nil, err
		}
		if seen[q.Id] {
			return nil, errInvalid("The value %s for parameter %s.Id is used by another query.", q.Id, p)
		}
		seen[q.Id] = true
		if returned {
			req.queries = append(req.queries, dq)
		}
	}
	return req, nil
}

// readQuery checks one MetricDataQuery (parameter p) and reports whether
// its data is returned (ReturnData).
func readQuery(c *api.Call, p string, q MetricDataQuery, in GetMetricDataInput) (dataQuery, bool, error) {
	var dq dataQuery
	switch {
	case q.Id == "":
		return dq, false, errMissing(p + ".Id")
	case len(q.Id) > 255 || !reQueryID.MatchString(q.Id):
		return dq, false, errInvalidParam(p+".Id", q.Id)
	case q.Expression != "" && q.MetricStat != nil:
		return dq, false, errCombination("The parameters %[1]s.MetricStat and %[1]s.Expression are mutually exclusive and you have specified both.", p)
	case q.Expression != "":
		return dq, false, errInvalid("The value %s for parameter %s.Expression is not supported: this endpoint evaluates no metric math.", q.Expression, p)
	case q.MetricStat == nil:
		return dq, false, errMissing(p + ".MetricStat")
	case q.AccountId != "" && q.AccountId != c.Account:
		return dq, false, errInvalid("The value %s for parameter %s.AccountId is not supported: this endpoint reads the caller's account only.", q.AccountId, p)
	}
	ms := q.MetricStat
	if err := checkName(p+".MetricStat.Metric.Namespace", ms.Metric.Namespace, 255); err != nil {
		return dq, false, err
	}
	if err := checkName(p+".MetricStat.Metric.MetricName", ms.Metric.MetricName, 255); err != nil {
		return dq, false, err
	}
	dims, err := readDimensions(p+".MetricStat.Metric.Dimensions", ms.Metric.Dimensions)
	if err != nil {
		return dq, false, err
	}
	if err := checkUnit(p+".MetricStat.Unit", ms.Unit); err != nil {
		return dq, false, err
	}
	switch _, ok := statistics[ms.Stat]; {
	case ms.Stat == "":
		return dq, false, errMissing(p + ".MetricStat.Stat")
	case !ok:
		return dq, false, errInvalid("The value %s for parameter %s.MetricStat.Stat is not supported: this endpoint computes SampleCount, Average, Sum, Minimum and Maximum only.", ms.Stat, p)
	}
	periodParam := p + ".MetricStat.Period"
	periodValue := ms.Period
	if periodValue == nil && q.Period != nil {
		periodParam, periodValue = p+".Period", q.Period
	}
	period, err := checkPeriod(periodParam, periodValue)
	if err != nil {
		return dq, false, err
	}
	start, end, err := timeRange(in.StartTime, in.EndTime, in.StartTimeText, in.EndTimeText, period)
	if err != nil {
		return dq, false, err
	}
	dq = dataQuery{
		id: q.Id, label: q.Label, stat: ms.Stat,
		query: store.MetricQuery{
			MetricID: store.MetricID{Account: c.Account, Region: c.Region, Namespace: ms.Metric.Namespace, MetricName: ms.Metric.MetricName, Dimensions: dims},
			Unit:     ms.Unit, Start: start, End: end, Period: period,
		},
	}
	if dq.label == "" {
		dq.label = ms.Metric.MetricName
	}
	return dq, q.ReturnData == nil || *q.ReturnData, nil
}

// tokenScope ties a NextToken to the caller's account.
func tokenScope(c *api.Call) string { return "monitoring:GetMetricData:" + c.Account }

func (cw *CloudWatch) getMetricData(c *api.Call) (any, error) {
	req, err := cw.readData(c)
	if err != nil {
		return nil, err
	}
	if err := cw.flush(c); err != nil {
		return nil, err
	}
	out := &GetMetricDataOutput{MetricDataResults: []MetricDataResult{}, Messages: []MessageData{}}
	skip, budget, total := req.offset, req.max, 0
	for _, q := range req.queries {
		found, err := cw.cfg.Metrics.MetricStatistics(c.Context, cw.retained(q.query))
		if err != nil {
			return nil, fmt.Errorf("cloudwatch: %w", err)
		}
		times, values := series(found, q.stat)
		if !req.ascending {
			slices.Reverse(times)
			slices.Reverse(values)
		}
		total += len(times)
		from := min(skip, len(times))
		skip -= from
		to := from + min(budget, len(times)-from)
		budget -= to - from
		r := MetricDataResult{Id: q.id, Label: q.label, Timestamps: times[from:to], Values: values[from:to], StatusCode: "Complete", Messages: []MessageData{}}
		if to < len(times) {
			r.StatusCode = "PartialData"
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	if next := req.offset + req.max; next < total {
		out.NextToken = api.EncodeToken(tokenScope(c), strconv.Itoa(next))
	}
	return out, nil
}

// series returns a metric's statistic per period, oldest first, the
// aggregates of every unit of a period combined.
func series(found []store.MetricStats, stat string) ([]time.Time, []float64) {
	var merged []store.MetricStats
	for _, s := range found {
		if n := len(merged); n > 0 && merged[n-1].Time.Equal(s.Time) {
			m := &merged[n-1]
			m.Sum += s.Sum
			m.SampleCount += s.SampleCount
			m.Minimum, m.Maximum = min(m.Minimum, s.Minimum), max(m.Maximum, s.Maximum)
			continue
		}
		merged = append(merged, s)
	}
	times, values := make([]time.Time, len(merged)), make([]float64, len(merged))
	for i, s := range merged {
		times[i], values[i] = s.Time, statistics[stat].value(s)
	}
	return times, values
}
