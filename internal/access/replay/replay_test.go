package replay_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/access/replay"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

const (
	roleARN = "arn:aws:iam::123456789012:role/app"
	// appPolicy is the role's inline policy "app": it reads and writes
	// one table and writes one bucket, and may not delete objects.
	appPolicy = `{"Version":"2012-10-17","Statement":[
{"Sid":"Table","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
{"Sid":"Bucket","Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::reports/*"},
{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	// noGetItem is appPolicy without dynamodb:GetItem.
	noGetItem = `{"Version":"2012-10-17","Statement":[
{"Sid":"Table","Effect":"Allow","Action":["dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
{"Sid":"Bucket","Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::reports/*"},
{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
)

// Calls the role's session makes.
const (
	getItems   = 7
	putItems   = 4
	putObjects = 3
	deletes    = 2 // denied by NoDelete
)

// traffic starts rolecall, has a session of role "app" (appPolicy) call
// DynamoDB and S3, and returns the server's store, opened for reading
// beside it, once the trail holds every decision, with the range of the
// calls.
func traffic(t *testing.T) (store.Store, time.Time, time.Time) {
	t.Helper()
	ctx := context.Background()
	srv := servertest.Start(t)
	root := srv.RootConfig()
	admin := iam.NewFromConfig(root)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":"sts:AssumeRole"}]}`
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("app"), PolicyDocument: aws.String(appPolicy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(root).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("orders"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	rootS3 := s3.NewFromConfig(root, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := rootS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("reports")}); err != nil {
		t.Fatal(err)
	}

	start := time.Now().Add(-time.Second)
	user := srv.Config(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	out, err := sts.NewFromConfig(user).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session := srv.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	ddb := dynamodb.NewFromConfig(session)
	item := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}
	for range putItems {
		if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	for range getItems {
		if _, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: item}); err != nil {
			t.Fatal(err)
		}
	}
	bucket := s3.NewFromConfig(session, func(o *s3.Options) { o.UsePathStyle = true })
	for range putObjects {
		if _, err := bucket.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("reports"), Key: aws.String("r.txt"), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	for range deletes {
		if _, err := bucket.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("reports"), Key: aws.String("r.txt")}); err == nil {
			t.Fatal("DeleteObject was allowed despite NoDelete")
		}
	}
	end := time.Now().Add(time.Second)

	st, err := store.OpenSQLiteReadOnly(ctx, filepath.Join(srv.DataDir, "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	want := int64(getItems + putItems + putObjects + deletes)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int64
		for a, err := range st.QueryAccess(ctx, store.AccessQuery{PrincipalARN: roleARN, Start: start, End: end}) {
			if err != nil {
				t.Fatal(err)
			}
			n += a.Count
		}
		if n >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the trail holds %d decisions of the role's session, want %d", n, want)
		}
	}
	return st, start, end
}

func parse(t *testing.T, doc string, kind policy.Kind) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(doc, kind)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// current is the role's policies as IAM has them.
func current(t *testing.T) policy.SetInput {
	return policy.SetInput{Identity: []policy.Named{{ID: "app", Policy: parse(t, appPolicy, policy.Identity)}}}
}

// run replays the role's traffic against specs, with and without
// memoized answers, and checks both agree.
func run(t *testing.T, st store.Store, start, end time.Time, cur policy.SetInput, specs ...replay.ChangeSpec) *replay.Result {
	t.Helper()
	ctx := context.Background()
	ch, err := replay.MakeChange(ctx, specs, &cur, nil)
	if err != nil {
		t.Fatal(err)
	}
	var results [2]*replay.Result
	for i, noMemo := range []bool{false, true} {
		res, err := replay.Run(ctx, st, &replay.Input{PrincipalARN: roleARN, Start: start, End: end, Current: cur, Change: ch, NoMemo: noMemo})
		if err != nil {
			t.Fatal(err)
		}
		results[i] = res
	}
	if a, b := summary(results[0]), summary(results[1]); a != b {
		t.Errorf("memoized and evaluated replays differ:\n%s\n%s", a, b)
	}
	if want := int64(getItems + putItems + putObjects + deletes); results[0].Evaluated != want || results[0].NotReplayed != 0 {
		t.Errorf("evaluated %d, not replayed %d; want %d and 0", results[0].Evaluated, results[0].NotReplayed, want)
	}
	return results[0]
}

// summary renders items as "kind action count recorded>proposed by
// policy/sid" lines.
func summary(res *replay.Result) string {
	var b strings.Builder
	for _, sec := range []struct {
		kind  string
		items []replay.Item
	}{{"denied", res.NewlyDenied}, {"allowed", res.NewlyAllowed}, {"drifted", res.Drifted}} {
		for _, it := range sec.items {
			by := []string{}
			for _, s := range it.Statements {
				by = append(by, s.Effect+" "+s.Policy+"/"+s.Sid)
			}
			b.WriteString(strings.Join([]string{sec.kind, it.Action, it.Resource, strconv.FormatInt(it.Count, 10),
				it.Recorded + ">" + it.Current + ">" + it.Proposed, strings.Join(by, ","), it.Reason}, " ") + "\n")
		}
	}
	return b.String()
}

// TestReplay replays a session's recorded DynamoDB and S3 calls against
// proposed changes: each lists exactly the calls it changes, counted, with
// the statements that decide them.
func TestReplay(t *testing.T) {
	st, start, end := traffic(t)
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	object := "arn:aws:s3:::reports/r.txt"
	cases := []struct {
		name  string
		cur   policy.SetInput
		specs []replay.ChangeSpec
		want  string
	}{{
		name:  "inline policy without GetItem",
		specs: []replay.ChangeSpec{{PolicyType: replay.Inline, PolicyName: "app", PolicyDocument: noGetItem}},
		want:  "denied dynamodb:GetItem " + table + " 7 Allow>>ImplicitDeny  because no identity-based policy allows the dynamodb:GetItem action\n",
	}, {
		name: "boundary allowing only S3",
		specs: []replay.ChangeSpec{{PolicyType: replay.Boundary,
			PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}},
		// The identity policy's allows are found, the boundary's missing.
		want: "denied dynamodb:PutItem " + table + " 4 Allow>>ImplicitDeny Allow app/Table because no permissions boundary allows the dynamodb:PutItem action\n" +
			"denied dynamodb:GetItem " + table + " 7 Allow>>ImplicitDeny Allow app/Table because no permissions boundary allows the dynamodb:GetItem action\n",
	}, {
		name: "SCP denying PutObject",
		specs: []replay.ChangeSpec{{PolicyType: replay.SCP,
			PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoPut","Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`}},
		want: "denied s3:PutObject " + object + " 3 Allow>>ExplicitDeny ExplicitDeny proposed-scp/NoPut with an explicit deny in a service control policy\n",
	}, {
		name: "a deny taken away",
		specs: []replay.ChangeSpec{{PolicyType: replay.Inline, PolicyName: "app",
			PolicyDocument: strings.Replace(appPolicy, `"Deny","Action":"s3:DeleteObject"`, `"Deny","Action":"s3:DeleteBucket"`, 1)}},
		want: "allowed s3:DeleteObject " + object + " 2 ExplicitDeny>>Allow Allow app/Bucket \n",
	}, {
		name:  "the policy removed",
		specs: []replay.ChangeSpec{{PolicyType: replay.Inline, PolicyName: "app", Remove: true}},
		want: "denied dynamodb:PutItem " + table + " 4 Allow>>ImplicitDeny  because no identity-based policy allows the dynamodb:PutItem action\n" +
			"denied dynamodb:GetItem " + table + " 7 Allow>>ImplicitDeny  because no identity-based policy allows the dynamodb:GetItem action\n" +
			"denied s3:PutObject " + object + " 3 Allow>>ImplicitDeny  because no identity-based policy allows the s3:PutObject action\n",
	}, {
		// The role lost PutItem since: those calls have drifted, and the
		// change (a managed policy with GetItem) is blamed for nothing.
		name: "drift",
		cur: policy.SetInput{Identity: []policy.Named{{ID: "app", Policy: parse(t, strings.Replace(appPolicy,
			`["dynamodb:GetItem","dynamodb:PutItem"]`, `["dynamodb:GetItem"]`, 1), policy.Identity)}}},
		specs: []replay.ChangeSpec{{PolicyType: replay.Managed, PolicyARN: "arn:aws:iam::123456789012:policy/extra",
			PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}`}},
		want: "drifted dynamodb:PutItem " + table + " 4 Allow>ImplicitDeny>ImplicitDeny  because no identity-based policy allows the dynamodb:PutItem action\n",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cur := tc.cur
			if cur.Identity == nil {
				cur = current(t)
			}
			res := run(t, st, start, end, cur, tc.specs...)
			if got := summary(res); got != tc.want {
				t.Errorf("replay:\n%s\nwant:\n%s", got, tc.want)
			}
			for _, it := range append(res.NewlyDenied, res.NewlyAllowed...) {
				if it.FirstEventID == "" || it.FirstTime < start.Unix() || it.LastTime > end.Unix() || it.FirstTime > it.LastTime {
					t.Errorf("item %s: event %q, times %d..%d outside %d..%d", it.Action, it.FirstEventID, it.FirstTime, it.LastTime, start.Unix(), end.Unix())
				}
			}
		})
	}
}

// TestMakeChangeRefuses: changes that name no policy, name one the
// principal lacks, or carry a document IAM would refuse are
// ValidationExceptions saying so; nothing is replayed.
func TestMakeChangeRefuses(t *testing.T) {
	cur := current(t)
	for _, tc := range []struct {
		specs []replay.ChangeSpec
		want  string
	}{
		{nil, "at least one change"},
		{[]replay.ChangeSpec{{PolicyType: "GROUP", PolicyDocument: appPolicy}}, `policyType: "GROUP" is not one of`},
		{[]replay.ChangeSpec{{PolicyType: replay.Inline, PolicyDocument: appPolicy}}, "changes[0].policyName"},
		{[]replay.ChangeSpec{{PolicyType: replay.Managed, PolicyARN: "app", PolicyDocument: appPolicy}}, "not a managed policy ARN"},
		{[]replay.ChangeSpec{{PolicyType: replay.Inline, PolicyName: "nosuch", Remove: true}}, "has no inline policy nosuch"},
		{[]replay.ChangeSpec{{PolicyType: replay.Boundary, Remove: true}}, "remove is for INLINE and MANAGED"},
		{[]replay.ChangeSpec{{PolicyType: replay.Inline, PolicyName: "app"}}, "give the proposed policyDocument"},
		{[]replay.ChangeSpec{{PolicyType: replay.Inline, PolicyName: "app", PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`}},
			"changes[0].policyDocument: "},
		{[]replay.ChangeSpec{{PolicyType: replay.SCP, PolicyDocument: appPolicy}, {PolicyType: replay.SCP, PolicyDocument: appPolicy}}, "changed twice"},
		// Larger than IAM lets a managed policy (or a boundary, one) be.
		{[]replay.ChangeSpec{{PolicyType: replay.Managed, PolicyARN: "arn:aws:iam::123456789012:policy/big", PolicyDocument: bigPolicy(6145)}},
			"changes[0].policyDocument: Cannot exceed quota for PolicySize: 6144"},
		{[]replay.ChangeSpec{{PolicyType: replay.Boundary, PolicyDocument: bigPolicy(6145)}}, "Cannot exceed quota for PolicySize: 6144"},
	} {
		_, err := replay.MakeChange(context.Background(), tc.specs, &cur, nil)
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != "ValidationException" || ae.Status != 400 || !strings.Contains(ae.Message, tc.want) {
			t.Errorf("%+v: %v; want a ValidationException saying %q", tc.specs, err, tc.want)
		}
	}
}

// bigPolicy is an identity policy of at least size characters that are
// not white space, as IAM counts a policy's size.
func bigPolicy(size int) string {
	head := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`
	tail := `"}]}`
	return head + strings.Repeat("b", max(0, size-len(head)-len(tail))) + tail
}

// TestMakeChangeSize: a managed document of exactly IAM's 6,144
// characters is replayed.
func TestMakeChangeSize(t *testing.T) {
	cur := current(t)
	specs := []replay.ChangeSpec{{PolicyType: replay.Managed, PolicyARN: "arn:aws:iam::123456789012:policy/big", PolicyDocument: bigPolicy(6144)}}
	if _, err := replay.MakeChange(context.Background(), specs, &cur, nil); err != nil {
		t.Fatal(err)
	}
}
