package dynamodb_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rolecall/rolecall/internal/store"
)

type item = map[string]types.AttributeValue

func TestItemKeyValidation(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "users", "id:S", "", def("email:S"), gsi("by-email", "email", "", types.ProjectionTypeAll))
	put := func(it item) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("users"), Item: it})
		return err
	}
	const inv = "One or more parameter values were invalid: "
	wantErr(t, "missing key", put(item{"name": S("x")}), "ValidationException", inv+"Missing the key id in the item")
	wantErr(t, "key type", put(item{"id": N("1")}), "ValidationException", inv+"Type mismatch for key id expected: S actual: N")
	wantErr(t, "empty key", put(item{"id": S("")}), "ValidationException",
		"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id")
	wantErr(t, "index key type", put(item{"id": S("a"), "email": N("3")}), "ValidationException",
		inv+"Type mismatch for Index Key email Expected: S Actual: N IndexName: by-email")
	wantErr(t, "item size", put(item{"id": S("a"), "blob": S(strings.Repeat("x", 400*1024))}), "ValidationException",
		"Item size has exceeded the maximum allowed size")
	if err := put(item{"id": S("a"), "blob": S(strings.Repeat("x", 400*1024-10))}); err != nil {
		t.Errorf("item just under 400 KB: %v", err)
	}
	get := func(k item) error {
		_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("users"), Key: k})
		return err
	}
	wantErr(t, "key with an extra attribute", get(item{"id": S("a"), "x": S("b")}), "ValidationException", "The provided key element does not match the schema")
	wantErr(t, "key of the wrong type", get(item{"id": N("1")}), "ValidationException", "The provided key element does not match the schema")
	wantErr(t, "missing table", func() error {
		_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("nope"), Key: item{"id": S("a")}})
		return err
	}(), "ResourceNotFoundException", "Requested resource not found")
	_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("users"), Key: item{"id": S("a")},
		UpdateExpression: aws.String("SET id = :v"), ExpressionAttributeValues: item{":v": S("b")}})
	wantErr(t, "update of a key attribute", err, "ValidationException", inv+"Cannot update attribute id. This attribute is part of the key")
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("users"), Item: item{"id": S("a")}, ReturnValues: types.ReturnValueAllNew})
	wantErr(t, "PutItem ALL_NEW", err, "ValidationException", "Return values set to invalid value")
}

func TestItemWrites(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "things", "id:S", "")
	tn := aws.String("things")
	key := item{"id": S("a")}

	// UpdateItem on a missing item creates it.
	u, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		UpdateExpression:          aws.String("SET n = if_not_exists(n, :zero) + :one, tags = :tags"),
		ExpressionAttributeValues: item{":zero": N("0"), ":one": N("1"), ":tags": &types.AttributeValueMemberSS{Value: []string{"x", "y"}}},
		ReturnValues:              types.ReturnValueUpdatedNew})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := u.Attributes["n"].(*types.AttributeValueMemberN); !ok || n.Value != "1" || len(u.Attributes) != 2 {
		t.Errorf("UPDATED_NEW %+v", u.Attributes)
	}
	u, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		UpdateExpression:          aws.String("ADD n :big DELETE tags :x"),
		ExpressionAttributeValues: item{":big": N("99999999999999999999999999999999999999"), ":x": &types.AttributeValueMemberSS{Value: []string{"x"}}},
		ReturnValues:              types.ReturnValueUpdatedOld})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := u.Attributes["n"].(*types.AttributeValueMemberN); !ok || n.Value != "1" {
		t.Errorf("UPDATED_OLD %+v", u.Attributes)
	}
	g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: key, ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if n := g.Item["n"].(*types.AttributeValueMemberN).Value; n != "100000000000000000000000000000000000000" {
		t.Errorf("38-digit arithmetic: %s", n)
	}
	if ss := g.Item["tags"].(*types.AttributeValueMemberSS).Value; len(ss) != 1 || ss[0] != "y" {
		t.Errorf("DELETE from a set: %v", ss)
	}
	if g.ConsumedCapacity == nil || aws.ToFloat64(g.ConsumedCapacity.CapacityUnits) != 1 || aws.ToString(g.ConsumedCapacity.TableName) != "things" {
		t.Errorf("GetItem capacity %+v", g.ConsumedCapacity)
	}

	// A failed condition changes nothing and returns the item when asked.
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"id": S("a"), "v": S("new")},
		ConditionExpression: aws.String("attribute_not_exists(id)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if !asErr(err, &ccf) || ccf.Item["n"] == nil {
		t.Errorf("condition failure with ALL_OLD: %v", err)
	}
	p, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"id": S("a"), "v": S("new")}, ReturnValues: types.ReturnValueAllOld,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || p.Attributes["n"] == nil || aws.ToFloat64(p.ConsumedCapacity.CapacityUnits) != 1 {
		t.Errorf("PutItem ALL_OLD: %+v %v", p, err)
	}
	d, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tn, Key: key, ReturnValues: types.ReturnValueAllOld,
		ConditionExpression: aws.String("v = :v"), ExpressionAttributeValues: item{":v": S("new")}})
	if err != nil || d.Attributes["v"] == nil {
		t.Errorf("DeleteItem: %+v %v", d, err)
	}
	g, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: key})
	if err != nil || g.Item != nil {
		t.Errorf("deleted item: %+v %v", g.Item, err)
	}
	// A big item costs one write unit per KB.
	p, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"id": S("big"), "b": S(strings.Repeat("x", 3000))},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || aws.ToFloat64(p.ConsumedCapacity.CapacityUnits) != 3 {
		t.Errorf("3 KB write: %+v %v", p.ConsumedCapacity, err)
	}
	// Unused expression values are refused.
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"id": S("z")}, ConditionExpression: aws.String("attribute_not_exists(id)"),
		ExpressionAttributeValues: item{":unused": S("x")}})
	wantErr(t, "unused value", err, "ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")
}

// TestIndexMaintenance checks that writes keep a GSI (sparse, KEYS_ONLY
// or INCLUDE) and an LSI in step, with their write capacity.
func TestIndexMaintenance(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "posts", "author:S", "id:N", def("topic:S"), def("likes:N"),
		gsi("by-topic", "topic", "likes", types.ProjectionTypeInclude, "title"), lsi("by-likes", "likes", types.ProjectionTypeKeysOnly))
	tn := aws.String("posts")
	p, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"author": S("ann"), "id": N("1"), "topic": S("go"), "likes": N("5"), "title": S("t1"), "body": S("b")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil {
		t.Fatal(err)
	}
	if m := p.ItemCollectionMetrics; m == nil || m.ItemCollectionKey["author"] == nil || len(m.SizeEstimateRangeGB) != 2 {
		t.Errorf("item collection metrics of a table with a local index: %+v", m)
	}
	cc := p.ConsumedCapacity
	if aws.ToFloat64(cc.CapacityUnits) != 3 || cc.GlobalSecondaryIndexes["by-topic"].CapacityUnits == nil || cc.LocalSecondaryIndexes["by-likes"].CapacityUnits == nil {
		t.Errorf("index capacity %+v", cc)
	}
	// Not in the GSI: no topic (a sparse index).
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"author": S("ann"), "id": N("2"), "likes": N("7")}}); err != nil {
		t.Fatal(err)
	}
	q := func(index, cond string, vals item) *dynamodb.QueryOutput {
		t.Helper()
		out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn, IndexName: aws.String(index), KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: vals})
		if err != nil {
			t.Fatalf("query %s: %v", index, err)
		}
		return out
	}
	out := q("by-topic", "topic = :t", item{":t": S("go")})
	if out.Count != 1 || out.Items[0]["title"] == nil || out.Items[0]["body"] != nil {
		t.Errorf("INCLUDE projection: %+v", out.Items)
	}
	out = q("by-likes", "author = :a AND likes > :l", item{":a": S("ann"), ":l": N("4")})
	if out.Count != 2 || out.Items[0]["topic"] != nil {
		t.Errorf("KEYS_ONLY LSI: %+v", out.Items)
	}
	// Moving the item out of the GSI and changing its LSI key.
	if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: item{"author": S("ann"), "id": N("1")},
		UpdateExpression: aws.String("REMOVE topic SET likes = :l"), ExpressionAttributeValues: item{":l": N("1")}}); err != nil {
		t.Fatal(err)
	}
	if out := q("by-topic", "topic = :t", item{":t": S("go")}); out.Count != 0 {
		t.Errorf("GSI after REMOVE: %+v", out.Items)
	}
	if out := q("by-likes", "author = :a AND likes > :l", item{":a": S("ann"), ":l": N("4")}); out.Count != 1 {
		t.Errorf("LSI after update: %+v", out.Items)
	}
	// An LSI read of ALL_ATTRIBUTES fetches from the table; a GSI's is refused.
	all, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn, IndexName: aws.String("by-likes"), Select: types.SelectAllAttributes,
		KeyConditionExpression: aws.String("author = :a"), ExpressionAttributeValues: item{":a": S("ann")}})
	if err != nil || all.Count != 2 || all.Items[0]["id"] == nil {
		t.Errorf("LSI ALL_ATTRIBUTES: %+v %v", all, err)
	}
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: tn, IndexName: aws.String("by-topic"), Select: types.SelectAllAttributes,
		KeyConditionExpression: aws.String("topic = :t"), ExpressionAttributeValues: item{":t": S("go")}})
	wantErr(t, "GSI ALL_ATTRIBUTES", err, "ValidationException",
		"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index by-topic because its projection type is not ALL")
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: tn, IndexName: aws.String("by-topic"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("topic = :t"), ExpressionAttributeValues: item{":t": S("go")}})
	wantErr(t, "consistent GSI read", err, "ValidationException", "Consistent reads are not supported on global secondary indexes")
}

// TestItemTrail checks that item operations are recorded as data events
// that never carry item contents or expression values.
func TestItemTrail(t *testing.T) {
	t.Parallel()
	srv, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "vault", "id:S", "")
	tn := aws.String("vault")
	const secret = "s3cr3t-value"
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"id": S("k"), "v": S(secret)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: item{"id": S("k")}, UpdateExpression: aws.String("SET v = :v"),
		ExpressionAttributeValues: item{":v": S(secret + "2")}, ReturnValues: types.ReturnValueAllNew}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: item{"id": S("k")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn, KeyConditionExpression: aws.String("id = :k"), ExpressionAttributeValues: item{":k": S("k")}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Category: store.CategoryData})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range evs {
		names[e.Name] = true
		if strings.Contains(string(e.Record), "s3cr3t") {
			t.Errorf("%s record carries item contents: %s", e.Name, e.Record)
		}
		var rec struct {
			EventSource       string         `json:"eventSource"`
			EventCategory     string         `json:"eventCategory"`
			ReadOnly          bool           `json:"readOnly"`
			RequestParameters map[string]any `json:"requestParameters"`
			ResponseElements  map[string]any `json:"responseElements"`
		}
		if err := json.Unmarshal(e.Record, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.EventSource != "dynamodb.amazonaws.com" || rec.EventCategory != "Data" || rec.RequestParameters["tableName"] != "vault" ||
			rec.ResponseElements != nil || rec.ReadOnly != (e.Name == "GetItem" || e.Name == "Query") {
			t.Errorf("%s record: %s", e.Name, e.Record)
		}
	}
	for _, n := range []string{"PutItem", "UpdateItem", "GetItem", "Query"} {
		if !names[n] {
			t.Errorf("no %s data event in %v", n, names)
		}
	}
}

// TestLegacyParameters uses the parameters that predate expressions:
// Expected, AttributeUpdates, AttributesToGet, ScanFilter and
// KeyConditions with QueryFilter.
func TestLegacyParameters(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "legacy", "id:S", "n:N")
	tn := aws.String("legacy")
	for i, v := range []string{"1", "2", "3"} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"id": S("a"), "n": N(v), "tag": S([]string{"x", "y", "x"}[i])},
			Expected: map[string]types.ExpectedAttributeValue{"id": {Exists: aws.Bool(false)}}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"id": S("a"), "n": N("1")},
		Expected: map[string]types.ExpectedAttributeValue{"id": {Exists: aws.Bool(false)}}})
	var ccf *types.ConditionalCheckFailedException
	if !asErr(err, &ccf) {
		t.Errorf("Expected Exists false on an existing item: %v", err)
	}
	u, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: item{"id": S("a"), "n": N("1")},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"count": {Action: types.AttributeActionAdd, Value: N("5")}},
		ReturnValues:     types.ReturnValueAllNew})
	if err != nil || u.Attributes["count"].(*types.AttributeValueMemberN).Value != "5" {
		t.Errorf("AttributeUpdates ADD: %+v %v", u, err)
	}
	g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: item{"id": S("a"), "n": N("1")}, AttributesToGet: []string{"count"}})
	if err != nil || len(g.Item) != 1 {
		t.Errorf("AttributesToGet: %+v %v", g, err)
	}
	s, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: tn, ScanFilter: map[string]types.Condition{"tag": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{S("x")}}}})
	if err != nil || s.Count != 2 {
		t.Errorf("ScanFilter: %+v %v", s, err)
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn,
		KeyConditions: map[string]types.Condition{
			"id": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{S("a")}},
			"n":  {ComparisonOperator: types.ComparisonOperatorGe, AttributeValueList: []types.AttributeValue{N("2")}}},
		QueryFilter: map[string]types.Condition{"tag": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{S("y")}}}})
	if err != nil || q.Count != 1 || q.ScannedCount != 2 {
		t.Errorf("KeyConditions with QueryFilter: %+v %v", q, err)
	}
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item{"id": S("b"), "n": N("1")}, ConditionExpression: aws.String("attribute_not_exists(id)"),
		Expected: map[string]types.ExpectedAttributeValue{"id": {Exists: aws.Bool(false)}}})
	wantErr(t, "Expected with ConditionExpression", err, "ValidationException",
		"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}")
}
