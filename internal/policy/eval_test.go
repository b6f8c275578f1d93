package policy

import (
	"testing"
)

const (
	allowS3   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	allowAll  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	denyS3    = `{"Version":"2012-10-17","Statement":{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}}`
	allowEC2  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}`
	objectARN = "arn:aws:s3:::b/k"
)

func rpAllowing(principal string) string {
	return `{"Version":"2012-10-17","Statement":{"Sid":"RP","Effect":"Allow","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
}

func TestEvaluationLogic(t *testing.T) {
	sess := roleSession("fn-role", "fn")
	other := Principal{Type: AssumedRole, ARN: "arn:aws:sts::210987654321:assumed-role/x/y", Account: "210987654321", RoleARN: "arn:aws:iam::210987654321:role/x"}
	fed := Principal{Type: FederatedUser, ARN: "arn:aws:sts::" + acct + ":federated-user/bob", Account: acct}
	named := func(doc string, kind Kind) []Named { return []Named{{ID: "n", Policy: mustParse(t, doc, kind)}} }
	boundary := func(doc string) *Named { return &Named{ID: "pb", Policy: mustParse(t, doc, Boundary)} }

	tests := []struct {
		name     string
		in       SetInput
		p        Principal
		rp       string
		resAcct  string
		want     Effect
		wantSrc  Source
		wantText string
	}{
		{"no policies", SetInput{}, sess, "", "", ImplicitDeny, SourceIdentity, "because no identity-based policy allows the s3:GetObject action"},
		{"identity allow", SetInput{Identity: named(allowS3, Identity)}, sess, "", "", Allow, SourceIdentity, ""},
		{"identity deny wins", SetInput{Identity: append(named(allowS3, Identity), named(denyS3, Identity)...)}, sess, "", "", ExplicitDeny, SourceIdentity, "with an explicit deny in an identity-based policy"},
		{"other service", SetInput{Identity: named(allowEC2, Identity)}, sess, "", "", ImplicitDeny, SourceIdentity, ""},
		{"boundary caps", SetInput{Identity: named(allowS3, Identity), Boundary: boundary(allowEC2)}, sess, "", "", ImplicitDeny, SourceBoundary, "because no permissions boundary allows the s3:GetObject action"},
		{"boundary allows", SetInput{Identity: named(allowS3, Identity), Boundary: boundary(allowAll)}, sess, "", "", Allow, SourceIdentity, ""},
		{"boundary alone grants nothing", SetInput{Boundary: boundary(allowAll)}, sess, "", "", ImplicitDeny, SourceIdentity, ""},
		{"boundary deny", SetInput{Identity: named(allowS3, Identity), Boundary: boundary(denyS3)}, sess, "", "", ExplicitDeny, SourceBoundary, "with an explicit deny in a permissions boundary"},
		{"session policy caps", SetInput{Identity: named(allowS3, Identity), Session: named(allowEC2, Session)}, sess, "", "", ImplicitDeny, SourceSession, "because no session policy allows the s3:GetObject action"},
		{"session policy allows", SetInput{Identity: named(allowS3, Identity), Session: named(allowAll, Session)}, sess, "", "", Allow, SourceIdentity, ""},
		{"session policy deny", SetInput{Identity: named(allowS3, Identity), Session: named(denyS3, Session)}, sess, "", "", ExplicitDeny, SourceSession, "with an explicit deny in a session policy"},
		{"federated user needs session policy", SetInput{Identity: named(allowS3, Identity)}, fed, "", "", ImplicitDeny, SourceSession, ""},
		{"federated user with session policy", SetInput{Identity: named(allowS3, Identity), Session: named(allowS3, Session)}, fed, "", "", Allow, SourceIdentity, ""},
		{"scp allows", SetInput{Identity: named(allowS3, Identity), SCPs: [][]Named{named(allowAll, SCP)}}, sess, "", "", Allow, SourceIdentity, ""},
		{"scp does not allow", SetInput{Identity: named(allowS3, Identity), SCPs: [][]Named{named(allowEC2, SCP)}}, sess, "", "", ImplicitDeny, SourceSCP, "because no service control policy allows the s3:GetObject action"},
		{"every scp level must allow", SetInput{Identity: named(allowS3, Identity), SCPs: [][]Named{named(allowAll, SCP), named(allowEC2, SCP)}}, sess, "", "", ImplicitDeny, SourceSCP, ""},
		{"empty scp level", SetInput{Identity: named(allowS3, Identity), SCPs: [][]Named{named(allowAll, SCP), nil}}, sess, "", "", ImplicitDeny, SourceSCP, ""},
		{"scp deny", SetInput{Identity: named(allowS3, Identity), SCPs: [][]Named{append(named(allowAll, SCP), named(denyS3, SCP)...)}}, sess, "", "", ExplicitDeny, SourceSCP, "with an explicit deny in a service control policy"},

		// Same-account resource policies.
		{"rp names session", SetInput{}, sess, rpAllowing(`{"AWS":"` + sess.ARN + `"}`), "", Allow, SourceResource, ""},
		{"rp names session despite boundary", SetInput{Boundary: boundary(allowEC2)}, sess, rpAllowing(`{"AWS":"` + sess.ARN + `"}`), "", Allow, SourceResource, ""},
		{"rp names session despite session policy", SetInput{Session: named(allowEC2, Session)}, sess, rpAllowing(`{"AWS":"` + sess.ARN + `"}`), "", Allow, SourceResource, ""},
		{"rp names role", SetInput{}, sess, rpAllowing(`{"AWS":"` + sess.RoleARN + `"}`), "", Allow, SourceResource, ""},
		{"rp names role capped by boundary", SetInput{Boundary: boundary(allowEC2)}, sess, rpAllowing(`{"AWS":"` + sess.RoleARN + `"}`), "", ImplicitDeny, SourceBoundary, ""},
		{"rp names role capped by session policy", SetInput{Session: named(allowEC2, Session)}, sess, rpAllowing(`{"AWS":"` + sess.RoleARN + `"}`), "", ImplicitDeny, SourceSession, ""},
		{"rp names role boundary allows", SetInput{Boundary: boundary(allowS3)}, sess, rpAllowing(`{"AWS":"` + sess.RoleARN + `"}`), "", Allow, SourceResource, ""},
		{"rp names account needs identity", SetInput{}, sess, rpAllowing(`{"AWS":"` + acct + `"}`), "", ImplicitDeny, SourceIdentity, ""},
		{"rp names account root with identity", SetInput{Identity: named(allowS3, Identity)}, sess, rpAllowing(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), "", Allow, SourceIdentity, ""},
		{"rp names user", SetInput{Boundary: boundary(allowEC2)}, iamUser("alice"), rpAllowing(`{"AWS":"arn:aws:iam::` + acct + `:user/alice"}`), "", Allow, SourceResource, ""},
		{"rp names other user", SetInput{}, iamUser("alice"), rpAllowing(`{"AWS":"arn:aws:iam::` + acct + `:user/bob"}`), "", ImplicitDeny, SourceIdentity, ""},
		{"rp star", SetInput{}, sess, rpAllowing(`"*"`), "", Allow, SourceResource, ""},
		{"rp star not capped by boundary", SetInput{Boundary: boundary(allowEC2)}, sess, rpAllowing(`{"AWS":"*"}`), "", Allow, SourceResource, ""},
		{"rp star user no identity", SetInput{}, iamUser("alice"), rpAllowing(`"*"`), "", Allow, SourceResource, ""},
		{"rp deny", SetInput{Identity: named(allowS3, Identity)}, sess, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}}`, "", ExplicitDeny, SourceResource, "with an explicit deny in a resource-based policy"},
		{"rp deny other principal", SetInput{Identity: named(allowS3, Identity)}, sess, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/bob"},"Action":"s3:*","Resource":"*"}}`, "", Allow, SourceIdentity, ""},
		{"rp scp still applies", SetInput{SCPs: [][]Named{named(allowEC2, SCP)}}, sess, rpAllowing(`{"AWS":"` + sess.ARN + `"}`), "", ImplicitDeny, SourceSCP, ""},
		{"rp wrong resource", SetInput{}, sess, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}}`, "", ImplicitDeny, SourceIdentity, ""},

		// NotPrincipal.
		{"notprincipal deny exempts full chain", SetInput{Identity: named(allowS3, Identity)}, sess,
			`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::` + acct + `:root","` + sess.RoleARN + `","` + sess.ARN + `"]},"Action":"s3:*","Resource":"*"}}`, "", Allow, SourceIdentity, ""},
		{"notprincipal deny without account", SetInput{Identity: named(allowS3, Identity)}, sess,
			`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["` + sess.RoleARN + `","` + sess.ARN + `"]},"Action":"s3:*","Resource":"*"}}`, "", ExplicitDeny, SourceResource, ""},
		{"notprincipal deny other", SetInput{Identity: named(allowS3, Identity)}, iamUser("alice"),
			`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::` + acct + `:root","arn:aws:iam::` + acct + `:user/bob"]},"Action":"s3:*","Resource":"*"}}`, "", ExplicitDeny, SourceResource, ""},

		// Cross-account.
		{"cross needs rp", SetInput{Identity: named(allowS3, Identity)}, sess, "", "210987654321", ImplicitDeny, SourceResource, "because no resource-based policy allows the s3:GetObject action"},
		{"cross rp and identity", SetInput{Identity: named(allowS3, Identity)}, sess, rpAllowing(`{"AWS":"` + acct + `"}`), "210987654321", Allow, SourceResource, ""},
		{"cross rp without identity", SetInput{}, sess, rpAllowing(`{"AWS":"` + sess.ARN + `"}`), "210987654321", ImplicitDeny, SourceIdentity, ""},
		{"cross rp boundary", SetInput{Identity: named(allowS3, Identity), Boundary: boundary(allowEC2)}, sess, rpAllowing(`{"AWS":"` + sess.ARN + `"}`), "210987654321", ImplicitDeny, SourceBoundary, ""},
		{"cross rp other account", SetInput{Identity: named(allowS3, Identity)}, other, rpAllowing(`{"AWS":"` + acct + `"}`), acct, ImplicitDeny, SourceResource, ""},

		// Root, services, anonymous.
		{"root", SetInput{}, Principal{Type: Root, ARN: "arn:aws:iam::" + acct + ":root", Account: acct}, "", "", Allow, SourceNone, ""},
		{"root scp", SetInput{SCPs: [][]Named{named(allowEC2, SCP)}}, Principal{Type: Root, ARN: "arn:aws:iam::" + acct + ":root", Account: acct}, "", "", ImplicitDeny, SourceSCP, ""},
		{"root rp deny", SetInput{}, Principal{Type: Root, ARN: "arn:aws:iam::" + acct + ":root", Account: acct}, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}`, "", ExplicitDeny, SourceResource, ""},
		{"root cross", SetInput{}, Principal{Type: Root, ARN: "arn:aws:iam::" + acct + ":root", Account: acct}, "", "210987654321", ImplicitDeny, SourceResource, ""},
		{"service named", SetInput{}, Principal{Type: Service, ARN: "lambda.amazonaws.com"}, rpAllowing(`{"Service":"lambda.amazonaws.com"}`), "", Allow, SourceResource, ""},
		{"service not named", SetInput{}, Principal{Type: Service, ARN: "sns.amazonaws.com"}, rpAllowing(`{"Service":"lambda.amazonaws.com"}`), "", ImplicitDeny, SourceResource, ""},
		{"anonymous star", SetInput{}, Principal{Type: Anonymous}, rpAllowing(`"*"`), "", Allow, SourceResource, ""},
		{"anonymous account", SetInput{}, Principal{Type: Anonymous}, rpAllowing(`{"AWS":"` + acct + `"}`), "", ImplicitDeny, SourceResource, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := Compile(tt.in)
			r := &Request{Principal: tt.p, Action: "s3:GetObject", Resource: objectARN, ResourceAccount: tt.resAcct}
			if tt.rp != "" {
				r.ResourcePolicy = mustParse(t, tt.rp, Resource)
			}
			d := set.Evaluate(r)
			if d.Effect != tt.want || d.Source != tt.wantSrc {
				t.Errorf("got %v/%v, want %v/%v (matches %+v)", d.Effect, d.Source, tt.want, tt.wantSrc, d.Decisive())
			}
			if tt.wantText != "" {
				if got := d.Reason("s3:GetObject"); got != tt.wantText {
					t.Errorf("Reason = %q, want %q", got, tt.wantText)
				}
			}
		})
	}
}

func TestDecisiveMatches(t *testing.T) {
	set := Compile(SetInput{
		Identity: []Named{
			{ID: "inline1", Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`, Identity)},
			{ID: "arn:aws:iam::123456789012:policy/deny", Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}]}`, Identity)},
		},
	})
	d := set.Evaluate(&Request{Principal: iamUser("a"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	if d.Effect != Allow || d.Count != 1 || d.Matches[0] != (Match{Policy: "inline1", Sid: "B", Index: 1, Effect: Allow, Source: SourceIdentity}) {
		t.Errorf("allow: %+v", d)
	}
	d = set.Evaluate(&Request{Principal: iamUser("a"), Action: "S3:getobject", Resource: "arn:aws:s3:::secret/k"})
	if d.Effect != ExplicitDeny || d.Count != 1 || d.Matches[0] != (Match{Policy: "arn:aws:iam::123456789012:policy/deny", Sid: "X", Index: 0, Effect: ExplicitDeny, Source: SourceIdentity}) {
		t.Errorf("deny: %+v", d)
	}
}

func TestResourceMatching(t *testing.T) {
	tests := []struct {
		pattern, resource string
		ctx               map[string][]string
		want              bool
	}{
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", nil, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::B/a", nil, false},
		{"arn:aws:s3:::b", "arn:aws:s3:::b/a", nil, false},
		{"arn:aws:lambda:*:123456789012:function:*", "arn:aws:lambda:us-east-1:123456789012:function:f:PROD", nil, true},
		{"arn:aws:lambda:us-east-?:123456789012:function:f", "arn:aws:lambda:us-east-1:123456789012:function:f", nil, true},
		{"arn:aws:logs:*:*:*", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*", nil, true},
		{"arn:aws:s3:::*", "*", nil, false},
		{"*", "*", nil, true},
		{"arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/x", map[string][]string{"aws:username": {"alice"}}, true},
		{"arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/bob/x", map[string][]string{"aws:username": {"alice"}}, false},
		{"arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/${aws:username}/x", nil, false},
		{"arn:aws:s3:::home/${aws:PrincipalTag/team,'all'}/*", "arn:aws:s3:::home/all/x", nil, true},
		{"arn:aws:dynamodb:*:${aws:PrincipalAccount}:table/t", "arn:aws:dynamodb:us-east-1:123456789012:table/t", map[string][]string{"aws:PrincipalAccount": {"123456789012"}}, true},
	}
	for _, tt := range tests {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + tt.pattern + `"}}`
		set := identitySet(t, doc)
		d := set.Evaluate(&Request{Principal: iamUser("alice"), Action: "s3:GetObject", Resource: tt.resource, Context: ctxOf(tt.ctx)})
		if got := d.Effect == Allow; got != tt.want {
			t.Errorf("%s ~ %s = %v, want %v", tt.pattern, tt.resource, got, tt.want)
		}
	}
	// A NotResource entry with an unresolved variable makes the statement
	// not apply, for Allow and Deny alike.
	set := identitySet(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::home/${aws:username}/*","arn:aws:s3:::secret/*"]}}`)
	deny := identitySet(t, allowS3, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::home/${aws:username}/*","arn:aws:s3:::secret/*"]}}`)
	for _, res := range []string{"arn:aws:s3:::home/alice/x", "arn:aws:s3:::other/x"} {
		if d := deny.Evaluate(&Request{Principal: iamUser("alice"), Action: "s3:GetObject", Resource: res}); d.Effect != Allow {
			t.Errorf("Deny NotResource with unresolved variable, %s: %v, want Allow", res, d.Effect)
		}
	}
	if d := deny.Evaluate(&Request{Principal: iamUser("alice"), Action: "s3:GetObject", Resource: "arn:aws:s3:::other/x",
		Context: ctxOf(map[string][]string{"aws:username": {"alice"}})}); d.Effect != ExplicitDeny {
		t.Errorf("Deny NotResource with resolved variable: %v, want ExplicitDeny", d.Effect)
	}
	for _, tt := range []struct {
		ctx  map[string][]string
		res  string
		want Effect
	}{
		{nil, "arn:aws:s3:::other/x", ImplicitDeny},
		{nil, "arn:aws:s3:::home/alice/x", ImplicitDeny},
		{map[string][]string{"aws:username": {"bob", "carol"}}, "arn:aws:s3:::other/x", ImplicitDeny},
		{map[string][]string{"aws:username": {""}}, "arn:aws:s3:::other/x", Allow},
		{map[string][]string{"aws:username": {"alice"}}, "arn:aws:s3:::other/x", Allow},
		{map[string][]string{"aws:username": {"alice"}}, "arn:aws:s3:::home/alice/x", ImplicitDeny},
		{map[string][]string{"aws:username": {"alice"}}, "arn:aws:s3:::secret/x", ImplicitDeny},
	} {
		d := set.Evaluate(&Request{Principal: iamUser("alice"), Action: "s3:GetObject", Resource: tt.res, Context: ctxOf(tt.ctx)})
		if d.Effect != tt.want {
			t.Errorf("NotResource %v %s: %v, want %v", tt.ctx, tt.res, d.Effect, tt.want)
		}
	}
}

func TestActionMatching(t *testing.T) {
	tests := []struct {
		actions, action string
		not             bool
		want            bool
	}{
		{`"s3:GetObject"`, "s3:getobject", false, true},
		{`"S3:Get*"`, "s3:GetObjectAcl", false, true},
		{`"s3:Get*"`, "s3:PutObject", false, false},
		{`"*"`, "iam:CreateUser", false, true},
		{`["ec2:*","s3:List*"]`, "s3:ListBucket", false, true},
		{`"s3:?etObject"`, "s3:GetObject", false, true},
		{`"sqs:*"`, "sqsx:Send", false, false},
		{`"iam:*"`, "s3:GetObject", true, true},
		{`"iam:*"`, "IAM:CreateUser", true, false},
		{`["iam:*","s3:*"]`, "ec2:RunInstances", true, true},
	}
	for _, tt := range tests {
		el := "Action"
		if tt.not {
			el = "NotAction"
		}
		set := identitySet(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","`+el+`":`+tt.actions+`,"Resource":"*"}}`)
		d := set.Evaluate(&Request{Principal: iamUser("a"), Action: tt.action, Resource: "*"})
		if got := d.Effect == Allow; got != tt.want {
			t.Errorf("%s %s ~ %s = %v, want %v", el, tt.actions, tt.action, got, tt.want)
		}
	}
}

func TestEvaluateTrust(t *testing.T) {
	roleARN := "arn:aws:iam::" + acct + ":role/fn-role"
	trustOf := func(principal string) *Policy {
		return mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":`+principal+`,"Action":"sts:AssumeRole"}]}`, Trust)
	}
	lambdaTrust := trustOf(`{"Service":"lambda.amazonaws.com"}`)
	allowAssume := Compile(SetInput{Identity: []Named{{ID: "a", Policy: mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`, Identity)}}})
	self := roleSession("fn-role", "fn")
	alice := iamUser("alice")
	tests := []struct {
		name   string
		trust  *Policy
		caller *PolicySet
		p      Principal
		action string
		want   Effect
	}{
		{"lambda service", lambdaTrust, nil, Principal{Type: Service, ARN: "lambda.amazonaws.com"}, "sts:AssumeRole", Allow},
		{"other service", lambdaTrust, nil, Principal{Type: Service, ARN: "ec2.amazonaws.com"}, "sts:AssumeRole", ImplicitDeny},
		{"lambda other action", lambdaTrust, nil, Principal{Type: Service, ARN: "lambda.amazonaws.com"}, "sts:TagSession", ImplicitDeny},
		{"user not trusted", lambdaTrust, allowAssume, alice, "sts:AssumeRole", ImplicitDeny},
		{"account trusted, identity allows", trustOf(`{"AWS":"` + acct + `"}`), allowAssume, alice, "sts:AssumeRole", Allow},
		{"account trusted, no identity allow", trustOf(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), Compile(SetInput{}), alice, "sts:AssumeRole", ImplicitDeny},
		{"user trusted directly", trustOf(`{"AWS":"` + alice.ARN + `"}`), Compile(SetInput{}), alice, "sts:AssumeRole", Allow},
		{"cross-account user trusted needs identity", trustOf(`{"AWS":"arn:aws:iam::210987654321:user/bob"}`), Compile(SetInput{}),
			Principal{Type: User, ARN: "arn:aws:iam::210987654321:user/bob", Account: "210987654321"}, "sts:AssumeRole", ImplicitDeny},
		{"cross-account user trusted with identity", trustOf(`{"AWS":"arn:aws:iam::210987654321:user/bob"}`), allowAssume,
			Principal{Type: User, ARN: "arn:aws:iam::210987654321:user/bob", Account: "210987654321"}, "sts:AssumeRole", Allow},
		{"self not named", trustOf(`{"AWS":"` + acct + `"}`), allowAssume, self, "sts:AssumeRole", ImplicitDeny},
		{"self not named star", trustOf(`{"AWS":"*"}`), allowAssume, self, "sts:AssumeRole", ImplicitDeny},
		{"self named", trustOf(`{"AWS":"` + roleARN + `"}`), allowAssume, self, "sts:AssumeRole", Allow},
		{"root cannot assume", trustOf(`{"AWS":"` + acct + `"}`), nil, Principal{Type: Root, ARN: "arn:aws:iam::" + acct + ":root", Account: acct}, "sts:AssumeRole", ImplicitDeny},
		{"trust deny", mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:*"},{"Effect":"Deny","Principal":"*","Action":"sts:TagSession"}]}`, Trust), nil,
			Principal{Type: Service, ARN: "lambda.amazonaws.com"}, "sts:TagSession", ExplicitDeny},
		{"web identity", mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"pool"}}}]}`, Trust), nil,
			Principal{Type: WebIdentity, ARN: "cognito-identity.amazonaws.com"}, "sts:AssumeRoleWithWebIdentity", ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := EvaluateTrust(tt.trust, tt.caller, &Request{Principal: tt.p, Action: tt.action, Resource: roleARN, ResourceAccount: acct})
			if d.Effect != tt.want {
				t.Errorf("got %v (%v), want %v", d.Effect, d.Source, tt.want)
			}
		})
	}
}

func TestContext(t *testing.T) {
	var c Context
	c.Set("aws:SourceVpc", "vpc-1")
	c.Set("AWS:SOURCEVPC", "vpc-2")
	if v, multi, ok := c.Get("aws:sourcevpc"); !ok || multi || len(v) != 1 || v[0] != "vpc-2" {
		t.Errorf("Get = %v %v %v", v, multi, ok)
	}
	c.SetMulti("aws:TagKeys", "a")
	if _, multi, _ := c.Get("aws:tagkeys"); !multi {
		t.Error("SetMulti not multivalued")
	}
	c.Set("aws:TagKeys")
	if _, _, ok := c.Get("aws:TagKeys"); ok {
		t.Error("Set without values did not delete")
	}
	c.Reset()
	if len(c.Keys()) != 0 {
		t.Error("Reset left keys")
	}
}

func TestMatchAction(t *testing.T) {
	for _, tc := range []struct {
		pattern, action string
		want            bool
	}{
		{"s3:Get*", "s3:GetObject", true},
		{"S3:get*", "s3:GetObject", true},
		{"iam:?etRole", "iam:GetRole", true},
		{"*", "lambda:InvokeFunction", true},
		{"s3:Get*", "s3:PutObject", false},
		{"iam:GetRole", "iam:GetRolePolicy", false},
	} {
		if got := MatchAction(tc.pattern, tc.action); got != tc.want {
			t.Errorf("MatchAction(%q, %q) = %v", tc.pattern, tc.action, got)
		}
	}
}
