package dynamodb_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// itemsServer starts rolecall and returns it with a root DynamoDB client.
func itemsServer(t testing.TB) (*servertest.Server, *dynamodb.Client) {
	t.Helper()
	srv := servertest.Start(t)
	return srv, dynamodb.NewFromConfig(srv.RootConfig())
}

// table creates a table whose key is hash (and rng, when not "") with
// the attribute types given, "name:S".
func table(t testing.TB, c *dynamodb.Client, name, hash, rng string, more ...func(*dynamodb.CreateTableInput)) {
	t.Helper()
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	defs := map[string]bool{}
	addDef := func(spec string) string {
		n, typ := spec[:len(spec)-2], spec[len(spec)-1:]
		if !defs[n] {
			defs[n] = true
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeType(typ)})
		}
		return n
	}
	in.KeySchema = []types.KeySchemaElement{{AttributeName: aws.String(addDef(hash)), KeyType: types.KeyTypeHash}}
	if rng != "" {
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(addDef(rng)), KeyType: types.KeyTypeRange})
	}
	for _, f := range more {
		f(in)
	}
	if _, err := c.CreateTable(context.Background(), in); err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
}

// def adds an attribute definition ("name:S") for an index key.
func def(spec string) func(*dynamodb.CreateTableInput) {
	return func(in *dynamodb.CreateTableInput) {
		n, typ := spec[:len(spec)-2], spec[len(spec)-1:]
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeType(typ)})
	}
}

// gsi adds a global secondary index on hash (and rng) with projection p.
func gsi(name, hash, rng string, p types.ProjectionType, nonKey ...string) func(*dynamodb.CreateTableInput) {
	return func(in *dynamodb.CreateTableInput) {
		ix := types.GlobalSecondaryIndex{IndexName: aws.String(name), Projection: &types.Projection{ProjectionType: p},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}}}
		if rng != "" {
			ix.KeySchema = append(ix.KeySchema, types.KeySchemaElement{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange})
		}
		if len(nonKey) > 0 {
			ix.Projection.NonKeyAttributes = nonKey
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ix)
	}
}

// lsi adds a local secondary index on the table's hash key and rng.
func lsi(name, rng string, p types.ProjectionType) func(*dynamodb.CreateTableInput) {
	return func(in *dynamodb.CreateTableInput) {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{IndexName: aws.String(name),
			Projection: &types.Projection{ProjectionType: p},
			KeySchema: []types.KeySchemaElement{{AttributeName: in.KeySchema[0].AttributeName, KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange}}})
	}
}

// wantErr checks that err is the AWS error code with message msg ("" for
// any message).
func wantErr(t testing.TB, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Errorf("%s: got %v, want %s %q", what, err, code, msg)
	}
}

// S and N build attribute values.
func S(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func N(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

// user creates an IAM user with an inline policy and returns a DynamoDB
// client signed with its key, and the user's unique ID (aws:userid).
func user(t testing.TB, srv *servertest.Server, name, policy string) (*dynamodb.Client, string) {
	t.Helper()
	ctx := context.Background()
	iam := awsiam.NewFromConfig(srv.RootConfig())
	u, err := iam.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iam.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("ddb"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	key, err := iam.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	return dynamodb.NewFromConfig(cfg), aws.ToString(u.User.UserId)
}

// order is an item as the document client writes it.
type order struct {
	Customer string            `dynamodbav:"customer"`
	ID       int               `dynamodbav:"id"`
	Total    float64           `dynamodbav:"total"`
	Status   string            `dynamodbav:"status"`
	Lines    []string          `dynamodbav:"lines"`
	Tags     map[string]string `dynamodbav:"tags,omitempty"`
}

// TestDocumentClient is the document-client way: MarshalMap a struct,
// build expressions with the expression builder, page through a Query.
func TestDocumentClient(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "orders", "customer:S", "id:N")

	for i := 1; i <= 25; i++ {
		item, err := attributevalue.MarshalMap(order{Customer: "ann", ID: i, Total: float64(i) * 1.5, Status: "new", Lines: []string{"a", "b"}})
		if err != nil {
			t.Fatal(err)
		}
		// Put only if absent.
		cond := expression.AttributeNotExists(expression.Name("id"))
		ex, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item,
			ConditionExpression: ex.Condition(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()}); err != nil {
			t.Fatalf("PutItem %d: %v", i, err)
		}
	}
	// Putting one again under the same condition fails.
	item, _ := attributevalue.MarshalMap(order{Customer: "ann", ID: 3})
	ex, _ := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("id"))).Build()
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item,
		ConditionExpression: ex.Condition(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || ccf.ErrorMessage() != "The conditional request failed" {
		t.Errorf("conditional put: %v", err)
	}

	// An update built with the builder: SET with arithmetic, list_append, REMOVE.
	upd := expression.Set(expression.Name("total"), expression.Name("total").Plus(expression.Value(10))).
		Set(expression.Name("lines"), expression.ListAppend(expression.Name("lines"), expression.Value([]string{"c"}))).
		Set(expression.Name("status"), expression.Value("paid")).
		Remove(expression.Name("tags"))
	uex, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.Name("status").Equal(expression.Value("new"))).Build()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("orders"),
		Key:              map[string]types.AttributeValue{"customer": S("ann"), "id": N("2")},
		UpdateExpression: uex.Update(), ConditionExpression: uex.Condition(),
		ExpressionAttributeNames: uex.Names(), ExpressionAttributeValues: uex.Values(), ReturnValues: types.ReturnValueAllNew})
	if err != nil {
		t.Fatal(err)
	}
	var got order
	if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
		t.Fatal(err)
	}
	if got.Total != 13 || len(got.Lines) != 3 || got.Lines[2] != "c" || got.Status != "paid" {
		t.Errorf("updated %+v", got)
	}

	// A projection built with the builder.
	pex, err := expression.NewBuilder().WithProjection(expression.NamesList(expression.Name("id"), expression.Name("status"))).Build()
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: map[string]types.AttributeValue{"customer": S("ann"), "id": N("2")},
		ProjectionExpression: pex.Projection(), ExpressionAttributeNames: pex.Names()})
	if err != nil || len(g.Item) != 2 {
		t.Errorf("GetItem projected: %+v %v", g, err)
	}

	// A paginator over a Query with a key condition and a filter.
	kc := expression.Key("customer").Equal(expression.Value("ann")).And(expression.Key("id").Between(expression.Value(5), expression.Value(20)))
	qex, err := expression.NewBuilder().WithKeyCondition(kc).WithFilter(expression.Name("total").GreaterThan(expression.Value(12))).Build()
	if err != nil {
		t.Fatal(err)
	}
	p := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: aws.String("orders"), KeyConditionExpression: qex.KeyCondition(),
		FilterExpression: qex.Filter(), ExpressionAttributeNames: qex.Names(), ExpressionAttributeValues: qex.Values(), Limit: aws.Int32(4)})
	var ids []int
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		var os []order
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &os); err != nil {
			t.Fatal(err)
		}
		for _, o := range os {
			ids = append(ids, o.ID)
		}
	}
	// ids 5..20 with total 1.5*id > 12: 9..20.
	if len(ids) != 12 || ids[0] != 9 || ids[11] != 20 || pages < 4 {
		t.Errorf("paged query: %v in %d pages", ids, pages)
	}
}

// TestFineGrainedAccess is the developer guide's fine-grained access
// control: a user confined to the items whose partition key is their own
// ID (dynamodb:LeadingKeys with ${aws:userid}), and to some attributes
// (dynamodb:Attributes with ForAllValues:StringEquals, and
// dynamodb:Select SPECIFIC_ATTRIBUTES).
func TestFineGrainedAccess(t *testing.T) {
	t.Parallel()
	srv, root := itemsServer(t)
	ctx := context.Background()
	table(t, root, "GameScores", "UserId:S", "GameTitle:S")
	leading := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:UpdateItem","dynamodb:DeleteItem","dynamodb:Query","dynamodb:BatchGetItem","dynamodb:BatchWriteItem"],
		"Resource":"arn:aws:dynamodb:*:*:table/GameScores",
		"Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:userid}"]}}}]}`
	alice, aliceID := user(t, srv, "alice", leading)
	mine := map[string]types.AttributeValue{"UserId": S(aliceID), "GameTitle": S("Meteor Blasters"), "TopScore": N("5842")}
	if _, err := alice.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("GameScores"), Item: mine}); err != nil {
		t.Fatalf("own item: %v", err)
	}
	theirs := map[string]types.AttributeValue{"UserId": S("someone-else"), "GameTitle": S("Meteor Blasters")}
	_, err := alice.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("GameScores"), Item: theirs})
	wantErr(t, "another user's item", err, "AccessDeniedException", "")
	var ae smithy.APIError
	if errors.As(err, &ae) {
		want := "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/GameScores because no identity-based policy allows the dynamodb:PutItem action"
		if ae.ErrorMessage() != want {
			t.Errorf("denial message %q", ae.ErrorMessage())
		}
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 400 {
		t.Errorf("AccessDeniedException status: %v", err)
	}
	q, err := alice.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("GameScores"), KeyConditionExpression: aws.String("UserId = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": S(aliceID)}})
	if err != nil || q.Count != 1 {
		t.Errorf("query own partition: %+v %v", q, err)
	}
	_, err = alice.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("GameScores"), KeyConditionExpression: aws.String("UserId = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": S("someone-else")}})
	wantErr(t, "query another partition", err, "AccessDeniedException", "")
	_, err = alice.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"GameScores": {Keys: []map[string]types.AttributeValue{
		{"UserId": S(aliceID), "GameTitle": S("Meteor Blasters")}, {"UserId": S("someone-else"), "GameTitle": S("Meteor Blasters")}}}}})
	wantErr(t, "batch get with another's key", err, "AccessDeniedException", "")

	attrs := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],
		"Resource":"arn:aws:dynamodb:*:*:table/GameScores",
		"Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["UserId","GameTitle","TopScore"]},
			"StringEqualsIfExists":{"dynamodb:Select":"SPECIFIC_ATTRIBUTES"}}}]}`
	bob, _ := user(t, srv, "bob", attrs)
	key := map[string]types.AttributeValue{"UserId": S(aliceID), "GameTitle": S("Meteor Blasters")}
	g, err := bob.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("GameScores"), Key: key, ProjectionExpression: aws.String("TopScore")})
	if err != nil || len(g.Item) != 1 {
		t.Errorf("projected read: %+v %v", g, err)
	}
	_, err = bob.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("GameScores"), Key: key})
	wantErr(t, "read of every attribute", err, "AccessDeniedException", "")
	_, err = bob.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("GameScores"), Key: key, ProjectionExpression: aws.String("TopScore, Secret")})
	wantErr(t, "read of an attribute not listed", err, "AccessDeniedException", "")
	_, err = bob.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("GameScores"), KeyConditionExpression: aws.String("UserId = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": S(aliceID)}, Select: types.SelectAllAttributes})
	wantErr(t, "query of every attribute", err, "AccessDeniedException", "")
	q, err = bob.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("GameScores"), KeyConditionExpression: aws.String("UserId = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": S(aliceID)}, ProjectionExpression: aws.String("GameTitle, TopScore")})
	if err != nil || q.Count != 1 {
		t.Errorf("projected query: %+v %v", q, err)
	}

	// dynamodb:ReturnValues: a user who may write but not read back old items.
	rv := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"*",
		"Condition":{"StringEquals":{"dynamodb:ReturnValues":["NONE"]}}}]}`
	carol, _ := user(t, srv, "carol", rv)
	if _, err := carol.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("GameScores"), Item: theirs}); err != nil {
		t.Errorf("put with NONE: %v", err)
	}
	_, err = carol.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("GameScores"), Item: theirs, ReturnValues: types.ReturnValueAllOld})
	wantErr(t, "put with ALL_OLD", err, "AccessDeniedException", "")
}

// TestConcurrentConditionalWrites races N conditional puts of one new
// item: exactly one succeeds.
func TestConcurrentConditionalWrites(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "locks", "id:S", "")
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("locks"),
				Item:                map[string]types.AttributeValue{"id": S("lock"), "owner": S(strconv.Itoa(i))},
				ConditionExpression: aws.String("attribute_not_exists(id)")})
			errs <- err
		}()
	}
	won := 0
	for range n {
		err := <-errs
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			won++
		case !errors.As(err, &ccf):
			t.Errorf("unexpected: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d conditional puts succeeded", won, n)
	}
	// Counters: N concurrent ADDs all land.
	for range n {
		go func() {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("locks"), Key: map[string]types.AttributeValue{"id": S("counter")},
				UpdateExpression: aws.String("ADD hits :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": N("1")}})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("locks"), Key: map[string]types.AttributeValue{"id": S("counter")}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := g.Item["hits"].(*types.AttributeValueMemberN); !ok || v.Value != strconv.Itoa(n) {
		t.Errorf("counter %+v", g.Item)
	}
}

// asErr is errors.As.
func asErr(err error, target any) bool { return errors.As(err, target) }

// TestConditionalWritesAcrossNodes races conditional puts of one new item
// on two servers sharing a PostgreSQL database: exactly one wins, and a
// counter incremented on both nodes counts every increment.
func TestConditionalWritesAcrossNodes(t *testing.T) {
	t.Parallel()
	nodes := servertest.Nodes(t, 2)
	ctx := context.Background()
	clients := []*dynamodb.Client{dynamodb.NewFromConfig(nodes[0].RootConfig()), dynamodb.NewFromConfig(nodes[1].RootConfig())}
	table(t, clients[0], "shared-locks", "id:S", "")
	const n = 12
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := clients[i%2].PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shared-locks"),
				Item:                map[string]types.AttributeValue{"id": S("lock"), "owner": S(strconv.Itoa(i))},
				ConditionExpression: aws.String("attribute_not_exists(id)")})
			errs <- err
		}()
	}
	won := 0
	for range n {
		err := <-errs
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			won++
		case !errors.As(err, &ccf):
			t.Errorf("unexpected: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d conditional puts succeeded across two nodes", won, n)
	}
	for i := range n {
		go func() {
			_, err := clients[i%2].UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("shared-locks"), Key: map[string]types.AttributeValue{"id": S("counter")},
				UpdateExpression: aws.String("ADD hits :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": N("1")}})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	g, err := clients[1].GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("shared-locks"), Key: map[string]types.AttributeValue{"id": S("counter")}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := g.Item["hits"].(*types.AttributeValueMemberN); !ok || v.Value != strconv.Itoa(n) {
		t.Errorf("counter %+v", g.Item)
	}
}
