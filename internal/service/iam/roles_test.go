package iam

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestLambdaExecutionRoleWalkthrough follows the Lambda guide: create-role
// lambda-ex, attach AWSLambdaBasicExecutionRole, list it, read the policy.
func TestLambdaExecutionRoleWalkthrough(t *testing.T) {
	f := newFixture(t)
	out := f.must("CreateRole", "RoleName", "lambda-ex", "AssumeRolePolicyDocument", lambdaTrust)
	var created struct {
		Role struct {
			Path, RoleName, RoleId, Arn, CreateDate, AssumeRolePolicyDocument string
		}
	}
	decode(t, out, &created)
	r := created.Role
	if r.Path != "/" || r.RoleName != "lambda-ex" || r.Arn != "arn:aws:iam::123456789012:role/lambda-ex" || r.CreateDate != "2024-05-01T12:00:00Z" {
		t.Errorf("role = %+v", r)
	}
	if !regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(r.RoleId) {
		t.Errorf("RoleId = %q", r.RoleId)
	}
	if got := unescape(t, r.AssumeRolePolicyDocument); got != lambdaTrust {
		t.Errorf("trust document = %q", got)
	}
	if strings.Contains(r.AssumeRolePolicyDocument, "+") || !strings.Contains(r.AssumeRolePolicyDocument, "%20") {
		t.Errorf("document not percent-encoded with %%20: %s", r.AssumeRolePolicyDocument)
	}

	f.must("AttachRolePolicy", "RoleName", "lambda-ex", "PolicyArn", basicExecARN)
	out = f.must("ListAttachedRolePolicies", "RoleName", "lambda-ex")
	contains(t, out, "<AttachedPolicies><member><PolicyName>AWSLambdaBasicExecutionRole</PolicyName><PolicyArn>"+basicExecARN+"</PolicyArn></member></AttachedPolicies>", "<IsTruncated>false</IsTruncated>")

	out = f.must("GetPolicy", "PolicyArn", basicExecARN)
	contains(t, out, "<PolicyId>ANPAJNCQGXC42545SKXIK</PolicyId>", "<Path>/service-role/</Path>",
		"<DefaultVersionId>v1</DefaultVersionId>", "<AttachmentCount>1</AttachmentCount>",
		"<IsAttachable>true</IsAttachable>", "<CreateDate>2015-04-09T15:03:43Z</CreateDate>")

	out = f.must("GetPolicyVersion", "PolicyArn", basicExecARN, "VersionId", "v1")
	var v struct {
		PolicyVersion struct {
			Document, VersionId string
			IsDefaultVersion    bool
		}
	}
	decode(t, out, &v)
	doc := unescape(t, v.PolicyVersion.Document)
	for _, want := range []string{`"logs:CreateLogGroup"`, `"logs:CreateLogStream"`, `"logs:PutLogEvents"`, `"Resource": "*"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %s:\n%s", want, doc)
		}
	}
	if !v.PolicyVersion.IsDefaultVersion || v.PolicyVersion.VersionId != "v1" {
		t.Errorf("version = %+v", v.PolicyVersion)
	}

	out = f.must("GetRole", "RoleName", "LAMBDA-EX")
	contains(t, out, "<RoleName>lambda-ex</RoleName>", "<MaxSessionDuration>3600</MaxSessionDuration>", "<RoleLastUsed></RoleLastUsed>")

	info, err := f.iam.Role(context.Background(), testAccount, "lambda-ex")
	if err != nil {
		t.Fatal(err)
	}
	if info.ARN != r.Arn || info.RoleID != r.RoleId || info.MaxSessionDuration.Seconds() != 3600 || info.Trust == nil {
		t.Errorf("RoleInfo = %+v", info)
	}
	if byARN, err := f.iam.RoleByARN(context.Background(), r.Arn); err != nil || byARN.RoleID != r.RoleId {
		t.Errorf("RoleByARN = %+v, %v", byARN, err)
	}
	if _, err := f.iam.RoleByARN(context.Background(), "arn:aws:iam::123456789012:role/other/lambda-ex"); err == nil {
		t.Error("RoleByARN with the wrong path succeeded")
	}
}

func TestCreateRoleValidation(t *testing.T) {
	f := newFixture(t)
	f.fails("ValidationError", 400,
		`1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`,
		"CreateRole", "RoleName", "bad name", "AssumeRolePolicyDocument", lambdaTrust)
	f.fails("ValidationError", 400,
		"1 validation error detected: Value '"+strings.Repeat("a", 65)+"' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64",
		"CreateRole", "RoleName", strings.Repeat("a", 65), "AssumeRolePolicyDocument", lambdaTrust)
	f.fails("ValidationError", 400,
		"1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
		"CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust, "MaxSessionDuration", "100")
	f.fails("ValidationError", 400,
		"1 validation error detected: Value '50000' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200",
		"CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust, "MaxSessionDuration", "50000")
	f.fails("ValidationError", 400,
		"1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null",
		"CreateRole", "RoleName", "r")
	f.fails("ValidationError", 400,
		`1 validation error detected: Value 'no-slash' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`,
		"CreateRole", "RoleName", "r", "Path", "no-slash", "AssumeRolePolicyDocument", lambdaTrust)
	f.fails("ValidationError", 400, "", "CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust, "Description", strings.Repeat("d", 1001))
	_, err := f.call("CreateRole", "RoleName", "bad name", "AssumeRolePolicyDocument", lambdaTrust, "MaxSessionDuration", "1")
	if err == nil || !strings.HasPrefix(err.Error(), "ValidationError: 2 validation errors detected: Value 'bad name'") || !strings.Contains(err.Error(), "; Value '1' at 'maxSessionDuration'") {
		t.Errorf("two errors: %v", err)
	}
	f.fails("MalformedPolicyDocument", 400, "", "CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", "{not json")
	big := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},`, 30) +
		`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	f.fails("LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048", "CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", big)
	f.fails("NoSuchEntity", 404, "Scope ARN: arn:aws:iam::123456789012:policy/nope does not exist or is not attachable.",
		"CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust, "PermissionsBoundary", "arn:aws:iam::123456789012:policy/nope")

	// Nothing above created anything.
	out := f.must("ListRoles")
	if strings.Contains(out, "<member>") {
		t.Errorf("bad input created a role: %s", out)
	}

	f.must("CreateRole", "RoleName", "Dup", "AssumeRolePolicyDocument", lambdaTrust)
	f.fails("EntityAlreadyExists", 409, "Role with name dup already exists.", "CreateRole", "RoleName", "dup", "AssumeRolePolicyDocument", lambdaTrust)
	f.fails("NoSuchEntity", 404, "The role with name ghost cannot be found.", "GetRole", "RoleName", "ghost")
}

func TestRoleLifecycle(t *testing.T) {
	f := newFixture(t)
	f.must("CreateRole", "RoleName", "app", "Path", "/svc/", "AssumeRolePolicyDocument", lambdaTrust,
		"Description", "app role", "MaxSessionDuration", "7200", "Tags.member.1.Key", "team", "Tags.member.1.Value", "core")
	out := f.must("GetRole", "RoleName", "app")
	contains(t, out, "<Arn>arn:aws:iam::123456789012:role/svc/app</Arn>", "<Description>app role</Description>",
		"<MaxSessionDuration>7200</MaxSessionDuration>", "<Tags><member><Key>team</Key><Value>core</Value></member></Tags>")

	f.must("UpdateRole", "RoleName", "app", "MaxSessionDuration", "43200")
	out = f.must("UpdateRoleDescription", "RoleName", "app", "Description", "new")
	contains(t, out, "<Description>new</Description>", "<MaxSessionDuration>43200</MaxSessionDuration>")
	f.fails("ValidationError", 400, "", "UpdateRole", "RoleName", "app", "MaxSessionDuration", "3599")

	trust2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"edgelambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	f.must("UpdateAssumeRolePolicy", "RoleName", "app", "PolicyDocument", trust2)
	f.fails("MalformedPolicyDocument", 400, "", "UpdateAssumeRolePolicy", "RoleName", "app", "PolicyDocument", "[]")
	info, err := f.iam.Role(context.Background(), testAccount, "app")
	if err != nil || info.TrustDocument != trust2 || info.MaxSessionDuration.Seconds() != 43200 {
		t.Fatalf("RoleInfo after updates = %+v, %v", info, err)
	}

	f.must("TagRole", "RoleName", "app", "Tags.member.1.Key", "TEAM", "Tags.member.1.Value", "edge", "Tags.member.2.Key", "env", "Tags.member.2.Value", "")
	out = f.must("ListRoleTags", "RoleName", "app")
	contains(t, out, "<Key>TEAM</Key><Value>edge</Value>", "<Key>env</Key><Value></Value>")
	f.must("UntagRole", "RoleName", "app", "TagKeys.member.1", "team")
	out = f.must("ListRoleTags", "RoleName", "app")
	if strings.Contains(out, "edge") {
		t.Errorf("untag left %s", out)
	}
	f.fails("InvalidInput", 400, "", "TagRole", "RoleName", "app", "Tags.member.1.Key", "a", "Tags.member.1.Value", "1", "Tags.member.2.Key", "A", "Tags.member.2.Value", "2")

	// Boundaries.
	f.must("PutRolePermissionsBoundary", "RoleName", "app", "PermissionsBoundary", basicExecARN)
	out = f.must("GetRole", "RoleName", "app")
	contains(t, out, "<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>"+basicExecARN+"</PermissionsBoundaryArn></PermissionsBoundary>")
	contains(t, f.must("GetPolicy", "PolicyArn", basicExecARN), "<PermissionsBoundaryUsageCount>1</PermissionsBoundaryUsageCount>")
	f.must("DeleteRolePermissionsBoundary", "RoleName", "app")
	contains(t, f.must("GetPolicy", "PolicyArn", basicExecARN), "<PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount>")
	if strings.Contains(f.must("GetRole", "RoleName", "app"), "PermissionsBoundary") {
		t.Error("boundary still shown")
	}

	// Delete conflicts.
	f.must("AttachRolePolicy", "RoleName", "app", "PolicyArn", basicExecARN)
	f.must("PutRolePolicy", "RoleName", "app", "PolicyName", "inline", "PolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	f.fails("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.", "DeleteRole", "RoleName", "app")
	f.must("DetachRolePolicy", "RoleName", "app", "PolicyArn", basicExecARN)
	f.fails("DeleteConflict", 409, "Cannot delete entity, must delete policies first.", "DeleteRole", "RoleName", "app")
	f.must("DeleteRolePolicy", "RoleName", "app", "PolicyName", "inline")
	f.must("DeleteRole", "RoleName", "app")
	f.fails("NoSuchEntity", 404, "The role with name app cannot be found.", "GetRole", "RoleName", "app")
	f.fails("NoSuchEntity", 404, "The role with name app cannot be found.", "DeleteRole", "RoleName", "app")
	if _, err := f.iam.Role(context.Background(), testAccount, "app"); err == nil {
		t.Error("Role still answers after DeleteRole")
	}
	contains(t, f.must("GetPolicy", "PolicyArn", basicExecARN), "<AttachmentCount>0</AttachmentCount>")
}

func TestListRolesPaging(t *testing.T) {
	f := newFixture(t)
	for n := range 7 {
		path := "/a/"
		if n%2 == 1 {
			path = "/b/"
		}
		f.must("CreateRole", "RoleName", fmt.Sprintf("role%d", n), "Path", path, "AssumeRolePolicyDocument", lambdaTrust)
	}
	type result struct {
		Roles       []string `xml:"Roles>member>RoleName"`
		IsTruncated bool
		Marker      string
	}
	var names []string
	marker := ""
	for pages := 0; ; pages++ {
		kv := []string{"MaxItems", "3"}
		if marker != "" {
			kv = append(kv, "Marker", marker)
		}
		var r result
		decode(t, f.must("ListRoles", kv...), &r)
		names = append(names, r.Roles...)
		if !r.IsTruncated {
			if r.Marker != "" || pages != 2 {
				t.Errorf("last page: %+v after %d pages", r, pages)
			}
			break
		}
		marker = r.Marker
	}
	if strings.Join(names, ",") != "role0,role1,role2,role3,role4,role5,role6" {
		t.Errorf("paged names = %v", names)
	}
	var r result
	decode(t, f.must("ListRoles", "PathPrefix", "/b/"), &r)
	if strings.Join(r.Roles, ",") != "role1,role3,role5" {
		t.Errorf("PathPrefix /b/ = %v", r.Roles)
	}
	f.fails("ValidationError", 400, "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1", "ListRoles", "MaxItems", "0")
	out := f.must("ListRoles", "PathPrefix", "/none/")
	contains(t, out, "<Roles></Roles>")
}

func TestInlineRolePolicies(t *testing.T) {
	f := newFixture(t)
	f.must("CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	f.must("PutRolePolicy", "RoleName", "r", "PolicyName", "read", "PolicyDocument", doc)
	f.must("PutRolePolicy", "RoleName", "r", "PolicyName", "alpha", "PolicyDocument", doc)
	out := f.must("GetRolePolicy", "RoleName", "r", "PolicyName", "read")
	var got struct{ RoleName, PolicyName, PolicyDocument string }
	decode(t, out, &got)
	if got.RoleName != "r" || got.PolicyName != "read" || unescape(t, got.PolicyDocument) != doc {
		t.Errorf("GetRolePolicy = %+v", got)
	}
	contains(t, f.must("ListRolePolicies", "RoleName", "r"), "<PolicyNames><member>alpha</member><member>read</member></PolicyNames>")
	f.fails("NoSuchEntity", 404, "The role policy with name nope cannot be found.", "GetRolePolicy", "RoleName", "r", "PolicyName", "nope")
	f.fails("NoSuchEntity", 404, "The role policy with name nope cannot be found.", "DeleteRolePolicy", "RoleName", "r", "PolicyName", "nope")
	f.fails("NoSuchEntity", 404, "The role with name x cannot be found.", "PutRolePolicy", "RoleName", "x", "PolicyName", "p", "PolicyDocument", doc)
	f.fails("MalformedPolicyDocument", 400, "", "PutRolePolicy", "RoleName", "r", "PolicyName", "p", "PolicyDocument", "nope")

	// Aggregate inline size: 10240 non-whitespace characters per role.
	stmt := `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-with-a-fairly-long-name/*"},`
	big := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(stmt, 60) + strings.TrimSuffix(stmt, ",") + `]}`
	f.must("PutRolePolicy", "RoleName", "r", "PolicyName", "big1", "PolicyDocument", big)
	f.fails("LimitExceeded", 409, "Maximum policy size of 10240 bytes exceeded for role r", "PutRolePolicy", "RoleName", "r", "PolicyName", "big2", "PolicyDocument", big)
	contains(t, f.must("ListRolePolicies", "RoleName", "r"), "<member>big1</member>")
	if strings.Contains(f.must("ListRolePolicies", "RoleName", "r"), "big2") {
		t.Error("rejected policy was stored")
	}
}
