package dynamodb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestBatches(t *testing.T) {
	t.Parallel()
	srv, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "aaa", "id:S", "")
	table(t, c, "bbb", "id:N", "")
	var writes []types.WriteRequest
	for i := range 20 {
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: item{"id": S(fmt.Sprint(i)), "v": N(fmt.Sprint(i))}}})
	}
	out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"aaa": writes,
		"bbb": {{PutRequest: &types.PutRequest{Item: item{"id": N("1")}}}, {PutRequest: &types.PutRequest{Item: item{"id": N("2")}}}},
	}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || len(out.UnprocessedItems) != 0 || len(out.ConsumedCapacity) != 2 {
		t.Fatalf("BatchWriteItem: %+v %v", out, err)
	}
	// A delete and a put in one batch.
	if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"bbb": {{DeleteRequest: &types.DeleteRequest{Key: item{"id": N("1")}}}, {PutRequest: &types.PutRequest{Item: item{"id": N("3")}}}},
	}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"bbb": {{DeleteRequest: &types.DeleteRequest{Key: item{"id": N("1")}}}, {PutRequest: &types.PutRequest{Item: item{"id": N("1.0")}}}},
	}})
	wantErr(t, "duplicate write keys", err, "ValidationException", "Provided list of item keys contains duplicates")
	var many []types.WriteRequest
	for i := range 26 {
		many = append(many, types.WriteRequest{PutRequest: &types.PutRequest{Item: item{"id": S(fmt.Sprint(i))}}})
	}
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"aaa": many[:13], "ccc": many[13:]}})
	wantErr(t, "26 writes", err, "ValidationException", "")

	g, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"aaa": {Keys: []item{{"id": S("1")}, {"id": S("2")}, {"id": S("missing")}}, ProjectionExpression: aws.String("v")},
		"bbb": {Keys: []item{{"id": N("1")}, {"id": N("2")}, {"id": N("3")}}, ConsistentRead: aws.Bool(true)},
	}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Responses["aaa"]) != 2 || len(g.Responses["aaa"][0]) != 1 || len(g.Responses["bbb"]) != 2 || len(g.UnprocessedKeys) != 0 || len(g.ConsumedCapacity) != 2 {
		t.Errorf("BatchGetItem: %+v", g)
	}
	_, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"bbb": {Keys: []item{{"id": N("1")}, {"id": N("1")}}}}})
	wantErr(t, "duplicate get keys", err, "ValidationException", "Provided list of item keys contains duplicates")
	var keys []item
	for i := range 101 {
		keys = append(keys, item{"id": S(fmt.Sprint(i))})
	}
	_, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"aaa": {Keys: keys}}})
	wantErr(t, "101 keys", err, "ValidationException", "Too many items requested for the BatchGetItem call")

	// Every table of a batch is authorized.
	only, _ := user(t, srv, "only-a", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:BatchGetItem","dynamodb:BatchWriteItem"],"Resource":"arn:aws:dynamodb:*:*:table/aaa"}]}`)
	if _, err := only.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"aaa": {Keys: []item{{"id": S("1")}}}}}); err != nil {
		t.Errorf("batch get of an allowed table: %v", err)
	}
	_, err = only.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"aaa": {Keys: []item{{"id": S("1")}}}, "bbb": {Keys: []item{{"id": N("2")}}}}})
	wantErr(t, "batch get over a denied table", err, "AccessDeniedException", "")
	_, err = only.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"aaa": {{PutRequest: &types.PutRequest{Item: item{"id": S("z")}}}}, "bbb": {{PutRequest: &types.PutRequest{Item: item{"id": N("9")}}}}}})
	wantErr(t, "batch write over a denied table", err, "AccessDeniedException", "")
	if g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("aaa"), Key: item{"id": S("z")}}); err != nil || g.Item != nil {
		t.Errorf("a denied batch wrote: %+v %v", g, err)
	}
}

// TestBatchGetUnprocessed reads more than BatchGetItem's 16 MB: the keys
// past the limit come back as UnprocessedKeys, and reading them again
// gets the rest.
func TestBatchGetUnprocessed(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "large", "id:N", "")
	big := strings.Repeat("x", 399*1024)
	var keys []item
	for i := range 44 {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("large"), Item: item{"id": N(fmt.Sprint(i)), "b": S(big)}}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, item{"id": N(fmt.Sprint(i))})
	}
	g, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"large": {Keys: keys}}})
	if err != nil {
		t.Fatal(err)
	}
	got, rest := len(g.Responses["large"]), len(g.UnprocessedKeys["large"].Keys)
	if got != 41 || rest != 3 {
		t.Fatalf("16 MB: %d items, %d unprocessed", got, rest)
	}
	g, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: g.UnprocessedKeys})
	if err != nil || len(g.Responses["large"]) != 3 || len(g.UnprocessedKeys) != 0 {
		t.Errorf("the unprocessed keys: %d items, %v", len(g.Responses["large"]), err)
	}
}
