package dynamodb_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// These benchmarks go through the whole server: SigV4, authorization,
// the store transaction and the trail, with aws-sdk-go-v2 as the client.
// Each reports p99-ms besides ns/op.

// timed runs op in a b.Loop (so that the server and its data are set up
// once per benchmark) and reports the 99th percentile latency.
func timed(b *testing.B, op func(i int) error) {
	b.Helper()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// benchTable starts rolecall with a table bench (pk S, sk N). Its client
// retries as the SDK does by default: aws-sdk-go-v2 and net/http race on
// a kept-alive connection now and then (aws/aws-sdk-go-v2#2737, a 200 whose
// body reads "use of closed network connection"), which the SDK retries
// by default and servertest's single attempt does not.
func benchTable(b *testing.B) *dynamodb.Client {
	srv := servertest.Start(b)
	cfg := srv.RootConfig()
	cfg.RetryMaxAttempts = 3
	c := dynamodb.NewFromConfig(cfg)
	table(b, c, "bench", "pk:S", "sk:N")
	return c
}

// dynaliteTable starts dynalite (skipped where it cannot run) with the
// same table, for the same workload against an independent DynamoDB.
func dynaliteTable(b *testing.B) *dynamodb.Client {
	c := startDynalite(b)
	table(b, c, "bench", "pk:S", "sk:N")
	return c
}

func BenchmarkDynamoDBPutItem(b *testing.B)  { benchPutItem(b, benchTable(b)) }
func BenchmarkDynamoDBGetItem(b *testing.B)  { benchGetItem(b, benchTable(b)) }
func BenchmarkDynamoDBQuery100(b *testing.B) { benchQuery100(b, benchTable(b)) }

// The same workloads against dynalite: rolecall's ratio to it is the
// ratio of their ns/op.
func BenchmarkDynalitePutItem(b *testing.B)  { benchPutItem(b, dynaliteTable(b)) }
func BenchmarkDynaliteGetItem(b *testing.B)  { benchGetItem(b, dynaliteTable(b)) }
func BenchmarkDynaliteQuery100(b *testing.B) { benchQuery100(b, dynaliteTable(b)) }

func benchPutItem(b *testing.B, c *dynamodb.Client) {
	ctx := context.Background()
	timed(b, func(i int) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"),
			Item: item{"pk": S(fmt.Sprintf("p%d", i%1000)), "sk": N(fmt.Sprint(i)), "v": S("some value of a few bytes")}})
		return err
	})
}

// fill puts 100 items under pk "p".
func fill(b *testing.B, c *dynamodb.Client) {
	for i := range 100 {
		if _, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("bench"),
			Item: item{"pk": S("p"), "sk": N(fmt.Sprint(i)), "v": S("some value of a few bytes")}}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGetItem(b *testing.B, c *dynamodb.Client) {
	fill(b, c)
	ctx := context.Background()
	timed(b, func(i int) error {
		_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("bench"), Key: item{"pk": S("p"), "sk": N(fmt.Sprint(i % 100))}})
		return err
	})
}

func benchQuery100(b *testing.B, c *dynamodb.Client) {
	fill(b, c)
	ctx := context.Background()
	timed(b, func(int) error {
		out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("bench"), KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: item{":p": S("p")}})
		if err == nil && out.Count != 100 {
			err = fmt.Errorf("query answered %d items", out.Count)
		}
		return err
	})
}
