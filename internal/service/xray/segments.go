package xray

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// retention is how long X-Ray keeps traces; older trace IDs are refused.
const retention = 30 * 24 * time.Hour

// maxNameLength is the longest segment or subsegment name.
const maxNameLength = 200

// segment is one stored segment document (or a subsegment sent on its own).
type segment struct {
	Document   string `json:"d"`
	Received   int64  `json:"r"` // unix milliseconds
	InProgress bool   `json:"p,omitempty"`
	Version    int    `json:"v"`
}

func segmentKey(scope, traceID, id string) string { return scope + traceID + "|" + id }

type putTraceSegmentsInput struct {
	TraceSegmentDocuments []string `json:"TraceSegmentDocuments"`
}

type unprocessedSegment struct {
	Id        string `json:"Id,omitempty"`
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

type putTraceSegmentsOutput struct {
	UnprocessedTraceSegments []unprocessedSegment `json:"UnprocessedTraceSegments"`
}

func (x *XRay) putTraceSegments(c *api.Call) (any, error) {
	var in putTraceSegmentsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	out, err := x.put(c.Context, scope(c), in.TraceSegmentDocuments, x.clock(c))
	if err != nil {
		return nil, internal("PutTraceSegments", err)
	}
	return out, nil
}

// Record stores segment documents that an AWS service records itself in
// an account's X-Ray, as Lambda records the AWS::Lambda and
// AWS::Lambda::Function segments of a traced invocation. The documents
// are checked as PutTraceSegments checks them; the error names the first
// one refused.
func (x *XRay) Record(ctx context.Context, account, region string, documents []string) error {
	out, err := x.put(ctx, account+"|"+region+"|", documents, x.now())
	if err != nil {
		return internal("record segments", err)
	}
	if len(out.UnprocessedTraceSegments) > 0 {
		u := out.UnprocessedTraceSegments[0]
		return fmt.Errorf("xray: segment %q refused: %s", u.Id, u.Message)
	}
	return nil
}

// put checks and stores segment documents in scope.
func (x *XRay) put(ctx context.Context, scope string, documents []string, now time.Time) (*putTraceSegmentsOutput, error) {
	out := &putTraceSegmentsOutput{UnprocessedTraceSegments: []unprocessedSegment{}}
	type accepted struct {
		key, doc   string
		inProgress bool
	}
	var good []accepted
	for _, doc := range documents {
		var m map[string]any
		if err := json.Unmarshal([]byte(doc), &m); err != nil {
			var v any
			if json.Unmarshal([]byte(doc), &v) == nil {
				// Valid JSON that is not an object has no id to read.
				out.UnprocessedTraceSegments = append(out.UnprocessedTraceSegments, rejection("", "MissingId", false))
				continue
			}
			out.UnprocessedTraceSegments = append(out.UnprocessedTraceSegments, rejection("", "InvalidJson", false))
			continue
		}
		id, _ := m["id"].(string)
		if code, sub := checkSegment(m, now); code != "" {
			out.UnprocessedTraceSegments = append(out.UnprocessedTraceSegments, rejection(id, code, sub))
			continue
		}
		inProgress, _ := m["in_progress"].(bool)
		_, hasEnd := m["end_time"]
		good = append(good, accepted{
			key:        segmentKey(scope, m["trace_id"].(string), id),
			doc:        doc,
			inProgress: inProgress && !hasEnd,
		})
	}
	if len(good) == 0 {
		return out, nil
	}
	_, err := x.st.Update(ctx, func(tx store.Tx) error {
		for _, g := range good {
			var prev segment
			err := store.GetJSON(ctx, tx, segmentsTable, g.key, &prev)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case g.inProgress && !prev.InProgress:
				// A completed segment is not replaced by a late in-progress one.
				continue
			}
			s := segment{Document: g.doc, Received: now.UnixMilli(), InProgress: g.inProgress, Version: prev.Version + 1}
			if err := store.PutJSON(ctx, tx, segmentsTable, g.key, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rejection is the UnprocessedTraceSegment X-Ray returns for a document it refused.
func rejection(id, code string, sub bool) unprocessedSegment {
	msg := "Invalid segment. ErrorCode: " + code
	if sub {
		msg = "Invalid subsegment. ErrorCode: " + code + ", Cause: null"
	}
	return unprocessedSegment{Id: id, ErrorCode: code, Message: msg}
}

// checkSegment validates a top-level segment document (a segment, or a
// subsegment sent on its own) and returns X-Ray's error code, or "" when the
// document is valid. sub reports whether the fault lies in a subsegment.
func checkSegment(m map[string]any, now time.Time) (code string, sub bool) {
	sub = m["type"] == "subsegment"
	if code := checkID(m, "Id", "id"); code != "" {
		return code, sub
	}
	traceID, ok := m["trace_id"]
	if !ok || traceID == "" {
		return "MissingTraceId", sub
	}
	if s, ok := traceID.(string); !ok || !validTraceID(s, now) {
		return "InvalidTraceId", sub
	}
	if sub {
		if code := checkID(m, "ParentId", "parent_id"); code != "" {
			return code, sub
		}
	}
	if code := checkBody(m); code != "" {
		return code, sub
	}
	if code := checkSubsegments(m); code != "" {
		return code, true
	}
	return "", false
}

// checkSubsegments validates the subsegments nested in m, depth first.
func checkSubsegments(m map[string]any) string {
	raw, ok := m["subsegments"]
	if !ok || raw == nil {
		return ""
	}
	list, ok := raw.([]any)
	if !ok {
		return "InvalidSubsegments"
	}
	for _, item := range list {
		s, ok := item.(map[string]any)
		if !ok {
			return "MissingId"
		}
		if code := checkID(s, "Id", "id"); code != "" {
			return code
		}
		if code := checkBody(s); code != "" {
			return code
		}
		if code := checkSubsegments(s); code != "" {
			return code
		}
	}
	return ""
}

// checkID validates a 64-bit hexadecimal identifier member.
func checkID(m map[string]any, what, member string) string {
	v, ok := m[member]
	if !ok || v == "" || v == nil {
		return "Missing" + what
	}
	if s, ok := v.(string); !ok || !isHex(s, 16) {
		return "Invalid" + what
	}
	return ""
}

// checkBody validates the members every segment and subsegment has: name,
// start_time, and end_time or in_progress.
func checkBody(m map[string]any) string {
	name, ok := m["name"]
	if !ok || name == "" || name == nil {
		return "MissingName"
	}
	if s, ok := name.(string); !ok || !validName(s) {
		return "InvalidName"
	}
	st, ok := m["start_time"]
	if !ok || st == nil {
		return "MissingStartTime"
	}
	start, ok := st.(float64)
	if !ok || start <= 0 {
		return "InvalidStartTime"
	}
	et, ok := m["end_time"]
	if !ok || et == nil {
		if p, _ := m["in_progress"].(bool); p {
			return ""
		}
		return "MissingEndTime"
	}
	if end, ok := et.(float64); !ok || end < start {
		return "InvalidEndTime"
	}
	return ""
}

// validName reports whether s is a valid segment name: up to 200 Unicode
// letters, numbers and whitespace, and the symbols _ . : / % & # = + \ - @.
func validName(s string) bool {
	if utf8.RuneCountInString(s) > maxNameLength {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsSpace(r) && !strings.ContainsRune(`_.:/%&#=+\-@`, r) {
			return false
		}
	}
	return true
}

// validTraceID reports whether id has the form 1-{8 hex digits of epoch
// seconds}-{24 hex digits} and is recent enough to be kept.
func validTraceID(id string, now time.Time) bool {
	sec, ok := traceEpoch(id)
	return ok && !time.Unix(sec, 0).Before(now.Add(-retention))
}

// traceEpoch returns the request time encoded in a well-formed trace ID.
func traceEpoch(id string) (int64, bool) {
	if len(id) != 35 || id[:2] != "1-" || id[10] != '-' || !isHex(id[2:10], 8) || !isHex(id[11:], 24) {
		return 0, false
	}
	sec, err := strconv.ParseInt(id[2:10], 16, 64)
	return sec, err == nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// Telemetry.

type telemetryRecord struct {
	Timestamp               *epoch          `json:"Timestamp"`
	SegmentsReceivedCount   *int            `json:"SegmentsReceivedCount,omitempty"`
	SegmentsSentCount       *int            `json:"SegmentsSentCount,omitempty"`
	SegmentsSpilloverCount  *int            `json:"SegmentsSpilloverCount,omitempty"`
	SegmentsRejectedCount   *int            `json:"SegmentsRejectedCount,omitempty"`
	BackendConnectionErrors json.RawMessage `json:"BackendConnectionErrors,omitempty"`
}

type putTelemetryRecordsInput struct {
	TelemetryRecords []telemetryRecord `json:"TelemetryRecords"`
	EC2InstanceId    string            `json:"EC2InstanceId"`
	Hostname         string            `json:"Hostname"`
	ResourceARN      string            `json:"ResourceARN"`
}

// telemetry is what is kept of one source's telemetry: its latest record
// and running totals.
type telemetry struct {
	Source   string          `json:"source"`
	Latest   telemetryRecord `json:"latest"`
	Records  int             `json:"records"`
	Received int             `json:"received"`
	Sent     int             `json:"sent"`
	Rejected int             `json:"rejected"`
}

func (x *XRay) putTelemetryRecords(c *api.Call) (any, error) {
	var in putTelemetryRecordsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	records := in.TelemetryRecords
	if len(records) == 0 {
		return struct{}{}, nil
	}
	source := in.ResourceARN
	if source == "" {
		source = in.EC2InstanceId
	}
	if source == "" {
		source = in.Hostname
	}
	key := scope(c) + source
	_, err := x.st.Update(c.Context, func(tx store.Tx) error {
		t := telemetry{Source: source}
		if err := store.GetJSON(c.Context, tx, telemetryTable, key, &t); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		for _, r := range records {
			t.Records++
			t.Received += deref(r.SegmentsReceivedCount)
			t.Sent += deref(r.SegmentsSentCount)
			t.Rejected += deref(r.SegmentsRejectedCount)
			if t.Latest.Timestamp == nil || r.Timestamp != nil && *r.Timestamp >= *t.Latest.Timestamp {
				t.Latest = r
			}
		}
		return store.PutJSON(c.Context, tx, telemetryTable, key, t)
	})
	if err != nil {
		return nil, internal("PutTelemetryRecords", err)
	}
	return struct{}{}, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// loadTrace returns the stored segments of one trace, keyed by segment ID.
func (x *XRay) loadTrace(ctx context.Context, scope, traceID string) ([]store.Item, error) {
	return x.st.List(ctx, segmentsTable, scope+traceID+"|", "", 0)
}
