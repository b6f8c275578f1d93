package replay

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
)

// Policy types of a ChangeSpec.
const (
	Inline   = "INLINE"
	Managed  = "MANAGED"
	Boundary = "BOUNDARY"
	SCP      = "SCP"
)

// ChangeSpec is one proposed change as the ReplayPolicy API takes it.
type ChangeSpec struct {
	// PolicyType is INLINE (PolicyName), MANAGED (PolicyARN), BOUNDARY
	// or SCP.
	PolicyType string `json:"policyType"`
	PolicyName string `json:"policyName,omitempty"`
	PolicyARN  string `json:"policyArn,omitempty"`
	// PolicyDocument is the proposed document. A MANAGED change without
	// one attaches the managed policy PolicyARN names as it is.
	PolicyDocument string `json:"policyDocument,omitempty"`
	// Remove deletes the inline policy or detaches the managed policy.
	Remove bool `json:"remove,omitempty"`
}

// ManagedFunc returns the default version of the managed policy arn, or
// IAM's NoSuchEntity.
type ManagedFunc func(ctx context.Context, arn string) (*policy.Policy, error)

// IAM's patterns for policy names and managed policy ARNs.
var (
	policyName = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	policyARN  = regexp.MustCompile(`^arn:aws:iam::(aws|\d{12}):policy/([\x21-\x7e]*/)?[\w+=,.@-]{1,128}$`)
)

// managedPolicySize is IAM's quota on a managed policy's size (and so a
// permissions boundary's): 6,144 characters, white space not counted
// (IAM CreatePolicy's LimitExceeded "Cannot exceed quota for PolicySize").
const managedPolicySize = 6144

// MakeChange turns specs into the change replay evaluates, checking them
// against the principal's current policies: a change names its policy as
// IAM does, its document is a policy IAM would accept (the error is IAM's
// MalformedPolicyDocument wording, or its quota's for a managed policy
// or boundary larger than 6,144 characters), a policy removed is one the principal
// has, and there is at most one boundary and one SCP. Errors are
// ValidationExceptions (*api.Error) naming the change, or managed's.
func MakeChange(ctx context.Context, specs []ChangeSpec, current *policy.SetInput, managed ManagedFunc) (*gateway.Change, error) {
	if len(specs) == 0 {
		return nil, invalid("changes: give at least one change")
	}
	ch := &gateway.Change{}
	seen := map[string]bool{}
	for i, s := range specs {
		at := fmt.Sprintf("changes[%d]", i)
		id, kind, err := s.target(at)
		if err != nil {
			return nil, err
		}
		if seen[id] {
			return nil, invalid("%s: %s is changed twice", at, id)
		}
		seen[id] = true
		if s.Remove {
			if s.PolicyDocument != "" {
				return nil, invalid("%s: a change that removes a policy takes no policyDocument", at)
			}
			if !slices.ContainsFunc(current.Identity, func(n policy.Named) bool { return n.ID == id }) {
				return nil, invalid("%s: the principal has no %s policy %s to remove", at, kindWord[s.PolicyType], id)
			}
			ch.Remove = append(ch.Remove, id)
			continue
		}
		var p *policy.Policy
		switch {
		case s.PolicyDocument != "":
			if p, err = policy.Parse(s.PolicyDocument, kind); err != nil {
				var pe *policy.Error
				if errors.As(err, &pe) {
					return nil, invalid("%s.policyDocument: %s", at, pe.Message)
				}
				return nil, invalid("%s.policyDocument: %v", at, err)
			}
			if (s.PolicyType == Managed || s.PolicyType == Boundary) && policy.Size(s.PolicyDocument) > managedPolicySize {
				return nil, invalid("%s.policyDocument: Cannot exceed quota for PolicySize: %d", at, managedPolicySize)
			}
		case s.PolicyType == Managed && managed != nil:
			if p, err = managed(ctx, s.PolicyARN); err != nil {
				return nil, err
			}
		default:
			return nil, invalid("%s: give the proposed policyDocument", at)
		}
		n := policy.Named{ID: id, Policy: p}
		switch s.PolicyType {
		case Boundary:
			ch.Boundary = &n
		case SCP:
			ch.SCP = &n
		default:
			ch.Identity = append(ch.Identity, n)
		}
	}
	return ch, nil
}

var kindWord = map[string]string{Inline: "inline", Managed: "managed"}

// Names of the proposed boundary and SCP, for the statements that name
// them.
const (
	ProposedBoundary = "proposed-boundary"
	ProposedSCP      = "proposed-scp"
)

// target returns the ID of the policy a spec changes and the kind its
// document is parsed as.
func (s *ChangeSpec) target(at string) (string, policy.Kind, error) {
	switch s.PolicyType {
	case Inline:
		if s.PolicyARN != "" {
			return "", 0, invalid("%s: an INLINE change names its policyName, not a policyArn", at)
		}
		if !policyName.MatchString(s.PolicyName) {
			return "", 0, invalid("%s.policyName: %q is not a policy name (1 to 128 of letters, digits and +=,.@_-)", at, s.PolicyName)
		}
		return s.PolicyName, policy.Identity, nil
	case Managed:
		if s.PolicyName != "" {
			return "", 0, invalid("%s: a MANAGED change names its policyArn, not a policyName", at)
		}
		if !policyARN.MatchString(s.PolicyARN) {
			return "", 0, invalid("%s.policyArn: %q is not a managed policy ARN", at, s.PolicyARN)
		}
		return s.PolicyARN, policy.Identity, nil
	case Boundary, SCP:
		if s.PolicyName != "" || s.PolicyARN != "" {
			return "", 0, invalid("%s: a %s change takes neither policyName nor policyArn", at, s.PolicyType)
		}
		if s.Remove {
			return "", 0, invalid("%s: remove is for INLINE and MANAGED changes", at)
		}
		if s.PolicyType == Boundary {
			return ProposedBoundary, policy.Boundary, nil
		}
		return ProposedSCP, policy.SCP, nil
	}
	return "", 0, invalid("%s.policyType: %q is not one of INLINE, MANAGED, BOUNDARY, SCP", at, s.PolicyType)
}

func invalid(format string, args ...any) *api.Error {
	return api.Errorf(400, "ValidationException", format, args...)
}
