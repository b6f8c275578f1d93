package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/policy/lint"
)

const policyUsage = `Usage: rolecall policy lint [--type KIND] FILE
       rolecall policy generate|unused|replay|check [flags] (rolecall policy SUBCOMMAND -h)

  generate  the policy of what a role or user did, from the recorded trail
  unused    the actions a role or user may perform and did not, and those it did
  replay    the recorded requests a proposed policy change would deny or allow
  check     exit status 1 when a role grants actions its traffic did not use,
            or when a proposed change would deny recorded requests

Those four reach a running rolecall as the AWS CLI does (--endpoint-url or
AWS_ENDPOINT_URL, the credential variables or --profile), take --role NAME or
--principal ARN, --since DURATION or --start/--end, and --output json|table.

lint checks a policy document (FILE, or - for standard input) as IAM writes it,
then against the catalog of AWS services: actions and service prefixes that
do not exist, condition keys that do not exist, and condition keys that none
of a statement's actions supports. Findings are printed one a line; the exit
status is 1 when the document is malformed or a finding is an error.

KIND is identity (the default), resource, trust, scp, session or boundary.
`

// policyKinds maps --type to the policy kind it is parsed as.
var policyKinds = map[string]policy.Kind{
	"identity": policy.Identity,
	"resource": policy.Resource,
	"trust":    policy.Trust,
	"scp":      policy.SCP,
	"session":  policy.Session,
	"boundary": policy.Boundary,
}

// errFindings reports that lint found errors; the findings are printed.
var errFindings = errors.New("the policy has errors")

// policyVerbs are the subcommands of the policy verb.
var policyVerbs = map[string]func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error{
	"lint":     runPolicyLint,
	"generate": runPolicyGenerate,
	"unused":   runPolicyUnused,
	"replay":   runPolicyReplay,
	"check":    runPolicyCheck,
}

func runPolicy(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		_, err := fmt.Fprint(stdout, policyUsage)
		return err
	}
	if len(args) == 0 || policyVerbs[args[0]] == nil {
		_, _ = fmt.Fprint(stderr, policyUsage)
		return errors.New("policy: want a subcommand: lint, generate, unused, replay or check")
	}
	err := policyVerbs[args[0]](context.Background(), args[1:], stdin, stdout, stderr)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w\n(no rolecall answers there: start one, or give its address with --endpoint-url or AWS_ENDPOINT_URL)", err)
	}
	return err
}

func runPolicyLint(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rolecall policy lint", flag.ContinueOnError)
	fs.Usage = func() { _, _ = fmt.Fprint(fs.Output(), policyUsage) }
	typ := fs.String("type", "identity", "policy `kind`: identity, resource, trust, scp, session or boundary")
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	kind, ok := policyKinds[*typ]
	if !ok {
		return fmt.Errorf("policy lint: unknown --type %q", *typ)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("policy lint: want one FILE")
	}
	var doc []byte
	var err error
	if name := fs.Arg(0); name == "-" {
		doc, err = io.ReadAll(stdin)
	} else {
		doc, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("policy lint: %w", err)
	}
	failed := false
	for _, f := range lint.Validate(string(doc), lint.ForKind(kind)) {
		if _, err := fmt.Fprintln(stdout, f); err != nil {
			return fmt.Errorf("policy lint: %w", err)
		}
		failed = failed || f.Type == lint.Error
	}
	if failed {
		return errFindings
	}
	return nil
}
