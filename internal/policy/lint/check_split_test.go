package lint

import "testing"

// TestCheckNoNewAccessAcrossStatements: a new statement whose actions or
// resources the existing policy grants in several statements grants
// nothing new; a FAIL there would fail a CI gate for a policy that only
// merges statements.
func TestCheckNoNewAccessAcrossStatements(t *testing.T) {
	for _, tc := range []struct{ existing, new, want string }{
		{`[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]`,
			`[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]}]`, Pass},
		{`[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::a/*"}]`,
			`[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::a/*"}]`, Pass},
		{`[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]`,
			`[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]}]`, Fail},
		{`[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]`,
			`[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]}]`, Fail},
	} {
		doc := func(s string) string { return `{"Version":"2012-10-17","Statement":` + s + `}` }
		res, err := CheckNoNewAccess(doc(tc.existing), doc(tc.new), IdentityPolicy)
		if err != nil {
			t.Fatal(err)
		}
		if res.Result != tc.want {
			t.Errorf("existing %s\nnew %s\n%s, want %s", tc.existing, tc.new, res.Result, tc.want)
		}
	}
}
