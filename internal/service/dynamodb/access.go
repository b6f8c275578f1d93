package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// This file is DynamoDB's authorization: the table, index and stream
// resources an operation is authorized on, with the table's and the
// stream's resource-based policies (PutResourcePolicy), compiled once per
// revision and kept fresh across nodes by the store's feed.

// tableType is the resource type CloudTrail lists for tables, indexes and
// streams.
const tableType = "AWS::DynamoDB::Table"

// tableAccess is what authorization and the item operations read of a
// table: its record and its policies, compiled. It is kept by tablesTable
// key (nil t: no such table) and forgotten when the record changes.
type tableAccess struct {
	t            *Table
	policy       *policy.Policy
	streamPolicy *policy.Policy
}

// tableRef resolves a TableName member, a name or a table ARN, to the
// account, region and name it designates in the call's scope.
func tableRef(c *api.Call, name string) (account, region, table string) {
	account, region, table = c.Account, c.Region, name
	if strings.HasPrefix(name, "arn:") {
		parts := strings.SplitN(name, ":", 6)
		if len(parts) == 6 && strings.HasPrefix(parts[5], "table/") {
			account, region = parts[4], parts[3]
			table, _, _ = strings.Cut(strings.TrimPrefix(parts[5], "table/"), "/")
		}
	}
	return account, region, table
}

// access returns the access record of the table name designates, from
// the cache or the store.
func (d *DynamoDB) access(ctx context.Context, c *api.Call, name string) (*tableAccess, error) {
	account, region, table := tableRef(c, name)
	key := tableKey(account, region, table)
	a, ok, gen := d.tables.Get(key)
	if ok {
		return a, nil
	}
	var t Table
	err := store.GetJSON(ctx, d.cfg.Store, tablesTable, key, &t)
	if errors.Is(err, store.ErrNotFound) {
		a := &tableAccess{}
		d.tables.Put(gen, key, a)
		return a, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dynamodb: read table %s: %w", table, err)
	}
	a = &tableAccess{t: &t}
	if t.Policy != "" {
		if a.policy, err = policy.Parse(t.Policy, policy.Resource); err != nil {
			return nil, fmt.Errorf("dynamodb: table %s: stored policy: %w", table, err)
		}
	}
	if t.StreamPolicy != "" {
		if a.streamPolicy, err = policy.Parse(t.StreamPolicy, policy.Resource); err != nil {
			return nil, fmt.Errorf("dynamodb: table %s: stored stream policy: %w", table, err)
		}
	}
	d.tables.Put(gen, key, a)
	return a, nil
}

// forgetTable drops what the cache keeps of a table after this node's own
// write (the feed does it for other nodes' writes).
func (d *DynamoDB) forgetTable(t *Table) {
	d.tables.Forget(tableKey(t.Account, t.Region, t.Name))
}

// cachedTable returns the table name designates (a name or a table ARN),
// read through the cache, or DynamoDB's ResourceNotFoundException. The
// record is shared: callers must not modify it.
func (d *DynamoDB) cachedTable(ctx context.Context, c *api.Call, name string) (*Table, error) {
	a, err := d.access(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if a.t == nil {
		_, _, table := tableRef(c, name)
		return nil, resourceNotFound(table)
	}
	return a.t, nil
}

// tableResource is the resource of an operation on table name (a name or
// a table ARN): its ARN, its tags and its resource-based policy. A table
// that does not exist is authorized on the ARN its name gives, without a
// policy; the handler then answers ResourceNotFoundException, as DynamoDB
// does after authorization.
func (d *DynamoDB) tableResource(c *api.Call, name string) (api.Resource, error) {
	account, region, table := tableRef(c, name)
	res := api.Resource{ARN: tableARN(region, account, table), Type: tableType, Account: account, Mode: api.ResourcePolicy}
	if table == "" {
		return res, nil
	}
	a, err := d.access(c.Context, c, name)
	if err != nil {
		return api.Resource{}, err
	}
	if a.t != nil {
		res.ARN, res.Tags, res.Policy = a.t.ARN, a.t.Tags, a.policy
	}
	return res, nil
}

// indexResource is the resource of a Query or Scan of index on table:
// arn:...:table/T/index/I, governed by the table's policy and tags.
func (d *DynamoDB) indexResource(c *api.Call, table, index string) (api.Resource, error) {
	res, err := d.tableResource(c, table)
	if err != nil {
		return res, err
	}
	res.ARN += "/index/" + index
	return res, nil
}

// streamResource is the resource of a Streams operation on streamARN
// (arn:...:table/T/stream/LABEL): governed by the stream's own
// resource-based policy and the table's tags. The table keeps the policy
// of its latest stream only: an earlier stream of the table is
// authorized without a resource policy.
func (d *DynamoDB) streamResource(c *api.Call, streamARN string) (api.Resource, error) {
	res := api.Resource{ARN: streamARN, Type: tableType, Mode: api.ResourcePolicy}
	account, region, table, label, ok := parseStreamARN(streamARN)
	if !ok {
		return res, nil
	}
	res.Account = account
	a, err := d.access(c.Context, c, tableARN(region, account, table))
	if err != nil {
		return api.Resource{}, err
	}
	if a.t != nil {
		res.Tags = a.t.Tags
		if label == a.t.StreamLabel {
			res.Policy = a.streamPolicy
		}
	}
	return res, nil
}

// parseStreamARN splits arn:aws:dynamodb:R:A:table/T/stream/LABEL.
func parseStreamARN(arn string) (account, region, table, label string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" {
		return "", "", "", "", false
	}
	rest, found := strings.CutPrefix(parts[5], "table/")
	if !found {
		return "", "", "", "", false
	}
	table, label, found = strings.Cut(rest, "/stream/")
	if !found || table == "" || label == "" {
		return "", "", "", "", false
	}
	return parts[4], parts[3], table, label, true
}
