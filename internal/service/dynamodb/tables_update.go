package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/store"
)

// updateTableInput is UpdateTable's input.
type updateTableInput struct {
	TableName                   string
	AttributeDefinitions        []AttributeDefinition
	BillingMode                 string
	ProvisionedThroughput       *Throughput
	GlobalSecondaryIndexUpdates []gsiUpdate
	StreamSpecification         *StreamSpec
	SSESpecification            *sseSpecification
	ReplicaUpdates              []json.RawMessage
	TableClass                  string
	DeletionProtectionEnabled   *bool
	OnDemandThroughput          *onDemandThroughput
	WarmThroughput              *warmThroughput
	MultiRegionConsistency      string
	GlobalTableWitnessUpdates   []json.RawMessage
}

// gsiUpdate is one GlobalSecondaryIndexUpdates entry: exactly one of
// Create, Update and Delete.
type gsiUpdate struct {
	Create *indexInput
	Update *struct {
		IndexName             string
		ProvisionedThroughput *Throughput
		OnDemandThroughput    *onDemandThroughput
		WarmThroughput        *warmThroughput
	}
	Delete *struct{ IndexName string }
}

// errTableChanged is returned by recordChange when the table record the
// item write used is older than the table's (an index was added or
// removed, the stream enabled or disabled): the transaction rolls back,
// and the write is retried with the table read afresh (freshTable).
var errTableChanged = errors.New("dynamodb: the table changed during the write")

// freshTable is cachedTable, read from the store rather than the cache.
func (d *DynamoDB) freshTable(ctx context.Context, c *api.Call, name string) (*Table, error) {
	account, region, table := tableRef(c, name)
	d.tables.Forget(tableKey(account, region, table))
	return d.cachedTable(ctx, c, name)
}

// updateTable is UpdateTable. A new global secondary index is CREATING
// (Backfilling) while the items already in the table are copied into it,
// then ACTIVE; a deleted index's entries are removed after it is gone.
func (d *DynamoDB) updateTable(c *api.Call) (any, error) {
	var in updateTableInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkUpdateUnsupported(&in); err != nil {
		return nil, err
	}
	if in.BillingMode == "" && in.ProvisionedThroughput == nil && len(in.GlobalSecondaryIndexUpdates) == 0 &&
		in.StreamSpecification == nil && in.DeletionProtectionEnabled == nil && in.TableClass == "" {
		return nil, validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	var t *Table
	var created, deleted string
	_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		created, deleted = "", ""
		if t, err = d.loadTable(c.Context, tx, c, in.TableName); err != nil {
			return err
		}
		if created, deleted, err = d.applyUpdate(c.Context, tx, t, &in); err != nil {
			return err
		}
		t.Version++
		return store.PutJSON(c.Context, tx, tablesTable, tableKey(t.Account, t.Region, t.Name), t)
	})
	if err != nil {
		return nil, err
	}
	d.forgetTable(t)
	if created != "" || deleted != "" {
		d.background(func(ctx context.Context) error { return d.settleIndexes(ctx, t) })
	}
	// The answer says UPDATING, as DynamoDB's does; the table is ACTIVE
	// again at once (an index it creates stays CREATING while backfilled).
	desc := d.description(t, tableStats{})
	desc.TableStatus = "UPDATING"
	return map[string]any{"TableDescription": desc}, nil
}

// checkUpdateUnsupported refuses what this implementation does not keep.
func checkUpdateUnsupported(in *updateTableInput) error {
	switch {
	case len(in.ReplicaUpdates) > 0 || len(in.GlobalTableWitnessUpdates) > 0 || in.MultiRegionConsistency != "":
		return validation("One or more parameter values were invalid: global tables (ReplicaUpdates) are not supported")
	case in.SSESpecification != nil && in.SSESpecification.Enabled != nil && *in.SSESpecification.Enabled:
		return validation("One or more parameter values were invalid: SSESpecification with a KMS key is not supported; omit it to use the AWS owned key")
	case in.OnDemandThroughput != nil || in.WarmThroughput != nil:
		return validation("One or more parameter values were invalid: OnDemandThroughput and WarmThroughput are not supported")
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		if u.Update != nil && (u.Update.OnDemandThroughput != nil || u.Update.WarmThroughput != nil) ||
			u.Create != nil && (u.Create.OnDemandThroughput != nil || u.Create.WarmThroughput != nil) {
			return validation("One or more parameter values were invalid: OnDemandThroughput and WarmThroughput are not supported")
		}
	}
	return nil
}

// applyUpdate applies UpdateTable's input to t, in tx. It returns the
// names of the global index it creates and of the one it deletes.
func (d *DynamoDB) applyUpdate(ctx context.Context, tx store.Tx, t *Table, in *updateTableInput) (created, deleted string, err error) {
	if t.Status != "ACTIVE" {
		return "", "", api.Errorf(400, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being updated: %s", t.Name)
	}
	if in.BillingMode != "" || in.ProvisionedThroughput != nil {
		mode := in.BillingMode
		if mode == "" {
			mode = t.BillingMode
		}
		if mode == "PAY_PER_REQUEST" && in.ProvisionedThroughput != nil {
			return "", "", validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		if mode == "PROVISIONED" && in.ProvisionedThroughput == nil && t.Throughput == nil {
			return "", "", validation("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
		}
		if in.ProvisionedThroughput != nil {
			if err := checkThroughput(in.ProvisionedThroughput); err != nil {
				return "", "", err
			}
			if t.Throughput != nil && *t.Throughput == *in.ProvisionedThroughput && in.BillingMode == "" {
				return "", "", validation("The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnitsForTable: %d, Requested ReadCapacityUnitsForTable: %d. Current WriteCapacityUnitsForTable: %d, Requested WriteCapacityUnitsForTable: %d",
					t.Throughput.ReadCapacityUnits, in.ProvisionedThroughput.ReadCapacityUnits, t.Throughput.WriteCapacityUnits, in.ProvisionedThroughput.WriteCapacityUnits)
			}
			t.Throughput = in.ProvisionedThroughput
		}
		switch mode {
		case "PAY_PER_REQUEST":
			t.Throughput = nil
			for i := range t.GSIs {
				t.GSIs[i].Throughput = nil
			}
		case "PROVISIONED":
		default:
			return "", "", validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", mode)
		}
		t.BillingMode = mode
	}
	if in.DeletionProtectionEnabled != nil {
		t.DeletionProtection = *in.DeletionProtectionEnabled
	}
	switch in.TableClass {
	case "":
	case "STANDARD", "STANDARD_INFREQUENT_ACCESS":
		t.TableClass = in.TableClass
	default:
		return "", "", validation("1 validation error detected: Value '%s' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]", in.TableClass)
	}
	if in.StreamSpecification != nil {
		if err := d.updateStream(ctx, tx, t, in.StreamSpecification); err != nil {
			return "", "", err
		}
	}
	if len(in.GlobalSecondaryIndexUpdates) > 0 {
		return d.updateIndexes(t, in)
	}
	return "", "", nil
}

// updateStream enables or disables t's stream.
func (d *DynamoDB) updateStream(ctx context.Context, tx store.Tx, t *Table, spec *StreamSpec) error {
	enabled := t.Stream != nil && t.Stream.StreamEnabled
	switch {
	case spec.StreamEnabled && enabled:
		return validation("Table already has an enabled stream: TableName: %s", t.Name)
	case !spec.StreamEnabled && !enabled:
		return validation("Table has no stream to disable: TableName: %s", t.Name)
	}
	s, err := streamSpec(spec)
	if err != nil {
		return err
	}
	if s == nil {
		if err := d.closeStream(ctx, tx, t); err != nil {
			return err
		}
		t.Stream = nil
		return nil
	}
	t.Stream = s
	return d.openStream(ctx, tx, t)
}

// updateIndexes applies GlobalSecondaryIndexUpdates: at most one Create
// or Delete, any number of Updates.
func (d *DynamoDB) updateIndexes(t *Table, in *updateTableInput) (created, deleted string, err error) {
	online := 0
	names := map[string]bool{}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		n := 0
		for _, set := range []bool{u.Create != nil, u.Update != nil, u.Delete != nil} {
			if set {
				n++
			}
		}
		switch {
		case n == 0:
			return "", "", validation("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
		case n > 1:
			return "", "", validation("One or more parameter values were invalid: Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object")
		}
		name := updateIndexName(u)
		if names[name] {
			return "", "", validation("One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: %s", name)
		}
		names[name] = true
		if u.Create != nil || u.Delete != nil {
			online++
		}
	}
	if online > 1 {
		return "", "", api.Errorf(400, "LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
	}
	for _, g := range t.GSIs {
		if g.Status != "ACTIVE" && online > 0 {
			return "", "", api.Errorf(400, "LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
		}
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			if created, err = d.createIndex(t, in, u.Create); err != nil {
				return "", "", err
			}
		case u.Delete != nil:
			i := gsiIndex(t, u.Delete.IndexName)
			if i < 0 {
				return "", "", api.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Index: %s not found in table: %s", u.Delete.IndexName, t.Name)
			}
			deleted = u.Delete.IndexName
			t.GSIs = append(t.GSIs[:i], t.GSIs[i+1:]...)
			t.Attributes = usedDefinitions(t)
		case u.Update != nil:
			i := gsiIndex(t, u.Update.IndexName)
			if i < 0 {
				return "", "", api.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Index: %s not found in table: %s", u.Update.IndexName, t.Name)
			}
			if t.BillingMode == "PAY_PER_REQUEST" {
				return "", "", validation("One or more parameter values were invalid: ProvisionedThroughput cannot be specified for index %s when BillingMode is PAY_PER_REQUEST", u.Update.IndexName)
			}
			if u.Update.ProvisionedThroughput == nil {
				return "", "", validation("1 validation error detected: Value null at 'globalSecondaryIndexUpdates.1.member.update.provisionedThroughput' failed to satisfy constraint: Member must not be null")
			}
			if err := checkThroughput(u.Update.ProvisionedThroughput); err != nil {
				return "", "", err
			}
			t.GSIs[i].Throughput = u.Update.ProvisionedThroughput
		}
	}
	return created, deleted, nil
}

// updateIndexName is the index a GlobalSecondaryIndexUpdate names.
func updateIndexName(u gsiUpdate) string {
	switch {
	case u.Create != nil:
		return u.Create.IndexName
	case u.Update != nil:
		return u.Update.IndexName
	case u.Delete != nil:
		return u.Delete.IndexName
	}
	return ""
}

// createIndex adds a new global secondary index to t, CREATING.
func (d *DynamoDB) createIndex(t *Table, in *updateTableInput, ix *indexInput) (string, error) {
	if len(t.GSIs) >= maxGSIs {
		return "", api.Errorf(400, "LimitExceededException", "Subscriber limit exceeded: The number of global secondary indexes exceeds the per-table limit of %d", maxGSIs)
	}
	// DynamoDB takes from AttributeDefinitions only what the new index's
	// keys need; the rest, and types given again for defined attributes,
	// it ignores.
	if len(in.AttributeDefinitions) == 0 {
		return "", validation("One or more parameter values were invalid: AttributeDefinitions is not specified for index: %s", ix.IndexName)
	}
	given, err := attributeTypes(in.AttributeDefinitions)
	if err != nil {
		return "", err
	}
	defs := attrDefs{types: map[string]string{}}
	for _, a := range t.Attributes {
		defs.types[a.AttributeName] = a.AttributeType
		defs.names = append(defs.names, a.AttributeName)
	}
	for _, k := range ix.KeySchema {
		if _, ok := defs.types[k.AttributeName]; !ok {
			if typ, ok := given.types[k.AttributeName]; ok {
				defs.types[k.AttributeName] = typ
				defs.names = append(defs.names, k.AttributeName)
			}
		}
	}
	seen := map[string]bool{}
	for _, ix := range t.GSIs {
		seen[ix.Name] = true
	}
	for _, ix := range t.LSIs {
		seen[ix.Name] = true
	}
	if seen[ix.IndexName] {
		return "", validation("One or more parameter values were invalid: Index with name: %s already exists", ix.IndexName)
	}
	if err := checkIndex(*ix, defs, seen); err != nil {
		return "", err
	}
	switch {
	case t.BillingMode == "PROVISIONED" && ix.ProvisionedThroughput == nil:
		return "", validation("One or more parameter values were invalid: ProvisionedThroughput is not specified for index: %s", ix.IndexName)
	case t.BillingMode == "PAY_PER_REQUEST" && ix.ProvisionedThroughput != nil:
		return "", validation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", ix.IndexName)
	case ix.ProvisionedThroughput != nil:
		if err := checkThroughput(ix.ProvisionedThroughput); err != nil {
			return "", err
		}
	}
	t.GSIs = append(t.GSIs, Index{Name: ix.IndexName, ARN: t.ARN + "/index/" + ix.IndexName, KeySchema: ix.KeySchema,
		Projection: *ix.Projection, Status: "CREATING", Throughput: ix.ProvisionedThroughput})
	t.Attributes = nil
	for _, name := range defs.names {
		t.Attributes = append(t.Attributes, AttributeDefinition{AttributeName: name, AttributeType: defs.types[name]})
	}
	t.Attributes = usedDefinitions(t)
	return ix.IndexName, nil
}

// usedDefinitions returns t's attribute definitions that a key of the
// table or of one of its indexes uses.
func usedDefinitions(t *Table) []AttributeDefinition {
	used := map[string]bool{}
	for _, k := range t.KeySchema {
		used[k.AttributeName] = true
	}
	for _, ix := range append(append([]Index(nil), t.GSIs...), t.LSIs...) {
		for _, k := range ix.KeySchema {
			used[k.AttributeName] = true
		}
	}
	var out []AttributeDefinition
	for _, a := range t.Attributes {
		if used[a.AttributeName] {
			out = append(out, a)
		}
	}
	return out
}

func gsiIndex(t *Table, name string) int {
	for i := range t.GSIs {
		if t.GSIs[i].Name == name {
			return i
		}
	}
	return -1
}

// background runs fn on the service's lifetime context (Start), logging
// its failure; the sweeper's next pass finishes what it left undone.
func (d *DynamoDB) background(fn func(ctx context.Context) error) {
	d.mu.Lock()
	ctx := d.life
	d.mu.Unlock()
	if ctx == nil {
		return // not started: the first sweep does it
	}
	go func() {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			d.log().Warn("dynamodb: background work failed", "err", err)
		}
	}()
}

func (d *DynamoDB) log() *slog.Logger {
	if d.cfg.Logger != nil {
		return d.cfg.Logger
	}
	return slog.Default()
}

// backfillBatch is how many items one backfill transaction copies.
const backfillBatch = 200

// settleIndexes brings t's global secondary indexes to rest: each
// CREATING index gets an entry for every item already in the table, then
// becomes ACTIVE; entries of indexes t no longer has are deleted. It is
// idempotent, so nodes that run it at once agree.
func (d *DynamoDB) settleIndexes(ctx context.Context, t *Table) error {
	for _, ix := range t.GSIs {
		if ix.Status != "CREATING" {
			continue
		}
		after, gone := "", false
		for {
			var n int
			_, err := d.cfg.Store.Update(ctx, func(tx store.Tx) error {
				// The index may have been deleted, or its table: then
				// there is nothing more to fill.
				gone = false
				var cur Table
				err := store.GetJSON(ctx, tx, tablesTable, tableKey(t.Account, t.Region, t.Name), &cur)
				if errors.Is(err, store.ErrNotFound) {
					gone = true
					return nil
				}
				if err != nil {
					return err
				}
				if i := gsiIndex(&cur, ix.Name); cur.ID != t.ID || i < 0 || cur.GSIs[i].Status != "CREATING" {
					gone = true
					return nil
				}
				items, err := tx.List(ctx, itemsTable, t.ID+"/", after, backfillBatch)
				if err != nil {
					return err
				}
				n = len(items)
				for _, kv := range items {
					var it attr.Item
					if err := json.Unmarshal(kv.Value, &it); err != nil {
						return fmt.Errorf("dynamodb: item %s: %w", kv.Key, err)
					}
					key, in := t.IndexKey(&ix, it)
					if !in {
						continue
					}
					if err := store.PutJSON(ctx, tx, indexTable, key, t.project(&ix, it)); err != nil {
						return err
					}
				}
				if n > 0 {
					after = items[n-1].Key
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("dynamodb: backfill %s/%s: %w", t.Name, ix.Name, err)
			}
			if gone || n < backfillBatch {
				break
			}
		}
		if gone {
			continue
		}
		if err := d.activateIndex(ctx, t, ix.Name); err != nil {
			return err
		}
	}
	return d.dropOrphanIndexes(ctx, t)
}

// activateIndex marks a backfilled index ACTIVE.
func (d *DynamoDB) activateIndex(ctx context.Context, t *Table, name string) error {
	var cur Table
	_, err := d.cfg.Store.Update(ctx, func(tx store.Tx) error {
		key := tableKey(t.Account, t.Region, t.Name)
		if err := store.GetJSON(ctx, tx, tablesTable, key, &cur); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		i := gsiIndex(&cur, name)
		if cur.ID != t.ID || i < 0 || cur.GSIs[i].Status == "ACTIVE" {
			return nil
		}
		cur.GSIs[i].Status = "ACTIVE"
		cur.Version++
		return store.PutJSON(ctx, tx, tablesTable, key, &cur)
	})
	if err == nil {
		d.forgetTable(t)
	}
	return err
}

// dropOrphanIndexes deletes the index entries of t that belong to no
// index t has.
func (d *DynamoDB) dropOrphanIndexes(ctx context.Context, t *Table) error {
	have := map[string]bool{}
	for _, ix := range t.indexes() {
		have[ix.Name] = true
	}
	after := t.ID + "/"
	for {
		items, err := d.cfg.Store.List(ctx, indexTable, t.ID+"/", after, 1)
		if err != nil || len(items) == 0 {
			return err
		}
		rest := items[0].Key[len(t.ID)+1:]
		name := rest
		for i := range rest {
			if rest[i] == '/' {
				name = rest[:i]
				break
			}
		}
		prefix := t.ID + "/" + name + "/"
		if !have[name] {
			if err := d.purgePrefix(ctx, indexTable, prefix); err != nil {
				return err
			}
		}
		after = prefix + "\xff"
	}
}
