package dynamodb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestTransactUpdateValidationCancels: an Update whose result is invalid
// (a wrong operand type, an item grown past 400 KB) cancels the
// transaction with reason ValidationError, as TransactionCanceledException
// documents, and writes nothing.
func TestTransactUpdateValidationCancels(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	c := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	if _, err := c.CreateTable(ctx, keyTable("tvalid")); err != nil {
		t.Fatal(err)
	}
	a := map[string]types.AttributeValue{"pk": stS("a"), "sk": stN("1")}
	b := map[string]types.AttributeValue{"pk": stS("b"), "sk": stN("1")}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("tvalid"),
		Item: map[string]types.AttributeValue{"pk": stS("b"), "sk": stN("1"), "s": stS("text")}}); err != nil {
		t.Fatal(err)
	}
	for name, up := range map[string]*types.Update{
		"operand type": {TableName: aws.String("tvalid"), Key: b, UpdateExpression: aws.String("SET s = s + :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": stN("1")}},
		"item size": {TableName: aws.String("tvalid"), Key: b, UpdateExpression: aws.String("SET big = :v, more = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": stS(strings.Repeat("x", 250*1024))}},
	} {
		_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String("tvalid"), Item: a}}, {Update: up}}})
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) {
			t.Errorf("%s: %v, want TransactionCanceledException", name, err)
			continue
		}
		if len(tc.CancellationReasons) != 2 || aws.ToString(tc.CancellationReasons[0].Code) != "None" ||
			aws.ToString(tc.CancellationReasons[1].Code) != "ValidationError" || aws.ToString(tc.CancellationReasons[1].Message) == "" {
			t.Errorf("%s: reasons %+v", name, tc.CancellationReasons)
		}
		if !strings.Contains(aws.ToString(tc.Message), "[None, ValidationError]") {
			t.Errorf("%s: message %q", name, aws.ToString(tc.Message))
		}
	}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("tvalid"), Key: a})
	if err != nil || got.Item != nil {
		t.Errorf("the Put of a cancelled transaction was written: %v %v", got.Item, err)
	}
}
