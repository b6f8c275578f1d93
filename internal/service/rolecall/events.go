package rolecall

import (
	"encoding/json"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/cloudtrail"
	"github.com/rolecall/rolecall/internal/store"
)

// eventsOps returns LookupEvents, CloudTrail's lookup over every recorded
// event: CloudTrail's event history holds management events only, as
// AWS's does, but a function's denied s3:GetObject or dynamodb:GetItem is
// a data event, and the console's trail must find it to explain it.
func (r *API) eventsOps() []*api.Operation {
	return []*api.Operation{
		{Name: "LookupEvents", Action: "cloudtrail:LookupEvents", ReadOnly: true,
			HTTP:   api.HTTP{Method: http.MethodPost, Path: "/v1/events/lookup"},
			Handle: r.lookupEvents},
	}
}

// eventCategories are LookupEvents' Category values and the store's
// categories they select.
var eventCategories = map[string]string{
	"":           store.CategoryManagement,
	"Management": store.CategoryManagement,
	"Data":       store.CategoryData,
	"All":        "",
}

// lookupEventsInput is CloudTrail's LookupEvents input without
// EventCategory, plus Category: "Management" (the default, CloudTrail's
// event history), "Data" or "All".
type lookupEventsInput struct {
	LookupAttributes []lookupAttribute `json:"LookupAttributes,omitempty"`
	StartTime        *float64          `json:"StartTime,omitempty"`
	EndTime          *float64          `json:"EndTime,omitempty"`
	MaxResults       *int              `json:"MaxResults,omitempty"`
	NextToken        *string           `json:"NextToken,omitempty"`
	Category         string            `json:"Category,omitempty"`
}

type lookupAttribute struct {
	AttributeKey   *string `json:"AttributeKey"`
	AttributeValue *string `json:"AttributeValue"`
}

// lookupEvents answers POST /v1/events/lookup with CloudTrail's
// LookupEvents output shape (Events, NextToken) and errors.
func (r *API) lookupEvents(c *api.Call) (any, error) {
	var in lookupEventsInput
	if err := decodeStrict(c, &in); err != nil {
		return nil, err
	}
	cat, ok := eventCategories[in.Category]
	if !ok {
		return nil, validation("fieldValidationFailed", "Category", "Category must be Management, Data or All.")
	}
	category := in.Category
	in.Category = ""
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	out, params, err := cloudtrail.Lookup(c.Context, r.cfg.Store, r.cfg.Flush, body, c.Account, cat)
	if params != nil {
		if category != "" {
			params["category"] = category
		}
		c.Trail.RequestParameters = params
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
