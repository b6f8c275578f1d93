package server_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// awsCLI returns the AWS CLI v2 the scenarios run, or skips the test. With
// ROLECALL_SCENARIOS=required (CI) a missing CLI fails instead.
func awsCLI(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ROLECALL_AWS_CLI"), "/usr/bin/aws"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("ROLECALL_SCENARIOS") == "required" {
		t.Fatal("AWS CLI v2 not found at /usr/bin/aws (apt-get install awscli) and ROLECALL_SCENARIOS=required")
	}
	t.Skip("AWS CLI v2 not found at /usr/bin/aws; install Debian's awscli to run the scenarios")
	return ""
}

// TestScenarios runs every scenarios/*.sh with the real AWS CLI against a
// fresh rolecall each.
func TestScenarios(t *testing.T) {
	cli := awsCLI(t)
	scripts, err := filepath.Glob("../../scenarios/[0-9]*.sh")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".sh")
		t.Run(name, func(t *testing.T) {
			srv := servertest.Start(t)
			abs, _ := filepath.Abs(script)
			home := t.TempDir()
			cmd := exec.Command("bash", abs)
			cmd.Dir = home
			root := srv.Root()
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + home,
				"AWS_CLI=" + cli,
				"ROLECALL_ENDPOINT=" + srv.Endpoint(),
				"ROLECALL_REPO=" + filepath.Dir(filepath.Dir(abs)),
				"AWS_ACCESS_KEY_ID=" + root.AccessKeyID,
				"AWS_SECRET_ACCESS_KEY=" + root.SecretAccessKey,
				"AWS_DEFAULT_REGION=" + srv.Region(),
				"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
				"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
				"AWS_PAGER=",
				"AWS_MAX_ATTEMPTS=1",
			}
			// The Lambda scenarios deploy the Go example; build it once for all.
			zipPath := filepath.Join(home, "example-go.zip")
			if err := os.WriteFile(zipPath, exampleZip(t, goExample), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(cmd.Env, "EXAMPLE_GO_ZIP="+zipPath)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			t.Log(out.String())
			if err != nil {
				t.Fatalf("scenario %s failed: %v", name, err)
			}
		})
	}
}
