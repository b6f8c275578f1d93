package dynamodb_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
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
		{"duplicate definition", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s), def("x", n)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}, BillingMode: types.BillingModePayPerRequest},
			"One or more parameter values were invalid: Attribute Name is duplicated: x"},
		{"unused definition with an index", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s), def("y", s), def("z", s)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}, BillingMode: types.BillingModePayPerRequest,
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("gsi"), KeySchema: []types.KeySchemaElement{key("y", types.KeyTypeHash)},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude}}}},
			"One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [x, y, z], keys used: [x, y]"},
		{"include without attributes", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s), def("y", s)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}, BillingMode: types.BillingModePayPerRequest,
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("gsi"), KeySchema: []types.KeySchemaElement{key("y", types.KeyTypeHash)},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude}}}},
			"One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified"},
		{"provisioned index without throughput", dynamodb.CreateTableInput{AttributeDefinitions: []types.AttributeDefinition{def("x", s), def("y", s)},
			KeySchema: []types.KeySchemaElement{key("x", types.KeyTypeHash)}, ProvisionedThroughput: tp,
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("gsi"), KeySchema: []types.KeySchemaElement{key("y", types.KeyTypeHash)},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}},
			"One or more parameter values were invalid: ProvisionedThroughput is not specified for index: gsi"},
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

// TestGlobalIndexBackfill: an index created on a table with items holds
// them once ACTIVE, and writes made meanwhile are in it too.
func TestGlobalIndexBackfill(t *testing.T) {
	t.Parallel()
	srv := servertest.StartWith(t, servertest.Options{SweepInterval: 50 * time.Millisecond})
	client := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	if _, err := client.CreateTable(ctx, keyTable("people")); err != nil {
		t.Fatal(err)
	}
	put := func(pk, city string) {
		it := map[string]types.AttributeValue{"pk": stS(pk), "sk": stN("0")}
		if city != "" {
			it["city"] = stS(city)
		}
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("people"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 450 { // more than one backfill batch
		put(fmt.Sprintf("p%03d", i), []string{"Oslo", "Lima", ""}[i%3])
	}
	up, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("people"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("city"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String("by-city"), KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("city"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if g := up.TableDescription.GlobalSecondaryIndexes; len(g) != 1 || g[0].IndexStatus != types.IndexStatusCreating || !aws.ToBool(g[0].Backfilling) {
		t.Errorf("UpdateTable: %+v", g)
	}
	put("late", "Oslo")
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("people")})
		if err != nil {
			t.Fatal(err)
		}
		g := d.Table.GlobalSecondaryIndexes[0]
		if g.IndexStatus == types.IndexStatusActive {
			if aws.ToInt64(g.ItemCount) != 301 || len(d.Table.AttributeDefinitions) != 3 {
				t.Errorf("active index: %+v, definitions %+v", g, d.Table.AttributeDefinitions)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("index still %s", g.IndexStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
	q, err := client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("people"), IndexName: aws.String("by-city"),
		KeyConditionExpression: aws.String("city = :c"), ExpressionAttributeValues: map[string]types.AttributeValue{":c": stS("Oslo")}, Select: types.SelectCount})
	if err != nil || q.Count != 151 {
		t.Errorf("Query by-city: %+v %v", q, err)
	}

	_, err = client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("people"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
			{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("by-city")}},
			{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: aws.String("other"),
				KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("city"), KeyType: types.KeyTypeHash}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}}})
	if code, msg := apiError(err); code != "LimitExceededException" || msg != "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table" {
		t.Errorf("two index changes at once: %s %s", code, msg)
	}
	if _, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("people"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("by-city")}}}}); err != nil {
		t.Fatal(err)
	}
	d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("people")})
	if err != nil || len(d.Table.GlobalSecondaryIndexes) != 0 || len(d.Table.AttributeDefinitions) != 2 {
		t.Errorf("after deleting the index: %+v %v", d.Table, err)
	}
}

// TestTimeToLive: the sweeper deletes expired items only, and their
// stream records name the service.
func TestTimeToLive(t *testing.T) {
	t.Parallel()
	srv := servertest.StartWith(t, servertest.Options{SweepInterval: 50 * time.Millisecond})
	client := dynamodb.NewFromConfig(srv.RootConfig())
	streams := dynamodbstreams.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	arn := streamTable(t, client, "sessions", types.StreamViewTypeOldImage)
	now := time.Now().Unix()
	for _, it := range []struct {
		pk  string
		exp string
	}{
		{"past", fmt.Sprint(now - 60)},
		{"future", fmt.Sprint(now + 3600)},
		{"ancient", fmt.Sprint(now - 6*365*24*3600)}, // more than five years back: kept
		{"text", ""},
	} {
		item := map[string]types.AttributeValue{"pk": stS(it.pk), "sk": stN("0")}
		if it.exp != "" {
			item["expires"] = stN(it.exp)
		} else {
			item["expires"] = stS("tomorrow")
		}
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	spec := &types.TimeToLiveSpecification{AttributeName: aws.String("expires"), Enabled: aws.Bool(true)}
	if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("sessions"), TimeToLiveSpecification: spec}); err != nil {
		t.Fatal(err)
	}
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("sessions"), TimeToLiveSpecification: spec})
	if code, msg := apiError(err); code != "ValidationException" || msg != "TimeToLive is already enabled" {
		t.Errorf("enable twice: %s %s", code, msg)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("sessions"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("other"), Enabled: aws.Bool(true)}})
	if code, msg := apiError(err); code != "ValidationException" || msg != "TimeToLive is active on a different AttributeName: current AttributeName is expires" {
		t.Errorf("enable on another attribute: %s %s", code, msg)
	}
	desc, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("sessions")})
	if err != nil || desc.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(desc.TimeToLiveDescription.AttributeName) != "expires" {
		t.Errorf("DescribeTimeToLive: %+v %v", desc, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: map[string]types.AttributeValue{"pk": stS("past"), "sk": stN("0")}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Item == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired item was not deleted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	scan, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("sessions"), Select: types.SelectCount})
	if err != nil || scan.Count != 3 {
		t.Errorf("items left: %+v %v", scan, err)
	}
	recs, _ := readShard(t, streams, arn)
	last := recs[len(recs)-1]
	if last.EventName != "REMOVE" || last.UserIdentity == nil || aws.ToString(last.UserIdentity.Type) != "Service" ||
		aws.ToString(last.UserIdentity.PrincipalId) != "dynamodb.amazonaws.com" || last.Dynamodb.OldImage == nil {
		t.Errorf("TTL record: %+v", last)
	}
}

// TestDeleteTableDeletesItems: a table made again under a deleted one's
// name starts empty, its index too.
func TestDeleteTableDeletesItems(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	create := func() {
		in := keyTable("again")
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{IndexName: aws.String("by-g"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
		if _, err := client.CreateTable(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	create()
	for i := range 3 {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("again"),
			Item: map[string]types.AttributeValue{"pk": stS("a"), "sk": stN(fmt.Sprint(i)), "g": stS("x")}}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("again")})
	if err != nil || aws.ToInt64(d.Table.ItemCount) != 3 || aws.ToInt64(d.Table.GlobalSecondaryIndexes[0].ItemCount) != 3 || aws.ToInt64(d.Table.TableSizeBytes) == 0 {
		t.Fatalf("DescribeTable: %+v %v", d, err)
	}
	if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("again")}); err != nil {
		t.Fatal(err)
	}
	create()
	d, err = client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("again")})
	if err != nil || aws.ToInt64(d.Table.ItemCount) != 0 || aws.ToInt64(d.Table.GlobalSecondaryIndexes[0].ItemCount) != 0 {
		t.Errorf("the new table: %+v %v", d, err)
	}
}

func TestTableSettingsValidation(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	client := dynamodb.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	in := keyTable("settings")
	in.DeletionProtectionEnabled = aws.Bool(true)
	if _, err := client.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
	arn := aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/settings")
	for _, tc := range []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"protected", func() error {
			_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("settings")})
			return err
		}, "ValidationException", "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."},
		{"nothing to update", func() error {
			_, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("settings")})
			return err
		}, "ValidationException", "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"},
		{"disable TTL never enabled", func() error {
			_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("settings"),
				TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(false)}})
			return err
		}, "ValidationException", "TimeToLive is already disabled"},
		{"reserved tag key", func() error {
			_, err := client.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Tag keys starting with 'aws:' are reserved for system use"},
		{"tag a missing table", func() error {
			_, err := client.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String(*arn + "x"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "ResourceNotFoundException", "Requested resource not found: ResourceArn: arn:aws:dynamodb:us-east-1:123456789012:table/settingsx not found"},
		{"describe a missing table", func() error {
			_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", "Requested resource not found: Table: nope not found"},
	} {
		if code, msg := apiError(tc.call()); code != tc.code || msg != tc.msg {
			t.Errorf("%s: %s %q, want %s %q", tc.name, code, msg, tc.code, tc.msg)
		}
	}
	var tags []types.Tag
	for i := range 51 {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	if _, err := client.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: tags}); err == nil {
		t.Error("51 tags were taken")
	}
	if out, err := client.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: arn}); err != nil || len(out.Tags) != 0 {
		t.Errorf("tags after a refused TagResource: %+v %v", out, err)
	}
	limits, err := client.DescribeLimits(ctx, &dynamodb.DescribeLimitsInput{})
	if err != nil || aws.ToInt64(limits.TableMaxReadCapacityUnits) != 40000 {
		t.Errorf("DescribeLimits: %+v %v", limits, err)
	}
	eps, err := client.DescribeEndpoints(ctx, &dynamodb.DescribeEndpointsInput{})
	if err != nil || len(eps.Endpoints) != 1 || !strings.HasPrefix(srv.Endpoint(), "http://"+aws.ToString(eps.Endpoints[0].Address)) {
		t.Errorf("DescribeEndpoints: %+v %v (endpoint %s)", eps, err, srv.Endpoint())
	}
	up, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("settings"), DeletionProtectionEnabled: aws.Bool(false),
		BillingMode: types.BillingModeProvisioned, ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}})
	if err != nil || up.TableDescription.TableStatus != types.TableStatusUpdating || aws.ToInt64(up.TableDescription.ProvisionedThroughput.ReadCapacityUnits) != 5 {
		t.Fatalf("UpdateTable: %+v %v", up, err)
	}
	if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("settings")}); err != nil {
		t.Errorf("DeleteTable without protection: %v", err)
	}
}

// TestTimeToLiveOnTwoNodes: two nodes sweeping one database delete each
// expired item once: one REMOVE record per item.
func TestTimeToLiveOnTwoNodes(t *testing.T) {
	t.Parallel()
	u, key := pgtest.URL(t), base64.StdEncoding.EncodeToString(crypt.NewKey())
	var nodes []*servertest.Server
	for range 2 {
		nodes = append(nodes, servertest.StartWith(t, servertest.Options{DatabaseURL: u, ServerKey: key, SweepInterval: 20 * time.Millisecond}))
	}
	client := dynamodb.NewFromConfig(nodes[0].RootConfig())
	ctx := context.Background()
	arn := streamTable(t, client, "shared-ttl", types.StreamViewTypeKeysOnly)
	const n = 40
	past := fmt.Sprint(time.Now().Unix() - 10)
	for i := range n {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shared-ttl"),
			Item: map[string]types.AttributeValue{"pk": stS(fmt.Sprint(i)), "sk": stN("0"), "exp": stN(past)}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("shared-ttl"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("shared-ttl"), Select: types.SelectCount, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Count == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d items left", out.Count)
		}
		time.Sleep(20 * time.Millisecond)
	}
	recs, _ := readShard(t, dynamodbstreams.NewFromConfig(nodes[1].RootConfig()), arn)
	removed := map[string]int{}
	for _, r := range recs {
		if r.EventName == "REMOVE" {
			removed[r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value]++
		}
	}
	if len(removed) != n || len(recs) != 2*n {
		t.Errorf("%d items removed in %d records, want %d in %d", len(removed), len(recs), n, 2*n)
	}
	for k, c := range removed {
		if c != 1 {
			t.Errorf("item %s removed %d times", k, c)
		}
	}
}
