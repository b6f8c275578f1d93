// Package api is the vocabulary every AWS service package shares with the
// gateway: the operation table, the call a handler receives, the authenticated
// principal and AWS's error type. Service packages declare tables; the gateway
// routes, authenticates, authorizes, records and encodes.
package api

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/rolecall/rolecall/internal/policy"
)

// Protocol is an AWS wire protocol.
type Protocol int

const (
	Query    Protocol = iota // awsQuery: form-encoded Action=..., XML responses (IAM, STS)
	JSON10                   // awsJson1.0: X-Amz-Target, JSON (DynamoDB, SQS)
	JSON11                   // awsJson1.1: X-Amz-Target, JSON (Logs, CloudTrail, Kinesis, KMS)
	RESTJSON                 // restJson1: method + path, JSON (Lambda, X-Ray)
	RESTXML                  // restXml (S3)
)

// Service is one AWS service's declaration.
type Service struct {
	// Name is the SigV4 signing name ("iam", "sts", "lambda", "logs", ...).
	Name string
	// EventSource is the CloudTrail eventSource ("iam.amazonaws.com").
	EventSource string
	Protocol    Protocol
	// XMLNamespace is the response namespace for Query and RESTXML services.
	XMLNamespace string
	// TargetPrefix is the X-Amz-Target prefix of JSON services ("Logs_20140328").
	TargetPrefix string
	// Operations by name.
	Operations map[string]*Operation
	// Routes map REST requests to operations, in match order (RESTJSON/RESTXML only).
	Routes []Route
	// Global services (IAM, STS) report us-east-1 in their ARNs and trail.
	Global bool
	// APIVersion is the query protocol's Version parameter ("2010-05-08").
	APIVersion string
}

// Route is one REST route: a method and a path pattern whose {Name} segments
// are captured into Call.PathParams; a trailing {Name+} captures the rest.
type Route struct {
	Method    string
	Path      string
	Operation string
}

// Operation is one entry of a service's operation table.
type Operation struct {
	Name string
	// Action is the IAM action authorized before the handler runs ("iam:CreateRole").
	// Empty means the operation needs no permission (sts:GetCallerIdentity).
	Action string
	// ReadOnly marks the operation for the trail.
	ReadOnly bool
	// SuccessStatus is the HTTP status of a success for REST protocols (default 200).
	SuccessStatus int
	// Resource returns the ARN the action is authorized on ("*" when the action
	// has no resource). Nil means "*".
	Resource func(c *Call) (string, error)
	// ResourcePolicy returns the resource-based policy that applies to the
	// request (a Lambda function policy, an S3 bucket policy), or nil. When trust
	// is true the policy is a role trust policy and is evaluated with trust
	// semantics (it must allow the caller explicitly).
	ResourcePolicy func(c *Call) (p *policy.Policy, trust bool, err error)
	// Conditions adds service-specific condition keys to the request context.
	Conditions func(c *Call, set func(key string, values ...string))
	// Handle runs the operation. It returns the output value, which the gateway
	// encodes in the service's protocol (a *Raw is written as is), or an error;
	// a *Error is rendered as AWS renders it, anything else as an internal error.
	Handle func(c *Call) (any, error)
}

// Raw is a handler output written as is (Lambda Invoke payloads, S3 objects).
type Raw struct {
	Status int
	Header http.Header
	Body   []byte
}

// Call is one authenticated request as a handler sees it.
type Call struct {
	Context context.Context
	HTTP    *http.Request
	// Body is the request body, verified and decoded (aws-chunked removed).
	Body []byte
	// Params are the query-protocol parameters (form body and URL query merged),
	// or the URL query for REST protocols.
	Params url.Values
	// PathParams are the captured REST path segments, unescaped.
	PathParams map[string]string
	Service    *Service
	Operation  *Operation
	Principal  *Principal
	Account    string // the account the request acts in
	Region     string
	RequestID  string
	SourceIP   string
	UserAgent  string
	Time       time.Time
	// Environment is set when the request arrived on a listener bound to an
	// execution environment.
	Environment *EnvironmentBinding
	// Authorize checks an additional action (iam:PassRole from lambda:CreateFunction, ...)
	// for the caller with the full evaluation logic and returns AWS's AccessDenied on denial.
	Authorize func(action, resource string, keys map[string][]string) error
	// Trail lets a handler fill in what the CloudTrail record shows.
	Trail TrailDetails
}

// TrailDetails are the parts of a CloudTrail record that only the handler knows.
type TrailDetails struct {
	RequestParameters map[string]any
	ResponseElements  map[string]any
	Resources         []TrailResource
}

// TrailResource is one entry of a CloudTrail record's resources list.
type TrailResource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// EnvironmentBinding describes the execution environment a listener belongs to.
type EnvironmentBinding struct {
	ID                string
	SourceFunctionARN string
	SourceVPC         string
}

// PrincipalType is CloudTrail's userIdentity.type.
type PrincipalType string

const (
	Root        PrincipalType = "Root"
	IAMUser     PrincipalType = "IAMUser"
	AssumedRole PrincipalType = "AssumedRole"
	AWSService  PrincipalType = "AWSService"
	Anonymous   PrincipalType = "Anonymous"
)

// Principal is an authenticated caller.
type Principal struct {
	Type        PrincipalType
	Account     string
	ARN         string // arn:aws:iam::A:root, arn:aws:iam::A:user/path/name, arn:aws:sts::A:assumed-role/role/session
	PrincipalID string // A (root), AIDA... (user), AROA...:session (role session)
	UserName    string // IAM user name
	AccessKeyID string
	// Role session details (AssumedRole).
	RoleARN     string
	RoleName    string
	RoleID      string
	SessionName string
	// Session carries the session claims for temporary credentials (nil for long-term keys).
	Session any
	// InvokedBy is set when a service calls on the principal's behalf ("lambda.amazonaws.com").
	InvokedBy string
	// Temporary-credential details, from the sealed session token.
	SessionIssued   time.Time
	SessionPolicies []policy.Named
	Tags            map[string]string // session tags (aws:PrincipalTag/*)
	SourceIdentity  string
	// EnvironmentID is the execution environment the session is bound to ("" if none).
	EnvironmentID string
}

// Category is CloudTrail's eventCategory for an operation.
type Category string

const (
	// Management events: control-plane operations (the default).
	Management Category = "Management"
	// Data events: S3 object, DynamoDB item, SQS message, Kinesis record
	// and Lambda Invoke operations.
	Data Category = "Data"
)

// Decision is one authorization decision a request made, as the trail keeps it.
type Decision struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	// Decision is "Allow", "ExplicitDeny" or "ImplicitDeny".
	Decision string `json:"decision"`
	// Source is the kind of policy that decided ("identity-based policy", ...).
	Source string `json:"source,omitempty"`
	// Statements are the decisive statements.
	Statements []Statement `json:"statements,omitempty"`
	// Extra marks a check beyond the operation's own action (iam:PassRole).
	Extra bool `json:"extra,omitempty"`
}

// Statement names a decisive statement: the policy (its ARN or name; "" for
// the resource's own policy), its Sid and its index in the policy.
type Statement struct {
	Policy string `json:"policy,omitempty"`
	Sid    string `json:"sid,omitempty"`
	Index  int    `json:"index"`
	Effect string `json:"effect"`
	Source string `json:"source"`
}
