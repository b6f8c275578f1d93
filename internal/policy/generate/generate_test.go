package generate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy"
)

const (
	table  = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	bucket = "arn:aws:s3:::reports"
	group  = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f"
	role   = "arn:aws:iam::123456789012:role/exec"
)

func allow(action, resource string) Row {
	src, _, _ := strings.Cut(action, ":")
	_, name, _ := strings.Cut(action, ":")
	return Row{EventSource: src + ".amazonaws.com", EventName: name, Action: action, Resource: resource, Decision: "Allow", Count: 1}
}

func generate(t *testing.T, opts Options, rows ...Row) Result {
	t.Helper()
	g := New(catalog.Load(), opts)
	for _, r := range rows {
		g.Add(r)
	}
	res := g.Result()
	for _, p := range res.Policies {
		if _, err := policy.Parse(p, policy.Identity); err != nil {
			t.Fatalf("generated policy does not parse: %v\n%s", err, p)
		}
	}
	return res
}

func TestGenerate(t *testing.T) {
	passRole := Row{EventSource: "lambda.amazonaws.com", EventName: "CreateFunction", Action: "iam:PassRole",
		Resource: role, Decision: "Allow", Extra: true, Count: 1}
	onBehalf := allow("logs:PutLogEvents", group+":log-stream:s1")
	onBehalf.InvokedBy = "lambda.amazonaws.com"
	for _, tc := range []struct {
		name string
		opts Options
		rows []Row
		want string
	}{{
		name: "grouped by service, actions sorted, real ARNs",
		opts: Options{Placeholders: true},
		rows: []Row{
			allow("dynamodb:PutItem", table), allow("dynamodb:GetItem", table), allow("dynamodb:GetItem", table),
			allow("s3:PutObject", bucket+"/a.txt"),
		},
		want: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"Dynamodb1","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"` + table + `"},` +
			`{"Sid":"S31","Effect":"Allow","Action":"s3:PutObject","Resource":"` + bucket + `/a.txt"}]}`,
	}, {
		name: "denied rows skipped",
		opts: Options{Placeholders: true},
		rows: []Row{allow("s3:GetObject", bucket+"/a"), {Action: "s3:DeleteObject", Resource: bucket + "/a", Decision: "ImplicitDeny", Count: 3},
			{Action: "s3:PutObject", Resource: bucket + "/a", Decision: "ExplicitDeny", Count: 1}},
		want: `{"Version":"2012-10-17","Statement":[{"Sid":"S31","Effect":"Allow","Action":"s3:GetObject","Resource":"` + bucket + `/a"}]}`,
	}, {
		name: "placeholders false writes *",
		opts: Options{Placeholders: false},
		rows: []Row{allow("dynamodb:GetItem", table), allow("s3:PutObject", bucket+"/a.txt")},
		want: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"Dynamodb1","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"},` +
			`{"Sid":"S31","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`,
	}, {
		name: "no resource types and * stay *",
		opts: Options{Placeholders: true},
		rows: []Row{allow("s3:ListAllMyBuckets", "arn:aws:s3:::"), allow("dynamodb:ListTables", "*"), allow("lambda:GetFunction", "*")},
		want: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"Dynamodb1","Effect":"Allow","Action":"dynamodb:ListTables","Resource":"*"},` +
			`{"Sid":"Lambda1","Effect":"Allow","Action":"lambda:GetFunction","Resource":"*"},` +
			`{"Sid":"S31","Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`,
	}, {
		name: "PassRole limited to the service it was passed to",
		opts: Options{Placeholders: true},
		rows: []Row{allow("lambda:CreateFunction", "arn:aws:lambda:us-east-1:123456789012:function:f"), passRole},
		want: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"IamPassedToLambda1","Effect":"Allow","Action":"iam:PassRole","Resource":"` + role + `","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},` +
			`{"Sid":"Lambda1","Effect":"Allow","Action":"lambda:CreateFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f"}]}`,
	}, {
		name: "calls made on the principal's behalf in their own statements",
		opts: Options{Placeholders: true},
		rows: []Row{allow("logs:PutLogEvents", group+":log-stream:s0"), onBehalf},
		want: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"Logs1","Effect":"Allow","Action":"logs:PutLogEvents","Resource":"` + group + `:log-stream:s0"},` +
			`{"Sid":"LogsCalledByLambda1","Effect":"Allow","Action":"logs:PutLogEvents","Resource":"` + group + `:log-stream:*"}]}`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := generate(t, tc.opts, tc.rows...)
			if len(res.Policies) != 1 || res.Policies[0] != tc.want {
				t.Errorf("policies:\n%q\nwant\n%s", res.Policies, tc.want)
			}
		})
	}
}

func TestNotes(t *testing.T) {
	pass := Row{EventSource: "lambda.amazonaws.com", EventName: "CreateFunction", Action: "iam:PassRole",
		Resource: role, Decision: "Allow", Extra: true, Count: 1}
	logs := allow("logs:CreateLogStream", group)
	logs.InvokedBy = "lambda.amazonaws.com"
	res := generate(t, Options{Placeholders: true}, allow("lambda:CreateFunction", "arn:aws:lambda:us-east-1:123456789012:function:f"), pass, logs)
	kinds := map[string]Note{}
	for _, n := range res.Notes {
		kinds[n.Kind] = n
	}
	if n := kinds["passed-to-service"]; n.Action != "iam:PassRole" || !strings.Contains(n.Message, "lambda.amazonaws.com") {
		t.Errorf("passed-to-service note = %+v", n)
	}
	if n := kinds["dependent"]; n.Action != "iam:PassRole" || !strings.Contains(n.Message, "lambda:CreateFunction") {
		t.Errorf("dependent note = %+v", n)
	}
	if n := kinds["on-behalf"]; n.Sid != "LogsCalledByLambda1" || !strings.Contains(n.Message, "lambda.amazonaws.com") {
		t.Errorf("on-behalf note = %+v", n)
	}
	if got := strings.Join(res.Services, ","); got != "iam,lambda,logs" {
		t.Errorf("services = %s", got)
	}
	if res.Decisions != 3 {
		t.Errorf("decisions = %d, want 3", res.Decisions)
	}
}

func TestCollapse(t *testing.T) {
	objects := func(n int, prefix string) []Row {
		var rows []Row
		for i := range n {
			rows = append(rows, allow("s3:GetObject", fmt.Sprintf("%s/%s%03d.csv", bucket, prefix, i)))
		}
		return rows
	}
	for _, tc := range []struct {
		name      string
		rows      []Row
		resources []string
		notes     int
	}{
		{"at the threshold nothing collapses", objects(10, "in/2026/"), nil, 0},
		{"above it the shared directory", objects(11, "in/2026/"), []string{bucket + "/in/2026/*"}, 1},
		{"names without a shared directory: the bucket", append(objects(6, "a/"), objects(6, "b/")...), []string{bucket + "/*"}, 1},
		{"buckets never collapse", func() []Row {
			var rows []Row
			for i := range 20 {
				rows = append(rows, allow("s3:ListBucket", fmt.Sprintf("arn:aws:s3:::b%02d", i)))
			}
			return rows
		}(), nil, 0},
		{"tables never collapse", func() []Row {
			var rows []Row
			for i := range 20 {
				rows = append(rows, allow("dynamodb:GetItem", fmt.Sprintf("%s%02d", table, i)))
			}
			return rows
		}(), nil, 0},
		{"log streams of one group", func() []Row {
			var rows []Row
			for i := range 12 {
				rows = append(rows, allow("logs:PutLogEvents", fmt.Sprintf("%s:log-stream:2026/11/30/[$LATEST]%02d", group, i)))
			}
			return rows
		}(), []string{group + ":log-stream:2026/11/30/*"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := generate(t, Options{Placeholders: true}, tc.rows...)
			var doc struct{ Statement []struct{ Resource any } }
			if err := json.Unmarshal([]byte(res.Policies[0]), &doc); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(doc.Statement[0].Resource)
			if tc.resources != nil && got != fmt.Sprint(one(tc.resources)) {
				t.Errorf("resources = %s, want %v", got, tc.resources)
			}
			if tc.resources == nil && strings.Contains(got, "*") {
				t.Errorf("resources = %s, want no wildcard", got)
			}
			collapsed := 0
			for _, n := range res.Notes {
				if n.Kind == "collapsed" {
					collapsed++
					if n.Count != len(tc.rows) || !strings.Contains(n.Message, n.Resource) {
						t.Errorf("note = %+v", n)
					}
				}
			}
			if collapsed != tc.notes {
				t.Errorf("%d collapse notes, want %d: %+v", collapsed, tc.notes, res.Notes)
			}
		})
	}
	// The log streams Lambda names itself stand for the group's streams.
	var streams []Row
	for _, s := range []string{"2026/11/30/[$LATEST]a", "2026/11/30/[$LATEST]b"} {
		r := allow("logs:PutLogEvents", group+":log-stream:"+s)
		r.InvokedBy = "lambda.amazonaws.com"
		streams = append(streams, r)
	}
	res := generate(t, Options{Placeholders: true}, streams...)
	if !strings.Contains(res.Policies[0], `"Resource":"`+group+`:log-stream:*"`) || len(res.Notes) != 2 ||
		res.Notes[0].Kind != "collapsed" || res.Notes[0].Count != 2 || !strings.Contains(res.Notes[0].Message, "lambda.amazonaws.com names its own log streams") {
		t.Errorf("streams written on the principal's behalf: %s %+v", res.Policies[0], res.Notes)
	}
	// Negative CollapseAbove keeps every name.
	res = generate(t, Options{Placeholders: true, CollapseAbove: -1}, objects(50, "x/")...)
	if strings.Contains(res.Policies[0], "*") {
		t.Errorf("CollapseAbove -1 collapsed: %s", res.Policies[0])
	}
}

func TestSplit(t *testing.T) {
	var rows []Row
	for i := range 400 {
		rows = append(rows, allow("dynamodb:GetItem", fmt.Sprintf("%s-%04d", table, i)))
		rows = append(rows, allow("s3:ListBucket", fmt.Sprintf("arn:aws:s3:::bucket-%04d", i)))
	}
	res := generate(t, Options{Placeholders: true}, rows...)
	if len(res.Policies) < 2 {
		t.Fatalf("%d policies, want several", len(res.Policies))
	}
	space := regexp.MustCompile(`\s`)
	seen := map[string]bool{}
	sids := map[string]bool{}
	for _, p := range res.Policies {
		if n := len(space.ReplaceAllString(p, "")); n > MaxPolicySize {
			t.Errorf("policy of %d characters, limit %d", n, MaxPolicySize)
		}
		var doc document
		if err := json.Unmarshal([]byte(p), &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range doc.Statement {
			if sids[s.Sid] {
				t.Errorf("Sid %s twice", s.Sid)
			}
			sids[s.Sid] = true
			rs, _ := s.Resource.([]any)
			for _, r := range rs {
				seen[r.(string)] = true
			}
		}
	}
	if len(seen) != 800 {
		t.Errorf("%d resources across the policies, want 800", len(seen))
	}
}

func TestEmpty(t *testing.T) {
	res := generate(t, Options{}, Row{Action: "s3:GetObject", Decision: "ImplicitDeny", Count: 1})
	if res.Policies != nil || res.Decisions != 0 {
		t.Errorf("result of denied rows only = %+v", res)
	}
}
