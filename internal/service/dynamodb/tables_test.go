package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// keyTable is the input of a table with a string partition key pk and a
// number sort key sk, billed per request.
func keyTable(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	}
}

func TestTableLifecycle(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()

	in := keyTable("orders")
	in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}
	created, err := client.CreateTable(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	d := created.TableDescription
	if d.TableStatus != types.TableStatusCreating || aws.ToString(d.TableArn) != "arn:aws:dynamodb:us-east-1:123456789012:table/orders" ||
		aws.ToString(d.TableId) == "" || d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("CreateTable: %+v", d)
	}
	// What `aws dynamodb wait table-exists` does.
	if err := dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")}, 30*time.Second); err != nil {
		t.Fatalf("table-exists waiter: %v", err)
	}
	_, err = client.CreateTable(ctx, keyTable("orders"))
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), "Table already exists: orders") {
		t.Errorf("CreateTable twice: %v", err)
	}
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	if err != nil || desc.Table.TableStatus != types.TableStatusActive || aws.ToInt64(desc.Table.ItemCount) != 0 || len(desc.Table.KeySchema) != 2 {
		t.Fatalf("DescribeTable: %+v %v", desc, err)
	}
	tags, err := client.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: desc.Table.TableArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "blue" {
		t.Errorf("ListTagsOfResource: %+v %v", tags, err)
	}

	for i := range 3 {
		if _, err := client.CreateTable(ctx, keyTable(fmt.Sprintf("t%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := dynamodb.NewListTablesPaginator(client, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, page.TableNames...)
	}
	if strings.Join(names, ",") != "orders,t00,t01,t02" {
		t.Errorf("ListTables: %v", names)
	}

	deleted, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("orders")})
	if err != nil || deleted.TableDescription.TableStatus != types.TableStatusDeleting {
		t.Fatalf("DeleteTable: %+v %v", deleted, err)
	}
	if err := dynamodb.NewTableNotExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")}, 30*time.Second); err != nil {
		t.Fatalf("table-not-exists waiter: %v", err)
	}
	_, err = client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	var missing *types.ResourceNotFoundException
	if !errors.As(err, &missing) {
		t.Errorf("DescribeTable after delete: %v", err)
	}
}

// apiError returns err's code and message.
func apiError(err error) (code, message string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", fmt.Sprint(err)
}

func TestCreateTableValidation(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()

	s, n := types.ScalarAttributeTypeS, types.ScalarAttributeTypeN
	def := func(name string, typ types.ScalarAttributeType) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: typ}
	}
	key := func(name string, typ types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: typ}
	}
	tp := &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
	for _, tc := range []struct {
		name string
		in   dynamodb.CreateTableInput
		want string
	}{
		{"undefined key", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("y", s)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}, BillingMode: types.BillingModePayPerRequest},
			"One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [y]"},
		{"extra definition", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s), def("y", n)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}, BillingMode: types.BillingModePayPerRequest},
			"One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"},
		{"range first", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s), def("y", n)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeRange), key("y", types.KeyTypeHash)}, BillingMode: types.BillingModePayPerRequest},
			"Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
		{"provisioned without throughput", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}},
			"One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{"on demand with throughput", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}, BillingMode: types.BillingModePayPerRequest, ProvisionedThroughput: tp},
			"One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"lsi without range key", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s), def("y", s)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}, BillingMode: types.BillingModePayPerRequest,
			LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("lsi"), KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash), key("y", types.KeyTypeRange)},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}},
			"One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
	} {
		in := tc.in
		in.TableName = aws.String("bad")
		_, err := client.CreateTable(ctx, &in)
		if code, msg := apiError(err); code != "ValidationException" || msg != tc.want {
			t.Errorf("%s: %s %q, want ValidationException %q", tc.name, code, msg, tc.want)
		}
	}
	if out, err := client.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil || len(out.TableNames) != 0 {
		t.Errorf("refused tables were created: %v %v", out, err)
	}
}
