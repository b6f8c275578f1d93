package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestOrganizationsConditionKeys: policies of the management account see
// organizations:PolicyType, aws:RequestTag/*, aws:TagKeys and
// aws:ResourceTag/* on Organizations' requests, so a guard that keeps an
// operator away from SCPs or tagged OUs holds.
func TestOrganizationsConditionKeys(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	member := newMember(t, f.orgs, "dev")
	const guarded = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"*"},` +
		`{"Effect":"Deny","Action":["organizations:AttachPolicy","organizations:DetachPolicy","organizations:CreatePolicy"],"Resource":"*","Condition":{"StringEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}},` +
		`{"Effect":"Deny","Action":"organizations:CreateOrganizationalUnit","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"red"}}},` +
		`{"Effect":"Deny","Action":"organizations:TagResource","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"locked"}}},` +
		`{"Effect":"Deny","Action":"organizations:DescribeOrganizationalUnit","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/locked":"true"}}}]}`
	op := organizations.NewFromConfig(newUser(t, srv, "orgop", guarded))
	scp := f.scp("deny-all", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
	_, err := op.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(scp), TargetId: aws.String(member)})
	apiError(t, err, "AccessDeniedException")
	_, err = op.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(member)})
	apiError(t, err, "AccessDeniedException")
	_, err = op.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("x"), Description: aws.String("x"), Type: orgtypes.PolicyTypeServiceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	apiError(t, err, "AccessDeniedException")

	_, err = op.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(f.root), Name: aws.String("red"),
		Tags: []orgtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	apiError(t, err, "AccessDeniedException")
	ou, err := op.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(f.root), Name: aws.String("blue"),
		Tags: []orgtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	if err != nil {
		t.Fatal(err)
	}
	ouID := ou.OrganizationalUnit.Id
	_, err = op.TagResource(ctx, &organizations.TagResourceInput{ResourceId: ouID, Tags: []orgtypes.Tag{{Key: aws.String("locked"), Value: aws.String("true")}}})
	apiError(t, err, "AccessDeniedException")
	if _, err := op.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: ouID}); err != nil {
		t.Fatalf("DescribeOrganizationalUnit before the tag: %v", err)
	}
	if _, err := f.orgs.TagResource(ctx, &organizations.TagResourceInput{ResourceId: ouID, Tags: []orgtypes.Tag{{Key: aws.String("locked"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = op.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: ouID})
	apiError(t, err, "AccessDeniedException")
	_, err = f.orgs.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(member), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
}
