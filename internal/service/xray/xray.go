// Package xray implements the parts of AWS X-Ray (restJson1) that instrumented
// functions and their tooling use: PutTraceSegments and PutTelemetryRecords,
// BatchGetTraces and GetTraceSummaries over the stored segments, and the
// Default sampling rule with GetSamplingRules and GetSamplingTargets.
package xray

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
)

// Store tables.
const (
	segmentsTable  = "xray_segments"  // scope|traceID|segmentID → segment
	telemetryTable = "xray_telemetry" // scope|source → latest telemetry record
	samplingTable  = "xray_sampling"  // scope|"rules" → rule set state; scope|"client"|rule|clientID → last report
)

// XRay is the X-Ray service.
type XRay struct {
	st  store.Store
	now func() time.Time
}

// New returns X-Ray keeping its data in st. A nil now means time.Now.
func New(st store.Store, now func() time.Time) *XRay {
	if now == nil {
		now = time.Now
	}
	return &XRay{st: st, now: now}
}

// Service returns the operation table: every route of the model that is
// served here. X-Ray authorizes these actions on "*". The model's
// constraints (required members, lengths, ranges, enums) are checked before
// authorization (shape.Hook), and each handler asks for the same verdict
// first (decode, Call.Validate).
func (x *XRay) Service() *api.Service {
	return api.NewService(api.Service{
		Name:        "xray",
		EventSource: "xray.amazonaws.com",
		Protocols:   []string{"restJson1"},
		Validate:    shape.Hook("xray", "InvalidRequestException"),
	}, []*api.Operation{
		{Name: "PutTraceSegments", Action: "xray:PutTraceSegments", HTTP: api.HTTP{Method: http.MethodPost, Path: "/TraceSegments"}, Handle: x.putTraceSegments},
		{Name: "PutTelemetryRecords", Action: "xray:PutTelemetryRecords", HTTP: api.HTTP{Method: http.MethodPost, Path: "/TelemetryRecords"}, Handle: x.putTelemetryRecords},
		{Name: "BatchGetTraces", Action: "xray:BatchGetTraces", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodPost, Path: "/Traces"}, Handle: x.batchGetTraces},
		{Name: "GetTraceSummaries", Action: "xray:GetTraceSummaries", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodPost, Path: "/TraceSummaries"}, Handle: x.getTraceSummaries},
		{Name: "GetSamplingRules", Action: "xray:GetSamplingRules", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodPost, Path: "/GetSamplingRules"}, Handle: x.getSamplingRules},
		{Name: "GetSamplingTargets", Action: "xray:GetSamplingTargets", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodPost, Path: "/SamplingTargets"}, Handle: x.getSamplingTargets},
	}...)
}

// scope is the key prefix of one account and region.
func scope(c *api.Call) string { return c.Account + "|" + c.Region + "|" }

// clock is the time of the call.
func (x *XRay) clock(c *api.Call) time.Time {
	if !c.Time.IsZero() {
		return c.Time
	}
	return x.now()
}

// Errors, as X-Ray words them.

func invalidRequest(format string, args ...any) *api.Error {
	return api.Errorf(400, "InvalidRequestException", format, args...)
}

func serializationError() *api.Error {
	return api.Errorf(400, "SerializationException", "Start of structure or map found where not expected.")
}

func badToken() *api.Error { return invalidRequest("Invalid NextToken") }

// decode reads a JSON request body into v, after the model's check of the
// input (Call.Validate): what the model requires is then present.
func decode(c *api.Call, v any) error {
	if e := c.Validate(); e != nil {
		return e
	}
	body, err := c.Payload()
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return serializationError()
	}
	return nil
}

// epoch is a restJson1 timestamp: seconds since the epoch as a JSON number.
type epoch float64

func toEpoch(t time.Time) epoch { return epoch(float64(t.UnixMilli()) / 1e3) }

// decodeToken returns the position a NextToken of the listing of scope
// continues (api.DecodeToken), or X-Ray's error for a bad token.
func decodeToken(scope, tok string) (string, error) {
	pos, ok := api.DecodeToken(scope, tok)
	if !ok || pos == "" {
		return "", badToken()
	}
	return pos, nil
}

func internal(op string, err error) error { return fmt.Errorf("xray: %s: %w", op, err) }
