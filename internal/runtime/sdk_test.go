package runtime

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPythonSDKFromDebian: boto3 and its dependencies unpacked from
// Debian's packages import with no other library on the path.
func TestPythonSDKFromDebian(t *testing.T) {
	for _, bin := range []string{"apt-get", "dpkg-deb", "python3"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed", bin)
		}
	}
	if out, err := exec.Command("apt-cache", "show", "python3-boto3").CombinedOutput(); err != nil || len(out) == 0 {
		t.Skip("apt has no package lists with python3-boto3 (apt-get update)")
	}
	dst := t.TempDir()
	ver, src, err := extractPythonDebs(dst)
	if err != nil {
		t.Fatal(err)
	}
	if ver == "" || !strings.Contains(src, "python3-boto3") {
		t.Errorf("version %q from %q", ver, src)
	}
	cmd := exec.Command("python3", "-s", "-c", "import boto3, botocore.session; print(boto3.__version__)")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PYTHONPATH=" + dst}
	cmd.Dir = filepath.Dir(dst)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != ver {
		t.Errorf("import boto3 from %s: %v: %s", dst, err, out)
	}
}
