package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// fidelityHandler reads one object of the bucket the event names, as the
// function's execution role, and reports the error code it got, if any.
const fidelityHandler = `import boto3
from botocore.config import Config

def handler(event, context):
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
    try:
        s3.get_object(Bucket=event["bucket"], Key=event["key"])
        return {"code": ""}
    except Exception as e:
        return {"code": getattr(e, "response", {}).get("Error", {}).get("Code", str(e))}
`

// replayAPI is ReplayPolicy's answer, as far as these tests read it.
type replayAPI struct {
	Evaluated    int64           `json:"evaluated"`
	NotReplayed  int64           `json:"notReplayed"`
	NewlyDenied  []replayAPIItem `json:"newlyDenied"`
	NewlyAllowed []replayAPIItem `json:"newlyAllowed"`
	Drifted      []replayAPIItem `json:"drifted"`
}

type replayAPIItem struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Count    int64  `json:"count"`
	Recorded string `json:"recorded"`
	Current  string `json:"current"`
	Proposed string `json:"proposed"`
}

func (r *replayAPI) flips() []string {
	var out []string
	for _, l := range [][]replayAPIItem{r.NewlyDenied, r.NewlyAllowed, r.Drifted} {
		for _, it := range l {
			out = append(out, it.Action+" "+it.Resource+" "+it.Recorded+"→"+it.Current+"→"+it.Proposed)
		}
	}
	return out
}

// TestReplayFidelityAcrossServices records traffic of kinds the gateway
// decides differently — S3 bucket policies granting a user and anonymous
// callers, a cross-account session reading through a bucket policy, a KMS
// grant, a Lambda function policy granting InvokeFunction to another user,
// a session with tags, an identity policy conditioned on
// lambda:SourceFunctionArn from inside a function, and denied calls of
// each — and replays every decision with no change: each comes back as
// recorded. Through the ReplayPolicy API a change that changes nothing
// lists nothing, a targeted change flips exactly its calls, and a real
// policy change made afterwards is reported as drift, not as the change.
func TestReplayFidelityAcrossServices(t *testing.T) {
	srv := servertest.Start(t)
	s := lambdaSuiteOn(srv)
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f := newOrg(t, srv)
	member := newMember(t, f.orgs, "fidelity")

	// A bucket whose policy grants anonymous reads under public/, writes
	// to carol, and reads to the member account.
	root := s3Client(srv.RootConfig())
	bucket := aws.String("fidelity-bucket")
	_, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	check(err)
	for _, k := range []string{"public/a.txt", "private/b.txt"} {
		_, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader("x")})
		check(err)
	}
	_, err = root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: bucket})
	check(err)
	carol := s.user(t, "carol", "")
	carolARN := "arn:aws:iam::" + account + ":user/carol"
	_, err = root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::fidelity-bucket/public/*"},
		{"Sid":"Carol","Effect":"Allow","Principal":{"AWS":"` + carolARN + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::fidelity-bucket/*"},
		{"Sid":"Member","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::fidelity-bucket/private/*"}]}`)})
	check(err)

	// A key carol may encrypt with through a grant alone.
	key, err := kms.NewFromConfig(srv.RootConfig()).CreateKey(ctx, &kms.CreateKeyInput{})
	check(err)
	_, err = kms.NewFromConfig(srv.RootConfig()).CreateGrant(ctx, &kms.CreateGrantInput{KeyId: key.KeyMetadata.KeyId,
		GranteePrincipal: aws.String(carolARN), Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationEncrypt}})
	check(err)

	// A role sessions take with tags; its policy reads the tag.
	dave := s.user(t, "dave", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}`)
	s.role(t, "tagged", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+account+`:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)
	s.putRolePolicy(t, "tagged", "blue", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`)
	session := func(team string) aws.Config {
		out, err := sts.NewFromConfig(dave).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/tagged"),
			RoleSessionName: aws.String(team), Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}})
		check(err)
		c := out.Credentials
		return srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	}

	// A function whose role may read private/ only from inside it, and
	// whose policy lets carol invoke it.
	fnRole := s.role(t, "fidelity-fn", lambdaTrust, basicExecRole)
	fnARN := functionARN("fidelity-fn")
	sourceOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"FromTheFunction","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::fidelity-bucket/*","Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"` + fnARN + `"}}}]}`
	s.putRolePolicy(t, "fidelity-fn", "source-only", sourceOnly)
	s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String("fidelity-fn"), Role: aws.String(fnRole),
		Runtime: lambdatypes.Runtime("python3.11"), Handler: aws.String("app.handler"), Timeout: aws.Int32(30),
		Code: &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"app.py": fidelityHandler})}})
	_, err = s.lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fidelity-fn"), StatementId: aws.String("carol"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(carolARN)})
	check(err)

	// The calls.
	anon := s3Client(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint()), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	get := func(c *s3.Client, k string) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(k)})
		if err == nil {
			out.Body.Close()
		}
		return err
	}
	calls := []struct {
		name    string
		allowed bool
		do      func() error
	}{
		{"anonymous GetObject public/", true, func() error { return get(anon, "public/a.txt") }},
		{"anonymous GetObject private/", false, func() error { return get(anon, "private/b.txt") }},
		{"carol PutObject: bucket policy alone", true, func() error {
			_, err := s3Client(carol).PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("carol.txt"), Body: strings.NewReader("c")})
			return err
		}},
		{"carol DeleteObject: nothing grants", false, func() error {
			_, err := s3Client(carol).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("carol.txt")})
			return err
		}},
		{"member session GetObject private/: cross-account", true, func() error { return get(s3Client(f.session(member)), "private/b.txt") }},
		{"member session GetObject public/ as itself", true, func() error { return get(s3Client(f.session(member)), "public/a.txt") }},
		{"carol Encrypt: grant", true, func() error {
			_, err := kms.NewFromConfig(carol).Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.Arn, Plaintext: []byte("p")})
			return err
		}},
		{"carol Decrypt-less GenerateDataKey: no grant", false, func() error {
			_, err := kms.NewFromConfig(carol).GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: key.KeyMetadata.Arn, KeySpec: kmstypes.DataKeySpecAes256})
			return err
		}},
		{"blue session ListRoles: tag", true, func() error {
			_, err := iam.NewFromConfig(session("blue")).ListRoles(ctx, &iam.ListRolesInput{})
			return err
		}},
		{"red session ListRoles: tag", false, func() error {
			_, err := iam.NewFromConfig(session("red")).ListRoles(ctx, &iam.ListRolesInput{})
			return err
		}},
		{"dave InvokeFunction: no grant", false, func() error {
			_, err := invoke(lambda.NewFromConfig(dave), "fidelity-fn", map[string]string{"bucket": "fidelity-bucket", "key": "private/b.txt"})
			return err
		}},
		{"carol InvokeFunction: function policy; the function reads with lambda:SourceFunctionArn", true, func() error {
			out, err := invoke(lambda.NewFromConfig(carol), "fidelity-fn", map[string]string{"bucket": "fidelity-bucket", "key": "private/b.txt"})
			if err == nil && (out.FunctionError != nil || !bytes.Contains(out.Payload, []byte(`"code": ""`))) {
				t.Fatalf("the function's read: %s", out.Payload)
			}
			return err
		}},
	}
	for _, c := range calls {
		if err := c.do(); (err == nil) != c.allowed {
			t.Fatalf("%s: allowed %v, want %v (%v)", c.name, err == nil, c.allowed, err)
		}
	}

	rows := recordedAccess(t, srv)
	kinds := map[string]int{}
	for _, r := range rows {
		if got := replay(t, srv, r, nil, time.Time{}).Effect.String(); got != r.row.Decision {
			t.Errorf("replayed %s: %s", r, got)
		}
		switch {
		case r.req.Principal.Type == "Anonymous":
			kinds["anonymous"]++
		case r.row.Account == member || strings.Contains(r.row.PrincipalARN, ":"+member+":"):
			kinds["cross-account"]++
		}
		for _, k := range r.req.Context {
			if k.Key == "lambda:SourceFunctionArn" || strings.HasPrefix(k.Key, "aws:PrincipalTag/") {
				kinds[k.Key]++
			}
		}
		if r.row.InvokedBy != "" {
			kinds["invokedBy"]++
		}
	}
	for _, k := range []string{"anonymous", "cross-account", "lambda:SourceFunctionArn", "aws:PrincipalTag/team"} {
		if kinds[k] == 0 {
			t.Errorf("no recorded decision was of kind %s (%v)", k, kinds)
		}
	}

	replayOf := func(principal string, changes ...map[string]any) *replayAPI {
		t.Helper()
		var out replayAPI
		in := map[string]any{"principalArn": principal, "startTime": time.Now().Add(-time.Hour).Unix(), "endTime": time.Now().Add(time.Minute).Unix(), "changes": changes}
		if code, ec, msg := consoleCall(t, srv.RootConfig(), srv.Endpoint(), http.MethodPost, "/v1/replay", in, &out); code != http.StatusOK {
			t.Fatalf("ReplayPolicy of %s: %d %s %s", principal, code, ec, msg)
		}
		return &out
	}
	same := func(_, name, doc string) map[string]any {
		return map[string]any{"policyType": "INLINE", "policyName": name, "policyDocument": doc}
	}
	blueDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`
	for _, tc := range []struct {
		principal string
		change    map[string]any
	}{
		{fnRole, same("fidelity-fn", "source-only", sourceOnly)},
		{"arn:aws:iam::" + account + ":role/tagged", same("tagged", "blue", blueDoc)},
		{carolARN, map[string]any{"policyType": "INLINE", "policyName": "nothing", "policyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`}},
	} {
		out := replayOf(tc.principal, tc.change)
		if out.Evaluated == 0 || out.NotReplayed != 0 || len(out.flips()) != 0 {
			t.Errorf("a change that changes nothing, replayed over %s: %d evaluated, %d not replayed, flips %v", tc.principal, out.Evaluated, out.NotReplayed, out.flips())
		}
	}

	// Targeted: the function's read without the condition's grant; the
	// tagged role's grant for red too.
	noRead := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::fidelity-bucket"}]}`
	got := replayOf(fnRole, same("fidelity-fn", "source-only", noRead)).flips()
	if want := "s3:GetObject arn:aws:s3:::fidelity-bucket/private/b.txt Allow→→ImplicitDeny"; strings.Join(got, "\n") != want {
		t.Errorf("the function's role without its read flipped %v, want %s", got, want)
	}
	anyTeam := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`
	got = replayOf("arn:aws:iam::"+account+":role/tagged", same("tagged", "blue", anyTeam)).flips()
	if want := "iam:ListRoles * ImplicitDeny→→Allow"; strings.Join(got, "\n") != want {
		t.Errorf("the tagged role for any team flipped %v, want %s", got, want)
	}

	// Drift: the function's role loses its read for real; a change to
	// another policy reports the read as drifted, not as the change's.
	_, err = s.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("fidelity-fn"), PolicyName: aws.String("source-only")})
	check(err)
	out := replayOf(fnRole, map[string]any{"policyType": "INLINE", "policyName": "extra", "policyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`})
	if len(out.NewlyDenied) != 0 || len(out.Drifted) == 0 {
		t.Errorf("after a real change: %v", out.flips())
	}
	for _, d := range out.Drifted {
		if d.Action != "s3:GetObject" || d.Recorded != "Allow" || d.Current != "ImplicitDeny" {
			t.Errorf("drifted %+v", d)
		}
	}
}

// TestReplayFidelityThroughVPCEndpoints: calls from functions in a VPC
// with an endpoint for IAM carry aws:SourceVpc and aws:SourceVpce and pass
// the endpoint's policy; replayed with no change — after the endpoint's
// policy has changed, too — each decision comes back as recorded, the
// explicit deny of the endpoint's policy included.
func TestReplayFidelityThroughVPCEndpoints(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	net := ec2.NewFromConfig(s.srv.RootConfig())
	a := newNetwork(t, net, "10.0.0.0/16", "10.0.1.0/24")
	ep, err := net.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(a.vpc), ServiceName: aws.String("com.amazonaws.us-east-1.iam"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{a.subnet}, SecurityGroupIds: []string{a.group}})
	if err != nil {
		t.Fatal(err)
	}
	vpce := aws.ToString(ep.VpcEndpoint.VpcEndpointId)
	const roleName = "replayed-vpc"
	role := s.role(t, roleName, lambdaTrust, basicExecRole, vpcAccessRole)
	s.putRolePolicy(t, roleName, "keys", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"`+a.vpc+`"}}},
		{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	for name, v := range map[string]*lambdatypes.VpcConfig{"vpc-in": a.config(), "vpc-out": nil} {
		in := goFunction(t, name, role)
		in.VpcConfig = v
		s.create(t, in)
	}
	getRole := callAction("iam", "GetRole", map[string]string{"RoleName": roleName})
	listRoles := callAction("iam", "ListRoles", nil)
	want := func(fn string, action map[string]any, allowed bool) {
		t.Helper()
		if got := s.call(t, fn, action); (got["error"] == nil) != allowed {
			t.Fatalf("%s %v: %v, want allowed %v", fn, action, got, allowed)
		}
	}
	want("vpc-in", getRole, true)
	want("vpc-out", getRole, false)
	if _, err := net.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(vpce),
		PolicyDocument: aws.String(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"iam:GetRole","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	want("vpc-in", getRole, false)
	want("vpc-in", listRoles, true)

	var withVpc, gated int
	for _, r := range recordedAccess(t, s.srv) {
		if got := replay(t, s.srv, r, nil, time.Time{}).Effect.String(); got != r.row.Decision {
			t.Errorf("replayed %s: %s", r, got)
		}
		for _, k := range r.req.Context {
			if k.Key == "aws:SourceVpc" {
				withVpc++
			}
		}
		for _, g := range r.req.Gates {
			if g.Source == "endpoint" {
				gated++
			}
		}
	}
	if withVpc == 0 || gated == 0 {
		t.Errorf("decisions with aws:SourceVpc %d, through an endpoint's policy %d", withVpc, gated)
	}
}

// TestReplayFidelityUnderRCPs: a bucket shared with everyone in an account
// under a resource control policy that keeps out principals outside the
// organization: a member's call is allowed, that of an account that left
// the organization denied by the RCP; replayed with no change, each comes
// back as recorded, the RCP's deny with it.
func TestReplayFidelityUnderRCPs(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	f := newOrg(t, srv)
	owner, peer, gone := newMember(t, f.orgs, "rcp-owner"), newMember(t, f.orgs, "rcp-peer"), newMember(t, f.orgs, "rcp-gone")
	ownerS3, peerS3, goneS3 := s3Client(f.session(owner)), s3Client(f.session(peer)), s3Client(f.session(gone))
	if _, err := f.orgs.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	const bucket = "rcp-replayed"
	if _, err := ownerS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ownerS3.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ownerS3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetBucketTagging","Resource":"arn:aws:s3:::` + bucket + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(f.root), PolicyType: orgtypes.PolicyTypeResourceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	out, err := f.orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("org-only"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeResourceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",` +
			`"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + f.id + `"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	f.attach(aws.ToString(out.Policy.PolicySummary.Id), owner)
	tagging := func(c *s3.Client) error {
		_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
		return err
	}
	wantCode(t, tagging(peerS3), "NoSuchTagSet")
	wantCode(t, tagging(goneS3), "AccessDenied")

	rcpDecisions := 0
	for _, r := range recordedAccess(t, srv) {
		if got := replay(t, srv, r, nil, time.Time{}).Effect.String(); got != r.row.Decision {
			t.Errorf("replayed %s: %s", r, got)
		}
		for _, g := range r.req.Gates {
			if g.Source == "rcp" && r.row.Action == "s3:GetBucketTagging" {
				rcpDecisions++
			}
		}
	}
	if rcpDecisions < 2 {
		t.Errorf("%d GetBucketTagging decisions went through the RCP; want the peer's and the departed account's", rcpDecisions)
	}
}
