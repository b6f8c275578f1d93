package organizations

import (
	"encoding/json"

	"github.com/rolecall/rolecall/internal/api"
)

// ids holds the request members that name an organization's resources.
type ids struct {
	PolicyID             string `json:"PolicyId"`
	TargetID             string `json:"TargetId"`
	AccountID            string `json:"AccountId"`
	OrganizationalUnitID string `json:"OrganizationalUnitId"`
	ParentID             string `json:"ParentId"`
	ChildID              string `json:"ChildId"`
	RootID               string `json:"RootId"`
	ResourceID           string `json:"ResourceId"`
	DestinationParentID  string `json:"DestinationParentId"`
}

// member picks the member of a request that names the resource an action
// is authorized on.
type member func(ids) string

var (
	byPolicy      member = func(in ids) string { return in.PolicyID }
	byTarget      member = func(in ids) string { return in.TargetID }
	byAccount     member = func(in ids) string { return in.AccountID }
	byOU          member = func(in ids) string { return in.OrganizationalUnitID }
	byParent      member = func(in ids) string { return in.ParentID }
	byChild       member = func(in ids) string { return in.ChildID }
	byRoot        member = func(in ids) string { return in.RootID }
	byResource    member = func(in ids) string { return in.ResourceID }
	byDestination member = func(in ids) string { return in.DestinationParentID }
)

// resource returns the Resource func that authorizes an action on the
// resource the request names by m: its ARN (a policy, root, OU or
// account of the caller's organization), as IAM's catalog for
// Organizations lists them, so that a policy allowing or denying a
// particular ARN applies. A request naming nothing known is authorized
// on "*": the handler answers it with the not-found error.
func (o *Org) resource(m member) func(c *api.Call) (api.Resource, error) {
	return func(c *api.Call) (api.Resource, error) {
		var in ids
		body, err := c.Payload()
		if err != nil {
			return api.Resource{}, err
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return api.Resource{}, api.Errorf(400, "SerializationException", "Start of structure or map found where not expected.")
			}
		}
		id := m(in)
		if id == "" {
			return api.Resource{ARN: "*"}, nil
		}
		rec, err := load(c.Context, o.st, c.Account)
		if err != nil || rec == nil {
			return api.Resource{ARN: "*"}, err
		}
		if arn, _, _ := rec.target(id); arn != "" {
			return api.Resource{ARN: arn, Tags: rec.Tags[id]}, nil
		}
		if p := rec.policy(id); p != nil {
			return api.Resource{ARN: rec.policyARN(p), Tags: rec.Tags[id]}, nil
		}
		return api.Resource{ARN: "*"}, nil
	}
}
