package dynamodb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestTransactions(t *testing.T) {
	t.Parallel()
	srv, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "accounts", "id:S", "")
	table(t, c, "ledger", "tx:S", "")
	acct := aws.String("accounts")
	for _, id := range []string{"alice", "bob"} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: acct, Item: item{"id": S(id), "balance": N("100")}}); err != nil {
			t.Fatal(err)
		}
	}
	transfer := func(amount, token string) error {
		_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token), TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: acct, Key: item{"id": S("alice")}, UpdateExpression: aws.String("SET balance = balance - :a"),
				ConditionExpression: aws.String("balance >= :a"), ExpressionAttributeValues: item{":a": N(amount)},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Update: &types.Update{TableName: acct, Key: item{"id": S("bob")}, UpdateExpression: aws.String("SET balance = balance + :a"),
				ExpressionAttributeValues: item{":a": N(amount)}}},
			{Put: &types.Put{TableName: aws.String("ledger"), Item: item{"tx": S(token), "amount": N(amount)}, ConditionExpression: aws.String("attribute_not_exists(tx)")}},
		}})
		return err
	}
	balance := func(id string) string {
		g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: acct, Key: item{"id": S(id)}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return g.Item["balance"].(*types.AttributeValueMemberN).Value
	}
	if err := transfer("30", "t1"); err != nil {
		t.Fatal(err)
	}
	// The same token and request within 10 minutes: applied once.
	if err := transfer("30", "t1"); err != nil {
		t.Fatalf("idempotent retry: %v", err)
	}
	if balance("alice") != "70" || balance("bob") != "130" {
		t.Errorf("after transfer: %s %s", balance("alice"), balance("bob"))
	}
	err := transfer("31", "t1")
	wantErr(t, "token reused with other parameters", err, "IdempotentParameterMismatchException", "")

	err = transfer("500", "t2")
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("overdraft: %v", err)
	}
	if tce.ErrorMessage() != "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]" ||
		len(tce.CancellationReasons) != 3 || aws.ToString(tce.CancellationReasons[0].Code) != "ConditionalCheckFailed" ||
		tce.CancellationReasons[0].Item["balance"] == nil || aws.ToString(tce.CancellationReasons[1].Code) != "None" {
		t.Errorf("cancellation: %q %+v", tce.ErrorMessage(), tce.CancellationReasons)
	}
	if balance("alice") != "70" || balance("bob") != "130" {
		t.Errorf("a cancelled transaction wrote: %s %s", balance("alice"), balance("bob"))
	}
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: acct, Key: item{"id": S("bob")}, ConditionExpression: aws.String("attribute_exists(id)")}},
		{Delete: &types.Delete{TableName: acct, Key: item{"id": S("bob")}}},
	}})
	wantErr(t, "two actions on one item", err, "ValidationException", "Transaction request cannot include multiple operations on one item")

	g, err := c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: acct, Key: item{"id": S("alice")}}},
		{Get: &types.Get{TableName: acct, Key: item{"id": S("nobody")}}},
		{Get: &types.Get{TableName: aws.String("ledger"), Key: item{"tx": S("t1")}, ProjectionExpression: aws.String("amount")}},
	}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || len(g.Responses) != 3 || g.Responses[0].Item["balance"] == nil || g.Responses[1].Item != nil || len(g.Responses[2].Item) != 1 {
		t.Errorf("TransactGetItems: %+v %v", g, err)
	}

	// Each action is authorized as its own DynamoDB action.
	writer, _ := user(t, srv, "writer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:UpdateItem"],"Resource":"*"}]}`)
	_, err = writer.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: acct, Key: item{"id": S("alice")}, UpdateExpression: aws.String("SET x = :x"), ExpressionAttributeValues: item{":x": N("1")}}},
		{Put: &types.Put{TableName: aws.String("ledger"), Item: item{"tx": S("t9")}}},
	}})
	wantErr(t, "a transaction with a denied put", err, "AccessDeniedException", "")
	if _, err := writer.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: acct, Key: item{"id": S("alice")}, UpdateExpression: aws.String("SET x = :x"), ExpressionAttributeValues: item{":x": N("1")}}},
	}}); err != nil {
		t.Errorf("an allowed transaction: %v", err)
	}
}
