package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestOrganizationGuardsBuckets: a bucket of a member account shared with
// everyone (Principal "*") reaches principals of other accounts; an RCP
// on the owner account that denies principals outside the organization
// (aws:PrincipalOrgID) keeps out an account that left it, whatever the
// bucket policy grants; a bucket policy conditioned on aws:PrincipalOrgID
// does the same without RCPs.
func TestOrganizationGuardsBuckets(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	owner, peer, gone := newMember(t, f.orgs, "owner"), newMember(t, f.orgs, "peer"), newMember(t, f.orgs, "gone")
	ownerS3 := s3Client(f.session(owner))
	peerS3, goneS3 := s3Client(f.session(peer)), s3Client(f.session(gone))
	if _, err := f.orgs.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	const bucket = "org-shared-bucket"
	if _, err := ownerS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	// Shared with everyone: the bucket's public access block goes first.
	if _, err := ownerS3.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	put := func(condition string) {
		t.Helper()
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetBucketTagging","Resource":"arn:aws:s3:::` + bucket + `"` + condition + `}]}`
		if _, err := ownerS3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	tagging := func(c *s3.Client) error {
		_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
		return err
	}
	put("")
	wantCode(t, tagging(peerS3), "NoSuchTagSet")
	wantCode(t, tagging(goneS3), "NoSuchTagSet")

	// An RCP on the owner account keeps out principals outside the organization.
	if _, err := f.orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(f.root), PolicyType: orgtypes.PolicyTypeResourceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	out, err := f.orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("org-only"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeResourceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",` +
			`"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + f.id + `"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	rcp := aws.ToString(out.Policy.PolicySummary.Id)
	f.attach(rcp, owner)
	wantCode(t, tagging(peerS3), "NoSuchTagSet")
	err = tagging(goneS3)
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "with an explicit deny in a resource control policy") {
		t.Errorf("message: %v", err)
	}
	f.detach(rcp, owner)
	wantCode(t, tagging(goneS3), "NoSuchTagSet")

	// The bucket policy itself conditioned on aws:PrincipalOrgID.
	put(`,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + f.id + `"}}`)
	wantCode(t, tagging(peerS3), "NoSuchTagSet")
	wantCode(t, tagging(goneS3), "AccessDenied")
}
