package gateway

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

func parsed(t testing.TB, doc string, kind policy.Kind) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(doc, kind)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// functionCall is a call a function's code made to a queue with its
// execution role: lambda:SourceFunctionArn is in the request context, and
// the queue's policy denies calls that carry it. Resource policies are
// evaluated without the key, identity policies and SCPs with it.
type functionCall struct {
	principal *api.Principal
	req       policy.Request
	ctx, rctx *policy.Context
	in        policy.SetInput
}

func newFunctionCall(t testing.TB) *functionCall {
	const (
		role  = "arn:aws:iam::123456789012:role/fn-role"
		queue = "arn:aws:sqs:us-east-1:123456789012:q"
		fn    = "arn:aws:lambda:us-east-1:123456789012:function:f"
	)
	p := &api.Principal{Type: api.AssumedRole, Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/fn-role/f",
		PrincipalID: "AROAFN:f", RoleARN: role, RoleName: "fn-role", RoleID: "AROAFN", SessionName: "f",
		SessionPolicies: []policy.Named{{ID: "session", Policy: parsed(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`, policy.Session)}}}
	c := &functionCall{principal: p, ctx: new(policy.Context), rctx: new(policy.Context)}
	for _, ctx := range []*policy.Context{c.ctx, c.rctx} {
		ctx.Set("aws:PrincipalArn", role)
		ctx.SetMulti("aws:TagKeys", "a", "b")
		ctx.Set(keyCurrentTime, "2026-03-04T05:06:07Z")
		ctx.Set(keyEpochTime, "1772600767")
		ctx.Set(keySourceFunctionARN, fn)
	}
	c.rctx.Delete(keySourceFunctionARN)
	c.req = policy.Request{
		Principal: policyPrincipal(p), Action: "sqs:SendMessage", Resource: queue, ResourceAccount: "123456789012",
		ResourcePolicy: parsed(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Resource":"*",
			"Condition":{"StringLike":{"lambda:SourceFunctionArn":"*"}}}]}`, policy.Resource),
		Context: c.ctx, ResourceContext: c.rctx,
		Gates: []*policy.Gate{policy.NewGate(policy.SourceSCP, [][]policy.Named{{fullAccessSCP}})},
	}
	c.in = policy.SetInput{Identity: []policy.Named{{ID: "send", Policy: parsed(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*",
		"Condition":{"StringEquals":{"lambda:SourceFunctionArn":"`+fn+`"},"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}}]}`, policy.Identity)}}}
	return c
}

// record returns the call's replay record as the trail stores it.
func (c *functionCall) record(t testing.TB) *ReplayRequest {
	b, err := json.Marshal(captureReplay(c.principal, &c.req, api.ResourcePolicy, true))
	if err != nil {
		t.Fatal(err)
	}
	var r ReplayRequest
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestReplayRecordRoundTrip: a decision captured, encoded as the trail
// stores it and decoded, replays as the gateway decided it, with the
// function's key hidden from the resource policy but not from identity
// policies or SCPs, the time set from the replay, and the record canonical.
func TestReplayRecordRoundTrip(t *testing.T) {
	c := newFunctionCall(t)
	set := policy.Compile(policy.SetInput{Identity: c.in.Identity, Session: c.principal.SessionPolicies})
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	want := decideRequest(c.principal.Type, set, &c.req, api.ResourcePolicy)
	if want.Effect != policy.Allow {
		t.Fatalf("the gateway's decision: %+v", want)
	}
	r := c.record(t)
	if len(r.Context) != 3 || r.Context[0].Key != "aws:PrincipalArn" || !r.Context[1].Multi || r.Context[2].Key != keySourceFunctionARN {
		t.Errorf("recorded context %+v: want the keys sorted, multivalued kept, the time left out", r.Context)
	}
	if got := Reevaluate(c.in, r, at, nil); got.Effect != want.Effect || got.Source != want.Source {
		t.Errorf("replayed %+v, want %+v", got, want)
	}
	// The time is the replay's.
	if got := Reevaluate(c.in, r, at.AddDate(1, 0, 0), nil); got.Effect != policy.ImplicitDeny {
		t.Errorf("replayed a year later: %+v", got)
	}
	// An SCP sees the function's key, as identity policies do.
	scp := &policy.Named{ID: "p-nofunctions", Policy: parsed(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sqs:*","Resource":"*",
		"Condition":{"Null":{"lambda:SourceFunctionArn":"false"}}}]}`, policy.SCP)}
	if got := Reevaluate(c.in, r, at, &Change{SCP: scp}); got.Effect != policy.ExplicitDeny || got.Source != policy.SourceSCP {
		t.Errorf("with an SCP on the function's key: %+v", got)
	}
	// A session policy without the grant denies.
	r.Session = []ReplayPolicy{{ID: "narrow", Kind: "session", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"*"}]}`}}
	if got := Reevaluate(c.in, r, at, nil); got.Effect != policy.ImplicitDeny || got.Source != policy.SourceSession {
		t.Errorf("with a narrower session policy: %+v", got)
	}
	// Encoding is canonical: the same call makes the same record, whatever
	// order its keys were set in.
	other := newFunctionCall(t)
	other.ctx.Reset()
	other.ctx.Set(keySourceFunctionARN, "arn:aws:lambda:us-east-1:123456789012:function:f")
	other.ctx.SetMulti("aws:TagKeys", "a", "b")
	other.ctx.Set("aws:PrincipalArn", "arn:aws:iam::123456789012:role/fn-role")
	a, _ := json.Marshal(captureReplay(c.principal, &c.req, api.ResourcePolicy, true))
	b, _ := json.Marshal(captureReplay(other.principal, &other.req, api.ResourcePolicy, true))
	if string(a) != string(b) {
		t.Errorf("records differ:\n%s\n%s", a, b)
	}
	// A record that no longer prepares is refused, and replays as a deny.
	r.ResourcePolicy.Document = `{"Statement":[`
	if _, err := r.Prepare(nil); err == nil {
		t.Error("a broken document prepared")
	}
	if got := Reevaluate(c.in, r, at, nil); got.Effect != policy.ImplicitDeny {
		t.Errorf("broken record replayed as %+v", got)
	}
	r.ResourcePolicy = nil
	r.Mode = "other"
	if _, err := r.Prepare(nil); err == nil {
		t.Error("an unknown mode prepared")
	}
}

// BenchmarkCaptureReplay is what a decision costs the request path to keep
// its replay record.
func BenchmarkCaptureReplay(b *testing.B) {
	c := newFunctionCall(b)
	for i := range 16 {
		c.ctx.Set("aws:Key"+string(rune('a'+i)), "value")
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = captureReplay(c.principal, &c.req, api.ResourcePolicy, true)
	}
}

// BenchmarkPreparedEvaluate is one replayed decision of a prepared record.
func BenchmarkPreparedEvaluate(b *testing.B) {
	c := newFunctionCall(b)
	p, err := c.record(b).Prepare(nil)
	if err != nil {
		b.Fatal(err)
	}
	set := p.Compile(c.in)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Evaluate(set, at); d.Effect != policy.Allow {
			b.Fatal(d)
		}
	}
}
