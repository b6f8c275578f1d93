package cloudwatch

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// PutMetricDataInput is PutMetricData's request.
type PutMetricDataInput struct {
	Namespace  string
	MetricData []MetricDatum
	// EntityMetricData (metrics tied to an entity) is refused: rolecall
	// keeps no entities.
	EntityMetricData       []map[string]any `query:"-"`
	StrictEntityValidation *bool
}

// MetricDatum is one metric's data in PutMetricData: a Value, a
// StatisticValues set, or Values each published Counts times.
type MetricDatum struct {
	MetricName        string
	Dimensions        []Dimension
	Timestamp         time.Time `query:"-"`
	TimestampText     string    `query:"Timestamp" json:"-"`
	Value             *float64
	StatisticValues   *StatisticSet
	Values            []float64
	Counts            []float64
	Unit              string
	StorageResolution *int
}

// StatisticSet is a set of data points published as their statistics.
type StatisticSet struct {
	SampleCount *float64
	Sum         *float64
	Minimum     *float64
	Maximum     *float64
}

// Limits of PutMetricData.
const (
	maxMetricData = 1000
	maxValues     = 150
	// Timestamps may be up to two weeks old and up to two hours ahead.
	maxAge    = 14 * 24 * time.Hour
	maxAhead  = 2 * time.Hour
	maxNumber = 1e108 // about 2^360, CloudWatch's bound on a value's magnitude
)

// readPut decodes and checks a PutMetricData request and returns its points.
func (cw *CloudWatch) readPut(c *api.Call) ([]store.MetricDatum, error) {
	var in PutMetricDataInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkName("Namespace", in.Namespace, 255); err != nil {
		return nil, err
	}
	if strings.HasPrefix(in.Namespace, "AWS/") || strings.HasPrefix(in.Namespace, ":") {
		return nil, errInvalidParam("Namespace", in.Namespace)
	}
	if len(in.EntityMetricData) > 0 || hasParams(c.Params, "EntityMetricData") {
		return nil, errInvalid("The parameter EntityMetricData is not supported: this endpoint keeps no entities.")
	}
	if len(in.MetricData) == 0 {
		return nil, errMissing("MetricData")
	}
	if len(in.MetricData) > maxMetricData {
		return nil, errInvalid("The collection MetricData must not have a size greater than %d.", maxMetricData)
	}
	now := cw.cfg.Now()
	var out []store.MetricDatum
	for i, d := range in.MetricData {
		p := fmt.Sprintf("MetricData.member.%d", i+1)
		m, err := readDatum(p, d, now)
		if err != nil {
			return nil, err
		}
		m.Account, m.Region, m.Namespace = c.Account, c.Region, in.Namespace
		out = append(out, m)
	}
	return out, nil
}

// readDatum checks one MetricDatum (parameter p) and sums it into one point.
func readDatum(p string, d MetricDatum, now time.Time) (store.MetricDatum, error) {
	var m store.MetricDatum
	if err := checkName(p+".MetricName", d.MetricName, 255); err != nil {
		return m, err
	}
	dims, err := readDimensions(p+".Dimensions", d.Dimensions)
	if err != nil {
		return m, err
	}
	if err := checkUnit(p+".Unit", d.Unit); err != nil {
		return m, err
	}
	if r := d.StorageResolution; r != nil && *r != 1 && *r != 60 {
		return m, errInvalidParam(p+".StorageResolution", fmt.Sprint(*r))
	}
	at, err := timeParam(p+".Timestamp", d.Timestamp, d.TimestampText)
	if err != nil {
		return m, err
	}
	switch {
	case at.IsZero():
		at = now
	case at.Before(now.Add(-maxAge)):
		return m, errInvalid("The parameter %s.Timestamp must specify a time within the past two weeks.", p)
	case at.After(now.Add(maxAhead)):
		return m, errInvalid("The parameter %s.Timestamp must specify a time no more than two hours in the future.", p)
	}
	given := 0
	for _, set := range []bool{d.Value != nil, d.StatisticValues != nil, d.Values != nil} {
		if set {
			given++
		}
	}
	switch {
	case given > 1:
		return m, errCombination("The parameters %[1]s.Value, %[1]s.StatisticValues and %[1]s.Values are mutually exclusive and you have specified more than one.", p)
	case given == 0:
		return m, errCombination("At least one of the parameters %[1]s.Value, %[1]s.StatisticValues or %[1]s.Values must be specified.", p)
	case d.Counts != nil && d.Values == nil:
		return m, errCombination("The parameter %[1]s.Counts requires %[1]s.Values.", p)
	}
	m.MetricID = store.MetricID{MetricName: d.MetricName, Dimensions: dims}
	m.Time, m.Unit = at.UTC().Truncate(time.Millisecond), d.Unit
	if m.Unit == "" {
		m.Unit = "None"
	}
	switch {
	case d.Value != nil:
		v := *d.Value
		if err := checkNumber(p+".Value", v); err != nil {
			return m, err
		}
		m.Sum, m.Minimum, m.Maximum, m.SampleCount = v, v, v, 1
	case d.StatisticValues != nil:
		s := d.StatisticValues
		for _, f := range []struct {
			name string
			v    *float64
		}{{"SampleCount", s.SampleCount}, {"Sum", s.Sum}, {"Minimum", s.Minimum}, {"Maximum", s.Maximum}} {
			if f.v == nil {
				return m, errMissing(p + ".StatisticValues." + f.name)
			}
			if err := checkNumber(p+".StatisticValues."+f.name, *f.v); err != nil {
				return m, err
			}
		}
		if *s.SampleCount <= 0 || *s.Minimum > *s.Maximum {
			return m, errInvalid("The parameter %s.StatisticValues is invalid: SampleCount must be positive and Minimum no greater than Maximum.", p)
		}
		m.Sum, m.Minimum, m.Maximum, m.SampleCount = *s.Sum, *s.Minimum, *s.Maximum, *s.SampleCount
	default:
		if err := sumValues(p, d.Values, d.Counts, &m); err != nil {
			return m, err
		}
	}
	return m, nil
}

// sumValues folds Values, each counted Counts times (once when Counts is
// absent), into m's statistics.
func sumValues(p string, values, counts []float64, m *store.MetricDatum) error {
	switch {
	case len(values) == 0:
		return errMissing(p + ".Values")
	case len(values) > maxValues:
		return errInvalid("The collection %s.Values must not have a size greater than %d.", p, maxValues)
	case counts != nil && len(counts) != len(values):
		return errCombination("The parameters %[1]s.Values and %[1]s.Counts must be of the same size.", p)
	}
	m.Minimum, m.Maximum = math.Inf(1), math.Inf(-1)
	for i, v := range values {
		if err := checkNumber(fmt.Sprintf("%s.Values.member.%d", p, i+1), v); err != nil {
			return err
		}
		n := 1.0
		if counts != nil {
			n = counts[i]
			if err := checkNumber(fmt.Sprintf("%s.Counts.member.%d", p, i+1), n); err != nil {
				return err
			}
			if n <= 0 {
				return errInvalidParam(fmt.Sprintf("%s.Counts.member.%d", p, i+1), fmt.Sprint(n))
			}
		}
		m.Sum += v * n
		m.SampleCount += n
		m.Minimum, m.Maximum = min(m.Minimum, v), max(m.Maximum, v)
	}
	return nil
}

// checkNumber refuses what CloudWatch cannot store: NaN, infinities and
// magnitudes over 2^360.
func checkNumber(param string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxNumber {
		return errInvalidParam(param, fmt.Sprint(v))
	}
	return nil
}

func (cw *CloudWatch) putMetricData(c *api.Call) (any, error) {
	points, err := cw.readPut(c)
	if err != nil {
		return nil, err
	}
	if err := cw.cfg.Metrics.PutMetricData(c.Context, points); err != nil {
		return nil, fmt.Errorf("cloudwatch: %w", err)
	}
	if cw.cfg.Publisher != nil {
		cw.cfg.Publisher.prune(c.Context)
	}
	return nil, nil
}
