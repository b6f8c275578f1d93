package main

import (
	"flag"
	"os"
)

// stateFlags are the flags that say where rolecall's state is: the data
// directory (--data-dir, ROLECALL_DATA_DIR) and a shared PostgreSQL
// database (--database-url, ROLECALL_DATABASE_URL).
type stateFlags struct {
	dataDir     *string
	databaseURL *string
}

// addStateFlags defines the flags on fs, with urlUsage as --database-url's
// usage.
func addStateFlags(fs *flag.FlagSet, urlUsage string) stateFlags {
	return stateFlags{
		dataDir:     fs.String("data-dir", env("ROLECALL_DATA_DIR", defaultDataDir()), "data directory"),
		databaseURL: fs.String("database-url", "", urlUsage),
	}
}

// sharedURLUsage is --database-url's usage in the verbs beside the server.
const sharedURLUsage = "PostgreSQL `URL` of nodes sharing a database (instead of the data directory's SQLite); default: ROLECALL_DATABASE_URL"

// url returns --database-url, else ROLECALL_DATABASE_URL, after parsing:
// the variable is not the flag's default, which usage would print,
// password and all.
func (f stateFlags) url() string {
	if *f.databaseURL != "" {
		return *f.databaseURL
	}
	return os.Getenv("ROLECALL_DATABASE_URL")
}
