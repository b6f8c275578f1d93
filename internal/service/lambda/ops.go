package lambda

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// resourceKind says how an operation's resource ARN is derived.
type resourceKind int

const (
	resNone        resourceKind = iota // "*"
	resNewFunction                     // the body's FunctionName (CreateFunction)
	resFunction                        // the path's function, with its qualifier
	resTagged                          // the path's Resource ARN
)

// opDef is one row of the operation table.
type opDef struct {
	name     string
	method   string
	path     string
	action   string
	status   int
	readOnly bool
	resource resourceKind
	handle   func(l *Lambda, c *api.Call) (any, error)
	conds    func(l *Lambda, c *api.Call, keys api.Keys)
}

// resourceType is the trail's type of a function.
const resourceType = "AWS::Lambda::Function"

// operations is Lambda's operation table: the control plane and Invoke.
var operations = []opDef{
	{"CreateFunction", "POST", "/2015-03-31/functions", "lambda:CreateFunction", 201, false, resNewFunction, (*Lambda).createFunction, createConditions},
	{"ListFunctions", "GET", "/2015-03-31/functions", "lambda:ListFunctions", 200, true, resNone, (*Lambda).listFunctions, nil},
	{"GetFunction", "GET", "/2015-03-31/functions/{FunctionName}", "lambda:GetFunction", 200, true, resFunction, (*Lambda).getFunction, nil},
	{"DeleteFunction", "DELETE", "/2015-03-31/functions/{FunctionName}", "lambda:DeleteFunction", 204, false, resFunction, (*Lambda).deleteFunction, nil},
	{"GetFunctionConfiguration", "GET", "/2015-03-31/functions/{FunctionName}/configuration", "lambda:GetFunctionConfiguration", 200, true, resFunction, (*Lambda).getFunctionConfiguration, nil},
	{"UpdateFunctionConfiguration", "PUT", "/2015-03-31/functions/{FunctionName}/configuration", "lambda:UpdateFunctionConfiguration", 200, false, resFunction, (*Lambda).updateFunctionConfiguration, vpcConditions},
	{"UpdateFunctionCode", "PUT", "/2015-03-31/functions/{FunctionName}/code", "lambda:UpdateFunctionCode", 200, false, resFunction, (*Lambda).updateFunctionCode, nil},
	{"Invoke", "POST", "/2015-03-31/functions/{FunctionName}/invocations", "lambda:InvokeFunction", 200, false, resFunction, (*Lambda).invoke, nil},
	{"InvokeAsync", "POST", "/2014-11-13/functions/{FunctionName}/invoke-async", "lambda:InvokeFunction", 202, false, resFunction, (*Lambda).invokeAsync, nil},
	{"PublishVersion", "POST", "/2015-03-31/functions/{FunctionName}/versions", "lambda:PublishVersion", 201, false, resFunction, (*Lambda).publishVersion, nil},
	{"ListVersionsByFunction", "GET", "/2015-03-31/functions/{FunctionName}/versions", "lambda:ListVersionsByFunction", 200, true, resFunction, (*Lambda).listVersionsByFunction, nil},
	{"CreateAlias", "POST", "/2015-03-31/functions/{FunctionName}/aliases", "lambda:CreateAlias", 201, false, resFunction, (*Lambda).createAlias, nil},
	{"ListAliases", "GET", "/2015-03-31/functions/{FunctionName}/aliases", "lambda:ListAliases", 200, true, resFunction, (*Lambda).listAliases, nil},
	{"GetAlias", "GET", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "lambda:GetAlias", 200, true, resFunction, (*Lambda).getAlias, nil},
	{"UpdateAlias", "PUT", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "lambda:UpdateAlias", 200, false, resFunction, (*Lambda).updateAlias, nil},
	{"DeleteAlias", "DELETE", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "lambda:DeleteAlias", 204, false, resFunction, (*Lambda).deleteAlias, nil},
	{"AddPermission", "POST", "/2015-03-31/functions/{FunctionName}/policy", "lambda:AddPermission", 201, false, resFunction, (*Lambda).addPermission, (*Lambda).principalCondition},
	{"GetPolicy", "GET", "/2015-03-31/functions/{FunctionName}/policy", "lambda:GetPolicy", 200, true, resFunction, (*Lambda).getPolicy, nil},
	{"RemovePermission", "DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "lambda:RemovePermission", 204, false, resFunction, (*Lambda).removePermission, nil},
	{"ListTags", "GET", "/2017-03-31/tags/{Resource}", "lambda:ListTags", 200, true, resTagged, (*Lambda).listTags, nil},
	{"TagResource", "POST", "/2017-03-31/tags/{Resource}", "lambda:TagResource", 204, false, resTagged, (*Lambda).tagResourceOp, tagConditionsOp},
	{"UntagResource", "DELETE", "/2017-03-31/tags/{Resource}", "lambda:UntagResource", 204, false, resTagged, (*Lambda).untagResource, tagConditionsOp},
	{"PutFunctionConcurrency", "PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "lambda:PutFunctionConcurrency", 200, false, resFunction, (*Lambda).putFunctionConcurrency, nil},
	{"DeleteFunctionConcurrency", "DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "lambda:DeleteFunctionConcurrency", 204, false, resFunction, (*Lambda).deleteFunctionConcurrency, nil},
	{"GetFunctionConcurrency", "GET", "/2019-09-30/functions/{FunctionName}/concurrency", "lambda:GetFunctionConcurrency", 200, true, resFunction, (*Lambda).getFunctionConcurrency, nil},
	{"GetAccountSettings", "GET", "/2016-08-19/account-settings", "lambda:GetAccountSettings", 200, true, resNone, (*Lambda).getAccountSettings, nil},
}

// Service returns Lambda's service declaration for the gateway.
func (l *Lambda) Service() *api.Service {
	svc := &api.Service{
		Name:        "lambda",
		EventSource: "lambda.amazonaws.com",
		Protocols:   []string{"restJson1"},
		// Deployment packages up to 50 MB arrive base64-encoded in JSON.
		MaxBody:    70 << 20,
		Operations: map[string]*api.Operation{},
	}
	for _, d := range operations {
		op := &api.Operation{
			Name:          d.name,
			Action:        d.action,
			ReadOnly:      d.readOnly,
			SuccessStatus: d.status,
			Handle:        func(c *api.Call) (any, error) { return d.handle(l, c) },
		}
		switch d.resource {
		case resNewFunction:
			op.Resource = l.createResource
		case resFunction:
			op.Resource = l.functionResource
		case resTagged:
			op.Resource = l.tagResource
		}
		if d.name == "Invoke" || d.name == "InvokeAsync" {
			op.Category = api.Data
		}
		if d.conds != nil {
			op.Conditions = func(c *api.Call, keys api.Keys) { d.conds(l, c, keys) }
		}
		svc.Operations[d.name] = op
		svc.Routes = append(svc.Routes, api.Route{Method: d.method, Path: d.path, Operation: d.name})
	}
	return svc
}

// pathRef is the function of the path, with the Qualifier parameter.
func (l *Lambda) pathRef(c *api.Call, namespaced bool) (fnRef, error) {
	ref, err := parseFunctionName(c.PathParams["FunctionName"], c.Account, l.cfg.Region, namespaced)
	if err != nil {
		return ref, err
	}
	return withQualifier(ref, c.Params.Get("Qualifier"))
}

// functionResource is the function the function operations are authorized
// on, with its resource-based policy.
func (l *Lambda) functionResource(c *api.Call) (api.Resource, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return api.Resource{}, err
	}
	p, _, err := l.resourcePolicy(c)
	if err != nil {
		return api.Resource{}, err
	}
	res := api.Resource{ARN: ref.qualifiedARN(), Type: resourceType, Policy: p}
	// aws:ResourceTag/* are the function's tags; a function that does not
	// exist has none, and the handler answers for it.
	if f, err := l.load(c.Context, l.cfg.Store, ref); err == nil {
		res.Tags = f.Tags
	} else if !isNotFound(err) {
		return api.Resource{}, err
	}
	return res, nil
}

// createConditions are CreateFunction's condition keys: the VPC settings
// and the request's tags.
func createConditions(l *Lambda, c *api.Call, keys api.Keys) {
	vpcConditions(l, c, keys)
	tagConditions(c, keys)
}

func tagConditionsOp(_ *Lambda, c *api.Call, keys api.Keys) { tagConditions(c, keys) }

// vpcConditions sets lambda:VpcIds, lambda:SubnetIds and lambda:SecurityGroupIds.
func vpcConditions(_ *Lambda, c *api.Call, keys api.Keys) {
	set := keys.Set
	var in struct{ VpcConfig *vpcInput }
	if decodeBody(c, &in) != nil || in.VpcConfig == nil {
		return
	}
	if v, err := in.VpcConfig.vpc(); err == nil && v != nil {
		set("lambda:VpcIds", v.VpcID)
		set("lambda:SubnetIds", v.SubnetIDs...)
		set("lambda:SecurityGroupIds", v.SecurityGroupIDs...)
	}
}

// invokeAsync is the deprecated InvokeAsync: an Event invocation.
func (l *Lambda) invokeAsync(c *api.Call) (any, error) {
	if c.HTTP != nil {
		c.HTTP.Header.Set("X-Amz-Invocation-Type", "Event")
	}
	if _, err := l.invoke(c); err != nil {
		return nil, err
	}
	return &api.Raw{Status: http.StatusAccepted, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"Status":202}`)}, nil
}
