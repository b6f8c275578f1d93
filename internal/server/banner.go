package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rolecall/rolecall/internal/console"
	"github.com/rolecall/rolecall/internal/store/postgres"
)

// Banner is the start-up text: where rolecall listens, the account and its
// root credentials, what is enforced, and how to point the AWS CLI at it.
func (s *Server) Banner(dataDir string) string {
	var b strings.Builder
	ep := s.Endpoint()
	fmt.Fprintf(&b, "rolecall is serving on %s\n", ep)
	fmt.Fprintf(&b, "  data directory  %s\n", dataDir)
	if s.Shared() {
		fmt.Fprintf(&b, "  database        %s (PostgreSQL, shared by every node on it)\n", postgres.Redact(s.cfg.DatabaseURL))
	} else {
		fmt.Fprintf(&b, "  database        %s (SQLite)\n", filepath.Join(dataDir, "rolecall.db"))
	}
	fmt.Fprintf(&b, "  server key      from the %s\n", s.keySource.desc)
	fmt.Fprintf(&b, "  account         %s   region %s\n", s.cfg.AccountID, s.cfg.Region)
	fmt.Fprintf(&b, "  root access key %s\n", s.root.AccessKeyID)
	cmd := s.credentialsCommand(dataDir)
	switch s.rootShown {
	case rootMade:
		fmt.Fprintf(&b, "  root secret key %s\n", s.root.SecretAccessKey)
		fmt.Fprintf(&b, "                  (shown at this first start only; later: %s)\n", cmd)
	case rootGiven:
		b.WriteString("  root secret key from ROLECALL_ROOT_SECRET_ACCESS_KEY\n")
	default:
		fmt.Fprintf(&b, "  root secret key not shown; %s prints it\n", cmd)
	}
	fmt.Fprintf(&b, "  services        %s\n", strings.TrimPrefix(s.gateway.String(), "services: "))
	fmt.Fprintf(&b, "  health check    %s%s (no credentials; 200 when ready, 503 when not)\n", ep, HealthPath)
	fmt.Fprintf(&b, "  console         %s%s (sign in with an access key: the root key above, or a user's)\n", ep, console.Prefix)
	b.WriteString("Enforced on every request:\n")
	b.WriteString("  - SigV4 signatures (header, presigned query, chunked payloads), a ±15 minute clock window\n")
	b.WriteString("  - IAM authorization: identity, resource and session policies, permissions boundaries\n")
	b.WriteString("  - session tokens sealed and checked for expiry; unknown actions and conditions fail closed\n")
	b.WriteString("  - every authenticated call, allowed or denied, recorded in the trail (cloudtrail lookup-events)\n")
	b.WriteString("  - functions run with their execution role's session, bound to their execution environment\n")
	fmt.Fprintf(&b, "  - function isolation: %s\n", s.lambda.Runtime().Isolation().Detail)
	fmt.Fprintf(&b, "Runtimes (interpreter, AWS SDK):\n%s", s.lambda.Runtime().RuntimesBanner(context.Background(), s.cfg.Now()))
	b.WriteString(pasteBlock(ep, s.cfg.Region, s.root, s.rootShown, cmd))
	return b.String()
}

// credentialsCommand is the command that prints the root credentials of
// this server's database (cmd/rolecall's credentials verb).
func (s *Server) credentialsCommand(dataDir string) string {
	cmd := "rolecall credentials --data-dir " + shellQuote(dataDir)
	if s.Shared() {
		cmd += " --database-url URL"
	}
	if s.cfg.KeyFile != "" {
		cmd += " --key-file " + shellQuote(s.cfg.KeyFile)
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// pasteBlock is the banner's shell block that points the AWS CLI (v1, v2
// before and after 2.13) and the SDKs (boto3 included) at endpoint with
// the credentials c, in a fresh shell. The secret key is in it only when
// shown says this start made it; otherwise the block takes it from cmd
// (the credentials verb) or from ROLECALL_ROOT_SECRET_ACCESS_KEY. Every
// client reads the keys from
// the environment; the AWS CLI (v1, and v2 at least up to 2.9) and boto3
// read the region from AWS_DEFAULT_REGION, the other SDKs from AWS_REGION;
// only AWS CLI 2.13+ (v1: 1.29+), boto3 1.28+ and the SDKs of mid-2023 on
// read AWS_ENDPOINT_URL, so the endpoint goes on the command line, with an
// alias to type it once.
func pasteBlock(endpoint, region string, c Credentials, shown rootShown, cmd string) string {
	var b strings.Builder
	b.WriteString("Point the AWS CLI at it (paste into a shell; works with AWS CLI v1 and v2, and boto3):\n")
	switch shown {
	case rootStored:
		if strings.Contains(cmd, "--database-url URL") {
			b.WriteString("  # URL: the database URL, with its password\n")
		}
		fmt.Fprintf(&b, "  eval \"$(%s)\"\n", cmd)
	case rootMade:
		b.WriteString(indent(shellExports(c.AccessKeyID, c.SecretAccessKey, region)))
	default:
		b.WriteString(indent(shellExports(c.AccessKeyID, `"$ROLECALL_ROOT_SECRET_ACCESS_KEY"`, region)))
	}
	fmt.Fprintf(&b, "  aws --endpoint-url %s sts get-caller-identity\n", endpoint)
	fmt.Fprintf(&b, "  alias aws='aws --endpoint-url %s'\n", endpoint)
	fmt.Fprintf(&b, "AWS_ENDPOINT_URL=%s is read only by AWS CLI 2.13+ (v1: 1.29+), boto3 1.28+\n", endpoint)
	b.WriteString("and the SDKs released since mid-2023; older clients, Debian's AWS CLI 2.9 among them,\n")
	b.WriteString("ignore it and call AWS itself: give them --endpoint-url (in boto3, endpoint_url=).\n")
	return b.String()
}

// shellExports are the shell lines that give the AWS CLI and the SDKs the
// access key id, the secret (a shell word) and the region, with no session
// token or profile left over from before.
func shellExports(id, secret, region string) string {
	return fmt.Sprintf("export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=%s AWS_DEFAULT_REGION=%s\nunset AWS_SESSION_TOKEN AWS_PROFILE\n",
		id, secret, region, region)
}

// indent indents every line of s by two spaces.
func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}
