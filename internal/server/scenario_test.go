package server_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestScenarios runs every scenarios/*.sh with the real AWS CLI, each
// against a fresh rolecall of its own and in a home directory of its own, so
// the scenarios run in parallel. A scenario's output is reported in one
// block, with the scenario's name, when it fails (or with -v).
func TestScenarios(t *testing.T) {
	cli := awsCLI(t)
	scripts, err := filepath.Glob("../../scenarios/[0-9]*.sh")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	// The Lambda scenarios deploy the Go example; build it once, before the
	// scenarios start.
	zip := exampleZip(t, goExample)
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var goEnv []string
	for i, v := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		goEnv = append(goEnv, []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"}[i]+"="+v)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".sh")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t)
			abs, err := filepath.Abs(script)
			if err != nil {
				t.Fatal(err)
			}
			home := t.TempDir()
			zipPath := filepath.Join(home, "example-go.zip")
			if err := os.WriteFile(zipPath, zip, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", abs)
			cmd.Dir = home
			root := srv.Root()
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + home,
				"TMPDIR=" + home,
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
				"EXAMPLE_GO_ZIP=" + zipPath,
				"ROLECALL_DATA_DIR=" + srv.DataDir,
			}
			// A scenario that runs go (the README's tour) uses the
			// caller's build cache, modules and settings, not its HOME's.
			cmd.Env = append(cmd.Env, goEnv...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err = cmd.Run()
			took := time.Since(start).Round(time.Millisecond)
			if err != nil {
				t.Fatalf("scenario %s failed after %v: %v\n--- output of %s ---\n%s--- end of %s ---", name, took, err, name, out.String(), name)
			}
			if testing.Verbose() {
				t.Logf("scenario %s passed in %v\n--- output of %s ---\n%s--- end of %s ---", name, took, name, out.String(), name)
			}
		})
	}
}
