package policy

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// basicExecutionRole is the AWS managed policy AWSLambdaBasicExecutionRole.
const basicExecutionRole = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource": "*",
      "Effect": "Allow"
    }
  ]
}`

// customerPolicies are three customer policies of a typical function's
// execution role: 29 statements with resource ARNs and conditions.
func customerPolicies() []string {
	var docs []string
	var b strings.Builder
	stmts := func(n int, f func(i int) string) string {
		b.Reset()
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(f(i))
		}
		return `{"Version":"2012-10-17","Statement":[` + b.String() + `]}`
	}
	// Data access: S3 and DynamoDB, scoped to resources, some conditions.
	docs = append(docs, stmts(10, func(i int) string {
		switch i % 3 {
		case 0:
			return fmt.Sprintf(`{"Sid":"S3Read%d","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::app-bucket-%d/*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}`, i, i)
		case 1:
			return fmt.Sprintf(`{"Sid":"S3Write%d","Effect":"Allow","Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::app-bucket-%d/uploads/*","Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:fn-%d"},"Bool":{"aws:SecureTransport":"true"}}}`, i, i, i)
		}
		return fmt.Sprintf(`{"Sid":"Table%d","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query","dynamodb:UpdateItem"],"Resource":["arn:aws:dynamodb:us-east-1:123456789012:table/t%d","arn:aws:dynamodb:us-east-1:123456789012:table/t%d/index/*"]}`, i, i, i)
	}))
	// Messaging and secrets.
	docs = append(docs, stmts(10, func(i int) string {
		switch i % 4 {
		case 0:
			return fmt.Sprintf(`{"Sid":"Sqs%d","Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes"],"Resource":"arn:aws:sqs:us-east-1:123456789012:queue-%d"}`, i, i)
		case 1:
			return fmt.Sprintf(`{"Sid":"Sns%d","Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:topic-%d","Condition":{"StringLike":{"aws:PrincipalTag/team":"team-*"}}}`, i, i)
		case 2:
			return fmt.Sprintf(`{"Sid":"Secret%d","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/%d-*","Condition":{"StringEquals":{"aws:ResourceTag/env":"${aws:PrincipalTag/env}"}}}`, i, i)
		}
		return fmt.Sprintf(`{"Sid":"Kms%d","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"arn:aws:kms:us-east-1:123456789012:key/%08d-aaaa-bbbb-cccc-dddddddddddd","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`, i, i)
	}))
	// Guard rails: denies and X-Ray/SSM.
	docs = append(docs, stmts(9, func(i int) string {
		switch i {
		case 0:
			return `{"Sid":"DenyInsecure","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
		case 1:
			return `{"Sid":"DenyOutsideVpc","Effect":"Deny","Action":["dynamodb:DeleteTable","s3:DeleteBucket"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-12345678"}}}`
		case 2:
			return `{"Sid":"DenyIAM","Effect":"Deny","Action":"iam:*","Resource":"*"}`
		case 3:
			return `{"Sid":"XRay","Effect":"Allow","Action":["xray:PutTraceSegments","xray:PutTelemetryRecords"],"Resource":"*"}`
		case 4:
			return `{"Sid":"Params","Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParameters"],"Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/app/*"}`
		case 5:
			return `{"Sid":"DenyOtherRegions","Effect":"Deny","NotAction":["iam:*","sts:*","cloudfront:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}}`
		case 6:
			return `{"Sid":"Events","Effect":"Allow","Action":"events:PutEvents","Resource":"arn:aws:events:us-east-1:123456789012:event-bus/default"}`
		case 7:
			return `{"Sid":"Invoke","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:worker-*"}`
		}
		return `{"Sid":"Ip","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::app-bucket-1/private/*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}`
	}))
	return docs
}

func typicalRole(b testing.TB) *PolicySet {
	in := SetInput{Identity: []Named{{ID: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", Policy: mustParse(b, basicExecutionRole, Identity)}}}
	for i, d := range customerPolicies() {
		in.Identity = append(in.Identity, Named{ID: fmt.Sprintf("arn:aws:iam::123456789012:policy/app-%d", i), Policy: mustParse(b, d, Identity)})
	}
	return in.compile()
}

func (in SetInput) compile() *PolicySet { return Compile(in) }

// lambdaContext fills ctx as the gateway does for a call from a function.
func lambdaContext(ctx *Context) {
	ctx.Reset()
	ctx.Set("aws:PrincipalArn", "arn:aws:iam::123456789012:role/fn-role")
	ctx.Set("aws:PrincipalAccount", "123456789012")
	ctx.Set("aws:PrincipalTag/team", "team-data")
	ctx.Set("aws:PrincipalTag/env", "prod")
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:RequestedRegion", "us-east-1")
	ctx.Set("aws:CurrentTime", "2026-05-01T12:00:00Z")
	ctx.Set("aws:EpochTime", "1777636800")
	ctx.Set("lambda:SourceFunctionArn", "arn:aws:lambda:us-east-1:123456789012:function:fn-1")
	ctx.Set("aws:SourceVpc", "vpc-12345678")
}

func benchEvaluate(b *testing.B, s *PolicySet, r *Request, want Effect) {
	b.Helper()
	if d := s.Evaluate(r); d.Effect != want {
		b.Fatalf("Evaluate = %v (%v), want %v", d.Effect, d.Reason(r.Action), want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	n := 0
	for b.Loop() {
		s.Evaluate(r)
		n++
	}
	// The process's CPU time per evaluation: unlike ns/op it does not grow
	// when other processes compete for the machine.
	b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
}

// cpuTime returns the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkTypicalLambdaRole(b *testing.B) {
	s := typicalRole(b)
	var ctx Context
	lambdaContext(&ctx)
	p := roleSession("fn-role", "fn-1")
	b.Run("PutObject", func(b *testing.B) {
		benchEvaluate(b, s, &Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::app-bucket-1/uploads/a.json", Context: &ctx}, Allow)
	})
	b.Run("PutLogEvents", func(b *testing.B) {
		benchEvaluate(b, s, &Request{Principal: p, Action: "logs:PutLogEvents", Resource: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn-1:log-stream:x", Context: &ctx}, Allow)
	})
	b.Run("GetSecretValue", func(b *testing.B) {
		ctx := ctx
		ctx.Set("aws:ResourceTag/env", "prod")
		benchEvaluate(b, s, &Request{Principal: p, Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/2-abcdef", Context: &ctx}, Allow)
	})
	b.Run("ImplicitDeny", func(b *testing.B) {
		benchEvaluate(b, s, &Request{Principal: p, Action: "s3:DeleteObject", Resource: "arn:aws:s3:::app-bucket-1/uploads/a.json", Context: &ctx}, ImplicitDeny)
	})
	b.Run("ExplicitDeny", func(b *testing.B) {
		benchEvaluate(b, s, &Request{Principal: p, Action: "iam:CreateUser", Resource: "arn:aws:iam::123456789012:user/x", Context: &ctx}, ExplicitDeny)
	})
}

// largeRole has 10 policies of 10 statements each, many with wildcards.
func largeRole(b testing.TB) *PolicySet {
	services := []string{"s3", "dynamodb", "sqs", "sns", "logs", "kms", "ssm", "lambda", "ec2", "events"}
	var in SetInput
	for p := range 10 {
		var sts []string
		for i := range 10 {
			svc := services[(p+i)%len(services)]
			var st string
			switch i % 5 {
			case 0:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Get*","Resource":"arn:aws:%s:::res-%d-%d/*"}`, svc, svc, p, i)
			case 1:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":["%s:List*","%s:Describe*"],"Resource":"*"}`, svc, svc)
			case 2:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:*","Resource":"arn:aws:%s:::app-%d-*","Condition":{"StringLike":{"aws:PrincipalTag/team":"t%d*"}}}`, svc, svc, p*10+i, p)
			case 3:
				st = fmt.Sprintf(`{"Effect":"Deny","Action":"%s:Delete*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/role":"admin"}}}`, svc)
			default:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Put*","Resource":"arn:aws:%s:::*/${aws:PrincipalTag/team}/*"}`, svc, svc)
			}
			sts = append(sts, st)
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(sts, ",") + `]}`
		in.Identity = append(in.Identity, Named{ID: fmt.Sprintf("p%d", p), Policy: mustParse(b, doc, Identity)})
	}
	return Compile(in)
}

func BenchmarkLargeRole(b *testing.B) {
	s := largeRole(b)
	var ctx Context
	lambdaContext(&ctx)
	p := roleSession("fn-role", "fn-1")
	b.Run("Allow", func(b *testing.B) {
		benchEvaluate(b, s, &Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::x/team-data/y", Context: &ctx}, Allow)
	})
	b.Run("ImplicitDeny", func(b *testing.B) {
		benchEvaluate(b, s, &Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::x/other/y", Context: &ctx}, ImplicitDeny)
	})
}

func BenchmarkRoleWithSCPAndBoundary(b *testing.B) {
	in := SetInput{Identity: []Named{{ID: "basic", Policy: mustParse(b, basicExecutionRole, Identity)}}}
	for i, d := range customerPolicies() {
		in.Identity = append(in.Identity, Named{ID: fmt.Sprintf("c%d", i), Policy: mustParse(b, d, Identity)})
	}
	in.Boundary = &Named{ID: "boundary", Policy: mustParse(b, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","logs:*","dynamodb:*","sqs:*","sns:*","kms:*","secretsmanager:*","xray:*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, Boundary)}
	in.SCPs = [][]Named{
		{{ID: "FullAWSAccess", Policy: mustParse(b, fullAWSAccess, SCP)}},
		{{ID: "FullAWSAccess", Policy: mustParse(b, fullAWSAccess, SCP)}, {ID: "lambda-bucket", Policy: mustParse(b, sourceVpcSCP, SCP)}},
		{{ID: "FullAWSAccess", Policy: mustParse(b, fullAWSAccess, SCP)}, {ID: "regions", Policy: mustParse(b, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]}}}}`, SCP)}},
	}
	s := Compile(in)
	var ctx Context
	lambdaContext(&ctx)
	p := roleSession("fn-role", "fn-1")
	b.Run("Allow", func(b *testing.B) {
		benchEvaluate(b, s, &Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::app-bucket-1/uploads/a.json", Context: &ctx}, Allow)
	})
	b.Run("BoundaryDeny", func(b *testing.B) {
		benchEvaluate(b, s, &Request{Principal: p, Action: "ssm:GetParameter", Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/app/x", Context: &ctx}, ImplicitDeny)
	})
}

// atLimit fills a policy with statements until it reaches size characters.
func atLimit(size int, f func(i int) string) string {
	var sts []string
	for i := 0; ; i++ {
		st := f(i)
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(append(sts, st), ",") + `]}`
		if Size(doc) > size {
			break
		}
		sts = append(sts, st)
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(sts, ",") + `]}`
}

// BenchmarkWorstCaseAtLimits evaluates a request that matches no statement
// but must be checked against every wildcard statement: 20 managed
// policies and inline policies at their size quotas, a boundary, a session
// policy and five SCP levels, all made of wildcard statements with
// conditions on the requested service.
func BenchmarkWorstCaseAtLimits(b *testing.B) {
	stmt := func(i int) string {
		return fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["s3:*Object*","s3:Get?ucket*"],"Resource":["arn:aws:s3:::*-%d/*a*b*c*","arn:aws:s3:::bucket-%d/${aws:PrincipalTag/team}/*"],"Condition":{"StringLike":{"aws:PrincipalTag/x":["*%d*"]},"IpAddress":{"aws:SourceIp":["10.%d.0.0/16"]}}}`, i, i, i, i, i%250)
	}
	var in SetInput
	for p := range 20 {
		in.Identity = append(in.Identity, Named{ID: fmt.Sprintf("m%d", p), Policy: mustParse(b, atLimit(6144, stmt), Identity)})
	}
	in.Identity = append(in.Identity, Named{ID: "inline", Policy: mustParse(b, atLimit(10240, stmt), Identity)})
	in.Boundary = &Named{ID: "pb", Policy: mustParse(b, atLimit(6144, stmt), Boundary)}
	in.Session = []Named{{ID: "session", Policy: mustParse(b, atLimit(2048, stmt), Session)}}
	for range 5 {
		in.SCPs = append(in.SCPs, []Named{{ID: "FullAWSAccess", Policy: mustParse(b, fullAWSAccess, SCP)}, {ID: "scp", Policy: mustParse(b, atLimit(5120, func(i int) string {
			return strings.Replace(stmt(i), `"Allow"`, `"Deny"`, 1)
		}), SCP)}})
	}
	s := Compile(in)
	n := 0
	for _, x := range in.Identity {
		n += len(x.Policy.stmts)
	}
	b.Logf("%d identity statements", n)
	var ctx Context
	lambdaContext(&ctx)
	ctx.Set("aws:PrincipalTag/x", "nothing-matches")
	p := roleSession("fn-role", "fn-1")
	benchEvaluate(b, s, &Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::bucket-1/team-data/abx", Context: &ctx}, ImplicitDeny)
}

func BenchmarkParse(b *testing.B) {
	doc := customerPolicies()[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, Identity); err != nil {
			b.Fatal(err)
		}
	}
}
