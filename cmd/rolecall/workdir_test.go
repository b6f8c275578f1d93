package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestKilledServerLeavesNoCodeBehind: the work directory of a server
// killed with SIGKILL, with the function code it unpacked and staged for
// its execution environments, is removed when the next server starts.
func TestKilledServerLeavesNoCodeBehind(t *testing.T) {
	bin := build(t)
	code := goFunctionZip(t)
	tmp := t.TempDir()
	// Functions' users must reach the work directory under TMPDIR.
	for d := tmp; d != filepath.Clean(os.TempDir()) && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("TMPDIR", tmp)
	data := filepath.Join(t.TempDir(), "data")
	workDirs := func() []string {
		m, err := filepath.Glob(filepath.Join(tmp, "rolecall-envs-*"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	cmd, ep := start(t, bin, data)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := iam.NewFromConfig(rootConfig(ep)).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("leftover-role"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	fn := lambda.NewFromConfig(rootConfig(ep))
	if _, err := fn.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("leftover"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code}, Timeout: aws.Int32(3),
	}); err != nil {
		t.Fatal(err)
	}
	waiter := lambda.NewFunctionActiveV2Waiter(fn, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("leftover")}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	out, err := fn.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("leftover"), Payload: []byte(`{"action":"echo"}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("invoke: %v %s", err, out.Payload)
	}
	before := workDirs()
	if len(before) != 1 {
		t.Fatalf("work directories of the first server: %v", before)
	}
	if os.Geteuid() == 0 {
		// The code, unreadable by the functions' users in the data
		// directory, was staged there.
		if staged, _ := os.ReadDir(filepath.Join(before[0], "code")); len(staged) == 0 {
			t.Fatalf("no staged code in %s", before[0])
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed

	if left := workDirs(); len(left) != 1 || left[0] != before[0] {
		t.Fatalf("after SIGKILL: %v", left)
	}
	start(t, bin, data)
	after := workDirs()
	if len(after) != 1 || after[0] == before[0] {
		t.Fatalf("after the restart, the work directories are %v (the killed server's was %s)", after, before[0])
	}
	if _, err := os.Stat(before[0]); !os.IsNotExist(err) {
		t.Errorf("the killed server's %s is still there: %v", before[0], err)
	}
}
