package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rolecall/rolecall/internal/store"
)

// explanationOut is GetEventExplanation's answer as a client reads it.
type explanationOut struct {
	EventId          string
	EventName        string
	Principal        string
	Action           string
	Resource         string
	Decision         string
	RecordedDecision string
	StillDenied      bool
	Reason           string
	Context          []struct {
		Key    string
		Values []string
	}
	Policies []struct {
		Kind, Name, Arn, Document string
		Applies                   bool
	}
	Decisive []struct {
		Kind, PolicyName, PolicyArn, Sid, Effect string
		Index                                    int
		Statement                                json.RawMessage
	}
	Missing string
	Fixes   []explainFix
	Note    string
}

type explainFix struct {
	Description string
	Kind        string
	PolicyName  string
	PolicyArn   string
	Statement   json.RawMessage
	Document    string
	Verified    bool
	Operation   *struct {
		Service, Action string
		Parameters      map[string]string
	}
	AlsoAllows struct {
		Requests []struct {
			EventId, Action, Resource string
		}
		Actions []string
		Note    string
	}
}

// explainFixture is a bucket with two objects and its clients.
type explainFixture struct {
	s  *lambdaSuite
	s3 *s3.Client
}

const explainBucket = "explain-data"

func newExplainFixture(t *testing.T) *explainFixture {
	t.Helper()
	s := newLambdaSuite(t)
	f := &explainFixture{s: s, s3: s3Client(s.srv.RootConfig())}
	ctx := context.Background()
	if _, err := f.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(explainBucket)}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a.txt", "b.txt"} {
		if _, err := f.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(explainBucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// get reads an object as cfg and returns the error code ("" on success).
func (f *explainFixture) get(t *testing.T, cfg aws.Config, key string) string {
	t.Helper()
	out, err := s3Client(cfg).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(explainBucket), Key: aws.String(key)})
	if err != nil {
		return apiCode(err)
	}
	out.Body.Close()
	return ""
}

// lastEvent returns the ID of the newest event of a name made by the
// principal.
func (f *explainFixture) lastEvent(t *testing.T, name, principal string) string {
	t.Helper()
	ctx := context.Background()
	if err := f.s.srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := f.s.srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: name, PrincipalARN: principal, Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("no %s event of %s: %v", name, principal, err)
	}
	return evs[0].ID
}

// explain calls GetEventExplanation as cfg.
func (f *explainFixture) explain(t *testing.T, cfg aws.Config, id string) (*explanationOut, int, string, string) {
	t.Helper()
	var out explanationOut
	st, code, msg := consoleCall(t, cfg, f.s.srv.Endpoint(), http.MethodGet, "/v1/events/"+id+"/explanation", nil, &out)
	return &out, st, code, msg
}

func (f *explainFixture) mustExplain(t *testing.T, id string) *explanationOut {
	t.Helper()
	out, st, code, msg := f.explain(t, f.s.srv.RootConfig(), id)
	if st != http.StatusOK {
		t.Fatalf("explain %s: %d %s %s", id, st, code, msg)
	}
	return out
}

// TestExplainImplicitDeny: a user without s3:GetObject is explained as an
// implicit deny in its identity policies, with the request's context and
// its policies.
func TestExplainImplicitDeny(t *testing.T) {
	f := newExplainFixture(t)
	user := f.s.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::`+explainBucket+`"}]}`)
	userARN := "arn:aws:iam::" + account + ":user/reader"
	if code := f.get(t, user, "a.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject before the fix: %q", code)
	}
	x := f.mustExplain(t, f.lastEvent(t, "GetObject", userARN))
	object := "arn:aws:s3:::" + explainBucket + "/a.txt"
	if x.Decision != "ImplicitDeny" || x.RecordedDecision != "ImplicitDeny" || !x.StillDenied || x.Missing != "identity" ||
		x.Action != "s3:GetObject" || x.Resource != object || x.Principal != userARN {
		t.Fatalf("explanation: %+v", x)
	}
	if !strings.Contains(x.Reason, "no identity-based policy allows the s3:GetObject action") {
		t.Errorf("reason %q", x.Reason)
	}
	if !slices.ContainsFunc(x.Context, func(k struct {
		Key    string
		Values []string
	}) bool {
		return k.Key == "aws:username" && slices.Equal(k.Values, []string{"reader"})
	}) {
		t.Errorf("context lacks aws:username: %+v", x.Context)
	}
	if len(x.Policies) != 1 || x.Policies[0].Kind != "identity" || x.Policies[0].Name != "inline" || x.Policies[0].Applies ||
		!strings.Contains(x.Policies[0].Document, "s3:ListBucket") {
		t.Errorf("policies: %+v", x.Policies)
	}
	if len(x.Decisive) != 0 {
		t.Errorf("an implicit deny with decisive statements: %+v", x.Decisive)
	}
}
