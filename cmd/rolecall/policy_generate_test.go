package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

// clientEnv points the client verbs at srv with its root credentials, and
// away from any shared configuration of the host.
func clientEnv(t *testing.T, srv *servertest.Server) {
	t.Helper()
	root := srv.Root()
	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint())
	t.Setenv("AWS_ACCESS_KEY_ID", root.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", root.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

func TestPolicyGenerate(t *testing.T) {
	srv := servertest.Start(t)
	clientEnv(t, srv)
	ctx := context.Background()
	ic := iam.NewFromConfig(srv.RootConfig())
	lambdaTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, name := range []string{"app", "untrusted"} {
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(lambdaTrust)}); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().UTC().Add(-time.Hour)
	var rows []store.Access
	for i := range 12 {
		rows = append(rows, store.Access{Time: at, Account: "123456789012", PrincipalARN: "arn:aws:sts::123456789012:assumed-role/app/fn",
			IssuerARN: "arn:aws:iam::123456789012:role/app", EventSource: "s3.amazonaws.com", EventName: "GetObject",
			Action: "s3:GetObject", Resource: "arn:aws:s3:::in/day/" + string(rune('a'+i)), Decision: "Allow", Count: 1})
	}
	if err := srv.Recorder().Store().AppendEvents(ctx, []store.Event{{ID: "e1", Time: at, Name: "GetObject", Source: "s3.amazonaws.com",
		Account: "123456789012", Category: store.CategoryData, Record: []byte(`{}`), Accesses: rows}}); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	if err := run([]string{"policy", "generate", "--role", "app", "--since", "3h", "--output", "json"}, &out, &errOut); err != nil {
		t.Fatalf("generate: %v\n%s", err, errOut.String())
	}
	var got generateOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"S31","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::in/day/*"}]}`
	var compact bytes.Buffer
	if len(got.Policies) != 1 || json.Compact(&compact, got.Policies[0]) != nil || compact.String() != want {
		t.Errorf("policies %s", got.Policies)
	}
	if len(got.Notes) != 1 || got.Notes[0].Kind != "collapsed" || got.Notes[0].Count != 12 {
		t.Errorf("notes %+v", got.Notes)
	}
	if !got.AccessRoleMade || got.AccessRole != "arn:aws:iam::123456789012:role/"+defaultAccessRole {
		t.Errorf("access role %s created %v", got.AccessRole, got.AccessRoleMade)
	}

	// For people, with the policy written and attached; the access role
	// made before is used again.
	out.Reset()
	if err := run([]string{"policy", "generate", "--role", "app", "--since", "3h", "--create-policy", "app-generated", "--attach"}, &out, &errOut); err != nil {
		t.Fatalf("generate --create-policy: %v\n%s", err, errOut.String())
	}
	for _, s := range []string{"S31", "s3:GetObject", "arn:aws:s3:::in/day/*", "[collapsed]", "Created and attached arn:aws:iam::123456789012:policy/app-generated"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
	if strings.Contains(out.String(), "Created the access role") {
		t.Errorf("the access role was made twice:\n%s", out.String())
	}
	att, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "app-generated" {
		t.Errorf("attached: %v %+v", err, att)
	}

	err = run([]string{"policy", "generate", "--role", "app", "--access-role", "arn:aws:iam::123456789012:role/untrusted"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "AUTHORIZATION_ERROR") {
		t.Errorf("untrusted access role: %v", err)
	}
	if err := run([]string{"policy", "generate", "--role", "app", "--attach"}, &out, &errOut); err == nil {
		t.Error("--attach without --create-policy was accepted")
	}
}
