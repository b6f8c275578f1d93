// Package lint is IAM Access Analyzer's policy validation (ValidatePolicy):
// it checks a policy document against the IAM policy grammar, the catalog
// of AWS services (actions, resource ARNs, condition keys) and AWS's best
// practices, and reports findings of type ERROR, SECURITY_WARNING, WARNING
// and SUGGESTION with Access Analyzer's issue codes, details and
// learn-more links (the IAM User Guide's "Access Analyzer policy check
// reference"). Each finding carries its locations in the document: a path
// of PathElements and a span whose lines count from 1, columns and offsets
// from 0, in characters, as Access Analyzer counts them.
//
// The policy type changes the checks as Access Analyzer's do: identity
// policies may not name principals, resource policies must, a trust policy
// (validatePolicyResourceType AWS::IAM::AssumeRolePolicyDocument) names no
// resources, SCPs follow the Organizations grammar, and the policy of a
// bucket, access point or table names only its service's actions and
// resources.
//
// Unknown actions, service prefixes and condition keys come from the
// catalog (internal/catalog): nothing it does not know is accepted.
//
// The package also holds the custom policy checks (CheckNoNewAccess,
// CheckAccessNotGranted, CheckNoPublicAccess); see check.go for the rules
// that keep them sound.
package lint

import (
	"fmt"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/policy"
)

// Policy types, as Access Analyzer names them (PolicyType).
const (
	IdentityPolicy        = "IDENTITY_POLICY"
	ResourcePolicy        = "RESOURCE_POLICY"
	ServiceControlPolicy  = "SERVICE_CONTROL_POLICY"
	ResourceControlPolicy = "RESOURCE_CONTROL_POLICY"
)

// TrustPolicyResourceType is the validatePolicyResourceType of a role trust
// policy.
const TrustPolicyResourceType = "AWS::IAM::AssumeRolePolicyDocument"

// Options says what a document is validated as.
type Options struct {
	PolicyType   string // IdentityPolicy etc.; "" means IdentityPolicy
	ResourceType string // validatePolicyResourceType ("AWS::S3::Bucket"), "" for none
}

// ForKind returns the options that validate a policy of kind k.
func ForKind(k policy.Kind) Options {
	switch k {
	case policy.Resource:
		return Options{PolicyType: ResourcePolicy}
	case policy.Trust:
		return Options{PolicyType: ResourcePolicy, ResourceType: TrustPolicyResourceType}
	case policy.SCP:
		return Options{PolicyType: ServiceControlPolicy}
	default:
		return Options{PolicyType: IdentityPolicy}
	}
}

// A Finding is one result of validation (ValidatePolicyFinding).
type Finding struct {
	Type          string     `json:"findingType"`
	Code          string     `json:"issueCode"`
	Details       string     `json:"findingDetails"`
	LearnMoreLink string     `json:"learnMoreLink"`
	Locations     []Location `json:"locations"`
}

// String gives the finding as "line:column: TYPE CODE: details", line from
// 1 and column from 1 as editors count them.
func (f Finding) String() string {
	where := ""
	if len(f.Locations) > 0 {
		s := f.Locations[0].Span.Start
		where = fmt.Sprintf("%d:%d: ", s.Line, s.Column+1)
	}
	return fmt.Sprintf("%s%s %s: %s", where, f.Type, f.Code, f.Details)
}

// A Location is a place in the document (Location).
type Location struct {
	Path []PathElement `json:"path"`
	Span Span          `json:"span"`
}

// A PathElement is one step into the document, exactly one of its fields
// set (the PathElement union): Value names an object member to enter, Key
// a member whose name itself is meant, Index an array element, Substring a
// part of a string.
type PathElement struct {
	Index     *int       `json:"index,omitempty"`
	Key       string     `json:"key,omitempty"`
	Value     string     `json:"value,omitempty"`
	Substring *Substring `json:"substring,omitempty"`
}

// Substring is a part of a string value: start and length in characters.
type Substring struct {
	Start  int `json:"start"`
	Length int `json:"length"`
}

// Span is a stretch of the document.
type Span struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// Position is a point of the document: Line from 1, Column and Offset from
// 0, counted in characters.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

// positions converts byte offsets of a document to Positions.
type positions struct {
	doc   string
	lines []int // byte offset of the start of each line
}

func newPositions(doc string) *positions {
	p := &positions{doc: doc, lines: []int{0}}
	for i := 0; i < len(doc); i++ {
		if doc[i] == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	return p
}

func (p *positions) at(off int) Position {
	off = min(max(off, 0), len(p.doc))
	line := 0
	for line+1 < len(p.lines) && p.lines[line+1] <= off {
		line++
	}
	return Position{
		Line:   line + 1,
		Column: utf8.RuneCountInString(p.doc[p.lines[line]:off]),
		Offset: utf8.RuneCountInString(p.doc[:off]),
	}
}

func (p *positions) span(start, end int) Span {
	return Span{Start: p.at(start), End: p.at(end)}
}

// path builders.
func pv(name string) PathElement { return PathElement{Value: name} }
func pk(name string) PathElement { return PathElement{Key: name} }
func pi(i int) PathElement       { return PathElement{Index: &i} }
