package lambda

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// reservedEnv are the variables Lambda sets itself and refuses in
// Environment.Variables.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true,
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// envVars is Environment.Variables, keeping the request's key order for
// error messages.
type envVars struct {
	keys []string
	m    map[string]string
}

func (v *envVars) UnmarshalJSON(b []byte) error {
	v.m = map[string]string{}
	v.keys = nil
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("Environment.Variables must be an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := t.(string)
		var val string
		if err := dec.Decode(&val); err != nil {
			return err
		}
		if _, dup := v.m[k]; !dup {
			v.keys = append(v.keys, k)
		}
		v.m[k] = val
	}
	return nil
}

// environmentInput is the Environment shape.
type environmentInput struct {
	Variables envVars `json:"Variables"`
}

// maxEnvironment is Lambda's limit on Environment.Variables, in bytes of
// their compact JSON object.
const maxEnvironment = 4096

// checkEnvironment applies Lambda's rules to Environment.Variables beyond
// the model's (which checks the names): no reserved names, and at most
// 4 KB measured as Lambda measures them, the compact JSON object
// {"KEY":"value",...} in the request's order, which its refusal quotes.
func checkEnvironment(e *environmentInput) error {
	if e == nil {
		return nil
	}
	var reserved []string
	for _, k := range e.Variables.keys {
		if reservedEnv[k] {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		return errInvalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	measured, err := e.Variables.measure()
	if err != nil {
		return err
	}
	if len(measured) > maxEnvironment {
		return errInvalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", measured)
	}
	return nil
}

// measure returns the variables as the compact JSON object Lambda
// measures: {"KEY":"value",...} in the request's order, with no HTML
// escaping.
func (v envVars) measure() (string, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range v.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, s := range []string{k, v.m[k]} {
			var q bytes.Buffer
			enc := json.NewEncoder(&q)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(s); err != nil {
				return "", fmt.Errorf("lambda: measuring environment variables: %w", err)
			}
			b.Write(bytes.TrimSuffix(q.Bytes(), []byte("\n")))
			if j == 0 {
				b.WriteByte(':')
			}
		}
	}
	b.WriteByte('}')
	return b.String(), nil
}

// vpcInput is the VpcConfig shape.
type vpcInput struct {
	SubnetIds               []string `json:"SubnetIds"`
	SecurityGroupIds        []string `json:"SecurityGroupIds"`
	Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
}

// vpc returns the stored form of a VpcConfig: nil when it has no subnets.
// The VPC id is derived from the subnets, so that the same subnets always
// name the same VPC.
func (v *vpcInput) vpc() (*vpcConfig, error) {
	if v == nil || len(v.SubnetIds) == 0 && len(v.SecurityGroupIds) == 0 {
		return nil, nil
	}
	for _, s := range v.SubnetIds {
		if !strings.HasPrefix(s, "subnet-") {
			return nil, errInvalidParam("Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID '%s' does not exist", s)
		}
	}
	for _, g := range v.SecurityGroupIds {
		if !strings.HasPrefix(g, "sg-") {
			return nil, errInvalidParam("Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: The security group '%s' does not exist", g)
		}
	}
	subnets := slices.Clone(v.SubnetIds)
	slices.Sort(subnets)
	subnets = slices.Compact(subnets)
	sum := sha256.Sum256([]byte(strings.Join(subnets, ",")))
	return &vpcConfig{
		SubnetIDs:        slices.Clone(v.SubnetIds),
		SecurityGroupIDs: slices.Clone(v.SecurityGroupIds),
		VpcID:            "vpc-" + hex.EncodeToString(sum[:])[:17],
		IPv6DualStack:    v.Ipv6AllowedForDualStack,
	}, nil
}

// tracingInput is the TracingConfig shape.
type tracingInput struct {
	Mode string `json:"Mode"`
}

// tracingMode is the tracing mode of a TracingConfig (the model checks
// its values): PassThrough unless given.
func tracingMode(t *tracingInput) string {
	if t == nil || t.Mode == "" {
		return "PassThrough"
	}
	return t.Mode
}

func checkTimeout(t *int) error {
	switch {
	case t == nil:
	case *t < 1:
		return errValidation("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1", *t)
	case *t > 900:
		return errValidation("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900", *t)
	}
	return nil
}

func checkMemory(m *int) error {
	switch {
	case m == nil:
	case *m < 128:
		return errValidation("1 validation error detected: Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128", *m)
	case *m > 10240:
		return errValidation("1 validation error detected: Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240", *m)
	}
	return nil
}

// checkUnsupported refuses the features rolecall does not run, rather than
// ignoring them.
func checkUnsupported(layers []string, packageType string) error {
	if len(layers) > 0 {
		return errInvalidParam("Layers are not supported by this endpoint.")
	}
	if packageType != "" && packageType != "Zip" {
		return errInvalidParam("PackageType %s is not supported by this endpoint; use Zip.", packageType)
	}
	return nil
}

// decodeBody decodes a JSON request body into v; an empty body leaves v.
func decodeBody(c *api.Call, v any) error {
	body, err := c.Payload()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *api.Error
		if errors.As(err, &se) {
			return se
		}
		return errRequestContent("Could not parse request body into json: %s", jsonProblem(err))
	}
	return nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Could not parse payload into json: Cannot deserialize value of type `%s` at '%s'", te.Type, te.Field)
	}
	return err.Error()
}
