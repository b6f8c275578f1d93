package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// rolecall policy lint prints each finding with its line and column, and
// fails only for errors.
func TestPolicyLintLocations(t *testing.T) {
	dir := t.TempDir()
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"iam:PassRole\", \"Resource\": \"*\"}]\n}"
	name := filepath.Join(dir, "p.json")
	if err := os.WriteFile(name, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run([]string{"policy", "lint", name}, &out, &errOut); err != nil {
		t.Fatalf("a security warning failed the lint: %v", err)
	}
	want := "3:17: SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE: Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}

	out.Reset()
	if err := run([]string{"policy", "lint", "--type", "trust", name}, &out, &errOut); err == nil || !bytes.Contains(out.Bytes(), []byte("3:63: ERROR ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE")) || !bytes.Contains(out.Bytes(), []byte("3:17: ERROR MISSING_PRINCIPAL")) {
		t.Errorf("trust: %v, %q", err, out.String())
	}
}
