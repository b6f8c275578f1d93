package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

const (
	rootKey    = "AKIAKILLTESTKILLTEST"
	rootSecret = "kill-test-secret"
)

var servingLine = regexp.MustCompile(`rolecall is serving on (http://\S+)`)

// start runs the rolecall binary on a free port and returns its endpoint;
// extra are more flags.
func start(t *testing.T, bin, dataDir string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--data-dir", dataDir}, extra...)...)
	cmd.Env = append(os.Environ(), "ROLECALL_ROOT_ACCESS_KEY_ID="+rootKey, "ROLECALL_ROOT_SECRET_ACCESS_KEY="+rootSecret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case ep := <-found:
		return cmd, ep
	case <-time.After(60 * time.Second):
		t.Fatal("rolecall did not print its banner")
	}
	return nil, ""
}

// build builds the rolecall binary for a test.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rolecall")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func iamClient(endpoint string) *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(rootKey, rootSecret, ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

// TestKilledProcessLosesNoAcknowledgedWrite kills rolecall with SIGKILL right
// after a write was acknowledged, and finds the write after a restart; then
// checks that SIGINT shuts down cleanly.
func TestKilledProcessLosesNoAcknowledgedWrite(t *testing.T) {
	bin := build(t)
	data := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

	cmd, ep := start(t, bin, data)
	for _, name := range []string{"r1", "r2", "r3"} {
		if _, err := iamClient(ep).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	cmd, ep = start(t, bin, data)
	for _, name := range []string{"r1", "r2", "r3"} {
		if _, err := iamClient(ep).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); err != nil {
			t.Fatalf("role %s lost after SIGKILL: %v", name, err)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown on SIGINT: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("rolecall did not stop on SIGINT")
	}
}
