// Package logs implements CloudWatch Logs (awsJson1.1): log groups, log
// streams, PutLogEvents, GetLogEvents and FilterLogEvents, kept in the store.
package logs

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
)

// TargetPrefix is the X-Amz-Target prefix of CloudWatch Logs requests.
const TargetPrefix = "Logs_20140328"

// Store tables. A group's counters, which PutLogEvents and
// CreateLogStream change, are kept apart from the group's configuration,
// which other requests edit.
const (
	groupsTable  = "logs_groups"      // scope|group → group
	countsTable  = "logs_group_stats" // scope|group → groupCounts
	streamsTable = "logs_streams"     // scope|group|stream → stream
	eventsTable  = "logs_events"      // scope|group|streamNo|timestamp|seq → ingestion time, message
)

// Logs is the CloudWatch Logs service.
type Logs struct {
	st  store.Store
	now func() time.Time
}

// New returns CloudWatch Logs keeping its data in st. A nil now means time.Now.
func New(st store.Store, now func() time.Time) *Logs {
	if now == nil {
		now = time.Now
	}
	return &Logs{st: st, now: now}
}

// resourceKind says what an operation is authorized on.
type resourceKind int

const (
	onGroups resourceKind = iota // arn:...:log-group:*
	onGroup                      // arn:...:log-group:NAME:*
	onStream                     // arn:...:log-group:NAME:log-stream:STREAM
	onARN                        // the request's resourceArn
)

// Service returns the operation table.
func (l *Logs) Service() *api.Service {
	return api.NewService(api.Service{
		Name:         "logs",
		EventSource:  "logs.amazonaws.com",
		Protocols:    []string{"awsJson1_1"},
		TargetPrefix: TargetPrefix,
		Validate:     shape.HookLeaving("logs", "InvalidParameterException", leftToHandlers),
	}, []*api.Operation{
		{Name: "CreateLogGroup", Action: "logs:CreateLogGroup", Resource: resourceFunc(onGroup), Handle: l.createLogGroup},
		{Name: "DeleteLogGroup", Action: "logs:DeleteLogGroup", Resource: resourceFunc(onGroup), Handle: l.deleteLogGroup},
		{Name: "DescribeLogGroups", Action: "logs:DescribeLogGroups", ReadOnly: true, Resource: resourceFunc(onGroups), Handle: l.describeLogGroups},
		{Name: "PutRetentionPolicy", Action: "logs:PutRetentionPolicy", Resource: resourceFunc(onGroup), Handle: l.putRetentionPolicy},
		{Name: "DeleteRetentionPolicy", Action: "logs:DeleteRetentionPolicy", Resource: resourceFunc(onGroup), Handle: l.deleteRetentionPolicy},
		{Name: "CreateLogStream", Action: "logs:CreateLogStream", Resource: resourceFunc(onStream), Handle: l.createLogStream},
		{Name: "DeleteLogStream", Action: "logs:DeleteLogStream", Resource: resourceFunc(onStream), Handle: l.deleteLogStream},
		{Name: "DescribeLogStreams", Action: "logs:DescribeLogStreams", ReadOnly: true, Resource: resourceFunc(onGroup), Handle: l.describeLogStreams},
		{Name: "PutLogEvents", Action: "logs:PutLogEvents", Resource: resourceFunc(onStream), Handle: l.putLogEvents},
		{Name: "GetLogEvents", Action: "logs:GetLogEvents", ReadOnly: true, Resource: resourceFunc(onStream), Handle: l.getLogEvents},
		{Name: "FilterLogEvents", Action: "logs:FilterLogEvents", ReadOnly: true, Resource: resourceFunc(onGroup), Handle: l.filterLogEvents},
		{Name: "TagResource", Action: "logs:TagResource", Resource: resourceFunc(onARN), Handle: l.tagResource},
		{Name: "UntagResource", Action: "logs:UntagResource", Resource: resourceFunc(onARN), Handle: l.untagResource},
		{Name: "ListTagsForResource", Action: "logs:ListTagsForResource", ReadOnly: true, Resource: resourceFunc(onARN), Handle: l.listTagsForResource},
	}...)
}

// target holds the request members that name the resource.
type target struct {
	LogGroupName       string `json:"logGroupName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	LogStreamName      string `json:"logStreamName"`
	ResourceARN        string `json:"resourceArn"`
}

func resourceFunc(kind resourceKind) func(c *api.Call) (api.Resource, error) {
	return func(c *api.Call) (api.Resource, error) {
		var t target
		switch in := c.Input.(type) {
		case *CreateLogGroupInput:
			t.LogGroupName = in.LogGroupName
		case *StreamInput:
			t.LogGroupName, t.LogStreamName = in.LogGroupName, in.LogStreamName
		case *PutLogEventsInput:
			t.LogGroupName, t.LogStreamName = in.LogGroupName, in.LogStreamName
		case nil:
			body, err := c.Payload()
			if err != nil {
				return api.Resource{}, err
			}
			if len(body) > 0 {
				if err := json.Unmarshal(body, &t); err != nil {
					return api.Resource{}, serializationError()
				}
			}
		default:
			return api.Resource{}, fmt.Errorf("logs: %s input %T", c.OperationName, c.Input)
		}
		group := groupName(t.LogGroupName, t.LogGroupIdentifier)
		switch kind {
		case onGroups:
			return api.Resource{ARN: groupARN(c.Region, c.Account, "*")}, nil
		case onGroup:
			return api.Resource{ARN: groupARN(c.Region, c.Account, group) + ":*", Type: "AWS::Logs::LogGroup"}, nil
		case onStream:
			return api.Resource{ARN: streamARN(c.Region, c.Account, group, t.LogStreamName), Type: "AWS::Logs::LogStream"}, nil
		default:
			if t.ResourceARN == "" {
				return api.Resource{ARN: "*"}, nil
			}
			return api.Resource{ARN: t.ResourceARN}, nil
		}
	}
}

func groupARN(region, account, group string) string {
	return "arn:aws:logs:" + region + ":" + account + ":log-group:" + group
}

func streamARN(region, account, group, stream string) string {
	return groupARN(region, account, group) + ":log-stream:" + stream
}

// groupName returns the log group a request names, by name or by identifier
// (a name or an ARN, with or without the trailing ":*").
func groupName(name, identifier string) string {
	if name != "" || identifier == "" {
		return name
	}
	if strings.HasPrefix(identifier, "arn:") {
		_, after, ok := strings.Cut(identifier, ":log-group:")
		if ok {
			return strings.TrimSuffix(after, ":*")
		}
	}
	return identifier
}

// scope is the key prefix of one account and region.
func scope(c *api.Call) string { return c.Account + "|" + c.Region + "|" }

// Errors, as CloudWatch Logs words them.

func invalidParameter(format string, args ...any) *api.Error {
	return api.Errorf(400, "InvalidParameterException", format, args...)
}

func serializationError() *api.Error {
	return api.Errorf(400, "SerializationException", "Start of structure or map found where not expected.")
}

func missing(member string) *api.Error {
	return invalidParameter("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func groupNotFound() *api.Error {
	return api.Errorf(400, "ResourceNotFoundException", "The specified log group does not exist.")
}

func streamNotFound() *api.Error {
	return api.Errorf(400, "ResourceNotFoundException", "The specified log stream does not exist.")
}

func badToken() *api.Error {
	return invalidParameter("The specified nextToken is invalid.")
}

// leftToHandlers are the members whose constraints the handlers check
// themselves: CloudWatch Logs words limits as "between 1 and N", accepts
// a log group's ARN as DescribeLogGroups writes it (ending in ":*", which
// the model's pattern refuses) as an identifier, and checks a batch's
// events with the batch's own rules.
var leftToHandlers = map[string][]string{
	"DescribeLogGroups":  {"limit", "logGroupIdentifiers"},
	"DescribeLogStreams": {"limit", "logGroupIdentifier"},
	"GetLogEvents":       {"limit", "logGroupIdentifier"},
	"FilterLogEvents":    {"limit", "logGroupIdentifier"},
	"PutLogEvents":       {"logEvents"},
}

// decode reads a JSON request body into v, after the model's check of the
// input (Call.Validate).
func decode(c *api.Call, v any) error {
	if c.Input != nil {
		return c.Decode(v)
	}
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

// checkGroupName validates a log group name against the model's constraints.
func checkGroupName(member, name string) error {
	if name == "" {
		return missing(member)
	}
	if len(name) > 512 {
		return invalidParameter("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 512", name, member)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/#", r)) {
			return invalidParameter("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name, member)
		}
	}
	return nil
}

func checkStreamName(name string) error {
	if name == "" {
		return missing("logStreamName")
	}
	if len(name) > 512 || strings.ContainsAny(name, ":*") {
		return invalidParameter("1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", name)
	}
	return nil
}

func checkLimit(limit *int, max int) (int, error) {
	if limit == nil {
		return max, nil
	}
	if *limit < 1 || *limit > max {
		return 0, invalidParameter("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *limit, max)
	}
	return *limit, nil
}

// decodeToken returns the position a nextToken of the listing of scope
// continues (api.DecodeToken), or CloudWatch Logs' error for a bad token.
func decodeToken(scope, tok string) (string, error) {
	pos, ok := api.DecodeToken(scope, tok)
	if !ok || pos == "" {
		return "", badToken()
	}
	return pos, nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func internal(op string, err error) error { return fmt.Errorf("logs: %s: %w", op, err) }
