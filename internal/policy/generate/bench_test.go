package generate

import (
	"fmt"
	"testing"

	"github.com/rolecall/rolecall/internal/catalog"
)

// benchRows is a realistic mix of one principal's decisions: a few dozen
// actions over a few hundred resources, each row standing for one
// decision, with Lambda's log writes and a denied call among them.
func benchRows(n int) []Row {
	actions := []string{
		"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
		"dynamodb:BatchGetItem", "dynamodb:Scan", "dynamodb:DescribeTable",
		"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetObjectTagging",
		"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
		"sns:Publish", "kms:Decrypt", "kms:GenerateDataKey", "lambda:InvokeFunction", "lambda:GetFunction",
		"logs:CreateLogStream", "logs:PutLogEvents", "logs:CreateLogGroup",
		"xray:PutTraceSegments", "xray:PutTelemetryRecords", "sts:GetCallerIdentity",
		"iam:GetRole", "iam:PassRole", "kinesis:GetRecords", "kinesis:GetShardIterator",
	}
	resource := func(action string, i int) string {
		switch action[:3] {
		case "dyn":
			return fmt.Sprintf("arn:aws:dynamodb:us-east-1:123456789012:table/t%02d", i%40)
		case "s3:":
			if action == "s3:ListBucket" {
				return fmt.Sprintf("arn:aws:s3:::bucket-%d", i%10)
			}
			return fmt.Sprintf("arn:aws:s3:::bucket-%d/data/%03d.json", i%10, i%200)
		case "sqs":
			return fmt.Sprintf("arn:aws:sqs:us-east-1:123456789012:q%d", i%20)
		case "log":
			return fmt.Sprintf("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f%d:log-stream:s%d", i%5, i%60)
		case "lam":
			return fmt.Sprintf("arn:aws:lambda:us-east-1:123456789012:function:f%d", i%30)
		case "kin":
			return fmt.Sprintf("arn:aws:kinesis:us-east-1:123456789012:stream/s%d", i%8)
		case "kms":
			return fmt.Sprintf("arn:aws:kms:us-east-1:123456789012:key/k%d", i%6)
		}
		return "*"
	}
	rows := make([]Row, n)
	for i := range rows {
		a := actions[i%len(actions)]
		r := Row{EventSource: "x.amazonaws.com", EventName: "X", Action: a, Resource: resource(a, i/len(actions)), Decision: "Allow", Count: 1}
		switch {
		case a[:4] == "logs":
			r.InvokedBy = "lambda.amazonaws.com"
		case a == "iam:PassRole":
			r.Extra, r.EventSource = true, "lambda.amazonaws.com"
		case i%97 == 0:
			r.Decision = "ImplicitDeny"
		}
		rows[i] = r
	}
	return rows
}

// BenchmarkGenerate1M generates the policy of 1,000,000 rows of one
// principal: go test -run '^$' -bench Generate1M ./internal/policy/generate
func BenchmarkGenerate1M(b *testing.B) {
	rows := benchRows(1_000_000)
	cat := catalog.Load()
	b.ResetTimer()
	for range b.N {
		g := New(cat, Options{Placeholders: true})
		for _, r := range rows {
			g.Add(r)
		}
		if res := g.Result(); len(res.Policies) == 0 {
			b.Fatal("no policy")
		}
	}
}
