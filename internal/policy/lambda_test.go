package policy

import (
	"testing"
)

// The policies of the Lambda developer guide's execution-role page.
const (
	lambdaTrustPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "lambda.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}`
	sourceFunctionPolicy = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ExampleSourceFunctionArn",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::lambda_bucket/*",
            "Condition": {
                "ArnEquals": {
                    "lambda:SourceFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:source_lambda"
                }
            }
        }
    ]
}`
	sourceVpcSCP = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "s3:*"
            ],
            "Resource": "arn:aws:s3:::lambda_bucket/*",
            "Effect": "Deny",
            "Condition": {
                "StringNotEqualsIfExists": {
                    "aws:SourceVpc": [
                        "vpc-12345678"
                    ]
                },
                "ArnNotEqualsIfExists": {
                    "lambda:SourceFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:source_lambda"
                }
            }
        }
    ]
}`
	fullAWSAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

	sourceLambda = "arn:aws:lambda:us-east-1:123456789012:function:source_lambda"
	otherLambda  = "arn:aws:lambda:us-east-1:123456789012:function:other_lambda"
)

func TestLambdaTrustPolicy(t *testing.T) {
	trust := mustParse(t, lambdaTrustPolicy, Trust)
	for _, tt := range []struct {
		p    Principal
		want Effect
	}{
		{Principal{Type: Service, ARN: "lambda.amazonaws.com"}, Allow},
		{Principal{Type: Service, ARN: "LAMBDA.amazonaws.com"}, Allow},
		{Principal{Type: Service, ARN: "ec2.amazonaws.com"}, ImplicitDeny},
		{iamUser("alice"), ImplicitDeny},
		{roleSession("lambda-ex", "fn"), ImplicitDeny},
	} {
		d := EvaluateTrust(trust, nil, &Request{Principal: tt.p, Action: "sts:AssumeRole", Resource: "arn:aws:iam::" + acct + ":role/lambda-ex", ResourceAccount: acct})
		if d.Effect != tt.want {
			t.Errorf("%s: %v, want %v", tt.p.ARN, d.Effect, tt.want)
		}
	}
}

// TestSourceFunctionArn covers the identity policy that allows s3:PutObject
// only from the source_lambda function's execution environment, alone and
// under the SCP that denies the bucket unless the call comes from the VPC
// or from that function, for every combination of the two keys.
func TestSourceFunctionArn(t *testing.T) {
	identity := []Named{
		{ID: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", Policy: mustParse(t, basicExecutionRole, Identity)},
		{ID: "source-function", Policy: mustParse(t, sourceFunctionPolicy, Identity)},
	}
	alone := Compile(SetInput{Identity: identity})
	withSCP := Compile(SetInput{Identity: identity, SCPs: [][]Named{{
		{ID: "p-FullAWSAccess", Policy: mustParse(t, fullAWSAccess, SCP)},
		{ID: "p-lambda-bucket", Policy: mustParse(t, sourceVpcSCP, SCP)},
	}}})
	p := roleSession("lambda-ex", "source_lambda")
	const inBucket = "arn:aws:s3:::lambda_bucket/key"

	type want struct {
		eff Effect
		src Source
	}
	allow := want{Allow, SourceIdentity}
	noID := want{ImplicitDeny, SourceIdentity}
	scpDeny := want{ExplicitDeny, SourceSCP}
	tests := []struct {
		vpc, fn  string // "" = absent
		action   string
		resource string
		alone    want
		withSCP  want
	}{
		{"", "", "s3:PutObject", inBucket, noID, scpDeny},
		{"", sourceLambda, "s3:PutObject", inBucket, allow, allow},
		{"", otherLambda, "s3:PutObject", inBucket, noID, scpDeny},
		{"vpc-12345678", "", "s3:PutObject", inBucket, noID, noID},
		{"vpc-12345678", sourceLambda, "s3:PutObject", inBucket, allow, allow},
		{"vpc-12345678", otherLambda, "s3:PutObject", inBucket, noID, noID},
		{"vpc-87654321", "", "s3:PutObject", inBucket, noID, scpDeny},
		{"vpc-87654321", sourceLambda, "s3:PutObject", inBucket, allow, allow},
		{"vpc-87654321", otherLambda, "s3:PutObject", inBucket, noID, scpDeny},
		// Another action on the bucket: the SCP still denies, nothing allows.
		{"", sourceLambda, "s3:GetObject", inBucket, noID, noID},
		{"", otherLambda, "s3:GetObject", inBucket, noID, scpDeny},
		{"vpc-12345678", "", "s3:DeleteObject", inBucket, noID, noID},
		// Outside the bucket neither policy applies.
		{"", "", "s3:PutObject", "arn:aws:s3:::other_bucket/key", noID, noID},
		{"", sourceLambda, "s3:PutObject", "arn:aws:s3:::other_bucket/key", noID, noID},
		{"", sourceLambda, "s3:PutObject", "arn:aws:s3:::lambda_bucket", noID, noID},
		// The managed policy still works from anywhere.
		{"", "", "logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/source_lambda:log-stream:x", allow, allow},
	}
	var ctx Context
	for _, tt := range tests {
		ctx.Reset()
		if tt.vpc != "" {
			ctx.Set("aws:SourceVpc", tt.vpc)
		}
		if tt.fn != "" {
			ctx.Set("lambda:SourceFunctionArn", tt.fn)
		}
		r := &Request{Principal: p, Action: tt.action, Resource: tt.resource, Context: &ctx}
		for _, c := range []struct {
			name string
			set  *PolicySet
			want want
		}{{"alone", alone, tt.alone}, {"with SCP", withSCP, tt.withSCP}} {
			d := c.set.Evaluate(r)
			if d.Effect != c.want.eff || d.Source != c.want.src {
				t.Errorf("%s vpc=%q fn=%q %s %s: %v/%v, want %v/%v", c.name, tt.vpc, tt.fn, tt.action, tt.resource, d.Effect, d.Source, c.want.eff, c.want.src)
			}
		}
	}

	// The decisive statement is named.
	ctx.Reset()
	ctx.Set("lambda:SourceFunctionArn", sourceLambda)
	d := withSCP.Evaluate(&Request{Principal: p, Action: "s3:PutObject", Resource: inBucket, Context: &ctx})
	if d.Count == 0 || d.Matches[0].Sid != "ExampleSourceFunctionArn" || d.Matches[0].Policy != "source-function" {
		t.Errorf("allow matches %+v", d.Decisive())
	}
	ctx.Reset()
	d = withSCP.Evaluate(&Request{Principal: p, Action: "s3:PutObject", Resource: inBucket, Context: &ctx})
	if d.Count != 1 || d.Matches[0].Policy != "p-lambda-bucket" || d.Reason("s3:PutObject") != "with an explicit deny in a service control policy" {
		t.Errorf("deny matches %+v, reason %q", d.Decisive(), d.Reason("s3:PutObject"))
	}
}

// TestSourceFunctionArnNotInResourcePolicies: the key is for identity-based
// policies and SCPs; a resource-based policy (here the trust policy of a role
// that a function assumes itself) is evaluated against ResourceContext,
// which lacks it, so a condition on it never matches there.
func TestSourceFunctionArnNotInResourcePolicies(t *testing.T) {
	const role = "arn:aws:iam::" + acct + ":role/lambda-ex"
	const fn = "arn:aws:lambda:us-east-1:" + acct + ":function:source_lambda"
	trust := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"`+role+`"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"`+fn+`"}}}]}`, Trust)
	set := Compile(SetInput{Identity: []Named{{ID: "assume-self", Policy: mustParse(t,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role+`"}]}`, Identity)}}})
	var ctx, rctx Context
	ctx.Set("lambda:SourceFunctionArn", fn)
	ctx.Set("aws:SourceVpc", "vpc-12345678")
	rctx.Set("aws:SourceVpc", "vpc-12345678")
	r := &Request{Principal: roleSession("lambda-ex", "source_lambda"), Action: "sts:AssumeRole", Resource: role, Context: &ctx}

	if d := EvaluateTrust(trust, set, r); d.Effect != Allow {
		t.Fatalf("with the key in the only context: %v/%v, want Allow", d.Effect, d.Source)
	}
	r.ResourceContext = &rctx
	if d := EvaluateTrust(trust, set, r); d.Effect != ImplicitDeny || d.Source != SourceResource {
		t.Errorf("trust policy without the key: %v/%v, want ImplicitDeny/Resource", d.Effect, d.Source)
	}

	// Identity-based policies still see the key.
	idSet := Compile(SetInput{Identity: []Named{{ID: "source-function", Policy: mustParse(t, sourceFunctionPolicy, Identity)}}})
	r = &Request{Principal: roleSession("lambda-ex", "source_lambda"), Action: "s3:PutObject", Resource: "arn:aws:s3:::lambda_bucket/key",
		Context: &ctx, ResourceContext: &rctx}
	if d := idSet.Evaluate(r); d.Effect != Allow {
		t.Errorf("identity policy with ResourceContext: %v/%v, want Allow", d.Effect, d.Source)
	}

	// A resource policy's explicit deny is matched against ResourceContext too.
	rp := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"`+fn+`"}}}]}`, Resource)
	r.ResourcePolicy = rp
	if d := idSet.Evaluate(r); d.Effect != Allow {
		t.Errorf("resource policy deny on the key: %v/%v, want Allow", d.Effect, d.Source)
	}
	r.ResourceContext = nil
	if d := idSet.Evaluate(r); d.Effect != ExplicitDeny {
		t.Errorf("without ResourceContext: %v/%v, want ExplicitDeny", d.Effect, d.Source)
	}
}
