package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

const (
	account       = "123456789012"
	basicExecRole = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	// pollTimeout bounds the waits for what happens off the request path:
	// shipped logs, trail events, revocations.
	pollTimeout = 15 * time.Second
)

// lambdaSuite is one rolecall with root clients of the services the
// Lambda tests use.
type lambdaSuite struct {
	srv    *servertest.Server
	iam    *iam.Client
	lambda *lambda.Client
	sts    *sts.Client
	logs   *cloudwatchlogs.Client
	trail  *cloudtrail.Client
}

func newLambdaSuite(t testing.TB) *lambdaSuite { return lambdaSuiteOn(servertest.Start(t)) }

// lambdaSuiteOn is a suite on a server already started.
func lambdaSuiteOn(srv *servertest.Server) *lambdaSuite {
	cfg := srv.RootConfig()
	return &lambdaSuite{
		srv:    srv,
		iam:    iam.NewFromConfig(cfg),
		lambda: lambda.NewFromConfig(cfg),
		sts:    sts.NewFromConfig(cfg),
		logs:   cloudwatchlogs.NewFromConfig(cfg),
		trail:  cloudtrail.NewFromConfig(cfg),
	}
}

func functionARN(name string) string {
	return "arn:aws:lambda:us-east-1:" + account + ":function:" + name
}

func assumedRoleARN(role, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session
}

// role creates a role with a trust policy and attaches managed policies.
func (s *lambdaSuite) role(t testing.TB, name, trust string, managed ...string) string {
	t.Helper()
	ctx := context.Background()
	out, err := s.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
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

func (s *lambdaSuite) putRolePolicy(t testing.TB, role, name, doc string) {
	t.Helper()
	if _, err := s.iam.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{
		RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatalf("PutRolePolicy %s: %v", name, err)
	}
}

// user creates an IAM user with an optional inline policy and returns a
// configuration with its access key.
func (s *lambdaSuite) user(t testing.TB, name, doc string) aws.Config {
	t.Helper()
	ctx := context.Background()
	if _, err := s.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	if doc != "" {
		if _, err := s.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatalf("PutUserPolicy %s: %v", name, err)
		}
	}
	k, err := s.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return s.srv.Config(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
}

// goFunction is CreateFunction's input for the Go example.
func goFunction(t testing.TB, name, role string) *lambda.CreateFunctionInput {
	return &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String(role),
		Runtime:      lambdatypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &lambdatypes.FunctionCode{ZipFile: exampleZip(t, goExample)},
		Timeout:      aws.Int32(10),
	}
}

// create creates a function and waits until it is Active.
func (s *lambdaSuite) create(t testing.TB, in *lambda.CreateFunctionInput) string {
	t.Helper()
	out, err := s.lambda.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", aws.ToString(in.FunctionName), err)
	}
	s.waitActive(t, aws.ToString(in.FunctionName))
	return aws.ToString(out.FunctionArn)
}

// Waiter polling fast enough for a local service.
func fastActive(o *lambda.FunctionActiveV2WaiterOptions) {
	o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
}

func fastUpdated(o *lambda.FunctionUpdatedV2WaiterOptions) {
	o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
}

func (s *lambdaSuite) waitActive(t testing.TB, name string) {
	t.Helper()
	w := lambda.NewFunctionActiveV2Waiter(s.lambda, fastActive)
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 2*time.Minute); err != nil { // the first use of a runtime may install its SDK
		t.Fatalf("function-active-v2 %s: %v", name, err)
	}
}

func (s *lambdaSuite) waitUpdated(t testing.TB, name string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(s.lambda, fastUpdated)
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("function-updated-v2 %s: %v", name, err)
	}
}

// updateConfig changes a function's configuration and waits for the update.
func (s *lambdaSuite) updateConfig(t testing.TB, in *lambda.UpdateFunctionConfigurationInput) {
	t.Helper()
	if _, err := s.lambda.UpdateFunctionConfiguration(context.Background(), in); err != nil {
		t.Fatalf("UpdateFunctionConfiguration %s: %v", aws.ToString(in.FunctionName), err)
	}
	s.waitUpdated(t, aws.ToString(in.FunctionName))
}

// invoke invokes a function synchronously with a JSON event.
func invoke(c *lambda.Client, name string, event any, opts ...func(*lambda.InvokeInput)) (*lambda.InvokeOutput, error) {
	payload, err := json.Marshal(event)
	if err != nil {
		return nil, err
	}
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload}
	for _, o := range opts {
		o(in)
	}
	return c.Invoke(context.Background(), in)
}

// call invokes a function that must succeed and decodes its result.
func (s *lambdaSuite) call(t testing.TB, name string, event any) map[string]any {
	t.Helper()
	out, err := invoke(s.lambda, name, event)
	if err != nil {
		t.Fatalf("Invoke %s: %v", name, err)
	}
	if out.FunctionError != nil {
		t.Fatalf("Invoke %s: function error %s: %s", name, aws.ToString(out.FunctionError), out.Payload)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Payload, &m); err != nil {
		t.Fatalf("Invoke %s: payload %s: %v", name, out.Payload, err)
	}
	return m
}

// credentials are an execution environment's role credentials, as the
// function sees them.
type credentials struct{ id, secret, token string }

func (s *lambdaSuite) envCredentials(t testing.TB, name string) credentials {
	t.Helper()
	m := s.call(t, name, map[string]any{"action": "env", "names": []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}})
	c := credentials{str(m["AWS_ACCESS_KEY_ID"]), str(m["AWS_SECRET_ACCESS_KEY"]), str(m["AWS_SESSION_TOKEN"])}
	if !strings.HasPrefix(c.id, "ASIA") || c.secret == "" || c.token == "" {
		t.Fatalf("environment credentials of %s: %v", name, m)
	}
	return c
}

func (s *lambdaSuite) config(c credentials) aws.Config { return s.srv.Config(c.id, c.secret, c.token) }

func str(v any) string {
	s, _ := v.(string)
	return s
}

// logText returns every message of a log group, or "" when the group
// does not exist.
func (s *lambdaSuite) logText(t testing.TB, group string) string {
	t.Helper()
	var b strings.Builder
	p := cloudwatchlogs.NewFilterLogEventsPaginator(s.logs, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		var nf *logstypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return ""
		}
		if err != nil {
			t.Fatalf("FilterLogEvents %s: %v", group, err)
		}
		for _, e := range page.Events {
			b.WriteString(aws.ToString(e.Message))
		}
	}
	return b.String()
}

// waitLogs polls a log group until it holds every wanted string.
func (s *lambdaSuite) waitLogs(t testing.TB, group string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		text := s.logText(t, group)
		var missing []string
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("log group %s lacks %q after %v; it holds:\n%s", group, missing, pollTimeout, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// trailRecord is the part of a CloudTrail record the tests look at.
type trailRecord struct {
	EventName       string `json:"eventName"`
	EventSource     string `json:"eventSource"`
	ErrorCode       string `json:"errorCode"`
	ErrorMessage    string `json:"errorMessage"`
	SourceIPAddress string `json:"sourceIPAddress"`
	UserIdentity    struct {
		Type      string `json:"type"`
		ARN       string `json:"arn"`
		InvokedBy string `json:"invokedBy"`
	} `json:"userIdentity"`
	RequestParameters map[string]any `json:"requestParameters"`
	raw               string
}

// waitTrail polls LookupEvents for events of a name until one matches.
func (s *lambdaSuite) waitTrail(t testing.TB, eventName string, match func(*trailRecord) bool) *trailRecord {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(pollTimeout)
	for {
		s.srv.Recorder().Flush(ctx)
		var seen []string
		p := cloudtrail.NewLookupEventsPaginator(s.trail, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
			AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(eventName)}}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("LookupEvents %s: %v", eventName, err)
			}
			for _, e := range page.Events {
				raw := aws.ToString(e.CloudTrailEvent)
				r := &trailRecord{raw: raw}
				if err := json.Unmarshal([]byte(raw), r); err != nil {
					t.Fatalf("CloudTrail event %s: %v", raw, err)
				}
				if match(r) {
					return r
				}
				seen = append(seen, raw)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching %s event after %v; seen:\n%s", eventName, pollTimeout, strings.Join(seen, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
