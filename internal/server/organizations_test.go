package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

const adminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// newMember creates an account in the organization and returns its id.
func newMember(t *testing.T, orgs *organizations.Client, name string) string {
	t.Helper()
	ctx := context.Background()
	out, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if out.CreateAccountStatus.State != orgtypes.CreateAccountStateInProgress {
		t.Errorf("CreateAccount state %s", out.CreateAccountStatus.State)
	}
	st, err := orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	if st.CreateAccountStatus.State != orgtypes.CreateAccountStateSucceeded || len(aws.ToString(st.CreateAccountStatus.AccountId)) != 12 {
		t.Fatalf("status %+v", st.CreateAccountStatus)
	}
	return aws.ToString(st.CreateAccountStatus.AccountId)
}

// TestOrganizationAccounts: the management account creates an
// organization, a member account with OrganizationAccountAccessRole that
// an admin user of the management account assumes, OUs five deep, and
// moves and removes the account.
func TestOrganizationAccounts(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	orgs := organizations.NewFromConfig(srv.RootConfig())

	_, err := orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	apiError(t, err, "AWSOrganizationsNotInUseException")
	created, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	if err != nil {
		t.Fatal(err)
	}
	org := created.Organization
	if !strings.HasPrefix(aws.ToString(org.Id), "o-") || aws.ToString(org.MasterAccountId) != "123456789012" ||
		aws.ToString(org.Arn) != "arn:aws:organizations::123456789012:organization/"+aws.ToString(org.Id) {
		t.Errorf("organization %+v", org)
	}
	_, err = orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	apiError(t, err, "AlreadyInOrganizationException")
	roots, err := orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	if !strings.HasPrefix(root, "r-") || len(root) != 6 {
		t.Errorf("root %s", root)
	}

	member := newMember(t, orgs, "dev")
	acct, err := orgs.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(member)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(acct.Account.Name) != "dev" || acct.Account.JoinedMethod != orgtypes.AccountJoinedMethodCreated {
		t.Errorf("account %+v", acct.Account)
	}
	// An address already in the organization: the request fails.
	dup, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("again"), Email: aws.String("DEV@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: dup.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	if st.CreateAccountStatus.State != orgtypes.CreateAccountStateFailed || st.CreateAccountStatus.FailureReason != orgtypes.CreateAccountFailureReasonEmailAlreadyExists {
		t.Errorf("duplicate address: %+v", st.CreateAccountStatus)
	}
	list, err := orgs.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 2 {
		t.Errorf("ListAccounts: %d accounts", len(list.Accounts))
	}

	// The management account's root cannot assume roles; an admin user can.
	_, err = sts.NewFromConfig(srv.RootConfig()).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")})
	apiError(t, err, "AccessDenied")
	adminCfg := newUser(t, srv, "admin", adminPolicy)
	assumed, err := sts.NewFromConfig(adminCfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")})
	if err != nil {
		t.Fatal(err)
	}
	c := assumed.Credentials
	memberCfg := srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	who, err := sts.NewFromConfig(memberCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Account) != member {
		t.Errorf("caller account %s", aws.ToString(who.Account))
	}
	// AdministratorAccess lets the session use the member's IAM.
	if _, err := iam.NewFromConfig(memberCfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(lambdaTrust)}); err != nil {
		t.Fatal(err)
	}
	// A role name of the caller's choosing.
	named, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("ops"), Email: aws.String("ops@example.com"), RoleName: aws.String("Break-Glass")})
	if err != nil {
		t.Fatal(err)
	}
	st, err = orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: named.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(adminCfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + aws.ToString(st.CreateAccountStatus.AccountId) + ":role/Break-Glass"), RoleSessionName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	if _, err := orgs.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: st.CreateAccountStatus.AccountId}); err != nil {
		t.Fatal(err)
	}

	// Members see the organization but cannot change it.
	if _, err := organizations.NewFromConfig(memberCfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = organizations.NewFromConfig(memberCfg).CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("x")})
	apiError(t, err, "AccessDeniedException")

	// OUs nest five deep.
	parent := root
	var ous []string
	for i := range 5 {
		ou, err := orgs.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String("level" + string(rune('1'+i)))})
		if err != nil {
			t.Fatal(err)
		}
		parent = aws.ToString(ou.OrganizationalUnit.Id)
		ous = append(ous, parent)
	}
	_, err = orgs.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String("level6")})
	apiError(t, err, "ConstraintViolationException")
	_, err = orgs.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("level1")})
	apiError(t, err, "DuplicateOrganizationalUnitException")

	if _, err := orgs.UpdateOrganizationalUnit(ctx, &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(ous[0]), Name: aws.String("top")}); err != nil {
		t.Fatal(err)
	}
	described, err := orgs.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(ous[0])})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(described.OrganizationalUnit.Name) != "top" || !strings.HasPrefix(ous[0], "ou-"+root[2:]+"-") ||
		aws.ToString(described.OrganizationalUnit.Arn) != "arn:aws:organizations::123456789012:ou/"+aws.ToString(org.Id)+"/"+ous[0] {
		t.Errorf("OU %+v", described.OrganizationalUnit)
	}
	under, err := orgs.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(ous[0])})
	if err != nil {
		t.Fatal(err)
	}
	if len(under.OrganizationalUnits) != 1 || aws.ToString(under.OrganizationalUnits[0].Id) != ous[1] {
		t.Errorf("OUs under %s: %+v", ous[0], under.OrganizationalUnits)
	}
	if _, err := orgs.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(member), Tags: []orgtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := orgs.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(member)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "red" {
		t.Errorf("tags %+v", tags.Tags)
	}
	_, err = orgs.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String("ou-none-12345678"), Tags: []orgtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	apiError(t, err, "TargetNotFoundException")

	if _, err := orgs.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: aws.String(root), DestinationParentId: aws.String(ous[1])}); err != nil {
		t.Fatal(err)
	}
	parents, err := orgs.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(member)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(parents.Parents[0].Id) != ous[1] || parents.Parents[0].Type != orgtypes.ParentTypeOrganizationalUnit {
		t.Errorf("parents %+v", parents.Parents)
	}
	children, err := orgs.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(ous[1]), ChildType: orgtypes.ChildTypeAccount})
	if err != nil {
		t.Fatal(err)
	}
	if len(children.Children) != 1 || aws.ToString(children.Children[0].Id) != member {
		t.Errorf("children %+v", children.Children)
	}
	_, err = orgs.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(ous[1])})
	apiError(t, err, "OrganizationalUnitNotEmptyException")
	_, err = orgs.DeleteOrganization(ctx, &organizations.DeleteOrganizationInput{})
	apiError(t, err, "OrganizationNotEmptyException")
	if _, err := orgs.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(member)}); err != nil {
		t.Fatal(err)
	}
	_, err = organizations.NewFromConfig(memberCfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	apiError(t, err, "AWSOrganizationsNotInUseException")
	if _, err := orgs.DeleteOrganization(ctx, &organizations.DeleteOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
}

// TestOrganizationPolicies: enabling SCPs attaches FullAWSAccess
// everywhere; policies are validated, attached, listed, detached (never
// the last SCP) and deleted only when attached nowhere.
func TestOrganizationPolicies(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	orgs := organizations.NewFromConfig(srv.RootConfig())
	if _, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	roots, err := orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	member := newMember(t, orgs, "prod")
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	createSCP := func(name, doc string) (string, error) {
		out, err := orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String("d"),
			Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(doc)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Policy.PolicySummary.Id), nil
	}
	p, err := createSCP("no-s3", deny)
	if err != nil {
		t.Fatal(err)
	}
	_, err = orgs.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(p), TargetId: aws.String(member)})
	apiError(t, err, "PolicyTypeNotEnabledException")
	en, err := orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if len(en.Root.PolicyTypes) != 1 || en.Root.PolicyTypes[0].Status != orgtypes.PolicyTypeStatusEnabled {
		t.Errorf("root %+v", en.Root.PolicyTypes)
	}
	_, err = orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: orgtypes.PolicyTypeServiceControlPolicy})
	apiError(t, err, "PolicyTypeAlreadyEnabledException")
	_, err = orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: orgtypes.PolicyTypeTagPolicy})
	apiError(t, err, "InvalidInputException")

	targets, err := orgs.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets.Targets) != 3 { // the root and both accounts
		t.Errorf("FullAWSAccess targets %+v", targets.Targets)
	}
	if _, err := orgs.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(p), TargetId: aws.String(member)}); err != nil {
		t.Fatal(err)
	}
	_, err = orgs.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(p), TargetId: aws.String(member)})
	apiError(t, err, "DuplicatePolicyAttachmentException")
	for_, err := orgs.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(member), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if len(for_.Policies) != 2 {
		t.Errorf("policies for the account %+v", for_.Policies)
	}
	_, err = orgs.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String(p)})
	apiError(t, err, "PolicyInUseException")
	if _, err := orgs.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(member)}); err != nil {
		t.Fatal(err)
	}
	_, err = orgs.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String(p), TargetId: aws.String(member)})
	apiError(t, err, "ConstraintViolationException")
	_, err = orgs.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(member)})
	apiError(t, err, "PolicyNotAttachedException")

	// Documents are validated.
	for _, doc := range []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, `not json`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":"` + strings.Repeat("a", 5120) + `"}]}`} {
		_, err := createSCP("bad", doc)
		if err == nil {
			t.Errorf("accepted %.80s", doc)
		}
	}
	_, err = createSCP("no-s3", deny)
	apiError(t, err, "DuplicatePolicyException")

	// RCPs: Principal "*" and Deny only; RCPFullAWSAccess stays attached.
	if _, err := orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: orgtypes.PolicyTypeResourceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	rcp := func(doc string) error {
		_, err := orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("rcp"), Description: aws.String("d"),
			Type: orgtypes.PolicyTypeResourceControlPolicy, Content: aws.String(doc)})
		return err
	}
	apiError(t, rcp(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`), "MalformedPolicyDocumentException")
	apiError(t, rcp(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:*","Resource":"*"}]}`), "MalformedPolicyDocumentException")
	if err := rcp(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]}`); err != nil {
		t.Fatal(err)
	}
	_, err = orgs.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-RCPFullAWSAccess"), TargetId: aws.String(root)})
	apiError(t, err, "ConstraintViolationException")
	pols, err := orgs.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeResourceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if len(pols.Policies) != 2 || !pols.Policies[0].AwsManaged {
		t.Errorf("RCPs %+v", pols.Policies)
	}

	// Organizations calls are management events of the management account.
	ct := cloudtrail.NewFromConfig(srv.RootConfig())
	evs, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
		AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("AttachPolicy")}}})
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	for _, e := range evs.Events {
		var r map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &r); err != nil {
			t.Fatal(err)
		}
		if r["errorCode"] == nil {
			rec = r
		}
	}
	params, _ := rec["requestParameters"].(map[string]any)
	if rec["eventSource"] != "organizations.amazonaws.com" || rec["recipientAccountId"] != "123456789012" ||
		rec["eventCategory"] != "Management" || rec["awsRegion"] != "us-east-1" || params["policyId"] != p {
		t.Errorf("AttachPolicy record %v", rec)
	}
}

// TestOrganizationsActionsOnARNs: an identity policy that denies attaching
// one SCP (by its ARN) to one OU stops that, and nothing else.
func TestOrganizationsActionsOnARNs(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	ou, err := f.orgs.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(f.root), Name: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	ouID := aws.ToString(ou.OrganizationalUnit.Id)
	guarded := f.scp("guarded", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`)
	other := f.scp("other", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sqs:*","Resource":"*"}]}`)
	policyARN := "arn:aws:organizations::123456789012:policy/" + f.id + "/service_control_policy/" + guarded
	ouARN := "arn:aws:organizations::123456789012:ou/" + f.id + "/" + ouID
	cfg := newUser(t, srv, "operator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"*"},`+
		`{"Effect":"Deny","Action":"organizations:AttachPolicy","Resource":["`+policyARN+`","`+ouARN+`"]}]}`)
	op := organizations.NewFromConfig(cfg)
	_, err = op.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(guarded), TargetId: aws.String(f.root)})
	msg := apiError(t, err, "AccessDeniedException")
	if !strings.Contains(msg, "organizations:AttachPolicy on resource: "+policyARN) {
		t.Errorf("message %q", msg)
	}
	_, err = op.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(other), TargetId: aws.String(ouID)})
	apiError(t, err, "AccessDeniedException")
	if _, err := op.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(other), TargetId: aws.String(f.root)}); err != nil {
		t.Fatal(err)
	}
}
