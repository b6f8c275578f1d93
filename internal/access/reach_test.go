package access_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

// AWS managed policy documents, as AWS publishes them.
const (
	administratorAccess    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	basicExecutionRole     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
	sqsQueueExecutionRole  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes","logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
	dynamoDBExecutionRole  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:DescribeStream","dynamodb:GetRecords","dynamodb:GetShardIterator","dynamodb:ListStreams","logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
	vpcAccessExecutionRole = `{"Version":"2012-10-17","Statement":[{"Sid":"AWSLambdaVPCAccessExecutionPermissions","Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents","ec2:CreateNetworkInterface","ec2:DescribeNetworkInterfaces","ec2:DescribeSubnets","ec2:DeleteNetworkInterface","ec2:AssignPrivateIpAddresses","ec2:UnassignPrivateIpAddresses"],"Resource":"*"}]}`
	xrayDaemonWriteAccess  = `{"Version":"2012-10-17","Statement":[{"Sid":"AWSXRayDaemonWriteAccess","Effect":"Allow","Action":["xray:PutTraceSegments","xray:PutTelemetryRecords","xray:GetSamplingRules","xray:GetSamplingTargets","xray:GetSamplingStatisticSummaries"],"Resource":["*"]}]}`
)

var role = policy.Principal{Type: policy.Role, ARN: "arn:aws:iam::123456789012:role/service-role/fn-role", Account: "123456789012", ID: "AROAEXAMPLEEXAMPLE01"}

func named(t testing.TB, kind policy.Kind, idDocs ...string) []policy.Named {
	t.Helper()
	var out []policy.Named
	for i := 0; i < len(idDocs); i += 2 {
		p, err := policy.Parse(idDocs[i+1], kind)
		if err != nil {
			t.Fatalf("parse %s: %v", idDocs[i], err)
		}
		out = append(out, policy.Named{ID: idDocs[i], Policy: p})
	}
	return out
}

// find returns the reach of one action, or nil.
func find(rs []access.ServiceReach, action string) *access.ActionReach {
	for _, s := range rs {
		for i := range s.Actions {
			if strings.EqualFold(s.Actions[i].Action, action) {
				return &s.Actions[i]
			}
		}
	}
	return nil
}

func count(rs []access.ServiceReach) int {
	n := 0
	for _, s := range rs {
		n += len(s.Actions)
	}
	return n
}

func TestReachBasicExecutionRole(t *testing.T) {
	cat := catalog.Load()
	in := policy.SetInput{Identity: named(t, policy.Identity, "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", basicExecutionRole)}
	got := access.Reach(in, role, cat)
	if len(got) != 1 || got[0].Service != "logs" || got[0].Name != cat.Service("logs").Name {
		t.Fatalf("services = %+v, want logs only", got)
	}
	var lines []string
	for _, a := range got[0].Actions {
		lines = append(lines, fmt.Sprintf("%s %s %v %v %s#%d", a.Action, a.Access, a.Resources, a.Conditional, a.Statements[0].Policy, a.Statements[0].Index))
	}
	want := []string{
		"logs:CreateLogGroup Write [*] false arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole#0",
		"logs:CreateLogStream Write [*] false arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole#0",
		"logs:PutLogEvents Write [*] false arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole#0",
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("actions:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestReachAdministratorAccess(t *testing.T) {
	cat := catalog.Load()
	in := policy.SetInput{Identity: named(t, policy.Identity, "arn:aws:iam::aws:policy/AdministratorAccess", administratorAccess)}
	got := access.Reach(in, role, cat)
	if n, want := count(got), len(cat.MatchActions("*")); n != want {
		t.Fatalf("reachable actions = %d, want every action of the catalog (%d)", n, want)
	}
	if len(got) != len(cat.Services()) {
		t.Fatalf("services = %d, want %d", len(got), len(cat.Services()))
	}
	if !slices.IsSortedFunc(got, func(a, b access.ServiceReach) int { return strings.Compare(a.Service, b.Service) }) {
		t.Fatal("services not sorted by prefix")
	}
	pr := find(got, "iam:PassRole")
	if pr == nil || pr.Access != "Write" || !slices.Equal(pr.Resources, []string{"*"}) || pr.Conditional {
		t.Fatalf("iam:PassRole = %+v", pr)
	}
	if a := find(got, "iam:AttachRolePolicy"); a == nil || a.Access != "Permissions management, Write" {
		t.Fatalf("iam:AttachRolePolicy = %+v", a)
	}
	if a := find(got, "s3:ListAllMyBuckets"); a == nil || a.Access != "List" {
		t.Fatalf("s3:ListAllMyBuckets = %+v", a)
	}
	if a := find(got, "lambda:TagResource"); a == nil || a.Access != "Tagging, Write" {
		t.Fatalf("lambda:TagResource = %+v", a)
	}
	// Deterministic: a second run gives the same answer.
	again := access.Reach(in, role, cat)
	if fmt.Sprint(again) != fmt.Sprint(got) {
		t.Fatal("two runs differ")
	}
}

func TestReachRules(t *testing.T) {
	const table = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	tests := []struct {
		name     string
		in       func(t *testing.T) policy.SetInput
		action   string
		want     string // "" when the action must not be reachable: "resources conditional denied"
		services []string
	}{
		{
			name: "resource narrows to what the action applies to",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::media/*"}]}`)}
			},
			action: "s3:GetObject", want: "[arn:aws:s3:::media/*] false []",
		},
		{
			name: "an object pattern reaches no bucket action",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::media/*"}]}`)}
			},
			action: "s3:DeleteBucket",
		},
		{
			name: "an action without resource types needs *",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::media"}]}`)}
			},
			action: "s3:ListAllMyBuckets",
		},
		{
			name: "NotAction grants everything else",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}`)}
			},
			action: "dynamodb:GetItem", want: "[*] false []",
		},
		{
			name: "NotAction excludes what it names",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}`)}
			},
			action: "iam:PassRole",
		},
		{
			name: "NotResource says all but",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","NotResource":"`+table+`"}]}`)}
			},
			action: "dynamodb:GetItem", want: "[all but " + table + "] false []",
		},
		{
			name: "an unconditional deny on * removes the action",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity,
					"admin", administratorAccess,
					"deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:Delete*","Resource":"*"}]}`)}
			},
			action: "dynamodb:DeleteTable",
		},
		{
			name: "a narrower deny is listed",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity,
					"admin", administratorAccess,
					"deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:DeleteItem","Resource":"`+table+`"}]}`)}
			},
			action: "dynamodb:DeleteItem", want: "[*] false [" + table + "]",
		},
		{
			name: "a deny covering the allowed resource removes it",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity,
					"allow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"`+table+`"}]}`,
					"deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/*"}]}`)}
			},
			action: "dynamodb:GetItem",
		},
		{
			name: "a conditional deny leaves the action, conditional",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity,
					"admin", administratorAccess,
					"deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)}
			},
			action: "dynamodb:GetItem", want: "[*] true []",
		},
		{
			name: "conditions on the allow",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`)}
			},
			action: "dynamodb:GetItem", want: "[*] true []",
		},
		{
			name: "an unconditional grant covers a conditional one",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity,
					"c", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"`+table+`","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`,
					"u", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/*"}]}`)}
			},
			action: "dynamodb:GetItem", want: "[arn:aws:dynamodb:us-east-1:123456789012:table/*] false []",
		},
		{
			name: "the boundary caps",
			in: func(t *testing.T) policy.SetInput {
				in := policy.SetInput{Identity: named(t, policy.Identity, "admin", administratorAccess)}
				in.Boundary = &named(t, policy.Boundary, "b", basicExecutionRole)[0]
				return in
			},
			action: "dynamodb:GetItem", services: []string{"logs"},
		},
		{
			name: "the boundary narrows resources",
			in: func(t *testing.T) policy.SetInput {
				in := policy.SetInput{Identity: named(t, policy.Identity, "admin", administratorAccess)}
				in.Boundary = &named(t, policy.Boundary, "b", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"`+table+`"}]}`)[0]
				return in
			},
			action: "dynamodb:GetItem", want: "[" + table + "] false []", services: []string{"dynamodb"},
		},
		{
			name: "a boundary alone grants nothing",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Boundary: &named(t, policy.Boundary, "b", administratorAccess)[0]}
			},
			action: "dynamodb:GetItem", services: []string{},
		},
		{
			name: "an SCP level must allow",
			in: func(t *testing.T) policy.SetInput {
				in := policy.SetInput{Identity: named(t, policy.Identity, "admin", administratorAccess)}
				in.SCPs = [][]policy.Named{
					named(t, policy.SCP, "p-FullAWSAccess", administratorAccess),
					named(t, policy.SCP, "p-logs", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"logs:DeleteLogGroup","Resource":"*"}]}`),
				}
				return in
			},
			action: "logs:DeleteLogGroup", services: []string{"logs"},
		},
		{
			name: "principal variables are filled",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:*:${aws:PrincipalAccount}:table/x"}]}`)}
			},
			action: "dynamodb:GetItem", want: "[arn:aws:dynamodb:*:123456789012:table/x] false []",
		},
		{
			name: "other variables make the action conditional",
			in: func(t *testing.T) policy.SetInput {
				return policy.SetInput{Identity: named(t, policy.Identity, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}"}]}`)}
			},
			action: "dynamodb:GetItem", want: "[arn:aws:dynamodb:*:*:table/*] true []",
		},
	}
	cat := catalog.Load()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := access.Reach(tt.in(t), role, cat)
			a := find(got, tt.action)
			switch {
			case tt.want == "" && a != nil:
				t.Fatalf("%s reachable: %+v", tt.action, a)
			case tt.want != "" && a == nil:
				t.Fatalf("%s not reachable", tt.action)
			case a != nil:
				if s := fmt.Sprintf("%v %v %v", a.Resources, a.Conditional, a.Denied); s != tt.want {
					t.Fatalf("%s = %s, want %s", tt.action, s, tt.want)
				}
				if len(a.Statements) == 0 {
					t.Fatalf("%s has no granting statement", tt.action)
				}
			}
			if tt.services != nil {
				var svcs []string
				for _, s := range got {
					svcs = append(svcs, s.Service)
				}
				if !slices.Equal(svcs, tt.services) && !(len(svcs) == 0 && len(tt.services) == 0) {
					t.Fatalf("services = %v, want %v", svcs, tt.services)
				}
			}
		})
	}
}

func TestReachStatements(t *testing.T) {
	in := policy.SetInput{Identity: named(t, policy.Identity,
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", basicExecutionRole,
		"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole", sqsQueueExecutionRole,
		"inline", `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:jobs"}]}`)}
	got := access.Reach(in, role, catalog.Load())
	a := find(got, "sqs:ReceiveMessage")
	if a == nil {
		t.Fatal("sqs:ReceiveMessage not reachable")
	}
	// The * grant covers the inline one's resource; both statements grant.
	if !slices.Equal(a.Resources, []string{"*"}) || len(a.Statements) != 2 || a.Statements[0].Policy != "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole" || a.Statements[0].Effect != "Allow" || a.Statements[0].Source != "identity-based policy" || a.Statements[1].Sid != "Read" {
		t.Fatalf("sqs:ReceiveMessage = %+v", a)
	}
	l := find(got, "logs:PutLogEvents")
	if l == nil || len(l.Statements) != 2 {
		t.Fatalf("logs:PutLogEvents = %+v, want both managed policies", l)
	}
}

// BenchmarkReach measures a role of 20 policies, AdministratorAccess and
// the Lambda managed policies among them: every action of the catalog.
func BenchmarkReach(b *testing.B) {
	cat := catalog.Load()
	docs := []string{
		"arn:aws:iam::aws:policy/AdministratorAccess", administratorAccess,
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", basicExecutionRole,
		"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole", sqsQueueExecutionRole,
		"arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole", dynamoDBExecutionRole,
		"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole", vpcAccessExecutionRole,
		"arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess", xrayDaemonWriteAccess,
	}
	for i := len(docs) / 2; i < 20; i++ {
		docs = append(docs, fmt.Sprintf("inline-%d", i), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:Put*"],"Resource":"arn:aws:s3:::bucket-%d/*"},{"Effect":"Deny","Action":"dynamodb:Delete*","Resource":"arn:aws:dynamodb:*:*:table/t%d"}]}`, i, i))
	}
	in := policy.SetInput{Identity: named(b, policy.Identity, docs...)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if len(access.Reach(in, role, cat)) == 0 {
			b.Fatal("nothing reachable")
		}
	}
}
