package lambda

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/shape"
)

// resourceType is the trail's type of a function.
const resourceType = "AWS::Lambda::Function"

// Service returns Lambda's operation table, the control plane and Invoke,
// for the gateway. Function operations are authorized on the function of
// the path (functionResource), CreateFunction on the function to be
// (createResource), tag operations on the path's Resource ARN (tagResource),
// and the rest on "*".
func (l *Lambda) Service() *api.Service {
	return api.NewService(api.Service{
		Name:        "lambda",
		EventSource: "lambda.amazonaws.com",
		Protocols:   []string{"restJson1"},
		// Deployment packages up to 50 MB arrive base64-encoded in JSON.
		MaxBody:  70 << 20,
		Validate: shape.HookLeaving("lambda", "ValidationException", leftToHandlers, modelChecked...),
	}, validateFirst(append([]*api.Operation{
		{Name: "CreateFunction", Action: "lambda:CreateFunction", HTTP: api.HTTP{Method: http.MethodPost, Path: "/2015-03-31/functions"}, SuccessStatus: 201, Resource: l.createResource, Conditions: l.createConditions, Handle: l.createFunction},
		{Name: "ListFunctions", Action: "lambda:ListFunctions", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2015-03-31/functions"}, Handle: l.listFunctions},
		{Name: "GetFunction", Action: "lambda:GetFunction", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2015-03-31/functions/{FunctionName}"}, Resource: l.functionResource, Handle: l.getFunction},
		{Name: "DeleteFunction", Action: "lambda:DeleteFunction", HTTP: api.HTTP{Method: http.MethodDelete, Path: "/2015-03-31/functions/{FunctionName}"}, SuccessStatus: 204, Resource: l.functionResource, Handle: l.deleteFunction},
		{Name: "GetFunctionConfiguration", Action: "lambda:GetFunctionConfiguration", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2015-03-31/functions/{FunctionName}/configuration"}, Resource: l.functionResource, Handle: l.getFunctionConfiguration},
		{Name: "UpdateFunctionConfiguration", Action: "lambda:UpdateFunctionConfiguration", HTTP: api.HTTP{Method: http.MethodPut, Path: "/2015-03-31/functions/{FunctionName}/configuration"}, Resource: l.functionResource, Conditions: l.vpcConditions, Handle: l.updateFunctionConfiguration},
		{Name: "UpdateFunctionCode", Action: "lambda:UpdateFunctionCode", HTTP: api.HTTP{Method: http.MethodPut, Path: "/2015-03-31/functions/{FunctionName}/code"}, Resource: l.functionResource, Handle: l.updateFunctionCode},
		{Name: "Invoke", Action: "lambda:InvokeFunction", Category: api.Data, HTTP: api.HTTP{Method: http.MethodPost, Path: "/2015-03-31/functions/{FunctionName}/invocations"}, Resource: l.functionResource, Handle: l.invoke},
		{Name: "InvokeAsync", Action: "lambda:InvokeFunction", Category: api.Data, HTTP: api.HTTP{Method: http.MethodPost, Path: "/2014-11-13/functions/{FunctionName}/invoke-async"}, SuccessStatus: 202, Resource: l.functionResource, Handle: l.invokeAsync},
		{Name: "PublishVersion", Action: "lambda:PublishVersion", HTTP: api.HTTP{Method: http.MethodPost, Path: "/2015-03-31/functions/{FunctionName}/versions"}, SuccessStatus: 201, Resource: l.functionResource, Handle: l.publishVersion},
		{Name: "ListVersionsByFunction", Action: "lambda:ListVersionsByFunction", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2015-03-31/functions/{FunctionName}/versions"}, Resource: l.functionResource, Handle: l.listVersionsByFunction},
		{Name: "CreateAlias", Action: "lambda:CreateAlias", HTTP: api.HTTP{Method: http.MethodPost, Path: "/2015-03-31/functions/{FunctionName}/aliases"}, SuccessStatus: 201, Resource: l.functionResource, Handle: l.createAlias},
		{Name: "ListAliases", Action: "lambda:ListAliases", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2015-03-31/functions/{FunctionName}/aliases"}, Resource: l.functionResource, Handle: l.listAliases},
		{Name: "GetAlias", Action: "lambda:GetAlias", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2015-03-31/functions/{FunctionName}/aliases/{Name}"}, Resource: l.functionResource, Handle: l.getAlias},
		{Name: "UpdateAlias", Action: "lambda:UpdateAlias", HTTP: api.HTTP{Method: http.MethodPut, Path: "/2015-03-31/functions/{FunctionName}/aliases/{Name}"}, Resource: l.functionResource, Handle: l.updateAlias},
		{Name: "DeleteAlias", Action: "lambda:DeleteAlias", HTTP: api.HTTP{Method: http.MethodDelete, Path: "/2015-03-31/functions/{FunctionName}/aliases/{Name}"}, SuccessStatus: 204, Resource: l.functionResource, Handle: l.deleteAlias},
		{Name: "AddPermission", Action: "lambda:AddPermission", HTTP: api.HTTP{Method: http.MethodPost, Path: "/2015-03-31/functions/{FunctionName}/policy"}, SuccessStatus: 201, Resource: l.functionResource, Conditions: l.principalCondition, Handle: l.addPermission},
		{Name: "GetPolicy", Action: "lambda:GetPolicy", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2015-03-31/functions/{FunctionName}/policy"}, Resource: l.functionResource, Handle: l.getPolicy},
		{Name: "RemovePermission", Action: "lambda:RemovePermission", HTTP: api.HTTP{Method: http.MethodDelete, Path: "/2015-03-31/functions/{FunctionName}/policy/{StatementId}"}, SuccessStatus: 204, Resource: l.functionResource, Handle: l.removePermission},
		{Name: "ListTags", Action: "lambda:ListTags", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2017-03-31/tags/{Resource}"}, Resource: l.tagResource, Handle: l.listTags},
		{Name: "TagResource", Action: "lambda:TagResource", HTTP: api.HTTP{Method: http.MethodPost, Path: "/2017-03-31/tags/{Resource}"}, SuccessStatus: 204, Resource: l.tagResource, Conditions: tagConditions, Handle: l.tagResourceOp},
		{Name: "UntagResource", Action: "lambda:UntagResource", HTTP: api.HTTP{Method: http.MethodDelete, Path: "/2017-03-31/tags/{Resource}"}, SuccessStatus: 204, Resource: l.tagResource, Conditions: tagConditions, Handle: l.untagResource},
		{Name: "PutFunctionConcurrency", Action: "lambda:PutFunctionConcurrency", HTTP: api.HTTP{Method: http.MethodPut, Path: "/2017-10-31/functions/{FunctionName}/concurrency"}, Resource: l.functionResource, Handle: l.putFunctionConcurrency},
		{Name: "DeleteFunctionConcurrency", Action: "lambda:DeleteFunctionConcurrency", HTTP: api.HTTP{Method: http.MethodDelete, Path: "/2017-10-31/functions/{FunctionName}/concurrency"}, SuccessStatus: 204, Resource: l.functionResource, Handle: l.deleteFunctionConcurrency},
		{Name: "GetFunctionConcurrency", Action: "lambda:GetFunctionConcurrency", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2019-09-30/functions/{FunctionName}/concurrency"}, Resource: l.functionResource, Handle: l.getFunctionConcurrency},
		{Name: "GetAccountSettings", Action: "lambda:GetAccountSettings", ReadOnly: true, HTTP: api.HTTP{Method: http.MethodGet, Path: "/2016-08-19/account-settings"}, Handle: l.getAccountSettings},
	}, l.mappings.Operations()...))...)
}

// modelChecked are the operations whose input the Lambda model checks
// (shape.Hook) before authorization. Invoke and InvokeAsync carry the
// event itself as their body and check their parameters in the handler.
var modelChecked = []string{
	"CreateFunction", "ListFunctions", "GetFunction", "DeleteFunction", "GetFunctionConfiguration",
	"UpdateFunctionConfiguration", "UpdateFunctionCode", "PublishVersion", "ListVersionsByFunction",
	"CreateAlias", "ListAliases", "GetAlias", "UpdateAlias", "DeleteAlias",
	"AddPermission", "GetPolicy", "RemovePermission", "ListTags", "TagResource", "UntagResource",
	"PutFunctionConcurrency", "DeleteFunctionConcurrency", "GetFunctionConcurrency", "GetAccountSettings",
	"CreateEventSourceMapping", "GetEventSourceMapping", "ListEventSourceMappings", "UpdateEventSourceMapping", "DeleteEventSourceMapping",
}

// leftToHandlers are the members whose constraints the handlers check
// themselves: Lambda words MaxItems as "between 1 and 10000", limits
// Timeout and MemorySize of the functions it runs more tightly than the
// model (900 s, 10240 MB), and reports both bounds of an alias's weights.
var leftToHandlers = map[string][]string{
	"ListFunctions":               {"maxItems"},
	"ListVersionsByFunction":      {"maxItems"},
	"ListAliases":                 {"maxItems"},
	"CreateFunction":              {"timeout", "memorySize"},
	"UpdateFunctionConfiguration": {"timeout", "memorySize"},
	"CreateAlias":                 {"routingConfig.additionalVersionWeights"},
	"UpdateAlias":                 {"routingConfig.additionalVersionWeights"},
	"ListEventSourceMappings":     {"maxItems"},
}

// validateFirst makes the model-checked operations' Resource and Handle
// answer with the model's verdict first (Call.Validate), so that a handler
// called without the gateway sees the same errors.
func validateFirst(ops []*api.Operation) []*api.Operation {
	checked := map[string]bool{}
	for _, name := range modelChecked {
		checked[name] = true
	}
	for _, op := range ops {
		if !checked[op.Name] {
			continue
		}
		if resource := op.Resource; resource != nil {
			op.Resource = func(c *api.Call) (api.Resource, error) {
				if e := c.Validate(); e != nil {
					return api.Resource{}, e
				}
				return resource(c)
			}
		}
		handle := op.Handle
		op.Handle = func(c *api.Call) (any, error) {
			if e := c.Validate(); e != nil {
				return nil, e
			}
			return handle(c)
		}
	}
	return ops
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
func (l *Lambda) createConditions(c *api.Call, res api.Resource, keys api.Keys) {
	l.vpcConditions(c, res, keys)
	tagConditions(c, res, keys)
}

// vpcConditions sets lambda:VpcIds (the subnets' VPC, as EC2 knows it;
// absent when EC2 does not know them), lambda:SubnetIds and
// lambda:SecurityGroupIds.
func (l *Lambda) vpcConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	set := keys.Set
	var in struct{ VpcConfig *vpcInput }
	if decodeBody(c, &in) != nil || in.VpcConfig == nil {
		return
	}
	if v, err := in.VpcConfig.vpc(); err == nil && v != nil {
		if n := l.cfg.Networks; n != nil {
			v.VpcID, err = n.FunctionVPC(c.Context, c.Account, l.cfg.Region, v.SubnetIDs, v.SecurityGroupIDs)
		}
		if err == nil && v.VpcID != "" {
			set("lambda:VpcIds", v.VpcID)
		}
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
