// Command rolecall runs AWS Lambda's execution-role system on one machine:
// Lambda, IAM, STS and the services a role grants access to, over AWS's own
// wire protocols.
//
// Usage:
//
//	rolecall [flags]
//	rolecall trail [--principal ARN] [--account ID] [--category Management|Data] [--since T] [--until T] [--limit N] [--decisions]
//	rolecall trail explain [flags] EVENT-ID
//	rolecall policy lint [--type identity|resource|trust|scp|session|boundary] FILE
//	rolecall policy generate|unused|replay|check (--role NAME | --principal ARN) [--since D | --start T [--end T]] [flags]
//	rolecall reset [--data-dir DIR | --database-url URL] [--yes]
//	rolecall credentials [--data-dir DIR | --database-url URL] [--key-file PATH] [--json]
//	rolecall version
//	rolecall help [VERB]
//
// The first form runs the server. Flags override the environment variables
// ROLECALL_ADDR, ROLECALL_DATA_DIR, ROLECALL_ACCOUNT_ID, ROLECALL_REGION,
// ROLECALL_DATABASE_URL, ROLECALL_KEY_FILE and ROLECALL_LOG_REQUESTS.
// ROLECALL_ROOT_ACCESS_KEY_ID and ROLECALL_ROOT_SECRET_ACCESS_KEY set the
// root credentials of the account; ROLECALL_SERVER_KEY (base64 of 32 bytes)
// the server key. While it runs, the server holds a lock on its data
// directory (DIR/rolecall.lock): a second server, or a reset, on the same
// directory is refused.
//
// By default the state is an SQLite database in the data directory. With
// --database-url several nodes share one PostgreSQL database, each serving
// any request and running any function.
//
// The server key seals every secret the database holds (secret access
// keys, session tokens, functions' environment variables); the database
// never holds it. It is the file DIR/server.key (mode 0600, made at the
// first start), or the file --key-file names, or ROLECALL_SERVER_KEY.
// Nodes sharing a database need the same key: give the others the first
// node's server.key with --key-file; a node without it is refused.
//
// The banner shows the root secret key at the first start only; the
// credentials verb prints the root credentials (as shell lines, or with
// --json for a credential_process) whenever they are needed.
//
// The trail verb prints the recorded events, management and data, newest
// first as JSON lines, one CloudTrail record a line; --decisions adds the
// authorization decisions each call made. It reads the data directory
// (--data-dir, ROLECALL_DATA_DIR) and can run beside a running server.
//
// The policy lint verb checks a policy document against IAM's grammar and
// the catalog of AWS services' actions and condition keys. The policy
// generate, unused, replay and check verbs are clients of a running
// rolecall (--endpoint-url or AWS_ENDPOINT_URL, the AWS credential chain):
// they write the policy a principal's recorded traffic needs, list what it
// may do and did not, replay its traffic against a proposed change, and
// fail (exit status 1) when a role grants more than its traffic used or a
// change would deny recorded calls.
//
// The reset verb empties the state (see runReset) and keeps the root
// credentials and the server key. The version verb (or --version) prints
// the build's version, VCS revision and Go version.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/rolecall/rolecall/internal/sandbox"
	"github.com/rolecall/rolecall/internal/server"
)

// serverGCPercent is the server's garbage collection target (GOGC) unless
// the environment sets one.
const serverGCPercent = 400

const mainUsage = `Usage:
  rolecall [flags]                 serve Lambda, IAM, STS and the services roles guard
  rolecall trail [flags]           print the recorded calls (rolecall help trail)
  rolecall trail explain EVENT-ID  why an event's request was decided so, and the fix that allows it
  rolecall policy lint [flags] F   check a policy document (rolecall help policy)
  rolecall policy generate [flags] the policy a role's recorded traffic needs
  rolecall policy unused [flags]   what a role may do and did not do
  rolecall policy replay [flags]   what a proposed policy change would deny or allow
  rolecall policy check [flags]    exit 1 when a role grants unused access, or a change denies traffic
  rolecall reset [flags]           empty the state, keeping the root keys (rolecall help reset)
  rolecall credentials [flags]     print the root credentials (rolecall help credentials)
  rolecall version                 print the version (also --version)
  rolecall help [VERB]             print this, or a verb's usage (also -h, --help)

Health check, no credentials needed: GET /_rolecall/health answers 200
{"status":"ok"} while the server serves and reaches its database, else 503.

Flags of the server:
`

func main() {
	sandbox.Init()
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rolecall:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "trail":
			return runTrail(context.Background(), args[1:], stdout, stderr)
		case "policy":
			return runPolicy(args[1:], os.Stdin, stdout, stderr)
		case "reset":
			return runReset(context.Background(), args[1:], os.Stdin, stdout, stderr)
		case "credentials":
			return runCredentials(context.Background(), args[1:], stdout, stderr)
		case "version", "--version", "-version":
			if len(args) > 1 {
				return fmt.Errorf("version: unexpected argument %q", args[1])
			}
			_, err := fmt.Fprintln(stdout, versionText())
			return err
		case "help", "--help", "-help", "-h":
			return runHelp(args[1:], stdout, stderr)
		}
	}
	return runServer(args, stdout, stderr)
}

// runHelp prints the usage of rolecall, or of the verb named, on stdout.
func runHelp(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return runServer([]string{"-h"}, stdout, stderr)
	}
	if len(args) > 1 {
		return fmt.Errorf("help: want at most one verb, not %q", args)
	}
	switch args[0] {
	case "trail":
		return runTrail(context.Background(), []string{"-h"}, stdout, stdout)
	case "policy":
		return runPolicy([]string{"-h"}, nil, stdout, stdout)
	case "reset":
		return runReset(context.Background(), []string{"-h"}, nil, stdout, stdout)
	case "credentials":
		return runCredentials(context.Background(), []string{"-h"}, stdout, stdout)
	case "version":
		_, err := fmt.Fprintln(stdout, "Usage: rolecall version\n\nPrints the version of the build, its VCS revision and time, and the Go version.")
		return err
	}
	return fmt.Errorf("help: no verb %q (verbs: trail, policy, reset, credentials, version)", args[0])
}

// parseFlags parses args into fs. Asked for help (-h, --help), it prints the
// usage on stdout and reports done; on a bad flag, it prints the usage on
// stderr and returns the error.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (done bool, err error) {
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	err = fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, err = stdout.Write(usage.Bytes())
		return true, err
	case err != nil:
		_, _ = stderr.Write(usage.Bytes()) // the parse error is the one to report
		return true, err
	}
	return false, nil
}

// Request log levels (--log-requests).
const (
	logRequestsAll    = "all"
	logRequestsErrors = "errors"
	logRequestsOff    = "off"
)

func runServer(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rolecall", flag.ContinueOnError)
	addr := fs.String("addr", env("ROLECALL_ADDR", "127.0.0.1:4566"), "listen address")
	state := addStateFlags(fs, "PostgreSQL `URL` (postgres://user:password@host:port/db) shared by several nodes; default: ROLECALL_DATABASE_URL, else SQLite in the data directory")
	dataDir := state.dataDir
	account := fs.String("account-id", env("ROLECALL_ACCOUNT_ID", "123456789012"), "account id of the default account")
	region := fs.String("region", env("ROLECALL_REGION", "us-east-1"), "region")
	keyFile := fs.String("key-file", env("ROLECALL_KEY_FILE", ""), "`file` (mode 0600) holding the server key, made at the first start; default: ROLECALL_KEY_FILE, else DIR/server.key (ROLECALL_SERVER_KEY gives the key itself, base64); nodes sharing a database need the same key")
	logRequests := fs.String("log-requests", env("ROLECALL_LOG_REQUESTS", logRequestsAll),
		"request log on stderr, one line per request (time, principal, service:operation, status, error code, duration): `level` all, errors (only requests answered with an error) or off")
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), mainUsage)
		fs.PrintDefaults()
	}
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (rolecall help lists the verbs)", fs.Arg(0))
	}
	if *version {
		_, err := fmt.Fprintln(stdout, versionText())
		return err
	}
	var requestLog io.Writer
	errorsOnly := false
	switch *logRequests {
	case logRequestsAll:
		requestLog = stderr
	case logRequestsErrors:
		requestLog, errorsOnly = stderr, true
	case logRequestsOff:
	default:
		return fmt.Errorf("--log-requests (ROLECALL_LOG_REQUESTS) must be all, errors or off, not %q", *logRequests)
	}
	databaseURL := state.url()
	if os.Getenv("GOGC") == "" {
		// Each request allocates little that outlives it, and the live heap
		// is small: collecting less often buys back a fifth of the CPU a
		// request costs. GOGC, when set, decides instead.
		debug.SetGCPercent(serverGCPercent)
	}
	unlock, err := lockDataDir(*dataDir)
	if err != nil {
		return err
	}
	defer func() { _ = unlock() }() // the process ends next: the lock goes with it anyway
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := server.New(ctx, server.Config{
		Addr:                 *addr,
		DataDir:              *dataDir,
		AccountID:            *account,
		Region:               *region,
		DatabaseURL:          databaseURL,
		KeyFile:              *keyFile,
		ServerKey:            os.Getenv("ROLECALL_SERVER_KEY"),
		RootAccessKeyID:      os.Getenv("ROLECALL_ROOT_ACCESS_KEY_ID"),
		RootSecretAccessKey:  os.Getenv("ROLECALL_ROOT_SECRET_ACCESS_KEY"),
		Logger:               logger,
		RequestLog:           requestLog,
		RequestLogErrorsOnly: errorsOnly,
	})
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		return errors.Join(err, srv.Shutdown(context.Background()))
	}
	_, _ = fmt.Fprint(stdout, srv.Banner(*dataDir)) // informational; the server runs without it
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		return errors.Join(err, srv.Shutdown(context.Background()))
	case <-ctx.Done():
	}
	_, _ = fmt.Fprintln(stdout, "rolecall: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func defaultDataDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return d + "/rolecall"
	}
	return ".rolecall"
}
