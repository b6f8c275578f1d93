package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// runBin runs the rolecall binary with args and stdin, and returns its
// stdout, stderr and exit code.
func runBin(t *testing.T, bin, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestVersionAndHelp: version, --version, help, -h and --help exit 0 and
// print on stdout; help names every verb, and each verb's help its usage;
// a bad flag or verb exits 1 with the usage or the error on stderr.
func TestVersionAndHelp(t *testing.T) {
	bin := build(t)
	versionLine := regexp.MustCompile(`^rolecall \S+ .*` + regexp.QuoteMeta(runtime.Version()) + ` ` + runtime.GOOS + `/` + runtime.GOARCH + "\n$")
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}, {"--addr", "127.0.0.1:0", "--version"}} {
		out, errOut, code := runBin(t, bin, "", args...)
		if code != 0 || !versionLine.MatchString(out) || errOut != "" {
			t.Errorf("rolecall %v: exit %d, stdout %q, stderr %q; want 0 and one version line", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}, {"--data-dir", "x", "--help"}} {
		out, errOut, code := runBin(t, bin, "", args...)
		if code != 0 || errOut != "" {
			t.Errorf("rolecall %v: exit %d, stderr %q; want 0 and nothing on stderr", args, code, errOut)
		}
		for _, want := range []string{"rolecall trail", "rolecall policy lint", "rolecall reset", "rolecall credentials", "rolecall version", "rolecall help", "-log-requests", "-database-url", "/_rolecall/health"} {
			if !strings.Contains(out, want) {
				t.Errorf("rolecall %v does not mention %q:\n%s", args, want, out)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "trail"}, "Usage: rolecall trail"},
		{[]string{"trail", "-h"}, "Usage: rolecall trail"},
		{[]string{"trail", "--help"}, "-principal"},
		{[]string{"help", "policy"}, "Usage: rolecall policy lint"},
		{[]string{"policy", "--help"}, "Usage: rolecall policy lint"},
		{[]string{"policy", "lint", "-h"}, "Usage: rolecall policy lint"},
		{[]string{"help", "reset"}, "Usage: rolecall reset"},
		{[]string{"reset", "--help"}, "-yes"},
		{[]string{"help", "version"}, "Usage: rolecall version"},
		{[]string{"help", "credentials"}, "Usage: rolecall credentials"},
		{[]string{"credentials", "--help"}, "credential_process"},
	} {
		out, errOut, code := runBin(t, bin, "", tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) || errOut != "" {
			t.Errorf("rolecall %v: exit %d, stdout %q, stderr %q; want 0 and %q on stdout", tc.args, code, out, errOut, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"serve"}, `unexpected argument "serve"`},
		{[]string{"help", "nosuch"}, `no verb "nosuch"`},
		{[]string{"version", "extra"}, "unexpected argument"},
		{[]string{"reset", "--bogus"}, "flag provided but not defined"},
		{[]string{"--log-requests", "loud"}, "must be all, errors or off"},
		{[]string{"reset", "--data-dir", "/nonexistent/rolecall", "--yes"}, "no rolecall database at /nonexistent/rolecall/rolecall.db"},
	} {
		out, errOut, code := runBin(t, bin, "", tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("rolecall %v: exit %d, stdout %q, stderr %q; want 1 and %q on stderr", tc.args, code, out, errOut, tc.want)
		}
	}
}

// node is a rolecall process started without root credentials in its
// environment, so that they come from its database, as a user's do.
type node struct {
	cmd         *exec.Cmd
	endpoint    string
	key, secret string
	stderr      *strings.Builder
	dataDir     string
	banner      string // up to the root secret key's line
}

var bannerField = regexp.MustCompile(`^\s+(root access key|root secret key)\s+(.+)$`)

// startNode starts rolecall on dataDir with extra flags and reads its
// banner: the root secret key from it at the first start, else from the
// credentials verb.
func startNode(t *testing.T, bin, dataDir string, extra ...string) *node {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--data-dir", dataDir}, extra...)...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROLECALL_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd, stderr: new(strings.Builder), dataDir: dataDir}
	cmd.Stderr = n.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		var banner strings.Builder
		for sc.Scan() {
			line := sc.Text()
			banner.WriteString(line + "\n")
			if m := servingLine.FindStringSubmatch(line); m != nil {
				n.endpoint = m[1]
			}
			if m := bannerField.FindStringSubmatch(line); m != nil {
				if m[1] == "root access key" {
					n.key = m[2]
				} else {
					if !strings.Contains(m[2], " ") {
						n.secret = m[2]
					}
					n.banner = banner.String()
					close(ready)
					break
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("rolecall did not print its banner; stderr:\n%s", n.stderr.String())
	}
	if n.secret == "" {
		n.secret = readRootSecret(t, bin, dataDir, extra...)
	}
	return n
}

// readRootSecret runs the credentials verb on dataDir and the database and
// key flags of extra, and returns the root secret key.
func readRootSecret(t *testing.T, bin, dataDir string, extra ...string) string {
	t.Helper()
	args := []string{"credentials", "--json", "--data-dir", dataDir}
	for i := 0; i+1 < len(extra); i++ {
		if extra[i] == "--database-url" || extra[i] == "--key-file" {
			args = append(args, extra[i], extra[i+1])
		}
	}
	out, errOut, code := runBin(t, bin, "", args...)
	var c struct {
		Version                      int
		AccessKeyId, SecretAccessKey string
	}
	if err := json.Unmarshal([]byte(out), &c); code != 0 || err != nil || c.Version != 1 || c.SecretAccessKey == "" {
		t.Fatalf("rolecall %v: exit %d, %v, stdout %q, stderr %q", args, code, err, out, errOut)
	}
	return c.SecretAccessKey
}

func (n *node) config() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(n.key, n.secret, ""),
		BaseEndpoint:     aws.String(n.endpoint),
		RetryMaxAttempts: 1,
	}
}

// stop stops the node with SIGINT.
func (n *node) stop(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Wait(); err != nil {
		t.Fatalf("rolecall on SIGINT: %v\n%s", err, n.stderr.String())
	}
}

// TestResetSQLite: reset is refused while a server runs on the data
// directory, asks before it changes anything, and then leaves nothing but
// the root credentials: the root key of the banner works after a restart,
// and users, their keys, roles, functions and their code, logs and the
// trail are gone.
func TestResetSQLite(t *testing.T) {
	testReset(t, nil)
}

// TestResetPostgres: the same on a shared PostgreSQL database.
func TestResetPostgres(t *testing.T) {
	u := pgtest.URL(t)
	testReset(t, []string{"--database-url", u, "--key-file", filepath.Join(t.TempDir(), "server.key")})
}

func testReset(t *testing.T, dbFlags []string) {
	bin := build(t)
	code := goFunctionZip(t)
	data := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	n := startNode(t, bin, data, dbFlags...)
	rootKey, rootSecret := n.key, n.secret
	admin := iam.NewFromConfig(n.config())
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	devKey, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-role"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("fn-role"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}); err != nil {
		t.Fatal(err)
	}
	fns := lambda.NewFromConfig(n.config())
	if _, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("hello"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code},
	}); err != nil {
		t.Fatal(err)
	}
	waiter := lambda.NewFunctionActiveV2Waiter(fns, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := fns.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hello"), Payload: []byte(`{"action":"whoami"}`)}); err != nil {
		t.Fatal(err)
	}
	logs := cloudwatchlogs.NewFromConfig(n.config())
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("mine")}); err != nil {
		t.Fatal(err)
	}
	if m, err := cloudwatch.NewFromConfig(n.config()).ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/Lambda")}); err != nil || len(m.Metrics) == 0 {
		t.Fatalf("Lambda's metrics before the reset: %v, %v", m, err)
	}
	if entries, err := os.ReadDir(filepath.Join(data, "code")); err != nil || len(entries) == 0 {
		t.Fatalf("no unpacked code in the data directory before the reset: %v", err)
	}

	resetArgs := append([]string{"reset", "--data-dir", data}, dbFlags[:min(len(dbFlags), 2)]...)
	_, errOut, exit := runBin(t, bin, "", append(resetArgs, "--yes")...)
	if exit != 1 || !strings.Contains(errOut, "a rolecall server is running on this data directory") {
		t.Fatalf("reset beside a running server: exit %d, %q; want it refused", exit, errOut)
	}
	if _, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatalf("the refused reset changed something: %v", err)
	}
	n.stop(t)

	_, errOut, exit = runBin(t, bin, "no\n", resetArgs...)
	if exit != 1 || !strings.Contains(errOut, "Type yes to go on") || !strings.Contains(errOut, "not confirmed") {
		t.Fatalf("reset answered no: exit %d, %q", exit, errOut)
	}
	if lines, err := runTrailVerb(t, append([]string{"--data-dir", data}, dbFlags[:min(len(dbFlags), 2)]...)...); err != nil || len(lines) == 0 {
		t.Fatalf("the trail after an unconfirmed reset: %d events, %v", len(lines), err)
	}
	out, errOut, exit := runBin(t, bin, "yes\n", resetArgs...)
	if exit != 0 || !strings.Contains(out, "the root credentials and the server key are kept") {
		t.Fatalf("reset: exit %d, stdout %q, stderr %q", exit, out, errOut)
	}
	if lines, err := runTrailVerb(t, append([]string{"--data-dir", data}, dbFlags[:min(len(dbFlags), 2)]...)...); err != nil || len(lines) != 0 {
		t.Fatalf("the trail after the reset: %d events, %v; want none", len(lines), err)
	}
	if _, err := os.Stat(filepath.Join(data, "code")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unpacked code after the reset: %v", err)
	}

	n = startNode(t, bin, data, dbFlags...)
	if n.key != rootKey || n.secret != rootSecret {
		t.Fatalf("root credentials after the reset: %s, want %s as before", n.key, rootKey)
	}
	id, err := sts.NewFromConfig(n.config()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:root" {
		t.Fatalf("the root key after the reset: %v, %v", id, err)
	}
	admin = iam.NewFromConfig(n.config())
	isCode := func(what string, err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Errorf("%s after the reset: %v, want %s", what, err, code)
		}
	}
	_, err = admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dev")})
	isCode("GetUser dev", err, "NoSuchEntity")
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("fn-role")})
	isCode("GetRole fn-role", err, "NoSuchEntity")
	devConfig := n.config()
	devConfig.Credentials = credentials.NewStaticCredentialsProvider(*devKey.AccessKey.AccessKeyId, *devKey.AccessKey.SecretAccessKey, "")
	_, err = sts.NewFromConfig(devConfig).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	isCode("dev's access key", err, "InvalidClientTokenId")
	_, err = lambda.NewFromConfig(n.config()).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	isCode("GetFunction hello", err, "ResourceNotFoundException")
	groups, err := cloudwatchlogs.NewFromConfig(n.config()).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 0 {
		t.Errorf("log groups after the reset: %v, %v", groups, err)
	}
	if m, err := cloudwatch.NewFromConfig(n.config()).ListMetrics(ctx, &cloudwatch.ListMetricsInput{}); err != nil || len(m.Metrics) != 0 {
		t.Errorf("metrics after the reset: %v, %v", m, err)
	}
	// The AWS managed policies are there again, as at a first start.
	if _, err := admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}); err != nil {
		t.Errorf("AWS managed policy after the reset: %v", err)
	}
	events, err := cloudtrail.NewFromConfig(n.config()).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Events {
		if name := aws.ToString(e.EventName); name == "CreateUser" || name == "CreateRole" || name == "CreateFunction20150331" {
			t.Errorf("the trail still holds %s after the reset", name)
		}
	}
	n.stop(t)

	if dbFlags != nil {
		// Without --data-dir, a reset of the shared database leaves the
		// default data directory alone: here that of another server,
		// running (its lock held) with unpacked code.
		config := t.TempDir()
		other := filepath.Join(config, "rolecall")
		if err := os.MkdirAll(filepath.Join(other, "code", "fn"), 0o700); err != nil {
			t.Fatal(err)
		}
		unlock, err := lockDataDir(other)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = unlock() }()
		cmd := exec.Command(bin, "reset", dbFlags[0], dbFlags[1], "--yes")
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+config, "ROLECALL_DATA_DIR=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "rolecall: reset the PostgreSQL database") {
			t.Errorf("reset --database-url beside another server's default data directory: %v, %s", err, out)
		}
		if _, err := os.Stat(filepath.Join(other, "code", "fn")); err != nil {
			t.Errorf("the default data directory's code after a reset of the shared database: %v", err)
		}
	}
}

// TestResetPostgresNodeKeepsRunning: a node that keeps running on a
// PostgreSQL database another machine resets serves the emptied state at
// once: the root key still works, the AWS managed policies are there, and
// the users, keys and roles made before are gone from its caches too.
func TestResetPostgresNodeKeepsRunning(t *testing.T) {
	u := pgtest.URL(t)
	keyFile := filepath.Join(t.TempDir(), "server.key")
	bin := build(t)
	ctx := context.Background()
	n := startNode(t, bin, filepath.Join(t.TempDir(), "data"), "--database-url", u, "--key-file", keyFile)
	admin := iam.NewFromConfig(n.config())
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	devKey, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	devConfig := n.config()
	devConfig.Credentials = credentials.NewStaticCredentialsProvider(*devKey.AccessKey.AccessKeyId, *devKey.AccessKey.SecretAccessKey, "")
	if _, err := sts.NewFromConfig(devConfig).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":"sts:AssumeRole"}]}`
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("dev-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}

	out, errOut, exit := runBin(t, bin, "", "reset", "--data-dir", filepath.Join(t.TempDir(), "elsewhere"), "--database-url", u, "--yes")
	if exit != 0 {
		t.Fatalf("reset: exit %d, stdout %q, stderr %q", exit, out, errOut)
	}

	id, err := sts.NewFromConfig(n.config()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:root" {
		t.Fatalf("the root key on the running node after the reset: %v, %v", id, err)
	}
	isCode := func(what string, err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Errorf("%s after the reset: %v, want %s", what, err, code)
		}
	}
	_, err = admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dev")})
	isCode("GetUser dev", err, "NoSuchEntity")
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("dev-role")})
	isCode("GetRole dev-role", err, "NoSuchEntity")
	_, err = sts.NewFromConfig(devConfig).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	isCode("dev's access key", err, "InvalidClientTokenId")
	if _, err := admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}); err != nil {
		t.Errorf("AWS managed policy on the running node after the reset: %v", err)
	}
	// The running node makes users and roles as before.
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Errorf("CreateUser dev after the reset: %v", err)
	}
	n.stop(t)
}
