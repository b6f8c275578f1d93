package logs

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// group is a stored log group.
type group struct {
	Name      string            `json:"name"`
	Created   int64             `json:"created"`
	Retention *int              `json:"retention,omitempty"`
	Class     string            `json:"class,omitempty"`
	KmsKeyID  string            `json:"kmsKeyId,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	// Where the counters were kept before countsTable: read while the
	// group has no key there yet, never written.
	OldNextStream  int64 `json:"nextStream,omitempty"`
	OldStoredBytes int64 `json:"storedBytes,omitempty"`
}

// groupCounts are a log group's counters.
type groupCounts struct {
	// NextStream is the number of the group's last created stream.
	NextStream  int64 `json:"nextStream"`
	StoredBytes int64 `json:"storedBytes"`
}

// getCounts reads the counters of the group g stored under key.
func getCounts(ctx context.Context, r store.Reader, key string, g *group) (*groupCounts, error) {
	var n groupCounts
	if err := store.GetJSON(ctx, r, countsTable, key, &n); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &groupCounts{NextStream: g.OldNextStream, StoredBytes: g.OldStoredBytes}, nil
		}
		return nil, internal("get log group", err)
	}
	return &n, nil
}

func putCounts(ctx context.Context, tx store.Tx, key string, n *groupCounts) error {
	return store.PutJSON(ctx, tx, countsTable, key, n)
}

// CreateLogGroupInput is CreateLogGroup's input.
type CreateLogGroupInput struct {
	LogGroupName  string            `json:"logGroupName"`
	KmsKeyID      string            `json:"kmsKeyId,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	LogGroupClass string            `json:"logGroupClass,omitempty"`
}

// LogGroup is a log group as DescribeLogGroups shows it.
type LogGroup struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   *int   `json:"retentionInDays,omitempty"`
	MetricFilterCount int    `json:"metricFilterCount"`
	ARN               string `json:"arn"`
	StoredBytes       int64  `json:"storedBytes"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass"`
	LogGroupARN       string `json:"logGroupArn"`
}

// retentionDays are the retention periods CloudWatch Logs accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func getGroup(ctx context.Context, r store.Reader, key string) (*group, error) {
	var g group
	if err := store.GetJSON(ctx, r, groupsTable, key, &g); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, groupNotFound()
		}
		return nil, internal("get log group", err)
	}
	return &g, nil
}

// trailGroup fills in what the trail shows of a call on one log group.
func trailGroup(c *api.Call, name string, params map[string]any) {
	if params == nil {
		params = map[string]any{}
	}
	params["logGroupName"] = name
	c.Trail.RequestParameters = params
	c.Trail.Resources = []api.TrailResource{{ARN: groupARN(c.Region, c.Account, name), AccountID: c.Account, Type: "AWS::Logs::LogGroup"}}
}

func (l *Logs) createLogGroup(c *api.Call) (any, error) {
	var in CreateLogGroupInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	// The model checks the class's values and the number of tags.
	if in.LogGroupClass == "" {
		in.LogGroupClass = "STANDARD"
	}
	trailGroup(c, in.LogGroupName, nil)
	key := scope(c) + in.LogGroupName
	_, err := l.st.Update(c.Context, func(tx store.Tx) error {
		if _, err := tx.Get(c.Context, groupsTable, key); err == nil {
			return api.Errorf(400, "ResourceAlreadyExistsException", "The specified log group already exists")
		} else if !errors.Is(err, store.ErrNotFound) {
			return internal("create log group", err)
		}
		g := group{Name: in.LogGroupName, Created: ms(l.now()), Class: in.LogGroupClass, KmsKeyID: in.KmsKeyID, Tags: in.Tags}
		return store.PutJSON(c.Context, tx, groupsTable, key, &g)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// namedGroup decodes a request that names only a log group, checks the name
// and records it in the trail.
func namedGroup(c *api.Call) (string, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := decode(c, &in); err != nil {
		return "", err
	}
	if err := checkGroupName("logGroupName", in.LogGroupName); err != nil {
		return "", err
	}
	trailGroup(c, in.LogGroupName, nil)
	return in.LogGroupName, nil
}

func (l *Logs) deleteLogGroup(c *api.Call) (any, error) {
	name, err := namedGroup(c)
	if err != nil {
		return nil, err
	}
	key := scope(c) + name
	_, err = l.st.Update(c.Context, func(tx store.Tx) error {
		if _, err := getGroup(c.Context, tx, key); err != nil {
			return err
		}
		if err := tx.Delete(c.Context, groupsTable, key); err != nil {
			return internal("delete log group", err)
		}
		if err := tx.Delete(c.Context, countsTable, key); err != nil {
			return internal("delete log group", err)
		}
		if err := deletePrefix(c.Context, tx, streamsTable, key+"|"); err != nil {
			return err
		}
		return deletePrefix(c.Context, tx, eventsTable, key+"|")
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// deletePrefix deletes every key of table that starts with prefix.
func deletePrefix(ctx context.Context, tx store.Tx, table, prefix string) error {
	after := ""
	for {
		items, err := tx.List(ctx, table, prefix, after, 1000)
		if err != nil {
			return internal("delete", err)
		}
		for _, it := range items {
			if err := tx.Delete(ctx, table, it.Key); err != nil {
				return internal("delete", err)
			}
		}
		if len(items) < 1000 {
			return nil
		}
		after = items[len(items)-1].Key
	}
}

func (l *Logs) describeLogGroups(c *api.Call) (any, error) {
	var in struct {
		LogGroupNamePrefix  string `json:"logGroupNamePrefix"`
		LogGroupNamePattern string `json:"logGroupNamePattern"`
		LogGroupClass       string `json:"logGroupClass"`
		NextToken           string `json:"nextToken"`
		Limit               *int   `json:"limit"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, invalidParameter("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive.")
	}
	sc := scope(c)
	// The token is the last group returned, bound to the request's filters.
	page := api.TokenScope("DescribeLogGroups", in.LogGroupNamePrefix, in.LogGroupNamePattern, in.LogGroupClass)
	after := ""
	if in.NextToken != "" {
		name, err := decodeToken(page, in.NextToken)
		if err != nil {
			return nil, err
		}
		after = sc + name
	}
	pattern := strings.ToLower(in.LogGroupNamePattern)
	out := struct {
		LogGroups []LogGroup `json:"logGroups"`
		NextToken string     `json:"nextToken,omitempty"`
	}{LogGroups: []LogGroup{}}
	// Without filters a page reads what it returns and one more.
	chunk := 500
	if pattern == "" && in.LogGroupClass == "" {
		chunk = min(chunk, limit+1)
	}
	for {
		items, err := l.st.List(c.Context, groupsTable, sc+in.LogGroupNamePrefix, after, chunk)
		if err != nil {
			return nil, internal("describe log groups", err)
		}
		for _, it := range items {
			var g group
			if err := unmarshal(it.Value, &g); err != nil {
				return nil, err
			}
			if pattern != "" && !strings.Contains(strings.ToLower(g.Name), pattern) ||
				in.LogGroupClass != "" && in.LogGroupClass != g.Class {
				continue
			}
			if len(out.LogGroups) == limit {
				out.NextToken = api.EncodeToken(page, out.LogGroups[limit-1].LogGroupName)
				return out, nil
			}
			n, err := getCounts(c.Context, l.st, it.Key, &g)
			if err != nil {
				return nil, err
			}
			out.LogGroups = append(out.LogGroups, g.describe(c, n))
		}
		if len(items) < chunk {
			return out, nil
		}
		after = items[len(items)-1].Key
	}
}

func (g *group) describe(c *api.Call, n *groupCounts) LogGroup {
	arn := groupARN(c.Region, c.Account, g.Name)
	class := g.Class
	if class == "" {
		class = "STANDARD"
	}
	return LogGroup{
		LogGroupName:    g.Name,
		CreationTime:    g.Created,
		RetentionInDays: g.Retention,
		ARN:             arn + ":*",
		StoredBytes:     n.StoredBytes,
		KmsKeyID:        g.KmsKeyID,
		LogGroupClass:   class,
		LogGroupARN:     arn,
	}
}

// updateGroup applies fn to a stored log group in one transaction.
func (l *Logs) updateGroup(c *api.Call, name string, fn func(g *group) error) error {
	key := scope(c) + name
	_, err := l.st.Update(c.Context, func(tx store.Tx) error {
		g, err := getGroup(c.Context, tx, key)
		if err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
		return store.PutJSON(c.Context, tx, groupsTable, key, g)
	})
	return err
}

func (l *Logs) putRetentionPolicy(c *api.Call) (any, error) {
	var in struct {
		LogGroupName    string `json:"logGroupName"`
		RetentionInDays *int   `json:"retentionInDays"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if in.RetentionInDays == nil {
		return nil, missing("retentionInDays")
	}
	days := *in.RetentionInDays
	if !slices.Contains(retentionDays, days) {
		return nil, invalidParameter("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", days)
	}
	trailGroup(c, in.LogGroupName, map[string]any{"retentionInDays": days})
	return struct{}{}, l.updateGroup(c, in.LogGroupName, func(g *group) error {
		g.Retention = &days
		return nil
	})
}

func (l *Logs) deleteRetentionPolicy(c *api.Call) (any, error) {
	name, err := namedGroup(c)
	if err != nil {
		return nil, err
	}
	return struct{}{}, l.updateGroup(c, name, func(g *group) error {
		g.Retention = nil
		return nil
	})
}

// taggedGroup returns the log group a tagging request's resourceArn names.
func taggedGroup(c *api.Call, arn string) (string, error) {
	if arn == "" {
		return "", missing("resourceArn")
	}
	prefix := "arn:aws:logs:" + c.Region + ":" + c.Account + ":log-group:"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" {
		return "", api.Errorf(400, "ResourceNotFoundException", "The specified resource does not exist.")
	}
	return strings.TrimSuffix(name, ":*"), nil
}

func (l *Logs) tagResource(c *api.Call) (any, error) {
	var in struct {
		ResourceARN string            `json:"resourceArn"`
		Tags        map[string]string `json:"tags"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	name, err := taggedGroup(c, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, missing("tags")
	}
	trailGroup(c, name, nil)
	return struct{}{}, l.updateGroup(c, name, func(g *group) error {
		if g.Tags == nil {
			g.Tags = map[string]string{}
		}
		maps.Copy(g.Tags, in.Tags)
		if len(g.Tags) > 50 {
			return api.Errorf(400, "TooManyTagsException", "A resource can have no more than 50 tags.")
		}
		return nil
	})
}

func (l *Logs) untagResource(c *api.Call) (any, error) {
	var in struct {
		ResourceARN string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	name, err := taggedGroup(c, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	trailGroup(c, name, nil)
	return struct{}{}, l.updateGroup(c, name, func(g *group) error {
		for _, k := range in.TagKeys {
			delete(g.Tags, k)
		}
		return nil
	})
}

func (l *Logs) listTagsForResource(c *api.Call) (any, error) {
	var in struct {
		ResourceARN string `json:"resourceArn"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	name, err := taggedGroup(c, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	trailGroup(c, name, nil)
	g, err := getGroup(c.Context, l.st, scope(c)+name)
	if err != nil {
		return nil, err
	}
	tags := g.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return struct {
		Tags map[string]string `json:"tags"`
	}{tags}, nil
}
