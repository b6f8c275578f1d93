package dynamodb

import (
	"context"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/store"
)

// streamOperations are DynamoDB Streams' operations.
func (d *DynamoDB) streamOperations() []*api.Operation {
	return nil
}

// openStream starts a new stream for t (a new label and ARN), in tx.
func (d *DynamoDB) openStream(ctx context.Context, tx store.Tx, t *Table) error {
	_, _ = ctx, tx
	t.StreamLabel = d.cfg.Now().UTC().Format("2006-01-02T15:04:05.000")
	t.StreamARN = t.ARN + "/stream/" + t.StreamLabel
	return nil
}

// closeStream disables t's current stream, in tx.
func (d *DynamoDB) closeStream(ctx context.Context, tx store.Tx, t *Table) error {
	_, _, _ = ctx, tx, t
	return nil
}

// recordChange appends the stream record of one item write to t's stream,
// in the writing transaction tx, when the table has a stream enabled:
// old is the item before (nil for an insert), new after (nil for a
// removal). Every item write calls it, so records follow commit order.
func (d *DynamoDB) recordChange(ctx context.Context, tx store.Tx, c *api.Call, t *Table, old, new attr.Item) error {
	_, _, _, _, _, _ = ctx, tx, c, t, old, new
	return nil
}
