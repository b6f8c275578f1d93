package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const v = `"Version":"2012-10-17",`
	stmt := func(body string) string { return `{` + v + `"Statement":[` + body + `]}` }
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string
	}{
		{"not json identity", Identity, `{"Version":`, "Syntax errors in policy."},
		{"not json trust", Trust, `{"Version":`, "This policy contains invalid Json"},
		{"trailing data", Trust, `{"Statement":[]} x`, "This policy contains invalid Json"},
		{"not an object", Identity, `[]`, "Syntax errors in policy."},
		{"unknown top element", Identity, `{` + v + `"Foo":1,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "Syntax errors in policy."},
		{"no statement", Identity, `{` + v[:len(v)-1] + `}`, "Syntax errors in policy."},
		{"empty statement list", Identity, stmt(``), "Syntax errors in policy."},
		{"unknown statement element", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":"x"}`), "Syntax errors in policy."},
		{"missing effect", Identity, stmt(`{"Action":"s3:*","Resource":"*"}`), "Syntax errors in policy."},
		{"bad effect", Identity, stmt(`{"Effect":"allow","Action":"s3:*","Resource":"*"}`), "Syntax errors in policy."},
		{"action and notaction", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}`), "Syntax errors in policy."},
		{"resource and notresource", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}`), "Syntax errors in policy."},
		{"action not string", Identity, stmt(`{"Effect":"Allow","Action":1,"Resource":"*"}`), "Syntax errors in policy."},
		{"duplicate key", Identity, stmt(`{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}`), "Syntax errors in policy."},
		{"bad version", Identity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "Policy document must be version 2012-10-17 or greater."},
		{"principal in identity", Identity, stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`), "Policy document should not specify a principal."},
		{"notprincipal in boundary", Boundary, stmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}`), "Policy document should not specify a principal."},
		{"principal in session", Session, stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`), "Policy document should not specify a principal."},
		{"duplicate sid", Identity, stmt(`{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}`), "Statement IDs (SID) in a single policy must be unique."},
		{"sid not alnum", Identity, stmt(`{"Sid":"a-b","Effect":"Allow","Action":"s3:*","Resource":"*"}`), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"no actions", Identity, stmt(`{"Effect":"Allow","Resource":"*"}`), "Policy statement must contain actions."},
		{"empty actions", Identity, stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Policy statement must contain actions."},
		{"no resources", Identity, stmt(`{"Effect":"Allow","Action":"s3:*"}`), "Policy statement must contain resources."},
		{"no resources scp-like session", Session, stmt(`{"Effect":"Allow","Action":"s3:*"}`), "Policy statement must contain resources."},
		{"action without vendor", Identity, stmt(`{"Effect":"Allow","Action":"GetObject","Resource":"*"}`), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"action two colons", Identity, stmt(`{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}`), "Actions/Condition can contain only one colon."},
		{"bad vendor", Identity, stmt(`{"Effect":"Allow","Action":"s3*:GetObject","Resource":"*"}`), "Vendor s3* is not valid"},
		{"resource not arn", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}`), `Resource bucket must be in ARN format or "*".`},
		{"bad partition", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws2:s3:::b"}`), `Partition "aws2" is not valid for resource "arn:aws2:s3:::b".`},
		{"vendor wildcard", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:*:::b"}`), "Resource vendor must be fully qualified and cannot contain regexes."},
		{"iam region", Identity, stmt(`{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:123456789012:role/x"}`), "IAM resource arn:aws:iam:us-east-1:123456789012:role/x cannot contain region information."},
		{"short arn", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:b"}`), `Resource arn:aws:s3:b must be in ARN format or "*".`},
		{"trust resource", Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}`), "Has prohibited field Resource"},
		{"trust notresource", Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","NotResource":"*"}`), "Has prohibited field NotResource"},
		{"trust no principal", Trust, stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), "Missing required field Principal"},
		{"trust empty principal", Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}`), "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		{"trust other action", Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"s3:GetObject"}`), "AssumeRole policy may only specify STS AssumeRole actions."},
		{"trust bad principal", Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/*"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"`},
		{"trust bad service", Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"*"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "SERVICE":"*"`},
		{"resource policy no principal", Resource, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), "Missing required field Principal"},
		{"unknown principal type", Resource, stmt(`{"Effect":"Allow","Principal":{"Foo":"x"},"Action":"s3:*","Resource":"*"}`), "Syntax errors in policy."},
		{"unknown operator", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}`), "Syntax errors in policy."},
		{"unknown set prefix", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:username":"a"}}}`), "Syntax errors in policy."},
		{"condition without operator", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"aws:username":"a"}}`), "Syntax errors in policy."},
		{"condition key without vendor", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}`), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"bad number", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}`), "Syntax errors in policy."},
		{"hex number", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"0x10"}}}`), "Syntax errors in policy."},
		{"bad date", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-13-01"}}}`), "Syntax errors in policy."},
		{"bad ip", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), "Syntax errors in policy."},
		{"bad base64", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"aws:k":"!!"}}}`), "Syntax errors in policy."},
		{"bad bool", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), "Syntax errors in policy."},
		{"null ifexists", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:TokenIssueTime":"true"}}}`), "Syntax errors in policy."},
		{"null variable", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"${aws:username}"}}}`), "Syntax errors in policy."},
		{"arn value not arn", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"function"}}}`), "Syntax errors in policy."},
		{"unterminated variable", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}`), "Syntax errors in policy."},
		{"bad variable", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"${username}"}}}`), "Syntax errors in policy."},
		{"condition value object", Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}`), "Syntax errors in policy."},
		{"scp principal", SCP, stmt(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`), "The provided policy document does not meet the requirements of the specified policy type."},
		{"scp not json", SCP, `{`, "The provided policy document does not meet the requirements of the specified policy type."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc, tt.kind)
			if err == nil {
				t.Fatalf("Parse accepted %s: %s", tt.doc, p)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T, want *Error", err)
			}
			if e.Message != tt.want {
				t.Errorf("message %q, want %q", e.Message, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
	}{
		{"statement object", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`},
		{"no version", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`},
		{"2008 version", Identity, `{"Version":"2008-10-17","Id":"x","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["*"]}]}`},
		{"all actions", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::b"}}`},
		{"variables", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/${aws:PrincipalTag/team, 'none'}/${*}"}}`},
		{"trust service", Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
		{"trust wildcard action", Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/r"]},"Action":["sts:*","sts:TagSession"]}]}`},
		{"trust federated", Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`},
		{"resource sid with spaces", Resource, `{"Version":"2012-10-17","Statement":[{"Sid":"Allow public read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`},
		{"resource notprincipal", Resource, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/a"]},"Action":"s3:*","Resource":"*"}]}`},
		{"scp", SCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}}]}`},
		{"condition numbers and bools", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":[10,"20.5"]},"Bool":{"aws:SecureTransport":true}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.doc, tt.kind); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStringAndStatements(t *testing.T) {
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "One", "Effect": "Allow", "Action": ["s3:Get*"], "Resource": "arn:aws:s3:::b/<x>&",
     "Condition": {"StringEquals": {"aws:username": ["a", "b"]}, "Bool": {"aws:SecureTransport": true}}},
    {"Effect": "Deny", "NotAction": "iam:*", "NotResource": "*"}
  ]
}`
	p := mustParse(t, doc, Identity)
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"One","Effect":"Allow","Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/<x>&","Condition":{"StringEquals":{"aws:username":["a","b"]},"Bool":{"aws:SecureTransport":true}}},{"Effect":"Deny","NotAction":"iam:*","NotResource":"*"}]}`
	if got := p.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	if _, err := Parse(p.String(), Identity); err != nil {
		t.Errorf("String() does not parse: %v", err)
	}
	sts := p.Statements()
	if len(sts) != 2 {
		t.Fatalf("%d statements", len(sts))
	}
	s0, s1 := sts[0], sts[1]
	if s0.Sid != "One" || s0.Effect != "Allow" || s0.Index != 0 || len(s0.Condition) != 2 ||
		s0.Condition[1].Operator != "Bool" || s0.Condition[1].Values[0] != "true" {
		t.Errorf("statement 0 = %+v", s0)
	}
	if s1.Effect != "Deny" || s1.NotAction[0] != "iam:*" || s1.NotResource[0] != "*" || s1.Index != 1 ||
		!strings.HasPrefix(s1.Raw, `{"Effect":"Deny"`) {
		t.Errorf("statement 1 = %+v", s1)
	}
}

func TestSize(t *testing.T) {
	if got := Size("{ \"a\" :\n\t\"b c\" }"); got != 10 {
		t.Errorf("Size = %d, want 10", got)
	}
	if got := Size("é é"); got != 2 {
		t.Errorf("Size = %d, want 2", got)
	}
}
