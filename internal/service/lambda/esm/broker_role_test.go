package esm_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

const (
	brokerTrust = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`
	basicRole   = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	mskRole     = "arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole"
	clusterARN  = "arn:aws:kafka:us-east-1:123456789012:cluster/demo/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5"
	brokerARN   = "arn:aws:mq:us-east-1:123456789012:broker:demo:b-9bcfa592-423a-4942-879d-eb284b418fc8"
	secretARN   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:broker-creds-AbCdEf"
)

// brokerSuite is a server with a function whose role the tests change.
type brokerSuite struct {
	srv    *servertest.Server
	iam    *iam.Client
	lambda *lambda.Client
	role   string // role name
	fn     string
}

func newBrokerSuite(t *testing.T, name string) *brokerSuite {
	t.Helper()
	srv := servertest.Start(t)
	cfg := srv.RootConfig()
	s := &brokerSuite{srv: srv, iam: iam.NewFromConfig(cfg), lambda: lambda.NewFromConfig(cfg), role: name + "-role", fn: name}
	ctx := context.Background()
	out, err := s.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(s.role), AssumeRolePolicyDocument: aws.String(brokerTrust)})
	if err != nil {
		t.Fatal(err)
	}
	s.attach(t, basicRole)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("handler.py")
	if _, err := w.Write([]byte("def handler(event, context):\n    return None\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: out.Role.Arn,
		Runtime: lambdatypes.Runtime("python3.11"), Handler: aws.String("handler.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: buf.Bytes()}}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *brokerSuite) attach(t *testing.T, arn string) {
	t.Helper()
	if _, err := s.iam.AttachRolePolicy(context.Background(), &iam.AttachRolePolicyInput{RoleName: aws.String(s.role), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
}

// allow replaces the role's inline policy with one allowing actions.
func (s *brokerSuite) allow(t *testing.T, actions ...string) {
	t.Helper()
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17",
		"Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
	if _, err := s.iam.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: aws.String(s.role),
		PolicyName: aws.String("broker"), PolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatal(err)
	}
}

// create creates a mapping of the suite's function with in's broker
// parameters and deletes it when it was accepted.
func (s *brokerSuite) create(t *testing.T, in lambda.CreateEventSourceMappingInput) error {
	t.Helper()
	in.FunctionName = aws.String(s.fn)
	out, err := s.lambda.CreateEventSourceMapping(context.Background(), &in)
	if err == nil {
		s.remove(t, out.UUID)
	}
	return err
}

// remove deletes a mapping and waits until it is gone, so that the next
// mapping of the same source is not a duplicate.
func (s *brokerSuite) remove(t *testing.T, uuid *string) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, err := s.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: uuid})
		if err != nil {
			t.Fatalf("GetEventSourceMapping: %v", err)
		}
		if aws.ToString(out.State) != "Creating" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mapping %s still Creating", aws.ToString(uuid))
		}
	}
	if _, err := s.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: uuid}); err != nil {
		t.Fatalf("DeleteEventSourceMapping: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, err := s.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: uuid})
		var nf *lambdatypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return
		}
		if err != nil {
			t.Fatalf("GetEventSourceMapping: %v", err)
		}
	}
	t.Fatalf("mapping %s still there after its deletion", aws.ToString(uuid))
}

func wantInvalid(t *testing.T, what string, err error, message string) {
	t.Helper()
	var re *awshttp.ResponseError
	var ae smithy.APIError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest || !errors.As(err, &ae) ||
		ae.ErrorCode() != "InvalidParameterValueException" || ae.ErrorMessage() != message {
		t.Errorf("%s: got %v, want InvalidParameterValueException %q", what, err, message)
	}
}

var mskActions = []string{"kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers", "ec2:CreateNetworkInterface",
	"ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"}

func denial(action string) string {
	service, op := "EC2", action[len("ec2:"):]
	switch {
	case action[:6] == "kafka:":
		service, op = "Kafka", action[len("kafka:"):]
	case action[:3] == "mq:":
		service, op = "MQ", action[len("mq:"):]
	}
	return fmt.Sprintf("The provided execution role does not have permissions to call %s on %s", op, service)
}

// TestMSKRole: an Amazon MSK mapping is refused while the role lacks any
// action of AWSLambdaMSKExecutionRole (DescribeCluster standing in for
// DescribeClusterV2), and while it may not read the SASL/SCRAM secret;
// accepted once AWSLambdaMSKExecutionRole is attached and the secret
// readable.
func TestMSKRole(t *testing.T) {
	t.Parallel()
	s := newBrokerSuite(t, "msk-fn")
	in := lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(clusterARN), Topics: []string{"orders"},
		StartingPosition: lambdatypes.EventSourcePositionLatest}
	wantInvalid(t, "no MSK permission", s.create(t, in), denial("kafka:DescribeClusterV2"))
	for _, missing := range mskActions {
		s.allow(t, slices.DeleteFunc(slices.Clone(mskActions), func(a string) bool { return a == missing })...)
		wantInvalid(t, "without "+missing, s.create(t, in), denial(missing))
	}
	rest := slices.DeleteFunc(slices.Clone(mskActions), func(a string) bool { return a == "kafka:DescribeClusterV2" })
	s.allow(t, append(rest, "kafka:DescribeCluster")...)
	if err := s.create(t, in); err != nil {
		t.Errorf("with kafka:DescribeCluster instead of V2: %v", err)
	}
	s.allow(t, "kafka:ListClusters")
	s.attach(t, mskRole)
	if err := s.create(t, in); err != nil {
		t.Errorf("with AWSLambdaMSKExecutionRole: %v", err)
	}
	in.SourceAccessConfigurations = []lambdatypes.SourceAccessConfiguration{{Type: lambdatypes.SourceAccessTypeSaslScram512Auth, URI: aws.String(secretARN)}}
	wantInvalid(t, "secret", s.create(t, in), "Cannot access secret manager value "+secretARN+
		". Please ensure the role can perform the 'secretsmanager:GetSecretValue' action on your broker in IAM.")
	s.allow(t, "secretsmanager:GetSecretValue")
	if err := s.create(t, in); err != nil {
		t.Errorf("with the secret readable: %v", err)
	}

	// The checks are in the trail as the role's calls, made by Lambda.
	ctx := context.Background()
	if err := s.srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := s.srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: "GetBootstrapBrokers", Limit: 100})
	if err != nil || len(evs) == 0 {
		t.Fatalf("GetBootstrapBrokers events: %d, %v", len(evs), err)
	}
	denied := 0
	for _, ev := range evs {
		var rec struct {
			EventSource  string `json:"eventSource"`
			ErrorCode    string `json:"errorCode"`
			UserIdentity struct {
				Type      string `json:"type"`
				InvokedBy string `json:"invokedBy"`
			} `json:"userIdentity"`
		}
		if err := json.Unmarshal(ev.Record, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.EventSource != "kafka.amazonaws.com" || rec.UserIdentity.Type != "AssumedRole" || rec.UserIdentity.InvokedBy != "lambda.amazonaws.com" ||
			!strings.HasSuffix(ev.IssuerARN, ":role/"+s.role) {
			t.Errorf("GetBootstrapBrokers record: %s", ev.Record)
		}
		if rec.ErrorCode != "" {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("%d denied GetBootstrapBrokers checks recorded, want 1", denied)
	}
}

// TestMQRole: an Amazon MQ mapping needs mq:DescribeBroker, the EC2
// network interface actions and the BASIC_AUTH secret.
func TestMQRole(t *testing.T) {
	t.Parallel()
	s := newBrokerSuite(t, "mq-fn")
	in := lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(brokerARN), Queues: []string{"orders"},
		SourceAccessConfigurations: []lambdatypes.SourceAccessConfiguration{{Type: lambdatypes.SourceAccessTypeBasicAuth, URI: aws.String(secretARN)}}}
	all := []string{"mq:DescribeBroker", "secretsmanager:GetSecretValue", "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
		"ec2:DescribeVpcs", "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"}
	for _, missing := range all {
		s.allow(t, slices.DeleteFunc(slices.Clone(all), func(a string) bool { return a == missing })...)
		want := denial(missing)
		if missing == "secretsmanager:GetSecretValue" {
			want = "Cannot access secret manager value " + secretARN + ". Please ensure the role can perform the 'secretsmanager:GetSecretValue' action on your broker in IAM."
		}
		wantInvalid(t, "without "+missing, s.create(t, in), want)
	}
	s.allow(t, all...)
	if err := s.create(t, in); err != nil {
		t.Errorf("with every action: %v", err)
	}
}

// TestSelfManagedKafkaRole: a self-managed Kafka mapping needs the EC2
// actions only when it names a subnet and security group, and its
// authentication secret.
func TestSelfManagedKafkaRole(t *testing.T) {
	t.Parallel()
	s := newBrokerSuite(t, "kafka-fn")
	in := lambda.CreateEventSourceMappingInput{Topics: []string{"orders"}, StartingPosition: lambdatypes.EventSourcePositionTrimHorizon,
		SelfManagedEventSource: &lambdatypes.SelfManagedEventSource{Endpoints: map[string][]string{
			"KAFKA_BOOTSTRAP_SERVERS": {"b-1.example.com:9092"}}},
		SourceAccessConfigurations: []lambdatypes.SourceAccessConfiguration{{Type: lambdatypes.SourceAccessTypeBasicAuth, URI: aws.String(secretARN)}}}
	wantInvalid(t, "secret", s.create(t, in), "Cannot access secret manager value "+secretARN+
		". Please ensure the role can perform the 'secretsmanager:GetSecretValue' action on your broker in IAM.")
	s.allow(t, "secretsmanager:GetSecretValue")
	if err := s.create(t, in); err != nil {
		t.Errorf("without a VPC: %v", err)
	}
	in.SourceAccessConfigurations = append(in.SourceAccessConfigurations,
		lambdatypes.SourceAccessConfiguration{Type: lambdatypes.SourceAccessTypeVpcSubnet, URI: aws.String("subnet:subnet-0123456789abcdef0")},
		lambdatypes.SourceAccessConfiguration{Type: lambdatypes.SourceAccessTypeVpcSecurityGroup, URI: aws.String("security_group:sg-0123456789abcdef0")})
	wantInvalid(t, "VPC without EC2", s.create(t, in), denial("ec2:CreateNetworkInterface"))
	s.allow(t, "secretsmanager:GetSecretValue", "ec2:*")
	if err := s.create(t, in); err != nil {
		t.Errorf("in a VPC with EC2 allowed: %v", err)
	}
}
