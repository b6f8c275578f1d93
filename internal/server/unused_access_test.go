package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// unusedClock is a server clock that tests move forward, and the clients
// that sign with it.
type unusedClock struct {
	offset atomic.Int64
	srv    *servertest.Server
}

func (c *unusedClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// config returns a configuration whose requests are signed at the
// server's time: the SDK signs at the host's, which the moved clock would
// refuse as skewed.
func (c *unusedClock) config(cfg aws.Config) aws.Config {
	cfg.HTTPClient = &http.Client{Transport: unusedResigner{clock: c, creds: cfg.Credentials}}
	return cfg
}

type unusedResigner struct {
	clock *unusedClock
	creds aws.CredentialsProvider
}

func (r unusedResigner) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	// Credential=AKID/DATE/REGION/SERVICE/aws4_request
	auth := req.Header.Get("Authorization")
	scope := strings.Split(auth[strings.Index(auth, "Credential=")+len("Credential="):strings.Index(auth, ",")], "/")
	creds, err := r.creds.Retrieve(req.Context())
	if err != nil {
		return nil, err
	}
	if req.Header.Get("X-Amz-Content-Sha256") != "UNSIGNED-PAYLOAD" {
		req.Header.Del("X-Amz-Content-Sha256")
	}
	err = sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
		SessionToken: creds.SessionToken}, scope[2], scope[3], r.clock.now())
	if err != nil {
		return nil, err
	}
	return http.DefaultTransport.RoundTrip(req)
}

const unusedTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

// unusedFixture is an account a day and more old: a role granted all of
// DynamoDB and S3 that reads one item, a role nobody uses, a user whose
// key assumes the first role and one whose key never signs anything.
type unusedFixture struct {
	clock    *unusedClock
	root     aws.Config
	alice    aws.Config
	bob      aws.Config
	bobKey   string
	aliceKey string
	analyzer string
}

func newUnusedFixture(t *testing.T) *unusedFixture {
	t.Helper()
	ctx := context.Background()
	f := &unusedFixture{clock: &unusedClock{}}
	f.clock.srv = servertest.StartWith(t, servertest.Options{Now: f.clock.now})
	srv := f.clock.srv
	f.root = f.clock.config(srv.RootConfig())
	admin := iam.NewFromConfig(f.root)
	for _, name := range []string{"reader", "idle"} {
		if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(unusedTrust)}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("broad"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:*","s3:*"],"Resource":"*"}]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	user := func(name, doc string) (aws.Config, string) {
		if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(k.AccessKey.AccessKeyId)
		return f.clock.config(srv.Config(id, aws.ToString(k.AccessKey.SecretAccessKey), "")), id
	}
	f.alice, f.aliceKey = user("alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	f.bob, f.bobKey = user("bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	_, err := dynamodb.NewFromConfig(f.root).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("orders"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Two days on, alice reads one item as the reader role.
	f.clock.offset.Store(int64(48 * time.Hour))
	f.assume(t, "reader", func(cfg aws.Config) {
		if _, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"),
			Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}}); err != nil {
			t.Fatal(err)
		}
	})
	out, err := accessanalyzer.NewFromConfig(f.root).CreateAnalyzer(ctx, &accessanalyzer.CreateAnalyzerInput{
		AnalyzerName: aws.String("unused"), Type: aatypes.TypeAccountUnusedAccess,
		Configuration: &aatypes.AnalyzerConfigurationMemberUnusedAccess{Value: aatypes.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.analyzer = aws.ToString(out.Arn)
	return f
}

// assume runs fn with alice's session of role.
func (f *unusedFixture) assume(t *testing.T, role string, fn func(aws.Config)) {
	t.Helper()
	out, err := sts.NewFromConfig(f.alice).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/" + role), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	fn(f.clock.config(f.clock.srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))))
}

// findings lists the analyzer's findings by resource and type.
func (f *unusedFixture) findings(t *testing.T) map[string]aatypes.FindingSummaryV2 {
	t.Helper()
	out, err := accessanalyzer.NewFromConfig(f.root).ListFindingsV2(context.Background(), &accessanalyzer.ListFindingsV2Input{AnalyzerArn: aws.String(f.analyzer)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]aatypes.FindingSummaryV2{}
	for _, s := range out.Findings {
		m[aws.ToString(s.Resource)+" "+string(s.FindingType)] = s
	}
	return m
}

func TestUnusedAccessFindings(t *testing.T) {
	f := newUnusedFixture(t)
	ctx := context.Background()
	aa := accessanalyzer.NewFromConfig(f.root)
	got := f.findings(t)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range got {
			if !yield(k) {
				return
			}
		}
	})
	want := []string{
		"arn:aws:iam::123456789012:role/idle UnusedIAMRole",
		"arn:aws:iam::123456789012:role/reader UnusedPermission",
		"arn:aws:iam::123456789012:user/bob UnusedIAMUserAccessKey",
		"arn:aws:iam::123456789012:user/bob UnusedPermission",
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}

	// The reader's finding: all of S3, and DynamoDB but GetItem.
	reader := got["arn:aws:iam::123456789012:role/reader UnusedPermission"]
	detail, err := aa.GetFindingV2(ctx, &accessanalyzer.GetFindingV2Input{AnalyzerArn: aws.String(f.analyzer), Id: reader.Id})
	if err != nil {
		t.Fatal(err)
	}
	services := map[string][]string{}
	for _, d := range detail.FindingDetails {
		p, ok := d.(*aatypes.FindingDetailsMemberUnusedPermissionDetails)
		if !ok {
			t.Fatalf("detail %T", d)
		}
		for _, a := range p.Value.Actions {
			services[aws.ToString(p.Value.ServiceNamespace)] = append(services[aws.ToString(p.Value.ServiceNamespace)], aws.ToString(a.Action))
		}
	}
	if len(services) != 2 || len(services["s3"]) < 50 || !slices.Contains(services["s3"], "s3:GetObject") {
		t.Errorf("unused services: %d, s3 actions %d", len(services), len(services["s3"]))
	}
	if slices.Contains(services["dynamodb"], "dynamodb:GetItem") || !slices.Contains(services["dynamodb"], "dynamodb:PutItem") {
		t.Errorf("unused dynamodb actions: %v", services["dynamodb"])
	}

	// bob's key never signed a request; alice's did, and IAM says where.
	keyFinding := got["arn:aws:iam::123456789012:user/bob UnusedIAMUserAccessKey"]
	kd, err := aa.GetFindingV2(ctx, &accessanalyzer.GetFindingV2Input{AnalyzerArn: aws.String(f.analyzer), Id: keyFinding.Id})
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := kd.FindingDetails[0].(*aatypes.FindingDetailsMemberUnusedIamUserAccessKeyDetails); !ok ||
		aws.ToString(k.Value.AccessKeyId) != f.bobKey || k.Value.LastAccessed != nil {
		t.Errorf("key finding details: %#v", kd.FindingDetails)
	}
	admin := iam.NewFromConfig(f.root)
	lu, err := admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(f.bobKey)})
	if err != nil {
		t.Fatal(err)
	}
	if u := lu.AccessKeyLastUsed; u.LastUsedDate != nil || aws.ToString(u.ServiceName) != "N/A" || aws.ToString(u.Region) != "N/A" {
		t.Errorf("bob's key last used: %+v", u)
	}
	lu, err = admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(f.aliceKey)})
	if err != nil {
		t.Fatal(err)
	}
	if u := lu.AccessKeyLastUsed; u.LastUsedDate == nil || f.clock.now().Sub(*u.LastUsedDate) > time.Minute ||
		aws.ToString(u.ServiceName) != "sts" || aws.ToString(u.Region) != "us-east-1" {
		t.Errorf("alice's key last used: %+v", u)
	}

	// Archive and unarchive the idle role's finding.
	idle := got["arn:aws:iam::123456789012:role/idle UnusedIAMRole"]
	setStatus := func(s aatypes.FindingStatusUpdate) {
		if _, err := aa.UpdateFindings(ctx, &accessanalyzer.UpdateFindingsInput{AnalyzerArn: aws.String(f.analyzer),
			Status: s, Ids: []string{aws.ToString(idle.Id)}}); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(aatypes.FindingStatusUpdateArchived)
	archived, err := aa.ListFindingsV2(ctx, &accessanalyzer.ListFindingsV2Input{AnalyzerArn: aws.String(f.analyzer),
		Filter: map[string]aatypes.Criterion{"status": {Eq: []string{"ARCHIVED"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(archived.Findings) != 1 || aws.ToString(archived.Findings[0].Id) != aws.ToString(idle.Id) {
		t.Errorf("archived findings: %+v", archived.Findings)
	}
	setStatus(aatypes.FindingStatusUpdateActive)
	if s := f.findings(t)["arn:aws:iam::123456789012:role/idle UnusedIAMRole"]; s.Status != aatypes.FindingStatusActive {
		t.Errorf("unarchived: %s", s.Status)
	}

	// Once the idle role is used, its finding is resolved, under the same ID.
	f.assume(t, "idle", func(aws.Config) {})
	now := f.findings(t)["arn:aws:iam::123456789012:role/idle UnusedIAMRole"]
	if now.Status != aatypes.FindingStatusResolved || aws.ToString(now.Id) != aws.ToString(idle.Id) {
		t.Errorf("after use: %s %s (was %s)", now.Status, aws.ToString(now.Id), aws.ToString(idle.Id))
	}
	// Used now, the idle role has an UnusedPermission finding instead:
	// four active findings, one resolved.
	stats, err := aa.GetFindingsStatistics(ctx, &accessanalyzer.GetFindingsStatisticsInput{AnalyzerArn: aws.String(f.analyzer)})
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := stats.FindingsStatistics[0].(*aatypes.FindingsStatisticsMemberUnusedAccessFindingsStatistics); !ok ||
		aws.ToInt32(u.Value.TotalActiveFindings) != 4 || aws.ToInt32(u.Value.TotalResolvedFindings) != 1 {
		t.Errorf("statistics: %+v", stats.FindingsStatistics[0].(*aatypes.FindingsStatisticsMemberUnusedAccessFindingsStatistics).Value)
	}

	// Pages of two findings, in the order asked for.
	var pages [][]string
	var token *string
	for {
		out, err := aa.ListFindingsV2(ctx, &accessanalyzer.ListFindingsV2Input{AnalyzerArn: aws.String(f.analyzer), MaxResults: aws.Int32(2),
			NextToken: token, Sort: &aatypes.SortCriteria{AttributeName: aws.String("resource"), OrderBy: aatypes.OrderByDesc}})
		if err != nil {
			t.Fatal(err)
		}
		var page []string
		for _, s := range out.Findings {
			page = append(page, aws.ToString(s.Resource)[len("arn:aws:iam::123456789012:"):]+" "+string(s.FindingType))
		}
		pages = append(pages, page)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if got := fmt.Sprint(pages); got != "[[user/bob UnusedIAMUserAccessKey user/bob UnusedPermission] [role/reader UnusedPermission role/idle UnusedIAMRole] [role/idle UnusedPermission]]" {
		t.Errorf("pages: %s", got)
	}

	// An analysis rule that leaves out entities tagged keep=yes resolves bob's findings.
	if _, err := admin.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("bob"), Tags: []iamtypes.Tag{{Key: aws.String("keep"), Value: aws.String("yes")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := aa.UpdateAnalyzer(ctx, &accessanalyzer.UpdateAnalyzerInput{AnalyzerName: aws.String("unused"),
		Configuration: &aatypes.AnalyzerConfigurationMemberUnusedAccess{Value: aatypes.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(1),
			AnalysisRule: &aatypes.AnalysisRule{Exclusions: []aatypes.AnalysisRuleCriteria{{ResourceTags: []map[string]string{{"keep": "yes"}}}}}}}}); err != nil {
		t.Fatal(err)
	}
	after := f.findings(t)
	for _, k := range []string{"arn:aws:iam::123456789012:user/bob UnusedIAMUserAccessKey", "arn:aws:iam::123456789012:user/bob UnusedPermission"} {
		if after[k].Status != aatypes.FindingStatusResolved {
			t.Errorf("%s excluded: %s", k, after[k].Status)
		}
	}
	if after["arn:aws:iam::123456789012:role/reader UnusedPermission"].Status != aatypes.FindingStatusActive {
		t.Errorf("reader: %s", after["arn:aws:iam::123456789012:role/reader UnusedPermission"].Status)
	}
}

func TestUnusedAccessAnalyzerErrors(t *testing.T) {
	f := newUnusedFixture(t)
	ctx := context.Background()
	aa := accessanalyzer.NewFromConfig(f.root)
	create := func(name string, typ aatypes.Type, age int32) error {
		in := &accessanalyzer.CreateAnalyzerInput{AnalyzerName: aws.String(name), Type: typ}
		if age != 0 {
			in.Configuration = &aatypes.AnalyzerConfigurationMemberUnusedAccess{Value: aatypes.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(age)}}
		}
		_, err := aa.CreateAnalyzer(ctx, in)
		return err
	}
	cases := []struct {
		name, code, message string
		err                 error
	}{
		{"external access", "ValidationException",
			"Analyzer type ACCOUNT is not supported: rolecall analyzes unused access only; create an analyzer of type ACCOUNT_UNUSED_ACCESS.",
			create("ext", aatypes.TypeAccount, 0)},
		{"organization", "ValidationException",
			"Analyzer type ORGANIZATION_UNUSED_ACCESS is not supported: rolecall analyzes unused access only; create an analyzer of type ACCOUNT_UNUSED_ACCESS.",
			create("org", aatypes.TypeOrganizationUnusedAccess, 0)},
		{"age", "ValidationException", "Invalid unusedAccessAge 366: the unused access age must be between 1 and 365 days.",
			create("old", aatypes.TypeAccountUnusedAccess, 366)},
		{"duplicate", "ConflictException", "An analyzer named unused already exists.", create("unused", aatypes.TypeAccountUnusedAccess, 0)},
		{"second", "ServiceQuotaExceededException", "You can create only one analyzer of type ACCOUNT_UNUSED_ACCESS per account per Region.",
			create("another", aatypes.TypeAccountUnusedAccess, 0)},
	}
	for _, tc := range cases {
		if msg := apiError(t, tc.err, tc.code); msg != tc.message {
			t.Errorf("%s: %q, want %q", tc.name, msg, tc.message)
		}
	}
	// The same request again, with its client token, is the same analyzer.
	in := &accessanalyzer.CreateAnalyzerInput{AnalyzerName: aws.String("tokened"), Type: aatypes.TypeAccountUnusedAccess, ClientToken: aws.String("t-1")}
	if _, err := aa.DeleteAnalyzer(ctx, &accessanalyzer.DeleteAnalyzerInput{AnalyzerName: aws.String("unused")}); err != nil {
		t.Fatal(err)
	}
	first, err := aa.CreateAnalyzer(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := aa.CreateAnalyzer(ctx, in)
	if err != nil || aws.ToString(again.Arn) != aws.ToString(first.Arn) {
		t.Fatalf("again: %v %v", again, err)
	}
	if _, err := aa.DeleteAnalyzer(ctx, &accessanalyzer.DeleteAnalyzerInput{AnalyzerName: aws.String("tokened")}); err != nil {
		t.Fatal(err)
	}
	if _, err := aa.CreateAnalyzer(ctx, &accessanalyzer.CreateAnalyzerInput{AnalyzerName: aws.String("unused"), Type: aatypes.TypeAccountUnusedAccess,
		Configuration: &aatypes.AnalyzerConfigurationMemberUnusedAccess{Value: aatypes.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(1)}}}); err != nil {
		t.Fatal(err)
	}
	// ListAnalyzers by type.
	for typ, n := range map[aatypes.Type]int{aatypes.TypeAccountUnusedAccess: 1, aatypes.TypeAccount: 0} {
		out, err := aa.ListAnalyzers(ctx, &accessanalyzer.ListAnalyzersInput{Type: typ})
		if err != nil || len(out.Analyzers) != n {
			t.Errorf("ListAnalyzers %s: %v %v", typ, out, err)
		}
	}
	_, err = aa.GetAnalyzer(ctx, &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("nope")})
	if msg := apiError(t, err, "ResourceNotFoundException"); msg != "Analyzer nope not found." {
		t.Errorf("GetAnalyzer: %q", msg)
	}
	// bob may not read findings.
	_, err = accessanalyzer.NewFromConfig(f.bob).ListFindingsV2(ctx, &accessanalyzer.ListFindingsV2Input{AnalyzerArn: aws.String(f.analyzer)})
	if msg := apiError(t, err, "AccessDeniedException"); !strings.Contains(msg, "access-analyzer:ListFindings") {
		t.Errorf("bob: %q", msg)
	}
	// Tags, the analyzer's summary and its deletion.
	if _, err := aa.TagResource(ctx, &accessanalyzer.TagResourceInput{ResourceArn: aws.String(f.analyzer), Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := aa.ListTagsForResource(ctx, &accessanalyzer.ListTagsForResourceInput{ResourceArn: aws.String(f.analyzer)})
	if err != nil || tags.Tags["team"] != "a" {
		t.Fatalf("tags %v %v", tags, err)
	}
	got, err := aa.GetAnalyzer(ctx, &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("unused")})
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok := got.Analyzer.Configuration.(*aatypes.AnalyzerConfigurationMemberUnusedAccess)
	if !ok || aws.ToInt32(cfg.Value.UnusedAccessAge) != 1 || got.Analyzer.Status != aatypes.AnalyzerStatusActive ||
		aws.ToString(got.Analyzer.Arn) != f.analyzer || got.Analyzer.Tags["team"] != "a" {
		t.Errorf("analyzer: %+v", got.Analyzer)
	}
	if _, err := aa.DeleteAnalyzer(ctx, &accessanalyzer.DeleteAnalyzerInput{AnalyzerName: aws.String("unused")}); err != nil {
		t.Fatal(err)
	}
	list, err := aa.ListAnalyzers(ctx, &accessanalyzer.ListAnalyzersInput{})
	if err != nil || len(list.Analyzers) != 0 {
		t.Errorf("after delete: %v %v", list, err)
	}
}

// TestUnusedAccessAPI calls rolecall's GetUnusedAccess for the reader role.
func TestUnusedAccessAPI(t *testing.T) {
	f := newUnusedFixture(t)
	call := func(cfg aws.Config, in map[string]any) (int, map[string]any) {
		b, _ := json.Marshal(in)
		req, err := http.NewRequest("POST", f.clock.srv.Endpoint()+"/v1/unused-access", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		creds, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := sigv4.Sign(req, b, sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
			"us-east-1", "rolecall", f.clock.now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	}
	start := f.clock.now().Add(-24 * time.Hour).Unix()
	code, out := call(f.root, map[string]any{"principalArn": "arn:aws:iam::123456789012:role/reader", "startTime": start})
	if code != 200 || out["used"] != true {
		t.Fatalf("%d %v", code, out)
	}
	used := fmt.Sprint(out["usedActions"])
	if !strings.Contains(used, "dynamodb:GetItem") || !strings.Contains(used, "arn:aws:dynamodb:us-east-1:123456789012:table/orders") {
		t.Errorf("used: %s", used)
	}
	var services []string
	for _, s := range out["unused"].([]any) {
		services = append(services, s.(map[string]any)["service"].(string))
	}
	if !slices.Equal(services, []string{"dynamodb", "s3"}) {
		t.Errorf("unused services: %v", services)
	}
	code, out = call(f.root, map[string]any{"principalArn": "arn:aws:iam::123456789012:role/idle", "startTime": start})
	if code != 200 || out["used"] != false {
		t.Errorf("idle: %d %v", code, out)
	}
	code, out = call(f.root, map[string]any{"principalArn": "arn:aws:iam::123456789012:role/idle", "startTime": start, "extra": 1})
	if code != 400 || !strings.Contains(fmt.Sprint(out["message"]), "Unrecognized member extra") {
		t.Errorf("unknown member: %d %v", code, out)
	}
	code, out = call(f.root, map[string]any{"principalArn": "arn:aws:iam::123456789012:role/gone", "startTime": start})
	if code != 404 {
		t.Errorf("missing role: %d %v", code, out)
	}
	code, out = call(f.bob, map[string]any{"principalArn": "arn:aws:iam::123456789012:role/idle", "startTime": start})
	if code != 403 || !strings.Contains(fmt.Sprint(out["message"]), "cloudtrail:LookupEvents") {
		t.Errorf("bob: %d %v", code, out)
	}
}
