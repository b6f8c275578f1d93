package dynamodb_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// These benchmarks go through the whole server: SigV4, authorization,
// the store transaction and the trail, with aws-sdk-go-v2 as the client.
// Each reports p99-ms besides ns/op.

// timed runs op b.N times and reports the 99th percentile latency.
func timed(b *testing.B, op func(i int) error) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func benchTable(b *testing.B) *dynamodb.Client {
	_, c := itemsServer(b)
	table(b, c, "bench", "pk:S", "sk:N")
	return c
}

func BenchmarkDynamoDBPutItem(b *testing.B) {
	c := benchTable(b)
	ctx := context.Background()
	timed(b, func(i int) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"),
			Item: item{"pk": S(fmt.Sprintf("p%d", i%1000)), "sk": N(fmt.Sprint(i)), "v": S("some value of a few bytes")}})
		return err
	})
}

func BenchmarkDynamoDBGetItem(b *testing.B) {
	c := benchTable(b)
	ctx := context.Background()
	for i := range 100 {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"),
			Item: item{"pk": S("p"), "sk": N(fmt.Sprint(i)), "v": S("some value of a few bytes")}}); err != nil {
			b.Fatal(err)
		}
	}
	timed(b, func(i int) error {
		_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("bench"), Key: item{"pk": S("p"), "sk": N(fmt.Sprint(i % 100))}})
		return err
	})
}

func BenchmarkDynamoDBQuery100(b *testing.B) {
	c := benchTable(b)
	ctx := context.Background()
	for i := range 100 {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"),
			Item: item{"pk": S("p"), "sk": N(fmt.Sprint(i)), "v": S("some value of a few bytes")}}); err != nil {
			b.Fatal(err)
		}
	}
	timed(b, func(int) error {
		out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("bench"), KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: item{":p": S("p")}})
		if err == nil && out.Count != 100 {
			err = fmt.Errorf("query answered %d items", out.Count)
		}
		return err
	})
}
