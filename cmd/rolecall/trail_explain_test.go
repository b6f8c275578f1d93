package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestTrailExplainVerb: trail explain prints why a user's call was
// denied and the fix, as a table and as JSON; an unknown event fails
// with the API's error.
func TestTrailExplainVerb(t *testing.T) {
	bin := build(t)
	_, ep := start(t, bin, filepath.Join(t.TempDir(), "data"))
	ctx := context.Background()
	admin := iamClient(ep)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nosy")}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nosy")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rootConfig(ep)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil {
		t.Fatal("ListTables without a policy succeeded")
	}
	id := ""
	for deadline := time.Now().Add(30 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, err := cloudtrail.NewFromConfig(rootConfig(ep)).LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
			AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("ListTables")}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) > 0 {
			id = aws.ToString(out.Events[0].EventId)
		}
	}
	if id == "" {
		t.Fatal("no ListTables event")
	}
	stdout, stderr, code := runClient(t, bin, ep, "trail", "explain", id)
	if code != 0 {
		t.Fatalf("trail explain: exit %d: %s", code, stderr)
	}
	words := strings.Join(strings.Fields(stdout), " ")
	for _, want := range []string{"Decision: ImplicitDeny today (recorded ImplicitDeny): because no identity-based policy allows the dynamodb:ListTables action",
		"Missing: an allow in the identity policies", "POLICY KIND MATCHES THE REQUEST (none)", "FIX 1 Add the inline policy", "call iam PutUserPolicy",
		"UserName nosy", "aws:username nosy"} {
		if !strings.Contains(words, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	stdout, stderr, code = runClient(t, bin, ep, "trail", "explain", "--output", "json", id)
	var x explanation
	if code != 0 || json.Unmarshal([]byte(stdout), &x) != nil {
		t.Fatalf("trail explain --output json: exit %d: %s%s", code, stdout, stderr)
	}
	if x.EventId != id || len(x.Fixes) != 1 || x.Fixes[0].Operation == nil || x.Fixes[0].Operation.Action != "PutUserPolicy" {
		t.Errorf("json %+v", x)
	}
	_, stderr, code = runClient(t, bin, ep, "trail", "explain", "no-such-event")
	if code != 1 || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Errorf("an unknown event: exit %d: %s", code, stderr)
	}
}
