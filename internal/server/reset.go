package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rolecall/rolecall/internal/service/iam"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
)

// Reset empties the database cfg names, the SQLite file in cfg.DataDir or
// the PostgreSQL database at cfg.DatabaseURL: every user, role, customer
// managed policy, access key, session revocation, function, log, trace and
// trail event goes. It keeps the server's own table: the server key (of an
// SQLite database), the root credentials made at first start, and the
// account and region the database is bound to, and what a first start
// makes in IAM (the root keys' records, the AWS managed policies,
// iam.KeptOnReset), so the root credentials the banner showed keep working
// on a node that goes on serving the database as on one started again.
// It also removes the unpacked function code of cfg.DataDir.
//
// Reset opens no database that does not exist. It does not look for
// running servers: the caller makes sure none runs on the database (the
// rolecall binary holds a lock on its data directory while it serves).
func Reset(ctx context.Context, cfg Config) error {
	st, err := openExisting(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = store.EmptyExcept(ctx, st, func(table string, it store.Item) bool {
		return table == serverTable || iam.KeptOnReset(table, it)
	})
	err = errors.Join(err, st.Close())
	if err != nil {
		return fmt.Errorf("server: reset: %w", err)
	}
	if cfg.DataDir != "" {
		if err := os.RemoveAll(filepath.Join(cfg.DataDir, "code")); err != nil {
			return fmt.Errorf("server: reset: unpacked code: %w", err)
		}
	}
	return nil
}

// openExisting opens the database cfg names, refusing to make one.
func openExisting(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		st, err := postgres.OpenExisting(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("server: database %s: %w", postgres.Redact(cfg.DatabaseURL), err)
		}
		return st, nil
	}
	path := filepath.Join(cfg.DataDir, "rolecall.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("server: no rolecall database at %s", path)
	}
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("server: database %s: %w", path, err)
	}
	return st, nil
}
