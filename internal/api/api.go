// Package api is the vocabulary every AWS service package shares with the
// gateway: the operation table, the call a handler receives, the authenticated
// principal, the wire protocol a request speaks and AWS's error type. Service
// packages declare tables; the gateway routes, authenticates, authorizes,
// records and encodes. Services call each other through an Invoker.
package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/session"
)

// Service is one AWS service's declaration.
type Service struct {
	// Name is the SigV4 signing name ("iam", "sts", "lambda", "logs", ...).
	Name string
	// EventSource is the CloudTrail eventSource ("iam.amazonaws.com").
	EventSource string
	// Protocols are the wire protocols the service answers, by Smithy name
	// ("awsQuery", "awsJson1_0", "awsJson1_1", "awsCbor1_1", "restJson1",
	// "restXml"); the first is its default. A request is answered in the
	// protocol it was written in.
	Protocols []string
	// XMLNamespace is the response namespace for query and REST-XML services.
	XMLNamespace string
	// TargetPrefix is the X-Amz-Target prefix of JSON services ("Logs_20140328").
	TargetPrefix string
	// APIVersion is the query protocol's Version parameter ("2010-05-08").
	APIVersion string
	// Operations by name.
	Operations map[string]*Operation
	// Routes map REST requests to operations (restJson1/restXml only).
	// NewService derives them from the operations' HTTP bindings.
	Routes []Route
	// Hosts are the virtual-host suffixes of a REST service whose first
	// host label names a resource (S3's "bucket.localhost"); the label is
	// captured as the path parameter HostLabel names.
	Hosts     []string
	HostLabel string
	// Global services (IAM, STS) report us-east-1 in their ARNs and trail.
	Global bool
	// Anonymous allows unsigned requests: they are authorized as the
	// anonymous principal, so only a resource policy granting "*" lets
	// them through. Otherwise an unsigned request gets the protocol's
	// missing-authentication error.
	Anonymous bool
	// Validate checks a call's input against the service's model before it
	// is authorized, as AWS validates first (shape.Hook builds one); nil
	// checks nothing. Handlers reach it through Call.Validate.
	Validate func(c *Call) *Error
	// MaxBody bounds the request body a handler may read whole (Payload,
	// Decode), in bytes; 0 means DefaultMaxBody. Handlers that stream Body
	// are not bound by it.
	MaxBody int64
	// DeniedStatus is the HTTP status of the service's AccessDenied; 0
	// means 403. KMS answers its AccessDeniedException with 400.
	DeniedStatus int
	// DeniedActionLower writes the action of the service's AccessDenied
	// message in lower case, as SQS does ("not authorized to perform:
	// sqs:sendmessage on resource: ...").
	DeniedActionLower bool
	// QueryCompatible marks a JSON service that also speaks awsQuery and
	// keeps its query error codes (Smithy's awsQueryCompatible, SQS): its
	// JSON errors carry the header x-amzn-query-error "<code>;Sender" (or
	// ";Receiver"), and QueryCodes maps an error's Code (the model's
	// error shape name, the JSON __type) to its query code
	// ("QueueDoesNotExist" → "AWS.SimpleQueueService.NonExistentQueue");
	// a code it does not list is the same in both.
	QueryCompatible bool
	QueryCodes      map[string]string
}

// QueryCode returns the query-protocol code of an error code of the
// service (QueryCodes), or code itself.
func (s *Service) QueryCode(code string) string {
	if s != nil {
		if q, ok := s.QueryCodes[code]; ok {
			return q
		}
	}
	return code
}

// DefaultMaxBody bounds a request body read whole when the service names no
// other limit.
const DefaultMaxBody = 8 << 20

// Route is one REST route: a method and a path pattern whose {Name} segments
// are captured into Call.PathParams; a trailing {Name+} captures the rest.
// Query names the query keys that must be present (S3's "?policy",
// "?tagging", "?uploads", or "x-id=GetObject"), a key=value pair meaning
// that value; a route with more Query keys is tried before one with fewer.
// Header names the request headers that must be present (S3 CopyObject's
// x-amz-copy-source), counted as Query keys are.
type Route struct {
	Method    string
	Path      string
	Query     []string
	Header    []string
	Operation string
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

// Operation is one entry of a service's operation table.
type Operation struct {
	Name string
	// Action is the IAM action authorized before the handler runs
	// ("iam:CreateRole"). Empty means the operation needs no permission
	// (sts:GetCallerIdentity).
	Action string
	// ReadOnly marks the operation for the trail.
	ReadOnly bool
	// Category is the trail's eventCategory; "" means Management.
	Category Category
	// HTTP is the operation's REST binding (restJson1/restXml only).
	HTTP HTTP
	// SuccessStatus is the HTTP status of a success for REST protocols (default 200).
	SuccessStatus int
	// Streaming operations read Call.Body themselves (S3 PutObject): the
	// gateway does not read the payload before authorization, and the
	// handler reads Body to io.EOF before it commits anything. Other
	// operations' payloads are read whole, bounded by the service's MaxBody,
	// and verified before they are authorized.
	Streaming bool
	// MaxBody bounds the body of a Streaming operation, in bytes; 0 means
	// the service's MaxBody.
	MaxBody int64
	// Resource returns the resource Action is authorized on. Nil means the
	// action has no resource ("*").
	Resource func(c *Call) (Resource, error)
	// Conditions adds the service's condition keys to the request context.
	// Conditions adds the service's condition keys to the request context;
	// res is the resource Resource returned.
	Conditions func(c *Call, res Resource, keys Keys)
	// Also lists further actions the operation always needs, each
	// authorized before the handler runs (S3 CopyObject reads its source).
	Also []Check
	// Handle runs the operation. It returns the output value, which the
	// gateway encodes in the request's protocol (a *Raw is written as is),
	// or an error; a *Error is rendered as AWS renders it, anything else
	// as an internal error.
	Handle func(c *Call) (any, error)
}

// Check is one action an operation authorizes, with its resource and keys.
type Check struct {
	Action     string
	Resource   func(c *Call) (Resource, error)
	Conditions func(c *Call, res Resource, keys Keys)
}

// PolicyMode says how a resource's policy takes part in evaluation.
type PolicyMode int

const (
	// ResourcePolicy is a resource-based policy (a function policy, a
	// bucket policy): it may grant on its own within the account.
	ResourcePolicy PolicyMode = iota
	// TrustPolicy is a role's trust policy: it must allow the caller.
	TrustPolicy
	// KeyPolicy is a KMS key policy: identity policies count only where
	// it delegates to the account.
	KeyPolicy
)

// Resource is what an action is authorized on.
type Resource struct {
	// ARN is the resource's ARN; "" or "*" means the action has no resource.
	ARN string
	// Type is the CloudTrail resource type ("AWS::IAM::Role"); when set,
	// the resource is listed in the trail record's resources.
	Type string
	// Account owns the resource; "" means the account in the ARN, or the
	// call's account.
	Account string
	// Tags are the resource's tags (aws:ResourceTag/*); nil when it has none
	// or does not exist yet.
	Tags map[string]string
	// Keys are condition keys the resource itself carries besides its tags
	// (a stored S3 object's s3:ExistingObjectTag/<key>); a Resource function
	// that cannot read them fails, so that no condition on them is skipped.
	Keys map[string][]string
	// Policy is the resource's policy, nil if none, taking part as Mode says.
	Policy *policy.Policy
	Mode   PolicyMode
	// Boundary is the permissions boundary of an IAM role or user resource
	// (iam:PermissionsBoundary of operations on it).
	Boundary string
}

// Keys receives an operation's service condition keys. A key whose catalog
// type is multivalued (ArrayOfString, ArrayOfARN) is set as a multivalued
// key whatever the number of values.
type Keys interface {
	Set(key string, values ...string)
}

// Raw is a handler output written as is (Lambda Invoke payloads, S3 objects).
type Raw struct {
	Status int
	Header http.Header
	Body   []byte
	// Stream, when set, is the body instead of Body: it is copied to the
	// client a buffer at a time and closed, so a large answer (an S3
	// object) is never held whole. Length is its length in bytes, sent as
	// Content-Length; a Stream that ends short of it, or fails, cuts the
	// connection, so the client sees a truncated answer as an error.
	Stream io.ReadCloser
	Length int64
	// NoBody sends the headers (and Content-Length, for HEAD) without a body.
	NoBody bool
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
	// Replay, when set, encodes (as JSON) the record that replays the
	// decision (gateway.ReplayRequest). It is stored apart from the
	// decision's own JSON.
	Replay json.Marshaler `json:"-"`
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

// EnvironmentBinding describes the execution environment a listener belongs to.
type EnvironmentBinding struct {
	ID                string
	SourceFunctionARN string
	SourceVPC         string
}

// Invoker runs an operation of a service in-process on a principal's behalf:
// the Lambda service writing a function's logs as its execution role, or
// assuming the role as lambda.amazonaws.com. The call enters the gateway at
// step 3 and is authorized, handled and recorded like any other. The result
// is the handler's own output value; errors are *Error values for AWS's
// answers.
type Invoker interface {
	Invoke(ctx context.Context, in Internal) (any, error)
}

// Internal is one in-process call.
type Internal struct {
	Principal *Principal
	Service   string // signing name: "logs", "sts", ...
	Operation string
	// Params are query-protocol parameters (IAM, STS).
	Params url.Values
	// Input is the operation's typed input, handed to the handler's Decode
	// as is (a pointer to the struct the handler decodes into).
	Input  any
	Region string
	// Environment, when set, gives the call the keys of an execution environment.
	Environment *EnvironmentBinding
	// SourceARN and SourceAccount are the resource, and its account, on
	// whose behalf a service principal calls (aws:SourceArn,
	// aws:SourceAccount): the topic of an SNS delivery, the function of a
	// Lambda destination.
	SourceARN     string
	SourceAccount string
	// AuthorizeOnly stops the call once it is authorized: its input is
	// validated, its resource resolved (a missing resource is the
	// service's error) and the decision recorded in the trail like any
	// call's, but the handler does not run and Invoke returns nil. Lambda
	// uses it to learn whether a role may call an operation with effects
	// (sqs:ReceiveMessage) without making the call.
	AuthorizeOnly bool
	// Action and Resource name what an AuthorizeOnly call checks when
	// Service is one rolecall does not serve (kafka, mq, secretsmanager):
	// the decision is made with the full evaluation logic and recorded
	// under Service's event source, as Lambda's checks of a Kafka
	// mapping's role are. A Resource with an empty ARN is "*".
	Action   string
	Resource Resource
}

// Invoke runs in through inv and returns the handler's output as Out.
func Invoke[Out any](ctx context.Context, inv Invoker, in Internal) (Out, error) {
	var zero Out
	out, err := inv.Invoke(ctx, in)
	if err != nil {
		return zero, err
	}
	if out == nil {
		return zero, nil
	}
	o, ok := out.(Out)
	if !ok {
		return zero, &Error{Code: "InternalFailure", Status: 500, Receiver: true,
			Message: "We encountered an internal error. Please try again."}
	}
	return o, nil
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
	// InvokedBy is set when a service calls on the principal's behalf ("lambda.amazonaws.com").
	InvokedBy string
	// Claims are the sealed session token's claims for temporary
	// credentials; nil for long-term keys.
	Claims *session.Claims
	// Temporary-credential details, from the sealed session token.
	SessionIssued   time.Time
	SessionPolicies []policy.Named
	Tags            map[string]string // session tags (aws:PrincipalTag/*)
	SourceIdentity  string
	// EnvironmentID is the execution environment the session is bound to ("" if none).
	EnvironmentID string
}

// NewAnonymous returns the caller of an unsigned request.
func NewAnonymous() *Principal {
	return &Principal{Type: Anonymous, ARN: "anonymous", PrincipalID: "anonymous"}
}
