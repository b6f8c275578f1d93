package server_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

func trustOf(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + principal + `},"Action":"sts:AssumeRole"}]}`
}

// roleTrust returns a role's trust policy as GetRole shows it, decoded.
func roleTrust(t *testing.T, admin *iam.Client, name string) string {
	t.Helper()
	out, err := admin.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestTrustPoliciesNamePrincipalsThatExist: a trust policy naming a user or
// role of the account that does not exist is refused.
func TestTrustPoliciesNamePrincipalsThatExist(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), Path: aws.String("/team/"),
		AssumeRolePolicyDocument: aws.String(trustOf(`"123456789012"`))}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ principal, shown string }{
		{`"arn:aws:iam::123456789012:role/no-such-role"`, "arn:aws:iam::123456789012:role/no-such-role"},
		{`"arn:aws:iam::123456789012:user/no-such-user"`, "arn:aws:iam::123456789012:user/no-such-user"},
		{`["arn:aws:iam::123456789012:user/carol","arn:aws:iam::123456789012:role/gone"]`, "arn:aws:iam::123456789012:role/gone"},
		// The role exists, but not at that path.
		{`"arn:aws:iam::123456789012:role/app"`, "arn:aws:iam::123456789012:role/app"},
		{`"arn:aws:iam::123456789012:role/other/app"`, "arn:aws:iam::123456789012:role/other/app"},
		// A role cannot trust itself before it exists.
		{`"arn:aws:iam::123456789012:role/self"`, "arn:aws:iam::123456789012:role/self"},
		// Unique IDs are shown for principals that are gone; sent, they name nothing.
		{`"AROAAAAAAAAAAAAAAAAAA"`, "AROAAAAAAAAAAAAAAAAAA"},
		{`"AIDAAAAAAAAAAAAAAAAAA"`, "AIDAAAAAAAAAAAAAAAAAA"},
		// Wildcards are for "*" alone.
		{`"arn:aws:iam::123456789012:role/*"`, "arn:aws:iam::123456789012:role/*"},
	} {
		_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("self"), AssumeRolePolicyDocument: aws.String(trustOf(bad.principal))})
		want := `Invalid principal in policy: "AWS":"` + bad.shown + `"`
		if msg := apiError(t, err, "MalformedPolicyDocument"); msg != want {
			t.Errorf("CreateRole trusting %s: %q, want %q", bad.principal, msg, want)
		}
		_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"), PolicyDocument: aws.String(trustOf(bad.principal))})
		if msg := apiError(t, err, "MalformedPolicyDocument"); msg != want {
			t.Errorf("UpdateAssumeRolePolicy trusting %s: %q, want %q", bad.principal, msg, want)
		}
	}
	if got := roleTrust(t, admin, "app"); got != trustOf(`"arn:aws:iam::123456789012:root"`) {
		t.Errorf("refused updates changed the policy: %s", got)
	}
	for i, good := range []string{
		`"arn:aws:iam::123456789012:role/team/app"`,
		`"arn:aws:iam::123456789012:user/carol"`,
		`"123456789012"`,
		`"arn:aws:iam::123456789012:root"`,
		`"*"`,
		`"arn:aws:sts::123456789012:assumed-role/app/session"`,
		// Another account's principals are that account's to check.
		`"arn:aws:iam::111122223333:role/elsewhere"`,
		`["arn:aws:iam::123456789012:user/carol","arn:aws:iam::123456789012:role/team/app"]`,
	} {
		name := aws.String("ok" + string(rune('a'+i)))
		if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String(trustOf(good))}); err != nil {
			t.Errorf("CreateRole trusting %s: %v", good, err)
		}
		if _, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(trustOf(good))}); err != nil {
			t.Errorf("UpdateAssumeRolePolicy trusting %s: %v", good, err)
		}
	}
	// A service principal is not an IAM entity.
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("svc"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Error(err)
	}
}

// TestTrustAccountIDKeptAsRootARN: IAM keeps an account given by its ID
// alone ("AWS":"123456789012") as the account's ARN,
// arn:aws:iam::123456789012:root ("Principal" element, IAM User Guide: the
// service converts the short form when it saves the policy), in Principal
// alone or in a list, for any account; it is trusted as before.
func TestTrustAccountIDKeptAsRootARN(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	for _, c := range []struct{ sent, kept string }{
		{trustOf(`"123456789012"`), trustOf(`"arn:aws:iam::123456789012:root"`)},
		{trustOf(`["111122223333","arn:aws:iam::123456789012:root","123456789012"]`),
			trustOf(`["arn:aws:iam::111122223333:root","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:root"]`)},
	} {
		out, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("acct"), AssumeRolePolicyDocument: aws.String(c.sent)})
		if err != nil {
			t.Fatal(err)
		}
		if doc, _ := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument)); doc != c.kept {
			t.Errorf("CreateRole answered %s, want %s", doc, c.kept)
		}
		if got := roleTrust(t, admin, "acct"); got != c.kept {
			t.Errorf("GetRole after CreateRole with %s: %s, want %s", c.sent, got, c.kept)
		}
		if _, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("acct"), PolicyDocument: aws.String(c.sent)}); err != nil {
			t.Fatal(err)
		}
		if got := roleTrust(t, admin, "acct"); got != c.kept {
			t.Errorf("GetRole after UpdateAssumeRolePolicy with %s: %s, want %s", c.sent, got, c.kept)
		}
		if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("acct")}); err != nil {
			t.Fatal(err)
		}
	}
	// Kept so, the account is trusted as before.
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("acct"), AssumeRolePolicyDocument: aws.String(trustOf(`"123456789012"`))}); err != nil {
		t.Fatal(err)
	}
	user := newUser(t, srv, "dana", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	if _, err := sts.NewFromConfig(user).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/acct"), RoleSessionName: aws.String("s1")}); err != nil {
		t.Errorf("AssumeRole of a role trusting its account by ID: %v", err)
	}
	details, err := admin.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range details.RoleDetailList {
		if doc, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); doc != trustOf(`"arn:aws:iam::123456789012:root"`) {
			t.Errorf("GetAccountAuthorizationDetails: %s", doc)
		}
	}
}

// TestTrustKeepsPrincipalsByUniqueID: IAM keeps a trusted user or role by
// its unique ID. Once it is deleted the policy shows the ID, and the user
// or role made again under the same name is not trusted until the policy
// is set again.
func TestTrustKeepsPrincipalsByUniqueID(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	allowAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	makeCaller := func() string {
		out, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("caller"), AssumeRolePolicyDocument: aws.String(trustOf(`"123456789012"`))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("caller"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Role.RoleId)
	}
	oldID := makeCaller()
	const callerARN = "arn:aws:iam::123456789012:role/caller"
	const userARN = "arn:aws:iam::123456789012:user/dave"
	trusting := trustOf(`["` + callerARN + `","` + userARN + `"]`)
	dave := newUser(t, srv, "dave", allowAll)
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("target"), AssumeRolePolicyDocument: aws.String(trusting)}); err != nil {
		t.Fatal(err)
	}
	caller := newUser(t, srv, "erin", allowAll)

	// assumeTarget assumes caller with erin's key, then target from that session.
	assumeTarget := func() error {
		out, err := sts.NewFromConfig(caller).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(callerARN), RoleSessionName: aws.String("c1")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sts.NewFromConfig(sessionConfig(srv, out.Credentials)).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::123456789012:role/target"), RoleSessionName: aws.String("t1")})
		return err
	}
	daveAssumes := func(cfg aws.Config) error {
		_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::123456789012:role/target"), RoleSessionName: aws.String("d1")})
		return err
	}
	if err := assumeTarget(); err != nil {
		t.Fatalf("trusted role: %v", err)
	}
	if err := daveAssumes(dave); err != nil {
		t.Fatalf("trusted user: %v", err)
	}
	if got := roleTrust(t, admin, "target"); got != trusting {
		t.Errorf("trust while its principals exist: %s", got)
	}

	// Delete the role and the user, and make them again.
	if _, err := admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("caller"), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("caller")}); err != nil {
		t.Fatal(err)
	}
	u, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dave")})
	if err != nil {
		t.Fatal(err)
	}
	oldUserID := aws.ToString(u.User.UserId)
	deleteUser(t, admin, "dave")
	gone := trustOf(`["` + oldID + `","` + oldUserID + `"]`)
	if got := roleTrust(t, admin, "target"); got != gone {
		t.Errorf("trust after its principals were deleted:\n got %s\nwant %s", got, gone)
	}
	newID := makeCaller()
	if newID == oldID {
		t.Fatal("the role made again has the old unique ID")
	}
	dave = newUser(t, srv, "dave", allowAll)
	if got := roleTrust(t, admin, "target"); got != gone {
		t.Errorf("trust after its principals were made again:\n got %s\nwant %s", got, gone)
	}
	denied := regexp.MustCompile(`^User: arn:aws:sts::123456789012:assumed-role/caller/c1 is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/target$`)
	if msg := apiError(t, assumeTarget(), "AccessDenied"); !denied.MatchString(msg) {
		t.Errorf("role made again: %s", msg)
	}
	if msg := apiError(t, daveAssumes(dave), "AccessDenied"); !strings.Contains(msg, "user/dave is not authorized to perform: sts:AssumeRole") {
		t.Errorf("user made again: %s", msg)
	}
	// ListRoles and GetAccountAuthorizationDetails show the same.
	list, err := admin.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	details, err := admin.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	for _, r := range list.Roles {
		if aws.ToString(r.RoleName) == "target" {
			if doc, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); doc != gone {
				t.Errorf("ListRoles: %s", doc)
			}
			shown++
		}
	}
	for _, r := range details.RoleDetailList {
		if aws.ToString(r.RoleName) == "target" {
			if doc, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); doc != gone {
				t.Errorf("GetAccountAuthorizationDetails: %s", doc)
			}
			shown++
		}
	}
	if shown != 2 {
		t.Errorf("target listed %d times", shown)
	}
	// The policy sent back as shown names nothing.
	_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("target"), PolicyDocument: aws.String(gone)})
	if msg := apiError(t, err, "MalformedPolicyDocument"); msg != `Invalid principal in policy: "AWS":"`+oldID+`"` {
		t.Errorf("UpdateAssumeRolePolicy with the IDs shown: %s", msg)
	}

	// Set again, the policy trusts the new role and user.
	if _, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("target"), PolicyDocument: aws.String(trusting)}); err != nil {
		t.Fatal(err)
	}
	if got := roleTrust(t, admin, "target"); got != trusting {
		t.Errorf("trust set again: %s", got)
	}
	if err := assumeTarget(); err != nil {
		t.Errorf("role made again, policy set again: %v", err)
	}
	if err := daveAssumes(dave); err != nil {
		t.Errorf("user made again, policy set again: %v", err)
	}
}

// deleteUser deletes a user made by newUser: its key and policy first.
func deleteUser(t *testing.T, admin *iam.Client, name string) {
	t.Helper()
	ctx := context.Background()
	keys, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}
