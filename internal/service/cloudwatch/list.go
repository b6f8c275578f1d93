package cloudwatch

import (
	"fmt"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// ListMetricsInput is ListMetrics' request.
type ListMetricsInput struct {
	Namespace             string
	MetricName            string
	Dimensions            []DimensionFilter
	NextToken             string
	RecentlyActive        string
	IncludeLinkedAccounts *bool
	OwningAccount         string
}

// DimensionFilter selects metrics with a dimension of a name, and of a
// value when Value is set.
type DimensionFilter struct {
	Name  string
	Value string
}

// ListMetricsOutput is ListMetrics' answer.
type ListMetricsOutput struct {
	Metrics   []Metric `json:"Metrics" xml:"Metrics>member"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

// ListMetrics pages and windows: 500 metrics a page, of the metrics with
// data in the last two weeks, or the last three hours for RecentlyActive
// PT3H.
const (
	listPage     = 500
	listWindow   = 14 * 24 * time.Hour
	recentWindow = 3 * time.Hour
	maxFilters   = 10
)

// listRequest is a checked ListMetrics request.
type listRequest struct {
	filter store.MetricFilter
	offset int
}

func (cw *CloudWatch) readList(c *api.Call) (*listRequest, error) {
	var in ListMetricsInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	req := &listRequest{filter: store.MetricFilter{Account: c.Account, Region: c.Region, Namespace: in.Namespace, MetricName: in.MetricName}}
	if in.Namespace != "" {
		if err := checkName("Namespace", in.Namespace, 255); err != nil {
			return nil, err
		}
	}
	if in.MetricName != "" {
		if err := checkName("MetricName", in.MetricName, 255); err != nil {
			return nil, err
		}
	}
	if len(in.Dimensions) > maxFilters {
		return nil, errInvalid("The collection Dimensions must not have a size greater than %d.", maxFilters)
	}
	for i, d := range in.Dimensions {
		p := fmt.Sprintf("Dimensions.member.%d", i+1)
		if err := checkName(p+".Name", d.Name, 255); err != nil {
			return nil, err
		}
		if d.Value != "" {
			if err := checkName(p+".Value", d.Value, 1024); err != nil {
				return nil, err
			}
		}
		req.filter.Dimensions = append(req.filter.Dimensions, store.Dimension{Name: d.Name, Value: d.Value})
	}
	window := listWindow
	switch in.RecentlyActive {
	case "":
	case "PT3H":
		window = recentWindow
	default:
		return nil, errInvalidParam("RecentlyActive", in.RecentlyActive)
	}
	req.filter.Since = cw.cfg.Now().Add(-window)
	if in.OwningAccount != "" && in.OwningAccount != c.Account {
		return nil, errInvalid("The value %s for parameter OwningAccount is not supported: this endpoint lists the caller's account only.", in.OwningAccount)
	}
	if in.NextToken != "" {
		pos, ok := api.DecodeToken(listScope(c), in.NextToken)
		n, err := strconv.Atoi(pos)
		if !ok || err != nil || n < 0 {
			return nil, api.Errorf(400, codeInvalidToken, "The service couldn't process the NextToken.")
		}
		req.offset = n
	}
	return req, nil
}

// listScope ties a ListMetrics NextToken to the caller's account and filter.
func listScope(c *api.Call) string { return "monitoring:ListMetrics:" + c.Account }

// listMetrics answers the metrics of the caller's account; a monitoring
// account's linked accounts are none (IncludeLinkedAccounts lists no
// others).
func (cw *CloudWatch) listMetrics(c *api.Call) (any, error) {
	req, err := cw.readList(c)
	if err != nil {
		return nil, err
	}
	if err := cw.flush(c); err != nil {
		return nil, err
	}
	found, err := cw.cfg.Metrics.ListMetrics(c.Context, req.filter)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch: %w", err)
	}
	out := &ListMetricsOutput{Metrics: []Metric{}}
	from := min(req.offset, len(found))
	to := min(from+listPage, len(found))
	for _, m := range found[from:to] {
		out.Metrics = append(out.Metrics, Metric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: wireDimensions(m.Dimensions)})
	}
	if to < len(found) {
		out.NextToken = api.EncodeToken(listScope(c), strconv.Itoa(to))
	}
	return out, nil
}
