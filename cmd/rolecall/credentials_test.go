package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/store/postgres/pgtest"
)

// TestCredentialsVerb: the banner shows the root secret key at the first
// start only; later it names the credentials verb, which prints the root
// credentials as shell lines that point the AWS CLI at rolecall, or as a
// credential_process document the AWS CLI reads from a profile, with the
// server running or stopped.
func TestCredentialsVerb(t *testing.T) {
	cli := "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Skip("AWS CLI v2 not at /usr/bin/aws")
	}
	bin := build(t)
	data := filepath.Join(t.TempDir(), "data")
	n := startNode(t, bin, data)
	if n.secret == "" || !strings.Contains(n.banner, "root secret key "+n.secret+"\n") {
		t.Fatalf("the first start's banner does not show the root secret:\n%s", n.banner)
	}
	key, secret := n.key, n.secret
	n.stop(t)

	n = startNode(t, bin, data)
	if strings.Contains(n.banner, secret) {
		t.Errorf("a later start's banner shows the root secret:\n%s", n.banner)
	}
	if !strings.Contains(n.banner, "root secret key not shown; rolecall credentials --data-dir "+data+" prints it") {
		t.Errorf("a later start's banner does not name the credentials verb:\n%s", n.banner)
	}
	if n.key != key || n.secret != secret {
		t.Fatalf("the credentials verb printed %s/%s, want the first start's %s/%s", n.key, n.secret, key, secret)
	}
	if _, err := sts.NewFromConfig(n.config()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("the printed credentials: %v", err)
	}

	home := t.TempDir()
	config := filepath.Join(home, "config")
	profile := fmt.Sprintf("[profile rolecall]\nregion = us-east-1\ncredential_process = %s credentials --json --data-dir %s\n", bin, data)
	if err := os.WriteFile(config, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `eval "$(` + bin + ` credentials --data-dir ` + data + `)"
aws --endpoint-url ` + n.endpoint + ` sts get-caller-identity --query Arn --output text
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_CONFIG_FILE=` + config + ` aws --profile rolecall --endpoint-url ` + n.endpoint + ` sts get-caller-identity --query Arn --output text
`
	cmd := exec.Command("bash", "-ec", script)
	cmd.Env = []string{"PATH=" + filepath.Dir(cli) + ":/bin", "HOME=" + home, "AWS_PROFILE=left-over", "AWS_SESSION_TOKEN=left-over", "AWS_PAGER="}
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Count(string(out), "arn:aws:iam::123456789012:root\n") != 2 {
		t.Fatalf("the AWS CLI with the printed credentials: %v\n%s", err, out)
	}
	n.stop(t)

	// With the server stopped.
	stdout, stderr, code := runBin(t, bin, "", "credentials", "--data-dir", data)
	want := fmt.Sprintf("export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1\nunset AWS_SESSION_TOKEN AWS_PROFILE\n", key, secret)
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("credentials with the server stopped: exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
	}
	// Refusals: no database; a key file others may read.
	keyFile := filepath.Join(data, "server.key")
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"credentials", "--data-dir", filepath.Join(t.TempDir(), "none")}, "rolecall: credentials: server: no readable rolecall database at "},
		{[]string{"credentials", "--data-dir", data}, "rolecall: credentials: server: key file " + keyFile + " is readable by others (mode -rw-r--r--): chmod 600 " + keyFile},
		{[]string{"credentials", "--data-dir", data, "extra"}, `rolecall: credentials: unexpected argument "extra"`},
	} {
		stdout, stderr, code := runBin(t, bin, "", tc.args...)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, tc.want) {
			t.Errorf("rolecall %v: exit %d, stdout %q, stderr %q; want 1 and %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

// TestCredentialsVerbShared: nodes on one PostgreSQL database. The first
// makes the key in its data directory; a second node without it is
// refused and makes none; given the first's key file, it serves the same
// root credentials, which the credentials verb prints from either.
func TestCredentialsVerbShared(t *testing.T) {
	bin := build(t)
	u := pgtest.URL(t)
	first := filepath.Join(t.TempDir(), "a")
	a := startNode(t, bin, first, "--database-url", u)
	second := filepath.Join(t.TempDir(), "b")
	_, stderr, code := runBin(t, bin, "", "--addr", "127.0.0.1:0", "--data-dir", second, "--database-url", u)
	if code != 1 || !strings.Contains(stderr, "there is no key file at "+filepath.Join(second, "server.key")) || !strings.Contains(stderr, "--key-file") {
		t.Fatalf("a second node without the key: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(second, "server.key")); !os.IsNotExist(err) {
		t.Fatalf("the refused node made a key: %v", err)
	}
	b := startNode(t, bin, second, "--database-url", u, "--key-file", filepath.Join(first, "server.key"))
	if b.key != a.key || b.secret != a.secret {
		t.Fatal("the second node has other root credentials")
	}
	if _, err := sts.NewFromConfig(b.config()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
}
