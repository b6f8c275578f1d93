// Command go is an example Lambda function for the provided.al2023 runtime.
// Build it as "bootstrap":
//
//	GOOS=linux CGO_ENABLED=0 go build -o bootstrap ./examples/functions/go
//
// The event's "action" chooses what it does:
//
//	{"action":"echo", ...}          returns the event
//	{"action":"whoami"}             returns the caller identity from STS
//	{"action":"sleep","ms":N}       sleeps N milliseconds, or until the invocation's deadline
//	{"action":"hang","ms":N}        sleeps N milliseconds, ignoring the deadline
//	{"action":"crash"}              exits with status 1
//	{"action":"error","message":M}  returns an error
//	{"action":"env","names":[...]}  returns those environment variables (default: a Lambda set)
//	{"action":"spawn","ms":N}       starts a child process that sleeps, then sleeps N ms ignoring the deadline
//	{"action":"alloc","mb":N,"ms":M} touches N MB of memory, then sleeps M ms
//	{"action":"print","lines":[...]} prints lines to stdout and stderr
//	{"action":"big","bytes":N}      returns a string of N bytes
//	{"action":"call","service":"sts|iam|lambda|logs|xray","op":...,"params":{...}} makes one AWS call
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/xray"
	"github.com/aws/smithy-go"
)

// Event is the input of every action.
type Event struct {
	Action  string          `json:"action"`
	MS      int             `json:"ms"`
	MB      int             `json:"mb"`
	Bytes   int             `json:"bytes"`
	Message string          `json:"message"`
	Names   []string        `json:"names"`
	Lines   []string        `json:"lines"`
	Service string          `json:"service"`
	Op      string          `json:"op"`
	Params  json.RawMessage `json:"params"`
}

var defaultEnv = []string{
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV", "_HANDLER",
	"TZ", "LANG", "PATH", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
}

var held [][]byte // memory kept by "alloc"

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	switch ev.Action {
	case "", "echo":
		return raw, nil
	case "whoami":
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, err
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, err
		}
		return map[string]string{"arn": aws.ToString(out.Arn), "account": aws.ToString(out.Account), "userId": aws.ToString(out.UserId)}, nil
	case "sleep":
		return sleep(ctx, ev.MS)
	case "hang":
		time.Sleep(time.Duration(ev.MS) * time.Millisecond)
		return map[string]int{"slept": ev.MS}, nil
	case "crash":
		fmt.Println("crashing")
		os.Exit(1)
	case "error":
		return nil, errors.New(ev.Message)
	case "env":
		names := ev.Names
		if len(names) == 0 {
			names = defaultEnv
		}
		out := map[string]any{}
		for _, n := range names {
			if v, ok := os.LookupEnv(n); ok {
				out[n] = v
			}
		}
		wd, _ := os.Getwd()
		out["_cwd"], out["_uid"], out["_count"] = wd, os.Getuid(), len(os.Environ())
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			out["_requestId"], out["_invokedArn"] = lc.AwsRequestID, lc.InvokedFunctionArn
		}
		return out, nil
	case "spawn":
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "EXAMPLE_CHILD_SLEEP=600")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		fmt.Printf("child %d\n", cmd.Process.Pid)
		time.Sleep(time.Duration(ev.MS) * time.Millisecond) // ignores the deadline

		return map[string]int{"pid": cmd.Process.Pid}, nil
	case "alloc":
		for i := 0; i < ev.MB; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			held = append(held, b)
		}
		return sleep(ctx, ev.MS)
	case "print":
		for i, l := range ev.Lines {
			if i%2 == 0 {
				fmt.Println(l)
			} else {
				fmt.Fprintln(os.Stderr, l)
			}
		}
		return map[string]int{"printed": len(ev.Lines)}, nil
	case "big":
		return strings.Repeat("x", ev.Bytes), nil
	case "call":
		return call(ctx, ev)
	}
	return nil, fmt.Errorf("unknown action %q", ev.Action)
}

func sleep(ctx context.Context, ms int) (any, error) {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return map[string]int{"slept": ms}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// call makes one AWS call and returns its output, or the AWS error code
// and message as data so that access-denied results can be inspected.
func call(ctx context.Context, ev Event) (any, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	var params map[string]string
	if len(ev.Params) > 0 {
		if err := json.Unmarshal(ev.Params, &params); err != nil {
			return nil, err
		}
	}
	var out any
	switch ev.Service + ":" + ev.Op {
	case "sts:GetCallerIdentity":
		out, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	case "sts:AssumeRole":
		var res *sts.AssumeRoleOutput
		res, err = sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(params["RoleArn"]), RoleSessionName: aws.String(params["RoleSessionName"])})
		if err == nil {
			// The assumed role's identity, not its secrets.
			out = res.AssumedRoleUser
		}
	case "iam:GetRole":
		out, err = iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(params["RoleName"])})
	case "iam:ListRoles":
		out, err = iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
	case "lambda:ListFunctions":
		out, err = awslambda.NewFromConfig(cfg).ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	case "lambda:GetFunction":
		out, err = awslambda.NewFromConfig(cfg).GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String(params["FunctionName"])})
	case "xray:PutTraceSegments":
		out, err = xray.NewFromConfig(cfg).PutTraceSegments(ctx, &xray.PutTraceSegmentsInput{TraceSegmentDocuments: []string{params["Document"]}})
	case "logs:DescribeLogGroups":
		out, err = cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	default:
		return nil, fmt.Errorf("unsupported call %s:%s", ev.Service, ev.Op)
	}
	if apiErr, ok := errors.AsType[smithy.APIError](err); ok {
		return map[string]string{"error": apiErr.ErrorCode(), "message": apiErr.ErrorMessage()}, nil
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"output": out}, nil
}

func main() {
	if s := os.Getenv("EXAMPLE_CHILD_SLEEP"); s != "" {
		n, _ := strconv.Atoi(s)
		time.Sleep(time.Duration(n) * time.Second)
		return
	}
	lambda.Start(handle)
}
