package logs

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// PutLogEvents limits.
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1 << 20
	eventOverhead  = 26 // bytes counted per event on top of its message
	maxBatchSpan   = 24 * time.Hour
	maxFuture      = 2 * time.Hour
	maxPast        = 14 * 24 * time.Hour
)

// storedEvent is one event read back from the store.
type storedEvent struct {
	Key       string // position within the stream: timestamp|seq
	Timestamp int64
	Seq       int64
	Ingestion int64
	Message   string
}

// eventSuffix is an event's key within its stream: sortable timestamp and sequence.
func eventSuffix(ts, seq int64) string { return fmt.Sprintf("%016d|%012d", ts, seq) }

// timeBound is the position before every event at ts.
func timeBound(ts int64) string { return fmt.Sprintf("%016d|", ts) }

// endPosition is after every event.
const endPosition = "~"

func eventValue(ingestion int64, msg string) []byte {
	return []byte(strconv.FormatInt(ingestion, 10) + " " + msg)
}

func parseEvent(prefix string, it store.Item) (storedEvent, error) {
	suffix := strings.TrimPrefix(it.Key, prefix)
	tsS, seqS, _ := strings.Cut(suffix, "|")
	ingS, msg, _ := strings.Cut(string(it.Value), " ")
	ts, err1 := strconv.ParseInt(tsS, 10, 64)
	seq, err2 := strconv.ParseInt(seqS, 10, 64)
	ing, err3 := strconv.ParseInt(ingS, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return storedEvent{}, fmt.Errorf("logs: corrupt event %q", it.Key)
	}
	return storedEvent{Key: suffix, Timestamp: ts, Seq: seq, Ingestion: ing, Message: msg}, nil
}

func unmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("logs: corrupt record: %w", err)
	}
	return nil
}

// PutLogEventsInput is PutLogEvents' input.
type PutLogEventsInput struct {
	StreamInput
	LogEvents []InputLogEvent `json:"logEvents"`
}

// InputLogEvent is one event of PutLogEvents.
type InputLogEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

// RejectedLogEventsInfo tells which events of a batch were not stored.
type RejectedLogEventsInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

func (l *Logs) putLogEvents(c *api.Call) (any, error) {
	var in PutLogEventsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	trailStream(c, in.LogGroupName, in.LogStreamName)
	if len(in.LogEvents) == 0 {
		return nil, missing("logEvents")
	}
	if len(in.LogEvents) > maxBatchEvents {
		return nil, invalidParameter("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", maxBatchEvents)
	}
	size := 0
	for i, e := range in.LogEvents {
		if e.Timestamp == nil {
			return nil, missing(fmt.Sprintf("logEvents.%d.member.timestamp", i+1))
		}
		if e.Message == nil || *e.Message == "" {
			return nil, invalidParameter("1 validation error detected: Value at 'logEvents.%d.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		}
		if *e.Timestamp < 0 {
			return nil, invalidParameter("1 validation error detected: Value '%d' at 'logEvents.%d.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0", *e.Timestamp, i+1)
		}
		if i > 0 && *e.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, invalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
		}
		size += len(*e.Message) + eventOverhead
	}
	if size > maxBatchBytes {
		return nil, invalidParameter("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	first, last := *in.LogEvents[0].Timestamp, *in.LogEvents[len(in.LogEvents)-1].Timestamp
	if last-first > maxBatchSpan.Milliseconds() {
		return nil, invalidParameter("Log events in a single PutLogEvents request cannot span more than 24 hours.")
	}

	now := l.now()
	ingestion := ms(now)
	gk := scope(c) + in.LogGroupName
	sk := gk + "|" + in.LogStreamName
	var out struct {
		NextSequenceToken     string                 `json:"nextSequenceToken"`
		RejectedLogEventsInfo *RejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
	}
	_, err := l.st.Update(c.Context, func(tx store.Tx) error {
		out.RejectedLogEventsInfo = nil // a run again after a conflict starts over
		g, err := getGroup(c.Context, tx, gk)
		if err != nil {
			return err
		}
		s, err := getStream(c.Context, tx, sk)
		if err != nil {
			return err
		}
		// Events are chronological, so the rejected ones are a prefix (too
		// old, expired) and a suffix (too new) of the batch.
		tooOld, expired, tooNew := 0, 0, len(in.LogEvents)
		oldest := ms(now.Add(-maxPast))
		expiry := int64(-1)
		if g.Retention != nil {
			expiry = ms(now.Add(-time.Duration(*g.Retention) * 24 * time.Hour))
		}
		newest := ms(now.Add(maxFuture))
		for i, e := range in.LogEvents {
			if *e.Timestamp < expiry {
				expired = i + 1
			}
			if *e.Timestamp < oldest {
				tooOld = i + 1
			}
			if *e.Timestamp > newest && tooNew == len(in.LogEvents) {
				tooNew = i
			}
		}
		var rej RejectedLogEventsInfo
		if tooOld > 0 {
			rej.TooOldLogEventEndIndex = &tooOld
		}
		if expired > 0 {
			rej.ExpiredLogEventEndIndex = &expired
		}
		if tooNew < len(in.LogEvents) {
			rej.TooNewLogEventStartIndex = &tooNew
		}
		if rej != (RejectedLogEventsInfo{}) {
			out.RejectedLogEventsInfo = &rej
		}
		prefix := eventPrefix(gk, s.No)
		var stored int64
		for _, e := range in.LogEvents[max(tooOld, expired):tooNew] {
			ts := *e.Timestamp
			if err := tx.Put(c.Context, eventsTable, prefix+eventSuffix(ts, s.NextSeq), eventValue(ingestion, *e.Message)); err != nil {
				return internal("put log events", err)
			}
			s.NextSeq++
			stored += int64(len(*e.Message))
			if s.First == nil || ts < *s.First {
				s.First = &ts
			}
			if s.Last == nil || ts > *s.Last {
				s.Last = &ts
			}
		}
		if stored > 0 {
			s.LastIngestion = &ingestion
			s.StoredBytes += stored
			n, err := getCounts(c.Context, tx, gk, g)
			if err != nil {
				return err
			}
			n.StoredBytes += stored
			if err := putCounts(c.Context, tx, gk, n); err != nil {
				return err
			}
		}
		out.NextSequenceToken = sequenceToken(s.NextSeq)
		return store.PutJSON(c.Context, tx, streamsTable, sk, s)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// OutputLogEvent is an event GetLogEvents returns.
type OutputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// validPosition reports whether p is a position a token may carry.
func validPosition(p string) bool {
	if p == endPosition {
		return true
	}
	ts, seq, ok := strings.Cut(p, "|")
	if !ok || len(ts) != 16 || len(seq) > 12 {
		return false
	}
	for _, r := range ts + seq {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (l *Logs) getLogEvents(c *api.Call) (any, error) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		LogGroupIdentifier string `json:"logGroupIdentifier"`
		LogStreamName      string `json:"logStreamName"`
		StartTime          *int64 `json:"startTime"`
		EndTime            *int64 `json:"endTime"`
		NextToken          string `json:"nextToken"`
		Limit              *int   `json:"limit"`
		StartFromHead      bool   `json:"startFromHead"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	name := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err := checkGroupName("logGroupName", name); err != nil {
		return nil, err
	}
	if err := checkStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, maxBatchEvents)
	if err != nil {
		return nil, err
	}
	trailStream(c, name, in.LogStreamName)
	forward := in.StartFromHead
	lower, upper := "", endPosition // lower < key < upper
	if in.StartTime != nil {
		lower = timeBound(*in.StartTime)
	}
	if in.EndTime != nil {
		upper = timeBound(*in.EndTime)
	}
	pos := ""
	if in.NextToken != "" {
		dir, p, ok := strings.Cut(in.NextToken, "/")
		if !ok || (dir != "f" && dir != "b") || !validPosition(p) {
			return nil, badToken()
		}
		forward, pos = dir == "f", p
	}
	_, s, err := l.lookupStream(c, name, in.LogStreamName)
	if err != nil {
		return nil, err
	}
	prefix := eventPrefix(scope(c)+name, s.No)
	if forward {
		if pos != "" {
			lower = max(lower, pos)
		}
	} else if pos != "" {
		upper = min(upper, pos)
	}
	events, err := l.readStream(c, prefix, lower, upper, limit, !forward)
	if err != nil {
		return nil, err
	}
	out := struct {
		Events            []OutputLogEvent `json:"events"`
		NextForwardToken  string           `json:"nextForwardToken"`
		NextBackwardToken string           `json:"nextBackwardToken"`
	}{Events: make([]OutputLogEvent, 0, len(events))}
	for _, e := range events {
		out.Events = append(out.Events, OutputLogEvent{Timestamp: e.Timestamp, Message: e.Message, IngestionTime: e.Ingestion})
	}
	if len(events) > 0 {
		out.NextForwardToken = "f/" + events[len(events)-1].Key
		out.NextBackwardToken = "b/" + events[0].Key
	} else {
		// Nothing more this way: hand back the same position.
		p := pos
		if p == "" {
			p = lower
			if !forward {
				p = upper
			}
		}
		if p == "" {
			p = timeBound(0)
		}
		out.NextForwardToken, out.NextBackwardToken = "f/"+p, "b/"+p
	}
	return out, nil
}

// readStream returns up to limit events of one stream with lower < key <
// upper (positions within the stream), oldest first; the newest ones when
// tail is set.
func (l *Logs) readStream(c *api.Call, prefix, lower, upper string, limit int, tail bool) ([]storedEvent, error) {
	var out []storedEvent
	after := prefix + lower
	page := min(limit+1, 1000)
	if tail {
		page = 1000
	}
	for {
		items, err := l.st.List(c.Context, eventsTable, prefix, after, page)
		if err != nil {
			return nil, internal("read log events", err)
		}
		for _, it := range items {
			e, err := parseEvent(prefix, it)
			if err != nil {
				return nil, err
			}
			if e.Key >= upper {
				return trim(out, limit, tail), nil
			}
			out = append(out, e)
			if !tail && len(out) == limit {
				return out, nil
			}
			if tail && len(out) >= 2*limit {
				out = append(out[:0], out[len(out)-limit:]...)
			}
		}
		if len(items) < page {
			return trim(out, limit, tail), nil
		}
		after = items[len(items)-1].Key
	}
}

func trim(events []storedEvent, limit int, tail bool) []storedEvent {
	if tail && len(events) > limit {
		return events[len(events)-limit:]
	}
	return events
}
