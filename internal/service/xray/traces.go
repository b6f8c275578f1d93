package xray

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// loose decodes a segment document member of type T and ignores a member of
// another type: segment documents carry free-form data and only the members a
// summary reads matter here.
type loose[T any] struct{ V T }

func (l *loose[T]) UnmarshalJSON(b []byte) error {
	var v T
	if json.Unmarshal(b, &v) == nil {
		l.V = v
	}
	return nil
}

// node is a segment or subsegment as summaries read it.
type node struct {
	ID          loose[string]         `json:"id"`
	ParentID    loose[string]         `json:"parent_id"`
	Type        loose[string]         `json:"type"`
	Name        loose[string]         `json:"name"`
	Origin      loose[string]         `json:"origin"`
	StartTime   loose[float64]        `json:"start_time"`
	EndTime     loose[*float64]       `json:"end_time"`
	InProgress  loose[bool]           `json:"in_progress"`
	Error       loose[bool]           `json:"error"`
	Fault       loose[bool]           `json:"fault"`
	Throttle    loose[bool]           `json:"throttle"`
	User        loose[string]         `json:"user"`
	ResourceARN loose[string]         `json:"resource_arn"`
	HTTP        loose[httpInfo]       `json:"http"`
	AWS         loose[awsInfo]        `json:"aws"`
	Annotations loose[map[string]any] `json:"annotations"`
	Subsegments loose[[]node]         `json:"subsegments"`
}

type httpInfo struct {
	Request  loose[httpRequest]  `json:"request"`
	Response loose[httpResponse] `json:"response"`
}

type httpRequest struct {
	URL       loose[string] `json:"url"`
	Method    loose[string] `json:"method"`
	UserAgent loose[string] `json:"user_agent"`
	ClientIP  loose[string] `json:"client_ip"`
}

type httpResponse struct {
	Status loose[*int] `json:"status"`
}

type awsInfo struct {
	AccountID loose[string] `json:"account_id"`
}

// walk calls fn for n and every subsegment below it.
func (n *node) walk(fn func(*node)) {
	fn(n)
	for i := range n.Subsegments.V {
		n.Subsegments.V[i].walk(fn)
	}
}

// stored is one stored document of a trace, decoded.
type stored struct {
	seg  segment
	doc  map[string]any
	node node
	sub  bool // a subsegment sent on its own
}

// decodeTrace decodes the stored segments of one trace.
func decodeTrace(items []store.Item) ([]*stored, error) {
	out := make([]*stored, 0, len(items))
	for _, it := range items {
		s := &stored{}
		if err := json.Unmarshal(it.Value, &s.seg); err != nil {
			return nil, fmt.Errorf("decode %s: %w", it.Key, err)
		}
		if err := json.Unmarshal([]byte(s.seg.Document), &s.doc); err != nil {
			return nil, fmt.Errorf("decode %s: %w", it.Key, err)
		}
		if err := json.Unmarshal([]byte(s.seg.Document), &s.node); err != nil {
			return nil, fmt.Errorf("decode %s: %w", it.Key, err)
		}
		s.sub = s.node.Type.V == "subsegment"
		out = append(out, s)
	}
	return out, nil
}

// span returns the earliest start and latest end over every segment and
// subsegment of a trace; ok is false when nothing has ended.
func span(segs []*stored) (start, end float64, ok bool) {
	start = math.Inf(1)
	for _, s := range segs {
		s.node.walk(func(n *node) {
			if n.StartTime.V > 0 {
				start = min(start, n.StartTime.V)
			}
			if e := n.EndTime.V; e != nil {
				end = max(end, *e)
				ok = true
			}
		})
	}
	return start, end, ok && !math.IsInf(start, 1)
}

// seconds rounds a duration in seconds to X-Ray's millisecond precision.
func seconds(d float64) float64 { return math.Round(d*1e3) / 1e3 }

// BatchGetTraces.

type batchGetTracesInput struct {
	TraceIds  []string `json:"TraceIds"`
	NextToken string   `json:"NextToken"`
}

type traceOut struct {
	Id            string       `json:"Id"`
	Duration      *float64     `json:"Duration,omitempty"`
	LimitExceeded bool         `json:"LimitExceeded"`
	Segments      []segmentOut `json:"Segments"`
}

type segmentOut struct {
	Id       string `json:"Id"`
	Document string `json:"Document"`
}

type batchGetTracesOutput struct {
	Traces              []traceOut `json:"Traces"`
	UnprocessedTraceIds []string   `json:"UnprocessedTraceIds"`
	NextToken           string     `json:"NextToken,omitempty"`
}

// maxPageBytes bounds the segment documents of one BatchGetTraces page;
// a page always holds at least one trace.
const maxPageBytes = 1 << 20

func (x *XRay) batchGetTraces(c *api.Call) (any, error) {
	var in batchGetTracesInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, id := range in.TraceIds {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	page := api.TokenScope(append([]string{"BatchGetTraces"}, ids...)...)
	first := 0
	if in.NextToken != "" {
		pos, err := decodeToken(page, in.NextToken)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(pos)
		if err != nil || n < 0 || n > len(ids) {
			return nil, badToken()
		}
		first = n
	}
	out := &batchGetTracesOutput{Traces: []traceOut{}, UnprocessedTraceIds: []string{}}
	size := 0
	for i := first; i < len(ids); i++ {
		id := ids[i]
		if _, ok := traceEpoch(id); !ok {
			out.UnprocessedTraceIds = append(out.UnprocessedTraceIds, id)
			continue
		}
		items, err := x.loadTrace(c.Context, scope(c), id)
		if err != nil {
			return nil, internal("BatchGetTraces", err)
		}
		if len(items) == 0 {
			continue
		}
		segs, err := decodeTrace(items)
		if err != nil {
			return nil, internal("BatchGetTraces", err)
		}
		t := traceOut{Id: id, Segments: assemble(segs)}
		if start, end, ok := span(segs); ok {
			d := seconds(end - start)
			t.Duration = &d
		}
		n := 0
		for _, s := range t.Segments {
			n += len(s.Document)
		}
		if len(out.Traces) > 0 && size+n > maxPageBytes {
			out.NextToken = api.EncodeToken(page, strconv.Itoa(i))
			break
		}
		size += n
		out.Traces = append(out.Traces, t)
	}
	return out, nil
}

// assemble returns a trace's segment documents with the subsegments that
// were sent on their own placed inside their parents, as X-Ray returns them.
// A subsegment whose parent never arrived is returned as a document of its own.
func assemble(segs []*stored) []segmentOut {
	changed := map[*stored]bool{}
	pending := make([]*stored, 0, len(segs))
	for _, s := range segs {
		if s.sub {
			pending = append(pending, s)
		}
	}
	for progress := true; progress && len(pending) > 0; {
		progress = false
		rest := pending[:0]
		for _, sub := range pending {
			parent, owner := findParent(segs, sub)
			if parent == nil {
				rest = append(rest, sub)
				continue
			}
			child := make(map[string]any, len(sub.doc))
			for k, v := range sub.doc {
				switch k {
				case "type", "trace_id", "parent_id":
				default:
					child[k] = v
				}
			}
			list, _ := parent["subsegments"].([]any)
			parent["subsegments"] = append(list, child)
			sub.sub = false
			sub.doc = nil // now part of its parent
			changed[owner] = true
			progress = true
		}
		pending = rest
	}
	out := make([]segmentOut, 0, len(segs))
	for _, s := range segs {
		if s.doc == nil {
			continue
		}
		doc := s.seg.Document
		if changed[s] {
			if b, err := json.Marshal(s.doc); err == nil {
				doc = string(b)
			}
		}
		out = append(out, segmentOut{Id: s.node.ID.V, Document: doc})
	}
	return out
}

// findParent finds the segment or subsegment that sub names as its parent,
// in a document other than sub's own, and the document that holds it.
func findParent(segs []*stored, sub *stored) (map[string]any, *stored) {
	want := sub.node.ParentID.V
	for _, s := range segs {
		if s == sub || s.doc == nil {
			continue
		}
		if m := findNode(s.doc, want); m != nil {
			return m, s
		}
	}
	return nil, nil
}

func findNode(m map[string]any, id string) map[string]any {
	if m["id"] == id {
		return m
	}
	list, _ := m["subsegments"].([]any)
	for _, item := range list {
		if c, ok := item.(map[string]any); ok {
			if found := findNode(c, id); found != nil {
				return found
			}
		}
	}
	return nil
}

// GetTraceSummaries.

type getTraceSummariesInput struct {
	StartTime        epoch           `json:"StartTime"`
	EndTime          epoch           `json:"EndTime"`
	TimeRangeType    string          `json:"TimeRangeType"`
	Sampling         *bool           `json:"Sampling"`
	SamplingStrategy json.RawMessage `json:"SamplingStrategy"`
	FilterExpression string          `json:"FilterExpression"`
	NextToken        string          `json:"NextToken"`
}

type serviceID struct {
	Name      string   `json:"Name,omitempty"`
	Names     []string `json:"Names"`
	AccountId string   `json:"AccountId,omitempty"`
	Type      string   `json:"Type,omitempty"`
}

type httpSummary struct {
	HttpURL    string `json:"HttpURL,omitempty"`
	HttpStatus *int   `json:"HttpStatus,omitempty"`
	HttpMethod string `json:"HttpMethod,omitempty"`
	UserAgent  string `json:"UserAgent,omitempty"`
	ClientIp   string `json:"ClientIp,omitempty"`
}

type annotationValue struct {
	NumberValue  *float64 `json:"NumberValue,omitempty"`
	BooleanValue *bool    `json:"BooleanValue,omitempty"`
	StringValue  *string  `json:"StringValue,omitempty"`
}

type valueWithServiceIDs struct {
	AnnotationValue annotationValue `json:"AnnotationValue"`
	ServiceIds      []serviceID     `json:"ServiceIds"`
}

type traceUser struct {
	UserName   string      `json:"UserName"`
	ServiceIds []serviceID `json:"ServiceIds"`
}

type resourceARN struct {
	ARN string `json:"ARN"`
}

type traceSummary struct {
	Id                     string                           `json:"Id"`
	StartTime              epoch                            `json:"StartTime"`
	Duration               *float64                         `json:"Duration,omitempty"`
	ResponseTime           *float64                         `json:"ResponseTime,omitempty"`
	HasFault               bool                             `json:"HasFault"`
	HasError               bool                             `json:"HasError"`
	HasThrottle            bool                             `json:"HasThrottle"`
	IsPartial              bool                             `json:"IsPartial"`
	Http                   *httpSummary                     `json:"Http,omitempty"`
	Annotations            map[string][]valueWithServiceIDs `json:"Annotations"`
	Users                  []traceUser                      `json:"Users"`
	ServiceIds             []serviceID                      `json:"ServiceIds"`
	ResourceARNs           []resourceARN                    `json:"ResourceARNs"`
	InstanceIds            []struct{}                       `json:"InstanceIds"`
	AvailabilityZones      []struct{}                       `json:"AvailabilityZones"`
	EntryPoint             *serviceID                       `json:"EntryPoint,omitempty"`
	FaultRootCauses        []struct{}                       `json:"FaultRootCauses"`
	ErrorRootCauses        []struct{}                       `json:"ErrorRootCauses"`
	ResponseTimeRootCauses []struct{}                       `json:"ResponseTimeRootCauses"`
	Revision               int                              `json:"Revision"`
	MatchedEventTime       *epoch                           `json:"MatchedEventTime,omitempty"`
}

type getTraceSummariesOutput struct {
	TraceSummaries       []traceSummary `json:"TraceSummaries"`
	ApproximateTime      epoch          `json:"ApproximateTime"`
	TracesProcessedCount int64          `json:"TracesProcessedCount"`
	NextToken            string         `json:"NextToken,omitempty"`
}

// summaryPageSize is the number of summaries a GetTraceSummaries page holds.
const summaryPageSize = 100

// scanBatch is the number of stored segments read at a time.
const scanBatch = 500

func (x *XRay) getTraceSummaries(c *api.Call) (any, error) {
	var in getTraceSummariesInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	rangeType := in.TimeRangeType
	if rangeType == "" {
		rangeType = "TraceId"
	}
	if in.EndTime < in.StartTime {
		return nil, invalidRequest("The end time must not be earlier than the start time.")
	}
	if strings.TrimSpace(in.FilterExpression) != "" {
		return nil, invalidRequest("Filter expressions are not supported: %s", in.FilterExpression)
	}
	start, end := float64(in.StartTime), float64(in.EndTime)
	sc := scope(c)
	after := sc
	if rangeType == "TraceId" {
		after = fmt.Sprintf("%s1-%08x", sc, int64(math.Floor(start)))
	}
	page := api.TokenScope("GetTraceSummaries", rangeType, in.FilterExpression,
		strconv.FormatFloat(start, 'g', -1, 64), strconv.FormatFloat(end, 'g', -1, 64))
	if in.NextToken != "" {
		last, err := decodeToken(page, in.NextToken)
		if err != nil {
			return nil, err
		}
		if _, ok := traceEpoch(last); !ok {
			return nil, badToken()
		}
		// '}' sorts after the '|' that ends a trace's key prefix.
		after = max(after, sc+last+"}")
	}
	out := &getTraceSummariesOutput{TraceSummaries: []traceSummary{}, ApproximateTime: toEpoch(x.clock(c))}
	var (
		current string
		lastID  string // the trace the token names
		items   []store.Item
		done    bool
	)
	flush := func() error {
		if len(items) == 0 {
			return nil
		}
		id := current
		out.TracesProcessedCount++
		segs, err := decodeTrace(items)
		items = nil
		if err != nil {
			return err
		}
		matched, ok := matchTime(id, segs, rangeType, start, end)
		if !ok {
			return nil
		}
		s := summarize(id, segs, c.Account)
		if rangeType != "TraceId" {
			s.MatchedEventTime = &matched
		}
		out.TraceSummaries = append(out.TraceSummaries, s)
		if len(out.TraceSummaries) == summaryPageSize {
			out.NextToken = api.EncodeToken(page, id)
			lastID = id
			done = true
		}
		return nil
	}
	for !done {
		batch, err := x.st.List(c.Context, segmentsTable, sc, after, scanBatch)
		if err != nil {
			return nil, internal("GetTraceSummaries", err)
		}
		for _, it := range batch {
			id, _, _ := strings.Cut(strings.TrimPrefix(it.Key, sc), "|")
			if id != current {
				if err := flush(); err != nil {
					return nil, internal("GetTraceSummaries", err)
				}
				if done {
					break
				}
				if sec, _ := traceEpoch(id); rangeType == "TraceId" && float64(sec) > end {
					done = true
					break
				}
				current = id
			}
			items = append(items, it)
		}
		if done {
			break
		}
		if len(batch) < scanBatch {
			if err := flush(); err != nil {
				return nil, internal("GetTraceSummaries", err)
			}
			break
		}
		after = batch[len(batch)-1].Key
	}
	if out.NextToken != "" && !x.moreAfter(c, sc, lastID) {
		out.NextToken = ""
	}
	return out, nil
}

// moreAfter reports whether any trace is stored after trace last.
func (x *XRay) moreAfter(c *api.Call, sc, last string) bool {
	items, err := x.st.List(c.Context, segmentsTable, sc, sc+last+"}", 1)
	return err == nil && len(items) > 0
}

// matchTime reports whether a trace falls in [start, end] by the range type's
// clock: the trace ID's time, the time it was last updated, or a segment's end.
func matchTime(id string, segs []*stored, rangeType string, start, end float64) (epoch, bool) {
	in := func(t float64) bool { return t >= start && t <= end }
	switch rangeType {
	case "Event":
		var latest int64
		for _, s := range segs {
			latest = max(latest, s.seg.Received)
		}
		t := float64(latest) / 1e3
		return epoch(t), in(t)
	case "Service":
		for _, s := range segs {
			if e := s.node.EndTime.V; e != nil && in(*e) {
				return epoch(*e), true
			}
		}
		return 0, false
	default:
		sec, ok := traceEpoch(id)
		return epoch(sec), ok && in(float64(sec))
	}
}

// summarize computes a trace's summary from its segments.
func summarize(id string, segs []*stored, account string) traceSummary {
	s := traceSummary{
		Id:                     id,
		Annotations:            map[string][]valueWithServiceIDs{},
		Users:                  []traceUser{},
		ServiceIds:             []serviceID{},
		ResourceARNs:           []resourceARN{},
		InstanceIds:            []struct{}{},
		AvailabilityZones:      []struct{}{},
		FaultRootCauses:        []struct{}{},
		ErrorRootCauses:        []struct{}{},
		ResponseTimeRootCauses: []struct{}{},
	}
	var root *stored
	for _, seg := range segs {
		s.Revision += seg.seg.Version
		if seg.sub {
			continue
		}
		if seg.node.ParentID.V == "" && (root == nil || seg.node.StartTime.V < root.node.StartTime.V) {
			root = seg
		}
	}
	if root == nil {
		// Only downstream segments arrived: the trace is partial.
		s.IsPartial = true
		for _, seg := range segs {
			if root == nil || seg.node.StartTime.V < root.node.StartTime.V {
				root = seg
			}
		}
	}
	if first, last, ok := span(segs); ok {
		d := seconds(last - first)
		s.Duration = &d
	}
	s.StartTime = epoch(root.node.StartTime.V)
	if e := root.node.EndTime.V; e != nil {
		rt := seconds(*e - root.node.StartTime.V)
		s.ResponseTime = &rt
	}
	if req, resp := root.node.HTTP.V.Request.V, root.node.HTTP.V.Response.V; req.URL.V != "" || req.Method.V != "" || resp.Status.V != nil {
		s.Http = &httpSummary{HttpURL: req.URL.V, HttpMethod: req.Method.V, UserAgent: req.UserAgent.V, ClientIp: req.ClientIP.V, HttpStatus: resp.Status.V}
	}
	services := map[string]bool{}
	arns := map[string]bool{}
	for _, seg := range segs {
		sid := serviceOf(&seg.node, account)
		if !seg.sub && !services[sid.Name+"|"+sid.Type] {
			services[sid.Name+"|"+sid.Type] = true
			s.ServiceIds = append(s.ServiceIds, sid)
		}
		if seg == root && !seg.sub {
			entry := sid
			s.EntryPoint = &entry
		}
		if u := seg.node.User.V; u != "" && !seg.sub {
			s.Users = append(s.Users, traceUser{UserName: u, ServiceIds: []serviceID{sid}})
		}
		if a := seg.node.ResourceARN.V; a != "" && !arns[a] {
			arns[a] = true
			s.ResourceARNs = append(s.ResourceARNs, resourceARN{ARN: a})
		}
		seg.node.walk(func(n *node) {
			s.HasError = s.HasError || n.Error.V
			s.HasFault = s.HasFault || n.Fault.V
			s.HasThrottle = s.HasThrottle || n.Throttle.V
			if n.InProgress.V && n.EndTime.V == nil {
				s.IsPartial = true
			}
			for k, v := range n.Annotations.V {
				addAnnotation(s.Annotations, k, v, sid)
			}
		})
	}
	return s
}

// serviceOf is the service a segment reports for.
func serviceOf(n *node, account string) serviceID {
	if a := n.AWS.V.AccountID.V; a != "" {
		account = a
	}
	return serviceID{Name: n.Name.V, Names: []string{n.Name.V}, AccountId: account, Type: n.Origin.V}
}

func addAnnotation(m map[string][]valueWithServiceIDs, key string, v any, sid serviceID) {
	var av annotationValue
	switch t := v.(type) {
	case string:
		av.StringValue = &t
	case float64:
		av.NumberValue = &t
	case bool:
		av.BooleanValue = &t
	default:
		return
	}
	for i, e := range m[key] {
		if equalValue(e.AnnotationValue, av) {
			for _, have := range e.ServiceIds {
				if have.Name == sid.Name && have.Type == sid.Type {
					return
				}
			}
			m[key][i].ServiceIds = append(m[key][i].ServiceIds, sid)
			return
		}
	}
	m[key] = append(m[key], valueWithServiceIDs{AnnotationValue: av, ServiceIds: []serviceID{sid}})
}

func equalValue(a, b annotationValue) bool {
	switch {
	case a.StringValue != nil && b.StringValue != nil:
		return *a.StringValue == *b.StringValue
	case a.NumberValue != nil && b.NumberValue != nil:
		return *a.NumberValue == *b.NumberValue
	case a.BooleanValue != nil && b.BooleanValue != nil:
		return *a.BooleanValue == *b.BooleanValue
	}
	return false
}
