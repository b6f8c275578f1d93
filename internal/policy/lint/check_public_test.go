package lint

import (
	"testing"

	"github.com/rolecall/rolecall/internal/policy"
)

// TestCheckNoPublicAccessForAllValues: ForAllValues over a key an
// anonymous caller does not have is true (no value fails it), so such a
// condition pins nothing, and the evaluator lets an anonymous caller in.
func TestCheckNoPublicAccessForAllValues(t *testing.T) {
	for _, op := range []string{"ForAllValues:StringEquals", "ForAllValues:StringLike", "ForAllValues:ArnEquals"} {
		key, val := "aws:PrincipalOrgID", "o-abc"
		if op == "ForAllValues:ArnEquals" {
			key, val = "aws:PrincipalArn", "arn:aws:iam::111122223333:role/r"
		}
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"` + op + `":{"` + key + `":"` + val + `"}}}]}`
		p, err := policy.Parse(doc, policy.Resource)
		if err != nil {
			t.Fatal(err)
		}
		d := policy.Compile(policy.SetInput{}).Evaluate(&policy.Request{
			Principal: policy.Principal{Type: policy.Anonymous},
			Action:    "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: "111122223333",
			ResourcePolicy: p, Context: &policy.Context{},
		})
		if d.Effect != policy.Allow {
			t.Fatalf("%s: the evaluator refuses the anonymous caller (%v); the test proves nothing", op, d.Effect)
		}
		got, err := CheckNoPublicAccess(doc, "AWS::S3::Bucket")
		if err != nil {
			t.Fatal(err)
		}
		if got.Result != Fail {
			t.Errorf("%s on %s: %s, but an anonymous caller is allowed", op, key, got.Result)
		}
	}
}

// TestCheckNoPublicAccessVariableValue: a policy variable is no fixed
// value: {"aws:PrincipalAccount":"${aws:PrincipalAccount}"} holds for a
// caller of every account, which the evaluator proves.
func TestCheckNoPublicAccessVariableValue(t *testing.T) {
	for _, key := range []string{"aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid"} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"` + key + `":"${` + key + `}"}}}]}`
		p, err := policy.Parse(doc, policy.Resource)
		if err != nil {
			t.Fatal(err)
		}
		ctx := &policy.Context{}
		ctx.Set("aws:PrincipalAccount", "444455556666")
		ctx.Set("aws:PrincipalArn", "arn:aws:iam::444455556666:user/mallory")
		ctx.Set("aws:userid", "AIDAMALLORY")
		// The caller's own account lets it do anything; the bucket's
		// policy decides.
		own, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.Identity)
		if err != nil {
			t.Fatal(err)
		}
		d := policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "admin", Policy: own}}}).Evaluate(&policy.Request{
			Principal: policy.Principal{Type: policy.User, ARN: "arn:aws:iam::444455556666:user/mallory", Account: "444455556666"},
			Action:    "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: "111122223333",
			ResourcePolicy: p, Context: ctx,
		})
		if d.Effect != policy.Allow {
			t.Fatalf("%s: the evaluator refuses the caller of another account (%v); the test proves nothing", key, d.Effect)
		}
		got, err := CheckNoPublicAccess(doc, "AWS::S3::Bucket")
		if err != nil {
			t.Fatal(err)
		}
		if got.Result != Fail {
			t.Errorf("%s equal to its own variable: %s, but any account's caller is allowed", key, got.Result)
		}
	}
}

// TestCheckNoPublicAccessFunctionURLIAM: a function URL with auth type
// AWS_IAM and Principal "*" lets a caller of every account invoke it (with
// its own account's permission), which the evaluator proves: the auth
// type names how callers sign, not who they are.
func TestCheckNoPublicAccessFunctionURLIAM(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"}}}]}`
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		t.Fatal(err)
	}
	own, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &policy.Context{}
	ctx.Set("lambda:FunctionUrlAuthType", "AWS_IAM")
	d := policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "admin", Policy: own}}}).Evaluate(&policy.Request{
		Principal: policy.Principal{Type: policy.User, ARN: "arn:aws:iam::444455556666:user/mallory", Account: "444455556666"},
		Action:    "lambda:InvokeFunctionUrl", Resource: "arn:aws:lambda:us-east-1:111122223333:function:f", ResourceAccount: "111122223333",
		ResourcePolicy: p, Context: ctx,
	})
	if d.Effect != policy.Allow {
		t.Fatalf("the evaluator refuses the caller of another account (%v); the test proves nothing", d.Effect)
	}
	got, err := CheckNoPublicAccess(doc, "AWS::Lambda::Function")
	if err != nil {
		t.Fatal(err)
	}
	if got.Result != Fail {
		t.Errorf("%s, but a caller of any account may invoke the function URL", got.Result)
	}
}
