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

// serviceReach is one service of the summary's drop-down, with its
// "By action" and "By resource" views.
type serviceReach struct {
	Service     string           `json:"service"`
	Name        string           `json:"name"`
	ActionCount int              `json:"actionCount"`
	ByAction    []actionReach    `json:"byAction"`
	ByResource  []resourceAccess `json:"byResource"`
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
// The query parameter service limits the answer to one service prefix.
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
	only := c.Params.Get("service")
	for _, s := range access.Reach(ri.in, principal, catalog.Load()) {
		if only != "" && !strings.EqualFold(only, s.Service) {
			continue
		}
		out.Services = append(out.Services, summarize(s))
	}
	return out, nil
}

// summarize gives one service's views.
func summarize(s access.ServiceReach) serviceReach {
	sr := serviceReach{Service: s.Service, Name: s.Name, ActionCount: len(s.Actions)}
	by := map[string][]actionAccess{}
	for _, a := range s.Actions {
		sr.ByAction = append(sr.ByAction, actionReach{Action: a.Action, Access: a.Access, Resources: a.Resources, Denied: a.Denied,
			Conditional: a.Conditional, Statements: a.Statements})
		for _, res := range a.Resources {
			by[res] = append(by[res], actionAccess{Action: a.Action, Access: a.Access, Conditional: a.Conditional})
		}
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
