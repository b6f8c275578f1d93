package policy

// PrincipalType is the kind of principal that makes a request.
type PrincipalType int

const (
	// Root is an account's root user.
	Root PrincipalType = iota
	// User is an IAM user.
	User
	// Role is an IAM role acting as itself (rare; callers are normally sessions).
	Role
	// AssumedRole is a role session (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION).
	AssumedRole
	// FederatedUser is a GetFederationToken session.
	FederatedUser
	// Service is an AWS service principal such as lambda.amazonaws.com.
	Service
	// Anonymous is an unauthenticated caller.
	Anonymous
	// WebIdentity is a SAML or OIDC identity provider named by a Federated
	// principal (its ARN, or a name such as cognito-identity.amazonaws.com).
	WebIdentity
)

func (t PrincipalType) String() string {
	switch t {
	case Root:
		return "Root"
	case User:
		return "User"
	case Role:
		return "Role"
	case AssumedRole:
		return "AssumedRole"
	case FederatedUser:
		return "FederatedUser"
	case Service:
		return "Service"
	case Anonymous:
		return "Anonymous"
	case WebIdentity:
		return "WebIdentity"
	}
	return "Unknown"
}

// Principal identifies the caller of a request.
type Principal struct {
	Type PrincipalType
	// ARN is the caller's ARN (arn:aws:iam::123456789012:user/alice,
	// arn:aws:sts::123456789012:assumed-role/r/s, arn:aws:iam::123456789012:root),
	// the service name for Service ("lambda.amazonaws.com"), or the provider
	// for WebIdentity.
	ARN     string
	Account string
	// RoleARN is, for AssumedRole, the ARN of the role
	// (arn:aws:iam::ACCT:role/path/name); resource policies that name the
	// role match its sessions.
	RoleARN string
	// ID is the unique ID of a User (AIDA...) or of the Role, or of an
	// AssumedRole's role (AROA...); "" for other principals. A policy that
	// names the ID matches the principal as the ARN would.
	ID string
}

// Request is one authorization question.
type Request struct {
	Principal Principal
	// Action is "service:Action"; matched case-insensitively.
	Action string
	// Resource is the resource ARN, or "*" for actions without resources.
	Resource string
	// ResourceAccount is the account owning the resource; "" means the
	// principal's account.
	ResourceAccount string
	// ResourcePolicy is the resource's resource-based policy, nil if none.
	ResourcePolicy *Policy
	// Context holds the request's condition keys; nil means none.
	Context *Context
	// ResourceContext, when not nil, holds the condition keys the
	// resource-based policy is evaluated against instead of Context: some
	// keys, such as lambda:SourceFunctionArn, exist only for identity-based
	// policies and SCPs.
	ResourceContext *Context
	// Gates are the further policies the request must pass: the SCPs of
	// the principal's account, the RCPs of the resource's account, the
	// policy of the VPC endpoint it came through (see Gate). Nil gates are
	// skipped.
	Gates []*Gate
}

// Effect is the outcome of an evaluation or the effect of a statement.
type Effect int

const (
	ImplicitDeny Effect = iota
	Allow
	ExplicitDeny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Source is the kind of policy that decided a request.
type Source int

const (
	SourceNone Source = iota
	SourceIdentity
	SourceResource
	SourceBoundary
	SourceSession
	SourceSCP
	// SourceRCP is a resource control policy of the resource's account.
	SourceRCP
	// SourceEndpoint is the policy of the VPC endpoint a request came through.
	SourceEndpoint
)

// sourceNames are the kinds of policy as AWS's AccessDenied messages name
// them ("... in a service control policy").
var sourceNames = map[Source]string{
	SourceIdentity: "identity-based policy",
	SourceResource: "resource-based policy",
	SourceBoundary: "permissions boundary",
	SourceSession:  "session policy",
	SourceSCP:      "service control policy",
	SourceRCP:      "resource control policy",
	SourceEndpoint: "VPC endpoint policy",
}

func (s Source) String() string {
	if n, ok := sourceNames[s]; ok {
		return n
	}
	return "none"
}

// Match identifies a statement that contributed to a decision.
type Match struct {
	Policy string // Named.ID of the policy; "" for the resource policy
	Sid    string
	Index  int // statement index within the policy
	Effect Effect
	Source Source
}

// MaxMatches is the number of decisive statements a Decision can carry.
const MaxMatches = 6

// Decision is the answer to a Request, with the statements that decided it.
type Decision struct {
	Effect Effect
	// Source is, for ExplicitDeny, the kind of policy holding the deny; for
	// ImplicitDeny, the kind of policy that failed to allow (SourceNone when
	// the request cannot be allowed at all); for Allow, the kind of policy
	// that granted (SourceNone for an account's root user).
	Source Source
	// Matches[:Count] are the decisive statements: the deny for
	// ExplicitDeny, the allows that were required for Allow, and for
	// ImplicitDeny the allows that were found in the policies that did allow.
	Matches [MaxMatches]Match
	Count   int
}

// Allowed reports whether the request is allowed.
func (d Decision) Allowed() bool { return d.Effect == Allow }

// Decisive returns a copy of the decisive statements.
func (d Decision) Decisive() []Match {
	return append([]Match(nil), d.Matches[:d.Count]...)
}

func (d *Decision) add(m Match) {
	if d.Count < MaxMatches {
		d.Matches[d.Count] = m
		d.Count++
	}
}

// Reason renders the end of AWS's AccessDenied message for the decision,
// such as "because no identity-based policy allows the s3:PutObject action"
// or "with an explicit deny in a service control policy". It is "" for Allow.
func (d Decision) Reason(action string) string {
	switch d.Effect {
	case ExplicitDeny:
		src := d.Source
		if _, ok := sourceNames[src]; !ok {
			src = SourceIdentity
		}
		return "with an explicit deny in " + article(src) + " " + src.String()
	case ImplicitDeny:
		if _, ok := sourceNames[d.Source]; !ok {
			return ""
		}
		return "because no " + d.Source.String() + " allows the " + action + " action"
	}
	return ""
}

// article is the indefinite article of a source's name.
func article(s Source) string {
	if s == SourceIdentity {
		return "an"
	}
	return "a"
}
