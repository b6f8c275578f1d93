package rolecall

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// consoleOps returns the operations of the Lambda console's permission
// helpers: a function's resource summary, the default execution role, the
// policy templates and the permissions a feature needs. Each reads and
// changes IAM through IAM's own operations, called in-process as the
// caller, so each IAM call is authorized as the caller's own and recorded
// in the trail: a caller may do here only what it may do through IAM.
func (r *API) consoleOps() []*api.Operation {
	return []*api.Operation{
		{Name: "GetResourceSummary", Action: "lambda:GetFunctionConfiguration", ReadOnly: true,
			HTTP:     api.HTTP{Method: http.MethodGet, Path: "/v1/functions/{FunctionName}/resource-summary"},
			Resource: r.functionResource, Handle: r.getResourceSummary},
		{Name: "CreateDefaultRole", Action: "iam:CreateRole",
			HTTP:          api.HTTP{Method: http.MethodPost, Path: "/v1/functions/{FunctionName}/default-role"},
			SuccessStatus: http.StatusCreated,
			Resource:      r.defaultRoleResource,
			Also: []api.Check{
				{Action: "iam:CreatePolicy", Resource: r.defaultPolicyResource},
				{Action: "iam:AttachRolePolicy", Resource: r.defaultRoleResource, Conditions: r.defaultPolicyARN},
			},
			Handle: r.createDefaultRole},
		{Name: "ListPolicyTemplates", ReadOnly: true,
			HTTP:   api.HTTP{Method: http.MethodGet, Path: "/v1/policy-templates"},
			Handle: r.listPolicyTemplates},
		{Name: "GetPolicyTemplate", ReadOnly: true,
			HTTP:   api.HTTP{Method: http.MethodGet, Path: "/v1/policy-templates/{TemplateName}"},
			Handle: r.getPolicyTemplate},
		{Name: "AddFeaturePermissions", Action: "iam:AttachRolePolicy",
			HTTP:     api.HTTP{Method: http.MethodPost, Path: "/v1/roles/{RoleName}/feature-permissions"},
			Resource: r.roleResource, Conditions: featurePolicyARN, Handle: r.addFeaturePermissions},
		{Name: "GetFeaturePermissions", ReadOnly: true,
			HTTP:   api.HTTP{Method: http.MethodGet, Path: "/v1/feature-permissions/{Feature}"},
			Handle: r.getFeaturePermissions},
	}
}

// functionResource is the function of a console operation's path: a name,
// a partial ARN ("123456789012:function:name") or an ARN.
func (r *API) functionResource(c *api.Call) (api.Resource, error) {
	name := c.PathParams["FunctionName"]
	switch {
	case strings.HasPrefix(name, "arn:"):
		return api.Resource{ARN: name, Type: "AWS::Lambda::Function"}, nil
	case strings.Contains(name, ":function:"):
		return api.Resource{ARN: "arn:aws:lambda:" + r.region(c) + ":" + name, Type: "AWS::Lambda::Function"}, nil
	}
	if err := checkName("functionName", name, 64); err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: "arn:aws:lambda:" + r.region(c) + ":" + c.Account + ":function:" + name, Type: "AWS::Lambda::Function"}, nil
}

// roleResource is the IAM role of a console operation's path.
func (r *API) roleResource(c *api.Call) (api.Resource, error) {
	name := c.PathParams["RoleName"]
	if err := checkName("roleName", name, 64); err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: "arn:aws:iam::" + c.Account + ":role/" + name, Type: "AWS::IAM::Role"}, nil
}

func (r *API) region(c *api.Call) string {
	if c.Region != "" {
		return c.Region
	}
	return r.cfg.Region
}

// checkName checks a name of the path against IAM's and Lambda's name
// pattern [\w+=,.@-]+ and length.
func checkName(field, name string, max int) error {
	ok := name != "" && len(name) <= max
	for i := 0; ok && i < len(name); i++ {
		ch := name[i]
		ok = 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("_+=,.@-", ch) >= 0
	}
	if !ok {
		return validation("fieldValidationFailed", field, fmt.Sprintf("%s must be 1 to %d characters of letters, digits and _+=,.@-", field, max))
	}
	return nil
}

// validation is a ValidationException in Access Analyzer's shape: a
// reason and the fields at fault.
func validation(reason, field, message string) *api.Error {
	e := api.Errorf(http.StatusBadRequest, "ValidationException", "%s", message)
	e.Fields = map[string]any{"reason": reason}
	if field != "" {
		e.Fields["fieldList"] = []map[string]string{{"name": field, "message": message}}
	}
	return e
}

// notFound is a ResourceNotFoundException naming the resource.
func notFound(id, typ, message string) *api.Error {
	e := api.Errorf(http.StatusNotFound, "ResourceNotFoundException", "%s", message)
	e.Fields = map[string]any{"resourceId": id, "resourceType": typ}
	return e
}

// decodeRequired is decodeStrict for an operation whose body is required.
func decodeRequired(c *api.Call, v any) error {
	body, err := c.Payload()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return validation("other", "", "The request body is required.")
	}
	return decodeStrict(c, v)
}

// checkQuery refuses query parameters other than those allowed.
func checkQuery(c *api.Call, allowed ...string) error {
	for k := range c.Params {
		if !slices.Contains(allowed, k) {
			return validation("fieldValidationFailed", k, "Unknown query parameter "+k+".")
		}
	}
	return nil
}

// callIAM calls an IAM operation in-process as the caller and decodes its
// result (IAM's XML result) into out when out is not nil. IAM's errors are
// given in this API's codes: AccessDenied becomes AccessDeniedException,
// NoSuchEntity ResourceNotFoundException, both with IAM's message.
func (r *API) callIAM(c *api.Call, op string, params url.Values, out any) error {
	if r.cfg.Invoker == nil {
		return errors.New("rolecall: no invoker configured")
	}
	res, err := r.cfg.Invoker.Invoke(c.Context, api.Internal{Principal: c.Principal, Service: "iam", Operation: op, Params: params})
	if err != nil {
		return fromIAM(err, params)
	}
	if out == nil {
		return nil
	}
	b, err := xml.Marshal(res)
	if err != nil {
		return fmt.Errorf("rolecall: iam %s result: %w", op, err)
	}
	if err := xml.Unmarshal(b, out); err != nil {
		return fmt.Errorf("rolecall: iam %s result: %w", op, err)
	}
	return nil
}

// fromIAM renders an IAM error in this API's codes.
func fromIAM(err error, params url.Values) error {
	var e *api.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case "AccessDenied":
		return &api.Error{Code: "AccessDeniedException", Status: http.StatusForbidden, Message: e.Message}
	case "NoSuchEntity":
		id, typ := params.Get("RoleName"), "AWS::IAM::Role"
		if arn := params.Get("PolicyArn"); arn != "" {
			id, typ = arn, "AWS::IAM::ManagedPolicy"
		}
		return notFound(id, typ, e.Message)
	}
	return e
}
