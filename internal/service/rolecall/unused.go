package rolecall

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/access/unused"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/service/iam"
)

// unusedOps returns the operations of unused access.
func (r *API) unusedOps() []*api.Operation {
	return []*api.Operation{
		// GetUnusedAccess reads what IAM's GetRole or GetUser shows of the
		// principal and what CloudTrail's LookupEvents shows of its calls,
		// and is authorized for both: cloudtrail:LookupEvents here, and
		// iam:GetRole (a role) or iam:GetUser (a user) on the principal in
		// the handler, once the principal's kind is known.
		{Name: "GetUnusedAccess", Action: "cloudtrail:LookupEvents", ReadOnly: true,
			HTTP: api.HTTP{Method: "POST", Path: "/v1/unused-access"}, Handle: r.getUnusedAccess},
	}
}

// unusedInput is GetUnusedAccess's input: the principal (a role or user
// ARN) and the time range in epoch seconds; endTime defaults to now.
type unusedInput struct {
	PrincipalArn string   `json:"principalArn"`
	StartTime    *float64 `json:"startTime"`
	EndTime      *float64 `json:"endTime"`
}

// unusedOutput is GetUnusedAccess's answer; times are epoch seconds.
type unusedOutput struct {
	PrincipalArn string          `json:"principalArn"`
	StartTime    int64           `json:"startTime"`
	EndTime      int64           `json:"endTime"`
	Used         bool            `json:"used"`
	LastUsed     *int64          `json:"lastUsed,omitempty"`
	Unused       []unusedService `json:"unused"`
	UsedActions  []usedAction    `json:"usedActions"`
	Broad        []broadAction   `json:"broadResources"`
	Denied       []deniedAction  `json:"deniedActions"`
}

// deniedAction is an action refused to the principal within the range
// (used but missing): the decision, the resources, how many times, the
// last time and one refused event, whose explanation
// GET /v1/events/{EventId}/explanation gives.
type deniedAction struct {
	Action    string   `json:"action"`
	Decision  string   `json:"decision"`
	Resources []string `json:"resources"`
	Count     int64    `json:"count"`
	LastUsed  int64    `json:"lastUsed"`
	EventID   string   `json:"eventId,omitempty"`
}

// broadAction is an action used within the range on fewer resources than
// it is granted on: the granted patterns beyond its use, and the resources
// a policy generated from the same traffic names instead.
type broadAction struct {
	Action    string   `json:"action"`
	Resources []string `json:"resources"`
	UsedOn    []string `json:"usedOn"`
}

type unusedService struct {
	Service      string         `json:"service"`
	ServiceName  string         `json:"serviceName"`
	Whole        bool           `json:"wholeService"`
	LastAccessed *int64         `json:"lastAccessed,omitempty"`
	Actions      []unusedAction `json:"actions"`
}

type unusedAction struct {
	Action       string   `json:"action"`
	Resources    []string `json:"resources"`
	LastAccessed *int64   `json:"lastAccessed,omitempty"`
}

type usedAction struct {
	Action    string   `json:"action"`
	Resources []string `json:"resources"`
	Count     int64    `json:"count"`
	LastUsed  int64    `json:"lastUsed"`
}

// unusedInvalid is the API's ValidationException.
func unusedInvalid(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

// unusedTime converts epoch seconds, refusing what is no time.
func unusedTime(name string, v float64) (time.Time, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e11 {
		return time.Time{}, unusedInvalid("%s must be a time in epoch seconds.", name)
	}
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

func epochPtr(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	s := t.Unix()
	return &s
}

// getUnusedAccess answers, for a role or user and a time range, what its
// identity policies grant that it did not use within the range (per
// service, the actions with their resources and their last use before the
// range), the actions it used on fewer resources than they are granted on
// (broadResources), what it used (actions with resources and counts), and
// what it was refused (deniedActions: used but missing). A principal with
// no recorded call in the range, and for a role not assumed in it, is
// used=false.
func (r *API) getUnusedAccess(c *api.Call) (any, error) {
	var in unusedInput
	if err := decodeRequired(c, &in); err != nil {
		return nil, err
	}
	if in.PrincipalArn == "" {
		return nil, unusedInvalid("principalArn is required.")
	}
	if in.StartTime == nil {
		return nil, unusedInvalid("startTime is required.")
	}
	start, err := unusedTime("startTime", *in.StartTime)
	if err != nil {
		return nil, err
	}
	end := r.cfg.Now().UTC()
	if in.EndTime != nil {
		if end, err = unusedTime("endTime", *in.EndTime); err != nil {
			return nil, err
		}
	}
	if !start.Before(end) {
		return nil, unusedInvalid("startTime must be before endTime.")
	}
	kind, action := "", ""
	switch rest := strings.SplitN(in.PrincipalArn, ":", 6); {
	case len(rest) == 6 && rest[2] == "iam" && strings.HasPrefix(rest[5], "role/"):
		kind, action = iam.RoleType, "iam:GetRole"
	case len(rest) == 6 && rest[2] == "iam" && strings.HasPrefix(rest[5], "user/"):
		kind, action = iam.UserType, "iam:GetUser"
	default:
		return nil, unusedInvalid("principalArn %s is not the ARN of an IAM role or user.", in.PrincipalArn)
	}
	if err := c.Authorize(action, api.Resource{ARN: in.PrincipalArn, Type: kind}, nil); err != nil {
		return nil, err
	}
	e, err := r.cfg.IAM.Entity(c.Context, in.PrincipalArn)
	var ae *api.Error
	switch {
	case errors.As(err, &ae) && ae.Code == "NoSuchEntity":
		return nil, api.Errorf(http.StatusNotFound, "ResourceNotFoundException", "The principal %s cannot be found.", in.PrincipalArn)
	case err != nil:
		return nil, err
	}
	p := &api.Principal{Account: c.Account, ARN: e.ARN}
	pp := policy.Principal{ARN: e.ARN, Account: c.Account, ID: e.ID}
	if kind == iam.RoleType {
		p.Type, p.RoleARN, p.RoleName, p.RoleID = api.AssumedRole, e.ARN, e.Name, e.ID
		pp.Type, pp.RoleARN = policy.Role, e.ARN
	} else {
		p.Type, p.UserName, p.PrincipalID = api.IAMUser, e.Name, e.ID
		pp.Type = policy.User
	}
	if r.cfg.Flush != nil {
		if err := r.cfg.Flush(c.Context); err != nil {
			return nil, fmt.Errorf("rolecall: flush the trail: %w", err)
		}
	}
	set, err := r.cfg.IAM.PolicyInput(c.Context, p)
	if err != nil {
		return nil, err
	}
	rep, err := unused.Principal(c.Context, r.cfg.Store, set, pp, start, end)
	if err != nil {
		return nil, err
	}
	out := unusedOutput{PrincipalArn: e.ARN, StartTime: start.Unix(), EndTime: end.Unix(), Used: rep.Used,
		Unused: []unusedService{}, UsedActions: []usedAction{}, Broad: []broadAction{}, Denied: []deniedAction{}}
	last := rep.LastUsed
	if !e.LastAssumed.After(end) && e.LastAssumed.After(last) {
		last = e.LastAssumed
	}
	if !e.LastAssumed.Before(start) && !e.LastAssumed.After(end) {
		out.Used = true
	}
	out.LastUsed = epochPtr(last)
	for _, s := range rep.Unused {
		us := unusedService{Service: s.Service, ServiceName: s.Name, Whole: s.Whole, LastAccessed: epochPtr(s.LastAccessed)}
		for _, a := range s.Actions {
			us.Actions = append(us.Actions, unusedAction{Action: a.Action, Resources: a.Resources, LastAccessed: epochPtr(a.LastAccessed)})
		}
		out.Unused = append(out.Unused, us)
	}
	for _, b := range rep.Broad {
		out.Broad = append(out.Broad, broadAction{Action: b.Action, Resources: b.Resources, UsedOn: b.UsedOn})
	}
	for _, d := range rep.Denied {
		out.Denied = append(out.Denied, deniedAction{Action: d.Action, Decision: d.Decision, Resources: d.Resources,
			Count: d.Count, LastUsed: d.Last.Unix(), EventID: d.EventID})
	}
	for _, u := range rep.UsedActions {
		out.UsedActions = append(out.UsedActions, usedAction{Action: u.Action, Resources: u.Resources, Count: u.Count, LastUsed: u.Last.Unix()})
	}
	return out, nil
}
