package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// rootConfig is a configuration with the test's root credentials.
func rootConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(rootKey, rootSecret, ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
}

// goFunctionZip builds the Go example function and returns its
// deployment package.
func goFunctionZip(t *testing.T) []byte {
	t.Helper()
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", bootstrap, "./examples/functions/go")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the example function: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bin); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEventInvokeSurvivesKilledNode: an Event invocation accepted by node
// A, which is killed with SIGKILL right after answering 202, or while it
// runs the invocation, runs on node B, started after the kill (once A's
// lease on it ends): at least once, as Lambda promises, and not over and
// over.
func TestEventInvokeSurvivesKilledNode(t *testing.T) {
	bin := build(t)
	code := goFunctionZip(t)
	// At once: A most likely has not taken the invocation yet. While
	// running: A has, and B waits for A's lease on it to end.
	for _, tc := range []struct {
		name string
		wait time.Duration
	}{{"KilledAtOnce", 0}, {"KilledWhileRunning", 700 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) { testEventSurvivesKill(t, bin, code, tc.wait) })
	}
}

func testEventSurvivesKill(t *testing.T, bin string, code []byte, wait time.Duration) {
	u := pgtest.URL(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	cmdA, epA := start(t, bin, filepath.Join(t.TempDir(), "a"), "--database-url", u, "--key-file", keyFile)
	ctx := context.Background()

	const name = "event-survivor"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	admin := iam.NewFromConfig(rootConfig(epA))
	role, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("event-role"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("event-role"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}); err != nil {
		t.Fatal(err)
	}
	onA := lambda.NewFromConfig(rootConfig(epA))
	if _, err := onA.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code}, Timeout: aws.Int32(3),
	}); err != nil {
		t.Fatal(err)
	}
	waiter := lambda.NewFunctionActiveV2Waiter(onA, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}

	// The invocation takes 2s: A, which starts it at once, is killed
	// before it ends, so only another node can finish it.
	payload, _ := json.Marshal(map[string]any{"action": "sleep", "ms": 2000})
	out, err := onA.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: lambdatypes.InvocationTypeEvent, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 202 {
		t.Fatalf("Event invoke: status %d", out.StatusCode)
	}
	time.Sleep(wait)
	if err := cmdA.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmdA.Wait()
	killedAt := time.Now()
	// B starts only now: whatever A had taken, it is B's to finish.
	_, epB := start(t, bin, filepath.Join(t.TempDir(), "b"), "--database-url", u, "--key-file", keyFile)
	requestID, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if !ok || requestID == "" {
		t.Fatal("the Event invoke answered no request id")
	}
	marker := "REPORT RequestId: " + requestID

	logs := cloudwatchlogs.NewFromConfig(rootConfig(epB))
	runs := func() int {
		n := 0
		p := cloudwatchlogs.NewFilterLogEventsPaginator(logs, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/" + name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if strings.Contains(err.Error(), "ResourceNotFoundException") {
					return 0 // no log group yet
				}
				t.Fatal(err)
			}
			for _, e := range page.Events {
				if strings.Contains(aws.ToString(e.Message), marker) {
					n++
				}
			}
		}
		return n
	}
	deadline := time.Now().Add(2 * time.Minute)
	for runs() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the Event invocation accepted by the killed node never ran")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("ran on the surviving node %v after the kill", time.Since(killedAt).Round(time.Millisecond))
	// Once it has run to its end on B, it is done: it does not run again.
	time.Sleep(5 * time.Second)
	if n := runs(); n != 1 {
		t.Errorf("the invocation ran to its end %d times", n)
	}
}
