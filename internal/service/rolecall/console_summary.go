package rolecall

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

// resourceSummary is GetResourceSummary's output: what the Lambda console
// shows under Configuration → Permissions → Resource summary.
type resourceSummary struct {
	FunctionName string         `json:"functionName"`
	FunctionArn  string         `json:"functionArn"`
	RoleArn      string         `json:"roleArn"`
	RoleName     string         `json:"roleName"`
	Policies     []attachment   `json:"policies"`
	Services     []serviceReach `json:"services"`
}

// serviceReach is one service of the summary's drop-down: its counts, and
// when the service was asked for (?service=), its "By action" and "By
// resource" views.
type serviceReach struct {
	Service       string           `json:"service"`
	Name          string           `json:"name"`
	ActionCount   int              `json:"actionCount"`
	AccessLevels  map[string]int   `json:"accessLevels"`
	ResourceCount int              `json:"resourceCount"`
	ByAction      []actionReach    `json:"byAction,omitempty"`
	ByResource    []resourceAccess `json:"byResource,omitempty"`
}

type actionReach struct {
	Action      string          `json:"action"`
	Access      string          `json:"accessLevel"`
	Resources   []string        `json:"resources"`
	Denied      []string        `json:"deniedResources,omitempty"`
	Conditional bool            `json:"conditional"`
	Statements  []api.Statement `json:"statements"`
}

type resourceAccess struct {
	Resource string         `json:"resource"`
	Actions  []actionAccess `json:"actions"`
}

type actionAccess struct {
	Action      string `json:"action"`
	Access      string `json:"accessLevel"`
	Conditional bool   `json:"conditional"`
}

// getResourceSummary answers GetResourceSummary: the function's execution
// role (GetFunctionConfiguration, called in-process as the caller) and
// what the role's policies let it reach, read through IAM as the caller.
// Without the query parameter service the answer lists the services the
// role reaches with their counts (actions, actions per access level,
// resource patterns), as the console's drop-down shows them; with
// service=<action prefix> it gives that service's actions and resources.
func (r *API) getResourceSummary(c *api.Call) (any, error) {
	if err := checkQuery(c, "service"); err != nil {
		return nil, err
	}
	fn, err := r.cfg.Invoker.Invoke(c.Context, api.Internal{Principal: c.Principal, Service: "lambda", Operation: "GetFunctionConfiguration",
		PathParams: map[string]string{"FunctionName": c.PathParams["FunctionName"]}, Region: r.region(c)})
	if err != nil {
		return nil, err
	}
	var conf struct {
		FunctionName string `json:"FunctionName"`
		FunctionArn  string `json:"FunctionArn"`
		Role         string `json:"Role"`
	}
	b, err := json.Marshal(fn)
	if err == nil {
		err = json.Unmarshal(b, &conf)
	}
	if err != nil {
		return nil, fmt.Errorf("rolecall: function configuration: %w", err)
	}
	name := conf.Role[strings.LastIndexByte(conf.Role, '/')+1:]
	ri, err := r.readRole(c, name)
	if err != nil {
		return nil, err
	}
	out := &resourceSummary{FunctionName: conf.FunctionName, FunctionArn: conf.FunctionArn, RoleArn: ri.role.ARN, RoleName: ri.role.Name,
		Policies: ri.policies, Services: []serviceReach{}}
	if out.Policies == nil {
		out.Policies = []attachment{}
	}
	principal := policy.Principal{Type: policy.Role, ARN: ri.role.ARN, Account: accountOf(ri.role.ARN), ID: ri.role.ID}
	cat := catalog.Load()
	only, detail := c.Params.Get("service"), c.Params.Has("service")
	if !detail {
		for _, s := range r.reach.reach(ri.in, principal, cat, "") {
			out.Services = append(out.Services, summarize(s, false))
		}
		return out, nil
	}
	svc := cat.Service(only)
	if svc == nil {
		return nil, validation("fieldValidationFailed", "service", fmt.Sprintf("service must be the action prefix of a service (s3, dynamodb, ...); %q is not one.", only))
	}
	for _, s := range r.reach.reach(ri.in, principal, cat, svc.Prefix) {
		out.Services = append(out.Services, summarize(s, true))
	}
	return out, nil
}

// summarize gives one service's counts, and its views when detail is set.
func summarize(s access.ServiceReach, detail bool) serviceReach {
	sr := serviceReach{Service: s.Service, Name: s.Name, ActionCount: len(s.Actions), AccessLevels: map[string]int{}}
	by := map[string][]actionAccess{}
	for _, a := range s.Actions {
		for level := range strings.SplitSeq(a.Access, ", ") {
			sr.AccessLevels[level]++
		}
		if detail {
			sr.ByAction = append(sr.ByAction, actionReach{Action: a.Action, Access: a.Access, Resources: a.Resources, Denied: a.Denied,
				Conditional: a.Conditional, Statements: a.Statements})
		}
		for _, res := range a.Resources {
			if detail {
				by[res] = append(by[res], actionAccess{Action: a.Action, Access: a.Access, Conditional: a.Conditional})
			} else if _, ok := by[res]; !ok {
				by[res] = nil
			}
		}
	}
	sr.ResourceCount = len(by)
	if !detail {
		return sr
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sr.ByResource = append(sr.ByResource, resourceAccess{Resource: k, Actions: by[k]})
	}
	return sr
}

// accountOf returns the account of an ARN.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
