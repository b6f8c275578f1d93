package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyLint(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::lambda_bucket/*","Condition":{"ArnEquals":{"lambda:SourceFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:source_lambda"}}}]}`)
	bad := write("bad.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObjekt","nosuch:Thing"],"Resource":"*"}]}`)
	malformed := write("malformed.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`)

	var out, errOut bytes.Buffer
	if err := run([]string{"policy", "lint", good}, &out, &errOut); err != nil || out.Len() != 0 {
		t.Errorf("good policy: %v, %q", err, out.String())
	}
	out.Reset()
	err := run([]string{"policy", "lint", bad}, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "INVALID_ACTION") || !strings.Contains(out.String(), "INVALID_SERVICE_IN_ACTION") {
		t.Errorf("bad policy: %v, %q", err, out.String())
	}
	if err := run([]string{"policy", "lint", malformed}, &out, &errOut); err == nil {
		t.Error("a policy without Resource was accepted")
	}
	if err := run([]string{"policy", "lint", "--type", "nosuch", good}, &out, &errOut); err == nil {
		t.Error("an unknown --type was accepted")
	}
}
