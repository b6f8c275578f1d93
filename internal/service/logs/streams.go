package logs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// stream is a stored log stream. No numbers the stream within its group and
// keys its events, so a re-created stream never sees a deleted one's events.
type stream struct {
	Name          string `json:"name"`
	No            int64  `json:"no"`
	Created       int64  `json:"created"`
	First         *int64 `json:"first,omitempty"`
	Last          *int64 `json:"last,omitempty"`
	LastIngestion *int64 `json:"lastIngestion,omitempty"`
	StoredBytes   int64  `json:"storedBytes"`
	NextSeq       int64  `json:"nextSeq"`
}

// LogStream is a log stream as DescribeLogStreams shows it.
type LogStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken"`
	ARN                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

// eventPrefix is the key prefix of a stream's events.
func eventPrefix(groupKey string, no int64) string {
	return fmt.Sprintf("%s|%010d|", groupKey, no)
}

func sequenceToken(seq int64) string { return fmt.Sprintf("%056d", seq) }

func getStream(ctx context.Context, r store.Reader, key string) (*stream, error) {
	var s stream
	if err := store.GetJSON(ctx, r, streamsTable, key, &s); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, streamNotFound()
		}
		return nil, internal("get log stream", err)
	}
	return &s, nil
}

// lookupStream returns a log group and one of its streams, outside a transaction.
func (l *Logs) lookupStream(c *api.Call, group, name string) (*group, *stream, error) {
	gk := scope(c) + group
	g, err := getGroup(c.Context, l.st, gk)
	if err != nil {
		return nil, nil, err
	}
	s, err := getStream(c.Context, l.st, gk+"|"+name)
	if err != nil {
		return nil, nil, err
	}
	return g, s, nil
}

func trailStream(c *api.Call, group, name string) {
	trailGroup(c, group, map[string]any{"logStreamName": name})
}

// StreamInput names a log stream (CreateLogStream's input).
type StreamInput struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
}

func (in *StreamInput) check() error {
	if err := checkGroupName("logGroupName", in.LogGroupName); err != nil {
		return err
	}
	return checkStreamName(in.LogStreamName)
}

// updateStream decodes a request that names a log stream, records it in the
// trail and runs fn in a transaction with the stream's name, its log group,
// and the store keys of both.
func (l *Logs) updateStream(c *api.Call, fn func(tx store.Tx, name string, g *group, gk, sk string) error) (any, error) {
	var in StreamInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	trailStream(c, in.LogGroupName, in.LogStreamName)
	gk := scope(c) + in.LogGroupName
	_, err := l.st.Update(c.Context, func(tx store.Tx) error {
		g, err := getGroup(c.Context, tx, gk)
		if err != nil {
			return err
		}
		return fn(tx, in.LogStreamName, g, gk, gk+"|"+in.LogStreamName)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (l *Logs) createLogStream(c *api.Call) (any, error) {
	return l.updateStream(c, func(tx store.Tx, name string, g *group, gk, sk string) error {
		if _, err := tx.Get(c.Context, streamsTable, sk); err == nil {
			return api.Errorf(400, "ResourceAlreadyExistsException", "The specified log stream already exists")
		} else if !errors.Is(err, store.ErrNotFound) {
			return internal("create log stream", err)
		}
		n, err := getCounts(c.Context, tx, gk, g)
		if err != nil {
			return err
		}
		n.NextStream++
		s := stream{Name: name, No: n.NextStream, Created: ms(l.now()), NextSeq: 1}
		if err := store.PutJSON(c.Context, tx, streamsTable, sk, &s); err != nil {
			return err
		}
		return putCounts(c.Context, tx, gk, n)
	})
}

func (l *Logs) deleteLogStream(c *api.Call) (any, error) {
	return l.updateStream(c, func(tx store.Tx, _ string, g *group, gk, sk string) error {
		s, err := getStream(c.Context, tx, sk)
		if err != nil {
			return err
		}
		if err := tx.Delete(c.Context, streamsTable, sk); err != nil {
			return internal("delete log stream", err)
		}
		n, err := getCounts(c.Context, tx, gk, g)
		if err != nil {
			return err
		}
		n.StoredBytes -= s.StoredBytes
		if err := putCounts(c.Context, tx, gk, n); err != nil {
			return err
		}
		return deletePrefix(c.Context, tx, eventsTable, eventPrefix(gk, s.No))
	})
}

// listStreams returns the streams of a group whose names start with prefix.
func (l *Logs) listStreams(ctx context.Context, groupKey, prefix string) ([]stream, error) {
	var out []stream
	after := ""
	for {
		items, err := l.st.List(ctx, streamsTable, groupKey+"|"+prefix, after, 1000)
		if err != nil {
			return nil, internal("list log streams", err)
		}
		for _, it := range items {
			var s stream
			if err := unmarshal(it.Value, &s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		if len(items) < 1000 {
			return out, nil
		}
		after = items[len(items)-1].Key
	}
}

func (l *Logs) describeLogStreams(c *api.Call) (any, error) {
	var in struct {
		LogGroupName        string `json:"logGroupName"`
		LogGroupIdentifier  string `json:"logGroupIdentifier"`
		LogStreamNamePrefix string `json:"logStreamNamePrefix"`
		OrderBy             string `json:"orderBy"`
		Descending          bool   `json:"descending"`
		NextToken           string `json:"nextToken"`
		Limit               *int   `json:"limit"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	name := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err := checkGroupName("logGroupName", name); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	byTime := false
	switch in.OrderBy { // the model checks the values
	case "", "LogStreamName":
	case "LastEventTime":
		if in.LogStreamNamePrefix != "" {
			return nil, invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
		byTime = true
	}
	trailGroup(c, name, nil)
	gk := scope(c) + name
	if _, err := getGroup(c.Context, l.st, gk); err != nil {
		return nil, err
	}
	streams, err := l.listStreams(c.Context, gk, in.LogStreamNamePrefix)
	if err != nil {
		return nil, err
	}
	// Streams are ordered by a sort key; the token is the last key returned.
	sortKey := func(s *stream) string {
		if byTime {
			var last int64 = -1
			if s.Last != nil {
				last = *s.Last
			}
			return fmt.Sprintf("%020d|%s", last+1, s.Name)
		}
		return s.Name
	}
	keys := make([]string, len(streams))
	for i := range streams {
		keys[i] = sortKey(&streams[i])
	}
	idx := make([]int, len(streams))
	for i := range idx {
		idx[i] = i
	}
	dir := 1
	if in.Descending {
		dir = -1
	}
	slices.SortFunc(idx, func(a, b int) int { return dir * cmp.Compare(keys[a], keys[b]) })
	page := api.TokenScope("DescribeLogStreams", name, in.LogStreamNamePrefix, in.OrderBy, strconv.FormatBool(in.Descending))
	start := 0
	if in.NextToken != "" {
		tok, err := decodeToken(page, in.NextToken)
		if err != nil {
			return nil, err
		}
		start = len(idx)
		for i, j := range idx {
			if dir*strings.Compare(keys[j], tok) > 0 {
				start = i
				break
			}
		}
	}
	out := struct {
		LogStreams []LogStream `json:"logStreams"`
		NextToken  string      `json:"nextToken,omitempty"`
	}{LogStreams: []LogStream{}}
	end := min(start+limit, len(idx))
	for _, j := range idx[start:end] {
		s := &streams[j]
		out.LogStreams = append(out.LogStreams, LogStream{
			LogStreamName:       s.Name,
			CreationTime:        s.Created,
			FirstEventTimestamp: s.First,
			LastEventTimestamp:  s.Last,
			LastIngestionTime:   s.LastIngestion,
			UploadSequenceToken: sequenceToken(s.NextSeq),
			ARN:                 streamARN(c.Region, c.Account, name, s.Name),
			StoredBytes:         s.StoredBytes,
		})
	}
	if end < len(idx) {
		out.NextToken = api.EncodeToken(page, keys[idx[end-1]])
	}
	return out, nil
}
