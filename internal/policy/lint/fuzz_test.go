package lint

import (
	"testing"
	"unicode/utf8"
)

// FuzzValidate feeds arbitrary documents to every policy type: validation
// never panics, and every location lies within the document.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","iam:PassRole"],"Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"],"Federated":"arn:aws:iam::1:oidc-provider/x.y"},"NotAction":"s3:*","NotResource":[]}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":1,"Action":[],"Condition":{"ForAllValues:NullIfExists":{"a":[]}}}]}`,
		"{\"Version\": \"\u00e9\", \"Statement\": [}",
		`[1, "x", null]`,
		``,
	} {
		f.Add(seed)
	}
	types := []Options{
		{PolicyType: IdentityPolicy},
		{PolicyType: ResourcePolicy},
		{PolicyType: ResourcePolicy, ResourceType: TrustPolicyResourceType},
		{PolicyType: ResourcePolicy, ResourceType: "AWS::S3::Bucket"},
		{PolicyType: ServiceControlPolicy},
	}
	f.Fuzz(func(t *testing.T, doc string) {
		chars := utf8.RuneCountInString(doc)
		for _, opt := range types {
			for _, fd := range Validate(doc, opt) {
				if fd.Type == "" || fd.Details == "" || len(fd.Locations) == 0 {
					t.Fatalf("finding %+v", fd)
				}
				for _, l := range fd.Locations {
					s, e := l.Span.Start, l.Span.End
					if s.Offset < 0 || e.Offset > chars || s.Offset > e.Offset || s.Line < 1 || s.Column < 0 {
						t.Fatalf("span %+v of a %d-character document", l.Span, chars)
					}
				}
			}
		}
	})
}

// FuzzCheckNoNewAccessSame: a policy grants nothing new over itself, and
// the checks never panic.
func FuzzCheckNoNewAccessSame(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["s3:Get*","iam:*"],"NotResource":"arn:aws:s3:::b/${aws:username}","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*"]}}},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`)
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"],"Service":"Lambda.amazonaws.com"},"Action":"sqs:Send*","Resource":"*"}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		for _, typ := range []string{IdentityPolicy, ResourcePolicy} {
			got, err := CheckNoNewAccess(doc, doc, typ)
			if err != nil {
				continue
			}
			if got.Result != Pass {
				t.Fatalf("%s against itself: %+v", typ, got)
			}
			if _, err := CheckAccessNotGranted(doc, []Access{{Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/k"}}}, typ); err != nil {
				t.Fatal(err)
			}
			_, _ = CheckNoPublicAccess(doc, "AWS::S3::Bucket") // must not panic; a document it cannot read is an error
		}
	})
}
