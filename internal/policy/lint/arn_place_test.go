package lint

import (
	"slices"
	"testing"
)

// TestARNRegionAccountNotAllowed: an S3 bucket or object ARN with a
// Region or account matches no resource S3 has, so the statement grants
// nothing on it; Access Analyzer reports ARN_REGION_NOT_ALLOWED and
// ARN_ACCOUNT_NOT_ALLOWED (IAM policy validation check reference).
func TestARNRegionAccountNotAllowed(t *testing.T) {
	for _, tc := range []struct {
		arn  string
		want []string
	}{
		{"arn:aws:s3:us-east-1::b/k", []string{"ARN_REGION_NOT_ALLOWED"}},
		{"arn:aws:s3::123456789012:b", []string{"ARN_ACCOUNT_NOT_ALLOWED"}},
		{"arn:aws:s3:us-east-1:123456789012:b/k", []string{"ARN_REGION_NOT_ALLOWED", "ARN_ACCOUNT_NOT_ALLOWED"}},
		{"arn:aws:iam:us-east-1:123456789012:role/r", []string{"ARN_REGION_NOT_ALLOWED"}},
		{"arn:aws:s3:::b/k", nil},
		{"arn:aws:s3:us-east-1:123456789012:accesspoint/ap", nil},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/t", nil},
		{"arn:aws:s3:*:*:*", nil},
	} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"` + tc.arn + `"}]}`
		var got []string
		for _, f := range Validate(doc, Options{PolicyType: IdentityPolicy}) {
			if f.Code == "ARN_REGION_NOT_ALLOWED" || f.Code == "ARN_ACCOUNT_NOT_ALLOWED" {
				got = append(got, f.Code)
				if f.Type != Error {
					t.Errorf("%s: %s is a %s", tc.arn, f.Code, f.Type)
				}
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.arn, got, tc.want)
		}
	}
}
