package server_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/jackc/pgx/v5"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
	"github.com/rolecall/rolecall/internal/trail"
)

// trailEvents is the size of the console's trail page budget: the page
// answers in under 200 ms over 100,000 events.
const trailEvents = 100_000

// trailCall is one kind of call in the seeded trail.
type trailCall struct {
	svc      *api.Service
	op       string
	readOnly bool
	category api.Category
	resType  string
	resource func(i int) string
}

var (
	trailIAM    = &api.Service{Name: "iam", EventSource: "iam.amazonaws.com", Global: true}
	trailLambda = &api.Service{Name: "lambda", EventSource: "lambda.amazonaws.com"}
	trailS3     = &api.Service{Name: "s3", EventSource: "s3.amazonaws.com"}
	trailDDB    = &api.Service{Name: "dynamodb", EventSource: "dynamodb.amazonaws.com"}
)

// trailCalls is a mixed account's traffic: IAM and Lambda management calls,
// and the data events of functions (S3, DynamoDB), each on one of 100
// resources.
var trailCalls = []trailCall{
	{trailIAM, "GetRole", true, api.Management, "AWS::IAM::Role", func(i int) string { return fmt.Sprintf("arn:aws:iam::%s:role/r%d", account, i) }},
	{trailIAM, "ListRoles", true, api.Management, "", nil},
	{trailIAM, "PutRolePolicy", false, api.Management, "AWS::IAM::Role", func(i int) string { return fmt.Sprintf("arn:aws:iam::%s:role/r%d", account, i) }},
	{trailLambda, "GetFunction", true, api.Management, "AWS::Lambda::Function", func(i int) string {
		return fmt.Sprintf("arn:aws:lambda:us-east-1:%s:function:f%d", account, i)
	}},
	{trailLambda, "ListFunctions20150331", true, api.Management, "", nil},
	{trailLambda, "Invoke", false, api.Data, "AWS::Lambda::Function", func(i int) string {
		return fmt.Sprintf("arn:aws:lambda:us-east-1:%s:function:f%d", account, i)
	}},
	{trailS3, "GetObject", true, api.Data, "AWS::S3::Object", func(i int) string { return fmt.Sprintf("arn:aws:s3:::b/k%d", i) }},
	{trailDDB, "GetItem", true, api.Data, "AWS::DynamoDB::Table", func(i int) string {
		return fmt.Sprintf("arn:aws:dynamodb:us-east-1:%s:table/t%d", account, i)
	}},
	{trailS3, "CreateBucket", false, api.Management, "AWS::S3::Bucket", func(i int) string { return fmt.Sprintf("arn:aws:s3:::b%d", i) }},
}

// trailPrincipals call in turn: root, two users and two role sessions;
// carol (the last) calls only in the oldest 500 events.
var trailPrincipals = []*api.Principal{
	{Type: api.Root, Account: account, ARN: "arn:aws:iam::" + account + ":root", PrincipalID: account, AccessKeyID: "AKIAROOTROOTROOTROOT"},
	{Type: api.IAMUser, Account: account, ARN: "arn:aws:iam::" + account + ":user/alice", PrincipalID: "AIDAALICEALICEALICE1",
		UserName: "alice", AccessKeyID: "AKIAALICEALICEALICE1"},
	{Type: api.IAMUser, Account: account, ARN: "arn:aws:iam::" + account + ":user/bob", PrincipalID: "AIDABOBBOBBOBBOBBOB1",
		UserName: "bob", AccessKeyID: "AKIABOBBOBBOBBOBBOB1"},
	{Type: api.AssumedRole, Account: account, ARN: "arn:aws:sts::" + account + ":assumed-role/fn-role/f1", PrincipalID: "AROAFNROLEFNROLEFN01:f1",
		AccessKeyID: "ASIAFNROLEFNROLEFN01", RoleARN: "arn:aws:iam::" + account + ":role/fn-role", RoleName: "fn-role",
		RoleID: "AROAFNROLEFNROLEFN01", SessionName: "f1"},
	{Type: api.AssumedRole, Account: account, ARN: "arn:aws:sts::" + account + ":assumed-role/ops/deploy", PrincipalID: "AROAOPSOPSOPSOPSOPS1:deploy",
		AccessKeyID: "ASIAOPSOPSOPSOPSOPS1", RoleARN: "arn:aws:iam::" + account + ":role/ops", RoleName: "ops",
		RoleID: "AROAOPSOPSOPSOPSOPS1", SessionName: "deploy"},
}

var trailCarol = &api.Principal{Type: api.IAMUser, Account: account, ARN: "arn:aws:iam::" + account + ":user/carol",
	PrincipalID: "AIDACAROLCAROLCAROL1", UserName: "carol", AccessKeyID: "AKIACAROLCAROLCAROL1"}

// seedTrail records trailEvents events over the ten days before now through
// the server's trail recorder, as the gateway records calls, and returns the
// time of the first.
func seedTrail(b *testing.B, srv *servertest.Server) time.Time {
	b.Helper()
	ctx := context.Background()
	rec := srv.Recorder()
	start := time.Now().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	step := 10 * 24 * time.Hour / trailEvents
	for i := range trailEvents {
		c := trailCalls[(i*7)%len(trailCalls)]
		p := trailPrincipals[i%(len(trailPrincipals))]
		if i < 500 && i%5 == 0 {
			p = trailCarol
		}
		e := trail.Entry{Time: start.Add(time.Duration(i) * step), Service: c.svc, Operation: c.op, ReadOnly: c.readOnly,
			Principal: p, SourceIP: "10.0.0.7", UserAgent: "aws-cli/2.17.0 md/Botocore#1.34.0", Region: "us-east-1", Account: account,
			RequestID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Category: c.category,
			Details: api.TrailDetails{RequestParameters: map[string]any{"name": strconv.Itoa(i % 100)}}}
		if c.resource != nil {
			e.Details.Resources = []api.TrailResource{{ARN: c.resource(i % 100), AccountID: account, Type: c.resType}}
		}
		rec.Record(e)
	}
	if err := rec.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if n := rec.Dropped(); n != 0 {
		b.Fatalf("the recorder dropped %d events", n)
	}
	return start
}

// BenchmarkTrailPage is the console's trail page: CloudTrail LookupEvents,
// 50 events a page, over 100,000 recorded events of six principals (a third
// of them data events, which event history leaves out), through a real
// server: the newest page, a time range in the middle, each lookup
// attribute, a page deep in the list by NextToken, and lookups that match
// nothing. It reports CPU time per lookup beside the wall time.
//
//	go test -run '^$' -bench BenchmarkTrailPage -benchtime 20x ./internal/server
//	ROLECALL_TEST_DATABASE_URL=postgres://... go test -run '^$' -bench BenchmarkTrailPage/postgres -benchtime 20x ./internal/server
func BenchmarkTrailPage(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchTrailPage(b, servertest.Options{}) })
	b.Run("postgres", func(b *testing.B) { benchTrailPage(b, servertest.Options{DatabaseURL: pgtest.URL(b)}) })
}

func benchTrailPage(b *testing.B, opts servertest.Options) {
	srv := servertest.StartWith(b, opts)
	start := seedTrail(b, srv)
	ctx := context.Background()
	if opts.DatabaseURL != "" {
		// PostgreSQL plans by the tables' statistics, which autovacuum
		// gathers within a minute of a bulk load; gather them now.
		conn, err := pgx.Connect(ctx, opts.DatabaseURL)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "ANALYZE events; ANALYZE event_resources"); err != nil {
			b.Fatal(err)
		}
	}
	// The page at depth 50,000 of the unfiltered history, and the event
	// that opens it, read from the store as LookupEvents reads it.
	q := store.EventQuery{Category: store.CategoryManagement, Account: account, Limit: 5000}
	var deep string
	var middle store.Event
	for range 10 {
		evs, next, err := srv.Recorder().Store().QueryEvents(ctx, q)
		if err != nil || next == "" {
			b.Fatalf("walk the history: %v (next %q)", err, next)
		}
		q.Cursor, middle = next, evs[0]
	}
	deep = api.EncodeToken(api.TokenScope("LookupEvents", "", "", store.CategoryManagement, account, "0", "0"), q.Cursor)

	attr := func(k cttypes.LookupAttributeKey, v string) *cloudtrail.LookupEventsInput {
		return &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: k, AttributeValue: aws.String(v)}}}
	}
	cases := []struct {
		name string
		in   *cloudtrail.LookupEventsInput
		min  int // the fewest events the page must hold
	}{
		{"newest", &cloudtrail.LookupEventsInput{}, 50},
		{"time-range", &cloudtrail.LookupEventsInput{StartTime: aws.Time(start.Add(4 * 24 * time.Hour)), EndTime: aws.Time(start.Add(6 * 24 * time.Hour))}, 50},
		{"EventName", attr(cttypes.LookupAttributeKeyEventName, "PutRolePolicy"), 50},
		{"Username", attr(cttypes.LookupAttributeKeyUsername, "bob"), 50},
		{"Username-oldest", attr(cttypes.LookupAttributeKeyUsername, "carol"), 50},
		{"ResourceName", attr(cttypes.LookupAttributeKeyResourceName, "arn:aws:iam::"+account+":role/r42"), 50},
		{"EventSource", attr(cttypes.LookupAttributeKeyEventSource, "lambda.amazonaws.com"), 50},
		{"AccessKeyId", attr(cttypes.LookupAttributeKeyAccessKeyId, "AKIAALICEALICEALICE1"), 50},
		{"ReadOnly", attr(cttypes.LookupAttributeKeyReadOnly, "false"), 50},
		{"ResourceType", attr(cttypes.LookupAttributeKeyResourceType, "AWS::S3::Bucket"), 50},
		{"EventId", attr(cttypes.LookupAttributeKeyEventId, middle.ID), 1},
		{"next-page-deep", &cloudtrail.LookupEventsInput{NextToken: aws.String(deep)}, 50},
		{"nothing-EventName", attr(cttypes.LookupAttributeKeyEventName, "NoSuchCall"), 0},
		{"nothing-ResourceName", attr(cttypes.LookupAttributeKeyResourceName, "arn:aws:s3:::no-such-bucket"), 0},
		{"nothing-time-range", &cloudtrail.LookupEventsInput{StartTime: aws.Time(start.Add(-48 * time.Hour)), EndTime: aws.Time(start.Add(-24 * time.Hour))}, 0},
	}
	ct := cloudtrail.NewFromConfig(srv.RootConfig())
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.in.MaxResults = aws.Int32(50)
			cpu := cpuTime()
			for b.Loop() {
				out, err := ct.LookupEvents(ctx, c.in)
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Events) < c.min || (c.min == 0 && len(out.Events) != 0) {
					b.Fatalf("%d events, want at least %d", len(out.Events), c.min)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}
