package lint

import (
	"testing"

	"github.com/rolecall/rolecall/internal/policy"
)

// TestDuplicateKeys: IAM refuses a document with an object key twice
// ({"Effect":"Deny","Effect":"Allow"}: which one holds?); validation must
// not call it clean. The finding points at the second key.
func TestDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		doc    string
		offset int
	}{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, 54},
		{`{"Version":"2012-10-17","Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, 24},
		{"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\n\"Condition\":{\"StringEquals\":{\"aws:username\":\"a\",\"aws:username\":\"b\"}}}]}", 143},
	} {
		if _, err := policy.Parse(tc.doc, policy.Identity); err == nil {
			t.Fatalf("IAM's parser takes %s; the test proves nothing", tc.doc)
		}
		fs := Validate(tc.doc, Options{PolicyType: IdentityPolicy})
		if len(fs) != 1 || fs[0].Code != "JSON_SYNTAX_ERROR" || fs[0].Locations[0].Span.Start.Offset != tc.offset {
			t.Errorf("%s:\n%v, want one JSON_SYNTAX_ERROR at offset %d", tc.doc, fs, tc.offset)
		}
	}
}
