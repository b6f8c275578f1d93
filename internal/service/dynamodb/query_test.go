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

// nums returns the values of the number attribute name of items.
func nums(items []item, name string) []string {
	var out []string
	for _, it := range items {
		if v, ok := it[name].(*types.AttributeValueMemberN); ok {
			out = append(out, v.Value)
		}
	}
	return out
}

// TestQueryNumbersSortNumerically writes 38-digit, negative and
// fractional sort keys and reads them back in numeric order, both ways.
func TestQueryNumbersSortNumerically(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "readings", "sensor:S", "at:N")
	values := []string{"10", "9", "-1", "0", "0.5", "-0.25", "12345678901234567890123456789012345678", "99999999999999999999999999999999999999",
		"-99999999999999999999999999999999999999", "1E+2", "0.000000000000000000000000000000000000000001"}
	for _, v := range values {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("readings"), Item: item{"sensor": S("s1"), "at": N(v)}}); err != nil {
			t.Fatalf("put %s: %v", v, err)
		}
	}
	want := []string{"-99999999999999999999999999999999999999", "-1", "-0.25", "0", "0.000000000000000000000000000000000000000001", "0.5", "9", "10", "100",
		"12345678901234567890123456789012345678", "99999999999999999999999999999999999999"}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("readings"), KeyConditionExpression: aws.String("sensor = :s"),
		ExpressionAttributeValues: item{":s": S("s1")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := nums(q.Items, "at"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ascending:\n got %v\nwant %v", got, want)
	}
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("readings"), KeyConditionExpression: aws.String("sensor = :s AND #at BETWEEN :lo AND :hi"),
		ExpressionAttributeNames: map[string]string{"#at": "at"}, ExpressionAttributeValues: item{":s": S("s1"), ":lo": N("-1"), ":hi": N("10")},
		ScanIndexForward: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if got := nums(q.Items, "at"); strings.Join(got, ",") != "10,9,0.5,0.000000000000000000000000000000000000000001,0,-0.25,-1" {
		t.Errorf("descending BETWEEN: %v", got)
	}
}

func TestQueryAndScan(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "events", "day:S", "id:S", def("kind:S"), gsi("by-kind", "kind", "id", types.ProjectionTypeAll))
	tn := aws.String("events")
	for d := range 3 {
		for i := range 30 {
			it := item{"day": S(fmt.Sprintf("2024-01-0%d", d+1)), "id": S(fmt.Sprintf("evt#%03d", i)), "n": N(fmt.Sprint(i))}
			if i%3 == 0 {
				it["kind"] = S("click")
			}
			if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: it}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// begins_with and a filter; Count and ScannedCount.
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn, KeyConditionExpression: aws.String("#d = :d AND begins_with(id, :p)"),
		FilterExpression: aws.String("n >= :min"), ExpressionAttributeNames: map[string]string{"#d": "day"},
		ExpressionAttributeValues: item{":d": S("2024-01-02"), ":p": S("evt#01"), ":min": N("15")}})
	if err != nil || q.Count != 5 || q.ScannedCount != 10 {
		t.Errorf("begins_with with filter: count %d scanned %d %v", q.Count, q.ScannedCount, err)
	}
	// COUNT, and the legacy KeyConditions.
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: tn, Select: types.SelectCount,
		KeyConditions: map[string]types.Condition{"day": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{S("2024-01-01")}}}})
	if err != nil || q.Count != 30 || q.Items != nil {
		t.Errorf("COUNT: %+v %v", q, err)
	}
	// Paging an index: the LastEvaluatedKey holds the table's and the index's keys.
	var ids []string
	var start item
	for {
		q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn, IndexName: aws.String("by-kind"), KeyConditionExpression: aws.String("kind = :k"),
			ExpressionAttributeValues: item{":k": S("click")}, Limit: aws.Int32(7), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range q.Items {
			ids = append(ids, it["id"].(*types.AttributeValueMemberS).Value)
		}
		if q.LastEvaluatedKey == nil {
			break
		}
		if len(q.LastEvaluatedKey) != 3 {
			t.Errorf("index LastEvaluatedKey %v", q.LastEvaluatedKey)
		}
		start = q.LastEvaluatedKey
	}
	if len(ids) != 30 || ids[0] != "evt#000" || ids[29] != "evt#027" {
		t.Errorf("index pages: %d %v", len(ids), ids)
	}
	// Paging backwards through a partition.
	var back []string
	start = nil
	for {
		q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn, KeyConditionExpression: aws.String("#d = :d"), ExpressionAttributeNames: map[string]string{"#d": "day"},
			ExpressionAttributeValues: item{":d": S("2024-01-03")}, Limit: aws.Int32(7), ScanIndexForward: aws.Bool(false), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range q.Items {
			back = append(back, it["id"].(*types.AttributeValueMemberS).Value)
		}
		if q.LastEvaluatedKey == nil {
			break
		}
		start = q.LastEvaluatedKey
	}
	if len(back) != 30 || back[0] != "evt#029" || back[29] != "evt#000" || back[7] != "evt#022" {
		t.Errorf("descending pages: %v", back)
	}
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: tn, KeyConditionExpression: aws.String("#d = :d"), ExpressionAttributeNames: map[string]string{"#d": "day"},
		ExpressionAttributeValues: item{":d": S("2024-01-03")}, ExclusiveStartKey: item{"day": S("2024-01-02"), "id": S("evt#001")}})
	wantErr(t, "a start key in another partition", err, "ValidationException", "The provided starting key is outside query boundaries based on provided conditions")
	// Select errors.
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: tn, Select: types.SelectSpecificAttributes, KeyConditionExpression: aws.String("#d = :d"),
		ExpressionAttributeNames: map[string]string{"#d": "day"}, ExpressionAttributeValues: item{":d": S("x")}})
	wantErr(t, "SPECIFIC_ATTRIBUTES without a projection", err, "ValidationException",
		"1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: tn, Select: types.SelectCount, ProjectionExpression: aws.String("id"), KeyConditionExpression: aws.String("#d = :d"),
		ExpressionAttributeNames: map[string]string{"#d": "day"}, ExpressionAttributeValues: item{":d": S("x")}})
	wantErr(t, "COUNT with a projection", err, "ValidationException", "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count")
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: tn, KeyConditionExpression: aws.String("#d = :d"), FilterExpression: aws.String("id = :d"),
		ExpressionAttributeNames: map[string]string{"#d": "day"}, ExpressionAttributeValues: item{":d": S("x")}})
	wantErr(t, "filter on a key", err, "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: id")

	// Scan: segments cover the table once; pages by Limit; a filter.
	seen := map[string]int{}
	for seg := range 4 {
		var start item
		for {
			s, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: tn, Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(4), Limit: aws.Int32(13), ExclusiveStartKey: start})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range s.Items {
				seen[it["day"].(*types.AttributeValueMemberS).Value+"/"+it["id"].(*types.AttributeValueMemberS).Value]++
			}
			if s.LastEvaluatedKey == nil {
				break
			}
			start = s.LastEvaluatedKey
		}
	}
	if len(seen) != 90 {
		t.Errorf("segments saw %d items", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", k, n)
		}
	}
	s, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: tn, FilterExpression: aws.String("attribute_exists(kind) AND n < :n"), ExpressionAttributeValues: item{":n": N("6")}})
	if err != nil || s.Count != 6 || s.ScannedCount != 90 {
		t.Errorf("filtered scan: %d of %d, %v", s.Count, s.ScannedCount, err)
	}
	s, err = c.Scan(ctx, &dynamodb.ScanInput{TableName: tn, IndexName: aws.String("by-kind")})
	if err != nil || s.Count != 30 {
		t.Errorf("index scan: %d %v", s.Count, err)
	}
	_, err = c.Scan(ctx, &dynamodb.ScanInput{TableName: tn, Segment: aws.Int32(4), TotalSegments: aws.Int32(4)})
	wantErr(t, "segment out of range", err, "ValidationException",
		"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4")
}

// TestQueryPageLimit reads a partition over 1 MB: the first page stops
// at 1 MB with a LastEvaluatedKey.
func TestQueryPageLimit(t *testing.T) {
	t.Parallel()
	_, c := itemsServer(t)
	ctx := context.Background()
	table(t, c, "blobs", "p:S", "i:N")
	big := strings.Repeat("x", 100*1024)
	for i := range 12 {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("blobs"), Item: item{"p": S("a"), "i": N(fmt.Sprint(i)), "b": S(big)}}); err != nil {
			t.Fatal(err)
		}
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("blobs"), KeyConditionExpression: aws.String("p = :p"), ExpressionAttributeValues: item{":p": S("a")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if q.Count != 11 || q.LastEvaluatedKey == nil {
		t.Errorf("1 MB page: %d items, last %v", q.Count, q.LastEvaluatedKey)
	}
	// 11 items of ~100 KB, eventually consistent: ceil(size/4 KB)/2.
	if u := aws.ToFloat64(q.ConsumedCapacity.CapacityUnits); u < 137 || u > 139 {
		t.Errorf("query capacity %v", u)
	}
}
