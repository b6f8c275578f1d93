// Command rolecall runs AWS Lambda's execution-role system on one machine:
// Lambda, IAM, STS and the services a role grants access to, over AWS's own
// wire protocols.
//
// Usage:
//
//	rolecall [flags]
//	rolecall trail [--principal ARN] [--account ID] [--category Management|Data] [--since T] [--until T] [--limit N] [--decisions]
//	rolecall policy lint [--type identity|resource|trust|scp|session|boundary] FILE
//
// The first form runs the server. Flags override the environment variables
// ROLECALL_ADDR, ROLECALL_DATA_DIR, ROLECALL_ACCOUNT_ID, ROLECALL_REGION,
// ROLECALL_DATABASE_URL and ROLECALL_KEY_FILE. ROLECALL_ROOT_ACCESS_KEY_ID
// and ROLECALL_ROOT_SECRET_ACCESS_KEY set the root credentials of the
// account; ROLECALL_SERVER_KEY (base64 of 32 bytes) the server key.
//
// By default the state is an SQLite database in the data directory. With
// --database-url several nodes share one PostgreSQL database, each serving
// any request and running any function; they then need the same server key,
// from --key-file or ROLECALL_SERVER_KEY, which the database never holds.
//
// The trail verb prints the recorded events, management and data, newest
// first as JSON lines, one CloudTrail record a line; --decisions adds the
// authorization decisions each call made. It reads the data directory
// (--data-dir, ROLECALL_DATA_DIR) and can run beside a running server.
//
// The policy lint verb checks a policy document against IAM's grammar and
// the catalog of AWS services' actions and condition keys.
package main

import (
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

	"github.com/rolecall/rolecall/internal/server"
)

// serverGCPercent is the server's garbage collection target (GOGC) unless
// the environment sets one.
const serverGCPercent = 400

const mainUsage = `Usage:
  rolecall [flags]                 serve IAM, STS, Lambda, Logs, CloudTrail and X-Ray
  rolecall trail [flags]           print the recorded calls (rolecall trail -h)
  rolecall policy lint [flags] F   check a policy document (rolecall policy lint -h)

Flags of the server:
`

func main() {
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
	if len(args) > 0 && args[0] == "trail" {
		return runTrail(context.Background(), args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "policy" {
		return runPolicy(args[1:], os.Stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("rolecall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env("ROLECALL_ADDR", "127.0.0.1:4566"), "listen address")
	dataDir := fs.String("data-dir", env("ROLECALL_DATA_DIR", defaultDataDir()), "data directory")
	account := fs.String("account-id", env("ROLECALL_ACCOUNT_ID", "123456789012"), "account id of the default account")
	region := fs.String("region", env("ROLECALL_REGION", "us-east-1"), "region")
	databaseURL := fs.String("database-url", "", "PostgreSQL `URL` (postgres://user:password@host:port/db) shared by several nodes; default: ROLECALL_DATABASE_URL, else SQLite in the data directory")
	keyFile := fs.String("key-file", env("ROLECALL_KEY_FILE", ""), "`file` holding the server key, made when missing; required with --database-url unless ROLECALL_SERVER_KEY is set")
	fs.Usage = func() {
		_, _ = fmt.Fprint(stderr, mainUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *databaseURL == "" {
		// Read after parsing, not as the flag's default: usage would print
		// the default, password and all.
		*databaseURL = os.Getenv("ROLECALL_DATABASE_URL")
	}
	if os.Getenv("GOGC") == "" {
		// Each request allocates little that outlives it, and the live heap
		// is small: collecting less often buys back a fifth of the CPU a
		// request costs. GOGC, when set, decides instead.
		debug.SetGCPercent(serverGCPercent)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := server.New(ctx, server.Config{
		Addr:                *addr,
		DataDir:             *dataDir,
		AccountID:           *account,
		Region:              *region,
		DatabaseURL:         *databaseURL,
		KeyFile:             *keyFile,
		ServerKey:           os.Getenv("ROLECALL_SERVER_KEY"),
		RootAccessKeyID:     os.Getenv("ROLECALL_ROOT_ACCESS_KEY_ID"),
		RootSecretAccessKey: os.Getenv("ROLECALL_ROOT_SECRET_ACCESS_KEY"),
		Logger:              logger,
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
