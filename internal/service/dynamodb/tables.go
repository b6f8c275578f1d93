package dynamodb

import "github.com/rolecall/rolecall/internal/api"

// tableOperations are the control-plane operations: tables, indexes,
// streams settings, TTL, tags and resource policies.
func (d *DynamoDB) tableOperations() []*api.Operation {
	return nil
}
