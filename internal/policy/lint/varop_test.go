package lint

import (
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/policy"
)

// TestVariableForOperator: policy variables work with the String and ARN
// operators only; IAM refuses a document using one with another operator,
// so validation reports INVALID_VARIABLE_FOR_OPERATOR for it.
func TestVariableForOperator(t *testing.T) {
	for _, tc := range []struct {
		op, key, val string
		bad          bool
	}{
		{"NumericLessThan", "s3:max-keys", "${aws:username}", true},
		{"DateGreaterThan", "aws:CurrentTime", "${aws:username}", true},
		{"StringEquals", "aws:PrincipalTag/team", "${aws:username}", false},
		{"StringLike", "aws:PrincipalTag/team", "${aws:username}", false},
		{"ArnLike", "aws:PrincipalArn", "arn:aws:iam::123456789012:user/${aws:username}", false},
	} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"` + tc.op + `":{"` + tc.key + `":"` + tc.val + `"}}}]}`
		_, err := policy.Parse(doc, policy.Identity)
		if (err != nil) != tc.bad {
			t.Fatalf("%s: IAM's parser says %v; the case is wrong", tc.op, err)
		}
		fs := Validate(doc, Options{PolicyType: IdentityPolicy})
		got := slices.ContainsFunc(fs, func(f Finding) bool { return f.Code == "INVALID_VARIABLE_FOR_OPERATOR" && f.Type == Error })
		if got != tc.bad {
			t.Errorf("%s: INVALID_VARIABLE_FOR_OPERATOR %v, want %v: %v", tc.op, got, tc.bad, fs)
		}
	}
}
