package rolecall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// grantFor is the statement a feature needs, for resourceArn ("" when the
// feature takes none).
type grantFor func(resourceArn string) (statement, error)

// features are the permissions the Lambda console adds to a function's
// execution role when a feature is turned on, by feature name.
var features = map[string]grantFor{
	// Active tracing: AWSXRayDaemonWriteAccess's write actions.
	"tracing": noResource("Tracing", "xray:PutTraceSegments", "xray:PutTelemetryRecords"),
	// A VPC: AWSLambdaVPCAccessExecutionRole's EC2 actions.
	"vpc": noResource("VPCAccess", "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
		"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
	// An event source mapping: the reads Lambda makes of the source as the role.
	"event-source": byARN("event-source", []arnGrant{
		{"sqs", "", "EventSourceSQS", []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}},
		{"kinesis", "stream/", "EventSourceKinesis", []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
			"kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"}},
		{"dynamodb", "table/", "EventSourceDynamoDBStream", []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}},
	}),
	// An asynchronous invocation destination.
	"destination": byARN("destination", []arnGrant{
		{"sqs", "", "DestinationSQS", []string{"sqs:SendMessage"}},
		{"sns", "", "DestinationSNS", []string{"sns:Publish"}},
		{"lambda", "function:", "DestinationLambda", []string{"lambda:InvokeFunction"}},
		{"events", "event-bus/", "DestinationEventBridge", []string{"events:PutEvents"}},
	}),
	// Environment variables encrypted with a customer managed key.
	"kms": byARN("kms", []arnGrant{{"kms", "key/", "KMSDecrypt", []string{"kms:Decrypt"}}}),
}

func noResource(sid string, actions ...string) grantFor {
	return func(arn string) (statement, error) {
		if arn != "" {
			return statement{}, validation("fieldValidationFailed", "resourceArn", "The feature takes no resourceArn.")
		}
		s := allow(any1(), actions...)
		s.Sid = sid
		return s, nil
	}
}

// arnGrant is what one kind of resource of a feature needs.
type arnGrant struct {
	service, prefix string // the ARN's service and the start of its resource part
	sid             string
	actions         []string
}

func byARN(feature string, kinds []arnGrant) grantFor {
	return func(arn string) (statement, error) {
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[4] != "" && parts[5] != "" {
			for _, k := range kinds {
				if parts[2] != k.service || !strings.HasPrefix(parts[5], k.prefix) {
					continue
				}
				if k.service == "dynamodb" && !strings.Contains(parts[5], "/stream/") {
					continue
				}
				s := allow([]string{arn}, k.actions...)
				s.Sid = k.sid
				return s, nil
			}
		}
		var names []string
		for _, k := range kinds {
			names = append(names, k.service)
		}
		return statement{}, validation("fieldValidationFailed", "resourceArn",
			"The feature "+feature+" needs the ARN of a resource of "+strings.Join(names, ", ")+"; "+arn+" is not one.")
	}
}

// checkFeatureARN checks that arn names one resource of the account, in
// the Region, as the Lambda console's pickers do (an event source, a
// destination and an environment key are in the function's Region): no
// wildcards, no other account or partition, and only the characters an ARN
// has. A statement for anything broader is written through IAM.
func checkFeatureARN(arn, account, region string) error {
	refuse := func(why string) error {
		msg := "resourceArn " + fmt.Sprintf("%q", arn) + " " + why
		return validation("fieldValidationFailed", "resourceArn", msg)
	}
	if len(arn) > 2048 {
		return refuse("is longer than 2048 characters.")
	}
	for i := 0; i < len(arn); i++ {
		if ch := arn[i]; ch <= ' ' || ch >= 0x7f || ch == '"' || ch == '\\' {
			return refuse("has a character no ARN has.")
		}
	}
	if strings.ContainsAny(arn, "*?") {
		return refuse("has a wildcard: name one resource.")
	}
	parts := strings.SplitN(arn, ":", 6)
	switch {
	case len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws":
		return refuse("is not an ARN of the aws partition.")
	case parts[3] != region:
		return refuse("is not in the Region " + region + ".")
	case parts[4] != account:
		return refuse("is not in the account " + account + ".")
	}
	return nil
}

// featurePolicy returns the name of the one customer managed policy
// AddFeaturePermissions keeps for a role.
func featurePolicy(account, roleName string) (name, arn string) {
	name = "AWSLambdaFeaturePermissions-" + roleName
	return name, "arn:aws:iam::" + account + ":policy" + servicePath + name
}

// featurePolicyARN sets iam:PolicyARN for AttachRolePolicy.
func featurePolicyARN(c *api.Call, _ api.Resource, keys api.Keys) {
	_, arn := featurePolicy(c.Account, c.PathParams["RoleName"])
	keys.Set("iam:PolicyARN", arn)
}

// featureResult is AddFeaturePermissions's output.
type featureResult struct {
	RoleName  string `json:"roleName"`
	PolicyArn string `json:"policyArn"`
	VersionID string `json:"versionId"`
	Changed   bool   `json:"changed"`
	Attached  bool   `json:"attached"`
	Document  string `json:"policyDocument"`
}

// maxVersions is IAM's limit on the versions of a managed policy.
const maxVersions = 5

// addFeaturePermissions answers AddFeaturePermissions: the statement the
// feature needs is merged into the role's one feature policy, a new default
// version of it written when that changes the document (the oldest
// non-default version deleted first when IAM's five are used), and the
// policy attached to the role when it is not. Asking again for what the
// policy grants changes nothing. Each step is IAM's own operation called as
// the caller.
func (r *API) addFeaturePermissions(c *api.Call) (any, error) {
	if err := checkQuery(c); err != nil {
		return nil, err
	}
	var in struct {
		Feature     string `json:"feature"`
		ResourceArn string `json:"resourceArn"`
	}
	if err := decodeRequired(c, &in); err != nil {
		return nil, err
	}
	st, err := r.featureStatement(c, in.Feature, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	roleName := c.PathParams["RoleName"]
	name, arn := featurePolicy(c.Account, roleName)
	out := &featureResult{RoleName: roleName, PolicyArn: arn}

	// The role must exist before anything is written.
	if err := r.pages(c, "ListAttachedRolePolicies", url.Values{"RoleName": {roleName}, "MaxItems": {"1000"}}, func(p *page) error {
		for _, a := range p.Attached {
			out.Attached = out.Attached || a.ARN == arn
		}
		return nil
	}); err != nil {
		return nil, err
	}

	attach := func() error {
		if out.Attached {
			return nil
		}
		if err := r.callIAM(c, "AttachRolePolicy", url.Values{"RoleName": {roleName}, "PolicyArn": {arn}}, nil); err != nil {
			return err
		}
		out.Attached = true
		return nil
	}
	var pol struct {
		Default string `xml:"Policy>DefaultVersionId"`
	}
	switch err := r.callIAM(c, "GetPolicy", url.Values{"PolicyArn": {arn}}, &pol); {
	case isNotFound(err):
		doc := document{Version: "2012-10-17", Statement: []statement{st}}
		out.Document, out.Changed = doc.String(), true
		if err := r.callIAM(c, "CreatePolicy", url.Values{"PolicyName": {name}, "Path": {servicePath}, "PolicyDocument": {out.Document},
			"Description": {"Permissions the Lambda console adds for the features of functions using the role " + roleName}}, &pol); err != nil {
			return nil, err
		}
		out.VersionID = pol.Default
		if err := attach(); err != nil {
			// The policy made for the role is not left behind.
			return nil, r.undo(c, err, api.Internal{Operation: "DeletePolicy", Params: url.Values{"PolicyArn": {arn}}})
		}
	case err != nil:
		return nil, err
	default:
		var v struct {
			Version version `xml:"PolicyVersion"`
		}
		if err := r.callIAM(c, "GetPolicyVersion", url.Values{"PolicyArn": {arn}, "VersionId": {pol.Default}}, &v); err != nil {
			return nil, err
		}
		current, err := url.PathUnescape(v.Version.Document)
		if err != nil {
			return nil, err
		}
		out.Document, out.Changed, err = merge(current, st)
		if err != nil {
			return nil, err
		}
		out.VersionID = pol.Default
		// Attached first, so that a refused attachment leaves the policy as
		// it was; a version IAM refuses after it detaches it again.
		was := out.Attached
		if err := attach(); err != nil {
			return nil, err
		}
		if out.Changed {
			if out.VersionID, err = r.newVersion(c, arn, out.Document); err != nil {
				if !was {
					err = r.undo(c, err, api.Internal{Operation: "DetachRolePolicy", Params: url.Values{"RoleName": {roleName}, "PolicyArn": {arn}}})
				}
				return nil, err
			}
		}
	}
	return out, nil
}

// featureStatement is the statement feature needs for resourceArn, or
// the ValidationException of a feature or ARN refused.
func (r *API) featureStatement(c *api.Call, feature, resourceArn string) (statement, error) {
	grant, ok := features[feature]
	if !ok {
		return statement{}, validation("fieldValidationFailed", "feature", "feature must be one of destination, event-source, kms, tracing, vpc.")
	}
	if resourceArn != "" {
		if err := checkFeatureARN(resourceArn, c.Account, r.region(c)); err != nil {
			return statement{}, err
		}
	}
	return grant(resourceArn)
}

// featurePreview is GetFeaturePermissions's output.
type featurePreview struct {
	Feature     string    `json:"feature"`
	ResourceArn string    `json:"resourceArn,omitempty"`
	Statement   statement `json:"statement"`
}

// getFeaturePermissions answers GET /v1/feature-permissions/{Feature}
// (?resourceArn=ARN): the statement AddFeaturePermissions would merge into
// a role's feature policy for the feature, changing nothing. Like the
// policy templates it reads no account data, so any signed caller may ask.
func (r *API) getFeaturePermissions(c *api.Call) (any, error) {
	if err := checkQuery(c, "resourceArn"); err != nil {
		return nil, err
	}
	feature, arn := c.PathParams["Feature"], c.Params.Get("resourceArn")
	st, err := r.featureStatement(c, feature, arn)
	if err != nil {
		return nil, err
	}
	return &featurePreview{Feature: feature, ResourceArn: arn, Statement: st}, nil
}

// undo makes the IAM calls that take back what a failed operation did,
// as the caller, and returns err with the failures of those calls joined.
func (r *API) undo(c *api.Call, err error, steps ...api.Internal) error {
	for _, s := range steps {
		if uerr := r.callIAM(c, s.Operation, s.Params, nil); uerr != nil {
			err = errors.Join(err, fmt.Errorf("rolecall: undo %s: %w", s.Operation, uerr))
		}
	}
	return err
}

// newVersion writes doc as the new default version of the policy, first
// deleting the oldest non-default version when the policy has IAM's
// maximum, and returns the new version's ID.
func (r *API) newVersion(c *api.Call, arn, doc string) (string, error) {
	var versions []version
	if err := r.pages(c, "ListPolicyVersions", url.Values{"PolicyArn": {arn}, "MaxItems": {"1000"}}, func(p *page) error {
		versions = append(versions, p.Versions...)
		return nil
	}); err != nil {
		return "", err
	}
	if len(versions) >= maxVersions {
		var oldest *version
		for i := range versions {
			v := &versions[i]
			if !v.Default && (oldest == nil || v.Created < oldest.Created || v.Created == oldest.Created && versionNumber(v.VersionID) < versionNumber(oldest.VersionID)) {
				oldest = v
			}
		}
		if oldest != nil {
			if err := r.callIAM(c, "DeletePolicyVersion", url.Values{"PolicyArn": {arn}, "VersionId": {oldest.VersionID}}, nil); err != nil {
				return "", err
			}
		}
	}
	var out struct {
		Version version `xml:"PolicyVersion"`
	}
	if err := r.callIAM(c, "CreatePolicyVersion", url.Values{"PolicyArn": {arn}, "PolicyDocument": {doc}, "SetAsDefault": {"true"}}, &out); err != nil {
		return "", err
	}
	return out.Version.VersionID, nil
}

// versionNumber is the number of a version ID ("v12" → 12).
func versionNumber(id string) int {
	n := 0
	for _, ch := range strings.TrimPrefix(id, "v") {
		n = n*10 + int(ch-'0')
	}
	return n
}

func isNotFound(err error) bool {
	e, ok := err.(*api.Error)
	return ok && e.Code == "ResourceNotFoundException"
}

// strs is a policy element that is a string or a list of strings.
type strs []string

func (s *strs) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = strs{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

// merge adds st to the document: into the statement of the same Sid that
// allows the same actions (its resources joined), or as a new statement.
// Statements it did not write are kept as they are. changed reports
// whether the document grants more than before.
func merge(current string, st statement) (doc string, changed bool, err error) {
	var d struct {
		Version   string            `json:"Version"`
		Statement []json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(current), &d); err != nil {
		return "", false, err
	}
	found := false
	for i, raw := range d.Statement {
		var s struct {
			Sid      string `json:"Sid"`
			Effect   string `json:"Effect"`
			Action   strs   `json:"Action"`
			Resource strs   `json:"Resource"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if dec.Decode(&s) != nil || s.Sid != st.Sid || s.Effect != "Allow" || !sameSet(s.Action, st.Action) {
			continue
		}
		found = true
		res := slices.Clone([]string(s.Resource))
		for _, r := range st.Resource {
			if !slices.Contains(res, r) {
				res = append(res, r)
				changed = true
			}
		}
		if changed {
			slices.Sort(res)
			m := statement{Sid: s.Sid, Effect: "Allow", Action: s.Action, Resource: res}
			b, err := json.Marshal(m)
			if err != nil {
				return "", false, err
			}
			d.Statement[i] = b
		}
		break
	}
	if !found {
		b, err := json.Marshal(st)
		if err != nil {
			return "", false, err
		}
		d.Statement, changed = append(d.Statement, b), true
	}
	if !changed {
		return current, false, nil
	}
	b, err := json.Marshal(d)
	return string(b), true, err
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
