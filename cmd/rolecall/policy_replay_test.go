package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// runClient runs the binary as a client of the server at endpoint with
// the root credentials in the standard environment variables, and no
// other AWS settings.
func runClient(t *testing.T, bin, endpoint string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "ROLECALL_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+home, "AWS_ENDPOINT_URL="+endpoint, "AWS_ACCESS_KEY_ID="+rootKey,
		"AWS_SECRET_ACCESS_KEY="+rootSecret, "AWS_REGION=us-east-1")
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

// TestPolicyReplayAndCheckVerbs: policy replay prints the recorded calls a
// change would deny, as JSON and as a table, and exits 0; policy check
// exits 1 naming them, and 0 with "ok" for a change that denies nothing;
// flags that name no change are refused.
func TestPolicyReplayAndCheckVerbs(t *testing.T) {
	bin := build(t)
	_, ep := start(t, bin, filepath.Join(t.TempDir(), "data"))
	ctx := context.Background()
	admin := iamClient(ep)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("lister")}); err != nil {
		t.Fatal(err)
	}
	both := `{"Version":"2012-10-17","Statement":[{"Sid":"Lists","Effect":"Allow","Action":["dynamodb:ListTables","s3:ListAllMyBuckets"],"Resource":"*"}]}`
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("lister"), PolicyName: aws.String("lists"), PolicyDocument: aws.String(both)}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("lister")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rootConfig(ep)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	for range 3 {
		if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}
	s3Only := write("s3.json", `{"Version":"2012-10-17","Statement":[{"Sid":"Buckets","Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`)
	same := write("same.json", both)
	user := "arn:aws:iam::123456789012:user/lister"
	change := []string{"--principal", user, "--since", "1h", "--policy-name", "lists", "--policy-document"}

	var out replayOutput
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		stdout, stderr, code := runClient(t, bin, ep, append([]string{"policy", "replay", "--output", "json"}, append(change, s3Only)...)...)
		if code != 0 {
			t.Fatalf("policy replay: exit %d, %s", code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("policy replay --output json: %v: %q", err, stdout)
		}
		if out.Evaluated >= 5 || time.Now().After(deadline) {
			break
		}
	}
	if len(out.NewlyDenied) != 1 || out.NewlyDenied[0].Action != "dynamodb:ListTables" || out.NewlyDenied[0].Count != 3 ||
		out.NewlyDenied[0].Proposed != "ImplicitDeny" || len(out.NewlyAllowed) != 0 || out.Evaluated != 5 {
		t.Errorf("policy replay: %+v; want the 3 ListTables calls of 5", out)
	}

	stdout, stderr, code := runClient(t, bin, ep, append([]string{"policy", "replay"}, append(change, s3Only)...)...)
	if code != 0 || !strings.Contains(stdout, "Newly denied: 3") || !strings.Contains(stdout, "dynamodb:ListTables") ||
		!strings.Contains(stdout, "no statement allows") || !strings.Contains(stdout, "Replayed 5 recorded decisions of "+user) {
		t.Errorf("policy replay table: exit %d\n%s%s", code, stdout, stderr)
	}

	// A boundary that leaves DynamoDB out denies the ListTables calls the
	// inline policy still allows: the boundary decides, not that policy.
	s3Boundary := write("boundary.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	boundary := []string{"policy", "replay", "--principal", user, "--since", "1h", "--boundary", "--policy-document", s3Boundary}
	stdout, stderr, code = runClient(t, bin, ep, boundary...)
	if code != 0 || !strings.Contains(stdout, "Newly denied: 3") ||
		!strings.Contains(stdout, "no permissions boundary allows the dynamodb:ListTables action") || strings.Contains(stdout, "Allow lists") {
		t.Errorf("policy replay of a boundary, table: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runClient(t, bin, ep, append(boundary, "--output", "json")...)
	out = replayOutput{}
	if err := json.Unmarshal([]byte(stdout), &out); code != 0 || err != nil || len(out.NewlyDenied) != 1 ||
		!strings.Contains(out.NewlyDenied[0].Reason, "no permissions boundary allows") {
		t.Errorf("policy replay of a boundary, json: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}

	stdout, stderr, code = runClient(t, bin, ep, append([]string{"policy", "check"}, append(change, s3Only)...)...)
	if code != 1 || !strings.Contains(stderr, "the change would deny 3 recorded requests of "+user) || !strings.Contains(stdout, "dynamodb:ListTables") {
		t.Errorf("policy check of a breaking change: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runClient(t, bin, ep, append([]string{"policy", "check"}, append(change, same)...)...)
	if code != 0 || stdout != "ok\n" {
		t.Errorf("policy check of a harmless change: exit %d, %q %s", code, stdout, stderr)
	}

	// Without a change, check compares the grants with the traffic: the
	// user used all it may do, then is given more than it used.
	principal := []string{"policy", "check", "--principal", user, "--since", "1h"}
	if stdout, stderr, code := runClient(t, bin, ep, principal...); code != 0 || stdout != "ok\n" {
		t.Errorf("policy check of a user that used all it may do: exit %d, %q %s", code, stdout, stderr)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("lister"), PolicyName: aws.String("more"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:DeleteTable","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = runClient(t, bin, ep, principal...)
	if code != 1 || !strings.Contains(stdout, "dynamodb:DeleteTable") || strings.Contains(stdout, "dynamodb:ListTables") ||
		!strings.Contains(stderr, user+" grants 1 actions its recorded traffic did not use") {
		t.Errorf("policy check of a user granted more than it used: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = runClient(t, bin, ep, append(principal, "--output", "json")...)
	var check checkOutput
	if err := json.Unmarshal([]byte(stdout), &check); code != 1 || err != nil || check.OK || check.Unused == nil || len(check.Unused.Unused) != 1 {
		t.Errorf("policy check --output json: exit %d, %v, %q", code, err, stdout)
	}

	for _, tc := range []struct {
		args []string
		say  string
	}{
		{[]string{"policy", "replay", "--principal", user}, "name one policy the change is to"},
		{[]string{"policy", "replay", "--principal", user, "--policy-name", "lists"}, "give the proposed --policy-document"},
		{[]string{"policy", "replay", "--principal", user, "--boundary", "--scp", "--policy-document", same}, "name one policy"},
		{[]string{"policy", "replay", "--principal", user, "--remove", "--scp"}, "--remove is for --policy-name or --policy-arn"},
		{[]string{"policy", "replay", "--principal", user, "--policy-name", "nosuch", "--remove"}, "has no inline policy nosuch"},
		{[]string{"policy", "replay", "--role", "nosuch", "--policy-name", "p", "--policy-document", same}, "role nosuch"},
		{[]string{"policy", "check", "--principal", user, "--since", "soon"}, "--since"},
	} {
		_, stderr, code := runClient(t, bin, ep, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.say) {
			t.Errorf("rolecall %v: exit %d, %q; want 1 saying %q", tc.args, code, stderr, tc.say)
		}
	}
	if stdout, _, code := runClient(t, bin, ep, "policy", "check", "-h"); code != 0 || !strings.Contains(stdout, "grant actions its recorded traffic") {
		t.Errorf("policy check -h: exit %d, %q", code, stdout)
	}
}
