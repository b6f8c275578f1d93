package lint

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// pathString writes a location path compactly: Statement/0/Action/1, a key
// as {name}.
func pathString(p []PathElement) string {
	var parts []string
	for _, e := range p {
		switch {
		case e.Index != nil:
			parts = append(parts, fmt.Sprint(*e.Index))
		case e.Key != "":
			parts = append(parts, "{"+e.Key+"}")
		default:
			parts = append(parts, e.Value)
		}
	}
	return strings.Join(parts, "/")
}

// spanText returns the text of doc a span covers, by character offsets.
func spanText(doc string, s Span) string {
	r := []rune(doc)
	return string(r[s.Start.Offset:s.End.Offset])
}

func TestValidate(t *testing.T) {
	const v = `"Version":"2012-10-17",`
	type want struct {
		typ, code, path, text string
	}
	for _, tt := range []struct {
		name string
		opt  Options
		doc  string
		want []want
	}{
		{name: "clean", doc: `{` + v + `"Statement":[
			{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
			{"Effect":"Allow","Action":["iam:PassRole"],"Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},
			{"Effect":"Allow","Action":["S3:getobject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"a","s3:ExistingObjectTag/team":"a"}}},
			{"Effect":"Allow","Action":"lambda:TagResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]},"StringEquals":{"aws:RequestTag/a":"b"}}}]}`},
		{name: "json syntax", doc: "{\n \"Version\": }", want: []want{{Error, "JSON_SYNTAX_ERROR", "", ""}}},
		{name: "missing version", doc: `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			want: []want{{Warning, "MISSING_VERSION", "", "{"}}},
		{name: "invalid version", doc: `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			want: []want{{Error, "INVALID_VERSION", "Version", `"2012-10-18"`}}},
		{name: "missing statement", doc: `{` + v + `"Id":"x"}`, want: []want{{Error, "MISSING_STATEMENT", "", "{"}}},
		{name: "invalid element", doc: `{` + v + `"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Resources":"*"}]}`,
			want: []want{{Error, "INVALID_POLICY_ELEMENT", "Statement/0/{Resources}", `"Resources"`}}},
		{name: "effect", doc: `{` + v + `"Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"*"},{"Action":"s3:GetObject","Resource":"*"},{"Effect":1,"Action":"s3:GetObject","Resource":"*"}]}`,
			want: []want{
				{Error, "INVALID_EFFECT", "Statement/0/Effect", `"allow"`},
				{Error, "MISSING_EFFECT", "Statement/1", "{"},
				{Error, "DATA_TYPE_MISMATCH", "Statement/2/Effect", "1"},
			}},
		{name: "missing action and resource", doc: `{` + v + `"Statement":{"Effect":"Allow"}}`,
			want: []want{{Error, "MISSING_ACTION", "Statement", "{"}, {Error, "MISSING_RESOURCE", "Statement", "{"}}},
		{name: "element combination", doc: `{` + v + `"Statement":{"Effect":"Deny","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}}`,
			want: []want{{Error, "UNSUPPORTED_ELEMENT_COMBINATION", "Statement/{Action}", `"Action"`}}},
		{name: "invalid action", doc: `{` + v + `"Statement":[{"Effect":"Allow","Action":["s3:GetObjekt","s3:GetObject","s4:Get","s3:Gett*"],"Resource":"*"}]}`,
			want: []want{
				{Error, "INVALID_ACTION", "Statement/0/Action/0", `"s3:GetObjekt"`},
				{Error, "INVALID_SERVICE_IN_ACTION", "Statement/0/Action/2", `"s4:Get"`},
				{Error, "INVALID_ACTION", "Statement/0/Action/3", `"s3:Gett*"`},
			}},
		{name: "wildcard service", doc: `{` + v + `"Statement":{"Effect":"Allow","Action":"s*:GetObject","Resource":"*"}}`,
			want: []want{{Suggestion, "WILDCARD_IN_SERVICE_NAME", "Statement/Action", `"s*:GetObject"`}}},
		{name: "arns", doc: `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":["bucket","arn:aws:s3","arn:aws:S3:::b/*","arn:aws:lambda:us-east-1:12345:function:f","arn:nope:s3:::b"]}}`,
			want: []want{
				{Error, "INVALID_ARN_PREFIX", "Statement/Resource/0", `"bucket"`},
				{Error, "MISSING_ARN_FIELD", "Statement/Resource/1", `"arn:aws:s3"`},
				{Error, "INVALID_ARN_SERVICE_CASE", "Statement/Resource/2", `"arn:aws:S3:::b/*"`},
				{Error, "INVALID_ARN_ACCOUNT", "Statement/Resource/3", `"arn:aws:lambda:us-east-1:12345:function:f"`},
				{Error, "INVALID_PARTITION", "Statement/Resource/4", `"arn:nope:s3:::b"`},
			}},
		{name: "condition keys", doc: `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIpAddress":"x","s3:NoSuchKey":"x","nocolon":"x","aws:ARN":"x"},"StringEqual":{"aws:SourceAccount":"1"}}}}`,
			want: []want{
				{Error, "INVALID_GLOBAL_CONDITION_KEY", "Statement/Condition/StringEquals/{aws:SourceIpAddress}", `"aws:SourceIpAddress"`},
				{Error, "INVALID_SERVICE_CONDITION_KEY", "Statement/Condition/StringEquals/{s3:NoSuchKey}", `"s3:NoSuchKey"`},
				{Error, "INVALID_CONDITION_KEY_FORMAT", "Statement/Condition/StringEquals/{nocolon}", `"nocolon"`},
				{Error, "UNSUPPORTED_GLOBAL_CONDITION_KEY", "Statement/Condition/StringEquals/{aws:ARN}", `"aws:ARN"`},
				{Error, "INVALID_CONDITION_OPERATOR", "Statement/Condition/{StringEqual}", `"StringEqual"`},
			}},
		{name: "key of another action", doc: `{` + v + `"Statement":{"Effect":"Allow","Action":["iam:PassRole","s3:GetObject","lambda:Invoke*"],"Resource":"arn:aws:iam::111122223333:role/r","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}}`,
			want: []want{{Error, "UNSUPPORTED_ACTION_FOR_CONDITION_KEY", "Statement/Condition/StringEquals/{iam:PassedToService}", `"iam:PassedToService"`}}},
		{name: "null with if exists and qualifier", doc: `{` + v + `"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"NullIfExists":{"aws:SourceVpc":"true"},"ForAnyValue:Null":{"aws:TagKeys":"true"}}}}`,
			want: []want{
				{Error, "NULL_WITH_IF_EXISTS", "Statement/Condition/{NullIfExists}", `"NullIfExists"`},
				{Suggestion, "NULL_WITH_QUALIFIER", "Statement/Condition/{ForAnyValue:Null}", `"ForAnyValue:Null"`},
				{SecurityWarning, "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", "Statement/Condition/ForAnyValue:Null/{aws:TagKeys}", `"aws:TagKeys"`},
			}},
		{name: "duplicate key case", doc: `{` + v + `"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1","aws:sourcevpc":"vpc-2"}}}}`,
			want: []want{{Error, "DUPLICATE_KEYS_WITH_DIFFERENT_CASE", "Statement/Condition/StringEquals/{aws:sourcevpc}", `"aws:sourcevpc"`}}},
		{name: "values", doc: `{` + v + `"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-*"},"Bool":{"aws:SecureTransport":"yes"},"NumericLessThan":{"s3:signatureAge":"ten"},"DateGreaterThan":{"aws:CurrentTime":"tomorrow"},"IpAddress":{"aws:SourceIp":"10.0.0.300/8"},"StringLike":{"aws:PrincipalAccount":[]}}}}`,
			want: []want{
				{Warning, "WILDCARD_WITHOUT_LIKE_OPERATOR", "Statement/Condition/StringEquals/aws:SourceVpc", `"vpc-*"`},
				{Warning, "TYPE_MISMATCH_BOOLEAN", "Statement/Condition/Bool/aws:SecureTransport", `"yes"`},
				{Warning, "TYPE_MISMATCH_NUMBER", "Statement/Condition/NumericLessThan/s3:signatureAge", `"ten"`},
				{Warning, "TYPE_MISMATCH_DATE", "Statement/Condition/DateGreaterThan/aws:CurrentTime", `"tomorrow"`},
				{Warning, "TYPE_MISMATCH_IP_RANGE", "Statement/Condition/IpAddress/aws:SourceIp", `"10.0.0.300/8"`},
				{Suggestion, "EMPTY_ARRAY_CONDITION", "Statement/Condition/StringLike/aws:PrincipalAccount", `[]`},
			}},
		// The reference's examples for tag condition keys, as written, and
		// with an action of a service that ignores the key.
		{name: "reference deny by tag", doc: `{"Version":"2012-10-17","Statement":[
			{"Sid":"DenyDeleteSupported","Effect":"Deny","Action":["appmesh:DeleteMesh","backup:DeleteBackupPlan"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/status":"Confidential"}}},
			{"Sid":"DenyDeleteUnsupported","Effect":"Deny","Action":"lambda:DeleteFunction","Resource":"arn:aws:lambda:*:123456789012:function:status-Confidential*"}]}`},
		{name: "reference allow by tag", doc: `{"Version":"2012-10-17","Statement":[
			{"Sid":"AllowViewSupported","Effect":"Allow","Action":["appmesh:DescribeMesh","backup:GetBackupPlan","s3:ListAllMyBuckets"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"BumbleBee"}}},
			{"Sid":"AllowViewUnsupported","Effect":"Allow","NotAction":"lambda:GetFunction","Resource":"arn:aws:lambda:*:123456789012:function:team-BumbleBee*","Condition":{"StringEquals":{"aws:ResourceTag/team":"BumbleBee"}}}]}`,
			want: []want{
				{Suggestion, "ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", "Statement/0/Condition/StringEquals/{aws:ResourceTag/team}", `"aws:ResourceTag/team"`},
				{Suggestion, "ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", "Statement/1/Condition/StringEquals/{aws:ResourceTag/team}", `"aws:ResourceTag/team"`},
			}},
		{name: "forallvalues single valued", doc: `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:SourceVpc":["vpc-1"]}}}}`,
			want: []want{{SecurityWarning, "FORALLVALUES_WITH_SINGLE_VALUED_KEY", "Statement/Condition/ForAllValues:StringEquals/aws:SourceVpc", `"aws:SourceVpc"`}}},
		{name: "empty things", doc: `{` + v + `"Statement":[{"Sid":"","Effect":"Allow","Action":[],"Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":[]},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{}}]}`,
			want: []want{
				{Suggestion, "EMPTY_SID_VALUE", "Statement/0/Sid", `""`},
				{Suggestion, "EMPTY_ARRAY_ACTION", "Statement/0/Action", `[]`},
				{Suggestion, "EMPTY_ARRAY_RESOURCE", "Statement/1/Resource", `[]`},
				{Suggestion, "EMPTY_OBJECT_CONDITION", "Statement/2/Condition", `{}`},
			}},
		{name: "sids", doc: `{` + v + `"Statement":[{"Sid":"A b","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"A b","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`,
			want: []want{
				{Error, "UNSUPPORTED_SID", "Statement/0/Sid", `"A b"`},
				{Error, "UNSUPPORTED_SID", "Statement/1/Sid", `"A b"`},
				{Warning, "UNIQUE_SIDS_RECOMMENDED", "Statement/1/Sid", `"A b"`},
			}},
		{name: "redundant", doc: `{` + v + `"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:Get*"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b/k"]},{"Sid":"Again","Effect":"Allow","Action":["s3:GetObject","s3:Get*"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b/k"]}]}`,
			want: []want{
				{Suggestion, "REDUNDANT_ACTION", "Statement/0/Action", `"s3:GetObject"`},
				{Suggestion, "REDUNDANT_RESOURCE", "Statement/0/Resource", `"arn:aws:s3:::b/k"`},
				{Suggestion, "REDUNDANT_ACTION", "Statement/1/Action", `"s3:GetObject"`},
				{Suggestion, "REDUNDANT_RESOURCE", "Statement/1/Resource", `"arn:aws:s3:::b/k"`},
				{Suggestion, "REDUNDANT_STATEMENT", "Statement/1", ""},
			}},
		{name: "pass role", doc: `{` + v + `"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::*:role/*"},{"Effect":"Allow","NotAction":"s3:*","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"x"}}},{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/admin"}]}`,
			want: []want{
				{SecurityWarning, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "Statement/0", ""},
				{SecurityWarning, "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", "Statement/1", ""},
				{Warning, "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE", "Statement/1", ""},
				{SecurityWarning, "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", "Statement/2", ""},
				{SecurityWarning, "PASS_ROLE_WITH_NOT_RESOURCE", "Statement/3", ""},
			}},
		{name: "principal in identity policy", doc: `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`,
			want: []want{{Error, "UNSUPPORTED_PRINCIPAL", "Statement/{Principal}", `"Principal"`}}},
		{name: "resource policy", opt: Options{PolicyType: ResourcePolicy, ResourceType: "AWS::S3::Bucket"},
			doc: `{` + v + `"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root","User":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
			want: []want{
				{Error, "MISSING_PRINCIPAL", "Statement/0", "{"},
				{SecurityWarning, "ALLOW_WITH_NOT_PRINCIPAL", "Statement/1/{NotPrincipal}", `"NotPrincipal"`},
				{Error, "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "Statement/2/Principal/AWS", `"arn:aws:iam::*:root"`},
				{Error, "INVALID_PRINCIPAL_KEY", "Statement/2/Principal/{User}", `"User"`},
				{Suggestion, "EMPTY_OBJECT_PRINCIPAL", "Statement/3/Principal", `{}`},
			}},
		{name: "bucket policy", opt: Options{PolicyType: ResourcePolicy, ResourceType: "AWS::S3::Bucket"},
			doc: `{` + v + `"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["s3:GetObject","dynamodb:GetItem"],"Resource":["arn:aws:s3:::b/*","arn:aws:dynamodb:us-east-1:111122223333:table/t"]}]}`,
			want: []want{
				{Error, "UNSUPPORTED_ACTION_IN_POLICY", "Statement/0/Action/1", `"dynamodb:GetItem"`},
				{Error, "UNSUPPORTED_RESOURCE_ARN_IN_POLICY", "Statement/0/Resource/1", `"arn:aws:dynamodb:us-east-1:111122223333:table/t"`},
			}},
		{name: "table policy", opt: Options{PolicyType: ResourcePolicy, ResourceType: "AWS::DynamoDB::Table"},
			doc: `{` + v + `"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}`},
		{name: "trust policy", opt: Options{PolicyType: ResourcePolicy, ResourceType: TrustPolicyResourceType},
			doc: `{` + v + `"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"},{"Effect":"Allow","NotPrincipal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}},{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
			want: []want{
				{Error, "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", "Statement/0/{Resource}", `"Resource"`},
				{Error, "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "Statement/0/Principal", `"*"`},
				{Error, "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", "Statement/1/{NotPrincipal}", `"NotPrincipal"`},
				{SecurityWarning, "MISSING_GITHUB_REPO_CONDITION_KEY", "Statement/2/Principal/Federated", `"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"`},
				{SecurityWarning, "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL", "Statement/3/Principal/Federated", `"arn:aws:iam::111122223333:oidc-provider/oidc.example.com"`},
			}},
		{name: "scp", opt: Options{PolicyType: ServiceControlPolicy},
			doc: `{` + v + `"Statement":[{"Sid":"A","Effect":"Allow","NotAction":"s3:Get*Object","Resource":"arn:aws:s3:::b","Principal":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},{"Sid":"A","Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b"}]}`,
			want: []want{
				{Error, "SCP_SYNTAX_ERROR_ALLOW_NOTACTION", "Statement/0/{NotAction}", `"NotAction"`},
				{Error, "SCP_SYNTAX_ERROR_ACTION_WILDCARD", "Statement/0/NotAction", `"s3:Get*Object"`},
				{Error, "SCP_SYNTAX_ERROR_ALLOW_RESOURCE", "Statement/0/Resource", `"arn:aws:s3:::b"`},
				{Error, "SCP_SYNTAX_ERROR_PRINCIPAL", "Statement/0/{Principal}", `"Principal"`},
				{Error, "SCP_SYNTAX_ERROR_ALLOW_CONDITION", "Statement/0/{Condition}", `"Condition"`},
				{Error, "SCP_SYNTAX_ERROR_NOTRESOURCE", "Statement/1/{NotResource}", `"NotResource"`},
				{Error, "UNIQUE_SIDS_REQUIRED", "Statement/1/Sid", `"A"`},
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.doc, tt.opt)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tt.want), dump(got))
			}
			for i, w := range tt.want {
				f := got[i]
				if f.Type != w.typ || f.Code != w.code {
					t.Errorf("finding %d = %s %s, want %s %s", i, f.Type, f.Code, w.typ, w.code)
				}
				if len(f.Locations) != 1 {
					t.Fatalf("finding %d has %d locations", i, len(f.Locations))
				}
				loc := f.Locations[0]
				if p := pathString(loc.Path); p != w.path {
					t.Errorf("finding %d %s path %q, want %q", i, f.Code, p, w.path)
				}
				if w.text != "" {
					if s := spanText(tt.doc, loc.Span); s != w.text {
						t.Errorf("finding %d %s spans %q, want %q", i, f.Code, s, w.text)
					}
				}
				if !strings.HasPrefix(f.LearnMoreLink, referencePage+"#access-analyzer-reference-policy-checks-") || strings.Contains(f.Details, "%!") {
					t.Errorf("finding %d: link %q details %q", i, f.LearnMoreLink, f.Details)
				}
			}
		})
	}
}

func dump(fs []Finding) string {
	b, _ := json.MarshalIndent(fs, "", " ")
	return string(b)
}

// The reference's example: an invalid action, its path into the document
// and its span, line counted from 1 and column and offset from 0, the span
// covering the quoted string.
func TestLocation(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\"s3:GetObject\", \"sqs:DeleteMessageBatchh\"],\n      \"Resource\": \"*\"\n    }\n  ]\n}"
	got := Validate(doc, Options{PolicyType: IdentityPolicy})
	if len(got) != 1 {
		t.Fatalf("got %s", dump(got))
	}
	f := got[0]
	if f.Code != "INVALID_ACTION" || f.Details != "The action sqs:DeleteMessageBatchh does not exist." ||
		f.LearnMoreLink != "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-error-invalid-action" {
		t.Errorf("finding %+v", f)
	}
	js, _ := json.Marshal(f.Locations)
	want := `[{"path":[{"value":"Statement"},{"index":0},{"value":"Action"},{"index":1}],"span":{"start":{"line":6,"column":33,"offset":110},"end":{"line":6,"column":58,"offset":135}}}]`
	if string(js) != want {
		t.Errorf("locations\n%s\nwant\n%s", js, want)
	}
	if off := strings.Index(doc, `"sqs:`); utf8.RuneCountInString(doc[:off]) != 110 {
		t.Errorf("test doc offset %d", off)
	}
}

func TestSyntaxError(t *testing.T) {
	got := Validate("{\"Version\": \"2012-10-17\",\n\"Statement\": [}", Options{})
	if len(got) != 1 || got[0].Code != "JSON_SYNTAX_ERROR" {
		t.Fatalf("got %s", dump(got))
	}
	if s := got[0].Locations[0].Span.Start; s.Line != 2 || s.Column != 14 || s.Offset != 40 {
		t.Errorf("start %+v, want line 2 column 14 offset 40", s)
	}
	if got[0].Details != "Fix the JSON syntax error at index 40 line 2 column 14." {
		t.Errorf("details %q", got[0].Details)
	}
}

func TestCovers(t *testing.T) {
	for _, tt := range []struct {
		p, q string
		want bool
	}{
		{"*", "anything*", true},
		{"s3:Get*", "s3:GetObject", true},
		{"s3:Get*", "s3:G*", false},
		{"s3:Get?bject", "s3:GetObject", true},
		{"s3:GetObject", "s3:Get?bject", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k/*", true},
		{"arn:aws:s3:::b/*/x", "arn:aws:s3:::b/*", false},
		{"a*b*c", "a-b-b-c", true},
	} {
		if got := covers(tt.p, tt.q, true); got != tt.want {
			t.Errorf("covers(%q, %q) = %v", tt.p, tt.q, got)
		}
	}
}

func ExampleValidate() {
	for _, f := range Validate(`{"Statement":{"Effect":"Allow","Action":["iam:PassRole","lambda:InvokeFunctions"],"Resource":"*"}}`, Options{PolicyType: IdentityPolicy}) {
		fmt.Println(f)
	}
	// Output:
	// 1:1: WARNING MISSING_VERSION: We recommend that you specify the Version element to help you with debugging permission issues.
	// 1:57: ERROR INVALID_ACTION: The action lambda:InvokeFunctions does not exist.
	// 1:14: SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE: Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.
}

func TestTagKeyServices(t *testing.T) {
	got := Validate(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["appmesh:DeleteMesh","s3:ListAllMyBuckets","sts:GetCallerIdentity"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/status":"Confidential"}}}]}`, Options{})
	if len(got) != 1 || got[0].Details != "Using the effect Deny with the tag condition key aws:ResourceTag/status and actions for services with the following prefixes can be overly permissive: s3, sts. Actions for the listed services are not denied by this statement. We recommend that you move these actions to a different statement without this condition key." {
		t.Fatalf("got %s", dump(got))
	}
}
