// Package policy implements the IAM policy language: it parses and validates
// policy documents as IAM does, compiles the policies that apply to a
// principal, and evaluates requests against them with AWS's evaluation logic.
//
// The package is pure: it performs no I/O and keeps no global mutable state.
package policy

import "unicode"

// Kind selects the rules a policy document is validated under.
type Kind int

const (
	// Identity is an identity-based policy (inline or managed): no
	// Principal or NotPrincipal, Resource or NotResource required.
	Identity Kind = iota
	// Resource is a resource-based policy: Principal or NotPrincipal required.
	Resource
	// Trust is a role trust policy: Principal required, no Resource or
	// NotResource, and only the sts actions that assume a role.
	Trust
	// SCP is a service control policy.
	SCP
	// Session is a session policy passed to AssumeRole; validated like Identity.
	Session
	// Boundary is a permissions boundary; validated like Identity.
	Boundary
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity"
	case Resource:
		return "resource"
	case Trust:
		return "trust"
	case SCP:
		return "scp"
	case Session:
		return "session"
	case Boundary:
		return "boundary"
	}
	return "unknown"
}

// Error reports a malformed policy document. Message is the text AWS
// returns with the MalformedPolicyDocument error code.
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

// Policy is a parsed, validated and compiled policy document.
// A Policy is immutable and safe for concurrent use.
type Policy struct {
	kind    Kind
	version string
	doc     *jvalue // the parsed document, for String and Statements
	stmts   []stmt
	idx     index // action index over stmts, used for resource policies
}

// Kind reports the rules the policy was validated under.
func (p *Policy) Kind() Kind { return p.kind }

// Version reports the policy language version ("2012-10-17", "2008-10-17",
// or "" when the document does not name one).
func (p *Policy) Version() string { return p.version }

// String returns the document as compact JSON, elements in document order.
func (p *Policy) String() string { return p.doc.compact() }

// ReplacePrincipals returns the document as compact JSON with each "AWS"
// principal of its Principal and NotPrincipal elements that is a key of
// with replaced by its value, as IAM shows a policy naming a user or role
// that was deleted: by the unique ID it kept.
func (p *Policy) ReplacePrincipals(with map[string]string) string {
	return p.doc.replacePrincipals(with).compact()
}

// Statement is a read-only view of one statement of a policy.
type Statement struct {
	Index  int    // position in the Statement list, from 0
	Sid    string // "" when the statement has none
	Effect string // "Allow" or "Deny"

	Principal    Principals // nil when absent
	NotPrincipal Principals // nil when absent
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Condition    []Condition

	Raw string // the statement as compact JSON
}

// Principals lists the principals named in a Principal or NotPrincipal
// element by type ("AWS", "Service", "Federated", "CanonicalUser").
// The bare "*" form is represented as {"*": ["*"]}.
type Principals map[string][]string

// Condition is one operator/key pair of a Condition element.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLike"
	Key      string
	Values   []string
}

// Statements returns a copy of the policy's statements.
func (p *Policy) Statements() []Statement {
	out := make([]Statement, len(p.stmts))
	for i := range p.stmts {
		out[i] = p.stmts[i].view()
	}
	return out
}

// Size returns the number of characters of doc that are not whitespace,
// the measure IAM compares with its policy size quotas.
func Size(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// Named is a policy together with the name that explanations refer to it by:
// an inline policy's name or a managed policy's ARN.
type Named struct {
	ID     string
	Policy *Policy
}
