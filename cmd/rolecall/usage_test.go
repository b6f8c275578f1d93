package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestUsageHidesDatabasePassword: the usage printed on a bad flag (on
// stderr) or -h (on stdout) does not show ROLECALL_DATABASE_URL, whose
// password it would print.
func TestUsageHidesDatabasePassword(t *testing.T) {
	t.Setenv("ROLECALL_DATABASE_URL", "postgres://rolecall:s3cret-pw@db:5432/rolecall")
	for _, args := range [][]string{{"--bogus"}, {"-h"}, {"trail", "--bogus"}, {"trail", "-h"}, {"reset", "--bogus"}, {"reset", "-h"}, {"help", "reset"}, {"credentials", "--bogus"}, {"credentials", "-h"}} {
		var stdout, stderr bytes.Buffer
		_ = run(args, &stdout, &stderr) // the usage is what is checked
		if usage := stdout.String() + stderr.String(); !strings.Contains(usage, "-database-url") {
			t.Errorf("%v: no usage printed:\n%s", args, usage)
		}
		if out := stdout.String() + stderr.String(); strings.Contains(out, "s3cret-pw") {
			t.Errorf("%v shows the database password:\n%s", args, out)
		}
	}
}
