package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rolecall/rolecall/internal/server"
)

const credentialsUsage = `Usage: rolecall credentials [--data-dir DIR | --database-url URL] [--key-file PATH] [--json]

Prints the root credentials of the account, made at the first start (the
only time the banner shows the secret key), as shell lines to eval:

  eval "$(rolecall credentials --data-dir DIR)"
  aws --endpoint-url http://127.0.0.1:4566 sts get-caller-identity

With --json it prints them as the AWS CLI and the SDKs read them from a
credential_process ({"Version":1,"AccessKeyId":...,"SecretAccessKey":...}),
so that a profile can take them from rolecall itself:

  [profile rolecall]
  credential_process = rolecall credentials --json --data-dir DIR

It reads the database (the data directory's SQLite file, or the shared
PostgreSQL database) and opens the secret with the server key: the data
directory's server.key, the file --key-file names (ROLECALL_KEY_FILE), or
ROLECALL_SERVER_KEY. It changes nothing and works whether or not the
server runs.

Flags:
`

// credentialProcess is the output of a credential_process, as the AWS
// CLI and the SDKs read it (AWS SDKs and Tools Reference Guide, "Sourcing
// credentials with an external process").
type credentialProcess struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
}

// runCredentials is the credentials verb.
func runCredentials(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rolecall credentials", flag.ContinueOnError)
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), credentialsUsage)
		fs.PrintDefaults()
	}
	state := addStateFlags(fs, sharedURLUsage)
	keyFile := fs.String("key-file", env("ROLECALL_KEY_FILE", ""), "`file` holding the server key; default: ROLECALL_KEY_FILE, else DIR/server.key (ROLECALL_SERVER_KEY gives the key itself)")
	asJSON := fs.Bool("json", false, "print a credential_process document instead of shell lines")
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("credentials: unexpected argument %q", fs.Arg(0))
	}
	a, err := server.RootAccount(ctx, server.Config{
		DataDir:     *state.dataDir,
		DatabaseURL: state.url(),
		KeyFile:     *keyFile,
		ServerKey:   os.Getenv("ROLECALL_SERVER_KEY"),
	})
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(credentialProcess{Version: 1, AccessKeyID: a.Root.AccessKeyID, SecretAccessKey: a.Root.SecretAccessKey})
	}
	_, err = io.WriteString(stdout, a.Exports())
	return err
}
