package rolecall

import (
	"crypto/sha256"
	"net/url"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
)

// lambdaTrust is the trust policy of an execution role.
const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// servicePath is the path the Lambda console creates roles and policies
// under.
const servicePath = "/service-role/"

// defaultRole is what CreateDefaultRole creates for a function.
type defaultRole struct {
	RoleName   string `json:"roleName"`
	RoleArn    string `json:"roleArn"`
	PolicyName string `json:"policyName"`
	PolicyArn  string `json:"policyArn"`
	Document   string `json:"policyDocument"`
}

// defaultNames returns the names the Lambda console gives a function's
// new role and its policy: "<function>-role-<8 random characters>" and
// "AWSLambdaBasicExecutionRole-<UUID>". The random parts are drawn from
// the request's ID, so that authorization and the handler agree on them.
func (r *API) defaultNames(c *api.Call) (*defaultRole, error) {
	fn := c.PathParams["FunctionName"]
	if err := checkName("functionName", fn, 64); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte("default-role\x00" + c.RequestID + "\x00" + fn))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	suffix := make([]byte, 8)
	for i := range suffix {
		suffix[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	base := fn
	if max := 64 - len("-role-") - len(suffix); len(base) > max {
		base = base[:max]
	}
	id, err := uuid.FromBytes(sum[16:32])
	if err != nil {
		return nil, err
	}
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	d := &defaultRole{RoleName: base + "-role-" + string(suffix), PolicyName: "AWSLambdaBasicExecutionRole-" + id.String()}
	d.RoleArn = "arn:aws:iam::" + c.Account + ":role" + servicePath + d.RoleName
	d.PolicyArn = "arn:aws:iam::" + c.Account + ":policy" + servicePath + d.PolicyName
	region := r.region(c)
	d.Document = `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:` + region + `:` + c.Account + `:*"},` +
		`{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":["arn:aws:logs:` + region + `:` + c.Account +
		`:log-group:/aws/lambda/` + fn + `:*"]}]}`
	return d, nil
}

func (r *API) defaultRoleResource(c *api.Call) (api.Resource, error) {
	d, err := r.defaultNames(c)
	if err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: d.RoleArn, Type: "AWS::IAM::Role"}, nil
}

func (r *API) defaultPolicyResource(c *api.Call) (api.Resource, error) {
	d, err := r.defaultNames(c)
	if err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: d.PolicyArn, Type: "AWS::IAM::ManagedPolicy"}, nil
}

// defaultPolicyARN sets iam:PolicyARN, the policy AttachRolePolicy attaches.
func (r *API) defaultPolicyARN(c *api.Call, _ api.Resource, keys api.Keys) {
	if d, err := r.defaultNames(c); err == nil {
		keys.Set("iam:PolicyARN", d.PolicyArn)
	}
}

// createDefaultRole answers CreateDefaultRole as the Lambda console's
// "Create a new role with basic Lambda permissions" does: a role under
// /service-role/ trusting lambda.amazonaws.com, and a customer managed
// policy letting it create the account's log groups in the Region and
// write to the function's own log group, attached to it. The function need
// not exist yet. Each step is IAM's own operation called as the caller; a
// failed step undoes the ones before it.
func (r *API) createDefaultRole(c *api.Call) (any, error) {
	if err := checkQuery(c); err != nil {
		return nil, err
	}
	if err := decodeStrict(c, &struct{}{}); err != nil {
		return nil, err
	}
	d, err := r.defaultNames(c)
	if err != nil {
		return nil, err
	}
	if err := r.callIAM(c, "CreateRole", url.Values{"RoleName": {d.RoleName}, "Path": {servicePath}, "AssumeRolePolicyDocument": {lambdaTrust}}, nil); err != nil {
		return nil, err
	}
	deleteRole := api.Internal{Operation: "DeleteRole", Params: url.Values{"RoleName": {d.RoleName}}}
	if err := r.callIAM(c, "CreatePolicy", url.Values{"PolicyName": {d.PolicyName}, "Path": {servicePath}, "PolicyDocument": {d.Document}}, nil); err != nil {
		return nil, r.undo(c, err, deleteRole)
	}
	deletePolicy := api.Internal{Operation: "DeletePolicy", Params: url.Values{"PolicyArn": {d.PolicyArn}}}
	if err := r.callIAM(c, "AttachRolePolicy", url.Values{"RoleName": {d.RoleName}, "PolicyArn": {d.PolicyArn}}, nil); err != nil {
		return nil, r.undo(c, err, deletePolicy, deleteRole)
	}
	return d, nil
}
