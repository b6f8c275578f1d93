package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestConsoleFeaturePreview: GET /v1/feature-permissions/{Feature} answers
// the statement AddFeaturePermissions then merges into the role's feature
// policy, and refuses an unknown feature, an ARN of another account and an
// unknown query parameter with a ValidationException, changing nothing.
func TestConsoleFeaturePreview(t *testing.T) {
	s := newLambdaSuite(t)
	s.role(t, "preview-fn", lambdaTrust, basicExecRole)
	type stmt struct {
		Sid      string   `json:"Sid"`
		Effect   string   `json:"Effect"`
		Action   []string `json:"Action"`
		Resource []string `json:"Resource"`
	}
	preview := func(feature, arn string) stmt {
		t.Helper()
		path := "/v1/feature-permissions/" + feature
		if arn != "" {
			path += "?resourceArn=" + url.QueryEscape(arn)
		}
		var out struct {
			Feature   string `json:"feature"`
			Statement stmt   `json:"statement"`
		}
		if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, path, nil, &out); st != 200 || out.Feature != feature {
			t.Fatalf("GetFeaturePermissions %s: %d %s %s %+v", feature, st, code, msg, out)
		}
		return out.Statement
	}
	tracing := preview("tracing", "")
	if tracing.Sid != "Tracing" || !slices.Equal(tracing.Action, []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}) || !slices.Equal(tracing.Resource, []string{"*"}) {
		t.Errorf("tracing: %+v", tracing)
	}
	queue := "arn:aws:sqs:us-east-1:" + account + ":preview-jobs"
	sqs := preview("event-source", queue)
	if sqs.Sid != "EventSourceSQS" || !slices.Contains(sqs.Action, "sqs:ReceiveMessage") || !slices.Equal(sqs.Resource, []string{queue}) {
		t.Errorf("event source: %+v", sqs)
	}

	// What AddFeaturePermissions writes is the statement previewed.
	var added struct {
		Document string `json:"policyDocument"`
	}
	if st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodPost, "/v1/roles/preview-fn/feature-permissions",
		map[string]string{"feature": "event-source", "resourceArn": queue}, &added); st != 200 {
		t.Fatalf("AddFeaturePermissions: %d %s %s", st, code, msg)
	}
	var doc struct{ Statement []stmt }
	if err := json.Unmarshal([]byte(added.Document), &doc); err != nil || len(doc.Statement) != 1 {
		t.Fatalf("policy document %s: %v", added.Document, err)
	}
	if got := doc.Statement[0]; got.Sid != sqs.Sid || !slices.Equal(got.Action, sqs.Action) || !slices.Equal(got.Resource, sqs.Resource) {
		t.Errorf("added %+v, previewed %+v", got, sqs)
	}

	for _, bad := range []struct{ path, msg string }{
		{"/v1/feature-permissions/teleport", "feature must be one of"},
		{"/v1/feature-permissions/event-source?resourceArn=" + url.QueryEscape("arn:aws:sqs:us-east-1:999999999999:q"), "is not in the account"},
		{"/v1/feature-permissions/tracing?resourceArn=" + url.QueryEscape(queue), "takes no resourceArn"},
		{"/v1/feature-permissions/tracing?role=x", "Unknown query parameter role"},
	} {
		st, code, msg := consoleCall(t, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, bad.path, nil, nil)
		if st != 400 || code != "ValidationException" || !strings.Contains(msg, bad.msg) {
			t.Errorf("GET %s: %d %s %q, want 400 ValidationException %q", bad.path, st, code, msg, bad.msg)
		}
	}
}
