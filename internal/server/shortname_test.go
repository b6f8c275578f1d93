package server_test

import (
	"testing"
)

// A function's name may be a single character (Lambda's model: 1-64); its
// execution role's session is named after it, below the minimum of 2 that
// STS's AssumeRole sets for the names callers choose.
func TestLambdaOneCharacterName(t *testing.T) {
	s := newLambdaSuite(t)
	role := s.role(t, "one-char", lambdaTrust)
	s.create(t, goFunction(t, "w", role))
	got := s.call(t, "w", map[string]any{"action": "whoami"})
	if want := assumedRoleARN("one-char", "w"); str(got["arn"]) != want {
		t.Fatalf("whoami = %v, want arn %s", got, want)
	}
}
