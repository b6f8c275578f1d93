package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestReplayAndUnusedAccessStayInTheirAccount: the recorded traffic and
// policies of a principal are read only by callers its own account's
// policies allow: the management account's root user asking to replay or
// analyze a member account's role, or a member's administrator asking
// about the management account's user, is refused with
// AccessDeniedException and sees nothing.
func TestReplayAndUnusedAccessStayInTheirAccount(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	member := newMember(t, f.orgs, "kept-apart")
	memberAdmin := f.session(member)
	if _, err := iam.NewFromConfig(memberAdmin).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatal(err)
	}
	admin := iam.NewFromConfig(srv.RootConfig())
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	memberRole := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
	keptUser := "arn:aws:iam::" + account + ":user/kept"
	now := time.Now()
	change := []map[string]any{{"policyType": "INLINE", "policyName": "p", "policyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`}}
	for _, tc := range []struct {
		name      string
		cfg       aws.Config
		principal string
	}{
		{"the management account's root on a member's role", srv.RootConfig(), memberRole},
		{"a member's administrator on the management account's user", memberAdmin, keptUser},
	} {
		for _, op := range []struct {
			path string
			in   map[string]any
		}{
			{"/v1/replay", map[string]any{"principalArn": tc.principal, "startTime": now.Add(-time.Hour).Unix(), "endTime": now.Add(time.Minute).Unix(), "changes": change}},
			{"/v1/unused-access", map[string]any{"principalArn": tc.principal, "startTime": now.Add(-time.Hour).Unix(), "endTime": now.Add(time.Minute).Unix()}},
		} {
			var out map[string]any
			code, ec, msg := consoleCall(t, tc.cfg, srv.Endpoint(), http.MethodPost, op.path, op.in, &out)
			if code != http.StatusForbidden || ec != "AccessDeniedException" {
				t.Errorf("%s, %s: %d %s %s %v; want 403 AccessDeniedException", tc.name, op.path, code, ec, msg, out)
			}
		}
	}
	// Within its own account the same caller is answered.
	var out map[string]any
	in := map[string]any{"principalArn": memberRole, "startTime": now.Add(-time.Hour).Unix(), "endTime": now.Add(time.Minute).Unix()}
	if code, ec, msg := consoleCall(t, memberAdmin, srv.Endpoint(), http.MethodPost, "/v1/unused-access", in, &out); code != http.StatusOK || out["used"] != true {
		t.Errorf("a member's administrator on its own role: %d %s %s %v", code, ec, msg, out)
	}
}
