package lint

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLocationPathAlwaysList: Location.path is required in Access
// Analyzer's model; a finding on the whole document has an empty path,
// written [], never null.
func TestLocationPathAlwaysList(t *testing.T) {
	for _, doc := range []string{`[]`, `"policy"`, `{"Version":"2012-10-17"}`} {
		fs := Validate(doc, Options{PolicyType: IdentityPolicy})
		if len(fs) == 0 {
			t.Fatalf("%s: no findings", doc)
		}
		b, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"path":null`) {
			t.Errorf("%s: %s", doc, b)
		}
	}
}
