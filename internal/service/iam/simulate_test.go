package iam

import (
	"strings"
	"testing"
)

type simResults struct {
	Results []struct {
		EvalActionName    string
		EvalResourceName  string
		EvalDecision      string
		MatchedStatements []struct {
			SourcePolicyId   string
			SourcePolicyType string
			StartPosition    struct{ Line, Column int }
			EndPosition      struct{ Line, Column int }
		} `xml:"MatchedStatements>member"`
		MissingContextValues              []string `xml:"MissingContextValues>member"`
		PermissionsBoundaryDecisionDetail *struct {
			AllowedByPermissionsBoundary bool
		}
	} `xml:"EvaluationResults>member"`
	IsTruncated bool
	Marker      string
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	f := newFixture(t)
	f.must("CreateRole", "RoleName", "fn", "AssumeRolePolicyDocument", lambdaTrust)
	f.must("AttachRolePolicy", "RoleName", "fn", "PolicyArn", basicExecARN)
	deny := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"s3:DeleteObject\", \"Resource\": \"*\"}\n  ]\n}"
	f.must("PutRolePolicy", "RoleName", "fn", "PolicyName", "s3", "PolicyDocument", deny)

	var r simResults
	decode(t, f.must("SimulatePrincipalPolicy", "PolicySourceArn", "arn:aws:iam::123456789012:role/fn",
		"ActionNames.member.1", "logs:PutLogEvents", "ActionNames.member.2", "s3:DeleteObject", "ActionNames.member.3", "dynamodb:GetItem",
		"ResourceArns.member.1", "arn:aws:s3:::b/k"), &r)
	if len(r.Results) != 3 {
		t.Fatalf("results = %+v", r)
	}
	want := []struct{ action, decision, source, kind string }{
		{"logs:PutLogEvents", "allowed", "AWSLambdaBasicExecutionRole", "aws-managed"},
		{"s3:DeleteObject", "explicitDeny", "s3", "role"},
		{"dynamodb:GetItem", "implicitDeny", "", ""},
	}
	for k, w := range want {
		got := r.Results[k]
		if got.EvalActionName != w.action || got.EvalDecision != w.decision || got.EvalResourceName != "arn:aws:s3:::b/k" {
			t.Errorf("result %d = %+v", k, got)
			continue
		}
		if w.source == "" {
			if len(got.MatchedStatements) != 0 {
				t.Errorf("%s matched %+v", w.action, got.MatchedStatements)
			}
			continue
		}
		if len(got.MatchedStatements) == 0 || got.MatchedStatements[0].SourcePolicyId != w.source || got.MatchedStatements[0].SourcePolicyType != w.kind {
			t.Errorf("%s matched %+v", w.action, got.MatchedStatements)
		}
	}
	m := r.Results[1].MatchedStatements[0]
	if m.StartPosition.Line != 5 || m.StartPosition.Column != 5 || m.EndPosition.Line != 5 {
		t.Errorf("deny statement position %+v-%+v", m.StartPosition, m.EndPosition)
	}

	// Extra policies and a boundary from the request.
	var r2 simResults
	decode(t, f.must("SimulatePrincipalPolicy", "PolicySourceArn", "arn:aws:iam::123456789012:role/fn",
		"ActionNames.member.1", "dynamodb:GetItem", "ActionNames.member.2", "logs:PutLogEvents",
		"PolicyInputList.member.1", allowDoc("dynamodb:*"),
		"PermissionsBoundaryPolicyInputList.member.1", allowDoc("dynamodb:GetItem")), &r2)
	if len(r2.Results) != 2 || r2.Results[0].EvalDecision != "allowed" || r2.Results[1].EvalDecision != "implicitDeny" {
		t.Fatalf("with boundary = %+v", r2.Results)
	}
	if d := r2.Results[0].PermissionsBoundaryDecisionDetail; d == nil || !d.AllowedByPermissionsBoundary {
		t.Errorf("boundary detail = %+v", d)
	}
	if d := r2.Results[1].PermissionsBoundaryDecisionDetail; d == nil || d.AllowedByPermissionsBoundary {
		t.Errorf("boundary detail = %+v", d)
	}
	if src := r2.Results[0].MatchedStatements; len(src) == 0 || src[0].SourcePolicyId != "PolicyInputList.1" {
		t.Errorf("input policy match = %+v", src)
	}

	f.fails("NoSuchEntity", 404, "The role with name ghost cannot be found.", "SimulatePrincipalPolicy",
		"PolicySourceArn", "arn:aws:iam::123456789012:role/ghost", "ActionNames.member.1", "s3:GetObject")
	f.fails("ValidationError", 400, "", "SimulatePrincipalPolicy", "PolicySourceArn", "arn:aws:iam::123456789012:role/fn")
	f.fails("InvalidInput", 400, "", "SimulatePrincipalPolicy", "PolicySourceArn", "arn:aws:iam::123456789012:role/fn",
		"ActionNames.member.1", "s3:GetObject", "PolicyInputList.member.1", "not json")
}

func TestSimulateCustomPolicy(t *testing.T) {
	f := newFixture(t)
	cond := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}`
	var r simResults
	decode(t, f.must("SimulateCustomPolicy", "PolicyInputList.member.1", cond, "ActionNames.member.1", "s3:GetObject"), &r)
	if len(r.Results) != 1 || r.Results[0].EvalDecision != "implicitDeny" || len(r.Results[0].MissingContextValues) != 1 || r.Results[0].MissingContextValues[0] != "aws:SourceVpc" {
		t.Fatalf("without context = %+v", r.Results)
	}
	r = simResults{}
	decode(t, f.must("SimulateCustomPolicy", "PolicyInputList.member.1", cond, "ActionNames.member.1", "s3:GetObject",
		"ContextEntries.member.1.ContextKeyName", "aws:SourceVpc",
		"ContextEntries.member.1.ContextKeyValues.member.1", "vpc-1",
		"ContextEntries.member.1.ContextKeyType", "string"), &r)
	if len(r.Results) != 1 || r.Results[0].EvalDecision != "allowed" || len(r.Results[0].MissingContextValues) != 0 {
		t.Fatalf("with context = %+v", r.Results)
	}
	if m := r.Results[0].MatchedStatements; len(m) != 1 || m[0].SourcePolicyId != "PolicyInputList.1" || m[0].StartPosition.Line != 1 || m[0].StartPosition.Column != 38 {
		t.Errorf("matched = %+v", m)
	}
	f.fails("ValidationError", 400, "", "SimulateCustomPolicy", "PolicyInputList.member.1", cond, "ActionNames.member.1", "s3:GetObject",
		"ContextEntries.member.1.ContextKeyName", "aws:SourceVpc", "ContextEntries.member.1.ContextKeyType", "nope")
	f.fails("ValidationError", 400, "", "SimulateCustomPolicy", "ActionNames.member.1", "s3:GetObject")

	// Paging over results.
	r = simResults{}
	decode(t, f.must("SimulateCustomPolicy", "PolicyInputList.member.1", allowDoc("s3:*"),
		"ActionNames.member.1", "s3:GetObject", "ActionNames.member.2", "s3:PutObject", "ActionNames.member.3", "s3:ListBucket", "MaxItems", "2"), &r)
	if len(r.Results) != 2 || !r.IsTruncated {
		t.Fatalf("page 1 = %+v", r)
	}
	marker := r.Marker
	r = simResults{}
	decode(t, f.must("SimulateCustomPolicy", "PolicyInputList.member.1", allowDoc("s3:*"),
		"ActionNames.member.1", "s3:GetObject", "ActionNames.member.2", "s3:PutObject", "ActionNames.member.3", "s3:ListBucket", "Marker", marker), &r)
	if len(r.Results) != 1 || r.Results[0].EvalActionName != "s3:ListBucket" || r.IsTruncated {
		t.Fatalf("page 2 = %+v", r)
	}
}

func TestGetAccountAuthorizationDetails(t *testing.T) {
	f := newFixture(t)
	f.must("CreateRole", "RoleName", "lambda-ex", "AssumeRolePolicyDocument", lambdaTrust)
	f.must("AttachRolePolicy", "RoleName", "lambda-ex", "PolicyArn", basicExecARN)
	f.must("PutRolePolicy", "RoleName", "lambda-ex", "PolicyName", "inline", "PolicyDocument", allowDoc("s3:GetObject"))
	f.must("CreateUser", "UserName", "u")
	f.must("CreatePolicy", "PolicyName", "mine", "PolicyDocument", allowDoc("sqs:*"))

	out := f.must("GetAccountAuthorizationDetails")
	contains(t, out,
		"<RoleName>lambda-ex</RoleName>",
		"<RolePolicyList><member><PolicyName>inline</PolicyName><PolicyDocument>"+encodeDocument(allowDoc("s3:GetObject"))+"</PolicyDocument></member></RolePolicyList>",
		"<AttachedManagedPolicies><member><PolicyName>AWSLambdaBasicExecutionRole</PolicyName>",
		"<AssumeRolePolicyDocument>"+encodeDocument(lambdaTrust)+"</AssumeRolePolicyDocument>",
		"<UserName>u</UserName>",
		"<PolicyName>mine</PolicyName>",
		"<PolicyVersionList><member><Document>",
	)
	out = f.must("GetAccountAuthorizationDetails", "Filter.member.1", "Role")
	contains(t, out, "<RoleName>lambda-ex</RoleName>")
	if containsAny(out, "<UserName>u</UserName>", "<PolicyName>mine</PolicyName>") {
		t.Errorf("Role filter = %s", out)
	}
	out = f.must("GetAccountAuthorizationDetails", "Filter.member.1", "AWSManagedPolicy", "MaxItems", "1000")
	contains(t, out, "<PolicyName>AWSXrayWriteOnlyAccess</PolicyName>")
	f.fails("ValidationError", 400, "", "GetAccountAuthorizationDetails", "Filter.member.1", "Everything")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
