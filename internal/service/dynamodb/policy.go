package dynamodb

import (
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// maxPolicySize is the largest resource-based policy DynamoDB keeps, in
// bytes.
const maxPolicySize = 20 * 1024

// checkPolicy validates a resource-based policy document as
// PutResourcePolicy does and returns it compiled.
func checkPolicy(doc string) (*policy.Policy, error) {
	if len(doc) > maxPolicySize {
		return nil, validation("Policy document size exceeds the maximum allowed size of 20 KB")
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		return nil, &api.Error{Code: "ValidationException", Status: 400, Message: "Invalid policy document: " + err.Error()}
	}
	return p, nil
}
