package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/store"
)

// tableOperations are the control-plane operations: tables, indexes,
// streams settings, TTL, tags and resource policies.
func (d *DynamoDB) tableOperations() []*api.Operation {
	table := d.namedTableResource
	return []*api.Operation{
		{Name: "CreateTable", Action: "dynamodb:CreateTable", Resource: table, Conditions: requestTagConditions, Handle: d.createTable},
		{Name: "DescribeTable", Action: "dynamodb:DescribeTable", ReadOnly: true, Resource: table, Handle: d.describeTable},
		{Name: "UpdateTable", Action: "dynamodb:UpdateTable", Resource: table, Handle: d.updateTable},
		{Name: "DeleteTable", Action: "dynamodb:DeleteTable", Resource: table, Handle: d.deleteTable},
		{Name: "ListTables", Action: "dynamodb:ListTables", ReadOnly: true, Handle: d.listTables},
		{Name: "DescribeLimits", Action: "dynamodb:DescribeLimits", ReadOnly: true, Handle: d.describeLimits},
		{Name: "DescribeEndpoints", Action: "dynamodb:DescribeEndpoints", ReadOnly: true, Handle: d.describeEndpoints},
		{Name: "TagResource", Action: "dynamodb:TagResource", Resource: d.arnResource, Conditions: requestTagConditions, Handle: d.tagResource},
		{Name: "UntagResource", Action: "dynamodb:UntagResource", Resource: d.arnResource, Conditions: untagConditions, Handle: d.untagResource},
		{Name: "ListTagsOfResource", Action: "dynamodb:ListTagsOfResource", ReadOnly: true, Resource: d.arnResource, Handle: d.listTagsOfResource},
		{Name: "UpdateTimeToLive", Action: "dynamodb:UpdateTimeToLive", Resource: table, Handle: d.updateTimeToLive},
		{Name: "DescribeTimeToLive", Action: "dynamodb:DescribeTimeToLive", ReadOnly: true, Resource: table, Handle: d.describeTimeToLive},
		{Name: "PutResourcePolicy", Action: "dynamodb:PutResourcePolicy", Resource: d.arnResource, Handle: d.putResourcePolicy},
		{Name: "GetResourcePolicy", Action: "dynamodb:GetResourcePolicy", ReadOnly: true, Resource: d.arnResource, Handle: d.getResourcePolicy},
		{Name: "DeleteResourcePolicy", Action: "dynamodb:DeleteResourcePolicy", Resource: d.deletePolicyResource, Handle: d.deleteResourcePolicy},
	}
}

// namedTableResource is the table an operation's TableName names.
func (d *DynamoDB) namedTableResource(c *api.Call) (api.Resource, error) {
	var in tableNameInput
	if err := decode(c, &in); err != nil {
		return api.Resource{}, err
	}
	return d.tableResource(c, in.TableName)
}

// Limits DynamoDB applies to tables.
const (
	maxGSIs = 20
	maxLSIs = 5
)

// createTable is CreateTable: the table is written ACTIVE at once (its
// answer says CREATING, as DynamoDB's does; the first DescribeTable finds
// it ACTIVE, which is what waiters wait for).
func (d *DynamoDB) createTable(c *api.Call) (any, error) {
	var in createTableInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	t, err := d.newTable(c, &in)
	if err != nil {
		return nil, err
	}
	// A table created with a resource-based policy also needs
	// dynamodb:PutResourcePolicy on it.
	if in.ResourcePolicy != nil {
		if c.Authorize == nil {
			return nil, errors.New("dynamodb: CreateTable with a policy, called without an authorizer")
		}
		res := api.Resource{ARN: t.ARN, Type: tableType, Account: t.Account, Mode: api.ResourcePolicy}
		if err := c.Authorize("dynamodb:PutResourcePolicy", res, nil); err != nil {
			return nil, err
		}
	}
	_, err = d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		key := tableKey(t.Account, t.Region, t.Name)
		if _, err := tx.Get(c.Context, tablesTable, key); err == nil {
			return api.Errorf(400, "ResourceInUseException", "Table already exists: %s", t.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if t.Stream != nil && t.Stream.StreamEnabled {
			if err := d.openStream(c.Context, tx, t); err != nil {
				return err
			}
		}
		return store.PutJSON(c.Context, tx, tablesTable, key, t)
	})
	if err != nil {
		return nil, err
	}
	d.forgetTable(t)
	desc := d.description(t, tableStats{})
	desc.TableStatus = "CREATING"
	for i := range desc.GlobalSecondaryIndexes {
		desc.GlobalSecondaryIndexes[i].IndexStatus = "CREATING"
	}
	return map[string]any{"TableDescription": desc}, nil
}

// newTable validates CreateTable's input and returns the table it
// describes.
func (d *DynamoDB) newTable(c *api.Call, in *createTableInput) (*Table, error) {
	now := d.cfg.Now().UTC()
	t := &Table{
		Name: in.TableName, ID: uuid.NewString(), Account: c.Account, Region: c.Region,
		ARN: tableARN(c.Region, c.Account, in.TableName), Created: now, Status: "ACTIVE",
		KeySchema: in.KeySchema, Attributes: in.AttributeDefinitions, TableClass: in.TableClass,
	}
	if err := checkTableName(in.TableName); err != nil {
		return nil, err
	}
	if err := checkUnsupported(in); err != nil {
		return nil, err
	}
	defs, err := attributeTypes(in.AttributeDefinitions)
	if err != nil {
		return nil, err
	}
	if err := checkKeySchema(in.KeySchema, defs); err != nil {
		return nil, err
	}
	if err := checkDefinitionsUsed(in, defs); err != nil {
		return nil, err
	}
	if in.GlobalSecondaryIndexes != nil && len(in.GlobalSecondaryIndexes) == 0 {
		return nil, validation("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
	}
	if in.LocalSecondaryIndexes != nil && len(in.LocalSecondaryIndexes) == 0 {
		return nil, validation("One or more parameter values were invalid: List of LocalSecondaryIndexes is empty")
	}
	mode, tp, err := billing(in.BillingMode, in.ProvisionedThroughput, in.GlobalSecondaryIndexes)
	if err != nil {
		return nil, err
	}
	t.BillingMode, t.Throughput = mode, tp
	if t.LSIs, err = d.localIndexes(t, in.LocalSecondaryIndexes, defs); err != nil {
		return nil, err
	}
	if t.GSIs, err = globalIndexes(t, in.GlobalSecondaryIndexes, defs); err != nil {
		return nil, err
	}
	if t.Stream, err = streamSpec(in.StreamSpecification); err != nil {
		return nil, err
	}
	if in.DeletionProtectionEnabled != nil {
		t.DeletionProtection = *in.DeletionProtectionEnabled
	}
	switch in.TableClass {
	case "", "STANDARD", "STANDARD_INFREQUENT_ACCESS":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]", in.TableClass)
	}
	if t.Tags, err = tagMap(nil, in.Tags); err != nil {
		return nil, err
	}
	if in.ResourcePolicy != nil {
		if _, err := checkPolicy(*in.ResourcePolicy); err != nil {
			return nil, err
		}
		t.Policy, t.PolicyRevision = *in.ResourcePolicy, revisionID(now.UnixMilli(), "")
	}
	return t, nil
}

// checkUnsupported refuses the members this implementation does not keep,
// rather than accept and ignore them.
func checkUnsupported(in *createTableInput) error {
	if s := in.SSESpecification; s != nil && s.Enabled != nil && *s.Enabled {
		return validation("One or more parameter values were invalid: SSESpecification with a KMS key is not supported; omit it to use the AWS owned key")
	}
	if in.OnDemandThroughput != nil || in.WarmThroughput != nil {
		return validation("One or more parameter values were invalid: OnDemandThroughput and WarmThroughput are not supported")
	}
	for _, ix := range append(append([]indexInput(nil), in.GlobalSecondaryIndexes...), in.LocalSecondaryIndexes...) {
		if ix.OnDemandThroughput != nil || ix.WarmThroughput != nil {
			return validation("One or more parameter values were invalid: OnDemandThroughput and WarmThroughput are not supported")
		}
	}
	return nil
}

// checkTableName checks a table name as DynamoDB does: 3 to 255 of
// [a-zA-Z0-9_.-] (the model checks the same; a typed in-process call is
// checked here).
func checkTableName(name string) error {
	if len(name) < 3 || len(name) > 255 {
		return validation("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return validation("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name)
		}
	}
	return nil
}

// attrDefs are attribute definitions: types by name, and the names in
// the order given (messages list them so).
type attrDefs struct {
	types map[string]string
	names []string
}

// attributeTypes returns the attribute definitions by name.
func attributeTypes(defs []AttributeDefinition) (attrDefs, error) {
	m := attrDefs{types: make(map[string]string, len(defs))}
	for _, a := range defs {
		switch a.AttributeType {
		case "S", "N", "B":
		default:
			return m, validation("1 validation error detected: Value '%s' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", a.AttributeType)
		}
		if _, dup := m.types[a.AttributeName]; dup {
			return m, validation("One or more parameter values were invalid: Attribute Name is duplicated: %s", a.AttributeName)
		}
		m.types[a.AttributeName] = a.AttributeType
		m.names = append(m.names, a.AttributeName)
	}
	return m, nil
}

// checkKeySchema checks a table's or an index's key schema against the
// attribute definitions.
func checkKeySchema(ks []KeyElement, defs attrDefs) error {
	if len(ks) == 0 || len(ks) > 2 {
		return validation("1 validation error detected: Value '%s' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2", keySchemaText(ks))
	}
	if ks[0].KeyType != "HASH" {
		return validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(ks) == 2 {
		if ks[1].KeyType != "RANGE" {
			return validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if ks[0].AttributeName == ks[1].AttributeName {
			return validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
	}
	var missing []string
	for _, k := range ks {
		if _, ok := defs.types[k.AttributeName]; !ok {
			missing = append(missing, k.AttributeName)
		}
	}
	if len(missing) > 0 {
		return validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
			strings.Join(missing, ", "), strings.Join(defs.names, ", "))
	}
	return nil
}

func keySchemaText(ks []KeyElement) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprintf("KeySchemaElement(attributeName=%s, keyType=%s)", k.AttributeName, k.KeyType)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// checkDefinitionsUsed refuses attribute definitions no key of the table
// or of its indexes uses, as DynamoDB does before it checks the indexes.
func checkDefinitionsUsed(in *createTableInput, defs attrDefs) error {
	used := map[string]bool{}
	for _, k := range in.KeySchema {
		used[k.AttributeName] = true
	}
	for _, ix := range append(append([]indexInput(nil), in.GlobalSecondaryIndexes...), in.LocalSecondaryIndexes...) {
		for _, k := range ix.KeySchema {
			used[k.AttributeName] = true
		}
	}
	for _, name := range defs.names {
		if used[name] {
			continue
		}
		if len(in.GlobalSecondaryIndexes) == 0 && len(in.LocalSecondaryIndexes) == 0 {
			return validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
		}
		return validation("One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [%s], keys used: [%s]",
			strings.Join(defs.names, ", "), strings.Join(sortedKeys(used), ", "))
	}
	return nil
}

// billing checks BillingMode against ProvisionedThroughput.
func billing(mode string, tp *Throughput, gsis []indexInput) (string, *Throughput, error) {
	switch mode {
	case "", "PROVISIONED":
		if tp == nil {
			return "", nil, validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		if err := checkThroughput(tp); err != nil {
			return "", nil, err
		}
		for _, g := range gsis {
			if g.ProvisionedThroughput == nil {
				return "", nil, validation("One or more parameter values were invalid: ProvisionedThroughput is not specified for index: %s", g.IndexName)
			}
		}
		return "PROVISIONED", tp, nil
	case "PAY_PER_REQUEST":
		if tp != nil {
			return "", nil, validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		for _, g := range gsis {
			if g.ProvisionedThroughput != nil {
				return "", nil, validation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", g.IndexName)
			}
		}
		return "PAY_PER_REQUEST", nil, nil
	}
	return "", nil, validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", mode)
}

func checkThroughput(tp *Throughput) error {
	if tp.ReadCapacityUnits < 1 {
		return validation("One or more parameter values were invalid: ReadCapacityUnits must be greater than 0")
	}
	if tp.WriteCapacityUnits < 1 {
		return validation("One or more parameter values were invalid: WriteCapacityUnits must be greater than 0")
	}
	return nil
}

// localIndexes validates LocalSecondaryIndexes: each shares the table's
// partition key and has a sort key.
func (d *DynamoDB) localIndexes(t *Table, in []indexInput, defs attrDefs) ([]Index, error) {
	if len(in) > maxLSIs {
		return nil, validation("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of %d", maxLSIs)
	}
	if len(in) > 0 && t.RangeKey() == "" {
		return nil, validation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
	}
	out := make([]Index, 0, len(in))
	seen := map[string]bool{}
	for _, ix := range in {
		if err := checkIndex(ix, defs, seen); err != nil {
			return nil, err
		}
		if ix.KeySchema[0].AttributeName != t.HashKey() {
			return nil, validation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s",
				ix.IndexName, ix.KeySchema[0].AttributeName, t.HashKey())
		}
		if len(ix.KeySchema) != 2 {
			return nil, validation("One or more parameter values were invalid: Index KeySchema does not have a range key for index: %s", ix.IndexName)
		}
		if ix.ProvisionedThroughput != nil {
			return nil, validation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s", ix.IndexName)
		}
		out = append(out, Index{Name: ix.IndexName, ARN: t.ARN + "/index/" + ix.IndexName, KeySchema: ix.KeySchema, Projection: *ix.Projection})
	}
	return out, nil
}

// globalIndexes validates GlobalSecondaryIndexes.
func globalIndexes(t *Table, in []indexInput, defs attrDefs) ([]Index, error) {
	if len(in) > maxGSIs {
		return nil, validation("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGSIs)
	}
	seen := map[string]bool{}
	for _, l := range t.LSIs {
		seen[l.Name] = true
	}
	out := make([]Index, 0, len(in))
	for _, ix := range in {
		if err := checkIndex(ix, defs, seen); err != nil {
			return nil, err
		}
		if ix.ProvisionedThroughput != nil {
			if err := checkThroughput(ix.ProvisionedThroughput); err != nil {
				return nil, err
			}
		}
		out = append(out, Index{Name: ix.IndexName, ARN: t.ARN + "/index/" + ix.IndexName, KeySchema: ix.KeySchema,
			Projection: *ix.Projection, Status: "ACTIVE", Throughput: ix.ProvisionedThroughput})
	}
	return out, nil
}

// checkIndex checks what every index needs: a unique name, a key schema
// over defined attributes and a projection.
func checkIndex(ix indexInput, defs attrDefs, seen map[string]bool) error {
	if len(ix.IndexName) < 3 || len(ix.IndexName) > 255 {
		return validation("1 validation error detected: Value '%s' at 'indexName' failed to satisfy constraint: Member must have length greater than or equal to 3", ix.IndexName)
	}
	if seen[ix.IndexName] {
		return validation("One or more parameter values were invalid: Duplicate index name: %s", ix.IndexName)
	}
	seen[ix.IndexName] = true
	if err := checkKeySchema(ix.KeySchema, defs); err != nil {
		return err
	}
	if ix.Projection == nil {
		return validation("1 validation error detected: Value null at 'projection' failed to satisfy constraint: Member must not be null")
	}
	switch ix.Projection.ProjectionType {
	case "ALL", "KEYS_ONLY":
		if len(ix.Projection.NonKeyAttributes) > 0 {
			return validation("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", ix.Projection.ProjectionType)
		}
	case "INCLUDE":
		if ix.Projection.NonKeyAttributes == nil {
			return validation("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
		}
		if len(ix.Projection.NonKeyAttributes) == 0 {
			return validation("1 validation error detected: Value '[]' at 'projection.nonKeyAttributes' failed to satisfy constraint: Member must have length greater than or equal to 1")
		}
		seen := map[string]bool{}
		for _, a := range ix.Projection.NonKeyAttributes {
			if seen[a] {
				return validation("One or more parameter values were invalid: Duplicate element in NonKeyAttributes: %s", a)
			}
			seen[a] = true
		}
	case "":
		return validation("One or more parameter values were invalid: Unknown ProjectionType: null")
	default:
		return validation("1 validation error detected: Value '%s' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]", ix.Projection.ProjectionType)
	}
	return nil
}

// streamSpec validates a StreamSpecification.
func streamSpec(s *StreamSpec) (*StreamSpec, error) {
	if s == nil {
		return nil, nil
	}
	switch {
	case s.StreamEnabled && s.StreamViewType == "":
		return nil, validation("One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required")
	case !s.StreamEnabled && s.StreamViewType != "":
		return nil, validation("One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified")
	}
	switch s.StreamViewType {
	case "", "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]", s.StreamViewType)
	}
	if !s.StreamEnabled {
		return nil, nil
	}
	spec := *s
	return &spec, nil
}

// tableStats are a table's item count and size.
type tableStats struct {
	items, bytes int64
	index        map[string][2]int64
}

// statsMaxAge is how long counted statistics are reused: DynamoDB
// refreshes ItemCount and TableSizeBytes about every six hours; they are
// counted again here when older than this, or when the table's
// description changed (a new index).
const statsMaxAge = 10 * time.Second

// cachedStats are a table's statistics, counted at a time.
type cachedStats struct {
	s  tableStats
	at time.Time
}

// stats returns a table's item count and size and those of its indexes,
// counted at most statsMaxAge ago.
func (d *DynamoDB) stats(ctx context.Context, t *Table) (tableStats, error) {
	key := fmt.Sprintf("%s/%d", t.ID, t.Version)
	now := d.cfg.Now()
	d.mu.Lock()
	c, ok := d.counted[key]
	d.mu.Unlock()
	if ok && now.Sub(c.at) < statsMaxAge && !now.Before(c.at) {
		return c.s, nil
	}
	s, err := d.count(ctx, t)
	if err != nil {
		return s, err
	}
	d.mu.Lock()
	if d.counted == nil || len(d.counted) >= 1000 {
		d.counted = map[string]cachedStats{}
	}
	d.counted[key] = cachedStats{s, now}
	d.mu.Unlock()
	return s, nil
}

// count counts a table's items and index entries.
func (d *DynamoDB) count(ctx context.Context, t *Table) (tableStats, error) {
	s := tableStats{index: map[string][2]int64{}}
	count := func(table, prefix string) (n, size int64, err error) {
		after := ""
		for {
			items, err := d.cfg.Store.List(ctx, table, prefix, after, 1000)
			if err != nil {
				return 0, 0, err
			}
			for _, it := range items {
				var item attr.Item
				if err := json.Unmarshal(it.Value, &item); err != nil {
					return 0, 0, fmt.Errorf("dynamodb: item %s: %w", it.Key, err)
				}
				n++
				size += int64(item.Size())
			}
			if len(items) < 1000 {
				return n, size, nil
			}
			after = items[len(items)-1].Key
		}
	}
	var err error
	if s.items, s.bytes, err = count(itemsTable, t.ID+"/"); err != nil {
		return s, err
	}
	for _, ix := range append(append([]Index(nil), t.GSIs...), t.LSIs...) {
		n, size, err := count(indexTable, t.ID+"/"+ix.Name+"/")
		if err != nil {
			return s, err
		}
		s.index[ix.Name] = [2]int64{n, size}
	}
	return s, nil
}

// description is t's TableDescription.
func (d *DynamoDB) description(t *Table, s tableStats) *tableDescription {
	desc := &tableDescription{
		TableName: t.Name, TableArn: t.ARN, TableId: t.ID, TableStatus: t.Status,
		CreationDateTime:     epoch(t.Created),
		AttributeDefinitions: t.Attributes, KeySchema: t.KeySchema,
		ItemCount: s.items, TableSizeBytes: s.bytes,
		ProvisionedThroughput:     throughputOf(t.Throughput),
		DeletionProtectionEnabled: t.DeletionProtection,
		StreamSpecification:       t.Stream,
		LatestStreamLabel:         t.StreamLabel, LatestStreamArn: t.StreamARN,
	}
	if t.BillingMode == "PAY_PER_REQUEST" {
		desc.BillingModeSummary = &billingModeSummary{BillingMode: t.BillingMode}
	}
	if t.TableClass != "" {
		desc.TableClassSummary = &tableClassSummary{TableClass: t.TableClass}
	}
	for _, ix := range t.LSIs {
		st := s.index[ix.Name]
		desc.LocalSecondaryIndexes = append(desc.LocalSecondaryIndexes, localIndexDescription{
			IndexName: ix.Name, IndexArn: ix.ARN, KeySchema: ix.KeySchema, Projection: ix.Projection,
			ItemCount: st[0], IndexSizeBytes: st[1]})
	}
	for _, ix := range t.GSIs {
		st := s.index[ix.Name]
		g := globalIndexDescription{IndexName: ix.Name, IndexArn: ix.ARN, IndexStatus: ix.Status,
			KeySchema: ix.KeySchema, Projection: ix.Projection, ProvisionedThroughput: throughputOf(ix.Throughput),
			ItemCount: st[0], IndexSizeBytes: st[1]}
		if ix.Status == "CREATING" {
			b := true
			g.Backfilling = &b
		}
		desc.GlobalSecondaryIndexes = append(desc.GlobalSecondaryIndexes, g)
	}
	return desc
}

func throughputOf(tp *Throughput) throughputDescription {
	if tp == nil {
		return throughputDescription{}
	}
	return throughputDescription{ReadCapacityUnits: tp.ReadCapacityUnits, WriteCapacityUnits: tp.WriteCapacityUnits}
}

// describeTable is DescribeTable.
func (d *DynamoDB) describeTable(c *api.Call) (any, error) {
	var in tableNameInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	t, err := d.loadTable(c.Context, d.cfg.Store, c, in.TableName)
	if err != nil {
		return nil, err
	}
	s, err := d.stats(c.Context, t)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": d.description(t, s)}, nil
}

// deleteTable is DeleteTable: the table's record goes in one transaction
// (its name is free again at once), then its items and index entries,
// which no table reaches any more, are deleted in batches.
func (d *DynamoDB) deleteTable(c *api.Call) (any, error) {
	var in tableNameInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var t *Table
	_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		if t, err = d.loadTable(c.Context, tx, c, in.TableName); err != nil {
			return err
		}
		if t.DeletionProtection {
			return validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
		}
		if t.StreamARN != "" && t.Stream != nil {
			if err := d.closeStream(c.Context, tx, t); err != nil {
				return err
			}
		}
		return tx.Delete(c.Context, tablesTable, tableKey(t.Account, t.Region, t.Name))
	})
	if err != nil {
		return nil, err
	}
	d.forgetTable(t)
	s, err := d.stats(c.Context, t)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	delete(d.counted, fmt.Sprintf("%s/%d", t.ID, t.Version))
	d.mu.Unlock()
	if err := d.purge(c.Context, t.ID); err != nil {
		return nil, err
	}
	desc := d.description(t, s)
	desc.TableStatus = "DELETING"
	return map[string]any{"TableDescription": desc}, nil
}

// purge deletes the items and index entries of the table with ID id.
func (d *DynamoDB) purge(ctx context.Context, id string) error {
	if err := d.purgePrefix(ctx, itemsTable, id+"/"); err != nil {
		return err
	}
	return d.purgePrefix(ctx, indexTable, id+"/")
}

// purgePrefix deletes the keys of table under prefix, a batch per
// transaction.
func (d *DynamoDB) purgePrefix(ctx context.Context, table, prefix string) error {
	for {
		var n int
		_, err := d.cfg.Store.Update(ctx, func(tx store.Tx) error {
			items, err := tx.List(ctx, table, prefix, "", 500)
			if err != nil {
				return err
			}
			n = len(items)
			for _, it := range items {
				if err := tx.Delete(ctx, table, it.Key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("dynamodb: delete %s %s: %w", table, prefix, err)
		}
		if n < 500 {
			return nil
		}
	}
}

// listTablesInput is ListTables' input.
type listTablesInput struct {
	ExclusiveStartTableName string
	Limit                   *int
}

// listTables is ListTables: names in order, up to Limit (1 to 100).
func (d *DynamoDB) listTables(c *api.Call) (any, error) {
	var in listTablesInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100", *in.Limit)
		}
		limit = *in.Limit
	}
	prefix := tableKey(c.Account, c.Region, "")
	after := ""
	if in.ExclusiveStartTableName != "" {
		after = prefix + in.ExclusiveStartTableName
	}
	items, err := d.cfg.Store.List(c.Context, tablesTable, prefix, after, limit+1)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(items))
	for _, it := range items {
		names = append(names, strings.TrimPrefix(it.Key, prefix))
	}
	out := map[string]any{}
	if len(names) > limit {
		names = names[:limit]
		out["LastEvaluatedTableName"] = names[limit-1]
	}
	out["TableNames"] = names
	return out, nil
}

// Account and table capacity limits DescribeLimits reports (DynamoDB's
// default quotas).
const (
	accountMaxCapacity = 80000
	tableMaxCapacity   = 40000
)

// describeLimits is DescribeLimits.
func (d *DynamoDB) describeLimits(c *api.Call) (any, error) {
	var in struct{}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	return map[string]any{
		"AccountMaxReadCapacityUnits": accountMaxCapacity, "AccountMaxWriteCapacityUnits": accountMaxCapacity,
		"TableMaxReadCapacityUnits": tableMaxCapacity, "TableMaxWriteCapacityUnits": tableMaxCapacity,
	}, nil
}

// describeEndpoints is DescribeEndpoints: the endpoint the client reached,
// to be cached for a day.
func (d *DynamoDB) describeEndpoints(c *api.Call) (any, error) {
	var in struct{}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	host := "dynamodb." + c.Region + ".amazonaws.com"
	if c.HTTP != nil && c.HTTP.Host != "" {
		host = c.HTTP.Host
	}
	return map[string]any{"Endpoints": []map[string]any{{"Address": host, "CachePeriodInMinutes": 1440}}}, nil
}
