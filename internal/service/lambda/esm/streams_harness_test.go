package esm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

const (
	kinesisPolicy  = "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"
	dynamodbPolicy = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"
	streamsBasic   = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
)

// sinkHandler is the function of the stream tests: it writes what each
// successful invocation got (partition or item key, value) to the
// DynamoDB table SINK, with the time. MODE=raise fails an invocation
// holding a "poison" value; MODE=report reports the first "flaky" value
// the first time it is seen as a batch item failure (and records only
// what came before it).
const sinkHandler = `import base64, json, os, time
import boto3

sink = boto3.resource("dynamodb").Table(os.environ["SINK"])
MODE = os.environ.get("MODE", "")

def value(r):
    if "kinesis" in r:
        k = r["kinesis"]
        return k["partitionKey"], base64.b64decode(k["data"]).decode(), k["sequenceNumber"]
    d = r["dynamodb"]
    img = d.get("NewImage") or d.get("OldImage") or {}
    return d["Keys"]["pk"]["S"], r["eventName"] + ":" + img.get("v", {}).get("S", ""), d["SequenceNumber"]

def first_time(v):
    try:
        sink.put_item(Item={"id": "seen:" + v, "ns": 0}, ConditionExpression="attribute_not_exists(id)")
        return True
    except sink.meta.client.exceptions.ConditionalCheckFailedException:
        return False

def handler(event, context):
    done, failed = [], None
    for key, v, seq in [value(r) for r in event["Records"]]:
        if MODE == "raise" and "poison" in v:
            raise Exception("poison record " + v)
        if MODE == "report" and "flaky" in v and first_time(v):
            failed = seq
            break
        done.append([key, v])
    sink.put_item(Item={"id": context.aws_request_id, "ns": time.time_ns(), "got": json.dumps(done),
                        "first": json.dumps(event["Records"][0])})
    if failed:
        return {"batchItemFailures": [{"itemIdentifier": failed}]}
    return {}
`

// streamSuite is one rolecall with root clients of the services the
// stream tests use.
type streamSuite struct{ *suite }

func newStreamSuite(t testing.TB) *streamSuite { return streamSuiteOn(servertest.Start(t)) }

func streamSuiteOn(srv *servertest.Server) *streamSuite { return &streamSuite{suiteOn(srv)} }

// role creates a role Lambda may assume, with managed policies and
// leave to write to the sink table.
func (s *streamSuite) role(t testing.TB, name string, managed ...string) string {
	t.Helper()
	ctx := context.Background()
	out, err := s.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(lambdaTrust)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	for _, arn := range managed {
		s.attach(t, name, arn)
	}
	if _, err := s.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("sink"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:*:*:table/sink-*"}]}`)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	return aws.ToString(out.Role.Arn)
}

// sinkFunction creates the sink table name and a function running
// sinkHandler into it in mode, and waits until it is Active.
func (s *streamSuite) sinkFunction(t testing.TB, name, role, mode string) string {
	t.Helper()
	s.table(t, "sink-"+name, false)
	return s.createFunction(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("index.handler"), Timeout: aws.Int32(30),
		Code:        &lambdatypes.FunctionCode{ZipFile: pythonZip(t, sinkHandler)},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"SINK": "sink-" + name, "MODE": mode}},
	})
}

// table creates a table keyed by a string "pk" ("id" for a sink), with a
// NEW_AND_OLD_IMAGES stream when stream is set, and returns the stream's
// ARN ("" without).
func (s *streamSuite) table(t testing.TB, name string, stream bool) string {
	t.Helper()
	key := "id"
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest}
	if stream {
		key = "pk"
		in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages}
	}
	in.AttributeDefinitions = []ddbtypes.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: ddbtypes.ScalarAttributeTypeS}}
	in.KeySchema = []ddbtypes.KeySchemaElement{{AttributeName: aws.String(key), KeyType: ddbtypes.KeyTypeHash}}
	out, err := s.ddb.CreateTable(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
	return aws.ToString(out.TableDescription.LatestStreamArn)
}

// put puts records (key, value) on a Kinesis stream, one by one, and
// returns their sequence numbers.
func (s *streamSuite) put(t testing.TB, stream string, recs ...[2]string) []string {
	t.Helper()
	var seqs []string
	for _, r := range recs {
		out, err := s.kinesis.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamARN: aws.String(stream),
			PartitionKey: aws.String(r[0]), Data: []byte(r[1])})
		if err != nil {
			t.Fatalf("PutRecord: %v", err)
		}
		seqs = append(seqs, aws.ToString(out.SequenceNumber))
	}
	return seqs
}

// queue creates an SQS queue and returns its URL and ARN.
func (s *streamSuite) queue(t testing.TB, name string) (string, string) {
	t.Helper()
	ctx := context.Background()
	out, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	a, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes["QueueArn"]
}

// invocation is what one successful invocation of sinkHandler got.
type invocation struct {
	ns    int64
	got   [][2]string // key, value
	first map[string]any
}

// sink reads the invocations recorded in the sink table of function
// name, in the order they ran.
func (s *streamSuite) sink(t testing.TB, name string) []invocation {
	t.Helper()
	var invs []invocation
	p := dynamodb.NewScanPaginator(s.ddb, &dynamodb.ScanInput{TableName: aws.String("sink-" + name), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("Scan sink-%s: %v", name, err)
		}
		for _, it := range page.Items {
			if id := it["id"].(*ddbtypes.AttributeValueMemberS).Value; strings.HasPrefix(id, "seen:") {
				continue
			}
			var inv invocation
			if _, err := fmt.Sscan(it["ns"].(*ddbtypes.AttributeValueMemberN).Value, &inv.ns); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(it["got"].(*ddbtypes.AttributeValueMemberS).Value), &inv.got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(it["first"].(*ddbtypes.AttributeValueMemberS).Value), &inv.first); err != nil {
				t.Fatal(err)
			}
			invs = append(invs, inv)
		}
	}
	sort.Slice(invs, func(i, j int) bool { return invs[i].ns < invs[j].ns })
	return invs
}

// delivered is every value the function got, in order.
func delivered(invs []invocation) []string {
	var vs []string
	for _, inv := range invs {
		for _, g := range inv.got {
			vs = append(vs, g[1])
		}
	}
	return vs
}

// waitDelivered waits until the function got n values and returns them.
func (s *streamSuite) waitDelivered(t testing.TB, name string, n int) []invocation {
	t.Helper()
	deadline := time.Now().Add(deliveryTimeout)
	for {
		invs := s.sink(t, name)
		if got := len(delivered(invs)); got >= n {
			return invs
		} else if time.Now().After(deadline) {
			t.Fatalf("%s got %d values, want %d: %v", name, got, n, delivered(invs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// receive waits for n messages on queue url and returns their bodies.
func (s *streamSuite) receive(t testing.TB, url string, n int) []map[string]any {
	t.Helper()
	var docs []map[string]any
	deadline := time.Now().Add(deliveryTimeout)
	for len(docs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages on %s, want %d", len(docs), url, n)
		}
		out, err := s.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			var d map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &d); err != nil {
				t.Fatalf("on-failure record %s: %v", aws.ToString(m.Body), err)
			}
			docs = append(docs, d)
		}
	}
	return docs
}

// errorOf returns err's AWS code and message.
func errorOf(t testing.TB, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}
