package esm_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// suite is one rolecall with root clients.
type suite struct {
	srv     *servertest.Server
	iam     *iam.Client
	lambda  *lambda.Client
	sqs     *sqs.Client
	kinesis *kinesis.Client
	ddb     *dynamodb.Client
	logs    *cloudwatchlogs.Client
}

func newSuite(t testing.TB) *suite { return newSuiteWith(t, servertest.Options{}) }

// newSuiteWith is newSuite on a server started with opts.
func newSuiteWith(t testing.TB, opts servertest.Options) *suite {
	return suiteOn(servertest.StartWith(t, opts))
}

// suiteOn is the root clients of srv.
func suiteOn(srv *servertest.Server) *suite {
	s := clientsOf(srv.RootConfig())
	s.srv = srv
	return s
}

// clientsOf is a suite of clients with cfg and no server.
func clientsOf(cfg aws.Config) *suite {
	return &suite{iam: iam.NewFromConfig(cfg), lambda: lambda.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg),
		kinesis: kinesis.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}
}

// attach attaches a managed policy to a role.
func (s *suite) attach(t testing.TB, role, policy string) {
	t.Helper()
	if _, err := s.iam.AttachRolePolicy(context.Background(), &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policy)}); err != nil {
		t.Fatalf("AttachRolePolicy %s: %v", policy, err)
	}
}

// detach detaches a managed policy from a role.
func (s *suite) detach(t testing.TB, role, policy string) {
	t.Helper()
	if _, err := s.iam.DetachRolePolicy(context.Background(), &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policy)}); err != nil {
		t.Fatalf("DetachRolePolicy %s: %v", policy, err)
	}
}

// mapping creates an event source mapping and waits until it is Enabled.
func (s *suite) mapping(t testing.TB, in *lambda.CreateEventSourceMappingInput) string {
	t.Helper()
	out, err := s.lambda.CreateEventSourceMapping(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	id := aws.ToString(out.UUID)
	s.waitMapping(t, id, func(m *lambda.GetEventSourceMappingOutput) bool { return aws.ToString(m.State) == "Enabled" })
	return id
}

// waitMapping polls GetEventSourceMapping until ok, deliveryTimeout at most.
func (s *suite) waitMapping(t testing.TB, id string, ok func(*lambda.GetEventSourceMappingOutput) bool) *lambda.GetEventSourceMappingOutput {
	t.Helper()
	deadline := time.Now().Add(deliveryTimeout)
	for {
		out, err := s.lambda.GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			t.Fatalf("GetEventSourceMapping %s: %v", id, err)
		}
		if ok(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("mapping %s: state %s, last result %q", id, aws.ToString(out.State), aws.ToString(out.LastProcessingResult))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// role creates a role Lambda may assume with managed policies attached.
func (s *suite) role(t testing.TB, name string, managed ...string) string {
	t.Helper()
	ctx := context.Background()
	out, err := s.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(lambdaTrust)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	for _, arn := range managed {
		if _, err := s.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("AttachRolePolicy %s: %v", arn, err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// pythonZip is a deployment package of one Python handler.
func pythonZip(t testing.TB, code string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("index.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(code)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// function creates a Python function with role and waits until it is
// Active; it returns its ARN.
func (s *suite) function(t testing.TB, name, role string) string {
	t.Helper()
	return s.createFunction(t, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.Runtime("python3.11"),
		Handler: aws.String("index.handler"), Timeout: aws.Int32(10),
		Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(t, "def handler(event, context):\n    return {}\n")},
	})
}

// createFunction creates a function and waits until it is Active; it
// returns its ARN.
func (s *suite) createFunction(t testing.TB, in *lambda.CreateFunctionInput) string {
	t.Helper()
	ctx := context.Background()
	out, err := s.lambda.CreateFunction(ctx, in)
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", aws.ToString(in.FunctionName), err)
	}
	w := lambda.NewFunctionActiveV2Waiter(s.lambda, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: in.FunctionName}, 2*time.Minute); err != nil {
		t.Fatalf("function-active-v2 %s: %v", aws.ToString(in.FunctionName), err)
	}
	return aws.ToString(out.FunctionArn)
}

// queue creates an SQS queue and returns its ARN.
func (s *suite) queue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	ctx := context.Background()
	out, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	a, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", name, err)
	}
	return a.Attributes["QueueArn"]
}

// waitState polls GetEventSourceMapping until the mapping is in state.
func (s *suite) waitState(t testing.TB, id, state string) *lambda.GetEventSourceMappingOutput {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := s.lambda.GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			t.Fatalf("GetEventSourceMapping %s: %v", id, err)
		}
		if aws.ToString(out.State) == state {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("mapping %s is %s, not %s", id, aws.ToString(out.State), state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// apiError returns err's AWS code, HTTP status and message.
func apiError(t testing.TB, err error) (code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status, ae.ErrorMessage()
}

// stream creates a Kinesis stream of one shard and returns its ARN.
func (s *suite) stream(t testing.TB, name string, shards int32) string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatalf("CreateStream %s: %v", name, err)
	}
	w := kinesis.NewStreamExistsWaiter(s.kinesis, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("wait for stream %s: %v", name, err)
	}
	out, err := s.kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeStreamSummary %s: %v", name, err)
	}
	return aws.ToString(out.StreamDescriptionSummary.StreamARN)
}

// user creates an IAM user with an inline policy and returns a Lambda
// client with its access key.
func (s *suite) user(t testing.TB, name, doc string) *lambda.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := s.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	if _, err := s.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatalf("PutUserPolicy %s: %v", name, err)
	}
	k, err := s.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return lambda.NewFromConfig(s.srv.Config(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""))
}
