package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store/postgres"
)

const resetUsage = `Usage: rolecall reset [--data-dir DIR | --database-url URL] [--yes]

Empties rolecall's state: every IAM user, role, customer managed policy and
access key, every Lambda function with its versions, aliases and code, every
log group, trace and trail event is deleted. Kept are the root credentials
(the root access key the banner shows), the server key, and the account and
region the database is bound to. The next start makes the rest as a first
start does.

With SQLite (the default) it empties the data directory's database. A server
running on that directory holds DIR/rolecall.lock: the reset is refused
until it stops.

With --database-url (or ROLECALL_DATABASE_URL) it empties the shared
PostgreSQL database. rolecall cannot see the nodes of other machines: stop
every node on the database first, and start them again after. A node's
data directory is left alone unless named with --data-dir: then its
unpacked code is removed too, and the reset is refused while that node runs.

It asks for confirmation on standard input unless --yes is given.

Flags:
`

// errNotConfirmed reports a reset the user did not confirm.
var errNotConfirmed = errors.New("reset: not confirmed; nothing was changed")

// runReset is the reset verb.
func runReset(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rolecall reset", flag.ContinueOnError)
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), resetUsage)
		fs.PrintDefaults()
	}
	state := addStateFlags(fs, sharedURLUsage)
	dataDir := state.dataDir
	yes := fs.Bool("yes", false, "reset without asking")
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("reset: unexpected argument %q", fs.Arg(0))
	}
	databaseURL := state.url()
	db := filepath.Join(*dataDir, "rolecall.db")
	where := "the SQLite database " + db
	if databaseURL != "" {
		where = "the PostgreSQL database " + postgres.Redact(databaseURL) + " (stop every node on it first)"
		// A node's data directory is its own: it is locked and its unpacked
		// code removed only when named, never the default one, which may be
		// another server's SQLite directory.
		if !dataDirGiven(fs) {
			*dataDir = ""
		}
	} else if _, err := os.Stat(db); err != nil {
		// Before the lock, which would make the data directory.
		return fmt.Errorf("reset: no rolecall database at %s (give the server's --data-dir): %w", db, err)
	}
	if *dataDir != "" {
		unlock, err := lockDataDir(*dataDir)
		if err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		defer func() { _ = unlock() }() // held only to keep a server from starting meanwhile
	}
	if !*yes {
		_, _ = fmt.Fprintf(stderr, "Delete every user, role, policy, access key, function, log and trail event in %s?\n"+
			"The root credentials and the server key are kept. Type yes to go on: ", where)
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reset: read confirmation: %w", err)
		}
		if a := strings.ToLower(strings.TrimSpace(line)); a != "yes" && a != "y" {
			return errNotConfirmed
		}
	}
	if err := server.Reset(ctx, server.Config{DataDir: *dataDir, DatabaseURL: databaseURL}); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "rolecall: reset %s; the root credentials and the server key are kept\n", where)
	return err
}

// dataDirGiven reports whether the data directory was named, by
// --data-dir or ROLECALL_DATA_DIR, rather than defaulted.
func dataDirGiven(fs *flag.FlagSet) bool {
	given := os.Getenv("ROLECALL_DATA_DIR") != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data-dir" {
			given = true
		}
	})
	return given
}
