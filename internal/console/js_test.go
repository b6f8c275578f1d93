package console_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestJavaScriptUnits runs the console's DOM-free JavaScript unit tests
// (assets/js/*.test.mjs) with node --test.
func TestJavaScriptUnits(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is needed for the console's JavaScript unit tests")
		}
		t.Skip("no node on PATH")
	}
	files, err := filepath.Glob(filepath.Join("assets", "js", "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no JavaScript unit tests found (%v)", err)
	}
	cmd := exec.Command(node, append([]string{"--test"}, files...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
