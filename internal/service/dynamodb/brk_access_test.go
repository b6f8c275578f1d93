package dynamodb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// attributesPolicy allows item writes on every table touching only the
// attributes pk, sk and public.
const attributesPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	"Action":["dynamodb:UpdateItem","dynamodb:PutItem","dynamodb:DeleteItem","dynamodb:ConditionCheckItem","dynamodb:GetItem"],"Resource":"*",
	"Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","public"]}}}]}`

// TestTransactWriteAttributesAuthorized: a transaction's Update and
// ConditionCheck are authorized on the attributes their expressions
// write and read, as UpdateItem is; otherwise a role limited by
// dynamodb:Attributes writes or probes any attribute through
// TransactWriteItems.
func TestTransactWriteAttributesAuthorized(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	root := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	if _, err := root.CreateTable(ctx, keyTable("fgac")); err != nil {
		t.Fatal(err)
	}
	key := map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1")}
	if _, err := root.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("fgac"),
		Item: map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1"), "secret": stS("s3cr3t")}}); err != nil {
		t.Fatal(err)
	}
	role := dynamodb.NewFromConfig(roleSession(t, srv, "limited", attributesPolicy))

	// The single-item operation is denied, as the control.
	_, err := role.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("fgac"), Key: key,
		UpdateExpression: aws.String("SET secret = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": stS("x")}})
	if code, _ := apiError(err); code != "AccessDeniedException" {
		t.Fatalf("UpdateItem of a forbidden attribute: %v", err)
	}
	cases := map[string]types.TransactWriteItem{
		"update": {Update: &types.Update{TableName: aws.String("fgac"), Key: key,
			UpdateExpression: aws.String("SET secret = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": stS("x")}}},
		"update condition": {Update: &types.Update{TableName: aws.String("fgac"), Key: key,
			UpdateExpression: aws.String("SET #p = :v"), ConditionExpression: aws.String("begins_with(secret, :s)"),
			ExpressionAttributeNames:  map[string]string{"#p": "public"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": stS("x"), ":s": stS("s3")}}},
		"condition check": {ConditionCheck: &types.ConditionCheck{TableName: aws.String("fgac"), Key: key,
			ConditionExpression: aws.String("begins_with(secret.deep, :s)"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": stS("s3")}}},
		"delete condition": {Delete: &types.Delete{TableName: aws.String("fgac"), Key: key,
			ConditionExpression: aws.String("attribute_exists(secret)")}},
		"put condition": {Put: &types.Put{TableName: aws.String("fgac"), Item: map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1"), "public": stS("p")},
			ConditionExpression: aws.String("attribute_not_exists(secret)")}},
	}
	for name, item := range cases {
		_, err := role.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{item}})
		if code, _ := apiError(err); code != "AccessDeniedException" {
			t.Errorf("%s naming a forbidden attribute: %v", name, err)
		}
	}
	got, err := root.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("fgac"), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Item["secret"].(*types.AttributeValueMemberS); v == nil || v.Value != "s3cr3t" || got.Item["public"] != nil {
		t.Errorf("item after denied transactions: %v", got.Item)
	}
	// Allowed attributes still go through.
	if _, err := role.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String("fgac"), Key: key,
			UpdateExpression: aws.String("SET #p = :v"), ExpressionAttributeNames: map[string]string{"#p": "public"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": stS("x")}}}}}); err != nil {
		t.Errorf("transaction on allowed attributes: %v", err)
	}
}

// TestQueryIndexLeadingKeys: a Query of a global secondary index whose
// partition key is not the table's is still tested against
// dynamodb:LeadingKeys (with the index's partition key value): a
// ForAllValues policy on the leading keys does not let a principal read
// every partition of the index.
func TestQueryIndexLeadingKeys(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	root := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	in := keyTable("tenants")
	in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("owner"), AttributeType: types.ScalarAttributeTypeS})
	in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{IndexName: aws.String("by-owner"),
		KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("owner"), KeyType: types.KeyTypeHash}},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
	if _, err := root.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, it := range []map[string]types.AttributeValue{
		{"pk": stS("alice"), "sk": stN("1"), "owner": stS("alice")},
		{"pk": stS("bob"), "sk": stN("1"), "owner": stS("bob")},
	} {
		if _, err := root.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("tenants"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:Query",
		"Resource":["arn:aws:dynamodb:us-east-1:123456789012:table/tenants","arn:aws:dynamodb:us-east-1:123456789012:table/tenants/index/*"],
		"Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["alice"]}}}]}`
	role := dynamodb.NewFromConfig(roleSession(t, srv, "alice", policy))
	query := func(index, owner string) error {
		q := &dynamodb.QueryInput{TableName: aws.String("tenants"), KeyConditionExpression: aws.String("pk = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": stS(owner)}}
		if index != "" {
			q.IndexName, q.KeyConditionExpression = aws.String(index), aws.String("#o = :v")
			q.ExpressionAttributeNames = map[string]string{"#o": "owner"}
		}
		_, err := role.Query(ctx, q)
		return err
	}
	if err := query("", "alice"); err != nil {
		t.Errorf("Query of the table, own partition: %v", err)
	}
	if code, _ := apiError(query("", "bob")); code != "AccessDeniedException" {
		t.Errorf("Query of the table, another partition: %v", query("", "bob"))
	}
	if err := query("by-owner", "alice"); err != nil {
		t.Errorf("Query of the index, own partition: %v", err)
	}
	if err := query("by-owner", "bob"); err == nil {
		t.Errorf("Query of the index, another partition: allowed")
	} else if code, _ := apiError(err); code != "AccessDeniedException" {
		t.Errorf("Query of the index, another partition: %v", err)
	}
}

// TestStreamPolicyStaysWithItsStream: a stream's resource-based policy
// belongs to that stream; disabling and enabling the table's stream makes
// a new stream without a policy, which the old grant (even one naming
// table/T/stream/*) does not open.
func TestStreamPolicyStaysWithItsStream(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	root := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	first := streamTable(t, root, "flipper", types.StreamViewTypeKeysOnly)
	grant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/follower"},
		"Action":["dynamodb:DescribeStream","dynamodb:GetShardIterator","dynamodb:GetRecords"],"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/flipper/stream/*"}]}`
	if _, err := root.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(first), Policy: aws.String(grant)}); err != nil {
		t.Fatal(err)
	}
	follower := dynamodbstreams.NewFromConfig(roleSession(t, srv, "follower", ""))
	if _, err := follower.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(first)}); err != nil {
		t.Fatalf("DescribeStream the stream's policy grants: %v", err)
	}
	for _, on := range []bool{false, true} {
		spec := &types.StreamSpecification{StreamEnabled: aws.Bool(on)}
		if on {
			spec.StreamViewType = types.StreamViewTypeNewAndOldImages
		}
		if _, err := root.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("flipper"), StreamSpecification: spec}); err != nil {
			t.Fatal(err)
		}
	}
	td, err := root.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("flipper")})
	if err != nil {
		t.Fatal(err)
	}
	second := aws.ToString(td.Table.LatestStreamArn)
	if second == first {
		t.Fatalf("no new stream: %s", second)
	}
	_, err = follower.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(second)})
	if code, _ := apiError(err); code != "AccessDeniedException" {
		t.Errorf("DescribeStream of the new stream under the old stream's policy: %v", err)
	}
	_, err = root.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(second)})
	if code, _ := apiError(err); code != "PolicyNotFoundException" {
		t.Errorf("GetResourcePolicy of the new stream: %v", err)
	}
}

// TestUpdateOperandsAuthorized: the attributes an UpdateExpression reads
// (SET public = secret, if_not_exists, list_append, arithmetic) count in
// dynamodb:Attributes as its targets do; otherwise a role limited to
// "public" copies "secret" into it and reads it back.
func TestUpdateOperandsAuthorized(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	root := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	if _, err := root.CreateTable(ctx, keyTable("copier")); err != nil {
		t.Fatal(err)
	}
	key := map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1")}
	if _, err := root.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("copier"),
		Item: map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1"), "secret": stS("s3cr3t"), "n": stN("5")}}); err != nil {
		t.Fatal(err)
	}
	role := dynamodb.NewFromConfig(roleSession(t, srv, "copier", attributesPolicy))
	vals := map[string]types.AttributeValue{":x": stS("x")}
	for _, update := range []string{"SET #p = secret", "SET #p = if_not_exists(secret, :x)", "SET #p = #p + n"} {
		in := &dynamodb.UpdateItemInput{TableName: aws.String("copier"), Key: key, UpdateExpression: aws.String(update),
			ExpressionAttributeNames: map[string]string{"#p": "public"}, ReturnValues: types.ReturnValueUpdatedNew}
		if strings.Contains(update, ":x") {
			in.ExpressionAttributeValues = vals
		}
		out, err := role.UpdateItem(ctx, in)
		if code, _ := apiError(err); code != "AccessDeniedException" {
			t.Errorf("UpdateItem %q reading a forbidden attribute: %v %v", update, out, err)
		}
		_, err = role.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Update: &types.Update{
			TableName: aws.String("copier"), Key: key, UpdateExpression: aws.String(update),
			ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues}}}})
		if code, _ := apiError(err); code != "AccessDeniedException" {
			t.Errorf("transaction %q reading a forbidden attribute: %v", update, err)
		}
	}
	got, err := root.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("copier"), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if got.Item["public"] != nil {
		t.Errorf("item after denied updates: %v", got.Item)
	}
	if _, err := role.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("copier"), Key: key,
		UpdateExpression: aws.String("SET #p = :x"), ExpressionAttributeNames: map[string]string{"#p": "public"}, ExpressionAttributeValues: vals}); err != nil {
		t.Errorf("UpdateItem of the allowed attribute: %v", err)
	}
}

// TestMultiTableDeniedBeforeLookup: a batch or transaction naming a table
// the caller may not use is AccessDeniedException whether that table
// exists or not (as a single-item operation is), so that the answer does
// not tell which tables exist.
func TestMultiTableDeniedBeforeLookup(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	root := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	for _, name := range []string{"aaa-mine", "zzz-theirs"} {
		if _, err := root.CreateTable(ctx, keyTable(name)); err != nil {
			t.Fatal(err)
		}
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/aaa-mine"}]}`
	role := dynamodb.NewFromConfig(roleSession(t, srv, "prober", policy))
	key := map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1")}
	for _, other := range []string{"zzz-theirs", "zzz-missing"} {
		_, err := role.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"aaa-mine": {Keys: []map[string]types.AttributeValue{key}}, other: {Keys: []map[string]types.AttributeValue{key}}}})
		if code, _ := apiError(err); code != "AccessDeniedException" {
			t.Errorf("BatchGetItem with %s: %v", other, err)
		}
		_, err = role.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
			"aaa-mine": {{PutRequest: &types.PutRequest{Item: key}}}, other: {{PutRequest: &types.PutRequest{Item: key}}}}})
		if code, _ := apiError(err); code != "AccessDeniedException" {
			t.Errorf("BatchWriteItem with %s: %v", other, err)
		}
		_, err = role.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String(other), Key: key}}, {Get: &types.Get{TableName: aws.String("aaa-mine"), Key: key}}}})
		if code, _ := apiError(err); code != "AccessDeniedException" {
			t.Errorf("TransactGetItems with %s: %v", other, err)
		}
		_, err = role.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String("aaa-mine"), Item: key}}, {Put: &types.Put{TableName: aws.String(other), Item: key}}}})
		if code, _ := apiError(err); code != "AccessDeniedException" {
			t.Errorf("TransactWriteItems with %s: %v", other, err)
		}
	}
	out, err := root.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("aaa-mine")})
	if err != nil || out.Count != 0 {
		t.Errorf("aaa-mine after denied writes: %v %v", out, err)
	}
}
