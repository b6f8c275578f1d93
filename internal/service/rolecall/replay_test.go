package rolecall_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// call sends a signed request to rolecall's API with cfg's credentials and
// returns the status, the error type and the decoded answer.
func call(t *testing.T, cfg aws.Config, method, path, body string) (int, string, map[string]any) {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, method, aws.ToString(cfg.BaseEndpoint)+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "rolecall", cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	typ, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
	return resp.StatusCode, typ, out
}

// newUser makes user name with an inline policy and returns its
// configuration.
func newUser(t *testing.T, srv *servertest.Server, name, doc string) aws.Config {
	t.Helper()
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Config(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
}

// TestReplayPolicyAPI: ReplayPolicy replays a user's recorded calls
// against the removal of its policy (the calls it made are newly denied,
// counted); bad input is refused with the error that says what is wrong,
// before authorization; the caller needs iam:SimulatePrincipalPolicy on
// the principal and cloudtrail:LookupEvents.
func TestReplayPolicyAPI(t *testing.T) {
	ctx := context.Background()
	srv := servertest.Start(t)
	root := srv.RootConfig()
	start := time.Now().Add(-time.Second).Unix()
	lister := newUser(t, srv, "lister", `{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"dynamodb:ListTables","Resource":"*"}]}`)
	for range 3 {
		if _, err := dynamodb.NewFromConfig(lister).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	user := "arn:aws:iam::123456789012:user/lister"
	body := func(extra string) string {
		return `{"principalArn":"` + user + `","startTime":` + jsonInt(start) + `,"endTime":` + jsonInt(time.Now().Add(time.Minute).Unix()) + extra + `}`
	}
	remove := body(`,"changes":[{"policyType":"INLINE","policyName":"p","remove":true}]`)

	var out map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var st int
		st, _, out = call(t, root, "POST", "/v1/replay", remove)
		if st != 200 {
			t.Fatalf("ReplayPolicy: %d %v", st, out)
		}
		if out["evaluated"].(float64) >= 3 || time.Now().After(deadline) {
			break
		}
	}
	denied, _ := out["newlyDenied"].([]any)
	if len(denied) != 1 {
		t.Fatalf("newlyDenied %v; want the ListTables calls", out["newlyDenied"])
	}
	it := denied[0].(map[string]any)
	if it["action"] != "dynamodb:ListTables" || it["count"].(float64) != 3 || it["recorded"] != "Allow" || it["proposed"] != "ImplicitDeny" ||
		it["eventSource"] != "dynamodb.amazonaws.com" || it["eventName"] != "ListTables" || it["firstEventId"] == "" {
		t.Errorf("item %v", it)
	}
	if out["principalArn"] != user || len(out["newlyAllowed"].([]any)) != 0 {
		t.Errorf("answer %v", out)
	}

	for _, tc := range []struct {
		body, code, say string
		status          int
	}{
		{body(`,"changes":[{"policyType":"INLINE","policyName":"p","remove":true}],"PrincipalArn":"x"`), "SerializationException", "Unrecognized member PrincipalArn", 400},
		{body(`,"changes":[{"policyType":"INLINE","policyName":"p","Remove":true}]`), "SerializationException", "Unrecognized member changes[].Remove", 400},
		{body(`,"changes":[{"policyType":"INLINE","policyName":"p","remove":"yes"}]`), "SerializationException", "", 400},
		{`{"principalArn":"` + user + `","changes":[{"policyType":"SCP","policyDocument":"{}"}]}`, "ValidationException", "startTime and endTime are required", 400},
		{body(``), "ValidationException", "at least one change", 400},
		{strings.Replace(remove, user, "arn:aws:s3:::b", 1), "ValidationException", "not the ARN of an IAM role or user", 400},
		{body(`,"changes":[{"policyType":"INLINE","policyName":"p","policyDocument":"{\"Statement\":[]}"}]`), "ValidationException", "changes[0].policyDocument", 400},
		{strings.Replace(remove, "user/lister", "role/nosuch", 1), "ResourceNotFoundException", "arn:aws:iam::123456789012:role/nosuch", 404},
		{strings.Replace(remove, "user/lister", "user/nosuch", 1), "ResourceNotFoundException", "", 404},
	} {
		st, code, out := call(t, root, "POST", "/v1/replay", tc.body)
		if st != tc.status || code != tc.code || !strings.Contains(out["message"].(string), tc.say) {
			t.Errorf("%s: %d %s %v; want %d %s saying %q", tc.body, st, code, out, tc.status, tc.code, tc.say)
		}
		if code == "ResourceNotFoundException" && (out["resourceId"] == nil || out["resourceType"] == nil) {
			t.Errorf("%s: no resourceId and resourceType in %v", tc.body, out)
		}
	}

	simulateOnly := newUser(t, srv, "sim", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"`+user+`"}]}`)
	trailOnly := newUser(t, srv, "trail", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}`)
	both := newUser(t, srv, "both", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:LookupEvents","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`)
	for _, tc := range []struct {
		cfg    aws.Config
		status int
		say    string
	}{
		{simulateOnly, 403, "cloudtrail:LookupEvents"},
		{trailOnly, 403, "iam:SimulatePrincipalPolicy on resource: " + user},
		{both, 200, ""},
	} {
		st, _, out := call(t, tc.cfg, "POST", "/v1/replay", remove)
		msg, _ := out["message"].(string)
		if st != tc.status || !strings.Contains(msg, tc.say) {
			t.Errorf("%d %v; want %d saying %q", st, out, tc.status, tc.say)
		}
	}
	// The refused input was refused before authorization: an unknown
	// member gets the same answer from a caller with no permissions.
	if st, code, _ := call(t, trailOnly, "POST", "/v1/replay", body(`,"changes":[],"extra":1`)); st != 400 || code != "SerializationException" {
		t.Errorf("bad input from an unauthorized caller: %d %s", st, code)
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
