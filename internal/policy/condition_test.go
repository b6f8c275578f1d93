package policy

import (
	"testing"
)

// TestConditionOperators evaluates one Allow statement with a condition
// block against request contexts, after AWS's documented examples.
func TestConditionOperators(t *testing.T) {
	type kv = map[string][]string
	tests := []struct {
		name string
		cond string
		ctx  kv
		want bool
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, kv{"aws:PrincipalTag/job-category": {"iamuser-admin"}}, true},
		{"StringEquals case", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, kv{"aws:PrincipalTag/job-category": {"IAMUser-Admin"}}, false},
		{"StringEquals missing", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, kv{}, false},
		{"StringEquals key case-insensitive", `{"StringEquals":{"AWS:principaltag/JOB-category":"a"}}`, kv{"aws:PrincipalTag/job-category": {"a"}}, true},
		{"StringEquals values OR", `{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}`, kv{"aws:RequestedRegion": {"eu-west-1"}}, true},
		{"StringEquals star literal", `{"StringEquals":{"s3:prefix":"home/*"}}`, kv{"s3:prefix": {"home/x"}}, false},
		{"StringEquals star literal exact", `{"StringEquals":{"s3:prefix":"home/*"}}`, kv{"s3:prefix": {"home/*"}}, true},
		{"StringNotEquals match", `{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}`, kv{"aws:RequestedRegion": {"us-east-1"}}, false},
		{"StringNotEquals other", `{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}`, kv{"aws:RequestedRegion": {"us-west-2"}}, true},
		{"StringNotEquals missing", `{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}`, kv{}, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Finance"}}`, kv{"aws:PrincipalTag/dept": {"FINANCE"}}, true},
		{"StringEqualsIgnoreCase unicode", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/dept":"ÉQUIPE"}}`, kv{"aws:PrincipalTag/dept": {"équipe"}}, true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Finance"}}`, kv{"aws:PrincipalTag/dept": {"FINANCE"}}, false},
		{"StringLike", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, kv{"s3:prefix": {"home/alice/docs"}, "aws:username": {"alice"}}, true},
		{"StringLike other user", `{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}`, kv{"s3:prefix": {"home/bob/docs"}, "aws:username": {"alice"}}, false},
		{"StringLike question", `{"StringLike":{"s3:prefix":"a?c"}}`, kv{"s3:prefix": {"abc"}}, true},
		{"StringLike question short", `{"StringLike":{"s3:prefix":"a?c"}}`, kv{"s3:prefix": {"ac"}}, false},
		{"StringLike star crosses colon", `{"StringLike":{"aws:SourceArn":"arn:aws:*"}}`, kv{"aws:SourceArn": {"arn:aws:lambda:us-east-1:1:function:f"}}, true},
		{"StringLike empty matches empty", `{"StringLike":{"s3:prefix":""}}`, kv{"s3:prefix": {""}}, true},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":"secret/*"}}`, kv{"s3:prefix": {"secret/x"}}, false},
		{"StringNotLike missing", `{"StringNotLike":{"s3:prefix":"secret/*"}}`, kv{}, true},
		{"StringLike escaped star", `{"StringLike":{"s3:prefix":"a${*}b"}}`, kv{"s3:prefix": {"a*b"}}, true},
		{"StringLike escaped star literal", `{"StringLike":{"s3:prefix":"a${*}b"}}`, kv{"s3:prefix": {"axb"}}, false},
		{"variable default", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'none'}"}}`, kv{"s3:prefix": {"none"}}, true},
		{"variable default unused", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'none'}"}}`, kv{"s3:prefix": {"none"}, "aws:PrincipalTag/team": {"red"}}, false},
		{"variable unresolved", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team}"}}`, kv{"s3:prefix": {""}}, false},
		{"variable unresolved inverted", `{"StringNotEquals":{"s3:prefix":"${aws:PrincipalTag/team}"}}`, kv{"s3:prefix": {"x"}}, true},
		{"variable value literal", `{"StringLike":{"s3:prefix":"${aws:username}"}}`, kv{"s3:prefix": {"abc"}, "aws:username": {"a*"}}, false},

		// Numeric.
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":"10"}}`, kv{"s3:max-keys": {"9"}}, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, kv{"s3:max-keys": {"10"}}, false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":10}}`, kv{"s3:max-keys": {"10"}}, true},
		{"NumericEquals decimal", `{"NumericEquals":{"s3:max-keys":"10.0"}}`, kv{"s3:max-keys": {"10"}}, true},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, kv{"s3:max-keys": {"11"}}, true},
		{"NumericNotEquals missing", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, kv{}, true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}`, kv{"aws:MultiFactorAuthAge": {"3601"}}, true},
		{"NumericGreaterThanEquals negative", `{"NumericGreaterThanEquals":{"s3:max-keys":"-5"}}`, kv{"s3:max-keys": {"-5"}}, true},
		{"Numeric bad request value", `{"NumericLessThan":{"s3:max-keys":"10"}}`, kv{"s3:max-keys": {"ten"}}, false},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, kv{}, true},
		{"NumericLessThanIfExists present", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, kv{"aws:MultiFactorAuthAge": {"7200"}}, false},

		// Date.
		{"DateGreaterThan ISO", `{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2020-06-30T00:00:00Z"}}, true},
		{"DateLessThan ISO", `{"DateLessThan":{"aws:CurrentTime":"2020-06-30T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2020-06-30T00:00:00Z"}}, false},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2020-06-30T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2020-06-30T00:00:00Z"}}, true},
		{"DateEquals epoch vs ISO", `{"DateEquals":{"aws:CurrentTime":"1593475200"}}`, kv{"aws:CurrentTime": {"2020-06-30T00:00:00Z"}}, true},
		{"DateEquals offset", `{"DateEquals":{"aws:CurrentTime":"2020-06-30T02:00:00+02:00"}}`, kv{"aws:CurrentTime": {"2020-06-30T00:00:00Z"}}, true},
		{"DateEquals date only", `{"DateEquals":{"aws:CurrentTime":"2020-06-30"}}`, kv{"aws:CurrentTime": {"2020-06-30T00:00:00.000Z"}}, true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2020-06-30"}}`, kv{"aws:CurrentTime": {"2020-06-30T00:00:01Z"}}, true},
		{"DateGreaterThanEquals fraction", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-06-30T00:00:00.5Z"}}`, kv{"aws:CurrentTime": {"2020-06-30T00:00:00.25Z"}}, false},
		{"DateLessThan epoch request", `{"DateLessThan":{"aws:EpochTime":"2020-06-30T00:00:00Z"}}`, kv{"aws:EpochTime": {"1593475199"}}, true},

		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:SecureTransport": {"true"}}, true},
		{"Bool JSON bool", `{"Bool":{"aws:SecureTransport":false}}`, kv{"aws:SecureTransport": {"false"}}, true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:SecureTransport": {"false"}}, false},
		{"Bool missing", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, kv{}, false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, kv{}, true},

		// Binary.
		{"BinaryEquals", `{"BinaryEquals":{"aws:Key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, kv{"aws:Key": {"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, true},
		{"BinaryEquals other", `{"BinaryEquals":{"aws:Key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, kv{"aws:Key": {"b3RoZXI="}}, false},

		// IP.
		{"IpAddress v4 CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress v4 outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"203.0.114.7"}}, false},
		{"IpAddress plain", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, kv{"aws:SourceIp": {"2001:db8:1234:5678::1"}}, true},
		{"IpAddress mapped", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, kv{"aws:SourceIp": {"::ffff:10.1.2.3"}}, true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, kv{"aws:SourceIp": {"192.0.2.9"}}, false},
		{"NotIpAddress missing", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, kv{}, true},

		// ARN.
		{"ArnEquals", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}}`, kv{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:topic"}}, true},
		{"ArnLike wildcard region", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:123456789012:function:*"}}`, kv{"aws:SourceArn": {"arn:aws:lambda:eu-west-1:123456789012:function:f"}}, true},
		{"ArnLike star not across colon", `{"ArnLike":{"aws:SourceArn":"arn:aws:*:123456789012:function:f"}}`, kv{"aws:SourceArn": {"arn:aws:lambda:eu-west-1:123456789012:function:f"}}, false},
		{"ArnLike case-sensitive", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:123456789012:function:F"}}`, kv{"aws:SourceArn": {"arn:aws:lambda:eu-west-1:123456789012:function:f"}}, false},
		{"ArnLike resource keeps colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:123456789012:function:f*"}}`, kv{"aws:SourceArn": {"arn:aws:lambda:eu-west-1:123456789012:function:f:1"}}, true},
		{"ArnLike not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:*:*"}}`, kv{"aws:SourceArn": {"not-an-arn"}}, false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}}`, kv{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:other"}}, true},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, kv{}, true},
		{"ArnLike variable", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}`, kv{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:t"}, "aws:PrincipalAccount": {"123456789012"}}, true},

		// Null.
		{"Null true absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, kv{}, true},
		{"Null true present", `{"Null":{"aws:TokenIssueTime":"true"}}`, kv{"aws:TokenIssueTime": {"x"}}, false},
		{"Null false present", `{"Null":{"aws:TokenIssueTime":"false"}}`, kv{"aws:TokenIssueTime": {"x"}}, true},
		{"Null false absent", `{"Null":{"aws:TokenIssueTime":"false"}}`, kv{}, false},
		{"Null empty list", `{"Null":{"aws:TagKeys":"true"}}`, kv{"aws:TagKeys": {}}, true},

		// Set operators.
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, kv{"aws:TagKeys": {"environment"}}, true},
		{"ForAllValues all", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, kv{"aws:TagKeys": {"environment", "cost-center"}}, true},
		{"ForAllValues extra", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, kv{"aws:TagKeys": {"environment", "owner"}}, false},
		{"ForAllValues missing", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}`, kv{}, true},
		{"ForAllValues empty", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}`, kv{"aws:TagKeys": {}}, true},
		{"ForAnyValue one", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, kv{"aws:TagKeys": {"owner", "cost-center"}}, true},
		{"ForAnyValue none", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}`, kv{"aws:TagKeys": {"owner", "x"}}, false},
		{"ForAnyValue missing", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}`, kv{}, false},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["environment"]}}`, kv{}, true},
		{"ForAllValues StringNotEquals", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, kv{"aws:TagKeys": {"a", "b"}}, true},
		{"ForAllValues StringNotEquals hit", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, kv{"aws:TagKeys": {"a", "secret"}}, false},
		{"ForAnyValue StringNotLike", `{"ForAnyValue:StringNotLike":{"aws:TagKeys":["sec*"]}}`, kv{"aws:TagKeys": {"secret", "b"}}, true},
		{"ForAnyValue single-valued key", `{"ForAnyValue:StringEquals":{"aws:PrincipalTag/x":["a","b"]}}`, kv{"aws:PrincipalTag/x": {"b"}}, true},
		{"single operator on multivalued key", `{"StringEquals":{"aws:TagKeys":"a"}}`, kv{"aws:TagKeys": {"a", "b"}}, false},
		{"single operator on one-value list", `{"StringEquals":{"aws:TagKeys":"a"}}`, kv{"aws:TagKeys": {"a"}}, true},

		// Several keys and operators: AND.
		{"AND both", `{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalTag/team":"a"},"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:RequestedRegion": {"us-east-1"}, "aws:PrincipalTag/team": {"a"}, "aws:SecureTransport": {"true"}}, true},
		{"AND one key fails", `{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalTag/team":"a"}}`, kv{"aws:RequestedRegion": {"us-east-1"}, "aws:PrincipalTag/team": {"b"}}, false},
		{"AND one operator fails", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"},"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:RequestedRegion": {"us-east-1"}, "aws:SecureTransport": {"false"}}, false},
		{"IfExists StringEquals missing", `{"StringEqualsIfExists":{"ec2:InstanceType":["t2.micro"]}}`, kv{}, true},
		{"IfExists StringEquals other", `{"StringEqualsIfExists":{"ec2:InstanceType":["t2.micro"]}}`, kv{"ec2:InstanceType": {"m5.large"}}, false},
		{"IfExists StringNotEquals missing", `{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}`, kv{}, true},
		{"operator name case", `{"stringequals":{"aws:RequestedRegion":"us-east-1"}}`, kv{"aws:RequestedRegion": {"us-east-1"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":` + tt.cond + `}}`
			set := identitySet(t, doc)
			d := set.Evaluate(&Request{Principal: iamUser("alice"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctxOf(tt.ctx)})
			if got := d.Effect == Allow; got != tt.want {
				t.Errorf("allowed = %v, want %v (%s)", got, tt.want, d.Reason("s3:GetObject"))
			}
		})
	}
}

func TestVersion2008VariablesAreLiteral(t *testing.T) {
	doc := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}}`
	p := mustParse(t, doc, Identity)
	set := Compile(SetInput{Identity: []Named{{ID: "p", Policy: p}}})
	ctx := ctxOf(map[string][]string{"aws:username": {"alice"}})
	for res, want := range map[string]bool{
		"arn:aws:s3:::b/alice/x":           false,
		"arn:aws:s3:::b/${aws:username}/x": true,
	} {
		d := set.Evaluate(&Request{Principal: iamUser("alice"), Action: "s3:GetObject", Resource: res, Context: ctx})
		if (d.Effect == Allow) != want {
			t.Errorf("%s: allowed = %v, want %v", res, d.Effect == Allow, want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "ac", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a?c", "aéc", true},
		{"*a*a*a*", "aaa", true},
		{"*a*a*a*", "aa", false},
		{"a**", "a", true},
		{"?", "", false},
		{"*?", "x", true},
		{"*?", "", false},
		{"ab*cd*ef", "abcdcdefef", true},
	}
	for _, tt := range tests {
		p, err := compilePattern(tt.pat, true, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.match(tt.s, nil, false); got != tt.want {
			t.Errorf("%q ~ %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
		// The general matcher must agree with the fast paths.
		var vals [maxVars]string
		if got := globMatch(p.atoms, &vals, tt.s, false); got != tt.want {
			t.Errorf("globMatch %q ~ %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}
