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
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/trail"
)

// runEnv runs the binary with only env for its AWS settings, in a home
// directory of its own.
func runEnv(t *testing.T, bin, home string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "ROLECALL_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "HOME="+home), env...)
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

// TestPolicyCheckGate: policy check fails for a user that used an action
// on one resource but is granted it on every one, naming the resource to
// narrow it to, and passes once the grant names that resource. Whatever
// keeps the check from running — an endpoint nothing answers on, a wrong
// secret, flags that contradict each other — exits 1, never 0. The client
// settings work as the AWS CLI's do: --endpoint-url over AWS_ENDPOINT_URL,
// AWS_PROFILE naming a profile of ~/.aws/credentials.
func TestPolicyCheckGate(t *testing.T) {
	bin := build(t)
	_, ep := start(t, bin, filepath.Join(t.TempDir(), "data"))
	ctx := context.Background()
	admin := iamClient(ep)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("reader")}); err != nil {
		t.Fatal(err)
	}
	user := "arn:aws:iam::123456789012:user/reader"
	put := func(resource string) {
		t.Helper()
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"` + resource + `"}]}`
		if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("get"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	put("*")
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("reader")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rootConfig(ep)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	if _, err := iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatal(err)
	}

	check := []string{"policy", "check", "--principal", user, "--since", "1h"}
	var stdout, stderr string
	var code int
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		stdout, stderr, code = runClient(t, bin, ep, check...)
		if code != 0 || time.Now().After(deadline) {
			break
		}
	}
	if code != 1 || !strings.Contains(stderr, user+" grants 1 actions on more resources than its recorded traffic used") ||
		!strings.Contains(stdout, "narrow") || !strings.Contains(stdout, "iam:GetUser") || !strings.Contains(stdout, user) {
		t.Errorf("policy check of a user granted GetUser on every user: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = runClient(t, bin, ep, append(check, "--output", "json")...)
	var out checkOutput
	if err := json.Unmarshal([]byte(stdout), &out); code != 1 || err != nil || out.OK || out.Unused == nil || len(out.Unused.Broad) != 1 ||
		out.Unused.Broad[0].Action != "iam:GetUser" || strings.Join(out.Unused.Broad[0].UsedOn, " ") != user {
		t.Errorf("policy check --output json: exit %d, %v, %s", code, err, stdout)
	}
	if stdout, _, code := runClient(t, bin, ep, "policy", "unused", "--principal", user, "--since", "1h"); code != 0 ||
		!strings.Contains(stdout, "BROAD ACTION") || !strings.Contains(stdout, "iam:GetUser") {
		t.Errorf("policy unused: exit %d\n%s", code, stdout)
	}
	stdout, _, code = runClient(t, bin, ep, "policy", "unused", "--principal", user, "--since", "1h", "--output", "json")
	var unused unusedAnswer
	if err := json.Unmarshal([]byte(stdout), &unused); code != 0 || err != nil || len(unused.Broad) != 1 || len(unused.UsedActions) != 1 {
		t.Errorf("policy unused --output json: exit %d, %v, %s", code, err, stdout)
	}
	put(user)
	if stdout, stderr, code := runClient(t, bin, ep, check...); code != 0 || stdout != "ok\n" {
		t.Errorf("policy check of a user granted exactly what it used: exit %d, %q %s", code, stdout, stderr)
	}

	// The client settings.
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	creds := "[gate]\naws_access_key_id = " + rootKey + "\naws_secret_access_key = " + rootSecret + "\n"
	if err := os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	dead := "http://127.0.0.1:1"
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		say  string
	}{
		{"a profile of the shared credentials", []string{"AWS_PROFILE=gate", "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=" + ep}, nil, 0, ""},
		{"--profile", []string{"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=" + ep}, []string{"--profile", "gate"}, 0, ""},
		{"--endpoint-url over AWS_ENDPOINT_URL", []string{"AWS_PROFILE=gate", "AWS_ENDPOINT_URL=" + dead}, []string{"--endpoint-url", ep}, 0, ""},
		{"nothing answers", []string{"AWS_PROFILE=gate"}, []string{"--endpoint-url", dead}, 1, "connect"},
		{"a wrong secret", []string{"AWS_ACCESS_KEY_ID=" + rootKey, "AWS_SECRET_ACCESS_KEY=wrong", "AWS_ENDPOINT_URL=" + ep}, nil, 1, "signature"},
		{"a profile that does not exist", []string{"AWS_ENDPOINT_URL=" + ep}, []string{"--profile", "nosuch"}, 1, "nosuch"},
		{"--since and --start", []string{"AWS_PROFILE=gate", "AWS_ENDPOINT_URL=" + ep}, []string{"--start", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, 1, "not both"},
		{"--start after --end", []string{"AWS_PROFILE=gate", "AWS_ENDPOINT_URL=" + ep}, []string{"--start", "2026-01-02T00:00:00Z", "--end", "2026-01-01T00:00:00Z"}, 1, "range is empty"},
		{"--since 0s", []string{"AWS_PROFILE=gate", "AWS_ENDPOINT_URL=" + ep}, []string{"--since", "0s"}, 1, "--since"},
		{"--since -1h", []string{"AWS_PROFILE=gate", "AWS_ENDPOINT_URL=" + ep}, []string{"--since", "-1h"}, 1, "--since"},
		{"an unknown flag", []string{"AWS_PROFILE=gate", "AWS_ENDPOINT_URL=" + ep}, []string{"--rol", "x"}, 1, "rol"},
		{"--output yaml", []string{"AWS_PROFILE=gate", "AWS_ENDPOINT_URL=" + ep}, []string{"--output", "yaml"}, 1, "--output"},
	} {
		args := check
		if tc.name == "--start after --end" {
			args = []string{"policy", "check", "--principal", user}
		}
		stdout, stderr, code := runEnv(t, bin, home, tc.env, append(args, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.say) || (tc.code == 0 && stdout != "ok\n") {
			t.Errorf("%s: exit %d, %q %q; want %d saying %q", tc.name, code, stdout, stderr, tc.code, tc.say)
		}
	}
}

// TestPolicyCheckUnreplayable: recorded decisions without a replay record
// (made before such records were kept) cannot be judged, so policy check
// of a change fails rather than vouching for them; policy replay reports
// them.
func TestPolicyCheckUnreplayable(t *testing.T) {
	bin := build(t)
	dir := filepath.Join(t.TempDir(), "data")
	srv, ep := start(t, bin, dir)
	ctx := context.Background()
	admin := iamClient(ep)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("old")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("old"), PolicyName: aws.String("get"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()

	// A call recorded with its decision but no replay record.
	user := "arn:aws:iam::123456789012:user/old"
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	rec := trail.New(st, trail.Options{})
	rec.Record(trail.Entry{Service: &api.Service{Name: "iam", EventSource: "iam.amazonaws.com", Global: true}, Operation: "GetUser",
		Principal: &api.Principal{Type: api.IAMUser, Account: "123456789012", ARN: user, PrincipalID: "AIDAOLD", UserName: "old", AccessKeyID: "AKIAOLD"},
		Decisions: []api.Decision{{Action: "iam:GetUser", Resource: user, Decision: "Allow"}},
		Time:      time.Now().Add(-time.Minute), Account: "123456789012", Region: "us-east-1"})
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	_, ep = start(t, bin, dir)
	docFile := filepath.Join(t.TempDir(), "same.json")
	if err := os.WriteFile(docFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	change := []string{"--principal", user, "--since", "1h", "--policy-name", "get", "--policy-document", "file://" + docFile}
	stdout, stderr, code := runClient(t, bin, ep, append([]string{"policy", "check"}, change...)...)
	if code != 1 || !strings.Contains(stderr, "1 recorded decisions of "+user+" could not be replayed") || !strings.Contains(stdout, "1 had no replay record") {
		t.Errorf("policy check over a decision without a replay record: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runClient(t, bin, ep, append([]string{"policy", "replay", "--output", "json"}, change...)...)
	var out replayOutput
	if err := json.Unmarshal([]byte(stdout), &out); code != 0 || err != nil || out.NotReplayed != 1 || out.Evaluated != 0 {
		t.Errorf("policy replay: exit %d, %v, %s%s", code, err, stdout, stderr)
	}
}
