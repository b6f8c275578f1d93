package accessanalyzer

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy/lint"
)

// validationOps returns the operations of policy validation and the custom
// policy checks. Each is authorized with its own access-analyzer action
// on "*", as AWS authorizes them; none keeps anything.
func (a *Analyzer) validationOps() []*api.Operation {
	return []*api.Operation{
		{Name: "ValidatePolicy", Action: "access-analyzer:ValidatePolicy", ReadOnly: true,
			HTTP: api.HTTP{Method: http.MethodPost, Path: "/policy/validation"}, Handle: a.validatePolicy},
		{Name: "CheckNoNewAccess", Action: "access-analyzer:CheckNoNewAccess", ReadOnly: true,
			HTTP: api.HTTP{Method: http.MethodPost, Path: "/policy/check-no-new-access"}, Handle: a.checkNoNewAccess},
		{Name: "CheckAccessNotGranted", Action: "access-analyzer:CheckAccessNotGranted", ReadOnly: true,
			HTTP: api.HTTP{Method: http.MethodPost, Path: "/policy/check-access-not-granted"}, Handle: a.checkAccessNotGranted},
		{Name: "CheckNoPublicAccess", Action: "access-analyzer:CheckNoPublicAccess", ReadOnly: true,
			HTTP: api.HTTP{Method: http.MethodPost, Path: "/policy/check-no-public-access"}, Handle: a.checkNoPublicAccess},
	}
}

// validationError is Access Analyzer's ValidationException: reason is one
// of the model's ValidationExceptionReason values, fields the members at
// fault.
func validationError(reason, message string, fields ...string) *api.Error {
	e := &api.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: message,
		Fields: map[string]any{"reason": reason}}
	if len(fields) > 0 {
		list := make([]map[string]string, len(fields))
		for i, f := range fields {
			list[i] = map[string]string{"name": f, "message": message}
		}
		e.Fields["fieldList"] = list
	}
	return e
}

// withReason gives the model checks' ValidationException the reason member
// Access Analyzer's error shape requires.
func withReason(check func(c *api.Call) *api.Error) func(c *api.Call) *api.Error {
	return func(c *api.Call) *api.Error {
		e := check(c)
		if e != nil && e.Code == "ValidationException" && e.Fields == nil {
			e.Fields = map[string]any{"reason": "fieldValidationFailed"}
		}
		return e
	}
}

// policyError turns a document the custom checks cannot read into
// Access Analyzer's InvalidParameterException.
func policyError(err error) error {
	var pe *lint.PolicyError
	if errors.As(err, &pe) {
		return &api.Error{Code: "InvalidParameterException", Status: http.StatusBadRequest, Message: pe.Msg}
	}
	return err
}

type validatePolicyInput struct {
	Locale                     string `json:"locale"`
	PolicyDocument             string `json:"policyDocument"`
	PolicyType                 string `json:"policyType"`
	ValidatePolicyResourceType string `json:"validatePolicyResourceType"`
}

type validatePolicyOutput struct {
	Findings  []lint.Finding `json:"findings"`
	NextToken string         `json:"nextToken,omitempty"`
}

// validatePolicy is ValidatePolicy: the findings of lint.Validate, a page
// of maxResults at a time (all when absent). Findings are worded in
// English only: another locale is refused rather than answered in English.
func (a *Analyzer) validatePolicy(c *api.Call) (any, error) {
	var in validatePolicyInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if in.Locale != "" && in.Locale != "EN" {
		return nil, validationError("notSupported", "Locale "+in.Locale+" is not supported: findings are available in EN.", "locale")
	}
	if in.ValidatePolicyResourceType != "" && in.PolicyType != lint.ResourcePolicy {
		return nil, validationError("fieldValidationFailed", "validatePolicyResourceType can be specified only when policyType is RESOURCE_POLICY.", "validatePolicyResourceType")
	}
	max := 0
	if s := c.Params.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, validationError("fieldValidationFailed", "Invalid maxResults: "+s, "maxResults")
		}
		max = n
	}
	scope := api.TokenScope("ValidatePolicy", in.PolicyType, in.ValidatePolicyResourceType, in.PolicyDocument)
	from := 0
	if t := c.Params.Get("nextToken"); t != "" {
		pos, ok := api.DecodeToken(scope, t)
		n, err := strconv.Atoi(pos)
		if !ok || err != nil || n < 0 {
			return nil, validationError("fieldValidationFailed", "Invalid pagination token.", "nextToken")
		}
		from = n
	}
	all := lint.Validate(in.PolicyDocument, lint.Options{PolicyType: in.PolicyType, ResourceType: in.ValidatePolicyResourceType})
	out := validatePolicyOutput{Findings: []lint.Finding{}}
	if from < len(all) {
		out.Findings = all[from:]
	}
	if max > 0 && len(out.Findings) > max {
		out.Findings = out.Findings[:max]
		out.NextToken = api.EncodeToken(scope, strconv.Itoa(from+max))
	}
	return out, nil
}

type checkNoNewAccessInput struct {
	NewPolicyDocument      string `json:"newPolicyDocument"`
	ExistingPolicyDocument string `json:"existingPolicyDocument"`
	PolicyType             string `json:"policyType"`
}

// checkNoNewAccess is CheckNoNewAccess (see lint.CheckNoNewAccess for the
// rule that keeps a PASS sound).
func (a *Analyzer) checkNoNewAccess(c *api.Call) (any, error) {
	var in checkNoNewAccessInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	res, err := lint.CheckNoNewAccess(in.ExistingPolicyDocument, in.NewPolicyDocument, in.PolicyType)
	if err != nil {
		return nil, policyError(err)
	}
	return res, nil
}

type checkAccessNotGrantedInput struct {
	PolicyDocument string        `json:"policyDocument"`
	Access         []lint.Access `json:"access"`
	PolicyType     string        `json:"policyType"`
}

// checkAccessNotGranted is CheckAccessNotGranted: each access entry names
// actions, resources or both.
func (a *Analyzer) checkAccessNotGranted(c *api.Call) (any, error) {
	var in checkAccessNotGrantedInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.Access) == 0 {
		return nil, validationError("fieldValidationFailed", "The access list must contain at least one entry.", "access")
	}
	for _, ac := range in.Access {
		if len(ac.Actions) == 0 && len(ac.Resources) == 0 {
			return nil, &api.Error{Code: "InvalidParameterException", Status: http.StatusBadRequest,
				Message: "Each access entry must specify at least one action or resource."}
		}
	}
	res, err := lint.CheckAccessNotGranted(in.PolicyDocument, in.Access, in.PolicyType)
	if err != nil {
		return nil, policyError(err)
	}
	return res, nil
}

type checkNoPublicAccessInput struct {
	PolicyDocument string `json:"policyDocument"`
	ResourceType   string `json:"resourceType"`
}

// checkNoPublicAccess is CheckNoPublicAccess for a resource policy of one
// of the model's resource types.
func (a *Analyzer) checkNoPublicAccess(c *api.Call) (any, error) {
	var in checkNoPublicAccessInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	res, err := lint.CheckNoPublicAccess(in.PolicyDocument, in.ResourceType)
	if err != nil {
		return nil, policyError(err)
	}
	return res, nil
}
