package lint

import (
	"errors"
	"testing"
)

func TestCheckNoNewAccess(t *testing.T) {
	const existing = `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":["s3:Get*","dynamodb:GetItem"],"Resource":["arn:aws:s3:::b/*","arn:aws:dynamodb:us-east-1:111122223333:table/t"]},
		{"Sid":"Pass","Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":["lambda.amazonaws.com","ec2.amazonaws.com"]}}},
		{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	for _, tt := range []struct {
		name, doc string
		want      string
		indexes   []int
	}{
		{"same", existing, Pass, nil},
		{"narrower", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectV*"],"Resource":"arn:aws:s3:::b/prefix/*"},
			{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/r","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"},"Bool":{"aws:SecureTransport":"true"}}},
			{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`, Pass, nil},
		{"new action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, Fail, []int{0}},
		{"new resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, Fail, []int{0}},
		{"weaker condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, Fail, []int{0}},
		{"more condition values", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":["lambda.amazonaws.com","glue.amazonaws.com"]}}},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, Fail, []int{0}},
		{"deny removed", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, Fail, []int{2}},
		{"deny narrowed", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::other/*"}]}`, Fail, []int{2}},
		{"not action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, Fail, []int{0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckNoNewAccess(existing, tt.doc, IdentityPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if got.Result != tt.want || len(got.Reasons) != len(tt.indexes) {
				t.Fatalf("got %+v, want %s with %d reasons", got, tt.want, len(tt.indexes))
			}
			for i, r := range got.Reasons {
				if r.StatementIndex == nil || *r.StatementIndex != tt.indexes[i] {
					t.Errorf("reason %d: %+v, want index %d", i, r, tt.indexes[i])
				}
			}
		})
	}
	var pe *PolicyError
	if _, err := CheckNoNewAccess(existing, `{"Statement":`, IdentityPolicy); !errors.As(err, &pe) {
		t.Errorf("malformed document: %v", err)
	}
}

func TestCheckNoNewAccessResourcePolicy(t *testing.T) {
	existing := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	wider := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:root"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	if got, err := CheckNoNewAccess(existing, wider, ResourcePolicy); err != nil || got.Result != Fail {
		t.Errorf("another account: %+v %v", got, err)
	}
	if got, err := CheckNoNewAccess(wider, existing, ResourcePolicy); err != nil || got.Result != Pass {
		t.Errorf("fewer accounts: %+v %v", got, err)
	}
}

func TestCheckAccessNotGranted(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"},
		{"Sid":"Tables","Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/t","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
		{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`
	for _, tt := range []struct {
		name    string
		access  Access
		want    string
		indexes []int
	}{
		{"action granted", Access{Actions: []string{"s3:GetObject"}}, Fail, []int{0}},
		{"action not granted", Access{Actions: []string{"s3:PutObject", "iam:PassRole"}}, Pass, nil},
		{"conditions do not help", Access{Actions: []string{"dynamodb:DeleteTable"}}, Fail, []int{1}},
		{"other resource", Access{Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::other/k"}}, Pass, nil},
		{"resource only", Access{Resources: []string{"arn:aws:dynamodb:us-east-1:111122223333:table/t"}}, Fail, []int{1}},
		{"resource pattern", Access{Resources: []string{"arn:aws:s3:::b/secret/*"}}, Fail, []int{0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckAccessNotGranted(doc, []Access{tt.access}, IdentityPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if got.Result != tt.want || len(got.Reasons) != len(tt.indexes) {
				t.Fatalf("got %+v, want %s", got, tt.want)
			}
			for i, r := range got.Reasons {
				if *r.StatementIndex != tt.indexes[i] {
					t.Errorf("reason %d: %+v", i, r)
				}
			}
			if tt.want == Fail && got.Reasons[0].Description == "" {
				t.Error("no description")
			}
		})
	}
}

func TestCheckNoPublicAccess(t *testing.T) {
	for _, tt := range []struct {
		name, typ, doc, want string
	}{
		{"star", "AWS::S3::Bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, Fail},
		{"aws star", "AWS::SQS::Queue", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:q"}]}`, Fail},
		{"org", "AWS::S3::Bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}`, Pass},
		{"org wildcard", "AWS::S3::Bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}]}`, Fail},
		{"if exists", "AWS::S3::Bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}}]}`, Fail},
		{"unrelated condition", "AWS::S3::Bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, Fail},
		{"account", "AWS::Lambda::Function", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"lambda:InvokeFunction","Resource":"*"}]}`, Pass},
		{"service with source", "AWS::Lambda::Function", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"*"}]}`, Pass},
		{"deny star", "AWS::S3::Bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`, Pass},
		{"not principal", "AWS::S3::Bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, Fail},
		{"trust", TrustPolicyResourceType, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, Fail},
		{"function url", "AWS::Lambda::Function", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"*","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`, Fail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckNoPublicAccess(tt.doc, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			if got.Result != tt.want {
				t.Errorf("got %+v, want %s", got, tt.want)
			}
			if got.Result == Fail && (len(got.Reasons) != 1 || *got.Reasons[0].StatementIndex != 0) {
				t.Errorf("reasons %+v", got.Reasons)
			}
		})
	}
}

func TestCheckVariables(t *testing.T) {
	vars := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`
	old := `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`
	if got, _ := CheckNoNewAccess(old, vars, IdentityPolicy); got.Result != Fail {
		t.Errorf("version change: %+v", got)
	}
	if got, _ := CheckNoNewAccess(vars, vars, IdentityPolicy); got.Result != Pass {
		t.Errorf("same: %+v", got)
	}
	literal := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${*}"}]}`
	if got, _ := CheckNoNewAccess(literal, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/x"}]}`, IdentityPolicy); got.Result != Fail {
		t.Errorf("${*} is a literal star: %+v", got)
	}
	got, _ := CheckAccessNotGranted(vars, []Access{{Resources: []string{"arn:aws:s3:::home/alice/notes"}}}, IdentityPolicy)
	if got.Result != Fail {
		t.Errorf("a variable may name alice: %+v", got)
	}
	got, _ = CheckAccessNotGranted(vars, []Access{{Resources: []string{"arn:aws:s3:::work/alice"}}}, IdentityPolicy)
	if got.Result != Pass {
		t.Errorf("another bucket: %+v", got)
	}
}

func TestCheckPrincipalTypes(t *testing.T) {
	aws := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sqs:SendMessage","Resource":"*"}]}`
	svc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}]}`
	if got, _ := CheckNoNewAccess(aws, svc, ResourcePolicy); got.Result != Fail {
		t.Errorf(`{"AWS":"*"} does not name service principals: %+v`, got)
	}
	if got, _ := CheckNoNewAccess(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}`, svc, ResourcePolicy); got.Result != Pass {
		t.Errorf(`"*" names every principal: %+v`, got)
	}
}
