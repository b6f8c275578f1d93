package iam

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func allowDoc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

func TestManagedPolicyVersions(t *testing.T) {
	f := newFixture(t)
	out := f.must("CreatePolicy", "PolicyName", "app-policy", "Path", "/team/", "PolicyDocument", allowDoc("s3:GetObject"), "Description", "d")
	var created struct {
		Policy struct {
			PolicyName, PolicyId, Arn, Path, DefaultVersionId string
			AttachmentCount                                   int
		}
	}
	decode(t, out, &created)
	p := created.Policy
	arn := "arn:aws:iam::123456789012:policy/team/app-policy"
	if p.Arn != arn || p.Path != "/team/" || p.DefaultVersionId != "v1" || !regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`).MatchString(p.PolicyId) {
		t.Fatalf("created = %+v", p)
	}
	f.fails("EntityAlreadyExists", 409, "A policy called APP-POLICY already exists. Duplicate names are not allowed.",
		"CreatePolicy", "PolicyName", "APP-POLICY", "PolicyDocument", allowDoc("s3:GetObject"))
	f.fails("MalformedPolicyDocument", 400, "", "CreatePolicy", "PolicyName", "x", "PolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`)
	stmt := `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-with-a-fairly-long-name/*"},`
	big := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(stmt, 70) + strings.TrimSuffix(stmt, ",") + `]}`
	f.fails("LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144", "CreatePolicy", "PolicyName", "big", "PolicyDocument", big)
	contains(t, f.must("GetPolicy", "PolicyArn", arn), "<Description>d</Description>", "<UpdateDate>2024-05-01T12:00:00Z</UpdateDate>")

	for n := 2; n <= 5; n++ {
		out := f.must("CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", allowDoc(fmt.Sprintf("s3:Action%d", n)), "SetAsDefault", fmt.Sprint(n == 3))
		contains(t, out, fmt.Sprintf("<VersionId>v%d</VersionId>", n))
	}
	f.fails("LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
		"CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", allowDoc("s3:X"))
	contains(t, f.must("GetPolicy", "PolicyArn", arn), "<DefaultVersionId>v3</DefaultVersionId>")
	out = f.must("ListPolicyVersions", "PolicyArn", arn)
	if got := regexp.MustCompile(`<VersionId>(v\d)</VersionId><IsDefaultVersion>(\w+)</IsDefaultVersion>`).FindAllStringSubmatch(out, -1); len(got) != 5 || got[0][1] != "v5" || got[2][2] != "true" {
		t.Errorf("ListPolicyVersions = %s", out)
	}
	f.fails("DeleteConflict", 409, "Cannot delete the default version of a policy.", "DeletePolicyVersion", "PolicyArn", arn, "VersionId", "v3")
	f.fails("NoSuchEntity", 404, "", "DeletePolicyVersion", "PolicyArn", arn, "VersionId", "v9")
	f.fails("NoSuchEntity", 404, "", "GetPolicyVersion", "PolicyArn", arn, "VersionId", "v9")
	f.fails("ValidationError", 400, "", "GetPolicyVersion", "PolicyArn", arn, "VersionId", "x1")
	f.must("SetDefaultPolicyVersion", "PolicyArn", arn, "VersionId", "v5")
	var v struct {
		PolicyVersion struct {
			Document         string
			IsDefaultVersion bool
		}
	}
	decode(t, f.must("GetPolicyVersion", "PolicyArn", arn, "VersionId", "v5"), &v)
	if unescape(t, v.PolicyVersion.Document) != allowDoc("s3:Action5") || !v.PolicyVersion.IsDefaultVersion {
		t.Errorf("v5 = %+v", v.PolicyVersion)
	}
	f.must("DeletePolicyVersion", "PolicyArn", arn, "VersionId", "v2")
	out = f.must("CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", allowDoc("s3:Y"))
	contains(t, out, "<VersionId>v6</VersionId>", "<IsDefaultVersion>false</IsDefaultVersion>")

	// Delete: attached, then with versions, then clean.
	f.must("CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust)
	f.must("AttachRolePolicy", "RoleName", "r", "PolicyArn", arn)
	contains(t, f.must("GetPolicy", "PolicyArn", arn), "<AttachmentCount>1</AttachmentCount>")
	f.fails("DeleteConflict", 409, "Cannot delete a policy attached to entities.", "DeletePolicy", "PolicyArn", arn)
	f.must("DetachRolePolicy", "RoleName", "r", "PolicyArn", arn)
	f.fails("DeleteConflict", 409, "", "DeletePolicy", "PolicyArn", arn)
	for _, vid := range []string{"v1", "v3", "v4", "v6"} {
		f.must("DeletePolicyVersion", "PolicyArn", arn, "VersionId", vid)
	}
	f.must("DeletePolicy", "PolicyArn", arn)
	f.fails("NoSuchEntity", 404, "Policy "+arn+" was not found.", "GetPolicy", "PolicyArn", arn)
	f.fails("InvalidInput", 400, "ARN not-an-arn-at-all-here is not valid.", "GetPolicy", "PolicyArn", "not-an-arn-at-all-here")
	f.fails("ValidationError", 400, "1 validation error detected: Value 'short' at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20", "GetPolicy", "PolicyArn", "short")
}

func TestAWSManagedPolicies(t *testing.T) {
	f := newFixture(t)
	out := f.must("ListPolicies", "Scope", "AWS", "PathPrefix", "/service-role/", "MaxItems", "1000")
	for _, name := range []string{"AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole"} {
		contains(t, out, "<PolicyName>"+name+"</PolicyName>")
	}
	contains(t, f.must("GetPolicy", "PolicyArn", "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"), "<PolicyName>AWSXRayDaemonWriteAccess</PolicyName>")
	contains(t, f.must("ListPolicyVersions", "PolicyArn", "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"),
		"<VersionId>v3</VersionId><IsDefaultVersion>true</IsDefaultVersion><CreateDate>2024-01-05T22:38:26Z</CreateDate>")
	f.fails("AccessDenied", 403, "", "CreatePolicyVersion", "PolicyArn", basicExecARN, "PolicyDocument", allowDoc("s3:*"))
	f.fails("AccessDenied", 403, "Cannot delete policies outside your own account.", "DeletePolicy", "PolicyArn", basicExecARN)
	f.fails("AccessDenied", 403, "", "SetDefaultPolicyVersion", "PolicyArn", basicExecARN, "VersionId", "v1")
	f.fails("AccessDenied", 403, "", "DeletePolicyVersion", "PolicyArn", basicExecARN, "VersionId", "v1")
	f.fails("AccessDenied", 403, "", "TagPolicy", "PolicyArn", basicExecARN, "Tags.member.1.Key", "k", "Tags.member.1.Value", "v")
	f.fails("NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/Nope was not found.", "GetPolicy", "PolicyArn", "arn:aws:iam::aws:policy/Nope")
	f.must("CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust)
	f.fails("NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.",
		"AttachRolePolicy", "RoleName", "r", "PolicyArn", "arn:aws:iam::aws:policy/Nope")
	// The right name under the wrong path does not exist.
	f.fails("NoSuchEntity", 404, "", "AttachRolePolicy", "RoleName", "r", "PolicyArn", "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole")

	// Restarting keeps attachment counts.
	f.must("AttachRolePolicy", "RoleName", "r", "PolicyArn", basicExecARN)
	if err := f.iam.seedManaged(t.Context()); err != nil {
		t.Fatal(err)
	}
	contains(t, f.must("GetPolicy", "PolicyArn", basicExecARN), "<AttachmentCount>1</AttachmentCount>")
}

func TestListPoliciesFilters(t *testing.T) {
	f := newFixture(t)
	for n := range 5 {
		f.must("CreatePolicy", "PolicyName", fmt.Sprintf("p%d", n), "PolicyDocument", allowDoc("s3:GetObject"))
	}
	f.must("CreatePolicy", "PolicyName", "deep", "Path", "/x/", "PolicyDocument", allowDoc("s3:GetObject"))
	f.must("CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust)
	f.must("AttachRolePolicy", "RoleName", "r", "PolicyArn", "arn:aws:iam::123456789012:policy/p1")
	f.must("AttachRolePolicy", "RoleName", "r", "PolicyArn", basicExecARN)
	f.must("PutRolePermissionsBoundary", "RoleName", "r", "PermissionsBoundary", "arn:aws:iam::123456789012:policy/p2")

	names := func(kv ...string) string {
		var r struct {
			Names []string `xml:"Policies>member>PolicyName"`
		}
		decode(t, f.must("ListPolicies", kv...), &r)
		return strings.Join(r.Names, ",")
	}
	if got := names("Scope", "Local"); got != "deep,p0,p1,p2,p3,p4" {
		t.Errorf("Local = %s", got)
	}
	if got := names("Scope", "Local", "PathPrefix", "/x/"); got != "deep" {
		t.Errorf("PathPrefix = %s", got)
	}
	if got := names("OnlyAttached", "true"); got != "AWSLambdaBasicExecutionRole,p1,p2" {
		t.Errorf("OnlyAttached = %s", got)
	}
	if got := names("OnlyAttached", "true", "PolicyUsageFilter", "PermissionsPolicy"); got != "AWSLambdaBasicExecutionRole,p1" {
		t.Errorf("PermissionsPolicy = %s", got)
	}
	if got := names("PolicyUsageFilter", "PermissionsBoundary"); got != "p2" {
		t.Errorf("PermissionsBoundary = %s", got)
	}
	first := names("Scope", "Local", "MaxItems", "4")
	if first != "deep,p0,p1,p2" {
		t.Errorf("page 1 = %s", first)
	}
	var r struct {
		Marker string
	}
	decode(t, f.must("ListPolicies", "Scope", "Local", "MaxItems", "4"), &r)
	if got := names("Scope", "Local", "Marker", r.Marker); got != "p3,p4" {
		t.Errorf("page 2 = %s", got)
	}
	f.fails("ValidationError", 400, "", "ListPolicies", "Scope", "Mine")

	// ListEntitiesForPolicy.
	contains(t, f.must("ListEntitiesForPolicy", "PolicyArn", "arn:aws:iam::123456789012:policy/p1"), "<PolicyRoles><member><RoleName>r</RoleName>")
	out := f.must("ListEntitiesForPolicy", "PolicyArn", "arn:aws:iam::123456789012:policy/p2", "PolicyUsageFilter", "PermissionsPolicy")
	contains(t, out, "<PolicyRoles></PolicyRoles>")
}

func TestAttachQuotaAndTags(t *testing.T) {
	f := newFixture(t)
	f.must("CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", lambdaTrust)
	for n := range 11 {
		f.must("CreatePolicy", "PolicyName", fmt.Sprintf("p%d", n), "PolicyDocument", allowDoc("s3:GetObject"))
	}
	for n := range 10 {
		f.must("AttachRolePolicy", "RoleName", "r", "PolicyArn", fmt.Sprintf("arn:aws:iam::123456789012:policy/p%d", n))
	}
	// Attaching again is a no-op, not a quota failure.
	f.must("AttachRolePolicy", "RoleName", "r", "PolicyArn", "arn:aws:iam::123456789012:policy/p0")
	f.fails("LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10", "AttachRolePolicy", "RoleName", "r", "PolicyArn", "arn:aws:iam::123456789012:policy/p10")
	contains(t, f.must("GetPolicy", "PolicyArn", "arn:aws:iam::123456789012:policy/p0"), "<AttachmentCount>1</AttachmentCount>")
	f.fails("NoSuchEntity", 404, "Policy arn:aws:iam::123456789012:policy/p10 was not found.", "DetachRolePolicy", "RoleName", "r", "PolicyArn", "arn:aws:iam::123456789012:policy/p10")

	var page1 struct {
		Arns        []string `xml:"AttachedPolicies>member>PolicyArn"`
		IsTruncated bool
		Marker      string
	}
	decode(t, f.must("ListAttachedRolePolicies", "RoleName", "r", "MaxItems", "6"), &page1)
	var page2 struct {
		Arns []string `xml:"AttachedPolicies>member>PolicyArn"`
	}
	decode(t, f.must("ListAttachedRolePolicies", "RoleName", "r", "Marker", page1.Marker), &page2)
	if len(page1.Arns) != 6 || !page1.IsTruncated || len(page2.Arns) != 4 || !strings.HasSuffix(page2.Arns[3], "/p9") {
		t.Errorf("attached pages: %+v / %+v", page1, page2)
	}

	arn := "arn:aws:iam::123456789012:policy/p0"
	f.must("TagPolicy", "PolicyArn", arn, "Tags.member.1.Key", "a", "Tags.member.1.Value", "1", "Tags.member.2.Key", "b", "Tags.member.2.Value", "2")
	f.must("UntagPolicy", "PolicyArn", arn, "TagKeys.member.1", "a")
	out := f.must("ListPolicyTags", "PolicyArn", arn)
	if !strings.Contains(out, "<Key>b</Key>") || strings.Contains(out, "<Key>a</Key>") {
		t.Errorf("ListPolicyTags = %s", out)
	}
	f.fails("ValidationError", 400, "", "TagPolicy", "PolicyArn", arn, "Tags.member.1.Key", "bad{key}", "Tags.member.1.Value", "v")
	var many []string
	for n := range 51 {
		many = append(many, fmt.Sprintf("Tags.member.%d.Key", n+1), fmt.Sprintf("k%d", n), fmt.Sprintf("Tags.member.%d.Value", n+1), "v")
	}
	f.fails("ValidationError", 400, "", "TagPolicy", append([]string{"PolicyArn", arn}, many...)...)
	f.fails("LimitExceeded", 409, "", "TagPolicy", append([]string{"PolicyArn", arn}, many[:200]...)...)
}
