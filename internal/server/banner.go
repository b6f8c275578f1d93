package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

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
	fmt.Fprintf(&b, "  root secret key %s\n", s.root.SecretAccessKey)
	fmt.Fprintf(&b, "  services        %s\n", strings.TrimPrefix(s.gateway.String(), "services: "))
	b.WriteString("Enforced on every request:\n")
	b.WriteString("  - SigV4 signatures (header, presigned query, chunked payloads), a ±15 minute clock window\n")
	b.WriteString("  - IAM authorization: identity, resource and session policies, permissions boundaries\n")
	b.WriteString("  - session tokens sealed and checked for expiry; unknown actions and conditions fail closed\n")
	b.WriteString("  - every authenticated call, allowed or denied, recorded in the trail (cloudtrail lookup-events)\n")
	b.WriteString("  - functions run with their execution role's session, bound to their execution environment\n")
	fmt.Fprintf(&b, "  - function isolation: %s\n", s.lambda.Runtime().Isolation().Detail)
	fmt.Fprintf(&b, "Runtimes (interpreter, AWS SDK):\n%s", s.lambda.Runtime().RuntimesBanner(context.Background(), s.cfg.Now()))
	b.WriteString("Point the AWS CLI at it:\n")
	fmt.Fprintf(&b, "  export AWS_ACCESS_KEY_ID=%s\n", s.root.AccessKeyID)
	fmt.Fprintf(&b, "  export AWS_SECRET_ACCESS_KEY=%s\n", s.root.SecretAccessKey)
	fmt.Fprintf(&b, "  export AWS_REGION=%s\n", s.cfg.Region)
	fmt.Fprintf(&b, "  aws --endpoint-url %s sts get-caller-identity\n", ep)
	fmt.Fprintf(&b, "  (AWS CLI 2.13+ and current SDKs also take export AWS_ENDPOINT_URL=%s;\n", ep)
	b.WriteString("   older clients ignore it and would call AWS itself)\n")
	return b.String()
}
