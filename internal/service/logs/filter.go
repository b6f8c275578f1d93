package logs

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// FilteredLogEvent is an event FilterLogEvents returns.
type FilteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

// SearchedLogStream reports a stream FilterLogEvents searched.
type SearchedLogStream struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

// filterHit is a matching event and the stream it belongs to.
type filterHit struct {
	stream *stream
	ev     storedEvent
}

// compareHits orders hits by time, then stream, then arrival.
func compareHits(a, b filterHit) int {
	if c := cmp.Compare(a.ev.Timestamp, b.ev.Timestamp); c != 0 {
		return c
	}
	if c := cmp.Compare(a.stream.No, b.stream.No); c != 0 {
		return c
	}
	return cmp.Compare(a.ev.Seq, b.ev.Seq)
}

func (l *Logs) filterLogEvents(c *api.Call) (any, error) {
	var in struct {
		LogGroupName        string   `json:"logGroupName"`
		LogGroupIdentifier  string   `json:"logGroupIdentifier"`
		LogStreamNames      []string `json:"logStreamNames"`
		LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
		StartTime           *int64   `json:"startTime"`
		EndTime             *int64   `json:"endTime"`
		FilterPattern       string   `json:"filterPattern"`
		NextToken           string   `json:"nextToken"`
		Limit               *int     `json:"limit"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	name := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err := checkGroupName("logGroupName", name); err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, invalidParameter("You cannot specify both LogStreamNames and LogStreamNamePrefix.")
	}
	limit, err := checkLimit(in.Limit, maxBatchEvents)
	if err != nil {
		return nil, err
	}
	match, err := compilePattern(in.FilterPattern)
	if err != nil {
		return nil, err
	}
	params := map[string]any{}
	if in.FilterPattern != "" {
		params["filterPattern"] = in.FilterPattern
	}
	trailGroup(c, name, params)

	// The token is the last event returned, bound to the request's filters.
	page := filterScope(name, in.LogStreamNames, in.LogStreamNamePrefix, in.StartTime, in.EndTime, in.FilterPattern)
	var from *filterHit
	if in.NextToken != "" {
		tok, err := decodeToken(page, in.NextToken)
		if err != nil {
			return nil, err
		}
		parts := strings.Split(tok, "|")
		if len(parts) != 3 {
			return nil, badToken()
		}
		ts, err1 := strconv.ParseInt(parts[0], 10, 64)
		no, err2 := strconv.ParseInt(parts[1], 10, 64)
		seq, err3 := strconv.ParseInt(parts[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, badToken()
		}
		from = &filterHit{stream: &stream{No: no}, ev: storedEvent{Timestamp: ts, Seq: seq}}
	}

	gk := scope(c) + name
	if _, err := getGroup(c.Context, l.st, gk); err != nil {
		return nil, err
	}
	streams, err := l.listStreams(c.Context, gk, in.LogStreamNamePrefix)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 {
		streams = slices.DeleteFunc(streams, func(s stream) bool { return !slices.Contains(in.LogStreamNames, s.Name) })
	}

	lower, upper := "", endPosition
	if in.StartTime != nil {
		lower = timeBound(*in.StartTime)
	}
	if in.EndTime != nil {
		upper = timeBound(*in.EndTime)
	}
	if from != nil {
		lower = max(lower, timeBound(from.ev.Timestamp))
	}
	// The first limit+1 matches overall are among each stream's first
	// limit+1 matches after the token.
	var hits []filterHit
	for i := range streams {
		s := &streams[i]
		found, err := l.scanStream(c, eventPrefix(gk, s.No), lower, upper, limit+1, func(e storedEvent) bool {
			if from != nil && compareHits(filterHit{s, e}, *from) <= 0 {
				return false
			}
			return match(e.Message)
		})
		if err != nil {
			return nil, err
		}
		for _, e := range found {
			hits = append(hits, filterHit{s, e})
		}
	}
	slices.SortFunc(hits, compareHits)

	out := struct {
		Events             []FilteredLogEvent  `json:"events"`
		SearchedLogStreams []SearchedLogStream `json:"searchedLogStreams"`
		NextToken          string              `json:"nextToken,omitempty"`
	}{Events: []FilteredLogEvent{}, SearchedLogStreams: []SearchedLogStream{}}
	for _, s := range streams {
		out.SearchedLogStreams = append(out.SearchedLogStreams, SearchedLogStream{LogStreamName: s.Name, SearchedCompletely: true})
	}
	for _, h := range hits[:min(limit, len(hits))] {
		out.Events = append(out.Events, FilteredLogEvent{
			LogStreamName: h.stream.Name,
			Timestamp:     h.ev.Timestamp,
			Message:       h.ev.Message,
			IngestionTime: h.ev.Ingestion,
			EventID:       fmt.Sprintf("%016d%010d%012d", h.ev.Timestamp, h.stream.No, h.ev.Seq),
		})
	}
	if len(hits) > limit {
		last := hits[limit-1]
		out.NextToken = api.EncodeToken(page, fmt.Sprintf("%d|%d|%d", last.ev.Timestamp, last.stream.No, last.ev.Seq))
	}
	return out, nil
}

// scanStream returns up to limit events of a stream with lower < key < upper
// that keep accepts, oldest first.
func (l *Logs) scanStream(c *api.Call, prefix, lower, upper string, limit int, keep func(storedEvent) bool) ([]storedEvent, error) {
	var out []storedEvent
	after := prefix + lower
	const page = 1000
	for {
		items, err := l.st.List(c.Context, eventsTable, prefix, after, page)
		if err != nil {
			return nil, internal("filter log events", err)
		}
		for _, it := range items {
			e, err := parseEvent(prefix, it)
			if err != nil {
				return nil, err
			}
			if e.Key >= upper {
				return out, nil
			}
			if keep(e) {
				if out = append(out, e); len(out) == limit {
					return out, nil
				}
			}
		}
		if len(items) < page {
			return out, nil
		}
		after = items[len(items)-1].Key
	}
}

// filterScope is the token scope of a FilterLogEvents request: its filters.
func filterScope(group string, names []string, prefix string, start, end *int64, pattern string) string {
	parts := []string{"FilterLogEvents", group, prefix, pattern, bound(start), bound(end)}
	return api.TokenScope(append(parts, names...)...)
}

func bound(t *int64) string {
	if t == nil {
		return ""
	}
	return strconv.FormatInt(*t, 10)
}
