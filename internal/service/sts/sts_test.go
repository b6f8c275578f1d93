package sts

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/api/apitest"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/session"
)

const acct = "123456789012"

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeRoles stands in for IAM.
type fakeRoles struct {
	roles    map[string]*Role
	policies map[string]*policy.Policy
	fail     error
}

func (f *fakeRoles) RoleByARN(_ context.Context, arn string) (*Role, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	if r, ok := f.roles[arn]; ok {
		return r, nil
	}
	if !strings.Contains(arn, ":role/") {
		return nil, &api.Error{Code: "InvalidInput", Status: 400, Message: "ARN " + arn + " is not valid."}
	}
	return nil, &api.Error{Code: "NoSuchEntity", Status: 404, Message: "The role cannot be found."}
}

func (f *fakeRoles) ManagedPolicy(_ context.Context, arn string) (*policy.Policy, error) {
	if p, ok := f.policies[arn]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("policy %s: %w", arn, ErrNotFound)
}

func mustParse(t testing.TB, doc string, kind policy.Kind) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(doc, kind)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return p
}

const (
	roleARN   = "arn:aws:iam::" + acct + ":role/service/app-role"
	longARN   = "arn:aws:iam::" + acct + ":role/long-role"
	readOnly  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	trustDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	policyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
)

type fixture struct {
	sts    *STS
	sealer *session.Sealer
	roles  *fakeRoles
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	box, err := crypt.NewBox(crypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	trust := mustParse(t, trustDoc, policy.Trust)
	roles := &fakeRoles{
		roles: map[string]*Role{
			roleARN: {ARN: roleARN, ID: "AROA3XFRBF535PLBIFPI4", Name: "app-role", Path: "/service/", Trust: trust},
			longARN: {ARN: longARN, ID: "AROAYYYYYYYYYYYYYYYYY", Name: "long-role", Path: "/", Trust: trust, MaxSessionDuration: 12 * time.Hour},
		},
		policies: map[string]*policy.Policy{readOnly: mustParse(t, policyDoc, policy.Identity)},
	}
	sealer := session.NewSealer(box)
	s := New(Config{Account: acct, Roles: roles, Sealer: sealer, Now: func() time.Time { return now }})
	return &fixture{sts: s, sealer: sealer, roles: roles}
}

var (
	root  = &api.Principal{Type: api.Root, Account: acct, ARN: "arn:aws:iam::" + acct + ":root", AccessKeyID: "AKIAEXAMPLE"}
	alice = &api.Principal{Type: api.IAMUser, Account: acct, ARN: "arn:aws:iam::" + acct + ":user/alice",
		PrincipalID: "AIDAEXAMPLEALICE00001", UserName: "alice", AccessKeyID: "AKIAEXAMPLE2"}
)

// roleSession returns the principal of a role session with claims c.
func roleSession(c *session.Claims) *api.Principal {
	return &api.Principal{Type: api.AssumedRole, Account: acct, ARN: c.AssumedRoleARN(), PrincipalID: c.AssumedRoleID(),
		AccessKeyID: c.AccessKeyID, RoleARN: c.RoleARN, RoleName: c.RoleName, RoleID: c.RoleID, SessionName: c.SessionName, Claims: c}
}

// result is what running an operation through its table entry produced.
type result struct {
	call       *api.Call
	out        any
	err        error
	resource   string
	trust      *policy.Policy
	trustFlag  bool
	conditions map[string][]string
	authorized []string
}

// run runs an operation the way the gateway does, minus authorization:
// Resource, Conditions, then Handle, as p (which may be nil).
func (f *fixture) run(t *testing.T, op string, p *api.Principal, params url.Values) result {
	t.Helper()
	fx := apitest.New(t, f.sts.Service())
	fx.Account, fx.Now = acct, func() time.Time { return now }
	c := fx.Call(op, apitest.Request{Params: params, Principal: p})
	c.Principal = p
	res := fx.Do(c)
	r := result{call: c, out: res.Output, err: res.Err, resource: res.Resource.ARN,
		trust: res.Resource.Policy, trustFlag: res.Resource.Mode == api.TrustPolicy}
	if c.Operation.Conditions != nil {
		r.conditions = res.Keys
	}
	for _, ch := range res.Checks {
		r.authorized = append(r.authorized, ch.Action+" "+ch.Resource.ARN)
	}
	return r
}

func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	var se *api.Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if se.Code != code || se.Message != message {
		t.Errorf("error\n got %s: %s\nwant %s: %s", se.Code, se.Message, code, message)
	}
	if se.Status != 400 && se.Status != 403 {
		t.Errorf("status %d", se.Status)
	}
}

func TestServiceTable(t *testing.T) {
	svc := newFixture(t).sts.Service()
	if svc.Name != "sts" || svc.EventSource != "sts.amazonaws.com" || !svc.Global || svc.Protocols[0] != "awsQuery" ||
		svc.XMLNamespace != "https://sts.amazonaws.com/doc/2011-06-15/" {
		t.Errorf("service = %+v", svc)
	}
	want := map[string]string{
		"AssumeRole":        "sts:AssumeRole",
		"GetCallerIdentity": "",
		"GetSessionToken":   "",
		"GetAccessKeyInfo":  "sts:GetAccessKeyInfo",
	}
	for name, action := range want {
		op := svc.Operations[name]
		if op == nil || op.Name != name || op.Action != action || !op.ReadOnly || op.Handle == nil {
			t.Errorf("operation %s = %+v", name, op)
		}
	}
	if len(svc.Operations) != len(want) {
		t.Errorf("%d operations", len(svc.Operations))
	}
}

func TestAssumeRole(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, "AssumeRole", alice, params("RoleArn", roleARN, "RoleSessionName", "s3-access", "ExternalId", "ext-1"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.resource != roleARN || !r.trustFlag || r.trust == nil {
		t.Errorf("resource %q, trust %v %v", r.resource, r.trust, r.trustFlag)
	}
	out := r.out.(*AssumeRoleResult)
	if out.AssumedRoleUser.ARN != "arn:aws:sts::"+acct+":assumed-role/app-role/s3-access" ||
		out.AssumedRoleUser.AssumedRoleID != "AROA3XFRBF535PLBIFPI4:s3-access" {
		t.Errorf("assumed role user %+v", out.AssumedRoleUser)
	}
	if out.PackedPolicySize != nil || out.SourceIdentity != "" {
		t.Errorf("packed %v, source identity %q", out.PackedPolicySize, out.SourceIdentity)
	}
	cr := out.Credentials
	if !strings.HasPrefix(cr.AccessKeyID, "ASIA") || len(cr.AccessKeyID) != 20 || len(cr.SecretAccessKey) != 40 {
		t.Errorf("credentials %+v", cr)
	}
	if !cr.Expiration.Equal(now.Add(time.Hour)) {
		t.Errorf("expiration %v", cr.Expiration)
	}
	if a, _ := session.AccountFromAccessKeyID(cr.AccessKeyID); a != acct {
		t.Errorf("key ID decodes to %s", a)
	}
	c, err := f.sealer.Open(cr.AccessKeyID, cr.SessionToken, now)
	if err != nil {
		t.Fatal(err)
	}
	want := session.Claims{
		AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, Account: acct, Type: session.AssumedRole,
		RoleARN: roleARN, RoleName: "app-role", RoleID: "AROA3XFRBF535PLBIFPI4", RolePath: "/service/", SessionName: "s3-access",
		Issued: now, Expires: now.Add(time.Hour), Issuer: alice.ARN,
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("claims\n got %+v\nwant %+v", *c, want)
	}
	if got := r.conditions; !reflect.DeepEqual(got, map[string][]string{
		"sts:RoleSessionName": {"s3-access"}, "sts:ExternalId": {"ext-1"},
	}) {
		t.Errorf("conditions %v", got)
	}
	if len(r.authorized) != 0 {
		t.Errorf("extra authorizations %v", r.authorized)
	}

	tr := r.call.Trail
	if !reflect.DeepEqual(tr.RequestParameters, map[string]any{"roleArn": roleARN, "roleSessionName": "s3-access", "externalId": "ext-1"}) {
		t.Errorf("trail request %v", tr.RequestParameters)
	}
	creds := tr.ResponseElements["credentials"].(map[string]any)
	// CloudTrail records the key id, the session token and the expiry,
	// never the secret key.
	if creds["accessKeyId"] != cr.AccessKeyID || creds["sessionToken"] != cr.SessionToken || creds["expiration"] != "Mar 1, 2025, 1:00:00 PM" || len(creds) != 3 {
		t.Errorf("trail credentials %v", creds)
	}
	if s := fmt.Sprint(tr.ResponseElements); strings.Contains(s, cr.SecretAccessKey) {
		t.Error("trail shows the secret")
	}
	if !reflect.DeepEqual(tr.Resources, []api.TrailResource{{ARN: roleARN, AccountID: acct, Type: "AWS::IAM::Role"}}) {
		t.Errorf("trail resources %v", tr.Resources)
	}
}

func TestAssumeRoleValidation(t *testing.T) {
	f := newFixture(t)
	tags := func(n int) []string {
		var kv []string
		for i := 1; i <= n; i++ {
			kv = append(kv, "Tags.member."+strconv.Itoa(i)+".Key", "k"+strconv.Itoa(i), "Tags.member."+strconv.Itoa(i)+".Value", "v")
		}
		return kv
	}
	base := []string{"RoleArn", roleARN, "RoleSessionName", "sess"}
	tests := []struct {
		name   string
		params []string
		msg    string
	}{
		{"missing", nil, "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"},
		{"short session name", []string{"RoleArn", roleARN, "RoleSessionName", "a"},
			"1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"long session name", []string{"RoleArn", roleARN, "RoleSessionName", strings.Repeat("s", 65)},
			"1 validation error detected: Value '" + strings.Repeat("s", 65) + "' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"session name pattern", []string{"RoleArn", roleARN, "RoleSessionName", "my session"},
			`1 validation error detected: Value 'my session' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"short role ARN", []string{"RoleArn", "arn:aws:iam::1:r", "RoleSessionName", "sess"},
			"1 validation error detected: Value 'arn:aws:iam::1:r' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"short duration", append(base, "DurationSeconds", "899"),
			"1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"long duration", append(base, "DurationSeconds", "43201"),
			"1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"duration not a number", append(base, "DurationSeconds", "1h"),
			"1 validation error detected: Value '1h' at 'durationSeconds' failed to satisfy constraint: Member must be a number"},
		{"external ID", append(base, "ExternalId", "x"),
			"1 validation error detected: Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"source identity", append(base, "SourceIdentity", "a b"),
			`1 validation error detected: Value 'a b' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"tag key", append(base, "Tags.member.1.Key", "a*b", "Tags.member.1.Value", "v"),
			`1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"tag without value", append(base, "Tags.member.1.Key", "k"),
			"1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"token code", append(base, "TokenCode", "12ab56"),
			`1 validation error detected: Value '12ab56' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.run(t, "AssumeRole", alice, params(tt.params...))
			wantError(t, r.err, "ValidationError", tt.msg)
		})
	}
	r := f.run(t, "AssumeRole", alice, params(append(base, tags(51)...)...))
	if r.err == nil || !strings.Contains(r.err.Error(), "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50") {
		t.Errorf("51 tags: %v", r.err)
	}
	var arns []string
	for i := 1; i <= 11; i++ {
		arns = append(arns, "PolicyArns.member."+strconv.Itoa(i)+".arn", readOnly)
	}
	r = f.run(t, "AssumeRole", alice, params(append(base, arns...)...))
	if r.err == nil || !strings.Contains(r.err.Error(), "at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10") {
		t.Errorf("11 policy ARNs: %v", r.err)
	}
	if r.call.Trail.RequestParameters != nil {
		t.Error("trail filled in although the request failed before the handler")
	}
	if r := f.run(t, "AssumeRole", alice, params(append(base, tags(50)...)...)); r.err != nil {
		t.Errorf("50 tags: %v", r.err)
	}
}

func TestAssumeRoleDuration(t *testing.T) {
	f := newFixture(t)
	chain := f.assume(t, alice, roleARN, "first")
	tests := []struct {
		name     string
		caller   *api.Principal
		role     string
		duration string
		want     time.Duration
		msg      string
	}{
		{"default", alice, roleARN, "", time.Hour, ""},
		{"minimum", alice, roleARN, "900", 15 * time.Minute, ""},
		{"over max session duration", alice, roleARN, "3601", 0, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"long role", alice, longARN, "43200", 12 * time.Hour, ""},
		{"chained default", roleSession(chain), longARN, "", time.Hour, ""},
		{"chained one hour", roleSession(chain), longARN, "3600", time.Hour, ""},
		{"chained over one hour", roleSession(chain), longARN, "3601", 0, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := params("RoleArn", tt.role, "RoleSessionName", "sess")
			if tt.duration != "" {
				p.Set("DurationSeconds", tt.duration)
			}
			r := f.run(t, "AssumeRole", tt.caller, p)
			if tt.msg != "" {
				wantError(t, r.err, "ValidationError", tt.msg)
				return
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			if got := r.out.(*AssumeRoleResult).Credentials.Expiration.Sub(now); got != tt.want {
				t.Errorf("lifetime %v, want %v", got, tt.want)
			}
		})
	}
}

// assume assumes role as p and returns the session's claims.
func (f *fixture) assume(t *testing.T, p *api.Principal, role, name string, kv ...string) *session.Claims {
	t.Helper()
	r := f.run(t, "AssumeRole", p, params(append([]string{"RoleArn", role, "RoleSessionName", name}, kv...)...))
	if r.err != nil {
		t.Fatal(r.err)
	}
	cr := r.out.(*AssumeRoleResult).Credentials
	c, err := f.sealer.Open(cr.AccessKeyID, cr.SessionToken, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSessionPolicy(t *testing.T) {
	f := newFixture(t)
	pretty := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]\n}"
	r := f.run(t, "AssumeRole", alice, params("RoleArn", roleARN, "RoleSessionName", "sess", "Policy", pretty, "PolicyArns.member.1.arn", readOnly))
	if r.err != nil {
		t.Fatal(r.err)
	}
	out := r.out.(*AssumeRoleResult)
	if out.PackedPolicySize == nil || *out.PackedPolicySize < 1 || *out.PackedPolicySize > 100 {
		t.Errorf("packed policy size %v", out.PackedPolicySize)
	}
	if r.call.Trail.ResponseElements["packedPolicySize"] != *out.PackedPolicySize {
		t.Errorf("trail %v", r.call.Trail.ResponseElements)
	}
	c, err := f.sealer.Open(out.Credentials.AccessKeyID, out.Credentials.SessionToken, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Policy != policyDoc || !reflect.DeepEqual(c.PolicyARNs, []string{readOnly}) {
		t.Errorf("session policies %q %v", c.Policy, c.PolicyARNs)
	}

	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`
	_, perr := policy.Parse(bad, policy.Session)
	var pe *policy.Error
	if !errors.As(perr, &pe) {
		t.Fatalf("policy.Parse(%s) = %v", bad, perr)
	}
	r = f.run(t, "AssumeRole", alice, params("RoleArn", roleARN, "RoleSessionName", "sess", "Policy", bad))
	wantError(t, r.err, "MalformedPolicyDocument", pe.Message)
	r = f.run(t, "AssumeRole", alice, params("RoleArn", roleARN, "RoleSessionName", "sess", "Policy", "{not json"))
	if se := (*api.Error)(nil); !errors.As(r.err, &se) || se.Code != "MalformedPolicyDocument" {
		t.Errorf("syntax error: %v", r.err)
	}

	var stmts []string
	for i := range 40 {
		stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-%02d/*"}`, i))
	}
	big := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	r = f.run(t, "AssumeRole", alice, params("RoleArn", roleARN, "RoleSessionName", "sess", "Policy", big))
	pct := (len(big)*100 + packedLimit - 1) / packedLimit
	wantError(t, r.err, "PackedPolicyTooLarge", fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy.", pct))

	r = f.run(t, "AssumeRole", alice, params("RoleArn", roleARN, "RoleSessionName", "sess", "PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/NoSuchPolicy"))
	wantError(t, r.err, "InvalidParameterValue", "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")
}

func TestSessionTags(t *testing.T) {
	f := newFixture(t)
	kv := []string{
		"Tags.member.1.Key", "Project", "Tags.member.1.Value", "blue",
		"Tags.member.2.Key", "Team", "Tags.member.2.Value", "core",
		"TransitiveTagKeys.member.1", "Project",
		"SourceIdentity", "alice@example.com",
	}
	r := f.run(t, "AssumeRole", alice, params(append([]string{"RoleArn", roleARN, "RoleSessionName", "sess"}, kv...)...))
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantCond := map[string][]string{
		"sts:RoleSessionName":    {"sess"},
		"sts:SourceIdentity":     {"alice@example.com"},
		"aws:RequestTag/Project": {"blue"},
		"aws:RequestTag/Team":    {"core"},
		"aws:TagKeys":            {"Project", "Team"},
		"sts:TransitiveTagKeys":  {"Project"},
	}
	if !reflect.DeepEqual(r.conditions, wantCond) {
		t.Errorf("conditions\n got %v\nwant %v", r.conditions, wantCond)
	}
	if want := []string{"sts:TagSession " + roleARN, "sts:SetSourceIdentity " + roleARN}; !reflect.DeepEqual(r.authorized, want) {
		t.Errorf("authorized %v, want %v", r.authorized, want)
	}
	out := r.out.(*AssumeRoleResult)
	if out.SourceIdentity != "alice@example.com" || out.PackedPolicySize == nil {
		t.Errorf("output %+v", out)
	}

	// The transitive tag and the source identity pass to a chained session.
	first := f.assume(t, alice, roleARN, "first", kv...)
	chained := f.assume(t, roleSession(first), longARN, "second", "Tags.member.1.Key", "Stage", "Tags.member.1.Value", "dev")
	if !chained.Chained || chained.SourceIdentity != "alice@example.com" || chained.Issuer != first.AssumedRoleARN() {
		t.Errorf("chained claims %+v", chained)
	}
	if want := []session.Tag{{Key: "Project", Value: "blue"}, {Key: "Stage", Value: "dev"}}; !reflect.DeepEqual(chained.Tags, want) {
		t.Errorf("chained tags %v, want %v", chained.Tags, want)
	}
	if !reflect.DeepEqual(chained.TransitiveTagKeys, []string{"Project"}) {
		t.Errorf("chained transitive keys %v", chained.TransitiveTagKeys)
	}
	if r := f.run(t, "AssumeRole", roleSession(first), params("RoleArn", longARN, "RoleSessionName", "xx")); r.conditions["sts:SourceIdentity"][0] != "alice@example.com" {
		t.Errorf("chained conditions %v", r.conditions)
	}

	errs := []struct {
		caller *api.Principal
		kv     []string
		msg    string
	}{
		{alice, []string{"Tags.member.1.Key", "a", "Tags.member.1.Value", "1", "Tags.member.2.Key", "A", "Tags.member.2.Value", "2"},
			"Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{alice, []string{"Tags.member.1.Key", "a", "Tags.member.1.Value", "1", "TransitiveTagKeys.member.1", "b"},
			"The transitive tag key b must also be a session tag key."},
		{roleSession(first), []string{"Tags.member.1.Key", "project", "Tags.member.1.Value", "red"},
			"The session tag project cannot be set: it conflicts with a transitive tag of the calling session."},
		{roleSession(first), []string{"SourceIdentity", "bob"},
			"The source identity bob cannot be changed: the calling session's source identity is alice@example.com."},
	}
	for _, e := range errs {
		r := f.run(t, "AssumeRole", e.caller, params(append([]string{"RoleArn", longARN, "RoleSessionName", "sess"}, e.kv...)...))
		wantError(t, r.err, "InvalidParameterValue", e.msg)
	}
}

func TestAssumeRoleDenied(t *testing.T) {
	f := newFixture(t)
	missing := "arn:aws:iam::" + acct + ":role/missing"
	r := f.run(t, "AssumeRole", alice, params("RoleArn", missing, "RoleSessionName", "sess"))
	if r.trust != nil || !r.trustFlag {
		t.Errorf("missing role: trust %v %v, want nil, true", r.trust, r.trustFlag)
	}
	wantError(t, r.err, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: "+missing)

	notRole := "arn:aws:iam::" + acct + ":user/alice"
	r = f.run(t, "AssumeRole", alice, params("RoleArn", notRole, "RoleSessionName", "sess"))
	wantError(t, r.err, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: "+notRole)

	r = f.run(t, "AssumeRole", alice, params("RoleArn", roleARN, "RoleSessionName", "sess", "SerialNumber", "arn:aws:iam::123456789012:mfa/alice", "TokenCode", "123456"))
	wantError(t, r.err, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.")

	o := f.sts.Service().Operations["AssumeRole"]
	denied := api.AccessDenied("no TagSession")
	c := &api.Call{Context: context.Background(), Principal: alice, Account: acct,
		Params:    params("RoleArn", roleARN, "RoleSessionName", "sess", "Tags.member.1.Key", "k", "Tags.member.1.Value", "v"),
		Authorize: func(string, api.Resource, map[string][]string) error { return denied }}
	if _, err := o.Handle(c); err != denied {
		t.Errorf("TagSession denied: err = %v", err)
	}

	f.roles.fail = errors.New("disk on fire")
	r = f.run(t, "AssumeRole", alice, params("RoleArn", roleARN, "RoleSessionName", "sess"))
	if r.err == nil || !strings.Contains(r.err.Error(), "disk on fire") {
		t.Errorf("store failure: %v", r.err)
	}
}

func TestGetCallerIdentity(t *testing.T) {
	f := newFixture(t)
	c := f.assume(t, alice, roleARN, "my-fn")
	tests := []struct {
		p    *api.Principal
		want GetCallerIdentityResult
	}{
		{root, GetCallerIdentityResult{UserID: acct, Account: acct, ARN: "arn:aws:iam::123456789012:root"}},
		{alice, GetCallerIdentityResult{UserID: "AIDAEXAMPLEALICE00001", Account: acct, ARN: "arn:aws:iam::123456789012:user/alice"}},
		{roleSession(c), GetCallerIdentityResult{UserID: "AROA3XFRBF535PLBIFPI4:my-fn", Account: acct,
			ARN: "arn:aws:sts::123456789012:assumed-role/app-role/my-fn"}},
	}
	for _, tt := range tests {
		r := f.run(t, "GetCallerIdentity", tt.p, url.Values{})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := *r.out.(*GetCallerIdentityResult); got != tt.want {
			t.Errorf("got %+v, want %+v", got, tt.want)
		}
	}
	if r := f.run(t, "GetCallerIdentity", nil, url.Values{}); r.err == nil {
		t.Error("no principal: no error")
	}
}

func TestGetSessionToken(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		p        *api.Principal
		duration string
		want     time.Duration
	}{
		{alice, "", 12 * time.Hour},
		{alice, "129600", 36 * time.Hour},
		{root, "", time.Hour},
		{root, "7200", time.Hour},
		{root, "900", 15 * time.Minute},
	}
	for _, tt := range tests {
		p := url.Values{}
		if tt.duration != "" {
			p.Set("DurationSeconds", tt.duration)
		}
		r := f.run(t, "GetSessionToken", tt.p, p)
		if r.err != nil {
			t.Fatal(r.err)
		}
		cr := r.out.(*GetSessionTokenResult).Credentials
		if got := cr.Expiration.Sub(now); got != tt.want {
			t.Errorf("%s %s: lifetime %v, want %v", tt.p.ARN, tt.duration, got, tt.want)
		}
		c, err := f.sealer.Open(cr.AccessKeyID, cr.SessionToken, now)
		if err != nil {
			t.Fatal(err)
		}
		if c.Type != session.SessionToken || c.UserARN != tt.p.ARN || c.Account != acct || c.UserID == "" {
			t.Errorf("claims %+v", c)
		}
		if r.call.Trail.ResponseElements["credentials"].(map[string]any)["accessKeyId"] != cr.AccessKeyID {
			t.Errorf("trail %v", r.call.Trail.ResponseElements)
		}
	}
	r := f.run(t, "GetSessionToken", alice, params("DurationSeconds", "129601"))
	wantError(t, r.err, "ValidationError", "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600")

	c := f.assume(t, alice, roleARN, "sess")
	withToken := *alice
	withToken.Claims = c
	for _, p := range []*api.Principal{roleSession(c), &withToken} {
		r := f.run(t, "GetSessionToken", p, url.Values{})
		wantError(t, r.err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	}
	r = f.run(t, "GetSessionToken", alice, params("SerialNumber", "arn:aws:iam::123456789012:mfa/alice", "TokenCode", "123456"))
	wantError(t, r.err, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.")
}

func TestGetAccessKeyInfo(t *testing.T) {
	f := newFixture(t)
	for _, a := range []string{acct, "000000000001", "999999999999"} {
		id := session.NewAccessKeyID(session.LongTermPrefix, a)
		r := f.run(t, "GetAccessKeyInfo", alice, params("AccessKeyId", id))
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := r.out.(*GetAccessKeyInfoResult).Account; got != a {
			t.Errorf("%s: account %s, want %s", id, got, a)
		}
	}
	r := f.run(t, "GetAccessKeyInfo", alice, url.Values{})
	wantError(t, r.err, "ValidationError", "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null")
	r = f.run(t, "GetAccessKeyInfo", alice, params("AccessKeyId", "AKIA0000000000000000"))
	wantError(t, r.err, "InvalidParameterValue", "The access key ID AKIA0000000000000000 is not valid.")
}

func TestIssueForRole(t *testing.T) {
	f := newFixture(t)
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:my-fn"
	cr, c, err := f.sts.IssueForRole(context.Background(), IssueInput{RoleARN: roleARN, SessionName: "my-fn", Environment: "env-7", SourceFunctionARN: fn})
	if err != nil {
		t.Fatal(err)
	}
	opened, err := f.sealer.Open(cr.AccessKeyID, cr.SessionToken, now)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(opened, c) {
		t.Errorf("returned claims %+v, sealed %+v", c, opened)
	}
	if c.Issuer != "lambda.amazonaws.com" || c.Environment != "env-7" || c.SourceFunctionARN != fn || c.Chained ||
		!c.Expires.Equal(now.Add(12*time.Hour)) || c.AssumedRoleARN() != "arn:aws:sts::123456789012:assumed-role/app-role/my-fn" {
		t.Errorf("claims %+v", c)
	}
	tr := IssueTrail(c)
	if tr.RequestParameters["roleSessionName"] != "my-fn" || tr.RequestParameters["durationSeconds"] != 43200 ||
		tr.ResponseElements["credentials"].(map[string]any)["expiration"] != "Mar 2, 2025, 12:00:00 AM" ||
		tr.Resources[0].ARN != roleARN {
		t.Errorf("trail %+v", tr)
	}

	if _, _, err := f.sts.IssueForRole(context.Background(), IssueInput{RoleARN: "arn:aws:iam::" + acct + ":role/missing", SessionName: "fn"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing role: %v", err)
	}
	if _, _, err := f.sts.IssueForRole(context.Background(), IssueInput{RoleARN: roleARN, SessionName: "bad name"}); err == nil {
		t.Error("bad session name accepted")
	}
	if _, _, err := f.sts.IssueForRole(context.Background(), IssueInput{RoleARN: roleARN, SessionName: "fn", Duration: 13 * time.Hour}); err == nil {
		t.Error("13 hour session accepted")
	}
	cr, _, err = f.sts.IssueForRole(context.Background(), IssueInput{RoleARN: roleARN, SessionName: "fn", Duration: time.Hour, Service: "events.amazonaws.com"})
	if err != nil || !cr.Expiration.Equal(now.Add(time.Hour)) {
		t.Errorf("one hour session: %v %v", cr, err)
	}
}
