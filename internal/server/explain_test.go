package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
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
	Operation   *struct {
		Service, Action string
		Parameters      map[string]string
	}
	AlsoAllows struct {
		Requests []struct {
			EventId, EventName, Action, Resource string
			Count                                int64
		}
		Total     int64
		Actions   []string
		Resources []string
		Note      string
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
	return explainFixtureOn(t, servertest.Start(t))
}

func explainFixtureOn(t *testing.T, srv *servertest.Server) *explainFixture {
	t.Helper()
	s := lambdaSuiteOn(srv)
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
// its policies, none of which matches the request (one grants the action
// on another bucket).
func TestExplainImplicitDeny(t *testing.T) {
	f := newExplainFixture(t)
	user := f.s.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::`+explainBucket+`"},`+
		`{"Sid":"OtherBucket","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*"}]}`)
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

	// An allowed event is explained by the allow that decided it.
	if _, err := s3Client(user).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(explainBucket)}); err != nil {
		t.Fatal(err)
	}
	x = f.mustExplain(t, f.lastEvent(t, "ListObjectsV2", userARN))
	if x.Decision != "Allow" || x.RecordedDecision != "Allow" || x.StillDenied || x.Reason != "" || len(x.Fixes) != 0 || x.Note != "" ||
		len(x.Decisive) != 1 || x.Decisive[0].Sid != "List" || x.Decisive[0].Effect != "Allow" || !strings.Contains(string(x.Decisive[0].Statement), "s3:ListBucket") {
		t.Errorf("allowed event explained as %+v", x)
	}
}

// lastEvents returns the IDs of the newest n events of a name made by the
// principal, newest first.
func (f *explainFixture) lastEvents(t *testing.T, name, principal string, n int) []string {
	t.Helper()
	ctx := context.Background()
	if err := f.s.srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := f.s.srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: name, PrincipalARN: principal, Limit: n})
	if err != nil || len(evs) != n {
		t.Fatalf("%d %s events of %s: %v", len(evs), name, principal, err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

// applyIAM makes a fix's IAM call as root, through the SDK.
func applyIAM(t *testing.T, c *iam.Client, fix explainFix) {
	t.Helper()
	op := fix.Operation
	if op == nil || op.Service != "iam" {
		t.Fatalf("fix without an IAM operation: %+v", fix)
	}
	p := func(k string) *string {
		v, ok := op.Parameters[k]
		if !ok {
			t.Fatalf("%s without %s: %+v", op.Action, k, op.Parameters)
		}
		return aws.String(v)
	}
	ctx := context.Background()
	var err error
	switch op.Action {
	case "PutUserPolicy":
		_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: p("UserName"), PolicyName: p("PolicyName"), PolicyDocument: p("PolicyDocument")})
	case "PutRolePolicy":
		_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: p("RoleName"), PolicyName: p("PolicyName"), PolicyDocument: p("PolicyDocument")})
	case "CreatePolicyVersion":
		if op.Parameters["SetAsDefault"] != "true" {
			t.Fatalf("a new version not made the default: %+v", op.Parameters)
		}
		_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p("PolicyArn"), PolicyDocument: p("PolicyDocument"), SetAsDefault: true})
	case "UpdateAssumeRolePolicy":
		_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: p("RoleName"), PolicyDocument: p("PolicyDocument")})
	default:
		t.Fatalf("unexpected operation %+v", op)
	}
	if err != nil {
		t.Fatalf("%s: %v", op.Action, err)
	}
}

// TestExplainImplicitDenyFix: the fix of an implicit deny is an inline
// policy allowing exactly the request; it also allows the same request
// denied before, not another object; applied through IAM, the request is
// allowed, and the event is then explained as allowed today.
func TestExplainImplicitDenyFix(t *testing.T) {
	f := newExplainFixture(t)
	user := f.s.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)
	userARN := "arn:aws:iam::" + account + ":user/reader"
	for _, k := range []string{"b.txt", "a.txt", "a.txt"} {
		if code := f.get(t, user, k); code != "AccessDenied" {
			t.Fatalf("GetObject %s before the fix: %q", k, code)
		}
	}
	ids := f.lastEvents(t, "GetObject", userARN, 3) // a.txt, a.txt, b.txt
	x := f.mustExplain(t, ids[0])
	if len(x.Fixes) != 1 {
		t.Fatalf("fixes: %+v (note %q)", x.Fixes, x.Note)
	}
	fix := x.Fixes[0]
	object := "arn:aws:s3:::" + explainBucket + "/a.txt"
	var st struct{ Effect, Action, Resource string }
	if err := json.Unmarshal(fix.Statement, &st); err != nil || st != (struct{ Effect, Action, Resource string }{"Allow", "s3:GetObject", object}) {
		t.Errorf("statement %s: %v", fix.Statement, err)
	}
	if fix.Kind != "identity" || fix.Operation.Action != "PutUserPolicy" || fix.Operation.Parameters["UserName"] != "reader" ||
		fix.Operation.Parameters["PolicyDocument"] != fix.Document || fix.PolicyName != fix.Operation.Parameters["PolicyName"] {
		t.Errorf("fix %+v", fix)
	}
	also := fix.AlsoAllows
	if also.Total != 1 || len(also.Requests) != 1 || also.Requests[0].EventId != ids[1] || also.Requests[0].Resource != object {
		t.Errorf("also allows %+v, want the earlier GetObject of a.txt (%s) alone", also, ids[1])
	}
	if !slices.Equal(also.Actions, []string{"s3:GetObject"}) || !slices.Equal(also.Resources, []string{object}) {
		t.Errorf("scope %+v", also)
	}
	applyIAM(t, f.s.iam, fix)
	if code := f.get(t, user, "a.txt"); code != "" {
		t.Fatalf("GetObject after the fix: %q", code)
	}
	if code := f.get(t, user, "b.txt"); code != "AccessDenied" {
		t.Errorf("the fix allows another object: %q", code)
	}
	x = f.mustExplain(t, ids[0])
	if x.Decision != "Allow" || x.RecordedDecision != "ImplicitDeny" || x.StillDenied || len(x.Fixes) != 0 ||
		len(x.Decisive) != 1 || x.Decisive[0].PolicyName != fix.PolicyName || x.Decisive[0].Effect != "Allow" {
		t.Errorf("explained after the fix: %+v", x)
	}
}

// TestExplainBoundary: a request the identity policy allows but the
// permissions boundary does not is fixed by a new default version of the
// boundary.
func TestExplainBoundary(t *testing.T) {
	f := newExplainFixture(t)
	ctx := context.Background()
	out, err := f.s.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bound"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"ListOnly","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	bound := aws.ToString(out.Policy.Arn)
	user := f.s.user(t, "bounded", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	if _, err := f.s.iam.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(bound)}); err != nil {
		t.Fatal(err)
	}
	if code := f.get(t, user, "a.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject before the fix: %q", code)
	}
	x := f.mustExplain(t, f.lastEvent(t, "GetObject", "arn:aws:iam::"+account+":user/bounded"))
	if x.Decision != "ImplicitDeny" || x.Missing != "boundary" || !strings.Contains(x.Reason, "permissions boundary") {
		t.Fatalf("explanation %+v", x)
	}
	kinds := map[string]bool{}
	for _, p := range x.Policies {
		kinds[p.Kind+" "+p.Name+p.Arn] = p.Applies
	}
	if applies, ok := kinds["boundary "+bound]; !ok || applies {
		t.Errorf("policies %+v", x.Policies)
	}
	if applies := kinds["identity inline"]; !applies {
		t.Errorf("the identity policy granting s3:* does not apply: %+v", x.Policies)
	}
	if len(x.Fixes) != 1 || x.Fixes[0].Kind != "boundary" || x.Fixes[0].PolicyArn != bound || x.Fixes[0].Operation.Action != "CreatePolicyVersion" ||
		!strings.Contains(x.Fixes[0].Document, "ListOnly") {
		t.Fatalf("fixes %+v (note %q)", x.Fixes, x.Note)
	}
	applyIAM(t, f.s.iam, x.Fixes[0])
	if code := f.get(t, user, "a.txt"); code != "" {
		t.Fatalf("GetObject after the fix: %q", code)
	}
}

// TestExplainExplicitDeny: an explicit deny in a managed policy is
// explained by its statement; the fix is a new version without it, which
// also allows the other object the statement denied.
func TestExplainExplicitDeny(t *testing.T) {
	f := newExplainFixture(t)
	ctx := context.Background()
	out, err := f.s.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("no-reads"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"},` +
			`{"Sid":"NoReads","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + explainBucket + `/*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	deny := aws.ToString(out.Policy.Arn)
	user := f.s.user(t, "denied", `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	if _, err := f.s.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("denied"), PolicyArn: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"b.txt", "a.txt"} {
		if code := f.get(t, user, k); code != "AccessDenied" {
			t.Fatalf("GetObject %s before the fix: %q", k, code)
		}
	}
	ids := f.lastEvents(t, "GetObject", "arn:aws:iam::"+account+":user/denied", 2)
	x := f.mustExplain(t, ids[0])
	if x.Decision != "ExplicitDeny" || x.Missing != "" || len(x.Decisive) != 1 {
		t.Fatalf("explanation %+v", x)
	}
	d := x.Decisive[0]
	if d.Kind != "identity" || d.PolicyArn != deny || d.Sid != "NoReads" || d.Index != 1 || d.Effect != "Deny" || !strings.Contains(string(d.Statement), `"Sid":"NoReads"`) {
		t.Errorf("decisive %+v %s", d, d.Statement)
	}
	if len(x.Fixes) != 1 {
		t.Fatalf("fixes %+v (note %q)", x.Fixes, x.Note)
	}
	fix := x.Fixes[0]
	if fix.Operation.Action != "CreatePolicyVersion" || strings.Contains(fix.Document, "NoReads") || !strings.Contains(fix.Document, "NoDelete") ||
		!strings.Contains(string(fix.Statement), "NoReads") {
		t.Errorf("fix %+v", fix)
	}
	also := fix.AlsoAllows
	if len(also.Requests) != 1 || also.Requests[0].EventId != ids[1] || !strings.HasSuffix(also.Requests[0].Resource, "/b.txt") ||
		!slices.Equal(also.Actions, []string{"s3:GetObject"}) {
		t.Errorf("also allows %+v, want the GetObject of b.txt (%s)", also, ids[1])
	}
	applyIAM(t, f.s.iam, fix)
	for _, k := range []string{"a.txt", "b.txt"} {
		if code := f.get(t, user, k); code != "" {
			t.Errorf("GetObject %s after the fix: %q", k, code)
		}
	}
	x = f.mustExplain(t, ids[0])
	if x.Decision != "Allow" || x.RecordedDecision != "ExplicitDeny" || x.StillDenied || len(x.Decisive) != 1 || x.Decisive[0].Sid != "All" {
		t.Errorf("explained after the fix: %+v", x)
	}
}

// TestExplainAuthorization: explaining needs cloudtrail:LookupEvents and
// iam:SimulatePrincipalPolicy on the principal; an unknown event is not
// found.
func TestExplainAuthorization(t *testing.T) {
	f := newExplainFixture(t)
	user := f.s.user(t, "reader", "")
	if code := f.get(t, user, "a.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject: %q", code)
	}
	id := f.lastEvent(t, "GetObject", "arn:aws:iam::"+account+":user/reader")
	cases := []struct {
		name, doc, code, want string
	}{
		{"nothing", "", "AccessDeniedException", "cloudtrail:LookupEvents"},
		{"lookup", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}`,
			"AccessDeniedException", "iam:SimulatePrincipalPolicy"},
		{"other", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"},` +
			`{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::` + account + `:user/someone"}]}`,
			"AccessDeniedException", "iam:SimulatePrincipalPolicy"},
		{"allowed", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"},` +
			`{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::` + account + `:user/reader"}]}`, "", ""},
	}
	for _, c := range cases {
		cfg := f.s.user(t, "caller-"+c.name, c.doc)
		x, st, code, msg := f.explain(t, cfg, id)
		if code != c.code || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %s %s", c.name, st, code, msg)
		}
		if c.code == "" && (x.Decision != "ImplicitDeny" || len(x.Fixes) != 1) {
			t.Errorf("%s: %+v", c.name, x)
		}
	}
	_, st, code, msg := f.explain(t, f.s.srv.RootConfig(), "11111111-2222-3333-4444-555555555555")
	if st != http.StatusNotFound || code != "ResourceNotFoundException" || !strings.Contains(msg, "11111111-2222-3333-4444-555555555555") {
		t.Errorf("unknown event: %d %s %s", st, code, msg)
	}
}

// TestExplainAcrossAccounts: a member account's role session reading an
// object of the management account's bucket, which has no policy, is
// denied for want of a resource policy; the fix is the bucket policy
// naming the role, which the bucket's owner applies. An SCP's deny is
// explained with the fix made in AWS Organizations. The management
// account does not find the member's events.
func TestExplainAcrossAccounts(t *testing.T) {
	srv := servertest.Start(t)
	f := explainFixtureOn(t, srv)
	org := newOrg(t, srv)
	member := newMember(t, org.orgs, "explained")
	admin := org.session(member)
	role := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
	if code := f.get(t, admin, "a.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject across accounts: %q", code)
	}
	id := f.lastEvent(t, "GetObject", role)
	x, st, code, msg := f.explain(t, admin, id)
	if st != http.StatusOK {
		t.Fatalf("explain as the member: %d %s %s", st, code, msg)
	}
	if x.Decision != "ImplicitDeny" || x.Missing != "resource" || len(x.Fixes) != 1 {
		t.Fatalf("explanation %+v", x)
	}
	fix := x.Fixes[0]
	if fix.Kind != "resource" || fix.Operation == nil || fix.Operation.Service != "s3" || fix.Operation.Action != "PutBucketPolicy" ||
		fix.Operation.Parameters["Bucket"] != explainBucket || !strings.Contains(fix.Document, role) {
		t.Fatalf("fix %+v", fix)
	}
	if _, err := f.s3.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(explainBucket),
		Policy: aws.String(fix.Operation.Parameters["Policy"])}); err != nil {
		t.Fatal(err)
	}
	if code := f.get(t, admin, "a.txt"); code != "" {
		t.Errorf("GetObject after the bucket policy: %q", code)
	}
	if code := f.get(t, admin, "b.txt"); code != "AccessDenied" {
		t.Errorf("the bucket policy allows another object: %q", code)
	}
	if _, st, code, _ := f.explain(t, srv.RootConfig(), id); st != http.StatusNotFound || code != "ResourceNotFoundException" {
		t.Errorf("the management account explains the member's event: %d %s", st, code)
	}

	deny := org.scp("no-reads", `{"Version":"2012-10-17","Statement":[{"Sid":"NoReads","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`)
	org.attach(deny, member)
	if code := f.get(t, admin, "a.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject under the SCP: %q", code)
	}
	x, st, code, msg = f.explain(t, admin, f.lastEvent(t, "GetObject", role))
	if st != http.StatusOK {
		t.Fatalf("explain the SCP's deny: %d %s %s", st, code, msg)
	}
	if x.Decision != "ExplicitDeny" || len(x.Decisive) != 1 || x.Decisive[0].Kind != "scp" || x.Decisive[0].Sid != "NoReads" ||
		!slices.ContainsFunc(x.Policies, func(p struct {
			Kind, Name, Arn, Document string
			Applies                   bool
		}) bool {
			return p.Kind == "scp" && p.Applies && strings.Contains(p.Document, "NoReads")
		}) {
		t.Fatalf("explanation %+v", x)
	}
	if len(x.Fixes) != 1 || x.Fixes[0].Kind != "scp" || x.Fixes[0].Operation != nil || !strings.Contains(x.Fixes[0].Description, "Organizations") {
		t.Fatalf("fixes %+v (note %q)", x.Fixes, x.Note)
	}
	org.detach(deny, member)
	if code := f.get(t, admin, "a.txt"); code != "" {
		t.Errorf("GetObject once the SCP is detached: %q", code)
	}
}

// TestExplainRoleSession: a role session's denial is fixed in the role's
// policies, and reading them needs iam:SimulatePrincipalPolicy on the
// role, not on the session.
func TestExplainRoleSession(t *testing.T) {
	f := newExplainFixture(t)
	ctx := context.Background()
	roleARN := f.s.role(t, "worker", unusedTrust)
	assumer := f.s.user(t, "assumer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+roleARN+`"}]}`)
	out, err := sts.NewFromConfig(assumer).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("job")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session := f.s.srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	if code := f.get(t, session, "a.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject as the session: %q", code)
	}
	id := f.lastEvent(t, "GetObject", roleARN)
	lookup := `{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}`
	onSession := f.s.user(t, "on-session", `{"Version":"2012-10-17","Statement":[`+lookup+`,{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"`+assumedRoleARN("worker", "job")+`"}]}`)
	if _, st, code, msg := f.explain(t, onSession, id); st != http.StatusForbidden || !strings.Contains(msg, roleARN) {
		t.Errorf("allowed on the session's ARN: %d %s %s", st, code, msg)
	}
	onRole := f.s.user(t, "on-role", `{"Version":"2012-10-17","Statement":[`+lookup+`,{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"`+roleARN+`"}]}`)
	x, st, code, msg := f.explain(t, onRole, id)
	if st != http.StatusOK {
		t.Fatalf("allowed on the role's ARN: %d %s %s", st, code, msg)
	}
	if x.Principal != assumedRoleARN("worker", "job") || x.Missing != "identity" || len(x.Fixes) != 1 {
		t.Fatalf("explanation %+v", x)
	}
	fix := x.Fixes[0]
	if fix.Operation.Action != "PutRolePolicy" || fix.Operation.Parameters["RoleName"] != "worker" {
		t.Fatalf("fix %+v", fix)
	}
	applyIAM(t, f.s.iam, fix)
	if code := f.get(t, session, "a.txt"); code != "" {
		t.Errorf("GetObject as the session after the fix: %q", code)
	}
}

// TestExplainOnlyVerifiedFixes: taking away a deny that leaves the
// request without an allow is no fix: none is offered, and the note says
// what would still deny.
func TestExplainOnlyVerifiedFixes(t *testing.T) {
	f := newExplainFixture(t)
	user := f.s.user(t, "walled", `{"Version":"2012-10-17","Statement":[{"Sid":"NoReads","Effect":"Deny","Action":"s3:GetObject","Resource":"*"},`+
		`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)
	if code := f.get(t, user, "a.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject: %q", code)
	}
	x := f.mustExplain(t, f.lastEvent(t, "GetObject", "arn:aws:iam::"+account+":user/walled"))
	if x.Decision != "ExplicitDeny" || len(x.Fixes) != 0 || !strings.Contains(x.Note, "Sid NoReads") ||
		!strings.Contains(x.Note, "no identity-based policy allows the s3:GetObject action") {
		t.Errorf("explanation %+v", x)
	}
}

// TestExplainTrustPolicy: a role assumption the trust policy does not
// allow is fixed by the role's trust policy naming the caller.
func TestExplainTrustPolicy(t *testing.T) {
	f := newExplainFixture(t)
	ctx := context.Background()
	roleARN := f.s.role(t, "lambda-only", lambdaTrust)
	userARN := "arn:aws:iam::" + account + ":user/hopeful"
	user := f.s.user(t, "hopeful", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	assume := func() error {
		_, err := sts.NewFromConfig(user).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("try")})
		return err
	}
	if code := apiCode(assume()); code != "AccessDenied" {
		t.Fatalf("AssumeRole: %q", code)
	}
	x := f.mustExplain(t, f.lastEvent(t, "AssumeRole", userARN))
	if x.Decision != "ImplicitDeny" || x.Missing != "resource" || len(x.Fixes) != 1 {
		t.Fatalf("explanation %+v", x)
	}
	if !slices.ContainsFunc(x.Policies, func(p struct {
		Kind, Name, Arn, Document string
		Applies                   bool
	}) bool {
		return p.Kind == "resource" && p.Arn == "" && p.Name == "" && p.Applies && strings.Contains(p.Document, "lambda.amazonaws.com")
	}) {
		t.Errorf("the trust policy is not among the policies: %+v", x.Policies)
	}
	fix := x.Fixes[0]
	if fix.Operation == nil || fix.Operation.Action != "UpdateAssumeRolePolicy" || fix.Operation.Parameters["RoleName"] != "lambda-only" ||
		!strings.Contains(fix.Document, "lambda.amazonaws.com") || !strings.Contains(fix.Document, userARN) {
		t.Fatalf("fix %+v", fix)
	}
	applyIAM(t, f.s.iam, fix)
	if err := assume(); err != nil {
		t.Errorf("AssumeRole after the fix: %v", err)
	}
}

// BenchmarkExplanation measures an explanation whose fix is replayed
// over a trail of 2,000 denied requests of the principal (each another
// object, each with its own replay record).
func BenchmarkExplanation(b *testing.B) {
	srv := servertest.Start(b)
	s := lambdaSuiteOn(srv)
	ctx := context.Background()
	c := s3Client(srv.RootConfig())
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(explainBucket)}); err != nil {
		b.Fatal(err)
	}
	user := s3Client(s.user(b, "busy", `{"Version":"2012-10-17","Statement":[{"Sid":"NoReads","Effect":"Deny","Action":"s3:GetObject","Resource":"*"},`+
		`{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`))
	for i := range 2000 {
		if _, err := user.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(explainBucket), Key: aws.String(fmt.Sprintf("k%d", i))}); apiCode(err) != "AccessDenied" {
			b.Fatalf("GetObject: %v", err)
		}
	}
	if err := srv.Recorder().Flush(ctx); err != nil {
		b.Fatal(err)
	}
	evs, _, err := srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: "GetObject", Limit: 1})
	if err != nil || len(evs) != 1 {
		b.Fatal(err)
	}
	path := "/v1/events/" + evs[0].ID + "/explanation"
	for b.Loop() {
		var x explanationOut
		if st, code, msg := consoleCall(b, srv.RootConfig(), srv.Endpoint(), http.MethodGet, path, nil, &x); st != http.StatusOK {
			b.Fatalf("%d %s %s", st, code, msg)
		}
		if len(x.Fixes) != 1 || x.Fixes[0].AlsoAllows.Total != 1999 || len(x.Fixes[0].AlsoAllows.Requests) != 50 {
			b.Fatalf("fixes %+v", x.Fixes)
		}
	}
}

// TestExplainLiteralResource: the fix of a request for an object whose
// key has a "*" names that object alone (as ${*}), not every key the
// wildcard would match.
func TestExplainLiteralResource(t *testing.T) {
	f := newExplainFixture(t)
	ctx := context.Background()
	for _, k := range []string{"w*.txt", "wide.txt"} {
		if _, err := f.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(explainBucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	user := f.s.user(t, "starry", "")
	if code := f.get(t, user, "w*.txt"); code != "AccessDenied" {
		t.Fatalf("GetObject: %q", code)
	}
	x := f.mustExplain(t, f.lastEvent(t, "GetObject", "arn:aws:iam::"+account+":user/starry"))
	if len(x.Fixes) != 1 || !strings.Contains(string(x.Fixes[0].Statement), `"arn:aws:s3:::`+explainBucket+`/w${*}.txt"`) {
		t.Fatalf("fixes %+v (note %q)", x.Fixes, x.Note)
	}
	applyIAM(t, f.s.iam, x.Fixes[0])
	if code := f.get(t, user, "w*.txt"); code != "" {
		t.Errorf("GetObject w*.txt after the fix: %q", code)
	}
	if code := f.get(t, user, "wide.txt"); code != "AccessDenied" {
		t.Errorf("the fix allows wide.txt: %q", code)
	}
}

// TestExplainBadInput: an unsigned request, a query parameter, an event ID
// too long and one with a path in it are refused or not found, with the
// API's own errors.
func TestExplainBadInput(t *testing.T) {
	srv := servertest.Start(t)
	root, end := srv.RootConfig(), srv.Endpoint()
	for _, tc := range []struct {
		name, service, path string
		status              int
		code                string
	}{
		{"unsigned", "", "/v1/events/x/explanation", 403, "MissingAuthenticationTokenException"},
		{"query parameter", "rolecall", "/v1/events/x/explanation?decision=1", 400, "ValidationException"},
		{"long event ID", "rolecall", "/v1/events/" + strings.Repeat("a", 129) + "/explanation", 400, "ValidationException"},
		{"path in the event ID", "rolecall", "/v1/events/..%2F..%2Fpolicy-templates/explanation", 404, "ResourceNotFoundException"},
	} {
		st, code, body := rawCall(t, root, end, tc.service, "GET", tc.path, "", nil)
		if st != tc.status || code != tc.code {
			t.Errorf("%s: %d %s %s, want %d %s", tc.name, st, code, body, tc.status, tc.code)
		}
	}
}
