package lint

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/policy"
)

func TestPolicy(t *testing.T) {
	type want struct {
		code   string
		detail string // a substring of Detail
	}
	for _, tt := range []struct {
		name string
		kind policy.Kind
		doc  string
		want []want
	}{
		{
			name: "clean",
			doc: `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
				{"Effect":"Allow","Action":["iam:PassRole"],"Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},
				{"Effect":"Allow","Action":["S3:getobject","s3:Get*"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"a","s3:ExistingObjectTag/team":"a"}}},
				{"Effect":"Allow","Action":"lambda:TagResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]},"StringEquals":{"aws:RequestTag/a":"b"}}}
			]}`,
		},
		{
			name: "unknown action",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObjekt","s3:GetObject"],"Resource":"*"}}`,
			want: []want{{InvalidAction, "The action s3:GetObjekt does not exist."}},
		},
		{
			name: "pattern matching nothing",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Gett*","Resource":"*"}}`,
			want: []want{{InvalidAction, "s3:Gett*"}},
		},
		{
			name: "unknown service",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s4:GetObject","Resource":"*"}}`,
			want: []want{{InvalidServiceInAction, "The service s4 specified in the action does not exist."}},
		},
		{
			name: "unknown global key",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIpAddress":"x"}}}}`,
			want: []want{{InvalidGlobalConditionKey, "aws:SourceIpAddress"}},
		},
		{
			name: "unknown service key",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:NoSuchKey":"x"}}}}`,
			want: []want{{InvalidServiceConditionKey, "The condition key s3:NoSuchKey does not exist in the service s3."}},
		},
		{
			name: "key of another action",
			doc: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:PassRole","s3:GetObject","lambda:Invoke*"],"Resource":"*",
				"Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"},"StringLike":{"iam:PassedToService":"x*"}}}}`,
			want: []want{{UnsupportedActionForConditionKey, "The following actions: s3:GetObject, lambda:Invoke* are not supported by the condition key iam:PassedToService."}},
		},
		{
			name: "scoped global key",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*","Condition":{"Null":{"aws:RequestTag/env":"false"}}}}`,
			want: []want{{UnsupportedActionForConditionKey, "lambda:InvokeFunction"}},
		},
		{
			name: "session key on any service",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":["s3:PutObject","dynamodb:*"],"Resource":"*","Condition":{"ArnNotEquals":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:111122223333:function:f"}}}}`,
		},
		{
			name: "every action",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"x"}}}}`,
		},
		{
			name: "not action",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"iam:PassedToService":"x"}}}}`,
		},
		{
			name: "web identity keys",
			kind: policy.Trust,
			doc: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
				"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","oidc.example.com:sub":"x"}}}}`,
		},
		{
			name: "several statements",
			doc: `{"Version":"2012-10-17","Statement":[
				{"Sid":"Fine","Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"},
				{"Sid":"Bad","Effect":"Allow","Action":"logs:PutLogEvent","Resource":"*","Condition":{"Bool":{"aws:SecureTransprt":"true"}}}
			]}`,
			want: []want{{InvalidAction, "logs:PutLogEvent"}, {InvalidGlobalConditionKey, "aws:SecureTransprt"}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse(tt.doc, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			got := Policy(p)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings %v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				f := got[i]
				if f.Code != w.code || !strings.Contains(f.Detail, w.detail) {
					t.Errorf("finding %d = %v, want %s containing %q", i, f, w.code, w.detail)
				}
				wantType := Error
				if strings.HasPrefix(w.code, "UNSUPPORTED") {
					wantType = Warning
				}
				if f.Type != wantType {
					t.Errorf("finding %d type %s, want %s", i, f.Type, wantType)
				}
			}
		})
	}
}

func TestFindingStatement(t *testing.T) {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
		{"Sid":"Second","Effect":"Allow","Action":"s3:Nope","Resource":"*"}]}`, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	got := Policy(p)
	if len(got) != 1 || got[0].Statement != 1 || got[0].Sid != "Second" {
		t.Fatalf("got %v, want one finding in statement 1 (Second)", got)
	}
	if s := got[0].String(); s != "statement 1: ERROR INVALID_ACTION: The action s3:Nope does not exist." {
		t.Errorf("String() = %q", s)
	}
}

func ExamplePolicy() {
	p, _ := policy.Parse(`{"Version":"2012-10-17","Statement":{
		"Effect":"Allow","Action":["iam:PassRole","lambda:InvokeFunctions"],"Resource":"*",
		"Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}}`, policy.Identity)
	for _, f := range Policy(p) {
		fmt.Println(f)
	}
	// Output:
	// statement 0: ERROR INVALID_ACTION: The action lambda:InvokeFunctions does not exist.
}
