package dynamodb

import "github.com/rolecall/rolecall/internal/api"

// itemOperations are the data-plane operations: items, queries, scans,
// batches and transactions.
func (d *DynamoDB) itemOperations() []*api.Operation {
	return nil
}
