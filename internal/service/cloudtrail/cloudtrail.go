// Package cloudtrail serves the events the trail recorded through CloudTrail's
// LookupEvents (awsJson1.1), and describes the trail that records them
// (DescribeTrails, GetTrail, ListTrails, GetTrailStatus).
package cloudtrail

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/trail"
)

// TargetPrefix is the X-Amz-Target prefix of CloudTrail requests.
const TargetPrefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"

// maxResults is LookupEvents' page size limit and default.
const maxResults = 50

// maxAttributeValue is the longest lookup attribute value.
const maxAttributeValue = 2000

// New returns the CloudTrail service reading the events rec records. Lookups
// flush rec first, so a call made just before shows up. region is the home
// Region of the trail (TrailName).
func New(rec *trail.Recorder, region string) *api.Service {
	h := &handler{rec: rec, region: region}
	return api.NewService(api.Service{
		Name:         "cloudtrail",
		EventSource:  "cloudtrail.amazonaws.com",
		Protocols:    []string{"awsJson1_1"},
		TargetPrefix: TargetPrefix,
	}, append([]*api.Operation{
		{Name: "LookupEvents", Action: "cloudtrail:LookupEvents", ReadOnly: true, Handle: h.lookupEvents},
	}, h.trailOps()...)...)
}

type handler struct {
	rec    *trail.Recorder
	region string
}

type lookupAttribute struct {
	AttributeKey   *string
	AttributeValue *string
}

type lookupEventsInput struct {
	LookupAttributes []lookupAttribute
	StartTime        *float64
	EndTime          *float64
	EventCategory    *string
	MaxResults       *int
	NextToken        *string
}

// Event is one LookupEvents result.
type Event struct {
	EventID         string     `json:"EventId"`
	EventName       string     `json:"EventName"`
	ReadOnly        string     `json:"ReadOnly"`
	AccessKeyID     string     `json:"AccessKeyId,omitempty"`
	EventTime       int64      `json:"EventTime"`
	EventSource     string     `json:"EventSource"`
	Username        string     `json:"Username,omitempty"`
	Resources       []Resource `json:"Resources"`
	CloudTrailEvent string     `json:"CloudTrailEvent"`
}

// Resource is a resource an event touched.
type Resource struct {
	ResourceType string `json:"ResourceType"`
	ResourceName string `json:"ResourceName"`
}

// LookupEventsOutput is the LookupEvents response.
type LookupEventsOutput struct {
	Events    []Event `json:"Events"`
	NextToken string  `json:"NextToken,omitempty"`
}

var attributeKeys = map[string]bool{
	"EventId": true, "EventName": true, "ReadOnly": true, "Username": true,
	"ResourceType": true, "ResourceName": true, "EventSource": true, "AccessKeyId": true,
}

func lookupErr(format string, args ...any) *api.Error {
	return api.Errorf(400, "InvalidLookupAttributesException", format, args...)
}

func (h *handler) lookupEvents(c *api.Call) (any, error) {
	var in lookupEventsInput
	body, err := c.Payload()
	if err != nil {
		return nil, err
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c.Trail.RequestParameters = requestParameters(&in)
	// EventCategory's one value asks for Insights events instead of
	// management events; rolecall generates none.
	if in.EventCategory != nil {
		if *in.EventCategory != "insight" {
			return nil, api.Errorf(400, "InvalidEventCategoryException", "Event category %s is not valid.", *in.EventCategory)
		}
		if _, err := query(&in, c.Account, store.CategoryManagement); err != nil {
			return nil, err
		}
		return &LookupEventsOutput{Events: []Event{}}, nil // no Insights events are generated
	}
	return lookup(c.Context, h.rec.Store(), h.rec.Flush, &in, c.Account, store.CategoryManagement)
}

// Lookup answers a LookupEvents request (its JSON body, without
// EventCategory) over the events of one category of account in st:
// store's CategoryManagement (CloudTrail's event history), CategoryData,
// or "" for both. flush, when not nil, is called first so that the events
// of calls made before are there. It is rolecall's own API's way to data
// events, which AWS keeps out of the event history; errors are
// LookupEvents' own.
func Lookup(ctx context.Context, st store.Store, flush func(context.Context) error, body []byte, account, category string) (*LookupEventsOutput, map[string]any, error) {
	var in lookupEventsInput
	if err := decode(body, &in); err != nil {
		return nil, nil, err
	}
	params := requestParameters(&in)
	if in.EventCategory != nil {
		return nil, params, api.Errorf(400, "InvalidEventCategoryException", "Event category %s is not valid.", *in.EventCategory)
	}
	out, err := lookup(ctx, st, flush, &in, account, category)
	return out, params, err
}

func lookup(ctx context.Context, st store.Store, flush func(context.Context) error, in *lookupEventsInput, account, category string) (*LookupEventsOutput, error) {
	q, err := query(in, account, category)
	if err != nil {
		return nil, err
	}
	if err := waitFlushed(ctx, flush); err != nil {
		return nil, err
	}
	evs, next, err := st.QueryEvents(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("cloudtrail: lookup events: %w", err)
	}
	out := &LookupEventsOutput{Events: make([]Event, 0, len(evs))}
	for _, e := range evs {
		out.Events = append(out.Events, event(e))
	}
	if next != "" {
		out.NextToken = encodeToken(next, q)
	}
	return out, nil
}

// waitFlushed waits for events queued before the lookup. A recorder that is closed
// has nothing queued; a failed write was already reported by the recorder.
func waitFlushed(ctx context.Context, flush func(context.Context) error) error {
	if flush == nil {
		return nil
	}
	err := flush(ctx)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

func decode(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return api.Errorf(400, "SerializationException", "Start of structure or map found where not expected.")
	}
	return nil
}

// query validates the request and turns it into a store query. Event
// history holds management events only, as AWS's does: data events are
// recorded all the same, and read from the store or with `rolecall trail`.
// Each account's event history holds the events recorded in it.
//
// The checks are the model's constraints (the lookup attribute's key enum
// and value length, MaxResults' range; EventCategory's enum is the
// handler's), but CloudTrail answers each with an exception of its own
// (InvalidLookupAttributesException, InvalidMaxResultsException,
// InvalidEventCategoryException) in its own words, not with one code and the
// model's "validation error detected", so they stay here rather than in
// shape.Hook; TestChecksFollowModel keeps them to the model's bounds.
func query(in *lookupEventsInput, account, category string) (store.EventQuery, error) {
	q := store.EventQuery{Category: category, Account: account}
	switch n := len(in.LookupAttributes); {
	case n > 1:
		return q, lookupErr("You cannot specify more than one lookup attribute.")
	case n == 1:
		a := in.LookupAttributes[0]
		if a.AttributeKey == nil || !attributeKeys[*a.AttributeKey] {
			key := ""
			if a.AttributeKey != nil {
				key = *a.AttributeKey
			}
			return q, lookupErr("Lookup attribute key %q is not valid. Valid keys are EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource and AccessKeyId.", key)
		}
		if a.AttributeValue == nil || len(*a.AttributeValue) == 0 || len(*a.AttributeValue) > maxAttributeValue {
			return q, lookupErr("Lookup attribute value must be between 1 and %d characters.", maxAttributeValue)
		}
		q.Attribute, q.Value = *a.AttributeKey, *a.AttributeValue
		if q.Attribute == "ReadOnly" && q.Value != "true" && q.Value != "false" {
			return q, lookupErr("Lookup attribute value for ReadOnly must be true or false.")
		}
	}
	if in.StartTime != nil {
		q.Start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		// EventTime is in whole seconds: the end takes in the whole
		// second it falls in, so that an event is found by the time
		// shown for it (StartTime == EndTime == its EventTime).
		q.End = epoch(*in.EndTime).Truncate(time.Second).Add(time.Second - time.Millisecond)
	}
	if in.StartTime != nil && in.EndTime != nil && *in.StartTime > *in.EndTime {
		return q, api.Errorf(400, "InvalidTimeRangeException", "Start time must be earlier than or equal to end time.")
	}
	q.Limit = maxResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxResults {
			return q, api.Errorf(400, "InvalidMaxResultsException", "MaxResults must be between 1 and %d.", maxResults)
		}
		q.Limit = *in.MaxResults
	}
	if in.NextToken != nil {
		cur, ok := decodeToken(*in.NextToken, q)
		if !ok {
			return q, api.Errorf(400, "InvalidNextTokenException", "Invalid NextToken: the token is not valid for this request.")
		}
		q.Cursor = cur
	}
	return q, nil
}

// epoch converts epoch seconds (possibly fractional) to a time.
func epoch(sec float64) time.Time {
	ms := math.Round(sec * 1000)
	return time.UnixMilli(int64(ms)).UTC()
}

// A NextToken is the store cursor (an api page token) bound to the query
// it continues, so it is refused with other filters.
func encodeToken(cursor string, q store.EventQuery) string {
	return api.EncodeToken(tokenScope(q), cursor)
}

func decodeToken(tok string, q store.EventQuery) (string, bool) {
	cur, ok := api.DecodeToken(tokenScope(q), tok)
	if !ok {
		return "", false
	}
	t, seq, ok := strings.Cut(cur, ".")
	if _, err := strconv.ParseInt(t, 10, 64); !ok || err != nil {
		return "", false
	}
	if _, err := strconv.ParseInt(seq, 10, 64); err != nil {
		return "", false
	}
	return cur, true
}

// tokenScope is the query a token continues: its filters, not its limit.
func tokenScope(q store.EventQuery) string {
	return api.TokenScope("LookupEvents", q.Attribute, q.Value, q.Category, q.Account,
		strconv.FormatInt(unixMilli(q.Start), 10), strconv.FormatInt(unixMilli(q.End), 10))
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func event(e store.Event) Event {
	out := Event{
		EventID:         e.ID,
		EventName:       e.Name,
		ReadOnly:        strconv.FormatBool(e.ReadOnly),
		AccessKeyID:     e.AccessKeyID,
		EventTime:       e.Time.Unix(),
		EventSource:     e.Source,
		Username:        e.Username,
		Resources:       make([]Resource, 0, len(e.Resources)),
		CloudTrailEvent: string(e.Record),
	}
	for _, r := range e.Resources {
		out.Resources = append(out.Resources, Resource{ResourceType: r.Type, ResourceName: r.Name})
	}
	return out
}

// requestParameters is what the trail shows of a LookupEvents request.
func requestParameters(in *lookupEventsInput) map[string]any {
	p := map[string]any{}
	if len(in.LookupAttributes) > 0 {
		attrs := make([]map[string]any, 0, len(in.LookupAttributes))
		for _, a := range in.LookupAttributes {
			m := map[string]any{}
			if a.AttributeKey != nil {
				m["attributeKey"] = *a.AttributeKey
			}
			if a.AttributeValue != nil {
				m["attributeValue"] = *a.AttributeValue
			}
			attrs = append(attrs, m)
		}
		p["lookupAttributes"] = attrs
	}
	if in.StartTime != nil {
		p["startTime"] = epoch(*in.StartTime).Format(time.RFC3339)
	}
	if in.EndTime != nil {
		p["endTime"] = epoch(*in.EndTime).Format(time.RFC3339)
	}
	if in.MaxResults != nil {
		p["maxResults"] = *in.MaxResults
	}
	if in.EventCategory != nil {
		p["eventCategory"] = *in.EventCategory
	}
	return p
}
