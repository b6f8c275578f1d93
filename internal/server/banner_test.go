package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// pasteBlock returns the banner's lines to paste into a shell.
func pasteBlock(t *testing.T, banner string) string {
	t.Helper()
	_, after, ok := strings.Cut(banner, "Point the AWS CLI at it")
	if !ok {
		t.Fatalf("the banner has no lines to paste:\n%s", banner)
	}
	var lines []string
	for _, line := range strings.Split(after, "\n")[1:] {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		lines = append(lines, strings.TrimPrefix(line, "  "))
	}
	return strings.Join(lines, "\n")
}

// TestBannerPasteBlock: the banner's lines, pasted into a fresh shell
// (one where an old AWS_PROFILE and AWS_SESSION_TOKEN linger), point
// Debian's AWS CLI 2.9, which ignores AWS_ENDPOINT_URL and AWS_REGION, at
// rolecall: both the --endpoint-url line and the alias it defines reach
// it as the root user. So does boto3, where installed, with endpoint_url.
func TestBannerPasteBlock(t *testing.T) {
	cli := awsCLI(t)
	srv := servertest.Start(t)
	banner := srv.Banner(srv.DataDir)
	block := pasteBlock(t, banner)
	for _, line := range strings.Split(block, "\n") {
		if strings.HasPrefix(line, "export AWS_ENDPOINT_URL") {
			t.Errorf("the banner exports AWS_ENDPOINT_URL, which AWS CLI 2.9 ignores: %q", line)
		}
	}
	for _, want := range []string{"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1", "alias aws='aws --endpoint-url " + srv.Endpoint() + "'"} {
		if !strings.Contains(block, want) {
			t.Errorf("the lines to paste lack %q:\n%s", want, block)
		}
	}
	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cli, filepath.Join(bin, "aws")); err != nil {
		t.Fatal(err)
	}
	script := "shopt -s expand_aliases # as in an interactive shell\n" + block + "\n" +
		"aws sts get-caller-identity --query Arn --output text\n"
	python, err := exec.LookPath("python3")
	boto := err == nil && exec.Command(python, "-c", "import boto3").Run() == nil
	if boto {
		script += python + ` -c 'import boto3; print("boto3", boto3.client("iam", endpoint_url="` + srv.Endpoint() + `").get_user()["User"]["Arn"])'` + "\n"
	} else {
		t.Log("boto3 not installed: its check is left out")
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = []string{
		"PATH=" + bin + ":/usr/bin:/bin",
		"HOME=" + home,
		"AWS_PROFILE=left-over",
		"AWS_SESSION_TOKEN=left-over",
		"AWS_PAGER=",
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the pasted lines failed: %v\n%s\n--- script ---\n%s", err, out, script)
	}
	root := "arn:aws:iam::123456789012:root"
	if n := strings.Count(string(out), root); n != 2+map[bool]int{true: 1}[boto] {
		t.Errorf("the pasted lines reached rolecall as %s %d times:\n%s", root, n, out)
	}
}
