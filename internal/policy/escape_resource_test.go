package policy

import "testing"

// TestResourceEscapedLiteral: ${*}, ${?} and ${$} in a Resource stand for
// the characters themselves, also in an ARN with no wildcard or variable
// besides them.
func TestResourceEscapedLiteral(t *testing.T) {
	for _, tc := range []struct{ pattern, resource string }{
		{"arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*"},
		{"arn:aws:s3:::b/a${?}c", "arn:aws:s3:::b/a?c"},
		{"arn:aws:s3:::b/${$}{aws:username}", "arn:aws:s3:::b/${aws:username}"},
	} {
		p, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"`+tc.pattern+`"}]}`, Identity)
		if err != nil {
			t.Fatal(err)
		}
		set := Compile(SetInput{Identity: []Named{{ID: "p", Policy: p}}})
		eval := func(resource string) Effect {
			return set.Evaluate(&Request{
				Principal: Principal{Type: User, ARN: "arn:aws:iam::123456789012:user/alice", Account: "123456789012"},
				Action:    "s3:GetObject", Resource: resource, Context: &Context{},
			}).Effect
		}
		if got := eval(tc.resource); got != Allow {
			t.Errorf("%s on %s: %v, want Allow", tc.pattern, tc.resource, got)
		}
		if got := eval("arn:aws:s3:::b/abc"); got == Allow {
			t.Errorf("%s on arn:aws:s3:::b/abc: Allow", tc.pattern)
		}
	}
}
