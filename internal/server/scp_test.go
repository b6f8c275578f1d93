package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// orgFixture is an organization with SCPs enabled, made by the default
// account's root, and an admin user of the management account.
type orgFixture struct {
	t     *testing.T
	srv   *servertest.Server
	orgs  *organizations.Client
	id    string // o-…
	root  string // r-…
	admin aws.Config
}

func newOrg(t *testing.T, srv *servertest.Server) *orgFixture {
	t.Helper()
	ctx := context.Background()
	f := &orgFixture{t: t, srv: srv, orgs: organizations.NewFromConfig(srv.RootConfig())}
	out, err := f.orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	f.id = aws.ToString(out.Organization.Id)
	roots, err := f.orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	f.root = aws.ToString(roots.Roots[0].Id)
	if _, err := f.orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(f.root), PolicyType: orgtypes.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	f.admin = newUser(t, srv, "org-admin", adminPolicy)
	return f
}

// session assumes the member account's OrganizationAccountAccessRole as
// the admin user.
func (f *orgFixture) session(member string) aws.Config {
	f.t.Helper()
	out, err := sts.NewFromConfig(f.admin).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")})
	if err != nil {
		f.t.Fatal(err)
	}
	c := out.Credentials
	return f.srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

func (f *orgFixture) scp(name, doc string) string {
	f.t.Helper()
	out, err := f.orgs.CreatePolicy(context.Background(), &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String(name),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(doc)})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.Policy.PolicySummary.Id)
}

func (f *orgFixture) attach(policy, target string) {
	f.t.Helper()
	if _, err := f.orgs.AttachPolicy(context.Background(), &organizations.AttachPolicyInput{PolicyId: aws.String(policy), TargetId: aws.String(target)}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *orgFixture) detach(policy, target string) {
	f.t.Helper()
	if _, err := f.orgs.DetachPolicy(context.Background(), &organizations.DetachPolicyInput{PolicyId: aws.String(policy), TargetId: aws.String(target)}); err != nil {
		f.t.Fatal(err)
	}
}

func listRoles(cfg aws.Config) error {
	_, err := iam.NewFromConfig(cfg).ListRoles(context.Background(), &iam.ListRolesInput{})
	return err
}

func createUser(cfg aws.Config, name string) error {
	_, err := iam.NewFromConfig(cfg).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})
	return err
}

// TestSCPsGovernMemberAccounts: an SCP's deny reaches the principals of the
// accounts under the OU it is attached to, whatever their own policies
// allow, and never the management account's; every level from the root
// down must allow, and AccessDenied names the SCP.
func TestSCPsGovernMemberAccounts(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	member := newMember(t, f.orgs, "dev")
	ou, err := f.orgs.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(f.root), Name: aws.String("workloads")})
	if err != nil {
		t.Fatal(err)
	}
	ouID := aws.ToString(ou.OrganizationalUnit.Id)
	if _, err := f.orgs.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: aws.String(f.root), DestinationParentId: aws.String(ouID)}); err != nil {
		t.Fatal(err)
	}
	sess := f.session(member)
	if err := createUser(sess, "before"); err != nil {
		t.Fatal(err)
	}

	// An explicit deny on the OU.
	deny := f.scp("no-users", `{"Version":"2012-10-17","Statement":[{"Sid":"NoUsers","Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`)
	f.attach(deny, ouID)
	msg := apiError(t, createUser(sess, "after"), "AccessDenied")
	if !strings.Contains(msg, "arn:aws:sts::"+member+":assumed-role/OrganizationAccountAccessRole/ops is not authorized to perform: iam:CreateUser") ||
		!strings.Contains(msg, "with an explicit deny in a service control policy") {
		t.Errorf("message %q", msg)
	}
	if err := listRoles(sess); err != nil {
		t.Fatalf("an action the SCP does not deny: %v", err)
	}
	// The policy simulator includes the SCPs, as AWS's does.
	sim, err := iam.NewFromConfig(sess).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"),
		ActionNames:     []string{"iam:CreateUser", "iam:ListRoles"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sim.EvaluationResults {
		want, allowed := iamtypes.PolicyEvaluationDecisionTypeAllowed, true
		if aws.ToString(r.EvalActionName) == "iam:CreateUser" {
			want, allowed = iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, false
		}
		if r.EvalDecision != want || r.OrganizationsDecisionDetail == nil || r.OrganizationsDecisionDetail.AllowedByOrganizations != allowed {
			t.Errorf("simulated %s: %s, %+v", aws.ToString(r.EvalActionName), r.EvalDecision, r.OrganizationsDecisionDetail)
		}
	}
	// The management account is never governed, even with the SCP on the root.
	f.attach(deny, f.root)
	if err := createUser(f.admin, "in-management"); err != nil {
		t.Fatalf("management account: %v", err)
	}
	f.detach(deny, f.root)

	// Every level must allow: the OU allowing only IAM reads leaves iam:ListRoles,
	// but nothing of STS.
	reads := f.scp("iam-reads", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"}]}`)
	f.attach(reads, ouID)
	f.detach("p-FullAWSAccess", ouID)
	if err := listRoles(sess); err != nil {
		t.Fatalf("allowed at every level: %v", err)
	}
	msg = apiError(t, createUser(sess, "third"), "AccessDenied")
	if !strings.Contains(msg, "with an explicit deny in a service control policy") {
		t.Errorf("message %q", msg)
	}
	f.detach(deny, ouID)
	msg = apiError(t, createUser(sess, "third"), "AccessDenied")
	if !strings.Contains(msg, "because no service control policy allows the iam:CreateUser action") {
		t.Errorf("message %q", msg)
	}
	// Allowed at the OU but not at the account: still denied.
	f.attach("p-FullAWSAccess", ouID)
	if err := createUser(sess, "third"); err != nil {
		t.Fatalf("FullAWSAccess back on the OU: %v", err)
	}
	f.attach(reads, member)
	f.detach("p-FullAWSAccess", member)
	msg = apiError(t, createUser(sess, "fourth"), "AccessDenied")
	if !strings.Contains(msg, "because no service control policy allows") {
		t.Errorf("message %q", msg)
	}
	if err := listRoles(sess); err != nil {
		t.Fatal(err)
	}
	// Disabling SCPs lifts them all.
	if _, err := f.orgs.DisablePolicyType(ctx, &organizations.DisablePolicyTypeInput{RootId: aws.String(f.root), PolicyType: orgtypes.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	if err := createUser(sess, "fourth"); err != nil {
		t.Fatalf("SCPs disabled: %v", err)
	}
}

// TestPrincipalOrgConditions: a role trust policy that trusts any principal
// of the organization (aws:PrincipalOrgID, aws:PrincipalOrgPaths) lets the
// organization's principals in and no one else, including an account that
// has left it.
func TestPrincipalOrgConditions(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	a := newMember(t, f.orgs, "a")
	b := newMember(t, f.orgs, "b")
	sessA, sessB := f.session(a), f.session(b)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",` +
		`"Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + f.id + `"},"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"` + f.id + `/` + f.root + `/*"}}}]}`
	if _, err := iam.NewFromConfig(sessA).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("shared"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	assume := func(cfg aws.Config) error {
		_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + a + ":role/shared"), RoleSessionName: aws.String("x1")})
		return err
	}
	if err := assume(sessB); err != nil {
		t.Fatalf("a member of the organization: %v", err)
	}
	if err := assume(f.admin); err != nil {
		t.Fatalf("the management account's user: %v", err)
	}
	if _, err := f.orgs.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	apiError(t, assume(sessB), "AccessDenied")
}

// TestSCPChangesReachOtherNodes: an SCP attached through one node governs
// requests to another node sharing the database within a second.
func TestSCPChangesReachOtherNodes(t *testing.T) {
	nodes := servertest.Nodes(t, 2)
	f := newOrg(t, nodes[0])
	member := newMember(t, f.orgs, "dev")
	sess := f.session(member)
	creds, err := sess.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sessB := nodes[1].Config(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	if err := listRoles(sessB); err != nil {
		t.Fatal(err)
	}
	f.attach(f.scp("no-iam", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`), member)
	deadline := time.Now().Add(time.Second)
	for listRoles(sessB) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the other node still allows a second after the SCP was attached")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRCPsGovernMemberResources: an RCP on a member account denies
// sts:AssumeRole of its roles to principals outside the organization,
// whatever the role's trust policy says, and AccessDenied names the RCP;
// RCPFullAWSAccess alone changes nothing.
func TestRCPsGovernMemberResources(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	if _, err := f.orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(f.root), PolicyType: orgtypes.PolicyTypeResourceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	a := newMember(t, f.orgs, "a")
	b := newMember(t, f.orgs, "b")
	sessA, sessB := f.session(a), f.session(b)
	// The trust policy also checks aws:ResourceOrgID and aws:ResourceOrgPaths,
	// which the organization of the role's account sets.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + b + `:root"},"Action":"sts:AssumeRole",` +
		`"Condition":{"StringEquals":{"aws:ResourceOrgID":"` + f.id + `","aws:ResourceAccount":"` + a + `"},"ForAnyValue:StringEquals":{"aws:ResourceOrgPaths":"` + f.id + `/` + f.root + `/"}}}]}`
	if _, err := iam.NewFromConfig(sessA).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("for-b"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	assume := func() error {
		_, err := sts.NewFromConfig(sessB).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + a + ":role/for-b"), RoleSessionName: aws.String("x1")})
		return err
	}
	if err := assume(); err != nil {
		t.Fatalf("RCPFullAWSAccess alone: %v", err)
	}
	out, err := f.orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("org-only"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeResourceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*",` +
			`"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + f.id + `"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	f.attach(aws.ToString(out.Policy.PolicySummary.Id), a)
	if err := assume(); err != nil {
		t.Fatalf("a principal of the organization: %v", err)
	}
	if _, err := f.orgs.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	msg := apiError(t, assume(), "AccessDenied")
	if !strings.Contains(msg, "with an explicit deny in a resource control policy") {
		t.Errorf("message %q", msg)
	}
}

// TestSCPsGovernLambdaExecutionRoles: a function of a member account calls
// AWS as its execution role, which the account's SCPs govern like any
// other role session.
func TestSCPsGovernLambdaExecutionRoles(t *testing.T) {
	srv := servertest.Start(t)
	f := newOrg(t, srv)
	member := newMember(t, f.orgs, "dev")
	sess := f.session(member)
	s := &lambdaSuite{srv: srv, iam: iam.NewFromConfig(sess), lambda: lambda.NewFromConfig(sess), sts: sts.NewFromConfig(sess)}
	role := s.role(t, "fn-admin", lambdaTrust, "arn:aws:iam::aws:policy/AdministratorAccess")
	s.create(t, goFunction(t, "lister", role))
	got := s.call(t, "lister", callAction("iam", "ListRoles", nil))
	if got["error"] != nil {
		t.Fatalf("iam:ListRoles before the SCP = %v", got)
	}
	f.attach(f.scp("no-list", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`), member)
	got = s.call(t, "lister", callAction("iam", "ListRoles", nil))
	want := "User: arn:aws:sts::" + member + ":assumed-role/fn-admin/lister is not authorized to perform: iam:ListRoles"
	if msg := str(got["message"]); got["error"] != "AccessDenied" || !strings.HasPrefix(msg, want) ||
		!strings.Contains(msg, "with an explicit deny in a service control policy") {
		t.Errorf("iam:ListRoles under the SCP = %v", got)
	}
}

// TestCreateAccountFailsUnderDenyingSCP: rolecall makes the new account's
// access role as the account's root, which the organization's SCPs
// govern: an SCP on the root that denies iam:CreateRole fails the request
// (FAILED, INTERNAL_FAILURE) and leaves no account behind.
func TestCreateAccountFailsUnderDenyingSCP(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	f.attach(f.scp("no-roles", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateRole","Resource":"*"}]}`), f.root)
	out, err := f.orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("x"), Email: aws.String("x@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	if st.CreateAccountStatus.State != orgtypes.CreateAccountStateFailed || st.CreateAccountStatus.AccountId != nil {
		t.Errorf("status %+v", st.CreateAccountStatus)
	}
	list, err := f.orgs.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 1 {
		t.Errorf("%d accounts", len(list.Accounts))
	}
}
