package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

// replayed is an access row with its replay record.
type replayed struct {
	row store.Access
	req *gateway.ReplayRequest
}

func (r replayed) String() string {
	return fmt.Sprintf("%s %s %s %s", r.row.PrincipalARN, r.row.Action, r.row.Resource, r.row.Decision)
}

// recordedAccess flushes the trail and returns every access row with its
// replay record; every row must have one.
func recordedAccess(t *testing.T, srv *servertest.Server) []replayed {
	t.Helper()
	ctx := context.Background()
	if err := srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := srv.Recorder().Store()
	var rows []store.Access
	var keys []string
	for a, err := range st.QueryAccess(ctx, store.AccessQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		if a.Request == "" {
			t.Fatalf("access row without a replay record: %+v", a)
		}
		rows = append(rows, a)
		keys = append(keys, a.Request)
	}
	recs, err := st.AccessRequests(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]replayed, len(rows))
	for i, a := range rows {
		b, ok := recs[a.Request]
		if !ok {
			t.Fatalf("replay record %s of %+v is missing", a.Request, a)
		}
		var r gateway.ReplayRequest
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("replay record %s: %v", a.Request, err)
		}
		out[i] = replayed{row: a, req: &r}
	}
	return out
}

// replay evaluates a row again with the principal's current policies,
// changed by ch, at time at (the row's when zero).
func replay(t *testing.T, srv *servertest.Server, r replayed, ch *gateway.Change, at time.Time) policy.Decision {
	t.Helper()
	in, err := srv.IAM().PolicyInput(context.Background(), r.req.Principal.Principal())
	if err != nil && r.req.Principal.Type != "AWSService" && r.req.Principal.Type != "Anonymous" {
		t.Fatalf("policies of %s: %v", r.req.Principal.ARN, err)
	}
	if at.IsZero() {
		at = r.row.Time
	}
	return gateway.Reevaluate(in, r.req, at, ch)
}

func mustParsePolicy(t *testing.T, doc string, kind policy.Kind) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(doc, kind)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// aliceConditions is alice's inline policy of conditional grants.
const aliceConditions = `{"Version":"2012-10-17","Statement":[
	{"Sid":"FromLoopback","Effect":"Allow","Action":"iam:ListAccessKeys","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
	{"Sid":"FromElsewhere","Effect":"Allow","Action":"iam:ListPolicies","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
	{"Sid":"UntilLater","Effect":"Allow","Action":"iam:ListUserPolicies","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2100-01-01T00:00:00Z"}}},
	{"Sid":"BlueTeam","Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`

// TestReplayReproducesDecisions makes calls through a real server that are
// allowed and denied for every kind of reason — identity policy, a
// resource policy alone, an explicit deny, a permissions boundary, an SCP,
// a session policy, a trust policy, a key policy, conditions on the source
// address, a principal tag and the time — then replays every recorded
// decision with the principals' current policies and no change: each comes
// out as recorded. Proposed changes (an inline policy without a statement,
// a managed policy removed, a boundary, an SCP) and a later time flip
// exactly the decisions they should.
func TestReplayReproducesDecisions(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testReplayReproducesDecisions(t, servertest.Start(t)) })
	// On PostgreSQL (skipped without a test database).
	t.Run("postgres", func(t *testing.T) { testReplayReproducesDecisions(t, servertest.Nodes(t, 1)[0]) })
}

func testReplayReproducesDecisions(t *testing.T, srv *servertest.Server) {
	ctx := context.Background()
	const acct = "123456789012"
	admin := iam.NewFromConfig(srv.RootConfig())
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// An organization (the default account manages it, so SCPs never bind
	// its principals) with a member whose SCP denies iam:CreateUser.
	f := newOrg(t, srv)
	member := newMember(t, f.orgs, "replayed")
	f.attach(f.scp("no-users", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`), member)

	// alice: inline grants, a deny, conditions, a managed policy, a tag.
	_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	check(err)
	for name, doc := range map[string]string{
		"base":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","sts:AssumeRole","kms:DescribeKey"],"Resource":"*"}]}`,
		"deny":  `{"Version":"2012-10-17","Statement":[{"Sid":"NoRoles","Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`,
		"conds": aliceConditions,
	} {
		_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		check(err)
	}
	managed, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("alice-attached"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListAttachedUserPolicies","Resource":"*"}]}`)})
	check(err)
	managedARN := aws.ToString(managed.Policy.Arn)
	_, err = admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(managedARN)})
	check(err)
	aliceKey, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	check(err)
	alice := srv.Config(aws.ToString(aliceKey.AccessKey.AccessKeyId), aws.ToString(aliceKey.AccessKey.SecretAccessKey), "")
	aliceARN := "arn:aws:iam::" + acct + ":user/alice"

	// bob: everything in IAM, within a boundary of two actions.
	boundary, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bob-boundary"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListUsers"],"Resource":"*"}]}`)})
	check(err)
	bob := newUser(t, srv, "bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)
	_, err = admin.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bob"), PermissionsBoundary: boundary.Policy.Arn})
	check(err)
	bobARN := "arn:aws:iam::" + acct + ":user/bob"

	// A role alice assumes with a session policy narrower than its own.
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("narrowed"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`)})
	check(err)
	_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("narrowed"), PolicyName: aws.String("all-iam"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)})
	check(err)

	// A queue whose policy alone grants alice, one without a policy, and a
	// KMS key under its default key policy.
	q := sqs.NewFromConfig(srv.RootConfig())
	granted, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("granted")})
	check(err)
	grantedARN := "arn:aws:sqs:" + srv.Region() + ":" + acct + ":granted"
	_, err = q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: granted.QueueUrl, Attributes: map[string]string{
		"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aliceARN + `"},"Action":"sqs:GetQueueAttributes","Resource":"` + grantedARN + `"}]}`}})
	check(err)
	closed, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("closed")})
	check(err)
	key, err := kms.NewFromConfig(srv.RootConfig()).CreateKey(ctx, &kms.CreateKeyInput{})
	check(err)

	// The calls, and what each decides.
	aliceIAM, bobIAM := iam.NewFromConfig(alice), iam.NewFromConfig(bob)
	type call struct {
		name    string
		do      func() error
		allowed bool
	}
	var calls []call
	add := func(name string, allowed bool, do func() error) { calls = append(calls, call{name, do, allowed}) }
	add("alice GetUser: identity policy", true, func() error { _, err := aliceIAM.GetUser(ctx, &iam.GetUserInput{}); return err })
	add("alice ListRoles: explicit deny", false, func() error { _, err := aliceIAM.ListRoles(ctx, &iam.ListRolesInput{}); return err })
	add("alice ListAccessKeys: source address", true, func() error {
		_, err := aliceIAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
		return err
	})
	add("alice ListPolicies: other source address", false, func() error { _, err := aliceIAM.ListPolicies(ctx, &iam.ListPoliciesInput{}); return err })
	add("alice ListUserPolicies: current time", true, func() error {
		_, err := aliceIAM.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice")})
		return err
	})
	add("alice ListUsers: principal tag", true, func() error { _, err := aliceIAM.ListUsers(ctx, &iam.ListUsersInput{}); return err })
	add("alice ListAttachedUserPolicies: managed policy", true, func() error {
		_, err := aliceIAM.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("alice")})
		return err
	})
	add("alice GetQueueAttributes: queue policy alone", true, func() error {
		_, err := sqs.NewFromConfig(alice).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: granted.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		return err
	})
	add("alice GetQueueAttributes: no policy", false, func() error {
		_, err := sqs.NewFromConfig(alice).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: closed.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		return err
	})
	add("alice DescribeKey: key policy and identity policy", true, func() error {
		_, err := kms.NewFromConfig(alice).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyMetadata.Arn})
		return err
	})
	add("bob GetUser: inside the boundary", true, func() error { _, err := bobIAM.GetUser(ctx, &iam.GetUserInput{}); return err })
	add("bob ListRoles: outside the boundary", false, func() error { _, err := bobIAM.ListRoles(ctx, &iam.ListRolesInput{}); return err })
	var narrowed aws.Config
	add("alice AssumeRole with a session policy: trust policy", true, func() error {
		out, err := sts.NewFromConfig(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/narrowed"),
			RoleSessionName: aws.String("narrow"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`)})
		if err == nil {
			c := out.Credentials
			narrowed = srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
		}
		return err
	})
	add("session GetRole: inside the session policy", true, func() error {
		_, err := iam.NewFromConfig(narrowed).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("narrowed")})
		return err
	})
	add("session ListRoles: outside the session policy", false, func() error {
		_, err := iam.NewFromConfig(narrowed).ListRoles(ctx, &iam.ListRolesInput{})
		return err
	})
	var memberSession aws.Config
	add("member session ListRoles: through the SCPs", true, func() error {
		memberSession = f.session(member)
		_, err := iam.NewFromConfig(memberSession).ListRoles(ctx, &iam.ListRolesInput{})
		return err
	})
	add("member session CreateUser: SCP deny", false, func() error {
		_, err := iam.NewFromConfig(memberSession).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nope")})
		return err
	})
	for _, c := range calls {
		err := c.do()
		if got := err == nil; got != c.allowed {
			t.Fatalf("%s: allowed %v, want %v (%v)", c.name, got, c.allowed, err)
		}
	}

	rows := recordedAccess(t, srv)
	// Every decision, of every principal (the setup's too), comes out of
	// replay as recorded.
	kinds := map[string]bool{}
	for _, r := range rows {
		if got := replay(t, srv, r, nil, time.Time{}).Effect.String(); got != r.row.Decision {
			t.Errorf("replayed %s: %s", r, got)
		}
		kinds[r.req.Mode] = true
		for _, g := range r.req.Gates {
			kinds[g.Source] = true
		}
		if len(r.req.Session) > 0 {
			kinds["session"] = true
		}
	}
	for _, k := range []string{"resource", "trust", "key", "scp", "session"} {
		if !kinds[k] {
			t.Errorf("no replayed decision went through a %s policy", k)
		}
	}

	of := func(principal string) []replayed {
		var out []replayed
		for _, r := range rows {
			if r.row.PrincipalARN == principal || r.row.IssuerARN == principal {
				out = append(out, r)
			}
		}
		return out
	}
	// flips replays the rows of principal under ch at at and returns
	// "action resource recorded→replayed" for each that changed.
	flips := func(principal string, ch *gateway.Change, at time.Time) []string {
		t.Helper()
		var out []string
		for _, r := range of(principal) {
			if got := replay(t, srv, r, ch, at).Effect.String(); got != r.row.Decision {
				out = append(out, r.row.Action+" "+r.row.Resource+" "+r.row.Decision+"→"+got)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	expect := func(name string, got []string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s flipped:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	withoutLoopback := strings.Replace(aliceConditions, `"Sid":"FromLoopback","Effect":"Allow","Action":"iam:ListAccessKeys"`, `"Sid":"FromLoopback","Effect":"Allow","Action":"iam:GetGroup"`, 1)
	expect("alice's conditions without the ListAccessKeys grant", flips(aliceARN, &gateway.Change{
		Identity: []policy.Named{{ID: "conds", Policy: mustParsePolicy(t, withoutLoopback, policy.Identity)}}}, time.Time{}),
		"iam:ListAccessKeys arn:aws:iam::"+acct+":user/alice Allow→ImplicitDeny")
	expect("alice's managed policy removed", flips(aliceARN, &gateway.Change{Remove: []string{managedARN}}, time.Time{}),
		"iam:ListAttachedUserPolicies arn:aws:iam::"+acct+":user/alice Allow→ImplicitDeny")
	expect("a boundary of GetUser for alice", flips(aliceARN, &gateway.Change{Boundary: &policy.Named{ID: "arn:aws:iam::" + acct + ":policy/only-get-user",
		Policy: mustParsePolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`, policy.Boundary)}}, time.Time{}),
		// The queue's policy names alice herself, so it grants beyond her
		// boundary; the trust and key policies name the account, which
		// defers to her policies, boundary included.
		"iam:ListAccessKeys arn:aws:iam::"+acct+":user/alice Allow→ImplicitDeny",
		"iam:ListUserPolicies arn:aws:iam::"+acct+":user/alice Allow→ImplicitDeny",
		"iam:ListUsers * Allow→ImplicitDeny",
		"iam:ListAttachedUserPolicies arn:aws:iam::"+acct+":user/alice Allow→ImplicitDeny",
		"kms:DescribeKey "+aws.ToString(key.KeyMetadata.Arn)+" Allow→ImplicitDeny",
		"sts:AssumeRole arn:aws:iam::"+acct+":role/narrowed Allow→ImplicitDeny")
	denyAll := &policy.Named{ID: "p-denyall", Policy: mustParsePolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, policy.SCP)}
	expect("an SCP on the management account's alice", flips(aliceARN, &gateway.Change{SCP: denyAll}, time.Time{}))
	expect("a boundary on bob that allows what he did", flips(bobARN, &gateway.Change{Boundary: &policy.Named{ID: "b",
		Policy: mustParsePolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`, policy.Boundary)}}, time.Time{}),
		"iam:ListRoles * ImplicitDeny→Allow")
	memberRole := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
	expect("an SCP denying ListRoles in the member", flips(memberRole, &gateway.Change{SCP: &policy.Named{ID: "p-noroles",
		Policy: mustParsePolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`, policy.SCP)}}, time.Time{}),
		"iam:ListRoles * Allow→ExplicitDeny")
	expect("the session's role without its policy", flips("arn:aws:iam::"+acct+":role/narrowed", &gateway.Change{Remove: []string{"all-iam"}}, time.Time{}),
		"iam:GetRole arn:aws:iam::"+acct+":role/narrowed Allow→ImplicitDeny")
	expect("alice's calls replayed in 2100", flips(aliceARN, nil, time.Date(2100, 1, 2, 0, 0, 0, 0, time.UTC)),
		"iam:ListUserPolicies arn:aws:iam::"+acct+":user/alice Allow→ImplicitDeny")

	// A decision replayed with its explanation: the SCP that denies.
	for _, r := range of(memberRole) {
		if r.row.Action != "iam:CreateUser" {
			continue
		}
		d := replay(t, srv, r, nil, time.Time{})
		if d.Effect != policy.ExplicitDeny || d.Source != policy.SourceSCP || d.Count != 1 || d.Matches[0].Index != 0 {
			t.Errorf("CreateUser in the member replayed as %+v", d)
		}
	}
}
