package cloudwatch

import (
	"fmt"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// GetMetricStatisticsInput is GetMetricStatistics' request.
type GetMetricStatisticsInput struct {
	Namespace          string
	MetricName         string
	Dimensions         []Dimension
	StartTime          time.Time `query:"-"`
	StartTimeText      string    `query:"StartTime" json:"-"`
	EndTime            time.Time `query:"-"`
	EndTimeText        string    `query:"EndTime" json:"-"`
	Period             *int
	Statistics         []string
	ExtendedStatistics []string
	Unit               string
}

// GetMetricStatisticsOutput is GetMetricStatistics' answer.
type GetMetricStatisticsOutput struct {
	Label      string      `json:"Label" xml:"Label"`
	Datapoints []Datapoint `json:"Datapoints" xml:"Datapoints>member"`
}

// Datapoint is one period's statistics; only those asked for are set.
type Datapoint struct {
	Timestamp   time.Time `json:"Timestamp" xml:"Timestamp"`
	SampleCount *float64  `json:"SampleCount,omitempty" xml:"SampleCount,omitempty"`
	Average     *float64  `json:"Average,omitempty" xml:"Average,omitempty"`
	Sum         *float64  `json:"Sum,omitempty" xml:"Sum,omitempty"`
	Minimum     *float64  `json:"Minimum,omitempty" xml:"Minimum,omitempty"`
	Maximum     *float64  `json:"Maximum,omitempty" xml:"Maximum,omitempty"`
	Unit        string    `json:"Unit" xml:"Unit"`
}

// statistic is one of the statistics rolecall computes: its value from a
// period's aggregate, and the member of a Datapoint that carries it.
type statistic struct {
	value func(s store.MetricStats) float64
	field func(dp *Datapoint) **float64
}

// statistics are the statistics rolecall computes, by name. Percentiles
// and the other extended statistics need the raw values, which are not
// kept: they are refused.
var statistics = map[string]statistic{
	"SampleCount": {func(s store.MetricStats) float64 { return s.SampleCount }, func(dp *Datapoint) **float64 { return &dp.SampleCount }},
	"Average":     {func(s store.MetricStats) float64 { return s.Sum / s.SampleCount }, func(dp *Datapoint) **float64 { return &dp.Average }},
	"Sum":         {func(s store.MetricStats) float64 { return s.Sum }, func(dp *Datapoint) **float64 { return &dp.Sum }},
	"Minimum":     {func(s store.MetricStats) float64 { return s.Minimum }, func(dp *Datapoint) **float64 { return &dp.Minimum }},
	"Maximum":     {func(s store.MetricStats) float64 { return s.Maximum }, func(dp *Datapoint) **float64 { return &dp.Maximum }},
}

// maxDatapoints is how many data points GetMetricStatistics answers.
const maxDatapoints = 1440

// statisticsRequest is a checked GetMetricStatistics request.
type statisticsRequest struct {
	query store.MetricQuery
	stats []string
}

// checkPeriod checks a period in seconds: 1, 5, 10, 20, 30 or a multiple
// of 60.
func checkPeriod(param string, p *int) (time.Duration, error) {
	if p == nil {
		return 0, errMissing(param)
	}
	switch n := *p; {
	case n <= 0:
		return 0, errInvalid("The parameter %s must be greater than 0.", param)
	case n%60 == 0, n == 1, n == 5, n == 10, n == 20, n == 30:
		return time.Duration(n) * time.Second, nil
	default:
		return 0, errInvalid("The parameter %s must be 1, 5, 10, 20, 30, or a multiple of 60.", param)
	}
}

// timeRange checks StartTime and EndTime and aligns the start to the
// period, as CloudWatch aligns data points to the clock.
func timeRange(start, end time.Time, startText, endText string, period time.Duration) (time.Time, time.Time, error) {
	s, err := timeParam("StartTime", start, startText)
	if err != nil {
		return s, s, err
	}
	e, err := timeParam("EndTime", end, endText)
	if err != nil {
		return s, e, err
	}
	switch {
	case s.IsZero():
		return s, e, errMissing("StartTime")
	case e.IsZero():
		return s, e, errMissing("EndTime")
	case !s.Before(e):
		return s, e, errInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	return s.UTC().Truncate(period), e.UTC(), nil
}

func (cw *CloudWatch) readStatistics(c *api.Call) (*statisticsRequest, error) {
	var in GetMetricStatisticsInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkName("Namespace", in.Namespace, 255); err != nil {
		return nil, err
	}
	if err := checkName("MetricName", in.MetricName, 255); err != nil {
		return nil, err
	}
	dims, err := readDimensions("Dimensions", in.Dimensions)
	if err != nil {
		return nil, err
	}
	period, err := checkPeriod("Period", in.Period)
	if err != nil {
		return nil, err
	}
	start, end, err := timeRange(in.StartTime, in.EndTime, in.StartTimeText, in.EndTimeText, period)
	if err != nil {
		return nil, err
	}
	if err := checkUnit("Unit", in.Unit); err != nil {
		return nil, err
	}
	switch {
	case len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0:
		return nil, errMissing("Statistics or ExtendedStatistics")
	case len(in.Statistics) > 5:
		return nil, errInvalid("The collection Statistics must not have a size greater than 5.")
	case len(in.ExtendedStatistics) > 0:
		return nil, errInvalid("The value %s for parameter ExtendedStatistics.member.1 is not supported: this endpoint computes SampleCount, Average, Sum, Minimum and Maximum only.", in.ExtendedStatistics[0])
	}
	for i, s := range in.Statistics {
		if _, ok := statistics[s]; !ok {
			return nil, errInvalidParam(fmt.Sprintf("Statistics.member.%d", i+1), s)
		}
	}
	if n := (end.Sub(start) + period - 1) / period; n > maxDatapoints {
		return nil, errCombination("You have requested up to %s datapoints, which exceeds the limit of %s. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
			thousands(int64(n)), thousands(maxDatapoints))
	}
	return &statisticsRequest{
		query: store.MetricQuery{
			MetricID: store.MetricID{Account: c.Account, Region: c.Region, Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: dims},
			Unit:     in.Unit, Start: start, End: end, Period: period,
		},
		stats: in.Statistics,
	}, nil
}

// thousands writes n with comma separators ("1,441").
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (cw *CloudWatch) getMetricStatistics(c *api.Call) (any, error) {
	req, err := cw.readStatistics(c)
	if err != nil {
		return nil, err
	}
	if err := cw.flush(c); err != nil {
		return nil, err
	}
	found, err := cw.cfg.Metrics.MetricStatistics(c.Context, cw.retained(req.query))
	if err != nil {
		return nil, fmt.Errorf("cloudwatch: %w", err)
	}
	out := &GetMetricStatisticsOutput{Label: req.query.MetricName, Datapoints: []Datapoint{}}
	for _, s := range found {
		dp := Datapoint{Timestamp: s.Time, Unit: s.Unit}
		for _, name := range req.stats {
			v := statistics[name].value(s)
			*statistics[name].field(&dp) = &v
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	return out, nil
}

// retained narrows q to the points still kept (store.MetricRetention),
// in whole periods so that they stay aligned.
func (cw *CloudWatch) retained(q store.MetricQuery) store.MetricQuery {
	if skip := cw.cfg.Now().Add(-store.MetricRetention).Sub(q.Start) / q.Period; skip > 0 {
		q.Start = q.Start.Add(skip * q.Period)
	}
	return q
}
