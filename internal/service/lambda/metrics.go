package lambda

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/runtime"
	"github.com/rolecall/rolecall/internal/store"
)

// Metrics takes the data points Lambda publishes to CloudWatch, without
// waiting: an implementation buffers them and writes them in the
// background (cloudwatch.Publisher).
type Metrics interface {
	Put(points ...store.MetricDatum)
}

// metricsNamespace is the CloudWatch namespace of Lambda's metrics.
const metricsNamespace = "AWS/Lambda"

// inflight counts the running invocations of each function, for the
// ConcurrentExecutions metric. The zero value is ready.
type inflight struct {
	mu sync.Mutex
	n  map[string]int
}

// start counts an invocation of the function key names and returns how
// many now run.
func (f *inflight) start(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[key]++
	return f.n[key]
}

func (f *inflight) end(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[key]--; f.n[key] <= 0 {
		delete(f.n, key)
	}
}

// recordMetrics publishes an invocation's AWS/Lambda metrics, as Lambda
// does: Invocations (Count) for each run of the function's code, Errors
// (Count) for a function error (an exception, a timeout, a runtime
// that exits), Duration (Milliseconds) of the run, Throttles (Count) for
// an invocation refused for concurrency, and ConcurrentExecutions (Count,
// read as Maximum) of the function's invocations running at its start.
// Each goes under the dimension FunctionName, and for an invocation of a
// version or alias also under FunctionName and Resource
// ("name:qualifier"). Other failures (the runtime cannot start, the role
// cannot be assumed) are not invocations and count nothing.
func (l *Lambda) recordMetrics(inv *invocation, at time.Time, concurrent int, res *runtime.Result, err error) {
	if l.cfg.Metrics == nil {
		return
	}
	name := inv.cfg.Name
	dims := [][]store.Dimension{{{Name: "FunctionName", Value: name}}}
	if q := qualifierOf(inv.invokedARN); q != "" {
		dims = append(dims, []store.Dimension{{Name: "FunctionName", Value: name}, {Name: "Resource", Value: name + ":" + q}})
	}
	type value struct {
		name, unit string
		v          float64
	}
	var values []value
	var te *runtime.ThrottleError
	switch {
	case errors.As(err, &te):
		values = append(values, value{"Throttles", "Count", 1})
	case err != nil || res == nil:
		return
	default:
		errs := 0.0
		if res.FunctionError != "" {
			errs = 1
		}
		values = append(values,
			value{"Invocations", "Count", 1},
			value{"Errors", "Count", errs},
			value{"Duration", "Milliseconds", float64(res.Duration.Microseconds()) / 1000},
			value{"ConcurrentExecutions", "Count", float64(concurrent)})
	}
	points := make([]store.MetricDatum, 0, len(values)*len(dims))
	for _, d := range dims {
		for _, v := range values {
			points = append(points, store.MetricDatum{
				MetricID: store.MetricID{Account: inv.account, Region: l.cfg.Region, Namespace: metricsNamespace, MetricName: v.name, Dimensions: d},
				Time:     at, Unit: v.unit, Sum: v.v, Minimum: v.v, Maximum: v.v, SampleCount: 1,
			})
		}
	}
	l.cfg.Metrics.Put(points...)
}

// qualifierOf returns the qualifier of a function ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER), or "".
func qualifierOf(arn string) string {
	parts := strings.SplitN(arn, ":", 8)
	if len(parts) == 8 {
		return parts[7]
	}
	return ""
}
