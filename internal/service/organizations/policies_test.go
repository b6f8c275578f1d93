package organizations

import (
	"strings"
	"testing"
)

// TestAWSManagedPoliciesCompile: FullAWSAccess and RCPFullAWSAccess compile
// as the gates evaluate them.
func TestAWSManagedPoliciesCompile(t *testing.T) {
	for id, p := range awsPolicies {
		if _, err := compile(p.Type, p.Content); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

// TestCheckContent: the size limit, the grammar, and RCP syntax.
func TestCheckContent(t *testing.T) {
	for _, c := range []struct {
		typ, doc string
		code     string // "" accepted
	}{
		{typeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, ""},
		{typeSCP, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`, ""},
		{typeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, "MalformedPolicyDocumentException"},
		{typeSCP, `{"Statement":`, "MalformedPolicyDocumentException"},
		// The SCP of Lambda's page on execution roles (lambda:SourceFunctionArn).
		{typeSCP, `{"Version":"2012-10-17","Statement":[{"Action":["s3:*"],"Resource":"arn:aws:s3:::lambda_bucket/*","Effect":"Deny",` +
			`"Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":["vpc-12345678"]},` +
			`"ArnNotEqualsIfExists":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:source_lambda"}}}]}`, ""},
		{typeSCP, `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 5100) + `","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, "ConstraintViolationException"},
		{typeRCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, ""},
		{typeRCP, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}}`, ""},
		{typeRCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, "MalformedPolicyDocumentException"},
		{typeRCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, "MalformedPolicyDocumentException"},
		{typeRCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Principal":"*","Action":"s3:*","Resource":"*"}]}`, "MalformedPolicyDocumentException"},
	} {
		err := checkContent(c.typ, c.doc)
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s %.60s: %v", c.typ, c.doc, err)
		case c.code != "" && (err == nil || !strings.HasPrefix(err.Error(), c.code)):
			t.Errorf("%s %.60s: got %v, want %s", c.typ, c.doc, err, c.code)
		}
	}
}
