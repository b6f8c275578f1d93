// Package cloudwatch implements Amazon CloudWatch's metrics (API version
// 2010-08-01, signing name "monitoring"): PutMetricData,
// GetMetricStatistics, GetMetricData and ListMetrics, over the query
// protocol (the AWS CLI) and Smithy RPC v2 CBOR (newer AWS SDKs), with
// CloudWatch's query error codes in both. Data points live in the store
// (store.Metrics), shared by every node on one database, for
// store.MetricRetention; Lambda publishes its AWS/Lambda metrics through a
// Publisher.
package cloudwatch

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Wire identity of the service.
const (
	// Namespace is the XML namespace of query responses.
	Namespace = "http://monitoring.amazonaws.com/doc/2010-08-01/"
	// APIVersion is the query protocol's Version.
	APIVersion = "2010-08-01"
	// ServiceShape is the service's Smithy shape name, which names it in
	// RPC v2 CBOR request paths.
	ServiceShape = "GraniteServiceVersion20100801"
)

// Config configures CloudWatch.
type Config struct {
	// Metrics keeps the data points.
	Metrics store.Metrics
	// Publisher, when set, is flushed before each read, so that a read
	// sees the points this node published before it.
	Publisher *Publisher
	// Now tells the time; nil means time.Now.
	Now func() time.Time
}

// CloudWatch is the metrics service.
type CloudWatch struct {
	cfg Config
}

// New returns CloudWatch.
func New(cfg Config) *CloudWatch {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &CloudWatch{cfg: cfg}
}

// Error codes: the model's error shapes, and the query codes clients see
// (awsQueryCompatible).
var queryCodes = map[string]string{
	codeInvalidValue:       "InvalidParameterValue",
	codeMissing:            "MissingParameter",
	codeCombination:        "InvalidParameterCombination",
	"InternalServiceFault": "InternalServiceError",
}

const (
	codeInvalidValue = "InvalidParameterValueException"
	codeMissing      = "MissingRequiredParameterException"
	codeCombination  = "InvalidParameterCombinationException"
	codeInvalidToken = "InvalidNextToken"
)

func errInvalid(format string, args ...any) *api.Error {
	return api.Errorf(400, codeInvalidValue, format, args...)
}

// errInvalidParam is CloudWatch's refusal of a parameter's value.
func errInvalidParam(param, value string) *api.Error {
	return errInvalid("The value %s for parameter %s is invalid.", value, param)
}

func errMissing(param string) *api.Error {
	return api.Errorf(400, codeMissing, "The parameter %s is required.", param)
}

func errCombination(format string, args ...any) *api.Error {
	return api.Errorf(400, codeCombination, format, args...)
}

// Service returns the operation table. Every action is authorized on
// resource "*"; PutMetricData adds the condition key cloudwatch:namespace.
func (cw *CloudWatch) Service() *api.Service {
	return api.NewService(api.Service{
		Name:            "monitoring",
		EventSource:     "monitoring.amazonaws.com",
		Protocols:       []string{"awsQuery", "smithyRpcv2Cbor"},
		APIVersion:      APIVersion,
		XMLNamespace:    Namespace,
		TargetPrefix:    ServiceShape,
		QueryCompatible: true,
		QueryCodes:      queryCodes,
		Validate:        cw.validate,
	}, []*api.Operation{
		{Name: "PutMetricData", Action: "cloudwatch:PutMetricData", Conditions: namespaceCondition, Handle: cw.putMetricData},
		{Name: "GetMetricStatistics", Action: "cloudwatch:GetMetricStatistics", ReadOnly: true, Handle: cw.getMetricStatistics},
		{Name: "GetMetricData", Action: "cloudwatch:GetMetricData", ReadOnly: true, Handle: cw.getMetricData},
		{Name: "ListMetrics", Action: "cloudwatch:ListMetrics", ReadOnly: true, Handle: cw.listMetrics},
	}...)
}

// validate checks a request's input before it is authorized, as
// CloudWatch does: a refused request changes nothing and needs no
// permission to be refused.
func (cw *CloudWatch) validate(c *api.Call) *api.Error {
	var err error
	switch c.OperationName {
	case "PutMetricData":
		_, err = cw.readPut(c)
	case "GetMetricStatistics":
		_, err = cw.readStatistics(c)
	case "GetMetricData":
		_, err = cw.readData(c)
	case "ListMetrics":
		_, err = cw.readList(c)
	}
	if ae, ok := err.(*api.Error); ok {
		return ae
	}
	// Other failures (a body that cannot be read) are the handler's.
	return nil
}

// namespaceCondition sets cloudwatch:namespace, the namespace a
// PutMetricData request publishes to.
func namespaceCondition(c *api.Call, _ api.Resource, keys api.Keys) {
	var in struct{ Namespace string }
	if err := c.Decode(&in); err == nil && in.Namespace != "" {
		keys.Set("cloudwatch:namespace", in.Namespace)
	}
}

// timeParam is a timestamp member: read from the query protocol's ISO 8601
// text (Text) or CBOR's epoch time (Time).
func timeParam(name string, t time.Time, text string) (time.Time, error) {
	if text == "" {
		return t, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if v, err := time.Parse(layout, text); err == nil {
			return v, nil
		}
	}
	return time.Time{}, errInvalidParam(name, text)
}

// hasParams reports whether a query request has a parameter under name
// ("EntityMetricData.member.1...").
func hasParams(params url.Values, name string) bool {
	for k := range params {
		if k == name || strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
}

// checkName checks a namespace, metric name or dimension part: 1 to max
// characters of printable ASCII.
func checkName(param, v string, max int) error {
	if v == "" {
		return errMissing(param)
	}
	if len(v) > max {
		return errInvalid("The parameter %s must be shorter than %d characters.", param, max+1)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return errInvalidParam(param, v)
		}
	}
	if strings.TrimSpace(v) == "" {
		return errInvalidParam(param, v)
	}
	return nil
}

// Dimension is a dimension of a metric, in requests and answers.
type Dimension struct {
	Name  string `json:"Name" xml:"Name"`
	Value string `json:"Value" xml:"Value"`
}

// maxDimensions is how many dimensions a metric may have.
const maxDimensions = 30

// readDimensions checks a metric's dimensions and returns them sorted.
// prefix names the parameter in errors ("Dimensions",
// "MetricData.member.1.Dimensions").
func readDimensions(prefix string, in []Dimension) ([]store.Dimension, error) {
	if len(in) > maxDimensions {
		return nil, errInvalid("The collection %s must not have a size greater than %d.", prefix, maxDimensions)
	}
	out := make([]store.Dimension, 0, len(in))
	seen := map[string]bool{}
	for i, d := range in {
		p := fmt.Sprintf("%s.member.%d", prefix, i+1)
		if err := checkName(p+".Name", d.Name, 255); err != nil {
			return nil, err
		}
		if err := checkName(p+".Value", d.Value, 1024); err != nil {
			return nil, err
		}
		if seen[d.Name] {
			return nil, errInvalid("No metric may have more than one dimension named %s.", d.Name)
		}
		seen[d.Name] = true
		out = append(out, store.Dimension{Name: d.Name, Value: d.Value})
	}
	return store.SortDimensions(out), nil
}

func wireDimensions(ds []store.Dimension) []Dimension {
	out := make([]Dimension, len(ds))
	for i, d := range ds {
		out[i] = Dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

// standardUnits are CloudWatch's StandardUnit values.
var standardUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true,
	"Kilobytes": true, "Megabytes": true, "Gigabytes": true, "Terabytes": true,
	"Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true,
	"Terabits": true, "Percent": true, "Count": true, "Bytes/Second": true,
	"Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true, "Terabytes/Second": true,
	"Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true, "Gigabits/Second": true,
	"Terabits/Second": true, "Count/Second": true, "None": true,
}

func checkUnit(param, unit string) error {
	if unit != "" && !standardUnits[unit] {
		return errInvalidParam(param, unit)
	}
	return nil
}

// flush writes what this node's Publisher holds before a read.
func (cw *CloudWatch) flush(c *api.Call) error {
	if cw.cfg.Publisher == nil {
		return nil
	}
	return cw.cfg.Publisher.Flush(c.Context)
}
